package coretest

import (
	"context"

	"github.com/punchbot/punchbot/core"
)

var _ core.OutboxBacklogStore = (*MemStore)(nil)

// OutboxBacklog counts pending outbox messages per platform.
func (m *MemStore) OutboxBacklog(ctx context.Context) (map[core.Platform]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[core.Platform]int{}
	for _, o := range m.state.outbox {
		if o.Status == core.OutboxPending {
			out[o.Platform]++
		}
	}
	return out, nil
}

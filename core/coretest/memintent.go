package coretest

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/punchbot/punchbot/core"
)

func (t memTx) PunchIntent(ctx context.Context, employeeID string, now time.Time) (core.PunchIntent, error) {
	in, ok := t.m.state.intents[employeeID]
	if !ok || !in.ExpiresAt.After(now) {
		return core.PunchIntent{}, core.Errorf(core.ENOTFOUND, "no waiting text punch of %s", employeeID)
	}
	return in, nil
}

func (t memTx) ArmIntent(ctx context.Context, in core.PunchIntent) error {
	if t.m.state.intents == nil {
		t.m.state.intents = map[string]core.PunchIntent{}
	}
	in.ArmedAt, in.ExpiresAt = in.ArmedAt.UTC().Truncate(time.Microsecond), in.ExpiresAt.UTC().Truncate(time.Microsecond)
	t.m.state.intents[in.EmployeeID] = in
	return nil
}

func (t memTx) ClearIntent(ctx context.Context, in core.PunchIntent) error {
	if cur, ok := t.m.state.intents[in.EmployeeID]; ok && cur.ArmedAt.Equal(in.ArmedAt) {
		delete(t.m.state.intents, in.EmployeeID)
	}
	return nil
}

// Intent returns the employee's waiting text punch, whether or not it has
// expired, for tests.
func (m *MemStore) Intent(employeeID string) (core.PunchIntent, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.state.intents[employeeID]
	return in, ok
}

// Intents returns every waiting text punch stored, expired or not, for
// tests.
func (m *MemStore) Intents() []core.PunchIntent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Collect(maps.Values(m.state.intents))
}

// WaitingIntent reads the employee's live waiting text punch.
func (m *MemStore) WaitingIntent(ctx context.Context, employeeID string, now time.Time) (core.PunchIntent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return memTx{m}.PunchIntent(ctx, employeeID, now)
}

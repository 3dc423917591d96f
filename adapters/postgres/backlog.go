package postgres

import (
	"context"

	"github.com/punchbot/punchbot/core"
)

var _ core.OutboxBacklogStore = (*Store)(nil)

// OutboxBacklog counts pending outbox messages per platform.
func (s *Store) OutboxBacklog(ctx context.Context) (map[core.Platform]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT platform, count(*) FROM outbox WHERE status = 'pending' GROUP BY platform`)
	if err != nil {
		return nil, translate(err, "outbox backlog")
	}
	defer rows.Close()
	out := map[core.Platform]int{}
	for rows.Next() {
		var p string
		var n int64
		if err := rows.Scan(&p, &n); err != nil {
			return nil, translate(err, "outbox backlog")
		}
		out[core.Platform(p)] = int(n)
	}
	return out, translate(rows.Err(), "outbox backlog")
}

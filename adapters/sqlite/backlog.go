package sqlite

import (
	"context"

	"github.com/punchbot/punchbot/core"
)

var _ core.OutboxBacklogStore = (*Store)(nil)

// OutboxBacklog counts pending outbox messages per platform.
func (s *Store) OutboxBacklog(ctx context.Context) (map[core.Platform]int, error) {
	rows, err := poolConn{s.rs}.QueryContext(ctx, `SELECT platform, count(*) FROM outbox WHERE status = 'pending' GROUP BY platform`)
	if err != nil {
		return nil, translate(err, "outbox backlog")
	}
	defer rows.Close()
	out := map[core.Platform]int{}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			return nil, translate(err, "outbox backlog")
		}
		out[core.Platform(p)] = n
	}
	return out, translate(rows.Err(), "outbox backlog")
}

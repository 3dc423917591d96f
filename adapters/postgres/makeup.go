package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/punchbot/punchbot/core"
)

var _ core.MakeupTx = (*pgTx)(nil)

// PutCardRef creates or replaces the reference of one approval card, keyed
// by (request, platform, recipient); a replaced row keeps its id, so the
// listing order stays the order cards were first sent. An unknown request
// is ENOTFOUND.
func (t *pgTx) PutCardRef(ctx context.Context, ref core.CardRef) error {
	ct, err := t.exec(ctx, fmt.Sprintf("record card reference of make-up request %d", ref.RequestID), `INSERT INTO makeup_cards (request_id, platform, recipient, ref, updated_at)
		SELECT $1::bigint, $2::text, $3::text, $4::text, $5::timestamptz WHERE EXISTS (SELECT 1 FROM makeup_requests WHERE id = $1::bigint)
		ON CONFLICT (request_id, platform, recipient) DO UPDATE SET ref = excluded.ref, updated_at = excluded.updated_at`,
		ref.RequestID, string(ref.Platform), ref.Recipient, ref.Ref, ts(ref.UpdatedAt))
	if err == nil && ct.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "no make-up request %d", ref.RequestID)
	}
	return err
}

// CardRefs returns a request's card references in the order they were
// first recorded.
func (t *pgTx) CardRefs(ctx context.Context, requestID int64) ([]core.CardRef, error) {
	var out []core.CardRef
	err := t.send(ctx, "list card references", func(b *pgx.Batch) {
		b.Queue(`SELECT request_id, platform, recipient, ref, updated_at FROM makeup_cards WHERE request_id = $1 ORDER BY id`, requestID).
			Query(func(rows pgx.Rows) (err error) {
				out, err = pgx.AppendRows(out, rows, func(row pgx.CollectableRow) (core.CardRef, error) {
					var r core.CardRef
					var platform string
					var updated time.Time
					err := row.Scan(&r.RequestID, &platform, &r.Recipient, &r.Ref, &updated)
					r.Platform, r.UpdatedAt = core.Platform(platform), fromTS(updated)
					return r, err
				})
				return err
			})
	})
	return out, err
}

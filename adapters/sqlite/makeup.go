package sqlite

import (
	"context"

	"github.com/punchbot/punchbot/core"
)

var _ core.MakeupTx = (*sqliteTx)(nil)

// PutCardRef creates or replaces the reference of one approval card, keyed
// by (request, platform, recipient); a replaced row keeps its id, so the
// listing order stays the order cards were first sent. An unknown request
// is ENOTFOUND.
func (t *sqliteTx) PutCardRef(ctx context.Context, ref core.CardRef) error {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO makeup_cards (request_id, platform, recipient, ref, updated_at)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM makeup_requests WHERE id = ?)
		ON CONFLICT (request_id, platform, recipient) DO UPDATE SET ref = excluded.ref, updated_at = excluded.updated_at`,
		ref.RequestID, string(ref.Platform), ref.Recipient, ref.Ref, micros(ref.UpdatedAt), ref.RequestID)
	if err != nil {
		return translate(err, "record card reference")
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(err, "record card reference")
	} else if n == 0 {
		return core.Errorf(core.ENOTFOUND, "no make-up request %d", ref.RequestID)
	}
	return nil
}

// CardRefs returns a request's card references in the order they were
// first recorded.
func (t *sqliteTx) CardRefs(ctx context.Context, requestID int64) ([]core.CardRef, error) {
	return queryAll(ctx, t.tx, "list card references",
		`SELECT request_id, platform, recipient, ref, updated_at FROM makeup_cards WHERE request_id = ? ORDER BY id`, []any{requestID},
		func(sc scanner) (core.CardRef, error) {
			var r core.CardRef
			var platform string
			var updated int64
			err := sc.Scan(&r.RequestID, &platform, &r.Recipient, &r.Ref, &updated)
			r.Platform, r.UpdatedAt = core.Platform(platform), fromMicros(updated)
			return r, err
		})
}

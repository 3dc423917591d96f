package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Every replica caches identities and rosters (rosterCache), and an
// organisation applied on any of them must reach all of them within a
// second. ApplyOrg calls pg_notify on the schema's channel inside its
// transaction, so the notification goes out exactly when the change
// commits; each Store listens on a connection of its own and clears its
// cache on every notification. While that connection is down nobody would
// tell the store, so the cache is out of use until it is back (and then
// starts empty).

// listenCheck is how long the listener waits for a notification before it
// checks that its connection still answers, and how long it gives that
// check. A connection that died without a word (a cut network) is noticed
// within twice this, well inside the second an apply may take to reach
// every replica.
const listenCheck = 250 * time.Millisecond

// listenRetryMax bounds the wait between attempts to reconnect.
const listenRetryMax = 5 * time.Second

// orgChannel is the notification channel of a schema. Channel names are
// identifiers (at most 63 bytes); a long schema name is hashed.
func orgChannel(schema string) string {
	ch := "punchbot_org." + schema
	if len(ch) > 63 {
		sum := sha256.Sum256([]byte(schema))
		ch = "punchbot_org." + hex.EncodeToString(sum[:16])
	}
	return ch
}

// listenerName is the application_name of a channel's listener (at most
// 63 bytes, as the server keeps).
func listenerName(channel string) string {
	name := "punchbot listener " + channel
	return name[:min(len(name), 63)]
}

// listen keeps a listening connection until ctx is done, reconnecting with
// backoff; it closes s.listening when it returns.
func (s *Store) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	defer close(s.listening)
	wait := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		start := time.Now()
		s.listenOnce(ctx, cfg)
		s.cache.setLive(false)
		if time.Since(start) > listenRetryMax {
			wait = 0 // it was up for a while: try again at once
		}
		wait = min(max(2*wait, 50*time.Millisecond), listenRetryMax)
	}
}

// listenOnce connects, listens and clears the cache on every notification
// until the connection fails or ctx is done.
func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig) error {
	cfg = cfg.Copy()
	// Named, so that an operator (or a test) can tell it in pg_stat_activity.
	cfg.RuntimeParams["application_name"] = listenerName(s.channel)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), listenCheck)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return err
	}
	// Anything applied before LISTEN took effect was committed before now:
	// the cache starts empty and reads it from the database.
	s.cache.setLive(true)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenCheck)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			s.cache.clear()
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !pgconn.Timeout(err):
			return err
		}
		// A notification committed before this check reaches us before
		// its answer, so an answer means the cache is still current.
		pctx, cancel := context.WithTimeout(ctx, listenCheck)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
}

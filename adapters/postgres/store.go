// Package postgres is punchbot's production store: PostgreSQL through a
// pgx/v5 connection pool, safe for any number of replicas. Unlike the
// embedded store it never migrates on open: `punchbot migrate` runs Migrate,
// and the server calls CheckSchema and refuses to start on an out-of-date
// schema.
//
// A punch handled by core.Service is a plain pgx transaction (see InTx) on
// a connection acquired from the pool, in two round trips, each a
// pgx.Batch: BEGIN with the employee's advisory lock, the punches the rules
// read and the id of the punch to insert; then the punch, audit, event and
// outbox inserts with COMMIT. A conflict of those inserts (a platform's
// retry racing the first delivery) is therefore reported by InTx, as
// core.Tx allows, and nothing is committed. The caller's context bounds
// every statement and the lock wait, and a caller that gave up before
// COMMIT is sent gets its error and commits nothing.
//
// FindIdentity and Roster answer from an in-process cache that is used only
// while the store listens, on a connection of its own, for the notification
// every ApplyOrg sends in its transaction (see listen.go): an organisation
// applied on any replica clears the cache of every replica, and while the
// listener is not connected the cache is bypassed. The first miss after a
// clear or a (re)connect loads the whole organisation in the background, so
// that employees do not each cost a read. Punches are never cached.
package postgres

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"
	"github.com/punchbot/punchbot/core"
)

// Store is a core.Store, core.OutboxStore and core.OrgStore on PostgreSQL.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	cache  *rosterCache
	// channel is where ApplyOrg announces a new organisation (orgChannel).
	channel string
	// stopListening ends the listener goroutine, which closes listening,
	// and cancels background, the context of the loads of the whole
	// organisation into the cache (see preload), which loads waits for.
	stopListening context.CancelFunc
	listening     chan struct{}
	background    context.Context
	loads         sync.WaitGroup
}

var (
	_ core.Store       = (*Store)(nil)
	_ core.OutboxStore = (*Store)(nil)
	_ core.OrgStore    = (*Store)(nil)
	_ core.Tx          = (*pgTx)(nil)
)

// Open connects to the database at url (a postgres:// URL or key=value
// string; pool_max_conns and the other pgxpool parameters are honoured, with
// DefaultPoolConns when pool_max_conns is not given) and
// checks that it answers. Besides the pool, the store keeps one connection
// of its own, listening for organisation changes. It does not migrate: see
// Migrate and CheckSchema.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenWithSchema(ctx, url, "")
}

// OpenWithSchema is Open with every table in schema instead of the
// connection's default search_path. Tests use it to get a database of their
// own; Migrate creates the schema when it is missing.
func OpenWithSchema(ctx context.Context, url, schema string) (*Store, error) {
	cfg, err := ParsePoolConfig(url)
	if err != nil {
		return nil, err
	}
	return openConfig(ctx, cfg, schema)
}

// openConfig is OpenWithSchema on a parsed configuration (tests add a
// tracer to it).
func openConfig(ctx context.Context, cfg *pgxpool.Config, schema string) (*Store, error) {
	if schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, translate(err, "connect to postgres")
	}
	s := &Store{pool: pool, schema: schema, cache: newRosterCache()}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if schema == "" {
		// The channel names the schema, so that two deployments sharing a
		// database do not clear each other's caches.
		if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
			pool.Close()
			return nil, translate(err, "read the current schema")
		}
	}
	s.channel = orgChannel(schema)
	lctx, stop := context.WithCancel(context.Background())
	s.stopListening, s.listening, s.background = stop, make(chan struct{}), lctx
	go s.listen(lctx, cfg.ConnConfig)
	return s, nil
}

// Close stops the listener and any load into the cache, waits for
// borrowed connections and closes the pool.
func (s *Store) Close() {
	s.stopListening()
	<-s.listening
	s.loads.Wait()
	s.pool.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return core.WrapError(core.EUNAVAILABLE, err, "postgres does not answer")
	}
	return nil
}

// acquire borrows a connection; failing to get one (closed pool, no
// server, cancelled context) always means the database is unavailable.
func (s *Store) acquire(ctx context.Context) (*pgxpool.Conn, error) {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, core.WrapError(core.EUNAVAILABLE, err, "postgres connection")
	}
	return c, nil
}

// Pool exposes the connection pool, for health checks and benchmarks.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// PostgreSQL error codes the store translates.
const (
	pgDataException       = "22" // a class
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgCheckViolation      = "23514"
	pgNotNullViolation    = "23502"
	pgSerialization       = "40001"
	pgDeadlock            = "40P01"
	pgLockNotAvailable    = "55P03"
	pgUndefinedTable      = "42P01"
	pgInvalidSchema       = "3F000"
	pgQueryCanceled       = "57014"
	pgAdminShutdown       = "57P01"
	pgCannotConnectNow    = "57P03"
	pgTooManyConnections  = "53300"
	pgReadOnlyTransaction = "25006"
)

// translate turns a driver error into a *core.Error at the boundary: a
// unique violation is ECONFLICT, no rows ENOTFOUND, anything that a retry
// or an operator can fix EUNAVAILABLE, the rest EINTERNAL.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return core.WrapError(core.ENOTFOUND, err, "%s: not found", what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == pgUniqueViolation:
			return core.WrapError(core.ECONFLICT, err, "%s: %s", what, conflictMessage(pe))
		case pe.Code == pgForeignKeyViolation || pe.Code == pgCheckViolation || pe.Code == pgNotNullViolation ||
			pe.Code[:2] == pgDataException:
			// Class 22 is what the server could not store as given: an
			// invalid byte sequence (22021), text too long, a number out
			// of range. The request, not the database, is at fault.
			return core.WrapError(core.EINVALID, err, "%s: %s", what, pe.Message)
		case pe.Code == pgSerialization || pe.Code == pgDeadlock:
			return core.WrapError(core.EUNAVAILABLE, err, "%s: concurrent update, try again", what)
		case pe.Code == pgLockNotAvailable:
			return core.WrapError(core.EUNAVAILABLE, err, "%s: busy, try again", what)
		case pe.Code == pgUndefinedTable || pe.Code == pgInvalidSchema:
			return core.WrapError(core.EUNAVAILABLE, err, "%s: database schema is missing: run `punchbot migrate`", what)
		case pe.Code == pgQueryCanceled || pe.Code == pgAdminShutdown || pe.Code == pgCannotConnectNow ||
			pe.Code == pgTooManyConnections || pe.Code == pgReadOnlyTransaction || pe.Code[:2] == "08" || pe.Code[:2] == "53":
			return core.WrapError(core.EUNAVAILABLE, err, "%s: database unavailable", what)
		}
		return core.WrapError(core.EINTERNAL, err, "%s", what)
	}
	var ne net.Error
	var connectErr *pgconn.ConnectError
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) ||
		errors.As(err, &connectErr) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) || errors.Is(err, puddle.ErrClosedPool) {
		return core.WrapError(core.EUNAVAILABLE, err, "%s: database unavailable", what)
	}
	// Anything else from a closed or broken connection.
	if errors.Is(err, net.ErrClosed) || errors.Is(err, pgx.ErrTxClosed) {
		return core.WrapError(core.EUNAVAILABLE, err, "%s: database unavailable", what)
	}
	return core.WrapError(core.EINTERNAL, err, "%s", what)
}

// conflictMessage names what already exists, from the constraint.
func conflictMessage(pe *pgconn.PgError) string {
	switch pe.ConstraintName {
	case "events_pkey":
		return "event already recorded"
	case "punches_event_key":
		return "a punch for this event exists"
	case "identities_account_key":
		return "platform account already bound to an employee"
	}
	if pe.Detail != "" {
		return pe.Detail
	}
	return "already exists"
}

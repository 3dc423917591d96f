// Package sqlite is punchbot's embedded default store: one durable SQLite
// file, written through the pure-Go modernc.org/sqlite driver (no cgo), that
// migrates itself on open.
//
// Durability: the file runs in WAL mode with synchronous=FULL, so every
// commit is fsynced before InTx returns. WAL with synchronous=NORMAL would
// be faster but can lose the last transactions on power loss, and a punch
// the user was told about must survive that. The benchmark in this package
// measures the cost.
//
// Concurrency: SQLite allows one writer at a time. All writes go through a
// pool of exactly one connection whose transactions start with BEGIN
// IMMEDIATE, and through writeGroup, which queues concurrent writers
// instead of letting them fail with SQLITE_BUSY and commits concurrent
// InTx calls together; busy_timeout covers another process (such as
// `punchbot apply`) holding the write lock. Reads outside transactions use
// a separate read-only pool and, thanks to WAL, never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/migrations"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is a core.Store, core.OutboxStore and core.OrgStore on one SQLite
// file.
type Store struct {
	w      *sql.DB // the single writer connection
	r      *sql.DB // read-only connections
	ws     *stmtCache
	rs     *stmtCache
	writes writeGroup
	path   string
	cache  *orgCache
	// background ends when the store closes; loads are the loads of every
	// roster it runs (Store.preload).
	// closing guards stop against a load starting while Close waits.
	background context.Context
	closing    sync.Mutex
	stop       context.CancelFunc
	loads      sync.WaitGroup
}

var (
	_ core.Store       = (*Store)(nil)
	_ core.OutboxStore = (*Store)(nil)
	_ core.OrgStore    = (*Store)(nil)
	_ core.Tx          = (*sqliteTx)(nil)
)

// busyTimeout is how long a connection waits for another process's write
// lock before giving up with EUNAVAILABLE.
const busyTimeout = 10 * time.Second

// readConns bounds the read pool; reads are in-process and short.
const readConns = 4

// Open opens (creating if needed) the database file at path, configures it
// for durable concurrent use and applies pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.Contains(path, "?") || strings.HasPrefix(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil, core.Errorf(core.EINVALID, "sqlite store needs a plain file path, not %q", path)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, core.WrapError(core.EUNAVAILABLE, err, "create directory for %s", path)
		}
	}
	// temp_store=MEMORY keeps statement journals in memory: every member of
	// a group commit runs in a savepoint (group.go), and on file they cost a
	// pwrite per page a punch touches (half the syscalls of a punch, by
	// pprof). They only ever undo work of a transaction not yet committed,
	// which a crash discards anyway, so durability does not depend on them.
	common := fmt.Sprintf("_busy_timeout=%d&_foreign_keys=1&_synchronous=FULL&_pragma=temp_store(memory)", busyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", path+"?_txlock=immediate&_journal_mode=WAL&"+common)
	if err != nil {
		return nil, core.WrapError(core.EUNAVAILABLE, err, "open %s", path)
	}
	// One writer: database/sql queues callers for the connection, which is
	// how concurrent transactions are serialised without SQLITE_BUSY.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, ws: newStmtCache(w), path: path, cache: newOrgCache()}
	s.background, s.stop = context.WithCancel(context.Background())
	// The writer opens first so the file is in WAL mode before any reader
	// connects.
	if err := s.w.PingContext(ctx); err != nil {
		w.Close()
		return nil, translate(err, "open "+path)
	}
	r, err := sql.Open("sqlite", path+"?_query_only=1&"+common)
	if err != nil {
		w.Close()
		return nil, core.WrapError(core.EUNAVAILABLE, err, "open %s", path)
	}
	r.SetMaxOpenConns(readConns)
	r.SetMaxIdleConns(readConns)
	s.r, s.rs = r, newStmtCache(r)
	if _, err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes both connection pools.
func (s *Store) Close() error {
	s.closing.Lock()
	s.stop()
	s.closing.Unlock()
	s.loads.Wait()
	return errors.Join(s.rs.close(), s.ws.close(), s.r.Close(), s.w.Close())
}

// Ping checks that the file can still be read; any failure means the store
// is unavailable.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return core.WrapError(core.EUNAVAILABLE, err, "ping %s", s.path)
	}
	return nil
}

// Path returns the database file name.
func (s *Store) Path() string { return s.path }

// migrate applies pending migrations in one write transaction, so two
// processes opening the same file at once apply each migration once.
func (s *Store) migrate(ctx context.Context) (applied int, err error) {
	ms, err := migrations.List(migrations.SQLite)
	if err != nil {
		return 0, core.WrapError(core.EINTERNAL, err, "embedded sqlite migrations")
	}
	err = s.writeTx(ctx, func(c txConn) error {
		// Migrations run unprepared: a file holds many statements.
		tx := c.tx
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
			return translate(err, "create schema_migrations")
		}
		have := map[int]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return translate(err, "read schema_migrations")
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return translate(err, "read schema_migrations")
			}
			have[v] = true
		}
		if err := rows.Close(); err != nil {
			return translate(err, "read schema_migrations")
		}
		for _, m := range ms {
			if have[m.Version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return core.WrapError(core.EINTERNAL, err, "apply migration %04d_%s", m.Version, m.Name)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, time.Now().UnixMicro()); err != nil {
				return translate(err, "record migration")
			}
			applied++
		}
		return nil
	})
	return applied, err
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, translate(err, "schema version")
	}
	return int(v.Int64), nil
}

// writeTx runs fn in a BEGIN IMMEDIATE transaction of its own on the
// writer.
func (s *Store) writeTx(ctx context.Context, fn func(txConn) error) error {
	return s.writes.do(ctx, s, fn, false)
}

// InTx runs fn in one write transaction. Calls that wait for the writer at
// the same time share one SQLite transaction, each in a savepoint of its
// own (see writeGroup), and so one fsync.
func (s *Store) InTx(ctx context.Context, fn func(core.Tx) error) error {
	return s.writes.do(ctx, s, func(tx txConn) error { return fn(&sqliteTx{tx: tx}) }, true)
}

// translate turns a driver error into a *core.Error at the boundary.
func translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return core.WrapError(core.ENOTFOUND, err, "%s: not found", what)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) {
		return core.WrapError(core.EUNAVAILABLE, err, "%s", what)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return core.WrapError(core.ECONFLICT, err, "%s: already exists", what)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return core.WrapError(core.EINVALID, err, "%s: refers to something that does not exist", what)
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return core.WrapError(core.EUNAVAILABLE, err, "%s: database unavailable", what)
		}
	}
	return core.WrapError(core.EINTERNAL, err, "%s", what)
}

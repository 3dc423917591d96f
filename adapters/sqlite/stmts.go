package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache prepares each statement once per pool. SQLite otherwise parses
// and plans a statement on every call, which costs more than running the
// short statements the store uses; database/sql keeps the prepared form per
// connection and re-prepares on a new one by itself.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// lookup returns the prepared statement of query, or nil.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// stmt returns the prepared statement of query, preparing it first. It
// needs a free connection of the pool, so it must never be called while
// the caller holds one in a transaction: with the single writer connection
// that would wait forever.
func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok {
		st.Close()
		return old, nil
	}
	c.m[query] = st
	return st, nil
}

// prepare prepares the statements a transaction had to run unprepared,
// once the transaction has given its connection back. A statement that does
// not prepare simply keeps running unprepared.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, q := range queries {
		c.stmt(ctx, q)
	}
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// poolConn runs single statements on a pool through its cache.
type poolConn struct{ c *stmtCache }

func (p poolConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p poolConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p poolConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.c.stmt(ctx, query)
	if err != nil {
		// *sql.Row cannot carry an error of ours; the unprepared query
		// reports the same failure through Scan.
		return p.c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// txConn runs statements inside a transaction, prepared when its pool's
// cache has them and unprepared (noted in missed, to be prepared after the
// transaction) when not.
type txConn struct {
	tx     *sql.Tx
	c      *stmtCache
	missed *[]string
	// shared, when set, replaces the callers' contexts: the transaction
	// carries other callers' work (see writeGroup), and SQLite answers a
	// cancelled statement by rolling back the whole transaction.
	shared context.Context
}

// context returns the context statements run with.
func (t txConn) context(ctx context.Context) context.Context {
	if t.shared != nil {
		return t.shared
	}
	return ctx
}

func (t txConn) stmt(ctx context.Context, query string) *sql.Stmt {
	st := t.c.lookup(query)
	if st == nil {
		if t.missed != nil {
			*t.missed = append(*t.missed, query)
		}
		return nil
	}
	return t.tx.StmtContext(ctx, st)
}

func (t txConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = t.context(ctx)
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t txConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = t.context(ctx)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t txConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = t.context(ctx)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

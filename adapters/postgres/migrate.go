package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/migrations"
)

// Migrate applies pending migrations and reports how many it applied. All of
// them run in one transaction holding an advisory lock, so replicas started
// together apply each migration once and a failed migration leaves the
// schema as it was. Running it again is a no-op.
func (s *Store) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := migrations.List(migrations.Postgres)
	if err != nil {
		return 0, core.WrapError(core.EINTERNAL, err, "embedded postgres migrations")
	}
	conn, err := s.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// Keyed by schema so that test schemas do not wait on each other.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "punchbot.migrate:"+s.schema); err != nil {
			return translate(err, "take the migration lock")
		}
		if s.schema != "" {
			if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
				return translate(err, "create schema "+s.schema)
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return translate(err, "create schema_migrations")
		}
		have, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if have[m.Version] {
				continue
			}
			// No arguments: pgx sends the file with the simple protocol,
			// which runs every statement in it.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return core.WrapError(core.EINTERNAL, err, "apply migration %04d_%s", m.Version, m.Name)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return translate(err, "record migration")
			}
			applied++
		}
		return nil
	})
	if err != nil {
		return 0, translate(err, "migrate")
	}
	return applied, nil
}

func appliedVersions(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (map[int]bool, error) {
	rows, err := q.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, translate(err, "read schema_migrations")
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, translate(err, "read schema_migrations")
	}
	have := map[int]bool{}
	for _, v := range versions {
		have[int(v)] = true
	}
	return have, nil
}

// CheckSchema returns EUNAVAILABLE, naming both versions, unless every
// migration this binary embeds has been applied. A newer schema (applied by
// a newer binary during a rolling deploy) is accepted: migrations only add.
func (s *Store) CheckSchema(ctx context.Context) error {
	ms, err := migrations.List(migrations.Postgres)
	if err != nil {
		return core.WrapError(core.EINTERNAL, err, "embedded postgres migrations")
	}
	need := 0
	if len(ms) > 0 {
		need = ms[len(ms)-1].Version
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return translate(err, "check schema")
	}
	have := map[int]bool{}
	if exists {
		if have, err = appliedVersions(ctx, s.pool); err != nil {
			return err
		}
	}
	current := 0
	for v := range have {
		current = max(current, v)
	}
	for _, m := range ms {
		if !have[m.Version] {
			return &core.Error{Code: core.EUNAVAILABLE,
				Message: fmt.Sprintf("database schema is at version %d, this binary needs %d: run `punchbot migrate`", current, need)}
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration, 0 for an empty
// database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, translate(err, "schema version")
	}
	if !exists {
		return 0, nil
	}
	var v *int32
	if err := s.pool.QueryRow(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, translate(err, "schema version")
	}
	if v == nil {
		return 0, nil
	}
	return int(*v), nil
}

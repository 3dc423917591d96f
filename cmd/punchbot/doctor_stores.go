package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/punchbot/punchbot/adapters/redis"
	"github.com/punchbot/punchbot/adapters/sqlite"
	"github.com/punchbot/punchbot/core"
)

// The doctor's checks of the stores serve would open: the database and Redis.

// database opens the store as serve does. On SQLite an existing file is
// opened, which migrates it just as serve's start would; a missing one is
// left for serve to create.
func (d *doctorRun) database(ctx context.Context) checkResult {
	const pgFix = "check PUNCHBOT_DATABASE_URL (host, port, user, password, database, sslmode) and that PostgreSQL accepts connections from this host"
	if r, bad := d.configFailure(checkDatabase, pgFix); bad {
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, doctorStoreTimeout)
	defer cancel()
	if d.cfg.DatabaseURL == "" {
		return d.sqlite(ctx)
	}
	where := maskURL(d.cfg.DatabaseURL)
	s, err := openPostgres(ctx, d.cfg.DatabaseURL)
	if err != nil {
		return fail(checkDatabase, fmt.Sprintf("PostgreSQL %s: %v", where, err), pgFix)
	}
	defer s.Close()
	if err := s.CheckSchema(ctx); err != nil {
		if core.ErrorCode(err) == core.EUNAVAILABLE && strings.Contains(err.Error(), "punchbot migrate") {
			return fail(checkDatabase, fmt.Sprintf("PostgreSQL %s: %v", where, err), "run `punchbot migrate` with this environment")
		}
		return fail(checkDatabase, fmt.Sprintf("PostgreSQL %s: checking the schema: %v", where, err), pgFix)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fail(checkDatabase, fmt.Sprintf("PostgreSQL %s: reading the schema version: %v", where, err), pgFix)
	}
	return ok(checkDatabase, "PostgreSQL %s answers; schema version %d is current", where, v)
}

func (d *doctorRun) sqlite(ctx context.Context) checkResult {
	path := d.cfg.DBPath
	fix := "check PUNCHBOT_DB_PATH and that this user can read and write " + path + " and its directory (or set PUNCHBOT_DATABASE_URL for PostgreSQL)"
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		// Creating it here would leave an empty store behind wherever
		// doctor happened to run; checking the directory is enough.
		dir := filepath.Dir(path)
		f, err := os.CreateTemp(dir, ".punchbot-doctor-*")
		if err != nil {
			return fail(checkDatabase, fmt.Sprintf("SQLite file %s does not exist and its directory is not writable: %v", path, err), fix)
		}
		f.Close()
		os.Remove(f.Name())
		return ok(checkDatabase, "SQLite file %s does not exist yet; serve creates it (embedded store: one replica only)", path)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		return fail(checkDatabase, fmt.Sprintf("SQLite file %s does not open: %v", path, err), fix)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		return fail(checkDatabase, fmt.Sprintf("SQLite file %s: %v", path, err), fix)
	}
	return ok(checkDatabase, "SQLite file %s opens (embedded store: one replica only)", path)
}

func (d *doctorRun) redis(ctx context.Context) checkResult {
	const fix = "check PUNCHBOT_REDIS_URL (host, port, password, rediss:// for TLS) and that Redis accepts connections from this host; while it is down serve punches on in-process state, but replicas stop sharing rate limits, sessions and the scheduler lock"
	if r, bad := d.configFailure(checkRedis, fix); bad {
		return r
	}
	if d.cfg.RedisURL == "" {
		return skip(checkRedis, "not configured: rate limits, sessions and locks are in-process (one replica only)")
	}
	where := maskURL(d.cfg.RedisURL)
	k, err := redis.Dial(d.cfg.RedisURL, "punchbot:")
	if err != nil {
		return fail(checkRedis, fmt.Sprintf("%s: %v", where, err), fix)
	}
	defer k.Close()
	ctx, cancel := context.WithTimeout(ctx, doctorStoreTimeout)
	defer cancel()
	start := time.Now()
	if err := k.Ping(ctx); err != nil {
		return fail(checkRedis, fmt.Sprintf("PING to %s: %v", where, err), fix)
	}
	return ok(checkRedis, "PING to %s answered in %s", where, time.Since(start).Round(time.Millisecond))
}

package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
	"github.com/punchbot/punchbot/migrations"
)

// testURL returns PUNCHBOT_TEST_DATABASE_URL or skips the test.
func testURL(tb testing.TB) string {
	tb.Helper()
	url := os.Getenv("PUNCHBOT_TEST_DATABASE_URL")
	if url == "" {
		tb.Skip("PUNCHBOT_TEST_DATABASE_URL is not set; skipping PostgreSQL tests (CI sets it)")
	}
	return url
}

// MustOpenSchema opens a store on a fresh schema of its own, not migrated,
// and drops the schema when the test ends.
func MustOpenSchema(tb testing.TB) *Store {
	tb.Helper()
	return mustOpenURL(tb, testURL(tb))
}

func mustOpenURL(tb testing.TB, url string) *Store {
	tb.Helper()
	var buf [6]byte
	if _, err := rand.Read(buf[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "punchbot_test_" + hex.EncodeToString(buf[:])
	ctx := context.Background()
	s, err := OpenWithSchema(ctx, url, schema)
	if err != nil {
		tb.Fatalf("OpenWithSchema: %v", err)
	}
	tb.Cleanup(func() {
		s.Close()
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			tb.Errorf("parse %s: %v", url, err)
			return
		}
		conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
		if err != nil {
			tb.Errorf("connect to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}

// MustOpen opens a migrated store on a schema of its own.
func MustOpen(tb testing.TB) *Store {
	tb.Helper()
	return mustMigrate(tb, MustOpenSchema(tb))
}

func mustMigrate(tb testing.TB, s *Store) *Store {
	tb.Helper()
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	coretest.RunStoreSuite(t, func(t *testing.T) coretest.Store { return MustOpen(t) })
}

func TestMigrateAndCheckSchema(t *testing.T) {
	s := MustOpenSchema(t)
	ctx := context.Background()
	latest, err := migrations.Latest(migrations.Postgres)
	if err != nil {
		t.Fatal(err)
	}

	err = s.CheckSchema(ctx)
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("CheckSchema on an empty schema = %v, want unavailable", err)
	}
	want := "database schema is at version 0, this binary needs " + strconv.Itoa(latest) + ": run `punchbot migrate`"
	if got := core.ErrorMessage(err); got != want {
		t.Errorf("CheckSchema message = %q, want %q", got, want)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Errorf("SchemaVersion before migrating = %d, %v, want 0", v, err)
	}
	// Before migrating, using the store says what to do.
	_, err = s.EventReply(ctx, "slack", "x")
	if core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(err.Error(), "punchbot migrate") {
		t.Errorf("EventReply on an empty schema = %v, want unavailable naming punchbot migrate", err)
	}

	// Replicas starting together: every migration is applied exactly once.
	var wg sync.WaitGroup
	applied := make([]int, 4)
	errs := make([]error, 4)
	for i := range applied {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range applied {
		if errs[i] != nil {
			t.Fatalf("concurrent Migrate #%d: %v", i, errs[i])
		}
		total += applied[i]
	}
	ms, _ := migrations.List(migrations.Postgres)
	if total != len(ms) {
		t.Errorf("concurrent Migrate applied %d migrations in total, want %d", total, len(ms))
	}
	if n, err := s.Migrate(ctx); err != nil || n != 0 {
		t.Errorf("Migrate again = %d, %v, want 0", n, err)
	}
	if err := s.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema after Migrate: %v", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
		t.Errorf("SchemaVersion = %d, %v, want %d", v, err, latest)
	}

	// A schema missing a migration this binary needs is refused.
	if _, err := s.pool.Exec(ctx, `DELETE FROM schema_migrations WHERE version = $1`, latest); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckSchema(ctx); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("CheckSchema with version %d missing = %v, want unavailable", latest, err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "postgres://user:secret@host:notaport/db"); core.ErrorCode(err) != core.EINVALID || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open with a bad URL = %v, want invalid without the password", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := Open(cctx, "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("Open with nothing listening = %v, want unavailable", err)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	s.Close()
	checks := map[string]error{
		"Ping": s.Ping(ctx),
		"InTx": s.InTx(ctx, func(tx core.Tx) error {
			return tx.InsertAudit(ctx, core.AuditEntry{At: time.Now(), Actor: "t", Action: "x"})
		}),
		"Event": func() error { _, err := s.EventReply(ctx, "slack", "x"); return err }(),
	}
	for name, err := range checks {
		if core.ErrorCode(err) != core.EUNAVAILABLE {
			t.Errorf("%s on a closed store = %v, want unavailable", name, err)
		}
	}
}

// Two transactions locking the same employee run one after the other.
func TestLockEmployeeSerialises(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	entered := make(chan struct{})
	release := make(chan struct{})
	done := make(chan time.Time, 1)
	go func() {
		s.InTx(ctx, func(tx core.Tx) error {
			tx.LockEmployee(ctx, "e1")
			if _, err := tx.ShiftPunches(ctx, "e1", "d"); err != nil {
				return err
			}
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	go func() {
		s.InTx(ctx, func(tx core.Tx) error {
			tx.LockEmployee(ctx, "e1")
			_, err := tx.ShiftPunches(ctx, "e1", "d")
			done <- time.Now()
			return err
		})
	}()
	// Another employee is not blocked.
	other := make(chan error, 1)
	go func() {
		other <- s.InTx(ctx, func(tx core.Tx) error {
			tx.LockEmployee(ctx, "e2")
			_, err := tx.ShiftPunches(ctx, "e2", "d")
			return err
		})
	}()
	select {
	case err := <-other:
		if err != nil {
			t.Fatalf("other employee: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("a lock on e1 blocked e2")
	}
	select {
	case <-done:
		t.Fatalf("second transaction got e1's lock while the first held it")
	case <-time.After(200 * time.Millisecond):
	}
	released := time.Now()
	close(release)
	select {
	case at := <-done:
		if at.Before(released) {
			t.Errorf("second transaction ran before the first released the lock")
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("second transaction never got the lock")
	}
}

package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
	"github.com/punchbot/punchbot/migrations"
)

// MustOpen opens a store on a fresh file in a temporary directory and closes
// it when the test ends.
func MustOpen(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), filepath.Join(tb.TempDir(), "punchbot.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	coretest.RunStoreSuite(t, func(t *testing.T) coretest.Store { return MustOpen(t) })
}

func TestOpenMigratesOnceAndKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "dir", "punchbot.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	latest, err := migrations.Latest(migrations.SQLite)
	if err != nil {
		t.Fatalf("Latest: %v", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != latest {
		t.Errorf("SchemaVersion = %d, %v, want %d", v, err, latest)
	}
	p := core.Punch{EmployeeID: "e1", Kind: core.KindIn, At: time.Now(), ReceivedAt: time.Now(), ShiftDate: "2026-11-26", Source: "slack", EventID: "x", Outcome: core.OutcomeAccepted}
	if err := s.InTx(ctx, func(tx core.Tx) error { return tx.InsertPunch(ctx, &p) }); err != nil {
		t.Fatalf("InsertPunch: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if n, err := s.migrate(ctx); err != nil || n != 0 {
		t.Errorf("migrate on an up-to-date file applied %d, %v, want 0", n, err)
	}
	ps, err := s.ListPunches(ctx, core.PunchFilter{})
	if err != nil || len(ps) != 1 || ps[0].ID != p.ID {
		t.Errorf("after reopen ListPunches = %+v, %v, want the punch", ps, err)
	}
}

func TestPragmas(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL: an acknowledged punch survives power loss
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"temp_store", "2"}, // MEMORY: savepoints' journals cost no syscalls
	}
	for _, tc := range tests {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("writer PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
		if err := s.r.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("reader PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
}

// Concurrent transactions queue for the writer instead of failing with
// SQLITE_BUSY, including ones that read before they write.
func TestConcurrentTransactionsNeverBusy(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	const workers, each = 16, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := s.InTx(ctx, func(tx core.Tx) error {
					if _, err := tx.ShiftPunches(ctx, "e1", "2026-11-26"); err != nil {
						return err
					}
					p := core.Punch{EmployeeID: "e1", Kind: core.KindIn, At: time.Now(), ReceivedAt: time.Now(), ShiftDate: "2026-11-26",
						Source: "slack", EventID: string(rune('a'+w)) + "-" + string(rune('a'+i)), Outcome: core.OutcomeAccepted}
					return tx.InsertPunch(ctx, &p)
				})
				if err != nil {
					errs <- err
					return
				}
				if _, err := s.ListPunches(ctx, core.PunchFilter{EmployeeID: "e1", Limit: 5}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent InTx: %v", err)
	}
	ps, err := s.ListPunches(ctx, core.PunchFilter{})
	if err != nil || len(ps) != workers*each {
		t.Errorf("punches = %d, %v, want %d", len(ps), err, workers*each)
	}
}

func TestPanicInTxRollsBackAndFreesTheWriter(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("panic was swallowed")
			}
		}()
		s.InTx(ctx, func(tx core.Tx) error {
			p := core.Punch{EmployeeID: "e1", At: time.Now(), ReceivedAt: time.Now(), Source: "slack", Outcome: core.OutcomeAccepted}
			if err := tx.InsertPunch(ctx, &p); err != nil {
				return err
			}
			panic("bug")
		})
	}()
	done := make(chan error, 1)
	go func() {
		done <- s.InTx(ctx, func(tx core.Tx) error {
			return tx.InsertAudit(ctx, core.AuditEntry{At: time.Now(), Actor: "t", Action: "x"})
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("InTx after a panic: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("the writer is still held after a panic")
	}
	if ps, _ := s.ListPunches(ctx, core.PunchFilter{}); len(ps) != 0 {
		t.Errorf("punches after a panicking transaction = %d, want 0", len(ps))
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory", "x.db?_pragma=foo"} {
		_, err := Open(context.Background(), path)
		if core.ErrorCode(err) != core.EINVALID {
			t.Errorf("Open(%q) error = %v, want EINVALID", path, err)
		}
	}
}

func TestOpenUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write anywhere")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), filepath.Join(dir, "x", "punchbot.db"))
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("Open in a read-only directory error = %v, want EUNAVAILABLE", err)
	}
}

func TestTranslate(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	_, err := s.w.ExecContext(ctx, `INSERT INTO events (source, event_id, reply, created_at) VALUES ('a', 'b', '{}', 0)`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO events (source, event_id, reply, created_at) VALUES ('a', 'b', '{}', 0)`)
	if got := core.ErrorCode(translate(err, "x")); got != core.ECONFLICT {
		t.Errorf("duplicate key translated to %q (%v), want conflict", got, err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO identities (platform, tenant, user_id, employee_id) VALUES ('slack', '', 'u', 'nobody')`)
	if got := core.ErrorCode(translate(err, "x")); got != core.EINVALID {
		t.Errorf("foreign key violation translated to %q (%v), want invalid", got, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err = s.InTx(cancelled, func(core.Tx) error { return nil })
	if got := core.ErrorCode(err); got != core.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled InTx error = %v (%s), want unavailable wrapping context.Canceled", err, got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); core.ErrorCode(err) != core.EUNAVAILABLE || !strings.Contains(err.Error(), "ping") {
		t.Errorf("Ping on a closed store = %v, want unavailable", err)
	}
}

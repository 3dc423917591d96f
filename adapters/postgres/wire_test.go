package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Every type sendPlain encodes itself arrives as pgx would have sent it.
func TestSendPlainEncodesLikePgx(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `CREATE TABLE w (k text PRIMARY KEY, t text, j json, jb jsonb, b boolean, i4 integer, i8 bigint,
		f8 double precision, ts timestamptz, ta text[], ia bigint[])`); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO w (k, t, j, jb, b, i4, i8, f8, ts, ta, ia) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	tests := []struct {
		name string
		args []any
	}{
		{"typical", []any{"typical", "上班 ok", []byte(`{"a":1}`), `["x","y"]`, true, int32(-7), int64(1) << 40, 31.2304, time.Date(2026, 3, 2, 1, 0, 0, 123456000, time.UTC),
			[]string{"e1", "员工"}, []int64{3, -4}}},
		{"nulls and empties", []any{"nulls", "", []byte(nil), "[]", false, nil, int32(0), 0.0, nil, []string{}, []int64{}}},
		{"before 2000", []any{"old", "x", `{}`, []byte(`{"k":"v"}`), false, 42, int64(-1), -0.5, time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC),
			[]string{""}, []int64{0}}},
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, tc := range tests {
		if err := s.sendPlain(ctx, conn, []stmt{{what: tc.name, sql: insert, args: tc.args}}); err != nil {
			t.Fatalf("%s: sendPlain: %v", tc.name, err)
		}
		// The same row through pgx, under another key, must read back alike.
		key := tc.args[0].(string)
		viaPgx := append([]any{key + "/pgx"}, tc.args[1:]...)
		if _, err := s.pool.Exec(ctx, insert, viaPgx...); err != nil {
			t.Fatalf("%s: pgx insert: %v", tc.name, err)
		}
		const cols = `coalesce(t, '<null>'), coalesce(j::text, '<null>'), coalesce(jb::text, '<null>'), coalesce(b::text, '<null>'),
			coalesce(i4::text, '<null>'), coalesce(i8::text, '<null>'), coalesce(f8::text, '<null>'), coalesce(ts::text, '<null>'),
			coalesce(ta::text, '<null>'), coalesce(ia::text, '<null>')`
		read := func(key string) []string {
			t.Helper()
			row := make([]string, 10)
			dst := make([]any, len(row))
			for i := range row {
				dst[i] = &row[i]
			}
			if err := s.pool.QueryRow(ctx, `SELECT `+cols+` FROM w WHERE k = $1`, key).Scan(dst...); err != nil {
				t.Fatalf("%s: read %s: %v", tc.name, key, err)
			}
			return row
		}
		if got, want := read(key), read(key+"/pgx"); !slices.Equal(got, want) {
			t.Errorf("%s: sent as\n %q\nwant (as pgx sends it)\n %q", tc.name, got, want)
		}
	}

	// A type it does not encode leaves the statement to pgx, unsent.
	err = s.sendPlain(ctx, conn, []stmt{{what: "uuid", sql: `INSERT INTO w (k, t) VALUES ($1, $2)`, args: []any{"other", struct{}{}}}})
	if !errors.Is(err, errNotPlain) {
		t.Errorf("sendPlain with an unknown type = %v, want errNotPlain", err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM w WHERE k = 'other'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows after a refused statement = %d, %v, want 0", n, err)
	}

	// A failing statement names itself, and nothing of the batch stays.
	err = s.sendPlain(ctx, conn, []stmt{
		{what: "first", sql: `INSERT INTO w (k) VALUES ($1)`, args: []any{"kept?"}},
		{what: "duplicate typical row", sql: `INSERT INTO w (k) VALUES ($1)`, args: []any{"typical"}},
	})
	if err == nil || !strings.Contains(err.Error(), "duplicate typical row") {
		t.Errorf("sendPlain with a duplicate = %v, want an error naming the statement", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM w WHERE k = 'kept?'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows of a failed batch = %d, %v, want 0", n, err)
	}
}

// A connection lost under a plain commit is an EUNAVAILABLE error, and the
// connection is closed so that the pool does not hand it out again.
func TestSendPlainOnALostConnection(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `CREATE TABLE lost (k text PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	insert := stmt{what: "insert lost row", sql: `INSERT INTO lost (k) VALUES ($1)`, args: []any{"a"}}
	if err := s.sendPlain(ctx, conn, []stmt{insert}); err != nil { // prepares it
		t.Fatalf("first sendPlain: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, conn.Conn().PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	insert.args = []any{"b"}
	err = s.sendPlain(ctx, conn, []stmt{insert})
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("sendPlain on a terminated connection = %v, want EUNAVAILABLE", err)
	}
	if !conn.Conn().PgConn().IsClosed() {
		t.Errorf("the broken connection is still open")
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM lost WHERE k = 'b'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows sent on the lost connection = %d, %v, want 0", n, err)
	}
}

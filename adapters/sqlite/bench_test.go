package sqlite

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// BenchmarkHandleVsRawInsert compares punches/s through core.Service.Handle
// with raw single-row INSERTs (database/sql, autocommit) of the same row into
// a copy of the punches table with the same indexes, both with 16 concurrent
// callers, in one run, on a durable file (WAL, synchronous=FULL):
//
//	go test -run '^$' -bench HandleVsRawInsert -benchtime 4000x ./adapters/sqlite/
//
// SQLite has one writer, so both sides queue for it; the raw side pays one
// fsync per row, while punches that wait for the writer together share a
// transaction and its fsync (see group.go).
func BenchmarkHandleVsRawInsert(b *testing.B) {
	s := MustOpen(b)
	ctx := context.Background()
	var ddl string
	if err := s.w.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = 'punches'`).Scan(&ddl); err != nil {
		b.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE raw_punches`+ddl[len("CREATE TABLE punches"):]); err != nil {
		b.Fatal(err)
	}
	for _, idx := range []string{
		`CREATE UNIQUE INDEX raw_punches_event_key ON raw_punches (source, event_id) WHERE event_id <> ''`,
		`CREATE INDEX raw_punches_employee_shift_idx ON raw_punches (employee_id, shift_date, at, id)`,
		`CREATE INDEX raw_punches_employee_at_idx ON raw_punches (employee_id, at, id)`,
		`CREATE INDEX raw_punches_at_idx ON raw_punches (at)`,
	} {
		if _, err := s.w.ExecContext(ctx, idx); err != nil {
			b.Fatal(err)
		}
	}
	coretest.RunHandleVsRaw(b, s, func(ctx context.Context, i int) error {
		cmd := coretest.BenchCommand(i, coretest.BenchEmployees, coretest.BenchSitesPer)
		p := core.Punch{EmployeeID: "b001", Kind: core.KindIn, At: cmd.At, ReceivedAt: cmd.ReceivedAt, ShiftDate: cmd.At.Format(core.DateLayout),
			Source: "slack", EventID: cmd.EventID, HasLocation: true, Lat: cmd.Location.Lat, Lng: cmd.Location.Lng, AccuracyM: cmd.Location.AccuracyM,
			SiteID: "s001-4", DistanceM: 1.1, Outcome: core.OutcomeAccepted, TimeResult: core.TimeNormal}
		// Prepared once, as the store's own statements are.
		_, err := poolConn{s.ws}.ExecContext(ctx, `INSERT INTO raw_punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location,
			lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.EmployeeID, string(p.Kind), micros(p.At), micros(p.ReceivedAt), p.ShiftDate, p.Source, p.EventID, boolInt(p.HasLocation),
			p.Lat, p.Lng, p.AccuracyM, p.Label, p.SiteID, p.DistanceM, p.ClientIP, string(p.Outcome), string(p.TimeResult), p.LateMin, p.EarlyMin,
			jsonList(p.Reasons), jsonList(p.Flags), p.MakeupID)
		return err
	})
}

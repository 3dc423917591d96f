package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// BenchmarkHandleVsRawInsert compares punches/s through core.Service.Handle
// with raw single-row INSERTs of the same row into a copy of the punches
// table (same columns and indexes), both with 16 concurrent callers on one
// pool of 16 connections, in one run:
//
//	PUNCHBOT_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench HandleVsRawInsert -benchtime 20000x ./adapters/postgres/
func BenchmarkHandleVsRawInsert(b *testing.B) {
	url := testURL(b)
	if strings.Contains(url, "?") {
		url += "&pool_max_conns=16"
	} else {
		url += "?pool_max_conns=16"
	}
	s := mustMigrate(b, mustOpenURL(b, url))
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `CREATE TABLE raw_punches (LIKE punches INCLUDING ALL)`); err != nil {
		b.Fatal(err)
	}
	raw := `INSERT INTO raw_punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location,
		lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`
	coretest.RunHandleVsRaw(b, s, func(ctx context.Context, i int) error {
		cmd := coretest.BenchCommand(i, coretest.BenchEmployees, coretest.BenchSitesPer)
		p := core.Punch{EmployeeID: "b001", Kind: core.KindIn, At: cmd.At, ReceivedAt: cmd.ReceivedAt, ShiftDate: cmd.At.Format(core.DateLayout),
			Source: "slack", EventID: cmd.EventID, HasLocation: true, Lat: cmd.Location.Lat, Lng: cmd.Location.Lng, AccuracyM: cmd.Location.AccuracyM,
			SiteID: "s001-4", DistanceM: 1.1, Outcome: core.OutcomeAccepted, TimeResult: core.TimeNormal}
		_, err := s.pool.Exec(ctx, raw, punchArgs(&p)...)
		return err
	})
}

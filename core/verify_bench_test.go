package core_test

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// BenchmarkVerify measures the verification rules alone (no storage) for an
// employee with five sites, the target being ≥ 200,000 punches/s on
// one core: go test -run '^$' -bench Verify -cpu 1 ./core/
func BenchmarkVerify(b *testing.B) {
	r := roster(b, "E1")
	r.Sites = []core.Site{office, shanghai, nyc,
		{ID: "s4", Name: "四", Lat: 22.5431, Lng: 114.0579, RadiusM: 300},
		{ID: "s5", Name: "五", Lat: 30.5728, Lng: 104.0668, RadiusM: 300}}
	cfg := core.DefaultConfig()
	at := sh(b, "2026-11-26 08:55:00")
	prior := []core.Punch{{Kind: core.KindIn, At: at.Add(-time.Hour), ShiftDate: "2026-11-26", Outcome: core.OutcomeRejected}}
	last := &core.Punch{Lat: office.Lat, Lng: office.Lng, At: at.Add(-20 * time.Hour), HasLocation: true, EventID: "x"}
	gLat, gLng := core.WGS84ToGCJ02(office.Lat+0.0003, office.Lng)
	in := core.VerifyInput{
		Roster: r, Config: &cfg, Kind: core.KindAuto,
		Command:      core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, UserID: "zhangsan"}, Kind: core.CmdPunch, At: at, ReceivedAt: at.Add(time.Second), EventID: "e"},
		Location:     &core.Location{Lat: gLat, Lng: gLng, AccuracyM: 20, Datum: core.GCJ02},
		ShiftPunches: func(string) ([]core.Punch, error) { return prior, nil },
		LastLocated:  func(time.Time) (*core.Punch, error) { return last, nil },
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := core.Verify(in)
		if err != nil || p.Outcome != core.OutcomeAccepted {
			b.Fatalf("Verify = %+v, %v", p, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "punches/s")
}

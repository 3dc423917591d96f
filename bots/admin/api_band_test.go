package admin

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestPunchJSONDistanceBand: a punch the retention job reduced to a site
// and a distance band shows the band in /api/v1/punches; it showed only
// distance_m null, as if the punch had never had a position.
func TestPunchJSONDistanceBand(t *testing.T) {
	at := time.Date(2026, 11, 2, 0, 36, 0, 0, time.UTC)
	tests := []struct {
		name     string
		p        core.Punch
		wantBand string
		wantDist bool
	}{
		{"precise", core.Punch{At: at, SiteID: "wangjing", HasLocation: true, Lat: 39.9965, Lng: 116.4803, DistanceM: 42}, "≤100 m", true},
		{"reduced", core.ReducePunch(core.Punch{At: at, SiteID: "wangjing", HasLocation: true, Lat: 39.9965, Lng: 116.4803, DistanceM: 250}), "100–300 m", false},
		{"reduced far", core.ReducePunch(core.Punch{At: at, HasLocation: true, Lat: 40.1, Lng: 116.4803, DistanceM: 12000}), ">5 km", false},
		{"no position", core.Punch{At: at, Source: "makeup"}, "", false},
	}
	for _, tt := range tests {
		j := toPunchJSON(tt.p, time.UTC)
		if j.DistanceBand != tt.wantBand || (j.DistanceM != nil) != tt.wantDist {
			t.Errorf("%s: distance_band %q, distance_m set %v; want %q, %v", tt.name, j.DistanceBand, j.DistanceM != nil, tt.wantBand, tt.wantDist)
		}
	}
}

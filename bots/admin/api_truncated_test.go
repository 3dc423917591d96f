package admin

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// TestListPunchesSaysWhenCut: /api/v1/punches stops at limit (1000 by
// default) with the oldest first; a cut answer carries X-Punchbot-Truncated
// with the limit, a complete one does not. A cut answer looked complete
// and silently lacked the newest punches.
func TestListPunchesSaysWhenCut(t *testing.T) {
	f := MustFixture(t, testToken)
	f.MustDo(t, http.MethodPut, "/api/v1/org", ExampleOrg(), http.StatusOK)
	kv := coretest.NewMemKV(func() time.Time { return f.now })
	svc := core.NewService(f.store, kv, kv, core.DefaultConfig(), func() time.Time { return f.now })
	cst := time.FixedZone("CST", 8*3600)
	wangjing := core.Location{Lat: 39.9965, Lng: 116.4803, AccuracyM: 15, Datum: core.WGS84}
	for i, at := range []time.Time{time.Date(2026, 9, 14, 8, 55, 0, 0, cst), time.Date(2026, 9, 14, 18, 5, 0, 0, cst), time.Date(2026, 9, 15, 8, 50, 0, 0, cst)} {
		f.now = at
		kind := core.KindIn
		if i == 1 {
			kind = core.KindOut
		}
		loc := wangjing
		if _, err := svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeb, UserID: "E001"}, Kind: core.CmdPunch, Punch: kind, Location: &loc, EventID: "ev" + string(rune('1'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query      string
		wantN      int
		wantHeader string
	}{
		{"limit=2", 2, "2"},
		{"limit=1", 1, "1"},
		{"limit=3", 3, ""},
		{"", 3, ""},
		{"from=2026-09-15&limit=1", 1, ""},
	}
	for _, tt := range tests {
		rec := f.do(http.MethodGet, "/api/v1/punches?"+tt.query, "Bearer "+testToken, nil)
		got := MustDecode[[]punchJSON](t, rec.Body.Bytes())
		if len(got) != tt.wantN || rec.Header().Get(truncatedHeader) != tt.wantHeader {
			t.Errorf("?%s: %d punches, %s %q; want %d, %q", tt.query, len(got), truncatedHeader, rec.Header().Get(truncatedHeader), tt.wantN, tt.wantHeader)
		}
	}
}

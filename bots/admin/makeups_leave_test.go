package admin

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// TestApprovalsAPIByType: leave and trips filed in chat are listed by type
// through GET /api/v1/makeups, approved through POST …/approve (HR at the
// console, or the manager named in "by"), refused to anyone else, and the
// daily report then shows them.
func TestApprovalsAPIByType(t *testing.T) {
	f := &fixture{store: &memStore{MemStore: coretest.NewMemStore()}, mux: http.NewServeMux()}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	f.now = time.Date(2026, 12, 2, 10, 0, 0, 0, shanghai)
	now := func() time.Time { return f.now }
	parsed, err := ParseOrg(ExampleOrg())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.ApplyOrg(context.Background(), parsed, core.AuditEntry{Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	kv := coretest.NewMemKV(now)
	svc := core.NewService(f.store.MemStore, kv, kv, core.DefaultConfig(), now)
	New(Deps{Store: f.store, Token: testToken, Zone: shanghai, Now: now, Log: slog.New(slog.DiscardHandler), Makeups: svc, Reports: f.store}).Register(f.mux)

	ctx := context.Background()
	file := func(a core.LeaveArgs) int64 {
		v, err := svc.RequestLeave(ctx, "E001", a, core.PlatformWeCom)
		if err != nil {
			t.Fatal(err)
		}
		return v.Request.ID
	}
	leave := file(core.LeaveArgs{Type: core.RequestLeave, From: "12-03", StartClock: "09:00", EndClock: "12:00", LeaveType: "sick", Reason: "看牙"})
	trip := file(core.LeaveArgs{Type: core.RequestTrip, From: "12-04", Place: "上海"})

	list := MustDecode[[]makeupJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/makeups?type=leave&status=pending", nil, http.StatusOK))
	if len(list) != 1 || list[0].ID != leave || list[0].Type != "leave" || list[0].LeaveType != "sick" ||
		list[0].Start != "2026-12-03T09:00:00+08:00" || list[0].End != "2026-12-03T12:00:00+08:00" {
		t.Fatalf("pending leave = %+v, want the sick leave with its period", list)
	}
	if all := MustDecode[[]makeupJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/makeups?type=leave,trip", nil, http.StatusOK)); len(all) != 2 || all[1].Place != "上海" {
		t.Errorf("leave and trips = %+v, want both, the trip to 上海", all)
	}
	f.MustDo(t, http.MethodGet, "/api/v1/makeups?type=holiday", nil, http.StatusBadRequest)

	// E002 is not E001's approver: refused, nothing changes.
	f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+strconv.FormatInt(leave, 10)+"/approve", []byte(`{"by":"E002"}`), http.StatusForbidden)
	f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+strconv.FormatInt(leave, 10)+"/approve", []byte(`{"by":"M001"}`), http.StatusOK)
	f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+strconv.FormatInt(trip, 10)+"/approve", nil, http.StatusOK)
	f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+strconv.FormatInt(trip, 10)+"/reject", []byte(`{"note":"late"}`), http.StatusConflict)

	f.now = time.Date(2026, 12, 5, 10, 0, 0, 0, shanghai)
	daily := MustCSV(t, f.get("/api/v1/reports/daily?date=2026-12-03&to=2026-12-04&format=csv").Body.Bytes())
	col := func(h string) int { return slices.Index(daily[0], h) }
	got := map[string]string{}
	for _, r := range daily[1:] {
		if r[1] == "E001" {
			got[r[0]] = r[col("结果")] + "|" + r[col("请假")] + "|" + r[col("出差/外出")]
		}
	}
	want := map[string]string{"2026-12-03": "旷工、请假|病假 0.5天（3小时）|", "2026-12-04": "出差||出差：上海"}
	for d, w := range want {
		if got[d] != w {
			t.Errorf("E001 on %s = %q, want %q", d, got[d], w)
		}
	}
}

package admin

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// makeupFixture is an API with the make-up endpoints over a real service:
// 张三 reports to 王经理; 韩 is HR; 同事 is neither.
func makeupFixture(tb testing.TB) (*fixture, *core.Service) {
	tb.Helper()
	f := &fixture{store: &memStore{MemStore: coretest.NewMemStore()}, mux: http.NewServeMux()}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	f.now = time.Date(2026, 11, 26, 10, 0, 0, 0, shanghai)
	now := func() time.Time { return f.now }
	wecom := func(u string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformWeCom, Tenant: "corp", UserID: u}}
	}
	org := core.Org{
		Name: "Acme", TimeZone: "Asia/Shanghai",
		Schedules: []core.Schedule{{ID: "day", WorkDays: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
			StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360}},
		Employees: []core.Employee{
			{ID: "E1", Name: "张三", Active: true, ScheduleID: "day", ManagerID: "M1", Identities: wecom("zhangsan")},
			{ID: "M1", Name: "王经理", Role: core.RoleManager, Active: true, Identities: wecom("wang")},
			{ID: "H1", Name: "韩", Role: core.RoleHR, Active: true, Identities: wecom("han")},
			{ID: "P1", Name: "同事", Active: true, ManagerID: "M1", Identities: wecom("peer")},
		},
		Makeup: core.MakeupPolicy{MonthlyQuota: 5, DeadlineDays: 7},
	}
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	kv := coretest.NewMemKV(now)
	svc := core.NewService(f.store.MemStore, kv, kv, core.DefaultConfig(), now)
	New(Deps{Store: f.store, Token: testToken, Zone: shanghai, Now: now, Log: slog.New(slog.DiscardHandler), Makeups: svc}).Register(f.mux)
	return f, svc
}

func TestMakeupsAPI(t *testing.T) {
	f, svc := makeupFixture(t)
	ctx := context.Background()
	file := func(date string) int64 {
		v, err := svc.RequestMakeup(ctx, "E1", core.MakeupArgs{Date: date, Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障"}, core.PlatformWeCom)
		if err != nil {
			t.Fatal(err)
		}
		return v.Request.ID
	}
	a, b, c := file("11-23"), file("11-24"), file("11-25")

	list := MustDecode[[]makeupJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/makeups?status=pending", nil, http.StatusOK))
	if len(list) != 3 || list[0].ID != a || list[0].EmployeeName != "张三" || list[0].ApproverID != "M1" || list[0].AtLocal != "2026-11-23T09:00:00+08:00" || list[0].At != "2026-11-23T01:00:00Z" {
		t.Fatalf("pending = %+v", list)
	}

	// HR at the console approves; a colleague named as the actor cannot.
	got := MustDecode[makeupJSON](t, f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+itoa(a)+"/approve", nil, http.StatusOK))
	if got.Status != "approved" || got.DecidedBy != core.ActorAdmin || got.PunchID == 0 {
		t.Errorf("approve = %+v", got)
	}
	f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+itoa(b)+"/reject", []byte(`{"by":"P1","note":"no"}`), http.StatusForbidden)
	got = MustDecode[makeupJSON](t, f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+itoa(b)+"/reject", []byte(`{"by":"H1","note":"重复"}`), http.StatusOK))
	if got.Status != "rejected" || got.DecidedBy != "H1" || got.Note != "重复" || got.PunchID != 0 {
		t.Errorf("reject = %+v", got)
	}

	// A second decision is a conflict that says how it ended.
	conflict := MustDecode[struct {
		Code    string     `json:"code"`
		Request makeupJSON `json:"request"`
	}](t, f.MustDo(t, http.MethodPost, "/api/v1/makeups/"+itoa(a)+"/reject", nil, http.StatusConflict))
	if conflict.Code != core.ECONFLICT || conflict.Request.Status != "approved" {
		t.Errorf("conflict = %+v", conflict)
	}

	for _, tc := range []struct {
		method, target, body string
		status               int
	}{
		{http.MethodPost, "/api/v1/makeups/" + itoa(c) + "/maybe", "", http.StatusNotFound},
		{http.MethodPost, "/api/v1/makeups/x/approve", "", http.StatusBadRequest},
		{http.MethodPost, "/api/v1/makeups/999/approve", "", http.StatusNotFound},
		{http.MethodPost, "/api/v1/makeups/" + itoa(c) + "/approve", `{"who":"H1"}`, http.StatusBadRequest},
		{http.MethodGet, "/api/v1/makeups?status=open", "", http.StatusBadRequest},
	} {
		f.MustDo(t, tc.method, tc.target, []byte(tc.body), tc.status)
	}
	if rec := f.do(http.MethodPost, "/api/v1/makeups/"+itoa(c)+"/approve", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", rec.Code)
	}
	if v, _ := svc.MakeupView(ctx, c); v.Request.Status != core.MakeupPending {
		t.Errorf("refused requests changed request %d to %s", c, v.Request.Status)
	}

	done := MustDecode[[]makeupJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/makeups?status=approved,rejected", nil, http.StatusOK))
	if len(done) != 2 {
		t.Errorf("decided = %+v", done)
	}
	all := MustDecode[[]makeupJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/makeups?employee=E1", nil, http.StatusOK))
	if len(all) != 3 {
		t.Errorf("all = %d", len(all))
	}
	audit := MustDecode[[]auditJSON](t, f.MustDo(t, http.MethodGet, "/api/v1/audit?limit=4", nil, http.StatusOK))
	audit = audit[2:] // the newest two are the reads above, audited for the people they returned (access.go)
	if len(audit) != 2 || audit[0].Action != "makeup.rejected" || audit[0].Actor != "H1" || audit[1].Action != "makeup.approved" || audit[1].Actor != core.ActorAdmin {
		t.Errorf("audit = %+v", audit)
	}
}

func TestMakeupsAPIWithoutCore(t *testing.T) {
	f := MustFixture(t, testToken)
	f.MustDo(t, http.MethodGet, "/api/v1/makeups", nil, http.StatusServiceUnavailable)
	f.MustDo(t, http.MethodPost, "/api/v1/makeups/1/approve", nil, http.StatusServiceUnavailable)
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

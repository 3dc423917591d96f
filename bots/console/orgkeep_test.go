package console

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestConsoleKeepsOrgSettings: neither a form edit nor an applied file that
// leaves them out changes the organisation's device binding, make-up policy
// or leave types (an apply never deletes; admin.ParseOrgOver).
func TestConsoleKeepsOrgSettings(t *testing.T) {
	policy := core.DevicePolicy{Default: core.DeviceBindingRequired, Schedules: map[string]core.DeviceBinding{"day": core.DeviceBindingOptional}}
	steps := []struct {
		name string
		do   func(t *testing.T, f *fixture, hr *client) int
	}{
		{"a schedule form edit", func(t *testing.T, f *fixture, hr *client) int {
			return hr.post(t, "/org/schedules/day", url.Values{"name": {"标准班"}, "work_days": {"mon", "tue"}, "start": {"09:00"}, "end": {"18:00"},
				"check_in_opens_min": {"120"}, "out_of_range": {"reject"}}).Status
		}},
		{"an applied file naming only the organisation", func(t *testing.T, f *fixture, hr *client) int {
			file := "name: Acme China\n" // a change, so there is something to confirm
			res := hr.post(t, "/org/apply", url.Values{"text": {file}})
			if res.Status != http.StatusOK {
				t.Fatalf("review = %d:\n%s", res.Status, res.Body)
			}
			res = hr.post(t, "/org/apply", url.Values{"text": {file}, "confirm": {"1"}, "base": {between(res.Body, `name="base" value="`, `"`)}})
			if res.Status != http.StatusSeeOther {
				t.Logf("apply answered:\n%s", res.Body)
			}
			return res.Status
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			f := MustFixture(t, true)
			ctx := context.Background()
			org, err := f.store.Org(ctx)
			if err != nil {
				t.Fatal(err)
			}
			org.Devices = policy
			org.LeaveTypes = []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 7, Paid: true}, {ID: "sick", Name: "病假", Paid: true}}
			if _, err := f.store.ApplyOrg(ctx, org, core.AuditEntry{At: f.clock.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
				t.Fatal(err)
			}
			before, _ := f.store.Org(ctx)
			if got := st.do(t, f, f.MustSignIn(t, "H1")); got != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", got)
			}
			got, err := f.store.DevicePolicy(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.Default != policy.Default || got.Schedules["day"] != policy.Schedules["day"] {
				t.Errorf("device policy after %s = %+v, want %+v", st.name, got, policy)
			}
			after, _ := f.store.Org(ctx)
			if after.Makeup != before.Makeup || len(after.LeaveTypes) != len(before.LeaveTypes) {
				t.Errorf("after %s: makeup %+v and %d leave types, want %+v and %d", st.name, after.Makeup, len(after.LeaveTypes), before.Makeup, len(before.LeaveTypes))
			}
			for i := range min(len(after.LeaveTypes), len(before.LeaveTypes)) {
				if after.LeaveTypes[i].AnnualQuotaDays != before.LeaveTypes[i].AnnualQuotaDays {
					t.Errorf("after %s: leave type %s quota %v, want %v", st.name, after.LeaveTypes[i].ID, after.LeaveTypes[i].AnnualQuotaDays, before.LeaveTypes[i].AnnualQuotaDays)
				}
			}
		})
	}
}

// TestTranslateNewProblems: the org file's clearer messages read in
// Chinese on the console.
func TestTranslateNewProblems(t *testing.T) {
	for _, c := range []struct{ msg, want string }{
		{"coordinates 116.4803,39.9965 are not a place on Earth: a latitude is within ±90; lat and lng may be swapped (lat: 39.9965, lng: 116.4803)",
			"坐标 116.4803,39.9965 不是地球上的位置：纬度应在 ±90 之内，lat 和 lng 可能写反了（lat: 39.9965, lng: 116.4803）"},
		{`must be a list, not the single value "wangjing"; write [wangjing] for a list of one`, `必须是列表，而不是单个值 "wangjing"；只有一项时写成 [wangjing]`},
		{`must be text, not the number 1; write it in quotes ("1") if that is what you mean`, `必须是文本，而不是数字 1；如果就是这个值，请加上引号（"1"）`},
		{`must be text, not the boolean true; write it in quotes ("true") if that is what you mean`, `必须是文本，而不是布尔值 true；如果就是这个值，请加上引号（"true"）`},
		{"must be a list, not a mapping", "必须是列表，而不是键值映射"},
		{"syntax error: tabs cannot indent YAML; indent this line with spaces", "语法错误：YAML 不能用 Tab 缩进，请把这一行的缩进改成空格"},
	} {
		if got := translateProblem(c.msg, "zh"); got != c.want {
			t.Errorf("translateProblem(%q) = %q, want %q", c.msg, got, c.want)
		}
	}
}

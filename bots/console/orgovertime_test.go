package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestScheduleFormOvertime: the schedule form reads and writes the
// overtime rule, refuses what the org file refuses with its message
// translated for Chinese HR, and shows the rule again when reopened.
func TestScheduleFormOvertime(t *testing.T) {
	day := func(extra url.Values) url.Values {
		v := url.Values{"name": {"标准班"}, "work_days": {"mon", "tue"}, "start": {"09:00"}, "end": {"18:00"}, "check_in_opens_min": {"120"}, "out_of_range": {"reject"}}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	tests := []struct {
		name    string
		first   url.Values // saved before form, if set
		form    url.Values
		wantErr string // "" : saved
		errOn   string // the field the error is shown on, if checked
		want    core.OvertimeRule
	}{
		{name: "by punch", form: day(url.Values{"overtime_mode": {"punch"}, "overtime_starts_after_min": {"15"}, "overtime_min_min": {"60"}, "overtime_unit_min": {"30"}}),
			want: core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 15, MinMin: 60, UnitMin: 30}},
		{name: "a form without the fields keeps the rule", form: day(nil), want: core.OvertimeRule{Mode: core.OvertimeOff}},
		{name: "an unknown mode is refused", form: day(url.Values{"overtime_mode": {"always"}, "overtime_unit_min": {"30"}}),
			wantErr: "必须是 off、punch、approval 或 both，而不是 &#34;always&#34;"},
		{name: "by approval", form: day(url.Values{"overtime_mode": {"approval"}, "overtime_starts_after_min": {"0"}, "overtime_min_min": {"0"}, "overtime_unit_min": {"15"}}),
			want: core.OvertimeRule{Mode: core.OvertimeApproval, UnitMin: 15}},
		{name: "a negative unit is refused", form: day(url.Values{"overtime_mode": {"punch"}, "overtime_unit_min": {"-30"}}),
			wantErr: "必须在 0 到 1440 分钟之间"},
		{name: "before the shift", form: day(url.Values{"overtime_mode": {"punch"}, "overtime_starts_after_min": {"30"}, "overtime_before_start_min": {"60"}, "overtime_min_min": {"30"}, "overtime_unit_min": {"30"}}),
			want: core.OvertimeRule{Mode: core.OvertimePunch, StartsAfterMin: 30, BeforeStartMin: 60, MinMin: 30, UnitMin: 30}},
		{name: "before the shift cleared", first: day(url.Values{"overtime_mode": {"punch"}, "overtime_before_start_min": {"60"}}),
			form: day(url.Values{"overtime_mode": {"punch"}, "overtime_before_start_min": {""}}), want: core.OvertimeRule{Mode: core.OvertimePunch}},
		{name: "a page without before_start_min keeps it", first: day(url.Values{"overtime_mode": {"punch"}, "overtime_before_start_min": {"45"}}),
			form: day(url.Values{"overtime_mode": {"both"}, "overtime_unit_min": {"15"}}), want: core.OvertimeRule{Mode: core.OvertimeBoth, BeforeStartMin: 45, UnitMin: 15}},
		{name: "a before start outside the check-in window is refused", form: day(url.Values{"overtime_mode": {"punch"}, "overtime_before_start_min": {"120"}}),
			wantErr: "必须小于提前打卡分钟数（120）：更早的上班打卡会被拒绝", errOn: "overtime_before_start_min"},
		{name: "a negative before start is refused", form: day(url.Values{"overtime_mode": {"punch"}, "overtime_before_start_min": {"-60"}}),
			wantErr: "必须在 0 到 1440 分钟之间", errOn: "overtime_before_start_min"},
		{name: "a before start that is not a number", form: day(url.Values{"overtime_mode": {"punch"}, "overtime_before_start_min": {"early"}}),
			wantErr: "请填写整数", errOn: "overtime_before_start_min"},
		{name: "a unit that is not a number", form: day(url.Values{"overtime_mode": {"punch"}, "overtime_unit_min": {"half"}}),
			wantErr: "请填写整数"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustFixture(t, true)
			hr := f.MustSignIn(t, "H1")
			if tt.first != nil {
				if res := hr.post(t, "/org/schedules/day", tt.first); res.Status != http.StatusSeeOther {
					t.Fatalf("first save: status %d, want 303; body:\n%s", res.Status, res.Body)
				}
			}
			res := hr.post(t, "/org/schedules/day", tt.form)
			if tt.wantErr != "" {
				if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Body, tt.wantErr) {
					t.Fatalf("status %d, want 422 with %q; body:\n%s", res.Status, tt.wantErr, res.Body)
				}
				if tt.errOn != "" && !strings.Contains(res.Body, `aria-describedby="e-`+tt.errOn+`"`) {
					t.Errorf("the error is not shown on %s; body:\n%s", tt.errOn, res.Body)
				}
				return
			}
			if res.Status != http.StatusSeeOther {
				t.Fatalf("status %d, want 303; body:\n%s", res.Status, res.Body)
			}
			org, err := f.store.Org(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			s := find(org.Schedules, func(s core.Schedule) bool { return s.ID == "day" })
			if s == nil || s.Overtime != tt.want {
				t.Fatalf("day's overtime = %+v, want %+v", s, tt.want)
			}
			page := hr.get(t, "/org/schedules/day")
			if !strings.Contains(page.Body, `name="overtime_mode"`) || !strings.Contains(page.Body, "加班计算") {
				t.Errorf("the reopened form has no overtime fields:\n%s", page.Body)
			}
			if want := fmt.Sprintf(`name="overtime_before_start_min" value="%d"`, tt.want.BeforeStartMin); !strings.Contains(page.Body, want) || !strings.Contains(page.Body, "上班前加班") {
				t.Errorf("the reopened form has no before-start field:\n%s", page.Body)
			}
		})
	}
}

// TestReportPreviewOvertime: the reports page previews the three overtime
// columns.
func TestReportPreviewOvertime(t *testing.T) {
	f := MustFixture(t, false)
	page := f.MustSignIn(t, "admin").get(t, "/reports?month=2026-11")
	for _, h := range []string{"工作日加班（小时）", "休息日加班（小时）", "节假日加班（小时）"} {
		if page.Status != http.StatusOK || !strings.Contains(page.Body, h) {
			t.Errorf("the report preview lacks %q (status %d)", h, page.Status)
		}
	}
}

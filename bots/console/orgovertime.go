package console

import (
	"net/url"
	"strconv"

	"github.com/punchbot/punchbot/core"
)

// The schedule form's overtime (加班) fields: the org file's overtime
// block (admin/orgovertime.go), validated by core.Org.Prepare.

// overtimeTexts are the overtime fields' words, merged into texts.
var overtimeTexts = map[string]map[string]string{
	"zh": {
		"org_overtime_mode": "加班计算", "ot_off": "不计算加班", "ot_punch": "按打卡计算",
		"org_overtime_mode_help":         "工作日从下班后起算（可另计上班前加班），休息日、节假日全天都算（过了零点仍算开始那天）；按审批时员工用「加班 12-05 18:00-21:00 事由」申请。",
		"org_overtime_starts_after_min":  "下班后多少分钟开始计算加班",
		"org_overtime_before_start_min":  "上班前加班：早于上班前多少分钟打卡的部分计为加班",
		"org_overtime_before_start_help": "0 表示不计上班前加班（默认）。例如 60：9:00 上班、7:00 打卡，7:00–8:00 计为加班。",
		"org_overtime_min_min":           "每天加班不足多少分钟不计", "org_overtime_unit_min": "加班按多少分钟为单位（向下取整）",
		"org_overtime_unit_help": "0 或 1 表示按分钟计算。",
		"ot_approval":            "按审批计算", "ot_both": "审批与打卡取交集", "rt_overtime": "加班",
	},
	"en": {
		"org_overtime_mode": "Overtime", "ot_off": "off", "ot_punch": "from punches",
		"org_overtime_mode_help":         "Working days count from the end of the shift (and, if set, before its start), rest days and holidays all day (past midnight still on the day it began); by approval, people request it with “overtime 12-05 18:00-21:00 reason”.",
		"org_overtime_starts_after_min":  "Overtime starts this many minutes after the end",
		"org_overtime_before_start_min":  "Overtime before the shift: time punched earlier than this many minutes before the start",
		"org_overtime_before_start_help": "0 counts no time before the shift (the default). With 60, a 09:00 shift and a 07:00 clock-in, 07:00–08:00 is overtime.",
		"org_overtime_min_min":           "A day's overtime below this many minutes is 0", "org_overtime_unit_min": "Overtime is rounded down to units of (minutes)",
		"org_overtime_unit_help": "0 or 1 counts every minute.",
		"ot_approval":            "by approval", "ot_both": "approved and punched (intersection)", "rt_overtime": "overtime",
	},
}

func init() {
	for lang, m := range overtimeTexts {
		for k, v := range m {
			texts[lang][k] = v
		}
	}
}

// setOvertimeValues puts a rule into the form's values.
func setOvertimeValues(v url.Values, r core.OvertimeRule) {
	mode := r.Mode
	if mode == "" {
		mode = core.OvertimeOff
	}
	v.Set("overtime_mode", string(mode))
	v.Set("overtime_starts_after_min", strconv.Itoa(r.StartsAfterMin))
	v.Set("overtime_before_start_min", strconv.Itoa(r.BeforeStartMin))
	v.Set("overtime_min_min", strconv.Itoa(r.MinMin))
	v.Set("overtime_unit_min", strconv.Itoa(r.UnitMin))
}

func overtimeFields(p *page, vals url.Values) []formField {
	return []formField{
		{Name: "overtime_mode", Label: p.T("org_overtime_mode"), Type: "select", Value: vals.Get("overtime_mode"), Help: p.T("org_overtime_mode_help"),
			Options: []option{{string(core.OvertimeOff), p.T("ot_off")}, {string(core.OvertimePunch), p.T("ot_punch")},
				{string(core.OvertimeApproval), p.T("ot_approval")}, {string(core.OvertimeBoth), p.T("ot_both")}}},
		{Name: "overtime_starts_after_min", Label: p.T("org_overtime_starts_after_min"), Type: "number", Value: vals.Get("overtime_starts_after_min"), Step: "1"},
		{Name: "overtime_before_start_min", Label: p.T("org_overtime_before_start_min"), Type: "number", Value: vals.Get("overtime_before_start_min"), Step: "1",
			Help: p.T("org_overtime_before_start_help")},
		{Name: "overtime_min_min", Label: p.T("org_overtime_min_min"), Type: "number", Value: vals.Get("overtime_min_min"), Step: "1"},
		{Name: "overtime_unit_min", Label: p.T("org_overtime_unit_min"), Type: "number", Value: vals.Get("overtime_unit_min"), Step: "1", Help: p.T("org_overtime_unit_help")},
	}
}

// applyOvertime reads the overtime fields into s. A form without them (an
// older page, a script) keeps the schedule's rule, or gives a new schedule
// the file's default (off); one without before_start_min alone (a page
// from before it) keeps the schedule's.
func applyOvertime(s *core.Schedule, vals url.Values, errs fieldErrors, lang string) {
	if _, sent := vals["overtime_mode"]; !sent {
		if s.Overtime == (core.OvertimeRule{}) {
			s.Overtime = core.DefaultOvertimeRule()
		}
		return
	}
	before := s.Overtime.BeforeStartMin
	if _, sent := vals["overtime_before_start_min"]; sent {
		before = intField(vals, "overtime_before_start_min", errs, lang)
	}
	s.Overtime = core.OvertimeRule{Mode: core.OvertimeMode(vals.Get("overtime_mode")),
		StartsAfterMin: intField(vals, "overtime_starts_after_min", errs, lang),
		BeforeStartMin: before,
		MinMin:         intField(vals, "overtime_min_min", errs, lang),
		UnitMin:        intField(vals, "overtime_unit_min", errs, lang)}
}

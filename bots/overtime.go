package bots

import "github.com/punchbot/punchbot/core"

// OvertimeKindWord names an overtime category (core/overtime.go) the way
// payroll speaks of it: 工作日 / 休息日 / 节假日.
func OvertimeKindWord(k core.OvertimeKind, lang string) string {
	switch k {
	case core.OvertimeWorkday:
		return pick(lang, "工作日", "workday")
	case core.OvertimeRestDay:
		return pick(lang, "休息日", "rest day")
	case core.OvertimeHoliday:
		return pick(lang, "节假日", "holiday")
	}
	return ""
}

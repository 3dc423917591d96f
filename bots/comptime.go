package bots

import (
	"fmt"
	"math"

	"github.com/punchbot/punchbot/core"
)

// Time off in lieu of overtime (调休, core/comptime.go): the balance and
// its refusal are in hours, since overtime is earned by the minute.

// compHours is minutes in hours, rounded to two decimals: "3.5".
func compHours(min int) string { return number(math.Round(float64(min)/60*100) / 100) }

// compBalance is what LeaveBalance says for a comp type: "剩余 3.5 小时".
// An overdrawn balance (overtime revoked after leave was approved) shows
// as none left.
func compBalance(v core.MakeupView, lang string) string {
	left := compHours(max(0, v.Leave.CompLeftMin))
	return pick(lang, "剩余 "+left+" 小时", left+" h left")
}

// compRefusal explains LeaveCompExhausted with the numbers.
func compRefusal(v core.MakeupView, lang string) string {
	r := v.Refusal
	return pick(lang,
		fmt.Sprintf("%s余额不足：可用 %s 小时，本次需要 %s 小时。", LeaveTypeName(v, lang), compHours(r.AvailableMin), compHours(r.AskedMin)),
		fmt.Sprintf("not enough %s left: %s h available, this needs %s h.", LeaveTypeName(v, lang), compHours(r.AvailableMin), compHours(r.AskedMin)))
}

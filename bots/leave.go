package bots

import (
	"strings"
	"unicode/utf8"

	"github.com/punchbot/punchbot/core"
)

// leaveTypeWords are leave types people type (after DingTalk's and
// Feishu's standard holiday types). They are passed on as typed: the core
// matches them against the organisation's ids and names, so "年假" finds
// the type named 年假 whatever its id. A word the list does not know but
// that reads like a type ("育儿假") is passed on too.
var leaveTypeWords = []string{
	"年假", "年休假", "病假", "事假", "调休", "调休假", "婚假", "产假", "陪产假", "丧假", "无薪假",
	"annual", "vacation", "sick", "personal", "casual", "compensatory", "lieu", "toil",
	"marriage", "wedding", "maternity", "paternity", "bereavement", "unpaid",
}

// Half days. A period with only an end clock starts with the day, one with
// only a start clock ends with the day's shift, so the morning is "until
// noon" and the afternoon "from noon".
var (
	morningWords   = []string{"上午", "早上", "am", "a.m", "morning"}
	afternoonWords = []string{"下午", "pm", "p.m", "afternoon"}
	wholeDayWords  = []string{"全天", "整天", "全日", "一天", "all-day", "allday", "fullday", "full-day", "whole-day"}
	rangeWords     = []string{"至", "到", "-", "~", "..", "to", "until", "—", "–"}
	rangeSeps      = []string{"..", "~", "至", "到", "—", "–"}
)

// noon divides the half days (see morningWords).
const noon = "12:00"

// ParseLeave reads the arguments of a 请假 / 出差 / 外出 (leave, trip,
// outing) command into core.LeaveArgs, in any order after the verb:
// dates ("2026-12-03", "12-03", "12-04..12-06", "12月4日至12月6日",
// "今天", "明天"), a part of the day ("09:00-12:00", "上午", "下午",
// "全天"; a single clock starts or ends the leave), for leave its type
// ("年假", "sick") and for a trip or outing
// the place, then the reason. A part it cannot read sets Problem and the
// core answers naming it.
func ParseLeave(in Intent) core.LeaveArgs {
	a := core.LeaveArgs{Type: core.RequestLeave}
	switch in.Verb {
	case VerbTrip:
		a.Type = core.RequestTrip
	case VerbOuting:
		a.Type = core.RequestOuting
	case VerbOvertime:
		a.Type = core.RequestOvertime
	}
	fields := strings.Fields(strings.NewReplacer("：", ":", "，", " ", ",", " ", "、", " ").Replace(in.Args))
	var rest []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		lower := strings.ToLower(f)
		switch {
		case oneOf(lower, wholeDayWords) || (lower == "all" || lower == "full") && i+1 < len(fields) && strings.EqualFold(fields[i+1], "day"):
			if lower == "all" || lower == "full" {
				i++
			}
		case oneOf(lower, morningWords):
			a.StartClock, a.EndClock = "", noon
		case oneOf(lower, afternoonWords):
			a.StartClock, a.EndClock = noon, ""
		case a.From != "" && a.To == "" && oneOf(lower, rangeWords) && i+1 < len(fields):
			// "12-04 至 12-06", "09:00 - 12:00": the next word ends the range.
			if d, ok := leaveDate(fields[i+1]); ok {
				a.To = d
				i++
			} else if c, ok := makeupClock(fields[i+1]); ok && a.StartClock != "" && a.EndClock == "" {
				a.EndClock = c
				i++
			} else {
				rest = append(rest, f)
			}
		case a.StartClock != "" && a.EndClock == "" && oneOf(lower, rangeWords) && i+1 < len(fields):
			if c, ok := makeupClock(fields[i+1]); ok {
				a.EndClock = c
				i++
			} else {
				a.Problem = core.ProblemTime
			}
		default:
			if from, to, ok := leaveDateRange(f); ok && a.From == "" {
				a.From, a.To = from, to
				continue
			}
			if d, ok := leaveDate(f); ok {
				switch {
				case a.From == "":
					a.From = d
				case a.To == "":
					a.To = d
				default:
					rest = append(rest, f)
				}
				continue
			}
			if start, end, ok := overtimeClocks(a.Type, f); ok { // overtime.go: may end after midnight
				a.StartClock, a.EndClock = start, end
				continue
			}
			if start, end, ok, bad := clockRange(f); ok || bad {
				if bad {
					a.Problem = core.ProblemTime
				}
				a.StartClock, a.EndClock = start, end
				continue
			}
			if c, ok := makeupClock(f); ok {
				switch {
				case a.StartClock == "":
					a.StartClock = c
				case a.EndClock == "":
					a.EndClock = c
				default:
					rest = append(rest, f)
				}
				continue
			}
			if a.Type == core.RequestLeave && a.LeaveType == "" && len(rest) == 0 {
				if id, ok := leaveType(f); ok {
					a.LeaveType = id
					if i+1 < len(fields) && strings.EqualFold(fields[i+1], "leave") {
						i++ // "annual leave"
					}
					continue
				}
			}
			if looksLikeDate(f) && len(rest) == 0 {
				a.Problem = core.ProblemDate
			} else if looksLikeClock(f) && len(rest) == 0 {
				a.Problem = core.ProblemTime
			}
			rest = append(rest, f)
		}
	}
	switch {
	case a.Type == core.RequestOvertime:
		// Overtime has no place: every word is the reason.
	case a.Type != core.RequestLeave && len(rest) >= 2, a.Type == core.RequestTrip && len(rest) == 1:
		// "出差 12-04..12-06 上海 客户拜访": the place, then the reason; a
		// trip's single word is its destination, an outing's its purpose.
		a.Place, rest = rest[0], rest[1:]
	}
	a.Reason = strings.Join(rest, " ")
	if a.From == "" && a.Problem == "" {
		if (a.Type == core.RequestOuting || a.Type == core.RequestOvertime) && a.StartClock != "" {
			a.From = "today" // an outing or overtime is usually today: "外出 14:00-16:00 客户拜访"
		} else {
			a.Problem = core.ProblemDate
		}
	}
	return a
}

// leaveDate is makeupDate plus the days ahead a leave is taken for.
func leaveDate(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "明天", "tomorrow":
		return "tomorrow", true
	}
	return makeupDate(s)
}

// leaveDateRange reads "12-04..12-06", "12-04~12-06", "12月4日至12月6日"
// and "2026-12-04到2026-12-06" (the end needs its month).
func leaveDateRange(s string) (from, to string, ok bool) {
	for _, sep := range rangeSeps {
		a, b, found := strings.Cut(s, sep)
		if !found {
			continue
		}
		from, ok1 := leaveDate(a)
		to, ok2 := leaveDate(b)
		if ok1 && ok2 {
			return from, to, true
		}
	}
	// "12-04-12-06": two month-day dates joined by a hyphen.
	if parts := strings.Split(s, "-"); len(parts) == 4 {
		from, ok1 := makeupDate(parts[0] + "-" + parts[1])
		to, ok2 := makeupDate(parts[2] + "-" + parts[3])
		if ok1 && ok2 {
			return from, to, true
		}
	}
	return "", "", false
}

// clockRange reads "09:00-12:00", "9:00~12:00", "9点-12点". bad is a
// range whose clocks do not read, or that ends before it starts.
func clockRange(s string) (start, end string, ok, bad bool) {
	start, end, found, read := clockPair(s)
	switch {
	case !found:
		return "", "", false, false
	case !read || end <= start:
		return "", "", false, true
	}
	return start, end, true, false
}

// clockPair splits a clock range at its separator: found is false when s
// is no range ("年假"), read is false when it is one whose clocks do not
// read ("9:00-25:00").
func clockPair(s string) (start, end string, found, read bool) {
	for _, sep := range []string{"-", "~", "..", "至", "到", "—", "–"} {
		a, b, cut := strings.Cut(s, sep)
		if !cut || !looksLikeClock(a) {
			continue
		}
		start, ok1 := makeupClock(a)
		end, ok2 := makeupClock(b)
		return start, end, true, ok1 && ok2
	}
	return "", "", false, false
}

// leaveType reports whether a word names a leave type: a known word, or
// any short word ending in 假.
func leaveType(s string) (string, bool) {
	if oneOf(s, leaveTypeWords) || strings.HasSuffix(s, "假") && utf8.RuneCountInString(s) <= 5 {
		return s, true
	}
	return "", false
}

// looksLikeDate is a word that starts like a date (digits and a date
// separator) but did not read as one: "13-45", "2026-02-30x".
func looksLikeDate(s string) bool {
	return startsWithDigit(s) && strings.ContainsAny(s, "-/月.") && !strings.Contains(s, ":")
}

// looksLikeClock is a word that starts like a clock but did not read as
// one: "25:00", "9:7".
func looksLikeClock(s string) bool {
	return startsWithDigit(s) && (strings.Contains(s, ":") || strings.Contains(s, "点"))
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// LeaveCommand builds the core command for a leave, trip or outing
// message; the actor, source and routing are the bot's to add.
func LeaveCommand(in Intent) core.Command {
	args := ParseLeave(in)
	if strings.TrimSpace(in.Args) == "" {
		args.Problem = ProblemUsage
	}
	return core.Command{Kind: core.CmdLeave, Leave: &args}
}

// LeaveInto makes cmd the leave command when in is one (请假, 出差, 外出
// and their English words), so each bot routes them with one call; ok is
// false for any other intent.
func LeaveInto(in Intent, cmd *core.Command) (ok bool) {
	if in.Kind != core.CmdLeave {
		return false
	}
	lc := LeaveCommand(in)
	cmd.Kind, cmd.Leave = lc.Kind, lc.Leave
	return true
}

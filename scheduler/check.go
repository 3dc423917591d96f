package scheduler

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// maxMinutesBefore bounds a punch_in reminder's lead: the scheduler looks
// for the shift on the dates around the reminder, so a longer lead would
// never fire.
const maxMinutesBefore = 24 * 60

// CheckReminders validates the cron expressions and audiences of an org's
// reminders the way the scheduler will read them, so that a broken
// reminder is refused when the org file is applied instead of silently
// never firing (or firing to nobody). The core cannot do this itself: it
// does not parse cron.
func CheckReminders(org core.Org) []core.FieldError {
	zone, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		zone = time.UTC
	}
	s := &Scheduler{cfg: Config{Zone: zone}, parser: newParser()}
	departments := map[string]bool{}
	for _, e := range org.Employees {
		departments[e.Department] = true
	}
	var problems []core.FieldError
	for i, r := range org.Reminders {
		p := fmt.Sprintf("reminders[%d]", i)
		if c := s.compile(r); c.problem != "" {
			field := "cron"
			if strings.Contains(c.problem, "audience") {
				field = "audience"
			}
			problems = append(problems, core.FieldError{Path: p + "." + field, Message: c.problem})
		}
		if r.Kind == core.ReminderPunchIn && (r.MinutesBefore < 0 || r.MinutesBefore > maxMinutesBefore) {
			problems = append(problems, core.FieldError{Path: p + ".minutes_before",
				Message: fmt.Sprintf("must be from 0 to %d minutes before the shift starts, not %d", maxMinutesBefore, r.MinutesBefore)})
		}
		if r.Kind == core.ReminderApprovalDigest && r.OlderThanHrs < 0 {
			problems = append(problems, core.FieldError{Path: p + ".older_than_hours", Message: fmt.Sprintf("must not be negative, not %d", r.OlderThanHrs)})
		}
		// A department nobody is in is a typo: the reminder would reach
		// nobody in it, and say nothing.
		for j, d := range r.Audience.Departments {
			if !departments[d] {
				problems = append(problems, core.FieldError{Path: fmt.Sprintf("%s.audience.departments[%d]", p, j),
					Message: fmt.Sprintf("no employee is in department %q", d)})
			}
		}
		for j, c := range r.Audience.Chats {
			cp := fmt.Sprintf("%s.audience.chats[%d]", p, j)
			switch {
			case r.PerEmployee() || r.Kind == core.ReminderApprovalDigest || r.Kind == core.ReminderMakeupDeadline:
				problems = append(problems, core.FieldError{Path: cp,
					Message: fmt.Sprintf("a %s reminder goes to each person concerned, not to chats: name departments or employees", r.Kind)})
			case !slices.Contains([]core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack}, c.Platform):
				problems = append(problems, core.FieldError{Path: cp + ".platform", Message: fmt.Sprintf("must be wecom, feishu or slack, not %q", c.Platform)})
			case strings.TrimSpace(c.ChatID) == "":
				problems = append(problems, core.FieldError{Path: cp + ".chat", Message: "is required"})
			}
		}
	}
	return problems
}

package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// CheckReminders validates the cron expressions and audiences of an org's
// reminders the way the scheduler will read them, so that a broken
// reminder is refused when the org file is applied instead of silently
// never firing. The core cannot do this itself: it does not parse cron.
func CheckReminders(org core.Org) []core.FieldError {
	zone, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		zone = time.UTC
	}
	s := &Scheduler{cfg: Config{Zone: zone}, parser: newParser()}
	var problems []core.FieldError
	for i, r := range org.Reminders {
		c := s.compile(r)
		if c.problem == "" {
			continue
		}
		field := "cron"
		if strings.Contains(c.problem, "audience") {
			field = "audience"
		}
		problems = append(problems, core.FieldError{Path: fmt.Sprintf("reminders[%d].%s", i, field), Message: c.problem})
	}
	return problems
}

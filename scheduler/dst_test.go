package scheduler

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestCronAcrossDaylightSaving: a broadcast cron in a zone with daylight
// saving fires once on the night the clock falls back, and still fires on
// the night it springs forward (at the first minute after the jump), like
// Vixie cron.
func TestCronAcrossDaylightSaving(t *testing.T) {
	s := &Scheduler{cfg: Config{Zone: time.UTC}, parser: newParser()}
	s.cfg.defaults()
	utc := func(v string) time.Time {
		t.Helper()
		m, err := time.Parse("2006-01-02 15:04", v)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	tests := []struct {
		name     string
		cron     string
		from, to string // UTC minutes scanned
		want     []string
	}{
		{"autumn: 01:30 New York happens twice, fires once", "CRON_TZ=America/New_York 30 1 * * *", "2026-11-01 04:00", "2026-11-01 09:00",
			[]string{"2026-11-01 05:30"}},
		{"autumn: 02:30 is not repeated", "CRON_TZ=America/New_York 30 2 * * *", "2026-11-01 04:00", "2026-11-01 09:00",
			[]string{"2026-11-01 07:30"}},
		{"spring: 02:30 New York does not exist, fires at 03:00", "CRON_TZ=America/New_York 30 2 * * *", "2026-03-08 05:00", "2026-03-08 09:00",
			[]string{"2026-03-08 07:00"}},
		{"spring: 03:00 fires once", "CRON_TZ=America/New_York 0 3 * * *", "2026-03-08 05:00", "2026-03-08 09:00",
			[]string{"2026-03-08 07:00"}},
		{"spring: a weekday cron skipped on Sunday stays skipped", "CRON_TZ=America/New_York 30 2 * * 1-5", "2026-03-08 05:00", "2026-03-08 09:00",
			nil},
		{"every 15 minutes through the autumn change: no minute twice", "CRON_TZ=Europe/Berlin */15 2 * * *", "2026-10-25 00:00", "2026-10-25 02:00",
			[]string{"2026-10-25 00:00", "2026-10-25 00:15", "2026-10-25 00:30", "2026-10-25 00:45"}},
		{"Shanghai has no daylight saving", "CRON_TZ=Asia/Shanghai 0 9 * * *", "2026-11-01 00:00", "2026-11-01 02:00",
			[]string{"2026-11-01 01:00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := s.compile(reminderWithCron(tc.cron))
			if c.problem != "" {
				t.Fatalf("compile %q: %s", tc.cron, c.problem)
			}
			var got []string
			for m := utc(tc.from); !m.After(utc(tc.to)); m = m.Add(time.Minute) {
				if c.firesAt(m) {
					got = append(got, m.Format("2006-01-02 15:04"))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("fires at %v (UTC), want %v", got, tc.want)
			}
			// A missed_punch cron, evaluated in each employee's zone, reads
			// its wall times the same way.
			loc := c.loc
			local := s.compile(missedWithCron(tc.cron))
			got = nil
			for m := utc(tc.from); !m.After(utc(tc.to)); m = m.Add(time.Minute) {
				if local.localFires(m)(loc) {
					got = append(got, m.Format("2006-01-02 15:04"))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("missed_punch fires at %v (UTC), want %v", got, tc.want)
			}
		})
	}
}

func reminderWithCron(expr string) core.Reminder {
	return core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Cron: expr, Enabled: true, Audience: core.Audience{Everyone: true}}
}

// missedWithCron is a missed_punch reminder on expr's local time: its
// CRON_TZ= prefix removed, since that zone is each employee's.
func missedWithCron(expr string) core.Reminder {
	if i := strings.Index(expr, " "); strings.HasPrefix(expr, "CRON_TZ=") && i > 0 {
		expr = expr[i+1:]
	}
	return core.Reminder{ID: "m", Kind: core.ReminderMissedPunch, Cron: expr, Enabled: true}
}

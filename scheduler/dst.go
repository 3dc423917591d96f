package scheduler

import (
	"time"

	"github.com/robfig/cron/v3"
)

// cronFires reports whether spec, read in loc, fires in minute m, treating
// daylight saving the way Vixie cron does: a wall time the clock passes
// twice (autumn) fires once, at its first pass, and one the clock skips
// (spring) fires at the first minute after the jump. cron.SpecSchedule.Next
// alone matches 01:30 twice on the night New York falls back (a broadcast
// went out twice) and skips 02:30 on the night it springs forward (that
// day had none).
func cronFires(spec *cron.SpecSchedule, loc *time.Location, m time.Time) bool {
	sp := *spec
	sp.Location = loc
	if sp.Next(m.Add(-time.Second)).Equal(m) {
		return !repeatedWallTime(loc, m)
	}
	// The clock jumped forward at m: the wall times it skipped exist in the
	// zone's offset from before the jump.
	_, before := m.Add(-time.Minute).In(loc).Zone()
	_, now := m.In(loc).Zone()
	if now <= before {
		return false
	}
	sp.Location = time.FixedZone("", before)
	next := sp.Next(m.Add(-time.Second))
	return !next.Before(m) && next.Before(m.Add(time.Duration(now-before)*time.Second))
}

// repeatedWallTime reports whether m's wall clock in loc was already shown
// earlier, because the clock was set back within the last few hours.
func repeatedWallTime(loc *time.Location, m time.Time) bool {
	_, earlierOff := m.Add(-3 * time.Hour).In(loc).Zone()
	_, off := m.In(loc).Zone()
	if earlierOff <= off {
		return false
	}
	earlier := m.Add(-time.Duration(earlierOff-off) * time.Second).In(loc)
	return earlier.Format("2006-01-02 15:04") == m.In(loc).Format("2006-01-02 15:04")
}

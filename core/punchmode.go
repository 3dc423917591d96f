package core

import "time"

// Reasons of the punch modes.
const (
	// ReasonAlreadyOut: under strict alternation the shift's clock-in and
	// clock-out are both recorded; a further punch of either kind is
	// refused (a correction is a make-up request).
	ReasonAlreadyOut = "already_out"
)

// Mode returns the schedule's punch mode; no schedule and "" are standard.
func (s *Schedule) Mode() PunchMode {
	if s == nil || s.PunchMode == "" {
		return PunchStandard
	}
	return s.PunchMode
}

// ValidPunchMode reports whether m names a punch mode ("" is standard).
func ValidPunchMode(m PunchMode) bool {
	return m == "" || m == PunchStandard || m == PunchStrict
}

// CountedPunches is the one rule of which punches of a shift count, for the
// day result and every report built on it. Only valid punches of date take
// part (rejected attempts and repeats never count).
//
// Standard (DingTalk's default): the first clock-in and the last clock-out
// count; a later clock-out supersedes an earlier one, so leaving early and
// coming back to clock out again repairs the day.
//
// Strict: the shift is one clock-in followed by one clock-out. The
// clock-out that counts is the first at or after the clock-in; the service
// refuses a clock-out without an open clock-in and any punch once the pair
// is closed (ReasonAlreadyOut), so a later clock-out cannot repair an early
// leave. Make-up punches may still fill a missing half.
func CountedPunches(mode PunchMode, punches []Punch, date string) (in, out *Punch) {
	for i := range punches {
		p := &punches[i]
		if !p.Valid() || p.ShiftDate != date || p.Kind != KindIn {
			continue
		}
		if in == nil || p.At.Before(in.At) {
			in = p
		}
	}
	for i := range punches {
		p := &punches[i]
		if !p.Valid() || p.ShiftDate != date || p.Kind != KindOut {
			continue
		}
		if mode == PunchStrict {
			if in != nil && p.At.Before(in.At) {
				continue
			}
			if out == nil || p.At.Before(out.At) {
				out = p
			}
			continue
		}
		if out == nil || p.At.After(out.At) {
			out = p
		}
	}
	return in, out
}

// workedMinutes is the time between the counted clock-in and clock-out.
func workedMinutes(in, out *Punch) int {
	if in != nil && out != nil && out.At.After(in.At) {
		return int(out.At.Sub(in.At) / time.Minute)
	}
	return 0
}

package core

import (
	"math"
	"slices"
	"time"
)

// VerifyInput is everything Verify needs to judge one punch. The two
// callbacks read the employee's history inside the caller's transaction.
type VerifyInput struct {
	Roster   Roster
	Command  Command
	Kind     PunchKind // in, out or KindAuto
	Location *Location // the position to judge (the command's or a reported one)
	Flags    []string  // signals found before verification (stale location)
	Config   *Config
	// Confirmed is set when the user confirmed this clock-out (CmdConfirm):
	// it is recorded instead of asked about again.
	Confirmed bool

	ShiftPunches func(shiftDate string) ([]Punch, error)
	LastLocated  func(before time.Time) (*Punch, error) // nil, nil when none
	// FieldWaiting returns the ids of the shift's field punches whose
	// request still waits for a decision (field.go); a rejected, expired
	// or withdrawn one no longer stands for a punch. nil treats every
	// pending field punch as waiting.
	FieldWaiting func(shiftDate string) ([]int64, error)
}

// Verify judges a punch: which shift it belongs to, in or out, on time or
// not, on site or not, and which anti-cheating signals it raises. It returns
// the punch to store; a rejected punch has Outcome rejected and its reasons,
// a repeated clock-in has Outcome repeat (stored, never counted), and a
// clock-out that needs the user's confirmation first has Outcome confirm and
// must not be stored (see confirm.go).
func Verify(in VerifyInput) (Punch, error) {
	cfg, cmd, r := in.Config, in.Command, in.Roster
	loc := r.Zone()
	p := Punch{
		EmployeeID: r.Employee.ID,
		ReceivedAt: cmd.ReceivedAt,
		At:         cmd.At,
		Source:     cmd.source(),
		EventID:    cmd.EventID,
		ClientIP:   cmd.ClientIP,
		Outcome:    OutcomeAccepted,
		Flags:      slices.Clone(in.Flags),
	}
	if p.At.IsZero() {
		p.At = p.ReceivedAt
	}
	reject := func(reason string) (Punch, error) {
		p.Outcome = OutcomeRejected
		p.Reasons = append(p.Reasons, reason)
		if p.Kind == KindAuto {
			p.Kind = in.Kind
		}
		if p.ShiftDate == "" {
			p.ShiftDate = p.At.In(loc).Format(DateLayout)
		}
		return p, nil
	}

	// Time: trust the platform's message time within the offline tolerance,
	// never a clock running ahead of ours.
	p.Kind = in.Kind
	if p.At.After(p.ReceivedAt.Add(cfg.FutureSkew)) {
		return reject(ReasonFutureTime)
	}
	if p.At.After(p.ReceivedAt) {
		p.At = p.ReceivedAt
	}
	if delay := p.ReceivedAt.Sub(p.At); delay > cfg.OfflineTolerance {
		return reject(ReasonTooOld)
	} else if delay > cfg.OfflineFlagAfter {
		p.Flags = append(p.Flags, FlagOfflineDelay)
	}

	// Shift: a punch belongs to the shift whose window contains it, which
	// for an overnight shift is the one that started the day before.
	var shift Shift
	var prior []Punch
	var err error
	if r.Schedule == nil {
		p.ShiftDate = p.At.In(loc).Format(DateLayout)
		if prior, err = in.ShiftPunches(p.ShiftDate); err != nil {
			return p, err
		}
	} else {
		matches, today := r.Schedule.ShiftCandidates(p.At, loc, r.Calendar)
		switch len(matches) {
		case 0:
			// After midnight a clock-out may still close the day before's
			// rest-day shift (overtime_restday.go).
			carried, ok, err := restDayCarry(r, p.At, in.Kind, in.ShiftPunches)
			if err != nil {
				return p, err
			}
			if ok {
				shift = carried
				break
			}
			if today.Workday {
				p.ShiftDate = today.Date
				if p.At.Before(today.Opens) {
					return reject(ReasonWindowNotOpen)
				}
				return reject(ReasonWindowClosed)
			}
			shift = today
		case 1:
			shift = matches[0]
		default:
			// Windows of consecutive shifts overlap: an explicit in starts
			// the new shift, an out (or an open check-in) ends the old one.
			shift = matches[1]
			if in.Kind == KindOut {
				shift = matches[0]
			} else if in.Kind == KindAuto {
				earlier, err := in.ShiftPunches(matches[0].Date)
				if err != nil {
					return p, err
				}
				if hasValid(earlier, KindIn) && !hasValid(earlier, KindOut) {
					shift = matches[0]
				}
			}
		}
		p.ShiftDate = shift.Date
		if prior, err = in.ShiftPunches(p.ShiftDate); err != nil {
			return p, err
		}
	}
	if !r.Employee.EmployedOn(p.ShiftDate) { // before joined or after left (org.go)
		return reject(ReasonNotEmployed)
	}

	if prior, err = in.waitingField(prior, p.ShiftDate); err != nil { // field.go
		return p, err
	}

	// Direction by context: the first punch of a shift is in unless it comes
	// in the second half of the shift (a forgotten check-in); later ones are out.
	if p.Kind == KindAuto {
		p.Kind = KindIn
		if hasValid(prior, KindIn) || hasPendingField(prior, KindIn) { // field.go
			p.Kind = KindOut
		} else if r.Schedule == nil {
			p.Kind = KindIn
		} else if shift.Workday && p.At.After(shift.Start.Add(shift.End.Sub(shift.Start)/2)) && r.Schedule.Mode() != PunchStrict {
			// Strict alternation starts every shift with a clock-in, so
			// there a late first punch is a (late) clock-in.
			p.Kind = KindOut
		}
		if p.Kind == KindOut && reshared(r.Schedule, prior, p.At) {
			// The same location again right after clocking in ("did it go
			// through?") repeats the clock-in; it is not a clock-out.
			p.Kind = KindIn
		}
	}
	strict := r.Schedule.Mode() == PunchStrict
	if strict && hasValid(prior, KindOut) {
		// One clock-in and one clock-out per shift: once both are recorded
		// nothing more counts, in either direction.
		return reject(ReasonAlreadyOut)
	}
	repeat := p.Kind == KindIn && hasValid(prior, KindIn)
	switch {
	case r.Schedule != nil && !shift.Workday:
		p.TimeResult = TimeRestDay
		if shift.PublicHoliday {
			p.Reasons = append(p.Reasons, ReasonHoliday)
		} else {
			p.Reasons = append(p.Reasons, ReasonRestDay)
		}
	case r.Schedule == nil:
		p.TimeResult = TimeNormal
	case p.Kind == KindIn:
		p.TimeResult, p.LateMin = r.Schedule.ClassifyIn(shift, p.At)
	default:
		first := clockInOf(prior) // field.go: a waiting field clock-in opens the shift too
		var inAt time.Time
		if first == nil {
			if strict {
				return reject(ReasonNotIn)
			}
			p.Reasons = append(p.Reasons, ReasonNotIn)
		} else {
			inAt = first.At
		}
		p.TimeResult, p.EarlyMin = r.Schedule.ClassifyOut(shift, inAt, p.At)
	}
	if p.Kind == KindOut && !strict {
		// Standard mode: the last clock-out counts (CountedPunches), so say
		// whether this one moved it or, delivered late, changes nothing.
		if last := lastValid(prior, KindOut); last != nil && last.EventID != p.EventID {
			if p.At.After(last.At) {
				p.Reasons = append(p.Reasons, ReasonOutUpdated)
			} else {
				p.Reasons = append(p.Reasons, ReasonOutSuperseded)
			}
		}
	}

	// Place: convert to WGS-84, measure every site, widen each radius by the
	// fix's accuracy up to a cap so that honest GPS noise at the boundary
	// does not reject, while a vague fix cannot cover a whole district.
	ipSite, byIP := siteByIP(r.Sites, cmd.ClientIP)
	if in.Location != nil {
		l := in.Location
		if !ValidCoordinates(l.Lat, l.Lng) || math.IsNaN(l.AccuracyM) || math.IsInf(l.AccuracyM, 0) || l.AccuracyM < 0 {
			return reject(ReasonBadCoordinates)
		}
		if !plausibleAccuracy(l.AccuracyM) {
			// Refused even where any place would do (no sites): such a
			// fix says nothing about where the person is.
			p.AccuracyM = l.AccuracyM
			return reject(ReasonLowAccuracy)
		}
		p.HasLocation = true
		p.Lat, p.Lng = l.ToWGS84()
		p.AccuracyM, p.Label = l.AccuracyM, l.Label
	}
	switch {
	case len(r.Sites) == 0:
		// No sites: remote staff may punch anywhere.
	case byIP:
		p.SiteID = ipSite.ID
		p.Flags = append(p.Flags, FlagByIP)
		if p.HasLocation {
			p.DistanceM = DistanceM(p.Lat, p.Lng, ipSite.Lat, ipSite.Lng)
		}
	case !p.HasLocation:
		return reject(ReasonNoLocation)
	case cfg.MaxAccuracyM > 0 && p.AccuracyM > cfg.MaxAccuracyM:
		p.SiteID, p.DistanceM, _ = nearestSite(r.Sites, p.Lat, p.Lng, 0)
		return reject(ReasonLowAccuracy)
	default:
		allowance := math.Min(p.AccuracyM, cfg.AccuracyAllowanceM)
		id, dist, inside := nearestSite(r.Sites, p.Lat, p.Lng, allowance)
		p.SiteID, p.DistanceM = id, dist
		if !inside {
			switch r.Schedule.outOfRange() {
			case OutOfRangeField:
				p.Outcome = OutcomeField
				p.Reasons = append(p.Reasons, ReasonOutOfRange)
			case OutOfRangeFlag:
				p.Flags = append(p.Flags, FlagOutOfRange)
			default:
				return reject(ReasonOutOfRange)
			}
		}
	}

	// Signals: compare with the previous located punch.
	if p.HasLocation && in.LastLocated != nil {
		last, err := in.LastLocated(p.At)
		if err != nil {
			return p, err
		}
		if last != nil && last.EventID != p.EventID {
			if last.Lat == p.Lat && last.Lng == p.Lng {
				p.Flags = append(p.Flags, FlagIdenticalCoords)
			}
			dist := DistanceM(last.Lat, last.Lng, p.Lat, p.Lng)
			if dt := p.At.Sub(last.At); dist > 1000 && dt >= 0 {
				hours := math.Max(dt.Hours(), 1.0/3600)
				if dist/1000/hours > cfg.MaxSpeedKmh {
					p.Flags = append(p.Flags, FlagImpossibleTravel)
				}
			}
		}
	}
	for _, f := range p.Flags {
		if slices.Contains(cfg.BlockFlags, f) {
			return reject(ReasonBlockedBySignal)
		}
	}
	if !repeat && p.Kind == KindIn && p.Outcome == OutcomeField && hasPendingField(prior, KindIn) {
		// A second clock-in away from every site while the first waits
		// for approval (field.go): one request per slot. From inside a
		// site it is an on-site punch and counts instead.
		p.Outcome = OutcomeRepeat
		p.Reasons = append(p.Reasons, ReasonFieldInPending)
		return p, nil
	}
	if repeat {
		// At most one clock-in per shift counts, whatever is sent: the
		// attempt is kept, as rejected ones are, but never counts.
		p.Outcome = OutcomeRepeat
		p.Reasons = append(p.Reasons, ReasonAlreadyIn)
		return p, nil
	}
	if !in.Confirmed && p.Kind == KindOut {
		if why := confirmReason(r.Schedule, in.Kind, clockInOf(prior), p); why != "" {
			p.Outcome = OutcomeConfirm
			p.Reasons = append(p.Reasons, why)
		}
	}
	return p, nil
}

func (s *Schedule) outOfRange() OutOfRangePolicy {
	if s == nil || s.OutOfRange == "" {
		return OutOfRangeReject
	}
	return s.OutOfRange
}

// nearestSite returns the site whose edge is closest, the distance to its
// centre, and whether the point is inside its radius widened by allowance.
func nearestSite(sites []Site, lat, lng, allowance float64) (id string, dist float64, inside bool) {
	best := math.Inf(1)
	for _, s := range sites {
		d := DistanceM(lat, lng, s.Lat, s.Lng)
		if edge := d - s.RadiusM; edge < best {
			best, id, dist = edge, s.ID, d
		}
	}
	return id, dist, best <= allowance
}

// Reasons that qualify an accepted clock-out under the standard punch mode,
// where the shift's last clock-out counts.
const (
	// ReasonOutUpdated: the shift had a clock-out already; this later one
	// replaces it.
	ReasonOutUpdated = "out_updated"
	// ReasonOutSuperseded: the shift has a later clock-out already (this
	// one was delivered late, from a phone offline); it is kept but does
	// not change the day.
	ReasonOutSuperseded = "out_superseded"
)

func hasValid(ps []Punch, k PunchKind) bool { return firstValid(ps, k) != nil }

func lastValid(ps []Punch, k PunchKind) *Punch {
	var last *Punch
	for i := range ps {
		if ps[i].Valid() && ps[i].Kind == k && (last == nil || ps[i].At.After(last.At)) {
			last = &ps[i]
		}
	}
	return last
}

func firstValid(ps []Punch, k PunchKind) *Punch {
	var first *Punch
	for i := range ps {
		if ps[i].Valid() && ps[i].Kind == k && (first == nil || ps[i].At.Before(first.At)) {
			first = &ps[i]
		}
	}
	return first
}

package core

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Field punches (外勤). Under out_of_range: field a punch outside every site
// is recorded with OutcomeFieldPending, which does not count, and a
// RequestField request for it is filed in the same transaction and routed
// like a make-up (manager, then HR). Approving it writes a second, counting
// punch (OutcomeField, flagged FlagField and FlagOutOfRange, with the time
// and the position of the first); rejecting or expiring it leaves nothing
// that counts, so the day shows the slot missing.
//
// While a field clock-in waits, another clock-in away from every site is a
// repeat (ReasonFieldInPending): one request per slot. A clock-in from
// inside a site is a genuine on-site punch and counts; the field request
// stays decidable, and approving it then records the decision without a
// second counting clock-in (FieldView.Superseded).
//
// A punch on a date outside the employee's employment is refused before
// it can become a field punch (Verify, ReasonNotEmployed), so no field
// request is filed for one; a field request pending when the employment
// dates change is refused approval (employment_requests.go).

// FlagField marks the counting punch written when a field punch is
// approved.
const FlagField = "field"

// ReasonFieldInPending: a clock-in away from every site while a field
// clock-in of the same shift waits for approval. It is stored as a repeat
// (OutcomeRepeat) and files no second request; the reply carries the day.
const ReasonFieldInPending = "field_in_pending"

// NoPunchCountingIn is the audit detail of a field clock-in approved when
// the shift already has a counting clock-in: no punch was written.
const NoPunchCountingIn = "counting_clock_in_exists"

// FieldView is what a field-punch card shows about the punch: who is in
// MakeupView, this says when and where.
type FieldView struct {
	PunchID  int64
	Kind     PunchKind
	At       time.Time
	Lat, Lng float64 // WGS-84
	// MapLat and MapLng are the position for a map link: GCJ-02 inside
	// mainland China, where Tencent and AMap maps expect it, WGS-84
	// elsewhere (see WGS84ToGCJ02).
	MapLat, MapLng float64
	AccuracyM      float64 `json:",omitempty"`
	Label          string  `json:",omitempty"` // the place name the platform sent, if any
	// SiteID, SiteName and RadiusM are the nearest site; DistanceM is the
	// distance to its centre.
	SiteID    string
	SiteName  string
	RadiusM   float64
	DistanceM float64
	// Superseded is set on an approved field clock-in that wrote no punch:
	// by the time it was approved the shift had a counting clock-in (made
	// on site), and a shift counts one.
	Superseded bool `json:",omitempty"`
}

// fieldView describes the pending punch of field request m.
func fieldView(m MakeupRequest, p Punch, sites []Site) *FieldView {
	v := &FieldView{PunchID: p.ID, Kind: p.Kind, At: p.At, Lat: p.Lat, Lng: p.Lng, AccuracyM: p.AccuracyM, Label: p.Label,
		SiteID: p.SiteID, SiteName: p.SiteID, DistanceM: p.DistanceM}
	v.Superseded = m.Status == MakeupApproved && m.PunchID == 0
	v.MapLat, v.MapLng = WGS84ToGCJ02(p.Lat, p.Lng)
	for _, s := range sites {
		if s.ID == p.SiteID {
			v.SiteName, v.RadiusM = s.Name, s.RadiusM
		}
	}
	return v
}

// fieldFiling files the approval request of a field punch inside the
// punch's transaction. It is prepared before the transaction (routing
// reads the directory, which a store may not do inside one); nil when the
// roster's schedule does not make field punches, and its methods are then
// no-ops.
type fieldFiling struct {
	s        *Service
	roster   Roster
	approver Employee
	platform Platform
}

// fieldFiling routes the approver of the employee's field punches, only
// when their schedule accepts punches outside every site as field punches.
func (s *Service) fieldFiling(ctx context.Context, r Roster, platform Platform) (*fieldFiling, error) {
	if r.Schedule.outOfRange() != OutOfRangeField || len(r.Sites) == 0 {
		return nil, nil
	}
	dir, err := s.directory()
	if err != nil {
		return nil, err
	}
	approver, _, err := routeApprover(ctx, dir, r.Employee)
	if err != nil {
		return nil, err
	}
	return &fieldFiling{s: s, roster: r, approver: approver, platform: platform}, nil
}

// hold turns an accepted field punch into one waiting for approval.
func (f *fieldFiling) hold(p *Punch) {
	if f != nil && p.Outcome == OutcomeField {
		p.Outcome = OutcomeFieldPending
	}
}

// file stores the request for p (already inserted, pending), audits it,
// queues the approver's card and puts the view in the reply.
func (f *fieldFiling) file(ctx context.Context, tx Tx, p Punch, reply *Reply) error {
	if f == nil || p.Outcome != OutcomeFieldPending || reply.Outcome != OutcomeFieldPending {
		return nil
	}
	if p.ID == 0 {
		p.ID = reply.PunchID // p was inserted by value
	}
	s := f.s
	now := s.now()
	m := MakeupRequest{Type: RequestField, EmployeeID: p.EmployeeID, ShiftDate: p.ShiftDate, Kind: p.Kind, At: p.At, Start: p.At, End: p.At,
		FieldPunchID: p.ID, Status: MakeupPending, ApproverID: f.approver.ID, Platform: f.platform, CreatedAt: now}
	if err := tx.InsertMakeup(ctx, &m); err != nil {
		return err
	}
	extra := map[string]any{"approver": m.ApproverID, "field_punch_id": p.ID, "site_id": p.SiteID, "distance_m": p.DistanceM, "platform": f.platform}
	if err := s.audit(ctx, tx, p.EmployeeID, "field.requested", m, extra); err != nil {
		return err
	}
	people := makeupPeople{roster: f.roster, approver: f.approver, names: map[string]string{f.roster.Employee.ID: f.roster.Employee.Name}}
	if f.approver.ID != "" {
		people.names[f.approver.ID] = f.approver.Name
	}
	v, err := s.view(ctx, tx, m, people)
	if err != nil {
		return err
	}
	if to, ok := RecipientFor(f.approver); ok && f.approver.ID != "" {
		if err := s.enqueue(ctx, tx, to, OutboxMakeupCard, v, fmt.Sprintf("makeup_card:%d:%s", m.ID, f.approver.ID)); err != nil {
			return err
		}
	}
	reply.Makeup = &v
	return nil
}

// approvedFieldPunch is the counting punch an approved field request
// writes: the pending punch's time, position and classification, accepted
// as a field punch and linked to the request.
func approvedFieldPunch(m MakeupRequest, pending Punch, now time.Time) Punch {
	p := pending
	p.ID, p.ReceivedAt, p.MakeupID = 0, now, m.ID
	p.Outcome = OutcomeField
	p.EventID = fmt.Sprintf("field:%d", m.ID)
	p.Reasons = appendMissing(p.Reasons, ReasonOutOfRange)
	p.Flags = appendMissing(p.Flags, FlagField, FlagOutOfRange)
	return p
}

func appendMissing(list []string, add ...string) []string {
	out := append([]string(nil), list...)
	for _, a := range add {
		found := false
		for _, have := range out {
			found = found || have == a
		}
		if !found {
			out = append(out, a)
		}
	}
	return out
}

// outcomeFieldDecided marks, in Verify's copy of a shift's punches only, a
// field punch whose request was decided (or expired or withdrawn): it no
// longer stands for a punch. Approval writes its own counting punch.
const outcomeFieldDecided Outcome = "field_decided"

// waitingField returns prior with every field punch whose request no
// longer waits marked decided, so only waiting ones direct or repeat the
// next punch. It reads the requests only when there is a pending punch.
func (in VerifyInput) waitingField(prior []Punch, date string) ([]Punch, error) {
	if in.FieldWaiting == nil || !slices.ContainsFunc(prior, func(p Punch) bool { return p.Outcome == OutcomeFieldPending }) {
		return prior, nil
	}
	ids, err := in.FieldWaiting(date)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(prior)
	for i := range out {
		if out[i].Outcome == OutcomeFieldPending && !slices.Contains(ids, out[i].ID) {
			out[i].Outcome = outcomeFieldDecided
		}
	}
	return out, nil
}

// waitingFieldPunches lists inside tx the ids of the employee's field
// punches of date whose request is still pending.
func waitingFieldPunches(ctx context.Context, tx Tx, employeeID, date string) ([]int64, error) {
	reqs, err := tx.ListMakeups(ctx, MakeupFilter{EmployeeID: employeeID, ShiftDate: date, Types: []RequestType{RequestField}, Statuses: []MakeupStatus{MakeupPending}})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(reqs))
	for _, m := range reqs {
		ids = append(ids, m.FieldPunchID)
	}
	return ids, nil
}

// pendingFieldIn is the earliest field clock-in among ps that waits for
// approval, nil when none.
func pendingFieldIn(ps []Punch) *Punch {
	var first *Punch
	for i := range ps {
		if ps[i].Outcome == OutcomeFieldPending && ps[i].Kind == KindIn && (first == nil || ps[i].At.Before(first.At)) {
			first = &ps[i]
		}
	}
	return first
}

// clockInOf is the clock-in a clock-out of the shift follows: the counting
// one, else a field clock-in waiting for approval (it stands for the punch
// it will become; the clock-out is not "without a clock-in").
func clockInOf(ps []Punch) *Punch {
	if in := firstValid(ps, KindIn); in != nil {
		return in
	}
	return pendingFieldIn(ps)
}

// hasPendingField reports whether a field punch of kind k waits for
// approval among ps: for deciding the direction of the next punch it
// stands for the punch it will become (the clock-in is made; the next
// punch is the clock-out), although it does not count yet.
func hasPendingField(ps []Punch, k PunchKind) bool {
	for _, p := range ps {
		if p.Outcome == OutcomeFieldPending && p.Kind == k {
			return true
		}
	}
	return false
}

// pendingFieldPunch finds the punch a field request is about among the
// punches of its shift date.
func pendingFieldPunch(m MakeupRequest, punches []Punch) (Punch, bool) {
	for _, p := range punches {
		if p.ID == m.FieldPunchID {
			return p, true
		}
	}
	return Punch{}, false
}

// approvalPunch writes what an approval adds to attendance inside tx: the
// make-up punch, or the counting field punch; leave, trips and outings add
// no punch (the day logic reads the approved request). It sets m.PunchID
// and returns the audit details.
func (s *Service) approvalPunch(ctx context.Context, tx Tx, r Roster, m *MakeupRequest, now time.Time) (map[string]any, error) {
	var punch Punch
	switch m.TypeOf() {
	case RequestMakeup:
		prior, err := tx.ShiftPunches(ctx, m.EmployeeID, m.ShiftDate)
		if err != nil {
			return nil, err
		}
		punch = makeupPunch(r, *m, prior, now)
	case RequestField:
		prior, err := tx.ShiftPunches(ctx, m.EmployeeID, m.ShiftDate)
		if err != nil {
			return nil, err
		}
		pending, ok := pendingFieldPunch(*m, prior)
		if !ok {
			return nil, Errorf(EINTERNAL, "field request %d: its punch %d is gone", m.ID, m.FieldPunchID)
		}
		if in := firstValid(prior, KindIn); pending.Kind == KindIn && in != nil {
			// An on-site clock-in came while this one waited: the shift
			// counts one clock-in, so the approval is recorded and writes
			// nothing (m.PunchID stays 0; the view says Superseded).
			return map[string]any{"punch_id": int64(0), "no_punch": NoPunchCountingIn, "counting_punch_id": in.ID}, nil
		}
		punch = approvedFieldPunch(*m, pending, now)
	default:
		return nil, nil
	}
	if err := tx.InsertPunch(ctx, &punch); err != nil {
		return nil, err
	}
	m.PunchID = punch.ID
	return map[string]any{"punch_id": punch.ID}, nil
}

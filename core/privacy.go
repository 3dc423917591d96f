package core

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"time"
)

// Personal-information law (PIPL and its peers) asks for minimal collection,
// limited retention, transparency and controlled access. This file holds the
// rules for all four: who may see whom (Scope), how long precise positions
// are kept (RetentionJob), and what erasing a departed employee removes
// (ErasePersonalData).

// Scope is the set of employees a viewer may see.
type Scope struct {
	All bool            // HR and the admin token: everyone
	IDs map[string]bool // otherwise exactly these people
}

// ScopeAll is everyone.
func ScopeAll() Scope { return Scope{All: true} }

// ScopeOf is exactly the given people.
func ScopeOf(ids ...string) Scope {
	s := Scope{IDs: map[string]bool{}}
	for _, id := range ids {
		s.IDs[id] = true
	}
	return s
}

// Allows reports whether the scope includes the employee.
func (s Scope) Allows(id string) bool { return s.All || s.IDs[id] }

// Sorted lists the ids of a limited scope in order; nil for ScopeAll.
func (s Scope) Sorted() []string {
	if s.All {
		return nil
	}
	out := make([]string, 0, len(s.IDs))
	for id := range s.IDs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// ScopeFor decides whom viewer may see among everyone: HR sees everyone, a
// manager sees themselves and the people who report to them directly or
// through other managers, anyone else only themselves. An inactive viewer
// sees nobody: leaving the organisation ends access at once.
func ScopeFor(viewer Employee, everyone []Employee) Scope {
	if !viewer.Active {
		return ScopeOf()
	}
	switch viewer.Role {
	case RoleHR:
		return ScopeAll()
	case RoleManager:
		reports := map[string][]string{}
		for _, e := range everyone {
			if e.ManagerID != "" {
				reports[e.ManagerID] = append(reports[e.ManagerID], e.ID)
			}
		}
		s := ScopeOf(viewer.ID)
		queue := []string{viewer.ID}
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			for _, r := range reports[id] {
				if !s.IDs[r] { // the org file forbids cycles; a stored one must not loop here
					s.IDs[r] = true
					queue = append(queue, r)
				}
			}
		}
		return s
	default:
		return ScopeOf(viewer.ID)
	}
}

// DefaultRetentionDays is how long precise coordinates are kept when
// nothing is configured.
const DefaultRetentionDays = 30

// distanceBands are the upper bounds of the bands a reduced punch keeps,
// in metres; beyond the last is one open band stored as openBandM.
var distanceBands = []float64{100, 300, 1000, 5000}

const openBandM = 10000

// BandDistanceM returns the canonical distance of m's band: the band's upper
// bound, or openBandM beyond the last band. A reduced punch stores this value
// as its distance, so reducing twice changes nothing.
func BandDistanceM(m float64) float64 {
	for _, b := range distanceBands {
		if m <= b {
			return b
		}
	}
	return openBandM
}

// DistanceBand names m's band: "≤100 m", "100–300 m", "300 m–1 km",
// "1–5 km" or ">5 km". The names read the same in Chinese and English.
func DistanceBand(m float64) string {
	switch BandDistanceM(m) {
	case 100:
		return "≤100 m"
	case 300:
		return "100–300 m"
	case 1000:
		return "300 m–1 km"
	case 5000:
		return "1–5 km"
	}
	return ">5 km"
}

// Precise reports whether the punch still carries data the retention job
// removes: coordinates, a place label or a client address.
func (p Punch) Precise() bool { return p.HasLocation || p.Label != "" || p.ClientIP != "" }

// LocationReduced reports whether the punch's position was reduced to a
// site and a distance band: no coordinates are left, but a distance is.
func (p Punch) LocationReduced() bool { return !p.HasLocation && p.DistanceM > 0 }

// ReducePunch keeps of a punch's place only the site and the distance band:
// coordinates, accuracy, the place label and the client address go. Times,
// kinds, outcomes, reasons and flags stay, so attendance computed from the
// punch is unchanged. Reducing a reduced punch changes nothing.
func ReducePunch(p Punch) Punch {
	if p.HasLocation {
		p.DistanceM = BandDistanceM(p.DistanceM)
	}
	p.HasLocation = false
	p.Lat, p.Lng, p.AccuracyM = 0, 0, 0
	p.Label, p.ClientIP = "", ""
	return p
}

// RetentionStore is what the retention job needs from storage.
type RetentionStore interface {
	// InTx runs fn in one transaction (for the job's audit entry).
	InTx(ctx context.Context, fn func(Tx) error) error
	// ClaimRetentionRun records that the job of day (YYYY-MM-DD) started and
	// returns true, or returns false when that day was already claimed, by
	// this replica or another.
	ClaimRetentionRun(ctx context.Context, day string, at time.Time) (bool, error)
	// ReducePunches rewrites, in one transaction, up to limit punches with a
	// time before before that are still Precise, each replaced by reduce(p);
	// only the place fields are written back. Rows another transaction holds
	// are skipped rather than waited for. It returns how many it rewrote.
	// The event record each was stored under goes in the same transaction:
	// its reply repeats the distance and the accuracy, and from then on the
	// punch's own unique event key answers a retry (Store.PunchByEvent).
	ReducePunches(ctx context.Context, before time.Time, limit int, reduce func(Punch) Punch) (int, error)
	// PruneReplies deletes, in one transaction, up to limit of the bot's
	// replies (outbox messages of kind OutboxReply) created before before
	// that are no longer pending, oldest first, and returns how many it
	// deleted. A reply repeats the punch's distance and accuracy, and
	// nothing reads it once it is delivered: a platform's retry is
	// answered from the event record, not the outbox. Approval cards and
	// reminder deliveries stay (cards are updated after a decision, and the
	// firing reports count deliveries), as do pending messages.
	PruneReplies(ctx context.Context, before time.Time, limit int) (int, error)
}

// RetentionJob reduces precise positions older than Days to a site and a
// distance band, and deletes the event records and delivered replies that
// repeat them, once a day. It is idempotent (a reduced punch is not
// Precise, and reducing it again changes nothing) and safe with several
// replicas: the day is claimed in the store, so one replica does the work,
// and rows are rewritten under row locks that the others skip.
type RetentionJob struct {
	Store RetentionStore
	// Days is how long precise positions are kept; 0 means
	// DefaultRetentionDays.
	Days int
	// Zone decides when a day starts, for the daily claim.
	Zone  *time.Location
	Now   func() time.Time
	Log   *slog.Logger
	Batch int // punches or replies per transaction; 0 means 500
}

// RetentionResult says what one run did.
type RetentionResult struct {
	Day     string
	Cutoff  time.Time
	Claimed bool // false: another run already did this day
	Reduced int  // punches reduced
	Pruned  int  // delivered replies deleted
}

func (j *RetentionJob) defaults() {
	if j.Days <= 0 {
		j.Days = DefaultRetentionDays
	}
	if j.Zone == nil {
		j.Zone = time.UTC
	}
	if j.Now == nil {
		j.Now = time.Now
	}
	if j.Log == nil {
		j.Log = slog.Default()
	}
	if j.Batch <= 0 {
		j.Batch = 500
	}
}

// RunOnce claims today and, when the claim is new, reduces every precise
// punch older than the retention period and deletes the delivered replies
// as old, in batches, then writes one audit entry with the counts.
func (j *RetentionJob) RunOnce(ctx context.Context) (RetentionResult, error) {
	j.defaults()
	now := j.Now()
	res := RetentionResult{Day: now.In(j.Zone).Format(DateLayout), Cutoff: now.Add(-time.Duration(j.Days) * 24 * time.Hour)}
	claimed, err := j.Store.ClaimRetentionRun(ctx, res.Day, now)
	if err != nil || !claimed {
		return res, err
	}
	res.Claimed = true
	if res.Reduced, err = inBatches(ctx, j.Batch, func() (int, error) { return j.Store.ReducePunches(ctx, res.Cutoff, j.Batch, ReducePunch) }); err != nil {
		return res, err
	}
	if res.Pruned, err = inBatches(ctx, j.Batch, func() (int, error) { return j.Store.PruneReplies(ctx, res.Cutoff, j.Batch) }); err != nil {
		return res, err
	}
	detail, _ := json.Marshal(map[string]any{"cutoff": res.Cutoff.UTC().Format(time.RFC3339), "days": j.Days, "reduced": res.Reduced, "pruned_replies": res.Pruned})
	err = j.Store.InTx(ctx, func(tx Tx) error {
		return tx.InsertAudit(ctx, AuditEntry{At: j.Now(), Actor: "system", Action: "retention.reduced", Subject: res.Day, Detail: string(detail)})
	})
	return res, err
}

// inBatches calls step, one transaction of up to batch rows, until a step
// does fewer rows than batch, and returns the total.
func inBatches(ctx context.Context, batch int, step func() (int, error)) (int, error) {
	total := 0
	for {
		n, err := step()
		total += n
		if err != nil || n < batch {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// Run calls RunOnce at start and then every interval until ctx ends; the
// daily claim makes a short interval cheap (one insert that finds the day
// taken), and a replica that was down at midnight still runs the day.
func (j *RetentionJob) Run(ctx context.Context, interval time.Duration) {
	j.defaults()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		res, err := j.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Error("retention run failed", "day", res.Day, "reduced", res.Reduced, "pruned_replies", res.Pruned, "err", err)
		case res.Claimed:
			j.Log.Info("retention run done", "day", res.Day, "cutoff", res.Cutoff, "reduced", res.Reduced, "pruned_replies", res.Pruned)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ErasureResult counts what an erasure removed or reduced.
type ErasureResult struct {
	Punches    int // punches whose place was reduced
	Identities int // chat accounts unbound
	Makeups    int // make-up requests whose reason, evidence and note were cleared
	Events     int // recorded replies to the person's messages
	Outbox     int // delivered or failed messages addressed to or about the person
	Devices    int // bound passkeys deleted (device.go)
}

// EraseStore is what erasing a departed employee needs from storage.
type EraseStore interface {
	// ErasePersonalData removes, in one transaction, the personal data of an
	// inactive employee: the name, the chat identities, every punch's
	// precise place (each punch replaced by reduce(p)), make-up reasons,
	// evidence and notes, recorded replies, and delivered or failed outbox
	// messages addressed to or about them. It keeps the id, department,
	// manager, schedule, sites, zone and every punch's time and result, so
	// attendance numbers stay the same, and the audit log, which records
	// who did what. audit builds the entry appended in the same
	// transaction. ENOTFOUND for an unknown employee, ECONFLICT for an
	// active one.
	ErasePersonalData(ctx context.Context, employeeID string, reduce func(Punch) Punch, audit func(ErasureResult) AuditEntry) (ErasureResult, error)
}

// ErasePersonalData erases a departed (inactive) employee's personal data
// on behalf of actor, keeping the aggregate attendance numbers.
func ErasePersonalData(ctx context.Context, st EraseStore, employeeID, actor string, now time.Time) (ErasureResult, error) {
	if employeeID == "" {
		return ErasureResult{}, Errorf(EINVALID, "an erasure needs an employee id")
	}
	// A departed employee's passkeys go too. They cannot be used (an
	// inactive employee verifies nothing), so deleting them before the
	// erasure's own transaction loses nothing if that one fails.
	devices := 0
	rs, hasRoster := st.(interface {
		Roster(ctx context.Context, employeeID string) (Roster, error)
	})
	if ds, ok := st.(DeviceStore); ok && hasRoster {
		r, err := rs.Roster(ctx, employeeID)
		if err != nil {
			return ErasureResult{}, err
		}
		if r.Employee.Active {
			return ErasureResult{}, Errorf(ECONFLICT, "employee %s is still active: set active: false in the organisation file and apply it first", employeeID)
		}
		if devices, err = ds.EraseDevices(ctx, employeeID); err != nil {
			return ErasureResult{}, err
		}
	}
	res, err := st.ErasePersonalData(ctx, employeeID, ReducePunch, func(r ErasureResult) AuditEntry {
		counts := map[string]int{"punches": r.Punches, "identities": r.Identities, "makeups": r.Makeups, "events": r.Events, "outbox": r.Outbox}
		if devices > 0 {
			counts["devices"] = devices
		}
		detail, _ := json.Marshal(counts)
		return AuditEntry{At: now, Actor: actor, Action: "employee.erased", Subject: employeeID, Detail: string(detail)}
	})
	res.Devices = devices
	return res, err
}

// ErasedName is what an erased employee's name reads as in stores: empty, so
// no copy of the name survives; screens and reports show a placeholder.
const ErasedName = ""

// AuditFilter selects audit entries.
type AuditFilter struct {
	Subject string // exact match; "" for any
	Actor   string // exact match; "" for any
	Action  string // prefix such as "console." or exact action; "" for any
	Limit   int    // at most this many, newest first; 0 or less for all
}

// AuditFinder lists audit entries by filter, newest first: HR reads who did
// what, and an employee reads who looked at their data.
type AuditFinder interface {
	FindAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

package admin

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/punchbot/punchbot/core"
)

// An apply never deletes (README, "Files and console edits"), and that
// holds for the organisation's settings too: a file of a few people, or
// one that only renames the organisation, must not reset the make-up
// policy, the leave types' quotas or device binding to their defaults.
// ParseOrgOver therefore fills every setting the file leaves out from the
// organisation as stored, before Prepare, so an employee without a lang
// still gets the stored organisation's language.

// ParseOrgOver parses an org file to be applied over cur, the organisation
// as stored (CurrentOrg). It is ParseOrg, except that each organisation-wide
// setting the file leaves out keeps cur's value instead of taking the
// default: name, lang, timezone, each key of makeup, leave_types (as a
// whole), device_binding, and the device_binding of every stored schedule
// the file does not list. A key written with an empty value counts as left
// out, as everywhere in the file.
//
// The result carries cur's Version, so the store applies it only over the
// organisation it was parsed over: a console edit or another apply landing
// in between makes ApplyOrg refuse with core.ErrOrgChanged instead of
// having the stored settings read before it silently written back over it.
// ApplyOrgOver reads, parses and applies again then.
func ParseOrgOver(data []byte, cur core.Org, checks ...func(core.Org) []core.FieldError) (core.Org, error) {
	return parseOrg(data, &cur, checks)
}

// CurrentOrg reads the organisation as stored, with its device-binding
// policy (which Org leaves out).
func CurrentOrg(ctx context.Context, st OrgReader) (core.Org, error) {
	org, err := st.Org(ctx)
	if err != nil {
		return core.Org{}, err
	}
	if org.Devices, err = st.DevicePolicy(ctx); err != nil {
		return core.Org{}, err
	}
	return org, nil
}

// OrgApplier reads the organisation and applies one.
type OrgApplier interface {
	OrgReader
	core.OrgStore
}

// applyAttempts bounds ApplyOrgOver's reading again after the organisation
// changed under it: each attempt needs another apply to land within the
// few milliseconds between its read and its write, so three in a row mean
// something is applying in a loop, and the caller is better told.
const applyAttempts = 3

// ApplyOrgOver applies an org file over the organisation as stored, what
// PUT /api/v1/org and `punchbot apply` do: it reads the organisation
// (CurrentOrg), parses the file over it (ParseOrgOver) and applies the
// result at the version it read. When another apply or a console edit
// landed in between, the store refuses and changes nothing, and the whole
// is done again over the organisation as it now is, so the file still wins
// for what it names and what it leaves out keeps the newest stored value.
// After applyAttempts the error is ECONFLICT with core.ErrOrgChanged.
// audit makes the entry from the organisation about to be applied.
func ApplyOrgOver(ctx context.Context, st OrgApplier, data []byte, audit func(core.Org) core.AuditEntry, checks ...func(core.Org) []core.FieldError) (core.Org, core.ApplyResult, error) {
	for range applyAttempts {
		org, res, err := applyOrgOnce(ctx, st, data, 0, audit, checks)
		if !errors.Is(err, core.ErrOrgChanged) {
			return org, res, err
		}
	}
	return core.Org{}, core.ApplyResult{}, core.WrapError(core.ECONFLICT, core.ErrOrgChanged,
		"someone else kept changing the organisation while this file was applied (%d attempts); nothing was changed: apply it again", applyAttempts)
}

// ApplyOrgAt is ApplyOrgOver for a caller that reviewed the organisation
// at version (GET /api/v1/org's ETag, POST /api/v1/org/diff's version) and
// sent it back (If-Match): the file is applied only over that version.
// When the organisation moved on since, what was reviewed is no longer
// what would change, so nothing is applied or retried, and the error is
// ECONFLICT with core.ErrOrgChanged.
func ApplyOrgAt(ctx context.Context, st OrgApplier, data []byte, version int64, audit func(core.Org) core.AuditEntry, checks ...func(core.Org) []core.FieldError) (core.Org, core.ApplyResult, error) {
	return applyOrgOnce(ctx, st, data, version, audit, checks)
}

// applyOrgOnce reads, parses over and applies once; a non-zero want is the
// version the organisation must still be at.
func applyOrgOnce(ctx context.Context, st OrgApplier, data []byte, want int64, audit func(core.Org) core.AuditEntry, checks []func(core.Org) []core.FieldError) (core.Org, core.ApplyResult, error) {
	cur, err := CurrentOrg(ctx, st)
	if err != nil {
		return core.Org{}, core.ApplyResult{}, err
	}
	if want != 0 && cur.Version != want {
		return core.Org{}, core.ApplyResult{}, core.WrapError(core.ECONFLICT, core.ErrOrgChanged,
			"someone else changed the organisation after version %d (it is at version %d now); nothing was changed: review it again", want, cur.Version)
	}
	org, err := ParseOrgOver(data, cur, checks...)
	if err != nil {
		return core.Org{}, core.ApplyResult{}, err
	}
	res, err := st.ApplyOrg(ctx, org, audit(org))
	if err != nil {
		return core.Org{}, core.ApplyResult{}, err
	}
	return org, res, nil
}

// keepOmitted copies into org cur's value of every setting the file did
// not give (p.given holds the paths the file gave a value).
func (p *parser) keepOmitted(org *core.Org, cur core.Org) {
	keep := func(path string, dst *string, src string) {
		if !p.given[path] && src != "" {
			*dst = src
		}
	}
	org.Version = cur.Version // applied only over what was kept (ParseOrgOver)
	keep("name", &org.Name, cur.Name)
	keep("lang", &org.Lang, cur.Lang)
	keep("timezone", &org.TimeZone, cur.TimeZone)
	for _, v := range []struct {
		key      string
		dst, src *int
	}{
		{"monthly_quota", &org.Makeup.MonthlyQuota, &cur.Makeup.MonthlyQuota},
		{"deadline_days", &org.Makeup.DeadlineDays, &cur.Makeup.DeadlineDays},
		{"expire_after_hours", &org.Makeup.ExpireAfterHours, &cur.Makeup.ExpireAfterHours},
	} {
		if !p.given["makeup."+v.key] {
			*v.dst = *v.src
		}
	}
	if !p.given["leave_types"] && len(cur.LeaveTypes) > 0 {
		org.LeaveTypes = slices.Clone(cur.LeaveTypes)
	}
	if !p.given["device_binding"] && cur.Devices.Default != "" {
		org.Devices.Default = cur.Devices.Default
	}
	listed := map[string]bool{}
	for _, s := range org.Schedules {
		listed[s.ID] = true
	}
	for _, id := range slices.Sorted(maps.Keys(cur.Devices.Schedules)) {
		if b := cur.Devices.Schedules[id]; !listed[id] && b != "" {
			if org.Devices.Schedules == nil {
				org.Devices.Schedules = map[string]core.DeviceBinding{}
			}
			org.Devices.Schedules[id] = b
		}
	}
}

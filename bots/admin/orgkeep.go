package admin

import (
	"context"
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

// keepOmitted copies into org cur's value of every setting the file did
// not give (p.given holds the paths the file gave a value).
func (p *parser) keepOmitted(org *core.Org, cur core.Org) {
	keep := func(path string, dst *string, src string) {
		if !p.given[path] && src != "" {
			*dst = src
		}
	}
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

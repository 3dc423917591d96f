package coretest

import (
	"context"
	"maps"
	"slices"

	"github.com/punchbot/punchbot/core"
)

// Org returns the whole organisation as applied, each list in id order, as
// the SQL stores' Org does.
func (m *MemStore) Org(ctx context.Context) (core.Org, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.state
	org := core.Org{Name: st.orgInfo.Name, Lang: st.orgInfo.Lang, TimeZone: st.orgInfo.TimeZone, Makeup: st.policy, LeaveTypes: slices.Clone(st.leaveTypes)}
	for _, id := range slices.Sorted(maps.Keys(st.sites)) {
		site := st.sites[id]
		site.IPRanges = slices.Clone(site.IPRanges)
		org.Sites = append(org.Sites, core.OrgSite{Site: site, Datum: core.WGS84})
	}
	for _, id := range slices.Sorted(maps.Keys(st.schedules)) {
		sc := st.schedules[id]
		sc.WorkDays = slices.Clone(sc.WorkDays)
		org.Schedules = append(org.Schedules, sc)
	}
	for _, id := range slices.Sorted(maps.Keys(st.calendars)) {
		c := st.calendars[id]
		c.Days = slices.Clone(c.Days)
		org.Calendars = append(org.Calendars, c)
	}
	for _, id := range slices.Sorted(maps.Keys(st.employees)) {
		e := st.employees[id]
		e.Identities = nil
		e.SiteIDs = slices.Clone(e.SiteIDs)
		for _, i := range st.identities {
			if i.EmployeeID == id {
				e.Identities = append(e.Identities, i)
			}
		}
		org.Employees = append(org.Employees, e)
	}
	for _, id := range slices.Sorted(maps.Keys(st.reminders)) {
		r := st.reminders[id]
		r.Audience.Departments, r.Audience.Employees = slices.Clone(r.Audience.Departments), slices.Clone(r.Audience.Employees)
		r.Audience.Chats = slices.Clone(r.Audience.Chats)
		org.Reminders = append(org.Reminders, r)
	}
	return org, nil
}

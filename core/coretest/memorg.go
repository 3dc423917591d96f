package coretest

import (
	"context"
	"maps"
	"slices"

	"github.com/punchbot/punchbot/core"
)

// memOrg is what the SQL stores keep in org_version and the sites' datum
// columns (migration 0017).
type memOrg struct {
	applies int64                   // the version is applies+1, as the SQL stores start at 1
	datums  map[string]memSiteDatum // by site id; none is WGS-84
}

// memSiteDatum is a site's datum and its coordinates as written.
type memSiteDatum struct {
	datum   core.Datum
	written core.LatLng
}

func (o memOrg) clone() memOrg {
	o.datums = maps.Clone(o.datums)
	return o
}

func (o memOrg) version() int64 { return o.applies + 1 }

// checkOrgVersion refuses an apply over a version that is no longer the
// stored one (core.Org.Version).
func (m *MemStore) checkOrgVersion(org core.Org) error {
	if v := m.state.org.version(); org.Version != 0 && org.Version != v {
		return core.OrgChanged(org.Version, v)
	}
	return nil
}

// savedOrg moves the version on and records each applied site's datum.
func (m *MemStore) savedOrg(org core.Org) {
	m.state.org.applies++
	for _, s := range org.Sites {
		if s.Datum != core.GCJ02 {
			delete(m.state.org.datums, s.ID)
			continue
		}
		if m.state.org.datums == nil {
			m.state.org.datums = map[string]memSiteDatum{}
		}
		lat, lng := s.WrittenLatLng()
		m.state.org.datums[s.ID] = memSiteDatum{datum: s.Datum, written: core.LatLng{Lat: lat, Lng: lng}}
	}
}

// Org returns the whole organisation as applied, each list in id order, as
// the SQL stores' Org does.
func (m *MemStore) Org(ctx context.Context) (core.Org, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.state
	org := core.Org{Name: st.orgInfo.Name, Lang: st.orgInfo.Lang, TimeZone: st.orgInfo.TimeZone, Makeup: st.policy, LeaveTypes: slices.Clone(st.leaveTypes),
		Version: st.org.version()}
	for _, id := range slices.Sorted(maps.Keys(st.sites)) {
		site := st.sites[id]
		site.IPRanges = slices.Clone(site.IPRanges)
		os := core.OrgSite{Site: site, Datum: core.WGS84}
		if d, ok := st.org.datums[id]; ok {
			w := d.written
			os.Datum, os.Written = d.datum, &w
		}
		org.Sites = append(org.Sites, os)
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

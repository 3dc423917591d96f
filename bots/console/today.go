package console

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Today.

type count struct {
	Key   string
	N     int
	Href  string
	Class string
}

type todayData struct {
	Date    string
	Updated time.Time
	Zone    *time.Location
	Counts  []count
	Rows    []core.DailyRow
	Total   int
	Pager   pager
	Show, Q string
	Dept    string
	Depts   []string
}

// todayGroups classify a day row for the counters and the filter.
var todayGroups = []struct {
	key string
	in  func(r core.DailyRow) bool
}{
	{"c_in", func(r core.DailyRow) bool { return !r.FirstIn.IsZero() }},
	{"c_late", func(r core.DailyRow) bool {
		return r.Has(core.DayLate) || r.Has(core.DaySeriousLate) || (r.Has(core.DayAbsent) && !r.FirstIn.IsZero())
	}},
	{"c_notin", func(r core.DailyRow) bool { return r.Workday && r.FirstIn.IsZero() }},
	{"c_field", func(r core.DailyRow) bool { return r.Field }},
	{"c_out", func(r core.DailyRow) bool { return !r.LastOut.IsZero() }},
	{"c_off", func(r core.DailyRow) bool { return !r.Workday }},
}

func (c *Console) today(w http.ResponseWriter, r *http.Request, v *viewer) error {
	now := c.now()
	date := c.today0()
	rep, err := core.BuildDailyReport(r.Context(), c.store, date, date, v.Scope, now)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := todayData{Date: date, Updated: now, Zone: c.cfg.Zone, Show: q.Get("show"), Q: strings.TrimSpace(q.Get("q")), Dept: q.Get("dept")}
	depts := map[string]bool{}
	for _, row := range rep.Rows {
		if row.Department != "" {
			depts[row.Department] = true
		}
	}
	for dep := range depts {
		d.Depts = append(d.Depts, dep)
	}
	slices.Sort(d.Depts)
	var show func(core.DailyRow) bool
	for _, g := range todayGroups {
		n := 0
		for _, row := range rep.Rows {
			if g.in(row) {
				n++
			}
		}
		k := count{Key: g.key, N: n, Href: "/?show=" + g.key}
		if d.Show == g.key {
			show, k.Class = g.in, "active"
		}
		d.Counts = append(d.Counts, k)
	}
	needle := strings.ToLower(d.Q)
	for _, row := range rep.Rows {
		if (show != nil && !show(row)) || (d.Dept != "" && row.Department != d.Dept) ||
			(needle != "" && !strings.Contains(strings.ToLower(row.Name), needle) && !strings.Contains(strings.ToLower(row.EmployeeID), needle)) {
			continue
		}
		d.Total++
		d.Rows = append(d.Rows, row)
	}
	d.Rows, d.Pager = paginate(d.Rows, r, pageSize)
	if err := c.auditView(r.Context(), v, "console.viewed", "today:"+date, rowIDs(rep.Rows, dailyID), map[string]any{"page": "today"}); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "today", &page{Lang: v.Lang, Title: tr(v.Lang, "today_title"), Nav: "today", V: v, Refresh: 60, Data: d})
	return nil
}

package console

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Plot.

type plotData struct {
	Date      string
	Panels    []plotPanel
	Punches   []core.Punch
	Pager     pager
	Retention int
	Zone      func(string) *time.Location
}

func (c *Console) plot(w http.ResponseWriter, r *http.Request, v *viewer) error {
	date, err := dateParam(r.URL.Query(), "date", c.today0())
	if err != nil {
		return err
	}
	rosters, err := c.store.Rosters(r.Context())
	if err != nil {
		return err
	}
	var sites []core.Site
	seen := map[string]bool{}
	for _, ro := range rosters {
		if !v.Scope.Allows(ro.Employee.ID) {
			continue
		}
		for _, s := range ro.Sites {
			if !seen[s.ID] {
				seen[s.ID] = true
				sites = append(sites, s)
			}
		}
	}
	slices.SortFunc(sites, func(a, b core.Site) int { return strings.Compare(a.ID, b.ID) })
	var punches []core.Punch
	err = c.store.ScanShiftPunches(r.Context(), core.ShiftRange{From: date, To: date, EmployeeIDs: v.Scope.Sorted()}, func(p core.Punch) error {
		if v.Scope.Allows(p.EmployeeID) {
			punches = append(punches, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(punches, func(a, b core.Punch) int { return a.At.Compare(b.At) })
	zones := zoneOf(v)
	p := &page{Lang: v.Lang, Title: tr(v.Lang, "plot_title"), Nav: "plot", V: v, Sites: siteMap(rosters)}
	d := plotData{Date: date, Retention: c.cfg.RetentionDays, Zone: zones}
	d.Panels = buildPanels(sites, punches, p.Name, v.Lang, zones)
	d.Punches = punches
	d.Punches, d.Pager = paginate(d.Punches, r, pageSize)
	p.Data = d
	ids := rowIDs(punches, func(p core.Punch) string { return p.EmployeeID })
	if err := c.auditView(r.Context(), v, "console.viewed", "plot:"+date, ids, map[string]any{"page": "plot"}); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "plot", p)
	return nil
}

// siteMap indexes every roster's sites by id.
func siteMap(rosters []core.Roster) map[string]core.Site {
	out := map[string]core.Site{}
	for _, r := range rosters {
		for _, s := range r.Sites {
			out[s.ID] = s
		}
	}
	return out
}

// sites loads the site index for a page that shows punches.
func (c *Console) sites(ctx context.Context) (map[string]core.Site, error) {
	rosters, err := c.store.Rosters(ctx)
	if err != nil {
		return nil, err
	}
	return siteMap(rosters), nil
}

package console

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// The punch plot draws one square panel per site, in metres around the
// site's centre: no map tiles (there is no CDN, and tiles would send every
// position to a third party), just the punch area and the punches. A local
// flat projection is exact enough at a few kilometres.

// plotSize is a panel's width and height in SVG units; plotHalf is the
// radius of the drawable area around the centre.
const (
	plotSize = 360
	plotHalf = 165
	// metresPerDegLat is the length of one degree of latitude.
	metresPerDegLat = 111320.0
)

// plotPoint is one punch placed in a panel.
type plotPoint struct {
	X, Y     float64
	Outside  bool // clamped to the panel's edge
	Class    string
	Title    string // tooltip: who, when, what, how far
	Rejected bool
}

// plotPanel is one site with its punches.
type plotPanel struct {
	Site      core.Site
	R         float64 // the punch area's radius in SVG units
	Points    []plotPoint
	Outside   int
	Farthest  float64
	ScaleM    float64 // length of the scale bar in metres
	ScaleLen  float64 // and in SVG units
	Center    float64
	Size      int
	ExtentM   float64
	Punches   int
	Rejected  int
	Flagged   int
	ScaleText string
	// Where the scale bar sits, bottom left.
	ScaleX2, ScaleY, ScaleTextY float64
}

// offset returns the punch's east and north offsets in metres from the site.
func offset(s core.Site, lat, lng float64) (east, north float64) {
	return (lng - s.Lng) * metresPerDegLat * math.Cos(s.Lat*math.Pi/180), (lat - s.Lat) * metresPerDegLat
}

// niceScale picks a round scale-bar length near a quarter of the extent.
func niceScale(extent float64) float64 {
	target := extent / 2
	best := 10.0
	for _, m := range []float64{10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000} {
		if m <= target {
			best = m
		}
	}
	return best
}

// pointClass is the CSS class of a punch's mark.
func pointClass(p core.Punch) string {
	switch {
	case p.Outcome == core.OutcomeRejected:
		return "pt-rejected"
	case hasAnomaly(p.Flags):
		return "pt-flagged"
	case p.Outcome == core.OutcomeField:
		return "pt-field"
	}
	return "pt-ok"
}

// hasAnomaly reports flags worth a second look: being on site by office IP
// is not one.
func hasAnomaly(flags []string) bool {
	return slices.ContainsFunc(flags, func(f string) bool { return f != core.FlagByIP })
}

// buildPanels places the located punches of a day around the sites they
// were measured against; name gives each punch's person and zones their
// time zone.
func buildPanels(sites []core.Site, punches []core.Punch, name func(string) string, lang string, zones func(string) *time.Location) []plotPanel {
	bySite := map[string][]core.Punch{}
	for _, p := range punches {
		if p.HasLocation && p.SiteID != "" {
			bySite[p.SiteID] = append(bySite[p.SiteID], p)
		}
	}
	var out []plotPanel
	for _, s := range sites {
		ps := bySite[s.ID]
		panel := plotPanel{Site: s, Center: plotSize / 2, Size: plotSize}
		// The view shows twice the radius, and farther punches up to five
		// radii; anything beyond sits on the edge with its distance in the
		// tooltip, so one stray punch cannot shrink the site to a dot.
		far := 0.0
		for _, p := range ps {
			e, n := offset(s, p.Lat, p.Lng)
			far = math.Max(far, math.Hypot(e, n))
		}
		extent := math.Max(2*s.RadiusM, math.Min(far*1.15, 5*s.RadiusM))
		scale := plotHalf / extent
		panel.ExtentM, panel.R = extent, s.RadiusM*scale
		panel.ScaleM = niceScale(extent)
		panel.ScaleLen, panel.ScaleText = panel.ScaleM*scale, bots.Distance(panel.ScaleM)
		panel.ScaleX2, panel.ScaleY, panel.ScaleTextY = 12+panel.ScaleLen, plotSize-12, plotSize-18
		for _, p := range ps {
			e, n := offset(s, p.Lat, p.Lng)
			d := math.Hypot(e, n)
			pt := plotPoint{Class: pointClass(p), Rejected: p.Outcome == core.OutcomeRejected}
			if d > extent {
				e, n = e/d*extent, n/d*extent
				pt.Outside = true
				panel.Outside++
				panel.Farthest = math.Max(panel.Farthest, d)
			}
			pt.X, pt.Y = panel.Center+e*scale, panel.Center-n*scale
			kind := "上班"
			if lang == "en" {
				kind = "in"
			}
			if p.Kind == core.KindOut {
				kind = "下班"
				if lang == "en" {
					kind = "out"
				}
			}
			title := []string{name(p.EmployeeID), p.At.In(zones(p.EmployeeID)).Format("15:04"), kind, string(p.Outcome), bots.Distance(p.DistanceM)}
			if p.AccuracyM > 0 {
				title = append(title, "±"+bots.Distance(p.AccuracyM))
			}
			if len(p.Reasons) > 0 {
				title = append(title, strings.Join(p.Reasons, ","))
			}
			if hasAnomaly(p.Flags) {
				title = append(title, strings.Join(p.Flags, ","))
				panel.Flagged++
			}
			pt.Title = strings.Join(title, " · ")
			if pt.Rejected {
				panel.Rejected++
			}
			panel.Points = append(panel.Points, pt)
		}
		panel.Punches = len(ps)
		// Rejected marks last, so they are drawn on top.
		slices.SortStableFunc(panel.Points, func(a, b plotPoint) int {
			switch {
			case a.Rejected == b.Rejected:
				return 0
			case b.Rejected:
				return -1
			}
			return 1
		})
		out = append(out, panel)
	}
	return out
}

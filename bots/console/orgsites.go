package console

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// Sites: coordinates with their datum, the punch radius and office IP
// ranges. A site entered in GCJ-02 (copied from a Chinese map) is measured
// in its WGS-84 conversion, as the org file's are, and the store keeps what
// was entered too: the list and the form show that, with its datum, so
// saving the form unchanged changes nothing.

var sitesSpec = &entitySpec{
	key: "sites", entity: "sites",
	columns: []string{"name", "id", "position", "radius", "org_ip_ranges"},
	rows:    siteRows, values: siteValues, fields: siteFields, apply: applySite,
}

func siteRows(p *page, org core.Org, q string) []listRow {
	var out []listRow
	for _, s := range org.Sites {
		if q != "" && !containsFold(q, s.ID, s.Name) {
			continue
		}
		lat, lng := s.WrittenLatLng()
		pos := coord(lat) + ", " + coord(lng)
		if s.Datum == core.GCJ02 {
			pos += " (GCJ-02)"
		}
		out = append(out, listRow{ID: s.ID, Href: "/org/sites/" + url.PathEscape(s.ID), Cells: []string{
			s.Name, s.ID, pos, strconv.FormatFloat(s.RadiusM, 'f', -1, 64) + " m", strings.Join(s.IPRanges, ", ")}})
	}
	return out
}

// mainlandRings is where GCJ-02 applies, for the map picker to convert
// exactly where core does (layout.html).
var mainlandRings = func() string {
	b, err := json.Marshal(core.MainlandBoundary())
	if err != nil {
		panic(err) // numbers only
	}
	return string(b)
}()

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }

func siteValues(org core.Org, id string) (url.Values, bool) {
	i := slices.IndexFunc(org.Sites, func(s core.OrgSite) bool { return s.ID == id })
	if i < 0 {
		return nil, false
	}
	s := org.Sites[i]
	lat, lng, datum := s.Lat, s.Lng, core.WGS84
	if s.Datum == core.GCJ02 && s.Written != nil {
		// As entered; six decimals are ten centimetres.
		lat, lng, datum = s.Written.Lat, s.Written.Lng, core.GCJ02
	}
	return url.Values{"id": {s.ID}, "name": {s.Name}, "lat": {coord(lat)}, "lng": {coord(lng)}, "datum": {string(datum)},
		"radius_m": {strconv.FormatFloat(s.RadiusM, 'f', -1, 64)}, "ip_ranges": {strings.Join(s.IPRanges, "\n")}}, true
}

func siteFields(p *page, org core.Org, vals url.Values, isNew bool) []formField {
	datum := vals.Get("datum")
	if datum == "" {
		datum = string(core.WGS84)
	}
	radius := vals.Get("radius_m")
	if isNew && radius == "" {
		radius = strconv.Itoa(core.DefaultRadiusM)
	}
	return []formField{
		idField(p, vals, isNew, p.T("org_id_help")),
		{Name: "name", Label: p.T("name"), Type: "text", Value: vals.Get("name"), Required: true},
		{Name: "lat", Label: p.T("org_lat"), Type: "text", Value: vals.Get("lat"), Required: true, Placeholder: "39.9965"},
		{Name: "lng", Label: p.T("org_lng"), Type: "text", Value: vals.Get("lng"), Required: true, Placeholder: "116.4803"},
		{Name: "datum", Label: p.T("org_datum"), Type: "select", Value: datum, Help: p.T("org_datum_kept"),
			Options: []option{{"wgs84", p.T("org_wgs84")}, {"gcj02", p.T("org_gcj02")}}},
		{Name: "radius_m", Label: p.T("radius") + " (m)", Type: "number", Value: radius, Step: "1"},
		{Name: "ip_ranges", Label: p.T("org_ip_ranges"), Type: "textarea", Value: vals.Get("ip_ranges"), Rows: 2, Placeholder: "203.0.113.0/24", Help: p.T("org_ip_help")},
	}
}

func applySite(org *core.Org, id string, vals url.Values, _ []byte, lang string) (int, fieldErrors) {
	errs := fieldErrors{}
	i := len(org.Sites)
	if id != "" {
		if i = slices.IndexFunc(org.Sites, func(s core.OrgSite) bool { return s.ID == id }); i < 0 {
			return 0, fieldErrors{"": tr(lang, "not_found")}
		}
	} else {
		org.Sites = append(org.Sites, core.OrgSite{Site: core.Site{ID: strings.TrimSpace(vals.Get("id"))}})
	}
	s := &org.Sites[i]
	s.Name = strings.TrimSpace(vals.Get("name"))
	s.Lat = floatField(vals, "lat", errs, lang)
	s.Lng = floatField(vals, "lng", errs, lang)
	s.Datum = core.Datum(strings.ReplaceAll(strings.ToLower(vals.Get("datum")), "-", ""))
	s.Written = nil // Lat and Lng are as entered now; Prepare converts them
	s.RadiusM = floatField(vals, "radius_m", errs, lang)
	s.IPRanges = splitList(vals.Get("ip_ranges"))
	return i, errs
}

// floatField reads a decimal number; a required coordinate left blank is
// an error, not 0,0 off the coast of Africa.
func floatField(vals url.Values, name string, errs fieldErrors, lang string) float64 {
	s := strings.TrimSpace(vals.Get(name))
	if s == "" && name == "radius_m" {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		errs.add(name, tr(lang, "org_not_number"))
	}
	return f
}

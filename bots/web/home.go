package web

import (
	"net/http"
	"strconv"
	"strings"
)

// The start page, /l/: what an installed punchbot opens (the manifest's
// start_url, manifest.go). A location page's URL carries its one-time
// token, so it cannot be the start URL; this page instead says where links
// come from and sends every punch a location page kept offline
// (offline.go), showing what became of each. It holds no personal data, so
// the service worker keeps a copy from its install on (sw.go) and the
// installed app opens without a network.

func (p *Pages) serveHome(w http.ResponseWriter, r *http.Request) {
	lang := acceptLang(r.Header.Get("Accept-Language"))
	t := texts[lang]
	p.writePage(w, http.StatusOK, page{Lang: lang, Title: t["home_title"], Heading: t["home_heading"], State: "home", Home: true, T: t})
}

// acceptLang picks zh or en from an Accept-Language header (RFC 9110
// §12.5.4): the preferred of the two by weight, the first listed on a tie,
// and zh, the pages' default, when the header names neither. The start page
// has no link to carry a language; the browser's list is the person's
// choice (navigator.languages is the same list).
func acceptLang(header string) string {
	best, bestQ := "zh", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if (primary == "zh" || primary == "en") && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

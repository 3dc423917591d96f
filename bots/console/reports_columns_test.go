package console

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReportPreviewHasTheDownloadsColumns: the monthly preview shows every
// column of the downloaded file, the leave types' days and hours included
// (it stopped at 转调休, so HR never saw per-type leave before payroll did).
func TestReportPreviewHasTheDownloadsColumns(t *testing.T) {
	f := MustFixture(t, false)
	th := regexp.MustCompile(`<th>([^<]*)</th>`)
	for _, who := range []string{"H1", "M2"} {
		c := f.MustSignIn(t, who)
		page := c.get(t, "/reports?month=2026-11")
		if page.Status != http.StatusOK {
			t.Fatalf("%s: reports page = %d", who, page.Status)
		}
		i := strings.Index(page.Body, `id="report-table"`)
		j := strings.Index(page.Body[i:], "</thead>")
		if i < 0 || j < 0 {
			t.Fatalf("%s: no report table", who)
		}
		var preview []string
		for _, m := range th.FindAllStringSubmatch(page.Body[i:i+j], -1) {
			preview = append(preview, m[1])
		}
		lang := "zh"
		if who == "M2" {
			lang = "en"
		}
		file := c.get(t, "/reports/download?kind=monthly&month=2026-11&format=csv&lang="+lang)
		first, _, _ := strings.Cut(strings.TrimPrefix(file.Body, "\ufeff"), "\r\n")
		if got, want := preview, strings.Split(first, ","); !slices.Equal(got, want) {
			t.Errorf("%s: preview columns %q, want the file's %q", who, got, want)
		}
	}
}

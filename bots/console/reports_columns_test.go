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

// TestDailyDownloadOfARange: the daily download takes an optional to=, so
// HR gets a month of daily rows in one file, named like the API's; a range
// ending before it starts is refused in the reader's language.
func TestDailyDownloadOfARange(t *testing.T) {
	f := MustFixture(t, false)
	hr := f.MustSignIn(t, "H1")
	if page := hr.get(t, "/reports").Body; !strings.Contains(page, `<input type="date" name="to" value="">`) {
		t.Errorf("the daily form has no optional end date")
	}
	tests := []struct {
		name, query string
		status      int
		dates       []string
		file        string
	}{
		{"a range", "date=2026-11-02&to=2026-11-04", http.StatusOK, []string{"2026-11-02", "2026-11-03", "2026-11-04"}, "punchbot-daily-2026-11-02_2026-11-04.csv"},
		{"one date (the form's empty to=)", "date=2026-11-02&to=", http.StatusOK, []string{"2026-11-02"}, "punchbot-daily-2026-11-02.csv"},
		{"to before date", "date=2026-11-04&to=2026-11-02", http.StatusBadRequest, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := hr.get(t, "/reports/download?kind=daily&format=csv&lang=zh&"+tc.query)
			if res.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tc.status, res.Body)
			}
			if tc.status != http.StatusOK {
				if !strings.Contains(res.Body, "日期范围 2026-11-04 – 2026-11-02 的结束日期早于开始日期") {
					t.Errorf("refusal does not say why in Chinese:\n%s", res.Body)
				}
				return
			}
			if got := res.Header.Get("Content-Disposition"); got != `attachment; filename="`+tc.file+`"` {
				t.Errorf("Content-Disposition = %q, want %s", got, tc.file)
			}
			seen := map[string]bool{}
			for _, line := range strings.Split(strings.TrimPrefix(res.Body, "\ufeff"), "\r\n")[1:] {
				if d, _, ok := strings.Cut(line, ","); ok {
					seen[d] = true
				}
			}
			var got []string
			for d := range seen {
				got = append(got, d)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.dates) {
				t.Errorf("rows on %v, want %v", got, tc.dates)
			}
		})
	}
}

package console

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestReportDownloadsInThePreviewsLanguage: the reports page previews in
// the reader's language, and its download links and daily form carry that
// language (lang=), so the file's headers match the preview; they came in
// the organisation's (Chinese) for an English reader. A link without lang=
// keeps the organisation's language, as before.
func TestReportDownloadsInThePreviewsLanguage(t *testing.T) {
	f := MustFixture(t, false)
	monthlyLink := regexp.MustCompile(`href="(/reports/download\?kind=monthly[^"]*format=csv[^"]*)"`)
	dailyForm := regexp.MustCompile(`(?s)<form method="get" action="/reports/download"[^>]*id="daily-form">(.*?)</form>`)
	hidden := regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)
	tests := []struct {
		who                       string // M2 reads English, H1 Chinese; the organisation is Chinese
		previewHeader, fileHeader string // the first column in each
		dailyHeader               string
	}{
		{"M2", "<th>Employee ID</th>", "Employee ID,Name", "Date,Employee ID"},
		{"H1", "<th>工号</th>", "工号,姓名", "日期,工号"},
	}
	for _, tc := range tests {
		c := f.MustSignIn(t, tc.who)
		page := c.get(t, "/reports?month=2026-11")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, tc.previewHeader) {
			t.Fatalf("%s: preview = %d, want a %s column", tc.who, page.Status, tc.previewHeader)
		}
		m := monthlyLink.FindStringSubmatch(page.Body)
		if m == nil {
			t.Fatalf("%s: the page has no monthly CSV link", tc.who)
		}
		res := c.get(t, html.UnescapeString(m[1]))
		if got := strings.TrimPrefix(res.Body, "\ufeff"); res.Status != http.StatusOK || !strings.HasPrefix(got, tc.fileHeader) {
			t.Errorf("%s: GET %s = %d %.40q, want headers starting %q like the preview", tc.who, m[1], res.Status, got, tc.fileHeader)
		}

		form := dailyForm.FindStringSubmatch(page.Body)
		if form == nil {
			t.Fatalf("%s: the page has no daily download form", tc.who)
		}
		q := url.Values{"date": {"2026-11-26"}, "format": {"csv"}}
		for _, h := range hidden.FindAllStringSubmatch(form[1], -1) {
			q.Set(h[1], html.UnescapeString(h[2]))
		}
		res = c.get(t, "/reports/download?"+q.Encode())
		if got := strings.TrimPrefix(res.Body, "\ufeff"); res.Status != http.StatusOK || !strings.HasPrefix(got, tc.dailyHeader) {
			t.Errorf("%s: daily form %s = %d %.40q, want headers starting %q", tc.who, q.Encode(), res.Status, got, tc.dailyHeader)
		}
	}
	// Without lang= (an older link), or with one the console does not
	// speak, the organisation's language.
	c := f.MustSignIn(t, "M2")
	for _, path := range []string{"/reports/download?kind=monthly&month=2026-11&format=csv", "/reports/download?kind=monthly&month=2026-11&format=csv&lang=fr"} {
		res := c.get(t, path)
		if got := strings.TrimPrefix(res.Body, "\ufeff"); res.Status != http.StatusOK || !strings.HasPrefix(got, "工号,姓名") {
			t.Errorf("GET %s = %d %.40q, want the organisation's Chinese headers", path, res.Status, got)
		}
	}
}

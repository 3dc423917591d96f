package console

import (
	"html"
	"net/http"
	"strings"
	"testing"
)

// TestBadDateAndMonthInReadersLanguage: a month, date or request type the
// console cannot read (typed into a browser without a month picker, or an edited link) is
// refused in the reader's language; the page showed the core's English
// "month "2026/11" is not YYYY-MM" after "请求无效：".
func TestBadDateAndMonthInReadersLanguage(t *testing.T) {
	f := MustFixture(t, false)
	tests := []struct {
		who, path  string
		want, not  string
		wantStatus int
	}{
		{"H1", "/reports?month=2026/11", "“2026/11”不是月份，请写成 2026-11 这样的格式。", "is not", http.StatusBadRequest},
		{"M2", "/reports?month=2026/11", "“2026/11” is not a month; write it like 2026-11.", "不是", http.StatusBadRequest},
		{"H1", "/reports/download?kind=monthly&month=Nov", "“Nov”不是月份", "is not", http.StatusBadRequest},
		{"M2", "/reports/download?kind=devices&month=13", "“13” is not a month", "不是", http.StatusBadRequest},
		{"H1", "/reports/download?kind=daily&date=11/26", "“11/26”不是日期，请写成 2026-11-26 这样的格式。", "is not", http.StatusBadRequest},
		{"M2", "/plot?date=yesterday", "“yesterday” is not a date; write it like 2026-11-26.", "不是", http.StatusBadRequest},
		{"H1", "/exceptions?from=2026-13-01", "“2026-13-01”不是日期", "is not", http.StatusBadRequest},
		{"H1", "/makeups?type=vacation", "没有“vacation”这种申请类型：可选补卡、外勤打卡、请假、出差、外出、加班。", "must be", http.StatusBadRequest},
		{"M2", "/makeups?type=vacation", "There is no request type “vacation”", "类型", http.StatusBadRequest},
	}
	clients := map[string]*client{}
	for _, tt := range tests {
		c := clients[tt.who]
		if c == nil {
			c = f.MustSignIn(t, tt.who)
			clients[tt.who] = c
		}
		res := c.get(t, tt.path)
		body := html.UnescapeString(res.Body)
		if res.Status != tt.wantStatus || !strings.Contains(body, tt.want) {
			t.Errorf("%s GET %s = %d, want %d with %q\n%s", tt.who, tt.path, res.Status, tt.wantStatus, tt.want, body)
			continue
		}
		if msg := body[strings.Index(body, tt.want[:4]):]; strings.Contains(msg[:min(len(msg), 120)], tt.not) {
			t.Errorf("%s GET %s: message %q mixes in %q", tt.who, tt.path, msg[:min(len(msg), 120)], tt.not)
		}
	}
	// A download without a month is this month's, as the page is.
	if res := clients["H1"].get(t, "/reports/download?kind=monthly&format=csv"); res.Status != http.StatusOK {
		t.Errorf("download without a month = %d, want 200: %s", res.Status, res.Body)
	}
}

package console

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/bots/admin"
)

// TestEveryAccessShowsOnThePersonsPage has HR look at and export every
// list that includes E2 and checks that E2's own data page lists each one,
// in E2's language.
func TestEveryAccessShowsOnThePersonsPage(t *testing.T) {
	f := MustFixture(t, true)
	hr := f.MustSignIn(t, "H1")
	for _, path := range []string{"/", "/exceptions", "/plot", "/makeups", "/reports", "/reports/download?month=2026-11&format=csv", "/people/E2", "/people/E2/export"} {
		if res := hr.get(t, path); res.Status != http.StatusOK {
			t.Fatalf("H1 GET %s = %d", path, res.Status)
		}
	}
	e2 := f.MustSignIn(t, "E2")
	page := e2.get(t, "/me").Body
	_, table, _ := strings.Cut(page, `id="access-table"`)
	for _, want := range []string{
		"查看了今日考勤列表", "查看了异常列表", "查看了打卡地图", "查看了月度报表",
		"导出了包含你的数据的文件（共", "monthly:2026-11", "查看了你的个人数据页", "导出了包含你的数据的文件",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("E2's access log lacks %q", want)
		}
	}
	if n := strings.Count(table, "赵敏"); n != 7 {
		t.Errorf("E2's access log names HR %d times, want one per access (7; E2 has no make-up requests)", n)
	}
	// The make-up list included E1, who has a request.
	_, table1, _ := strings.Cut(f.MustSignIn(t, "E1").get(t, "/me").Body, `id="access-table"`)
	if !strings.Contains(table1, "查看了补卡申请列表") {
		t.Errorf("E1's access log lacks the make-up list")
	}
	// E3 was in the lists and the report but not on E2's page.
	e3 := f.MustSignIn(t, "E3")
	_, table3, _ := strings.Cut(e3.get(t, "/me").Body, `id="access-table"`)
	if !strings.Contains(table3, "exported a file containing your data") || strings.Contains(table3, "viewed your data page") {
		t.Errorf("E3's access log (in English) is wrong:\n%s", table3)
	}
}

// TestDataPageWordingDependsOnTheReader: the person reads "about you"; HR
// reads whose data it is and that the view is recorded.
func TestDataPageWordingDependsOnTheReader(t *testing.T) {
	f := MustFixture(t, false)
	own := f.MustSignIn(t, "E2").get(t, "/me").Body
	if !strings.Contains(own, "关于你的全部数据") {
		t.Errorf("the person's own page does not address them")
	}
	other := f.MustSignIn(t, "H1").get(t, "/people/E2").Body
	if strings.Contains(other, "关于你的全部数据") || !strings.Contains(other, "关于 李四 的全部数据") || !strings.Contains(other, "你的这次查看已被记录") {
		t.Errorf("HR's view of E2 is worded as if HR were E2:\n%s", intro(other))
	}
}

func intro(body string) string {
	_, rest, _ := strings.Cut(body, `id="intro">`)
	line, _, _ := strings.Cut(rest, "</p>")
	return line
}

// TestAdminAPIReadsShowOnThePersonsPage: a read of people's data through
// the admin API on the same store shows on the data page of each person it
// included, in that person's language.
func TestAdminAPIReadsShowOnThePersonsPage(t *testing.T) {
	f := MustFixture(t, false)
	const token = "admin-api-token"
	mux := http.NewServeMux()
	admin.New(admin.Deps{Store: f.store, Token: token, Zone: shanghai, Now: f.clock.Now, Log: slog.New(slog.DiscardHandler), Reports: f.store}).Register(mux)
	tests := []struct {
		api  string
		who  string
		want string
	}{
		{"/api/v1/employees", "E2", `<tr data-action="api.read"><td>2026-11-26 10:30</td><td>admin</td><td>通过管理接口读取了员工名单（姓名、部门和聊天账号）（共 7 人） · employees</td></tr>`},
		{"/api/v1/employees", "E3", `<tr data-action="api.read"><td>2026-11-26 10:30</td><td>admin</td><td>read the employee list (names, departments and chat accounts) through the admin API (7 people) · employees</td></tr>`},
	}
	for _, tc := range tests {
		req := httptest.NewRequest(http.MethodGet, tc.api, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", tc.api, rec.Code, rec.Body)
		}
		_, table, _ := strings.Cut(f.MustSignIn(t, tc.who).get(t, "/me").Body, `id="access-table"`)
		table, _, _ = strings.Cut(table, "</table>")
		if !strings.Contains(table, tc.want) {
			t.Errorf("after GET %s, %s's access log =\n%s\nwant the row\n%s", tc.api, tc.who, table, tc.want)
		}
	}
}

package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestReportsShowTheVerifiedShare: the reports page counts the month's
// browser punches and the device-verified ones.
func TestReportsShowTheVerifiedShare(t *testing.T) {
	f := MustFixture(t, false)
	ctx := context.Background()
	for i, flags := range [][]string{{core.FlagDeviceVerified}, nil, {core.FlagDeviceVerified}} {
		err := f.store.InTx(ctx, func(tx core.Tx) error {
			return tx.InsertPunch(ctx, &core.Punch{EmployeeID: "E2", Kind: core.KindIn, At: at(t, "2026-11-2"+string(rune('0'+i))+" 08:55"),
				ShiftDate: "2026-11-2" + string(rune('0'+i)), Source: "web", Outcome: core.OutcomeAccepted, Flags: flags})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	res := f.MustSignIn(t, "H1").get(t, "/reports?month=2026-11")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /reports = %d", res.Status)
	}
	_, section, ok := strings.Cut(res.Body, `id="device-share"`)
	if !ok {
		t.Fatal("the reports page has no device-share section")
	}
	for _, want := range []string{"2 / 3", "66.7%", `data-employee="E2"`, "<td>3</td><td>2</td><td>66.7</td>"} {
		if !strings.Contains(section, want) {
			t.Errorf("device-share section lacks %q", want)
		}
	}
	// E2's manager's scope includes E2; M2's does not.
	if body := f.MustSignIn(t, "M2").get(t, "/reports?month=2026-11").Body; strings.Contains(body, `id="device-share"`) {
		t.Errorf("M2 sees the verified share of someone outside their scope")
	}
}

// mustBrowserPunches adds November browser punches: E2 (M1's team) two of
// three verified, E3 (M2's team) one unverified.
func mustBrowserPunches(tb testing.TB, f *fixture) {
	tb.Helper()
	ctx := context.Background()
	add := func(emp, date string, flags ...string) {
		tb.Helper()
		err := f.store.InTx(ctx, func(tx core.Tx) error {
			return tx.InsertPunch(ctx, &core.Punch{EmployeeID: emp, Kind: core.KindIn, At: at(tb, date+" 08:55"), ShiftDate: date, Source: "web", Outcome: core.OutcomeAccepted, Flags: flags})
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	add("E2", "2026-11-20", core.FlagDeviceVerified)
	add("E2", "2026-11-23")
	add("E2", "2026-11-24", core.FlagDeviceVerified)
	add("E3", "2026-11-24")
}

// TestDeviceShareDownload: the verified share downloads as a CSV of the
// viewer's scope, with headers in the viewer's language, offered by a link
// on the reports page wherever the page shows the share.
func TestDeviceShareDownload(t *testing.T) {
	f := MustFixture(t, false)
	mustBrowserPunches(t, f)
	const (
		zh = "\ufeff工号,姓名,浏览器打卡,设备验证,验证比例（%）\r\n"
		en = "\ufeffEmployee ID,Name,Browser punches,Device-verified,Verified (%)\r\n"
	)
	tests := []struct {
		who  string
		lang string // ?lang= on the page, which its link carries on
		link string // the page's download link; "" when the page shows no share
		csv  string
	}{
		{"H1", "", "/reports/download?kind=devices&month=2026-11&format=csv&lang=zh",
			zh + "E2,李四,3,2,66.7\r\nE3,Alice Chen,1,0,0\r\n合计,,4,2,50\r\n"},
		{"H1", "en", "/reports/download?kind=devices&month=2026-11&format=csv&lang=en",
			en + "E2,李四,3,2,66.7\r\nE3,Alice Chen,1,0,0\r\nTotal,,4,2,50\r\n"},
		{"admin", "", "/reports/download?kind=devices&month=2026-11&format=csv&lang=zh",
			zh + "E2,李四,3,2,66.7\r\nE3,Alice Chen,1,0,0\r\n合计,,4,2,50\r\n"},
		{"M1", "", "/reports/download?kind=devices&month=2026-11&format=csv&lang=zh", zh + "E2,李四,3,2,66.7\r\n合计,,3,2,66.7\r\n"},
		{"M2", "", "/reports/download?kind=devices&month=2026-11&format=csv&lang=en", en + "E3,Alice Chen,1,0,0\r\nTotal,,1,0,0\r\n"},
		{"E2", "", "/reports/download?kind=devices&month=2026-11&format=csv&lang=zh", zh + "E2,李四,3,2,66.7\r\n合计,,3,2,66.7\r\n"},
		{"E1", "", "", zh + "合计,,0,0,0\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.who+" "+tc.lang, func(t *testing.T) {
			c := f.MustSignIn(t, tc.who)
			path := "/reports?month=2026-11"
			if tc.lang != "" {
				path += "&lang=" + tc.lang
			}
			page := c.get(t, path)
			if page.Status != http.StatusOK {
				t.Fatalf("GET %s = %d", path, page.Status)
			}
			_, section, _ := strings.Cut(page.Body, `id="device-share"`)
			section, _, _ = strings.Cut(section, "</section>")
			var link string
			if _, rest, ok := strings.Cut(section, `id="device-downloads"`); ok {
				_, href, _ := strings.Cut(rest, `href="`)
				href, _, _ = strings.Cut(href, `"`)
				link = html.UnescapeString(href)
			}
			if link != tc.link {
				t.Errorf("device-share download link = %q, want %q", link, tc.link)
			}
			if tc.link == "" {
				link = "/reports/download?kind=devices&month=2026-11&format=csv"
			}
			res := c.get(t, link)
			if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
				res.Header.Get("Content-Disposition") != `attachment; filename="punchbot-devices-2026-11.csv"` {
				t.Fatalf("GET %s = %d %v", link, res.Status, res.Header)
			}
			if res.Body != tc.csv {
				t.Errorf("GET %s\n got  %q\n want %q", link, res.Body, tc.csv)
			}
		})
	}
	if res := f.MustSignIn(t, "H1").get(t, "/reports/download?kind=devices&month=2026-13&format=csv"); res.Status != http.StatusBadRequest {
		t.Errorf("a bad month = %d, want 400", res.Status)
	}
}

// TestDeviceShareDownloadIsAudited: HR's download shows on the data page of
// each person it lists, in their language; one's own download is no
// access to record.
func TestDeviceShareDownloadIsAudited(t *testing.T) {
	f := MustFixture(t, false)
	mustBrowserPunches(t, f)
	f.MustSignIn(t, "H1").get(t, "/reports/download?kind=devices&month=2026-11&format=csv")
	f.MustSignIn(t, "E2").get(t, "/reports/download?kind=devices&month=2026-11&format=csv")
	tests := []struct {
		who, want string
	}{
		{"E2", "导出了包含你的数据的文件（共 2 人） · devices:2026-11"},
		{"E3", "exported a file containing your data (2 people) · devices:2026-11"},
	}
	for _, tc := range tests {
		_, table, _ := strings.Cut(f.MustSignIn(t, tc.who).get(t, "/me").Body, `id="access-table"`)
		if n := strings.Count(table, tc.want); n != 1 {
			t.Errorf("%s's access log shows %q %d times, want once (HR's download):\n%s", tc.who, tc.want, n, table)
		}
	}
	if es := f.audits(t, core.AuditFilter{Actor: "E2", Action: "report.exported"}); len(es) != 0 {
		t.Errorf("E2's download of their own share was audited: %+v", es)
	}
	if es := f.audits(t, core.AuditFilter{Actor: "H1", Action: "report.exported"}); len(es) != 1 || es[0].Subject != "devices:2026-11" || !strings.Contains(es[0].Detail, `"format":"csv"`) {
		t.Errorf("H1's export audit = %+v, want one of devices:2026-11 as CSV", es)
	}
}

func TestDevicesPageOff(t *testing.T) {
	f := MustFixture(t, false)
	if res := f.MustSignIn(t, "E1").get(t, "/devices"); res.Status != http.StatusNotFound {
		t.Errorf("GET /devices without device binding = %d, want 404", res.Status)
	}
}

// TestPeopleRevokeTheirOwnDevices: the person lists and revokes their own
// device on the devices page; a colleague may neither list nor revoke it.
func TestPeopleRevokeTheirOwnDevices(t *testing.T) {
	f := mustPasskeyFixture(t)
	ctx := context.Background()
	if err := f.store.AddDevice(ctx, core.Device{ID: "e2-phone", EmployeeID: "E2", Name: "iPhone", Credential: []byte("{}"), CreatedAt: f.clock.Now()},
		core.AuditEntry{At: f.clock.Now(), Actor: "E2", Action: "device.enrolled", Subject: "E2"}); err != nil {
		t.Fatal(err)
	}
	signIn := func(who string) *client {
		c := f.newClient(t, who)
		link := f.MustLink(t, who, core.LinkConsole)
		if res := c.do(t, http.MethodPost, strings.TrimPrefix(link, f.console.base), url.Values{}); res.Status != http.StatusSeeOther {
			t.Fatalf("sign-in of %s: %d", who, res.Status)
		}
		return c
	}
	e2, e1 := signIn("E2"), signIn("E1")
	page := e2.get(t, "/devices")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `data-device="e2-phone" data-active="true"`) || !strings.Contains(page.Body, "iPhone") {
		t.Fatalf("E2's devices page = %d, want the active iPhone", page.Status)
	}
	if res := e1.get(t, "/devices?employee=E2"); res.Status != http.StatusForbidden {
		t.Errorf("E1 listing E2's devices = %d, want 403", res.Status)
	}
	if res := e1.post(t, "/devices/e2-phone/revoke", nil); res.Status != http.StatusForbidden {
		t.Errorf("E1 revoking E2's device = %d, want 403", res.Status)
	}
	if res := e2.do(t, http.MethodPost, "/devices/e2-phone/revoke", url.Values{"csrf": {"forged"}}); res.Status != http.StatusForbidden {
		t.Errorf("a revocation without the CSRF token = %d, want 403", res.Status)
	}
	res := e2.post(t, "/devices/e2-phone/revoke", nil)
	if res.Status != http.StatusSeeOther || !strings.Contains(res.Location, "done=revoked") {
		t.Fatalf("E2 revoking = %d → %s", res.Status, res.Location)
	}
	d, _ := f.store.Device(ctx, "e2-phone")
	if d.Active() || d.RevokedBy != "E2" {
		t.Errorf("device after E2 revoked it = %+v", d)
	}
	if res := e2.post(t, "/devices/e2-phone/revoke", nil); !strings.Contains(res.Location, "done=already") {
		t.Errorf("revoking twice → %s, want the already-revoked notice", res.Location)
	}
	if es := f.audits(t, core.AuditFilter{Action: "device.revoked", Subject: "E2"}); len(es) != 1 || es[0].Actor != "E2" {
		t.Errorf("revocation audit = %+v, want one by E2", es)
	}
}

package admin

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/punchbot/punchbot/core"
)

func TestEncodeDeviceShare(t *testing.T) {
	rep := core.DeviceShareReport{Month: "2026-11", Rows: []core.DeviceShare{
		{EmployeeID: "E001", Name: "张三", Browser: 3, Verified: 2},
		{EmployeeID: "E002", Name: "=1+1", Browser: 1},
	}, Total: core.DeviceShare{Browser: 4, Verified: 2}}
	tests := []struct {
		name   string
		rep    core.DeviceShareReport
		format string
		lang   string
		want   string
	}{
		{"csv zh", rep, FormatCSV, "zh", "\ufeff工号,姓名,浏览器打卡,设备验证,验证比例（%）\r\n" +
			"E001,张三,3,2,66.7\r\nE002,'=1+1,1,0,0\r\n合计,,4,2,50\r\n"},
		{"csv en", rep, FormatCSV, "en", "\ufeffEmployee ID,Name,Browser punches,Device-verified,Verified (%)\r\n" +
			"E001,张三,3,2,66.7\r\nE002,'=1+1,1,0,0\r\nTotal,,4,2,50\r\n"},
		{"csv without browser punches", core.DeviceShareReport{Month: "2026-11"}, FormatCSV, "zh", "\ufeff工号,姓名,浏览器打卡,设备验证,验证比例（%）\r\n合计,,0,0,0\r\n"},
		{"json", rep, FormatJSON, "zh", `{"month":"2026-11","rows":[` +
			`{"browser":3,"employee_id":"E001","name":"张三","percent":66.7,"verified":2},` +
			`{"browser":1,"employee_id":"E002","name":"=1+1","percent":0,"verified":0}],` +
			`"total":{"browser":4,"percent":50,"verified":2}}`},
		{"json without browser punches", core.DeviceShareReport{Month: "2026-11"}, FormatJSON, "en", `{"month":"2026-11","rows":[],"total":{"browser":0,"percent":0,"verified":0}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EncodeDeviceShare(tc.rep, tc.format, tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	x, err := EncodeDeviceShare(rep, FormatXLSX, "en")
	if err != nil {
		t.Fatal(err)
	}
	xf, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer xf.Close()
	rows, err := xf.GetRows("Verified devices 2026-11")
	want := [][]string{DeviceShareHeaders("en"), {"E001", "张三", "3", "2", "66.7"}, {"E002", "=1+1", "1", "0", "0"}, {"Total", "", "4", "2", "50"}}
	if err != nil || !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("XLSX rows = %q, %v; want %q", rows, err, want)
	}
	if _, err := EncodeDeviceShare(rep, "pdf", "zh"); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("pdf: %v, want EINVALID", err)
	}
}

// mustDevicePunches adds November browser punches: E001 two of three
// verified (and one refused, one on WeCom, one in October: none counted),
// E003 (another manager's team) one unverified; nobody else has any.
func mustDevicePunches(tb testing.TB, f *fixture) {
	tb.Helper()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	ctx := context.Background()
	add := func(emp, date, source string, outcome core.Outcome, flags ...string) {
		tb.Helper()
		at, err := time.ParseInLocation("2006-01-02 15:04", date+" 08:50", shanghai)
		if err != nil {
			tb.Fatal(err)
		}
		err = f.store.InTx(ctx, func(tx core.Tx) error {
			return tx.InsertPunch(ctx, &core.Punch{EmployeeID: emp, Kind: core.KindIn, At: at, ShiftDate: date, Source: source, Outcome: outcome, Flags: flags})
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	acc := core.OutcomeAccepted
	add("E001", "2026-11-09", "web", acc, core.FlagDeviceVerified)
	add("E001", "2026-11-10", "web", acc)
	add("E001", "2026-11-11", "web", acc, core.FlagDeviceVerified)
	add("E001", "2026-11-12", "web", core.OutcomeRejected, core.FlagDeviceVerified)
	add("E001", "2026-10-30", "web", acc, core.FlagDeviceVerified)
	add("E002", "2026-11-09", "wecom", acc)
	add("E003", "2026-11-09", "web", core.OutcomeField)
}

// TestDeviceShareEndpoint: GET /api/v1/reports/devices covers everyone
// (the admin token's scope), in the organisation's language or ?lang=,
// and each export shows on the access log of exactly the people it lists.
func TestDeviceShareEndpoint(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())
	mustDevicePunches(t, f)
	const csvType, jsonType = "text/csv; charset=utf-8", "application/json; charset=utf-8"
	tests := []struct {
		target      string
		status      int
		contentType string
		disposition string
		body        string // the whole body; "" skips the check
	}{
		{"/api/v1/reports/devices?month=2026-11&format=csv", http.StatusOK, csvType, `attachment; filename="punchbot-devices-2026-11.csv"`,
			"\ufeff工号,姓名,浏览器打卡,设备验证,验证比例（%）\r\nE001,张三,3,2,66.7\r\nE003,Alice Chen,1,0,0\r\n合计,,4,2,50\r\n"},
		{"/api/v1/reports/devices?month=2026-11&format=csv&lang=en", http.StatusOK, csvType, `attachment; filename="punchbot-devices-2026-11.csv"`,
			"\ufeffEmployee ID,Name,Browser punches,Device-verified,Verified (%)\r\nE001,张三,3,2,66.7\r\nE003,Alice Chen,1,0,0\r\nTotal,,4,2,50\r\n"},
		{"/api/v1/reports/devices?month=2026-11", http.StatusOK, jsonType, "",
			`{"month":"2026-11","rows":[{"browser":3,"employee_id":"E001","name":"张三","percent":66.7,"verified":2},` +
				`{"browser":1,"employee_id":"E003","name":"Alice Chen","percent":0,"verified":0}],"total":{"browser":4,"percent":50,"verified":2}}`},
		{"/api/v1/reports/devices?month=2026-10&format=json", http.StatusOK, jsonType, "",
			`{"month":"2026-10","rows":[{"browser":1,"employee_id":"E001","name":"张三","percent":100,"verified":1}],"total":{"browser":1,"percent":100,"verified":1}}`},
		{"/api/v1/reports/devices", http.StatusOK, jsonType, "", `{"month":"2026-12","rows":[],"total":{"browser":0,"percent":0,"verified":0}}`},
		{"/api/v1/reports/devices?month=2026-11&format=xlsx", http.StatusOK, ContentType(FormatXLSX), `attachment; filename="punchbot-devices-2026-11.xlsx"`, ""},
		{"/api/v1/reports/devices?month=2026-13&format=csv", http.StatusBadRequest, jsonType, "", ""},
		{"/api/v1/reports/devices?month=2026-11&format=pdf", http.StatusBadRequest, jsonType, "", ""},
		{"/api/v1/reports/devices?month=2026-11&lang=fr", http.StatusBadRequest, jsonType, "", ""},
	}
	for _, tc := range tests {
		rec := f.get(tc.target)
		body := rec.Body.String()
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != tc.contentType || rec.Header().Get("Content-Disposition") != tc.disposition {
			t.Errorf("GET %s = %d %q %q, want %d %q %q; body %s", tc.target, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Content-Disposition"),
				tc.status, tc.contentType, tc.disposition, body)
		}
		if tc.body != "" && body != tc.body {
			t.Errorf("GET %s body\n got  %q\n want %q", tc.target, body, tc.body)
		}
	}
	if rec := f.do(http.MethodGet, "/api/v1/reports/devices?month=2026-11", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("without a token = %d, want 401", rec.Code)
	}
	if rec := MustFixture(t, testToken).get("/api/v1/reports/devices?month=2026-11"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("without a report store = %d, want 503", rec.Code)
	}

	// Four November exports (csv, csv en, json, xlsx), each of E001 and E003.
	ctx := context.Background()
	for _, tc := range []struct {
		emp  string
		want int
	}{{"E001", 4}, {"E003", 4}, {"E002", 0}, {"M001", 0}} {
		log, err := core.AccessLog(ctx, f.store, tc.emp, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, a := range log {
			if a.Action == "report.exported" && a.What == "export" && a.Object == "devices:2026-11" && a.Actor == core.ActorAdmin && a.People == 2 {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("%s's access log has %d exports of devices:2026-11 by admin of 2 people, want %d: %+v", tc.emp, got, tc.want, log)
		}
	}
}

package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// MustReportFixture is an API with reports on a MemStore holding the demo
// organisation and a week of punches of E001 (张三) and E003 (Alice).
func MustReportFixture(tb testing.TB, org []byte) *fixture {
	tb.Helper()
	f := &fixture{store: &memStore{MemStore: coretest.NewMemStore()}, mux: http.NewServeMux()}
	f.now = time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	New(Deps{Store: f.store, Token: testToken, Zone: shanghai, Now: func() time.Time { return f.now }, Log: slog.New(slog.DiscardHandler), Reports: f.store}).Register(f.mux)
	parsed, err := ParseOrg(org)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.store.ApplyOrg(context.Background(), parsed, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	at := func(date, clock string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", date+" "+clock, shanghai)
		if err != nil {
			tb.Fatal(err)
		}
		return t
	}
	var ps []core.Punch
	add := func(emp string, kind core.PunchKind, date, clock string, outcome core.Outcome, src string) {
		ps = append(ps, core.Punch{EmployeeID: emp, Kind: kind, At: at(date, clock), ShiftDate: date, Source: src, Outcome: outcome,
			SiteID: "wangjing", HasLocation: true, Lat: 39.9965, Lng: 116.4803, DistanceM: 20})
	}
	acc := core.OutcomeAccepted
	add("E001", core.KindIn, "2026-11-02", "08:55", acc, "wecom")
	add("E001", core.KindOut, "2026-11-02", "18:40", acc, "wecom")
	add("E001", core.KindIn, "2026-11-03", "10:15", acc, "wecom") // 45 min late after 30 min flex: serious
	add("E001", core.KindOut, "2026-11-03", "19:00", acc, "wecom")
	add("E001", core.KindIn, "2026-11-04", "09:00", acc, core.SourceMakeup)
	add("E003", core.KindIn, "2026-11-02", "09:20", core.OutcomeField, "slack")
	err = f.store.InTx(context.Background(), func(tx core.Tx) error {
		for i := range ps {
			if err := tx.InsertPunch(context.Background(), &ps[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// get sends an authorised GET and returns the recorder.
func (f *fixture) get(target string) *httptest.ResponseRecorder {
	return f.do(http.MethodGet, target, "Bearer "+testToken, nil)
}

func MustCSV(tb testing.TB, body []byte) [][]string {
	tb.Helper()
	if !bytes.HasPrefix(body, []byte("\xef\xbb\xbf")) {
		tb.Fatalf("CSV does not start with a UTF-8 BOM: % x", body[:min(8, len(body))])
	}
	if !bytes.Contains(body, []byte("\r\n")) {
		tb.Errorf("CSV lines do not end in CRLF")
	}
	recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		tb.Fatalf("CSV does not parse: %v", err)
	}
	return recs
}

func TestMonthlyReportFormats(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())

	rec := f.get("/api/v1/reports/monthly?month=2026-11&format=csv")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		rec.Header().Get("Content-Disposition") != `attachment; filename="punchbot-monthly-2026-11.csv"` {
		t.Fatalf("CSV: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	recs := MustCSV(t, rec.Body.Bytes())
	wantHeader := []string{"工号", "姓名", "部门", "应出勤天数", "出勤天数", "迟到次数", "迟到分钟", "严重迟到次数", "早退次数", "早退分钟", "缺卡次数", "旷工天数", "补卡次数", "外勤打卡次数", "工作时长（小时）",
		"请假天数", "请假时长（小时）", "出差天数", "外出天数", "待审批天数", "工作日加班（小时）", "休息日加班（小时）", "节假日加班（小时）", "转调休（小时）", "入职日期", "最后工作日（离职）", "未在职工作日", "年假（天）", "年假（小时）", "病假（天）", "病假（小时）", "事假（天）", "事假（小时）"}
	if !slices.Equal(recs[0], wantHeader) {
		t.Errorf("CSV header = %q, want the organisation's Chinese headers %q", recs[0], wantHeader)
	}
	if len(recs) != 21 {
		t.Fatalf("CSV has %d lines, want a header and the 20 employees", len(recs))
	}
	// E001: 21 workdays, worked 3 (2 Nov, 3 Nov, 4 Nov by make-up), one
	// serious late of 45 min, 4 Nov missing out, 18 days absent.
	wantE001 := []string{"E001", "张三", "研发", "21", "3", "1", "45", "1", "0", "0", "1", "18", "1", "0", "18.5", "0", "0", "0", "0", "0", "0", "0", "0", "0", "", "", "0", "0", "0", "0", "0", "0", "0"}
	if !slices.Equal(recs[1], wantE001) {
		t.Errorf("E001 = %q, want %q", recs[1], wantE001)
	}
	if recs[3][0] != "E003" || recs[3][13] != "1" || recs[3][10] != "1" {
		t.Errorf("E003 = %q, want one field punch and a missing check-out", recs[3])
	}

	if recs := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv&lang=en").Body.Bytes()); recs[0][0] != "Employee ID" || recs[0][14] != "Worked hours" {
		t.Errorf("English header = %q", recs[0])
	}

	rec = f.get("/api/v1/reports/monthly?month=2026-11&format=xlsx")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/vnd.openxmlformats") {
		t.Fatalf("XLSX: %d %v", rec.Code, rec.Header())
	}
	x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	defer x.Close()
	if sheets := x.GetSheetList(); !slices.Equal(sheets, []string{"月报 2026-11"}) {
		t.Errorf("sheets = %q", sheets)
	}
	rows, err := x.GetRows("月报 2026-11")
	if err != nil || len(rows) != 21 || !slices.Equal(rows[0], wantHeader) || !slices.Equal(rows[1], wantE001) {
		t.Errorf("XLSX rows = %q, %v; want the CSV's", rows, err)
	}
	if typ, _ := x.GetCellType("月报 2026-11", "D2"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Errorf("workdays cell is text (%v), want a number payroll can sum", typ)
	}

	js := MustDecode[struct {
		Month string           `json:"month"`
		Rows  []map[string]any `json:"rows"`
	}](t, f.MustDo(t, http.MethodGet, "/api/v1/reports/monthly?month=2026-11", nil, http.StatusOK))
	if js.Month != "2026-11" || len(js.Rows) != 20 || js.Rows[0]["name"] != "张三" || js.Rows[0]["late_min"] != float64(45) || js.Rows[0]["worked_hours"] != 18.5 {
		t.Errorf("JSON = %+v", js)
	}

	audit, _ := f.store.FindAudit(context.Background(), core.AuditFilter{Action: "report.exported"})
	if len(audit) != 4 || audit[0].Subject != "monthly:2026-11" || audit[0].Actor != "admin" || !strings.Contains(audit[1].Detail, `"format":"xlsx"`) {
		t.Errorf("export audit = %+v, want one entry per export", audit)
	}
}

func TestDailyReport(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())
	recs := MustCSV(t, f.get("/api/v1/reports/daily?date=2026-11-03&format=csv").Body.Bytes())
	// The header and 19 of the 20 people: 高阳 (E016) joins on 2026-11-16.
	if recs[0][0] != "日期" || recs[0][4] != "上班打卡" || len(recs) != 20 {
		t.Fatalf("daily CSV = %q", recs)
	}
	want := []string{"2026-11-03", "E001", "张三", "研发", "10:15", "19:00", "严重迟到", "45", "0", "525", "望京SOHO", "否", "0", "", "", "0", "", "0", "0", ""}
	if !slices.Equal(recs[1], want) {
		t.Errorf("E001 on 3 Nov = %q, want %q", recs[1], want)
	}
	js := MustDecode[struct {
		From, To string
		Rows     []map[string]any `json:"rows"`
	}](t, f.MustDo(t, http.MethodGet, "/api/v1/reports/daily?date=2026-11-02&to=2026-11-03", nil, http.StatusOK))
	if len(js.Rows) != 38 || js.Rows[0]["first_in"] != "2026-11-02T08:55:00+08:00" || js.Rows[0]["result"].([]any)[0] != "normal" {
		t.Errorf("daily JSON = %d rows, first %+v", len(js.Rows), js.Rows[0])
	}
	if x := f.get("/api/v1/reports/daily?date=2026-11-03&format=xlsx"); x.Code != http.StatusOK {
		t.Errorf("daily XLSX: %d", x.Code)
	} else if xf, err := excelize.OpenReader(x.Body); err != nil {
		t.Errorf("daily XLSX does not open: %v", err)
	} else {
		if v, _ := xf.GetCellValue("日报 2026-11-03", "C2"); v != "张三" {
			t.Errorf("daily XLSX C2 = %q", v)
		}
		xf.Close()
	}
}

func TestReportErrors(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())
	tests := []struct {
		target string
		status int
	}{
		{"/api/v1/reports/monthly?month=2026-13", http.StatusBadRequest},
		{"/api/v1/reports/monthly?month=2026-11&format=pdf", http.StatusBadRequest},
		{"/api/v1/reports/monthly?month=2026-11&lang=fr", http.StatusBadRequest},
		{"/api/v1/reports/daily?date=26-11-2026", http.StatusBadRequest},
		{"/api/v1/reports/daily?date=2026-11-03&to=2026-11-01", http.StatusBadRequest},
	}
	for _, tc := range tests {
		if rec := f.get(tc.target); rec.Code != tc.status {
			t.Errorf("GET %s = %d %s, want %d", tc.target, rec.Code, rec.Body, tc.status)
		}
	}
	if rec := f.do(http.MethodGet, "/api/v1/reports/monthly?month=2026-11", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("report without a token = %d, want 401", rec.Code)
	}
	if audit, _ := f.store.FindAudit(context.Background(), core.AuditFilter{Action: "report."}); len(audit) != 0 {
		t.Errorf("refused requests were audited as exports: %+v", audit)
	}
	bare := MustFixture(t, testToken)
	if rec := bare.get("/api/v1/reports/monthly?month=2026-11"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("reports without a report store = %d, want 503", rec.Code)
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	org := strings.Replace(string(ExampleOrg()), "name: 张三", `name: "=HYPERLINK(\"x\")"`, 1)
	f := MustReportFixture(t, []byte(org))
	recs := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv").Body.Bytes())
	if recs[1][1] != `'=HYPERLINK("x")` {
		t.Errorf("name cell = %q, want it prefixed with an apostrophe", recs[1][1])
	}
}

func TestEraseEmployee(t *testing.T) {
	f := MustReportFixture(t, ExampleOrg())
	f.MustDo(t, http.MethodPost, "/api/v1/employees/E001/erase", nil, http.StatusConflict)
	f.MustDo(t, http.MethodPost, "/api/v1/employees/NOBODY/erase", nil, http.StatusNotFound)
	if rec := f.do(http.MethodPost, "/api/v1/employees/E001/erase", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("erase without a token = %d", rec.Code)
	}

	// 张三 leaves: the file marks them inactive.
	departed := strings.Replace(string(ExampleOrg()), "    name: 张三\n", "    name: 张三\n    active: false\n", 1)
	if rec := f.do(http.MethodPut, "/api/v1/org", "Bearer "+testToken, []byte(departed)); rec.Code != http.StatusOK {
		t.Fatalf("apply: %d %s", rec.Code, rec.Body)
	}
	before := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv").Body.Bytes())
	res := MustDecode[map[string]any](t, f.MustDo(t, http.MethodPost, "/api/v1/employees/E001/erase", nil, http.StatusOK))
	if res["punches_reduced"] != float64(5) || res["identities_removed"] != float64(3) {
		t.Errorf("erase = %v, want 5 punches and 3 identities", res)
	}
	after := MustCSV(t, f.get("/api/v1/reports/monthly?month=2026-11&format=csv").Body.Bytes())
	if before[1][1] != "张三" || after[1][1] != "" {
		t.Errorf("name before/after = %q/%q", before[1][1], after[1][1])
	}
	before[1][1], after[1][1] = "", ""
	if !slices.EqualFunc(before, after, slices.Equal) {
		t.Errorf("the monthly numbers changed:\n before %q\n after  %q", before, after)
	}
	e, _ := f.store.Employee(context.Background(), "E001")
	if e.Name != "" || len(e.Identities) != 0 {
		t.Errorf("E001 after erasure = %+v", e)
	}
	if audit, _ := f.store.FindAudit(context.Background(), core.AuditFilter{Subject: "E001", Action: "employee.erased"}); len(audit) != 1 {
		t.Errorf("erasure audit = %+v", audit)
	}
}

package admin

import (
	"encoding/json"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestDailyJSONLeaveKeys: the daily report's JSON writes a day's leave with
// snake_case keys like its other fields, and [] on a day without leave; it
// wrote {"Type":…,"Days":…,"Minutes":…} and null.
func TestDailyJSONLeaveKeys(t *testing.T) {
	rep := core.DailyReport{From: "2026-11-17", To: "2026-11-17", Rows: []core.DailyRow{
		{Date: "2026-11-17", EmployeeID: "E001", Name: "张三", Leave: []core.LeaveAmount{{Type: "annual", Days: 0.5, Minutes: 240}}, LeaveMin: 240},
		{Date: "2026-11-17", EmployeeID: "E002", Name: "李四"},
	}}
	body, err := EncodeDaily(rep, FormatJSON, "zh")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		row  int
		want string
	}{
		{0, `[{"type":"annual","days":0.5,"hours":4,"minutes":240}]`},
		{1, `[]`},
	}
	for _, tt := range tests {
		if g := string(got.Rows[tt.row]["leave"]); g != tt.want {
			t.Errorf("rows[%d].leave = %s, want %s", tt.row, g, tt.want)
		}
	}
}

package main

import (
	"testing"
	"time"
)

func TestParseCPULine(t *testing.T) {
	tests := []struct {
		line string
		want cpuTimes
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"cpu  103285 0 37909 78879 2790 0 8026 14352 0 0\n", cpuTimes{
			busy: (103285 + 37909 + 8026) * 10 * time.Millisecond, steal: 14352 * 10 * time.Millisecond,
			total: (103285 + 37909 + 78879 + 2790 + 8026 + 14352) * 10 * time.Millisecond, ok: true}},
		{"cpu0 1 2 3 4 5 6 7 8 9 10", cpuTimes{}}, // a single CPU's line, not the machine's
		{"cpu 1 2 3", cpuTimes{}},
		{"cpu 1 2 x 4 5 6 7 8", cpuTimes{}},
	}
	for _, tt := range tests {
		if got := parseCPULine(tt.line); got != tt.want {
			t.Errorf("parseCPULine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestCPUUse(t *testing.T) {
	a := cpuTimes{busy: time.Second, steal: 0, total: 2 * time.Second, ok: true}
	b := cpuTimes{busy: 3 * time.Second, steal: time.Second, total: 6 * time.Second, ok: true}
	u := a.until(b, 1000)
	if got, want := u.perOp(), 2*time.Millisecond; got != want {
		t.Errorf("perOp = %s, want %s", got, want)
	}
	if got, want := u.describe("punch"), "2.000 ms of machine CPU per punch, all processes (busy 50%, stolen by the hypervisor 25% of the machine's time)"; got != want {
		t.Errorf("describe =\n%s\nwant\n%s", got, want)
	}
	if got := (cpuTimes{}).until(b, 1000); got.ok {
		t.Errorf("until from an unread sample = %+v, want not ok", got)
	}
	if got := (cpuUse{}).describe("punch"); got != "not measured (no /proc/stat)" {
		t.Errorf("describe unmeasured = %q", got)
	}
}

package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTimes is the machine's CPU time so far, all CPUs together, from the
// first line of /proc/stat: what every process used (server, client,
// PostgreSQL, Redis, the kernel for them) and what the hypervisor took. A
// load test's throughput on a shared virtual machine moves with the steal;
// CPU time per operation moves far less, so the bench prints both.
type cpuTimes struct {
	busy, steal, total time.Duration
	ok                 bool // false off Linux, or when /proc/stat cannot be read
}

// userHZ is the unit of /proc/stat: USER_HZ, 100 on every Linux
// architecture Go supports (sysconf(_SC_CLK_TCK) needs cgo to ask).
const userHZ = 100

func readCPUTimes() cpuTimes {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return cpuTimes{}
	}
	return parseCPULine(line)
}

// parseCPULine reads "cpu user nice system idle iowait irq softirq steal
// guest guest_nice" (proc(5)); guest time is already counted in user.
func parseCPULine(line string) cpuTimes {
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuTimes{}
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(fields[i+1], 10, 64)
		if err != nil {
			return cpuTimes{}
		}
		v[i] = n
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * time.Second / userHZ }
	user, nice, system, idle, iowait, irq, softirq, steal := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	busy := user + nice + system + irq + softirq
	return cpuTimes{busy: tick(busy), steal: tick(steal), total: tick(busy + idle + iowait + steal), ok: true}
}

// cpuUse is the machine's CPU over one phase of n operations.
type cpuUse struct {
	busy, steal, total time.Duration
	n                  int
	ok                 bool
}

func (a cpuTimes) until(b cpuTimes, n int) cpuUse {
	if !a.ok || !b.ok || b.total <= a.total || n == 0 {
		return cpuUse{}
	}
	return cpuUse{busy: b.busy - a.busy, steal: b.steal - a.steal, total: b.total - a.total, n: n, ok: true}
}

// plus is two phases as one; unmeasured if either was.
func (u cpuUse) plus(o cpuUse) cpuUse {
	if !u.ok || !o.ok {
		return cpuUse{}
	}
	return cpuUse{busy: u.busy + o.busy, steal: u.steal + o.steal, total: u.total + o.total, n: u.n + o.n, ok: true}
}

// perOp is the CPU all processes spent per operation.
func (u cpuUse) perOp() time.Duration { return u.busy / time.Duration(max(u.n, 1)) }

// describe is "0.81 ms of machine CPU per <what> (busy 96%, stolen 12% of the
// machine's time)".
func (u cpuUse) describe(what string) string {
	if !u.ok {
		return "not measured (no /proc/stat)"
	}
	pct := func(d time.Duration) float64 { return 100 * float64(d) / float64(u.total) }
	return fmt.Sprintf("%.3f ms of machine CPU per %s, all processes (busy %.0f%%, stolen by the hypervisor %.0f%% of the machine's time)",
		float64(u.perOp())/float64(time.Millisecond), what, pct(u.busy), pct(u.steal))
}

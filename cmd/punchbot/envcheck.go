package main

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// A PUNCHBOT_* variable punchbot does not read is almost always a typo:
// PUNCHBOT_DATABASE_ULR would leave the server on the embedded SQLite file
// without a word. Such names are warned about at start, with the known
// name they are closest to.

// knownVariables is every PUNCHBOT_* name loadConfig reads, found by
// asking it, so the list cannot drift from the code.
var knownVariables = sync.OnceValue(func() map[string]bool {
	known := map[string]bool{}
	_, _ = loadConfig(func(k string) string { known[k] = true; return "" })
	return known
})

// ignoredVariables are PUNCHBOT_* names read by other parts of the program
// or set by the environment punchbot runs in, not by an operator for it:
// the tests' and the bench's, and the service links Kubernetes injects for
// a Service named punchbot (PUNCHBOT_SERVICE_HOST, PUNCHBOT_PORT_80_TCP…).
var ignoredVariables = regexp.MustCompile(`^PUNCHBOT_(TEST_.*|CHROMIUM|BENCH_LOG)$|_SERVICE_HOST$|_SERVICE_PORT(_.+)?$|_PORT$|_PORT_\d+_(TCP|UDP|SCTP)(_.+)?$`)

// unknownVariables returns the PUNCHBOT_* names in environ (KEY=value
// pairs, as os.Environ gives them) that punchbot does not read, sorted.
func unknownVariables(environ []string) []string {
	known := knownVariables()
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PUNCHBOT_") && !known[name] && !ignoredVariables.MatchString(name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// closestVariable is the known name with the smallest edit distance to
// name, or "" when none is close (more than a third of it differs).
func closestVariable(name string) string {
	best, bestDist := "", len(name)/3+1
	for k := range knownVariables() {
		if d := editDistance(name, k); d < bestDist || (d == bestDist && best != "" && k < best) {
			best, bestDist = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

package admin

import (
	"net/http"
	"strings"
)

// getOrg exports the organisation as applied, as an org file: keep it in
// git, edit it, and PUT it back (the file then wins for everything it
// names; nothing it leaves out is deleted).
func (a *API) getOrg(w http.ResponseWriter, r *http.Request) error {
	org, err := a.store.Org(r.Context())
	if err != nil {
		return err
	}
	data, err := MarshalOrg(org)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="org.yaml"`)
	_, _ = w.Write(data)
	return nil
}

// DiffLines compares two org files line by line and returns the changed
// lines, "- " for removed and "+ " for added, each run of changes preceded
// by the nearest "id:" line above it as "  " context, so a reader sees
// which site, schedule or person changed. Equal files give nil. The console
// audits its edits with it and shows it before applying an uploaded file.
func DiffLines(before, after []byte) []string {
	a, b := splitLines(before), splitLines(after)
	// Longest common subsequence; org files are small (thousands of lines).
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	lastID, shownID := "", ""
	context := func() {
		if lastID != "" && lastID != shownID {
			out = append(out, "  "+lastID)
			shownID = lastID
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			if isIDLine(a[i]) {
				lastID = a[i]
			}
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			context()
			out = append(out, "- "+a[i])
			i++
		default:
			if isIDLine(b[j]) {
				lastID, shownID = b[j], b[j] // a new entity names itself
			} else {
				context()
			}
			out = append(out, "+ "+b[j])
			j++
		}
	}
	return out
}

func splitLines(data []byte) []string {
	s := strings.TrimRight(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func isIDLine(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " -"), "id: ") }

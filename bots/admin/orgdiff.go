package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// getOrg exports the organisation as applied, as an org file: keep it in
// git, edit it, and PUT it back (the file then wins for everything it
// names; nothing it leaves out is deleted).
func (a *API) getOrg(w http.ResponseWriter, r *http.Request) error {
	org, err := CurrentOrg(r.Context(), a.store) // with its device binding
	if err != nil {
		return err
	}
	data, err := MarshalOrg(org)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(org.Version))
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="org.yaml"`)
	_, _ = w.Write(data)
	return nil
}

// diffJSON is what POST /api/v1/org/diff answers: the lines of the
// exported organisation an apply of the body would change.
type diffJSON struct {
	Changes []string `json:"changes"`
	// Version is the organisation's version the changes were computed
	// over: sent back as If-Match, PUT applies the file only over it.
	Version int64 `json:"version"`
}

// etag is the ETag of the organisation at version: PUT /api/v1/org with it
// as If-Match applies only over that version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads an If-Match header: the version it names, 0 for none (no
// header, or * which any organisation matches), and false when it names
// no version.
func ifMatch(h string) (int64, bool) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return 0, true
	}
	inner, quoted := strings.CutPrefix(h, `"`)
	inner, closed := strings.CutSuffix(inner, `"`)
	v, err := strconv.ParseInt(inner, 10, 64)
	if !quoted || !closed || err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}

// diffOrg validates an org file like PUT /api/v1/org and answers with what
// applying it would change, changing nothing: `punchbot apply` shows it
// before applying, as the console does.
func (a *API) diffOrg(w http.ResponseWriter, r *http.Request) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("the organisation file is larger than %d bytes", MaxBodyBytes), Code: core.EINVALID})
			return nil
		}
		return core.WrapError(core.EINVALID, err, "could not read the request body")
	}
	cur, err := CurrentOrg(r.Context(), a.store)
	if err != nil {
		return err
	}
	changes, _, err := OrgChangesOver(cur, data, a.checks...)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", etag(cur.Version))
	writeJSON(w, http.StatusOK, diffJSON{Changes: append([]string{}, changes...), Version: cur.Version})
	return nil
}

// OrgChanges parses an org file and returns the export's lines applying it
// would change: the file wins for everything it names, and what it leaves
// out stays (ApplyOrg never deletes), settings included (ParseOrgOver), so
// the comparison is with the current organisation updated by the file.
func OrgChanges(ctx context.Context, st OrgReader, file []byte, checks ...func(core.Org) []core.FieldError) ([]string, error) {
	cur, err := CurrentOrg(ctx, st)
	if err != nil {
		return nil, err
	}
	changes, _, err := OrgChangesOver(cur, file, checks...)
	return changes, err
}

// OrgChangesOver is OrgChanges over cur, the organisation as read
// (CurrentOrg), and returns the file parsed over it too: applied, that is
// exactly the change shown, or refused when the organisation moved since
// cur was read (core.Org.Version).
func OrgChangesOver(cur core.Org, file []byte, checks ...func(core.Org) []core.FieldError) ([]string, core.Org, error) {
	next, err := ParseOrgOver(file, cur, checks...)
	if err != nil {
		return nil, core.Org{}, err
	}
	before, err := MarshalOrg(cur)
	if err != nil {
		return nil, core.Org{}, err
	}
	after, err := MarshalOrg(Merge(cur, next))
	if err != nil {
		return nil, core.Org{}, err
	}
	return DiffLines(before, after), next, nil
}

// Merge is the organisation after applying next over cur: next's
// entities replace cur's of the same id, cur's others stay, and next's
// settings, policy and leave types win, as ApplyOrg does (ParseOrgOver has
// already filled in the stored ones the file leaves out).
func Merge(cur, next core.Org) core.Org {
	out := next
	out.Sites = mergeByID(cur.Sites, next.Sites, func(s core.OrgSite) string { return s.ID })
	out.Schedules = mergeByID(cur.Schedules, next.Schedules, func(s core.Schedule) string { return s.ID })
	out.Calendars = mergeByID(cur.Calendars, next.Calendars, func(c core.Calendar) string { return c.ID })
	out.Employees = mergeByID(cur.Employees, next.Employees, func(e core.Employee) string { return e.ID })
	out.Reminders = mergeByID(cur.Reminders, next.Reminders, func(r core.Reminder) string { return r.ID })
	return out
}

func mergeByID[T any](cur, next []T, id func(T) string) []T {
	named := map[string]bool{}
	for _, x := range next {
		named[id(x)] = true
	}
	out := append([]T{}, next...)
	for _, x := range cur {
		if !named[id(x)] {
			out = append(out, x)
		}
	}
	return out
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
			} else if isTopLevel(a[i]) {
				lastID = "" // makeup: after the last employee is not theirs
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

// isTopLevel reports whether l starts a top-level key ("makeup:").
func isTopLevel(l string) bool { return l != "" && l[0] != ' ' && l[0] != '-' && l[0] != '#' }

func isIDLine(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " -"), "id: ") }

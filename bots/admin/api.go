package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// MaxBodyBytes caps request bodies: an organisation file of a few thousand
// employees fits comfortably, a runaway upload does not.
const MaxBodyBytes = 1 << 20

// Listing limits: a default that answers the usual question and a cap that
// keeps one request from reading the whole table into memory.
const (
	defaultPunchLimit = 1000
	maxPunchLimit     = 10000
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// Store is what the admin API needs from storage.
type Store interface {
	core.OrgStore
	OrgReader
	ListPunches(ctx context.Context, f core.PunchFilter) ([]core.Punch, error)
	ListEmployees(ctx context.Context) ([]core.Employee, error)
	ListAudit(ctx context.Context, limit int) ([]core.AuditEntry, error)
}

// Deps are the API's collaborators and settings.
type Deps struct {
	Store Store
	// Token is the bearer token (PUNCHBOT_ADMIN_TOKEN); empty disables the API.
	Token string
	// Zone interprets YYYY-MM-DD query dates when no employee is named
	// (the organisation's default zone); nil means UTC.
	Zone *time.Location
	Now  func() time.Time
	Log  *slog.Logger
	// Makeups serves the make-up endpoints (makeups.go); nil answers them
	// with 503.
	Makeups Makeups
	// Reports serves the report and erasure endpoints (reports.go); nil
	// answers them with 503.
	Reports ReportStore
	// Reminders serves the reminder endpoints (reminders.go); nil answers
	// them with 503.
	Reminders Reminders
	// CheckOrg adds validations that live outside core, such as the
	// scheduler's reading of cron expressions.
	CheckOrg func(core.Org) []core.FieldError
}

// API serves the admin JSON endpoints under /api/v1/.
type API struct {
	makeups Makeups

	store   Store
	enabled bool
	token   [sha256.Size]byte // hashed so comparisons take the same time for any input length
	zone    *time.Location
	now     func() time.Time
	log     *slog.Logger
	reports ReportStore

	reminders Reminders
	checks    []func(core.Org) []core.FieldError
}

// New returns the admin API.
func New(deps Deps) *API {
	a := &API{store: deps.Store, enabled: deps.Token != "", token: sha256.Sum256([]byte(deps.Token)), zone: deps.Zone, now: deps.Now, log: deps.Log}
	if a.zone == nil {
		a.zone = time.UTC
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.reports = deps.Reports
	a.reminders = deps.Reminders
	a.makeups = deps.Makeups
	if deps.CheckOrg != nil {
		a.checks = append(a.checks, deps.CheckOrg)
	}
	return a
}

// Register mounts the endpoints on mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.Handle("PUT /api/v1/org", a.authorised(a.putOrg))
	mux.Handle("GET /api/v1/org", a.authorised(a.getOrg))
	mux.Handle("POST /api/v1/org/diff", a.authorised(a.diffOrg))
	mux.Handle("GET /api/v1/punches", a.authorised(a.listPunches))
	mux.Handle("GET /api/v1/employees", a.authorised(a.listEmployees))
	mux.Handle("GET /api/v1/audit", a.authorised(a.listAudit))
	a.registerMakeups(mux)
	a.registerReports(mux)
	a.registerReminders(mux)
}

// errorBody is every error response; Problems is set for a rejected file.
type errorBody struct {
	Error    string    `json:"error"`
	Code     string    `json:"code"`
	Problems []Problem `json:"problems,omitempty"`
}

func (a *API) authorised(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.enabled {
			writeJSON(w, http.StatusForbidden, errorBody{Error: "admin API disabled: set PUNCHBOT_ADMIN_TOKEN", Code: core.EFORBIDDEN})
			return
		}
		got, ok := bearer(r.Header.Get("Authorization"))
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], a.token[:]) != 1 || !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="punchbot admin"`)
			writeJSON(w, http.StatusUnauthorized, errorBody{Error: "missing or wrong bearer token", Code: core.EUNAUTHORIZED})
			return
		}
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
func bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// HTTPStatus maps a core error code to the HTTP status the API answers with.
func HTTPStatus(code string) int {
	switch code {
	case core.EINVALID:
		return http.StatusBadRequest
	case core.ENOTFOUND:
		return http.StatusNotFound
	case core.ECONFLICT:
		return http.StatusConflict
	case core.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case core.EFORBIDDEN:
		return http.StatusForbidden
	case core.ERATELIMIT:
		return http.StatusTooManyRequests
	case core.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers with the error's code and message; anything that is
// not a coded error is logged and reported as a bare internal error, so
// driver messages and SQL never reach the client.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FileError
	if errors.As(err, &fe) {
		writeJSON(w, http.StatusBadRequest, errorBody{
			Error:    fmt.Sprintf("invalid organisation file: %d problem(s); nothing was changed", len(fe.Problems)),
			Code:     core.EINVALID,
			Problems: fe.Problems,
		})
		return
	}
	code := core.ErrorCode(err)
	status := HTTPStatus(code)
	msg := core.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		a.log.ErrorContext(r.Context(), "admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		code, msg = core.EINTERNAL, "internal error"
	} else if status == http.StatusServiceUnavailable {
		a.log.WarnContext(r.Context(), "admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if d := core.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
	writeJSON(w, status, errorBody{Error: msg, Code: code})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// applyJSON reports what an apply created or updated.
type applyJSON struct {
	Name       string `json:"name"`
	Sites      int    `json:"sites"`
	Schedules  int    `json:"schedules"`
	Calendars  int    `json:"calendars"`
	Employees  int    `json:"employees"`
	Identities int    `json:"identities"`
	Reminders  int    `json:"reminders"`
}

// putOrg applies an organisation file. The whole document is parsed and
// validated before the store is touched, and the store applies it in one
// transaction with its audit entry.
func (a *API) putOrg(w http.ResponseWriter, r *http.Request) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("the organisation file is larger than %d bytes", MaxBodyBytes), Code: core.EINVALID})
			return nil
		}
		return core.WrapError(core.EINVALID, err, "could not read the request body")
	}
	// Settings the file leaves out keep their stored values (orgkeep.go):
	// {"name": "Acme"} renames the organisation and resets nothing; and a
	// console edit landing between that read and the apply is not undone
	// (ApplyOrgOver reads and applies again).
	version, ok := ifMatch(r.Header.Get("If-Match"))
	if !ok {
		return core.Errorf(core.EINVALID, `If-Match must be the organisation's version as GET /api/v1/org's ETag gives it, like "12", or *`)
	}
	apply := ApplyOrgOver
	if version != 0 {
		// Reviewed at that version: applied over it or not at all.
		apply = func(ctx context.Context, st OrgApplier, data []byte, audit func(core.Org) core.AuditEntry, checks ...func(core.Org) []core.FieldError) (core.Org, core.ApplyResult, error) {
			return ApplyOrgAt(ctx, st, data, version, audit, checks...)
		}
	}
	sum := sha256.Sum256(data)
	org, res, err := apply(r.Context(), a.store, data, func(org core.Org) core.AuditEntry {
		detail, _ := json.Marshal(map[string]any{
			"name": org.Name, "sha256": hex.EncodeToString(sum[:]), "bytes": len(data),
			"sites": len(org.Sites), "schedules": len(org.Schedules), "calendars": len(org.Calendars),
			"employees": len(org.Employees), "reminders": len(org.Reminders),
		})
		return core.AuditEntry{At: a.now(), Actor: "admin", Action: "org.applied", Subject: org.Name, Detail: string(detail)}
	}, a.checks...)
	if version != 0 && errors.Is(err, core.ErrOrgChanged) {
		writeJSON(w, http.StatusPreconditionFailed, errorBody{Error: core.ErrorMessage(err), Code: core.ECONFLICT})
		return nil
	}
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "organisation applied", "name", org.Name, "employees", res.Employees, "sites", res.Sites, "sha256", hex.EncodeToString(sum[:8]))
	writeJSON(w, http.StatusOK, applyJSON{Name: org.Name, Sites: res.Sites, Schedules: res.Schedules, Calendars: res.Calendars, Employees: res.Employees, Identities: res.Identities, Reminders: res.Reminders})
	return nil
}

// truncatedHeader says that a list stopped at its limit (the header's
// value) and more matched: narrow from/to or raise limit.
const truncatedHeader = "X-Punchbot-Truncated"

// punchJSON is a punch as the API shows it. at is UTC, at_local is in the
// employee's zone; position fields are null when the punch had no location.
type punchJSON struct {
	ID         int64    `json:"id"`
	EmployeeID string   `json:"employee_id"`
	Kind       string   `json:"kind"`
	At         string   `json:"at"`
	AtLocal    string   `json:"at_local"`
	ReceivedAt string   `json:"received_at"`
	ShiftDate  string   `json:"shift_date"`
	Source     string   `json:"source"`
	EventID    string   `json:"event_id,omitempty"`
	Outcome    string   `json:"outcome"`
	TimeResult string   `json:"time_result"`
	LateMin    int      `json:"late_min"`
	EarlyMin   int      `json:"early_min"`
	SiteID     string   `json:"site_id"`
	DistanceM  *float64 `json:"distance_m"`
	// DistanceBand is the distance's band ("100–300 m", core.DistanceBand):
	// all that is left of a punch whose position the retention job reduced,
	// whose distance_m is then null.
	DistanceBand string   `json:"distance_band,omitempty"`
	Lat          *float64 `json:"lat"`
	Lng          *float64 `json:"lng"`
	AccuracyM    *float64 `json:"accuracy_m"`
	Label        string   `json:"label,omitempty"`
	Reasons      []string `json:"reasons"`
	Flags        []string `json:"flags"`
	MakeupID     int64    `json:"makeup_id,omitempty"`
}

// listPunches answers GET /api/v1/punches?employee=&from=&to=&limit=.
// from and to are YYYY-MM-DD dates in the employee's zone (or the default
// zone without an employee), both inclusive, or RFC 3339 instants with to
// exclusive.
func (a *API) listPunches(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	emps, err := a.store.ListEmployees(r.Context())
	if err != nil {
		return err
	}
	zones := map[string]*time.Location{}
	zoneOf := map[string]*time.Location{}
	for _, e := range emps {
		loc, ok := zones[e.TimeZone]
		if !ok {
			loc = e.Location()
			zones[e.TimeZone] = loc
		}
		zoneOf[e.ID] = loc
	}
	f := core.PunchFilter{EmployeeID: strings.TrimSpace(q.Get("employee"))}
	loc := a.zone
	if f.EmployeeID != "" {
		l, ok := zoneOf[f.EmployeeID]
		if !ok {
			return core.Errorf(core.ENOTFOUND, "no employee %q", f.EmployeeID)
		}
		loc = l
	}
	if f.From, err = parseBound("from", q.Get("from"), loc, false); err != nil {
		return err
	}
	if f.To, err = parseBound("to", q.Get("to"), loc, true); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return core.Errorf(core.EINVALID, "from must be before to")
	}
	if f.Limit, err = parseLimit(q.Get("limit"), defaultPunchLimit, maxPunchLimit); err != nil {
		return err
	}
	// One more than asked tells a full answer from a cut one: the oldest
	// punches come first, so a cut answer silently lacked the newest.
	limit := f.Limit
	f.Limit++
	punches, err := a.store.ListPunches(r.Context(), f)
	if err != nil {
		return err
	}
	if len(punches) > limit {
		punches = punches[:limit]
		w.Header().Set(truncatedHeader, strconv.Itoa(limit))
	}
	out := make([]punchJSON, 0, len(punches))
	ids := make([]string, 0, len(punches))
	for _, p := range punches {
		pl, ok := zoneOf[p.EmployeeID]
		if !ok {
			pl = a.zone
		}
		out = append(out, toPunchJSON(p, pl))
		ids = append(ids, p.EmployeeID)
	}
	if err := a.recordRead(r.Context(), "punches", ids); err != nil { // access.go
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func toPunchJSON(p core.Punch, loc *time.Location) punchJSON {
	j := punchJSON{
		ID: p.ID, EmployeeID: p.EmployeeID, Kind: string(p.Kind),
		At: p.At.UTC().Format(time.RFC3339), AtLocal: p.At.In(loc).Format(time.RFC3339),
		ShiftDate: p.ShiftDate, Source: p.Source, EventID: p.EventID,
		Outcome: string(p.Outcome), TimeResult: string(p.TimeResult), LateMin: p.LateMin, EarlyMin: p.EarlyMin,
		SiteID: p.SiteID, Label: p.Label, Reasons: nonNil(p.Reasons), Flags: nonNil(p.Flags), MakeupID: p.MakeupID,
	}
	if !p.ReceivedAt.IsZero() {
		j.ReceivedAt = p.ReceivedAt.UTC().Format(time.RFC3339)
	}
	if p.HasLocation {
		lat, lng, acc := p.Lat, p.Lng, p.AccuracyM
		dist := math.Round(p.DistanceM*10) / 10
		j.Lat, j.Lng, j.AccuracyM, j.DistanceM = &lat, &lng, &acc, &dist
	}
	if p.HasLocation || p.LocationReduced() {
		j.DistanceBand = core.DistanceBand(p.DistanceM)
	}
	return j
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// parseBound reads a from/to query value: a local date (to: the whole day
// is included) or an RFC 3339 instant.
func parseBound(name, s string, loc *time.Location, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation(core.DateLayout, s, loc); err == nil {
		if end {
			return d.AddDate(0, 0, 1), nil
		}
		return d, nil
	}
	// An unencoded "+08:00" arrives as " 08:00".
	if t, err := time.Parse(time.RFC3339, strings.ReplaceAll(s, " ", "+")); err == nil {
		return t, nil
	}
	return time.Time{}, core.Errorf(core.EINVALID, "%s: %q is neither a date (YYYY-MM-DD) nor an RFC 3339 time", name, s)
}

func parseLimit(s string, def, maxLimit int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, core.Errorf(core.EINVALID, "limit must be a number from 1 to %d, not %q", maxLimit, s)
	}
	return n, nil
}

// employeeJSON is an employee as the API shows it.
type employeeJSON struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Lang       string         `json:"lang"`
	TimeZone   string         `json:"timezone"`
	Department string         `json:"department"`
	Role       string         `json:"role"`
	Manager    string         `json:"manager"`
	Active     bool           `json:"active"`
	Schedule   string         `json:"schedule"`
	Sites      []string       `json:"sites"`
	Identities []identityJSON `json:"identities"`
}

type identityJSON struct {
	Platform string `json:"platform"`
	Tenant   string `json:"tenant,omitempty"`
	User     string `json:"user"`
}

// listEmployees answers GET /api/v1/employees. The list holds everyone's
// name, department and chat accounts, so it is recorded as a read of each
// person it returned (access.go) before it is sent.
func (a *API) listEmployees(w http.ResponseWriter, r *http.Request) error {
	emps, err := a.store.ListEmployees(r.Context())
	if err != nil {
		return err
	}
	out := make([]employeeJSON, 0, len(emps))
	ids := make([]string, 0, len(emps))
	for _, e := range emps {
		ids = append(ids, e.ID)
		j := employeeJSON{
			ID: e.ID, Name: e.Name, Lang: e.Lang, TimeZone: e.TimeZone, Department: e.Department, Role: string(e.Role),
			Manager: e.ManagerID, Active: e.Active, Schedule: e.ScheduleID, Sites: nonNil(e.SiteIDs), Identities: []identityJSON{},
		}
		for _, id := range e.Identities {
			j.Identities = append(j.Identities, identityJSON{Platform: string(id.Platform), Tenant: id.Tenant, User: id.UserID})
		}
		out = append(out, j)
	}
	if err := a.recordRead(r.Context(), "employees", ids); err != nil { // access.go
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// auditJSON is an audit entry; detail is inlined when it is JSON.
type auditJSON struct {
	ID      int64           `json:"id"`
	At      string          `json:"at"`
	Actor   string          `json:"actor"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"`
	Detail  json.RawMessage `json:"detail"`
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	limit, err := parseLimit(r.URL.Query().Get("limit"), defaultAuditLimit, maxAuditLimit)
	if err != nil {
		return err
	}
	entries, err := a.store.ListAudit(r.Context(), limit)
	if err != nil {
		return err
	}
	out := make([]auditJSON, 0, len(entries))
	for _, e := range entries {
		detail := json.RawMessage(e.Detail)
		if e.Detail == "" {
			detail = json.RawMessage("null")
		} else if !json.Valid(detail) {
			detail, _ = json.Marshal(e.Detail)
		}
		out = append(out, auditJSON{ID: e.ID, At: e.At.UTC().Format(time.RFC3339), Actor: e.Actor, Action: e.Action, Subject: e.Subject, Detail: detail})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

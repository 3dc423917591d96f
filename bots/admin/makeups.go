package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Makeups is what the make-up endpoints need from the core; *core.Service
// implements it. Decisions go through the core so the console obeys the
// same rules as a click on a card.
type Makeups interface {
	ListMakeups(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error)
	DecideMakeup(ctx context.Context, d core.MakeupDecision) (core.MakeupView, error)
}

func (a *API) registerMakeups(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/makeups", a.authorised(a.listMakeups))
	mux.Handle("POST /api/v1/makeups/{id}/{action}", a.authorised(a.decideMakeup))
}

func (a *API) makeupService() (Makeups, error) {
	if a.makeups == nil {
		return nil, core.Errorf(core.EUNAVAILABLE, "make-up requests are not available: the server was started without a core")
	}
	return a.makeups, nil
}

// makeupJSON is a make-up request as the API shows it; at_local is in the
// employee's zone.
type makeupJSON struct {
	ID           int64    `json:"id"`
	EmployeeID   string   `json:"employee_id"`
	EmployeeName string   `json:"employee_name,omitempty"`
	ShiftDate    string   `json:"shift_date"`
	Kind         string   `json:"kind"`
	At           string   `json:"at"`
	AtLocal      string   `json:"at_local"`
	Reason       string   `json:"reason"`
	Evidence     []string `json:"evidence"`
	Status       string   `json:"status"`
	ApproverID   string   `json:"approver_id"`
	DecidedBy    string   `json:"decided_by,omitempty"`
	DecidedAt    string   `json:"decided_at,omitempty"`
	Note         string   `json:"note,omitempty"`
	PunchID      int64    `json:"punch_id,omitempty"`
	Platform     string   `json:"platform"`
	CreatedAt    string   `json:"created_at"`
	// Type is makeup, field, leave, trip, outing or overtime; the rest describe a
	// field punch (the pending punch) or a leave, trip or outing (its
	// period, in RFC 3339, and leave type or destination).
	Type         string `json:"type"`
	FieldPunchID int64  `json:"field_punch_id,omitempty"`
	LeaveType    string `json:"leave_type,omitempty"`
	Start        string `json:"start,omitempty"`
	End          string `json:"end,omitempty"`
	Place        string `json:"place,omitempty"`
}

func toMakeupJSON(m core.MakeupRequest, name string, loc *time.Location) makeupJSON {
	j := makeupJSON{
		ID: m.ID, EmployeeID: m.EmployeeID, EmployeeName: name, ShiftDate: m.ShiftDate, Kind: string(m.Kind),
		At: m.At.UTC().Format(time.RFC3339), AtLocal: m.At.In(loc).Format(time.RFC3339), Reason: m.Reason, Evidence: nonNil(m.Evidence),
		Status: string(m.Status), ApproverID: m.ApproverID, DecidedBy: m.DecidedBy, Note: m.Note, PunchID: m.PunchID,
		Platform: string(m.Platform), CreatedAt: m.CreatedAt.UTC().Format(time.RFC3339),
	}
	if !m.DecidedAt.IsZero() {
		j.DecidedAt = m.DecidedAt.UTC().Format(time.RFC3339)
	}
	j.Type, j.FieldPunchID, j.LeaveType, j.Place = string(m.TypeOf()), m.FieldPunchID, m.LeaveType, m.Place
	if t := m.TypeOf(); t != core.RequestMakeup && t != core.RequestField {
		j.Start, j.End = m.Start.In(loc).Format(time.RFC3339), m.End.In(loc).Format(time.RFC3339)
	}
	return j
}

var requestTypes = []core.RequestType{core.RequestMakeup, core.RequestField, core.RequestLeave, core.RequestTrip, core.RequestOuting, core.RequestOvertime}

var makeupStatuses = []core.MakeupStatus{core.MakeupPending, core.MakeupApproved, core.MakeupRejected, core.MakeupCancelled, core.MakeupExpired, core.MakeupRevoked}

// joinNames lists the accepted values from the lists the filter checks, so
// the message cannot fall behind them (it had left out overtime and
// revoked).
func joinNames[T ~string](vs []T) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return strings.Join(out, ", ")
}

// listMakeups answers GET /api/v1/makeups?status=pending,approved&type=leave,trip&employee=,
// oldest first.
func (a *API) listMakeups(w http.ResponseWriter, r *http.Request) error {
	m, err := a.makeupService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := core.MakeupFilter{EmployeeID: strings.TrimSpace(q.Get("employee"))}
	for _, s := range strings.Split(q.Get("status"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(makeupStatuses, core.MakeupStatus(s)) {
			return core.Errorf(core.EINVALID, "status %q is not one of %s", s, joinNames(makeupStatuses))
		}
		f.Statuses = append(f.Statuses, core.MakeupStatus(s))
	}
	for _, s := range strings.Split(q.Get("type"), ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(requestTypes, core.RequestType(s)) {
			return core.Errorf(core.EINVALID, "type %q is not one of %s", s, joinNames(requestTypes))
		}
		f.Types = append(f.Types, core.RequestType(s))
	}
	emps, err := a.store.ListEmployees(r.Context())
	if err != nil {
		return err
	}
	names, zones := map[string]string{}, map[string]*time.Location{}
	for _, e := range emps {
		names[e.ID], zones[e.ID] = e.Name, e.Location()
	}
	list, err := m.ListMakeups(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]makeupJSON, 0, len(list))
	ids := make([]string, 0, len(list))
	for _, mr := range list {
		loc, ok := zones[mr.EmployeeID]
		if !ok {
			loc = a.zone
		}
		out = append(out, toMakeupJSON(mr, names[mr.EmployeeID], loc))
		ids = append(ids, mr.EmployeeID)
	}
	if err := a.recordRead(r.Context(), "makeups", ids); err != nil { // access.go
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// decisionBody is the optional body of approve and reject: the employee
// acting (an approver or HR; empty for HR at the console) and a note.
type decisionBody struct {
	By   string `json:"by"`
	Note string `json:"note"`
}

// decideMakeup answers POST /api/v1/makeups/{id}/approve|reject. The core
// applies the same rules as for a click and writes the audit entry; a
// request decided already answers 409 with how it ended.
func (a *API) decideMakeup(w http.ResponseWriter, r *http.Request) error {
	m, err := a.makeupService()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return core.Errorf(core.EINVALID, "%q is not a make-up request id", r.PathValue("id"))
	}
	var status core.MakeupStatus
	switch r.PathValue("action") {
	case "approve":
		status = core.MakeupApproved
	case "reject":
		status = core.MakeupRejected
	default:
		return core.Errorf(core.ENOTFOUND, "no action %q: use approve or reject", r.PathValue("action"))
	}
	var body decisionBody
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return core.WrapError(core.EINVALID, err, "could not read the request body")
	}
	if len(strings.TrimSpace(string(raw))) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			return core.WrapError(core.EINVALID, err, `the body must be {"by": "<employee id>", "note": "…"} or empty`)
		}
	}
	actor := strings.TrimSpace(body.By)
	if actor == "" {
		actor = core.ActorAdmin
	}
	v, err := m.DecideMakeup(r.Context(), core.MakeupDecision{ID: id, Status: status, Actor: actor, Note: body.Note})
	if core.ErrorCode(err) == core.ECONFLICT && v.Request.ID != 0 {
		writeJSON(w, http.StatusConflict, struct {
			errorBody
			Request makeupJSON `json:"request"`
		}{errorBody{Error: core.ErrorMessage(err), Code: core.ECONFLICT}, toMakeupJSON(v.Request, v.EmployeeName, v.Location())})
		return nil
	}
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "make-up decided at the console", "id", id, "status", status, "by", actor)
	writeJSON(w, http.StatusOK, toMakeupJSON(v.Request, v.EmployeeName, v.Location()))
	return nil
}

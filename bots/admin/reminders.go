package admin

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Reminders is what the reminder endpoints need: the scheduler implements
// it (cmd/punchbot wires it in; the admin package never imports it).
type Reminders interface {
	// Reminders lists every reminder with its timing and latest firings.
	Reminders(ctx context.Context) ([]core.ReminderStatus, error)
	// Preview returns who would receive a reminder fired now.
	Preview(ctx context.Context, id string) (core.ReminderPreview, error)
	// Fire fires a reminder now; created is false when this minute's
	// firing already existed.
	Fire(ctx context.Context, id string) (rep core.FiringReport, created bool, err error)
	// Firings lists firings, newest first, with delivery counts.
	Firings(ctx context.Context, f core.FiringFilter) ([]core.FiringReport, error)
	// DeliveryProblems returns a firing of the reminder and up to limit of
	// its failed deliveries and those retried after an error.
	DeliveryProblems(ctx context.Context, id string, firingID int64, limit int) (core.FiringReport, []core.DeliveryProblem, error)
	// RetryFailed requeues a firing's failed deliveries, and only those.
	RetryFailed(ctx context.Context, id string, firingID int64) (core.FiringReport, int, error)
}

// Preview limits: the recipients listed in one answer (the count is always
// the whole audience).
const (
	defaultPreviewLimit = 100
	maxPreviewLimit     = 1000
	defaultFiringLimit  = 20
	maxFiringLimit      = 500
)

func (a *API) registerReminders(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/reminders", a.authorised(a.listReminders))
	mux.Handle("POST /api/v1/reminders/{id}/preview", a.authorised(a.previewReminder))
	mux.Handle("POST /api/v1/reminders/{id}/run", a.authorised(a.runReminder))
	mux.Handle("GET /api/v1/reminders/{id}/firings", a.authorised(a.listFirings))
	mux.Handle("GET /api/v1/reminders/{id}/firings/{firing}/problems", a.authorised(a.firingProblems))
	mux.Handle("POST /api/v1/reminders/{id}/firings/{firing}/retry", a.authorised(a.retryFiring))
}

func (a *API) reminderService() (Reminders, error) {
	if a.reminders == nil {
		return nil, core.Errorf(core.EUNAVAILABLE, "reminders are not available: the server was started without a scheduler")
	}
	return a.reminders, nil
}

// countsJSON are a firing's deliveries by status.
type countsJSON = core.DeliveryCounts

// firingJSON is one firing.
type firingJSON struct {
	ID         int64      `json:"id"`
	Reminder   string     `json:"reminder"`
	Kind       string     `json:"kind"`
	FireAt     time.Time  `json:"fire_at"`
	Status     string     `json:"status"`
	Late       bool       `json:"late"`
	Manual     bool       `json:"manual"`
	Recipients int        `json:"recipients"`
	Note       string     `json:"note,omitempty"`
	Counts     countsJSON `json:"counts"`
}

func toFiringJSON(f core.FiringReport, loc *time.Location) firingJSON {
	return firingJSON{ID: f.ID, Reminder: f.ReminderID, Kind: f.Kind, FireAt: f.FireAt.In(loc), Status: f.Status, Late: f.Late, Manual: f.Manual,
		Recipients: f.Recipients, Note: f.Note, Counts: f.Counts}
}

// audienceJSON is a reminder's audience.
type audienceJSON struct {
	Everyone    bool       `json:"everyone,omitempty"`
	Departments []string   `json:"departments,omitempty"`
	Employees   []string   `json:"employees,omitempty"`
	Chats       []chatJSON `json:"chats,omitempty"`
}

type chatJSON struct {
	Platform core.Platform `json:"platform"`
	Chat     string        `json:"chat"`
}

// reminderJSON is one reminder as listed.
type reminderJSON struct {
	ID             string       `json:"id"`
	Kind           string       `json:"kind"`
	Enabled        bool         `json:"enabled"`
	Schedule       string       `json:"schedule"`
	Cron           string       `json:"cron,omitempty"`
	MinutesBefore  int          `json:"minutes_before,omitempty"`
	OlderThanHours int          `json:"older_than_hours,omitempty"`
	HoursAfter     int          `json:"hours_after,omitempty"`
	Text           string       `json:"text,omitempty"`
	TextEn         string       `json:"text_en,omitempty"`
	Markdown       bool         `json:"markdown,omitempty"`
	Audience       audienceJSON `json:"audience"`
	Until          string       `json:"until,omitempty"`
	Next           *time.Time   `json:"next,omitempty"`
	Problem        string       `json:"problem,omitempty"`
	Recent         []firingJSON `json:"recent"`
}

func toReminderJSON(st core.ReminderStatus, loc *time.Location) reminderJSON {
	r := st.Reminder
	out := reminderJSON{ID: r.ID, Kind: r.Kind, Enabled: r.Enabled, Schedule: st.Schedule, Cron: r.Cron, MinutesBefore: r.MinutesBefore,
		OlderThanHours: r.OlderThanHrs, HoursAfter: r.HoursAfter, Text: r.Text, TextEn: r.TextEn, Markdown: r.Markdown, Until: r.Until, Problem: st.Problem, Recent: []firingJSON{},
		Audience: audienceJSON{Everyone: r.Audience.Everyone, Departments: r.Audience.Departments, Employees: r.Audience.Employees}}
	for _, c := range r.Audience.Chats {
		out.Audience.Chats = append(out.Audience.Chats, chatJSON{Platform: c.Platform, Chat: c.ChatID})
	}
	if !st.Next.IsZero() {
		next := st.Next.In(loc)
		out.Next = &next
	}
	for _, f := range st.Recent {
		out.Recent = append(out.Recent, toFiringJSON(f, loc))
	}
	return out
}

// listReminders answers GET /api/v1/reminders.
func (a *API) listReminders(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.reminderService()
	if err != nil {
		return err
	}
	sts, err := svc.Reminders(r.Context())
	if err != nil {
		return err
	}
	out := make([]reminderJSON, 0, len(sts))
	for _, st := range sts {
		out = append(out, toReminderJSON(st, a.zone))
	}
	writeJSON(w, http.StatusOK, map[string]any{"reminders": out})
	return nil
}

// recipientJSON is one recipient of a preview with the text they would get.
type recipientJSON struct {
	Employee string        `json:"employee,omitempty"`
	Platform core.Platform `json:"platform"`
	User     string        `json:"user,omitempty"`
	Chat     string        `json:"chat,omitempty"`
	Lang     string        `json:"lang,omitempty"`
	Text     string        `json:"text"`
}

// previewJSON answers a preview.
type previewJSON struct {
	Reminder    string          `json:"reminder"`
	Kind        string          `json:"kind"`
	At          time.Time       `json:"at"`
	Count       int             `json:"count"`
	ByPlatform  map[string]int  `json:"by_platform"`
	Unreachable []string        `json:"unreachable"`
	Recipients  []recipientJSON `json:"recipients"`
	Truncated   bool            `json:"truncated"`
}

// previewReminder answers POST /api/v1/reminders/{id}/preview?limit=: who
// would receive the reminder now and the text each would read. Nothing is
// stored or sent.
func (a *API) previewReminder(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.reminderService()
	if err != nil {
		return err
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"), defaultPreviewLimit, maxPreviewLimit)
	if err != nil {
		return err
	}
	p, err := svc.Preview(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	out := previewJSON{Reminder: p.Reminder.ID, Kind: p.Reminder.Kind, At: p.At.In(a.zone), Count: len(p.Deliveries), ByPlatform: map[string]int{},
		Unreachable: nonNil(p.Unreachable), Recipients: []recipientJSON{}, Truncated: len(p.Deliveries) > limit}
	for i, d := range p.Deliveries {
		out.ByPlatform[string(d.Recipient.Platform)]++
		if i >= limit {
			continue
		}
		lang := bots.NoticeLang(*d.Notice, d.Recipient.Lang)
		out.Recipients = append(out.Recipients, recipientJSON{Employee: d.Recipient.EmployeeID, Platform: d.Recipient.Platform, User: d.Recipient.UserID,
			Chat: d.Recipient.ChatID, Lang: lang, Text: bots.NoticeText(*d.Notice, lang)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// runReminder answers POST /api/v1/reminders/{id}/run: the reminder fires
// now. 202 with the new firing (its deliveries are queued; the counts show
// their progress), or 200 with this minute's firing when it already fired.
func (a *API) runReminder(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.reminderService()
	if err != nil {
		return err
	}
	rep, created, err := svc.Fire(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "admin: reminder fired by hand", "reminder", rep.ReminderID, "firing", rep.ID, "recipients", rep.Recipients, "created", created)
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"created": created, "firing": toFiringJSON(rep, a.zone)})
	return nil
}

// listFirings answers GET /api/v1/reminders/{id}/firings?limit=: the
// latest firings with their delivery counts.
func (a *API) listFirings(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.reminderService()
	if err != nil {
		return err
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"), defaultFiringLimit, maxFiringLimit)
	if err != nil {
		return err
	}
	fs, err := svc.Firings(r.Context(), core.FiringFilter{ReminderID: r.PathValue("id"), Limit: limit})
	if err != nil {
		return err
	}
	out := make([]firingJSON, 0, len(fs))
	for _, f := range fs {
		out = append(out, toFiringJSON(f, a.zone))
	}
	writeJSON(w, http.StatusOK, map[string]any{"reminder": r.PathValue("id"), "firings": out, "limit": limit})
	return nil
}

// problemJSON is one delivery that failed or waits for another attempt.
type problemJSON struct {
	Employee    string        `json:"employee,omitempty"`
	Platform    core.Platform `json:"platform"`
	User        string        `json:"user,omitempty"`
	Chat        string        `json:"chat,omitempty"`
	Status      string        `json:"status"` // failed, or pending while retried
	Attempts    int           `json:"attempts"`
	NextAttempt *time.Time    `json:"next_attempt,omitempty"`
	Error       string        `json:"error"`
}

// firingParam reads the {firing} id of a path.
func firingParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("firing"), 10, 64)
	if err != nil || id < 1 {
		return 0, core.Errorf(core.EINVALID, "firing must be a firing id, not %q", r.PathValue("firing"))
	}
	return id, nil
}

// firingProblems answers GET /api/v1/reminders/{id}/firings/{firing}/
// problems?limit=: the firing with its counts and the deliveries that
// failed (failed first, with the platform's error) or wait for another
// attempt after one, such as a rate limit.
func (a *API) firingProblems(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.reminderService()
	if err != nil {
		return err
	}
	firing, err := firingParam(r)
	if err != nil {
		return err
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"), defaultPreviewLimit, maxPreviewLimit)
	if err != nil {
		return err
	}
	f, ps, err := svc.DeliveryProblems(r.Context(), r.PathValue("id"), firing, limit+1)
	if err != nil {
		return err
	}
	out := []problemJSON{}
	for _, p := range ps[:min(len(ps), limit)] {
		j := problemJSON{Employee: p.Recipient.EmployeeID, Platform: p.Recipient.Platform, User: p.Recipient.UserID, Chat: p.Recipient.ChatID,
			Status: p.Status, Attempts: p.Attempts, Error: p.LastError}
		if p.Status == core.OutboxPending && !p.NextAttempt.IsZero() {
			next := p.NextAttempt.In(a.zone)
			j.NextAttempt = &next
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"firing": toFiringJSON(f, a.zone), "problems": out, "truncated": len(ps) > limit, "limit": limit})
	return nil
}

// retryFiring answers POST /api/v1/reminders/{id}/firings/{firing}/retry:
// the firing's failed deliveries go back to the outbox, and only those, so
// nobody it reached gets it twice. 200 with how many were requeued (0 when
// none had failed) and the firing's new counts.
func (a *API) retryFiring(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.reminderService()
	if err != nil {
		return err
	}
	firing, err := firingParam(r)
	if err != nil {
		return err
	}
	f, n, err := svc.RetryFailed(r.Context(), r.PathValue("id"), firing)
	if err != nil {
		return err
	}
	a.log.InfoContext(r.Context(), "admin: failed deliveries requeued", "reminder", f.ReminderID, "firing", f.ID, "requeued", n)
	writeJSON(w, http.StatusOK, map[string]any{"requeued": n, "firing": toFiringJSON(f, a.zone)})
	return nil
}

package console

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Reminders lists, previews and fires reminders with their delivery counts;
// the scheduler implements it (cmd/punchbot wires it in).
type Reminders interface {
	Reminders(ctx context.Context) ([]core.ReminderStatus, error)
	Preview(ctx context.Context, id string) (core.ReminderPreview, error)
	Fire(ctx context.Context, id string) (rep core.FiringReport, created bool, err error)
}

// maxPreview caps the recipients a preview lists; the count is always whole.
const maxPreview = 50

type previewRecipient struct {
	Who      string
	Platform core.Platform
	Text     string
}

type reminderPreview struct {
	ID          string
	At          time.Time
	Count       int
	ByPlatform  map[string]int
	Platforms   []string
	Recipients  []previewRecipient
	Unreachable []string
}

type reminderData struct {
	Reminders []core.Reminder       // without the scheduler: as declared
	Statuses  []core.ReminderStatus // with the scheduler
	Preview   *reminderPreview
	API       string
	Live      bool
	Zone      *time.Location
}

func (c *Console) reminderPage(ctx context.Context, w http.ResponseWriter, r *http.Request, v *viewer, preview *reminderPreview) error {
	if !v.HR() {
		return core.Errorf(core.EFORBIDDEN, "reminders are for HR")
	}
	d := reminderData{API: c.cfg.RemindersAPI, Live: c.reminders != nil, Preview: preview, Zone: c.cfg.Zone}
	var err error
	if c.reminders != nil {
		d.Statuses, err = c.reminders.Reminders(ctx)
	} else {
		d.Reminders, err = c.store.ListReminders(ctx)
	}
	if err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "reminders", &page{Lang: v.Lang, Title: tr(v.Lang, "rem_title"), Nav: "reminders", Sub: "reminders", V: v, Flash: reminderFlash(r, v.Lang) + orgFlash(r, v.Lang), Data: d})
	return nil
}

func (c *Console) reminderList(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.reminderPage(r.Context(), w, r, v, nil)
}

// reminderAction checks a POST on a reminder: HR, same origin, CSRF token,
// and a scheduler to act.
func (c *Console) reminderAction(w http.ResponseWriter, r *http.Request, v *viewer) bool {
	if !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return false
	}
	if !v.HR() {
		c.fail(w, r, v.Lang, core.Errorf(core.EFORBIDDEN, "reminders are for HR"))
		return false
	}
	if c.reminders == nil {
		c.fail(w, r, v.Lang, core.Errorf(core.EINVALID, "the scheduler is not running in this server"))
		return false
	}
	return true
}

// previewReminder shows who would receive a reminder fired now, and what.
func (c *Console) previewReminder(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.reminderAction(w, r, v) {
		return nil
	}
	p, err := c.reminders.Preview(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	pv := &reminderPreview{ID: p.Reminder.ID, At: p.At, Count: len(p.Deliveries), ByPlatform: map[string]int{}, Unreachable: p.Unreachable}
	for i, d := range p.Deliveries {
		pv.ByPlatform[string(d.Recipient.Platform)]++
		if i >= maxPreview || d.Notice == nil {
			continue
		}
		who := d.Recipient.EmployeeID
		if who == "" {
			who = d.Recipient.ChatID
		} else if e, ok := v.Everyone[who]; ok && e.Name != "" {
			who = e.Name + " (" + who + ")"
		}
		lang := bots.NoticeLang(*d.Notice, d.Recipient.Lang)
		pv.Recipients = append(pv.Recipients, previewRecipient{Who: who, Platform: d.Recipient.Platform, Text: bots.NoticeText(*d.Notice, lang)})
	}
	pv.Platforms = slices.Sorted(maps.Keys(pv.ByPlatform))
	return c.reminderPage(r.Context(), w, r, v, pv)
}

// runReminder fires a reminder now; the firing's deliveries go through the
// outbox and their counts appear on the page as they are sent.
func (c *Console) runReminder(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.reminderAction(w, r, v) {
		return nil
	}
	rep, created, err := c.reminders.Fire(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := c.audit(r.Context(), v.Actor(), "console.reminder_fired", rep.ReminderID, map[string]any{"firing": rep.ID, "recipients": rep.Recipients, "created": created}); err != nil {
		return err
	}
	done := "fired"
	if !created {
		done = "already"
	}
	q := url.Values{"done": {done}, "id": {rep.ReminderID}, "n": {strconv.Itoa(rep.Recipients)}}
	http.Redirect(w, r, "/reminders?"+q.Encode(), http.StatusSeeOther)
	return nil
}

func reminderFlash(r *http.Request, lang string) string {
	q := r.URL.Query()
	n, _ := strconv.Atoi(q.Get("n"))
	switch q.Get("done") {
	case "fired":
		return tr(lang, "rem_fired_pre") + q.Get("id") + tr(lang, "rem_fired_mid") + strconv.Itoa(n) + tr(lang, "rem_fired_post")
	case "already":
		return tr(lang, "rem_already_pre") + q.Get("id") + tr(lang, "rem_already_post")
	}
	return ""
}

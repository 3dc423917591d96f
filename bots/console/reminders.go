package console

import (
	"context"
	"errors"
	"fmt"
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
	// DeliveryProblems returns a firing and up to limit of its failed
	// deliveries and those retried after an error (a rate limit).
	DeliveryProblems(ctx context.Context, id string, firingID int64, limit int) (core.FiringReport, []core.DeliveryProblem, error)
	// RetryFailed requeues a firing's failed deliveries, and only those.
	RetryFailed(ctx context.Context, id string, firingID int64) (core.FiringReport, int, error)
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
	Problems  *firingProblems
	API       string
	Live      bool
	Zone      *time.Location
}

// progressRefresh is how often, in seconds, the reminders page reloads
// while deliveries of a shown firing are still pending.
const progressRefresh = 15

// sending reports whether a firing on the page still has deliveries to make.
func (d reminderData) sending() bool {
	if d.Problems != nil && d.Problems.Firing.Counts.Pending > 0 {
		return true
	}
	for _, st := range d.Statuses {
		for _, f := range st.Recent {
			if f.Counts.Pending > 0 {
				return true
			}
		}
	}
	return false
}

func (c *Console) reminderPage(ctx context.Context, w http.ResponseWriter, r *http.Request, v *viewer, preview *reminderPreview) error {
	return c.reminderPageWith(ctx, w, r, v, reminderData{Preview: preview})
}

// reminderPageWith renders the reminders page with d's preview or a
// firing's problems on top.
func (c *Console) reminderPageWith(ctx context.Context, w http.ResponseWriter, r *http.Request, v *viewer, d reminderData) error {
	if !v.HR() {
		return core.Errorf(core.EFORBIDDEN, "reminders are for HR")
	}
	d.API, d.Live, d.Zone = c.cfg.RemindersAPI, c.reminders != nil, c.cfg.Zone
	var err error
	if c.reminders != nil {
		d.Statuses, err = c.reminders.Reminders(ctx)
	} else {
		d.Reminders, err = c.store.ListReminders(ctx)
	}
	if err != nil {
		return err
	}
	pg := &page{Lang: v.Lang, Title: tr(v.Lang, "rem_title"), Nav: "reminders", Sub: "reminders", V: v, Flash: reminderFlash(r, v.Lang) + orgFlash(r, v.Lang), Data: d}
	if r.Method == http.MethodGet && d.sending() {
		// A fan-out to hundreds takes minutes at the platforms' rates: the
		// counts move on their own until it is done. Only a GET reloads
		// safely; a preview is the answer to a POST.
		pg.Refresh = progressRefresh
	}
	c.render(w, r, http.StatusOK, "reminders", pg)
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
	case "stale":
		return tr(lang, "rem_retry_stale")
	case "retried":
		if n == 0 {
			return tr(lang, "rem_retried_none")
		}
		return fmt.Sprintf(tr(lang, "rem_retried"), n)
	}
	return ""
}

// maxProblems caps the deliveries a firing's page lists; the counts are
// always whole.
const maxProblems = 200

// firingProblems is a firing with the deliveries it failed to make or is
// retrying, shown on top of the reminders page.
type firingProblems struct {
	ID     string // the reminder
	Firing core.FiringReport
	Rows   []problemRow
	More   bool // more than maxProblems: only the first are listed
}

type problemRow struct {
	Who      string
	Platform core.Platform
	Failed   bool // else pending: it is tried again at Next
	Attempts int
	Next     time.Time
	Error    string
}

// firingParam reads the {firing} id of a path.
func firingParam(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("firing"), 10, 64)
	if err != nil || id < 1 {
		return 0, core.WrapError(core.EINVALID, badParam{key: "rem_bad_firing", value: r.PathValue("firing")}, "firing must be a firing id, not %q", r.PathValue("firing"))
	}
	return id, nil
}

// firingPage shows who a firing failed to reach and why (the platform's
// answer), and who waits for another attempt after an error such as a
// rate limit: the counts alone say how many, not who.
func (c *Console) firingPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !v.HR() {
		return core.Errorf(core.EFORBIDDEN, "reminders are for HR")
	}
	if c.reminders == nil {
		return core.Errorf(core.EINVALID, "the scheduler is not running in this server")
	}
	firing, err := firingParam(r)
	if err != nil {
		return err
	}
	f, ps, err := c.reminders.DeliveryProblems(r.Context(), r.PathValue("id"), firing, maxProblems+1)
	if err != nil {
		return err
	}
	fp := &firingProblems{ID: f.ReminderID, Firing: f, More: len(ps) > maxProblems}
	for _, p := range ps[:min(len(ps), maxProblems)] {
		who := p.Recipient.EmployeeID
		if who == "" {
			who = p.Recipient.ChatID
		} else if e, ok := v.Everyone[who]; ok && e.Name != "" {
			who = e.Name + " (" + who + ")"
		}
		fp.Rows = append(fp.Rows, problemRow{Who: who, Platform: p.Recipient.Platform, Failed: p.Status == core.OutboxFailed, Attempts: p.Attempts,
			Next: p.NextAttempt, Error: p.LastError})
	}
	return c.reminderPageWith(r.Context(), w, r, v, reminderData{Problems: fp})
}

// retryFiring sends a firing's failed deliveries again, and only those:
// each is the same outbox row under the same key, so nobody it reached
// gets it twice.
func (c *Console) retryFiring(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.reminderAction(w, r, v) {
		return nil
	}
	firing, err := firingParam(r)
	if err != nil {
		return err
	}
	f, n, err := c.reminders.RetryFailed(r.Context(), r.PathValue("id"), firing)
	if errors.Is(err, core.ErrStaleReminder) {
		q := url.Values{"done": {"stale"}}
		http.Redirect(w, r, "/reminders/"+url.PathEscape(r.PathValue("id"))+"/firings/"+strconv.FormatInt(firing, 10)+"?"+q.Encode(), http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.audit(r.Context(), v.Actor(), "console.reminder_retried", f.ReminderID, map[string]any{"firing": f.ID, "requeued": n}); err != nil {
		return err
	}
	q := url.Values{"done": {"retried"}, "n": {strconv.Itoa(n)}}
	http.Redirect(w, r, "/reminders/"+url.PathEscape(f.ReminderID)+"/firings/"+strconv.FormatInt(f.ID, 10)+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// The delivery pages' texts, kept with them.
func init() {
	for lang, m := range map[string]map[string]string{
		"zh": {
			"rem_details":        "送达详情",
			"rem_problems_title": "送达详情：%s（%s）",
			"rem_retry":          "重新发送失败的 %d 条",
			"rem_retry_confirm":  "只会重新发送失败的消息，已送达的人不会重复收到。确定吗？",
			"rem_retry_note":     "“重试中”的消息（例如平台限流）会按平台要求的等待时间自动重发，无需操作；“失败”的消息已放弃，修正原因（如账号未开通或不在应用可见范围内）后可重新发送。",
			"rem_no_problems":    "没有发送失败或正在重试的消息。",
			"rem_problems_more":  "只列出前 %d 条。",
			"rem_status":         "状态", "rem_failed": "失败", "rem_retrying": "重试中", "rem_attempts": "尝试次数",
			"rem_next_try": "下次尝试", "rem_error": "平台返回的错误",
			"rem_retried":      "已重新排队 %d 条发送失败的消息；送达情况见下方。",
			"rem_retried_none": "没有发送失败的消息需要重发。",
			"rem_skipped":      "已跳过：发送时间过后太久服务才恢复，没有补发",
			"rem_late":         "延迟发送（服务恢复后补发）",
			"rem_note":         "调度器备注",
			"rem_retrying_n":   "其中 %d 条在重试（平台限流或出错，会自动重发）",
			"rem_bad_firing":   "发送记录编号“%s”无效。",
			"rem_retry_stale":  "这条上下班打卡提醒已过时，现在重发会误导员工，所以没有重发。",
		},
		"en": {
			"rem_details":        "Delivery details",
			"rem_problems_title": "Delivery details: %s (%s)",
			"rem_retry":          "Resend the %d failed",
			"rem_retry_confirm":  "Only the failed messages are sent again; nobody who received it gets it twice. Continue?",
			"rem_retry_note":     "Messages marked “retrying” (for example after a platform rate limit) are sent again automatically after the wait the platform asked for. “Failed” ones were given up: fix the cause (an account not activated or outside the app's visibility) and resend them.",
			"rem_no_problems":    "No delivery failed or is being retried.",
			"rem_problems_more":  "Only the first %d are listed.",
			"rem_status":         "Status", "rem_failed": "failed", "rem_retrying": "retrying", "rem_attempts": "Attempts",
			"rem_next_try": "Next try", "rem_error": "Platform error",
			"rem_retried":      "Requeued %d failed messages; delivery progress is below.",
			"rem_retried_none": "No failed message to resend.",
			"rem_skipped":      "skipped: punchbot was down for too long after its time to send it late",
			"rem_late":         "sent late (after punchbot was down)",
			"rem_note":         "Scheduler note",
			"rem_retrying_n":   "%d of them retrying after a rate limit or an error (sent again automatically)",
			"rem_bad_firing":   "“%s” is not a firing number.",
			"rem_retry_stale":  "This clock-in/out reminder is out of date: resent now it would mislead, so nothing was resent.",
		},
	} {
		for k, v := range m {
			texts[lang][k] = v
		}
	}
}

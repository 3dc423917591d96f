package console

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Reminders and broadcasts: compose text or Markdown with a preview per
// platform, pick the audience, and schedule it by cron or for one moment,
// or send it now. The list stays at /reminders.

var remindersSpec = &entitySpec{
	key: "reminders", entity: "reminders", base: "/reminders",
	values: reminderValues, fields: reminderFields, apply: applyReminder, extra: reminderExtra,
}

var kindKeys = []string{core.ReminderBroadcast, core.ReminderPunchIn, core.ReminderPunchOut, core.ReminderMissedPunch, core.ReminderStillClockedIn, core.ReminderMakeupDeadline, core.ReminderApprovalDigest}

// oneOff is the cron of a reminder scheduled for one moment: minute, hour,
// day and month, with Until on that date so it never fires again.
var oneOff = regexp.MustCompile(`^CRON_TZ=(\S+) (\d{1,2}) (\d{1,2}) (\d{1,2}) (\d{1,2}) \*$`)

func reminderValues(org core.Org, id string) (url.Values, bool) {
	i := slices.IndexFunc(org.Reminders, func(r core.Reminder) bool { return r.ID == id })
	if i < 0 {
		return nil, false
	}
	r := org.Reminders[i]
	v := url.Values{"id": {r.ID}, "kind": {r.Kind}, "cron": {r.Cron}, "text": {r.Text}, "text_en": {r.TextEn}, "until": {r.Until},
		"minutes_before": {strconv.Itoa(r.MinutesBefore)}, "older_than_hours": {strconv.Itoa(r.OlderThanHrs)},
		"departments": r.Audience.Departments, "employees": r.Audience.Employees}
	if r.HoursAfter != 0 {
		v.Set("hours_after", strconv.Itoa(r.HoursAfter))
	}
	if m := oneOff.FindStringSubmatch(r.Cron); m != nil && r.Until != "" {
		if loc, err := time.LoadLocation(m[1]); err == nil {
			mi, _ := strconv.Atoi(m[2])
			h, _ := strconv.Atoi(m[3])
			d, _ := strconv.Atoi(m[4])
			mo, _ := strconv.Atoi(m[5])
			y, _ := strconv.Atoi(r.Until[:4])
			if at := time.Date(y, time.Month(mo), d, h, mi, 0, 0, loc); at.Format(core.DateLayout) == r.Until {
				v.Set("at", at.Format("2006-01-02T15:04"))
				v.Del("cron")
				v.Del("until")
			}
		}
	}
	var chats []string
	for _, c := range r.Audience.Chats {
		chats = append(chats, string(c.Platform)+" "+c.ChatID)
	}
	v.Set("chats", strings.Join(chats, "\n"))
	for k, on := range map[string]bool{"markdown": r.Markdown, "everyone": r.Audience.Everyone, "enabled": r.Enabled} {
		if on {
			v.Set(k, "1")
		}
	}
	return v, true
}

func reminderFields(p *page, org core.Org, vals url.Values, isNew bool) []formField {
	if isNew && vals.Get("kind") == "" {
		vals = url.Values{"kind": {core.ReminderBroadcast}, "enabled": {"1"}, "everyone": {"1"}}
	}
	var kinds []option
	for _, k := range kindKeys {
		kinds = append(kinds, option{k, p.T("rk_" + k)})
	}
	depts := map[string]bool{}
	var people []option
	for _, e := range org.Employees {
		if e.Department != "" {
			depts[e.Department] = true
		}
		if e.Active {
			people = append(people, option{e.ID, e.Name + " (" + e.ID + ")"})
		}
	}
	var deptOpts []option
	for _, d := range slices.Sorted(func(yield func(string) bool) {
		for d := range depts {
			if !yield(d) {
				return
			}
		}
	}) {
		deptOpts = append(deptOpts, option{d, d})
	}
	return []formField{
		idField(p, vals, isNew, p.T("org_id_help")),
		{Name: "kind", Label: p.T("rem_kind"), Type: "select", Value: vals.Get("kind"), Options: kinds},
		{Name: "text", Label: p.T("rem_text"), Type: "textarea", Value: vals.Get("text"), Rows: 6, Help: p.T("rem_text_help")},
		{Name: "text_en", Label: p.T("rem_text_en"), Type: "textarea", Value: vals.Get("text_en"), Rows: 4, Help: p.T("rem_text_en_help")},
		{Name: "markdown", Label: p.T("rem_markdown"), Type: "checkbox", Value: vals.Get("markdown")},
		{Name: "everyone", Label: p.T("everyone"), Type: "checkbox", Value: vals.Get("everyone")},
		{Name: "departments", Label: p.T("department"), Type: "checks", Values: vals["departments"], Options: deptOpts},
		{Name: "employees", Label: p.T("rem_people"), Type: "checks", Values: vals["employees"], Options: people},
		{Name: "chats", Label: p.T("rem_chats"), Type: "textarea", Value: vals.Get("chats"), Rows: 2, Placeholder: "slack C024BE91L", Help: p.T("rem_chats_help")},
		{Name: "at", Label: p.T("rem_at"), Type: "datetime-local", Value: vals.Get("at"), Help: p.T("rem_at_help")},
		{Name: "cron", Label: p.T("rem_cron"), Type: "text", Value: vals.Get("cron"), Placeholder: "CRON_TZ=Asia/Shanghai 0 9 * * MON", Help: p.T("rem_cron_help")},
		{Name: "minutes_before", Label: p.T("rem_minutes_before"), Type: "number", Value: vals.Get("minutes_before"), Step: "1"},
		{Name: "older_than_hours", Label: p.T("rem_older_than"), Type: "number", Value: vals.Get("older_than_hours"), Step: "1"},
		{Name: "hours_after", Label: p.T("rem_hours_after"), Type: "number", Value: vals.Get("hours_after"), Step: "1", Help: p.T("rem_hours_after_help")},
		{Name: "until", Label: p.T("rem_until"), Type: "date", Value: vals.Get("until")},
		{Name: "enabled", Label: p.T("rem_enabled"), Type: "checkbox", Value: vals.Get("enabled")},
		{Name: "send_now", Label: p.T("rem_send_now"), Type: "checkbox", Value: vals.Get("send_now"), Help: p.T("rem_send_now_help")},
	}
}

func applyReminder(org *core.Org, id string, vals url.Values, _ []byte, lang string) (int, fieldErrors) {
	errs := fieldErrors{}
	i := len(org.Reminders)
	if id != "" {
		if i = slices.IndexFunc(org.Reminders, func(r core.Reminder) bool { return r.ID == id }); i < 0 {
			return 0, fieldErrors{"": tr(lang, "not_found")}
		}
	} else {
		org.Reminders = append(org.Reminders, core.Reminder{ID: strings.TrimSpace(vals.Get("id"))})
	}
	r := &org.Reminders[i]
	r.Kind = vals.Get("kind")
	r.Text = strings.TrimSpace(strings.ReplaceAll(vals.Get("text"), "\r\n", "\n"))
	r.TextEn = strings.TrimSpace(strings.ReplaceAll(vals.Get("text_en"), "\r\n", "\n"))
	r.Markdown = vals.Get("markdown") != ""
	r.Enabled = vals.Get("enabled") != ""
	r.MinutesBefore = intField(vals, "minutes_before", errs, lang)
	r.OlderThanHrs = intField(vals, "older_than_hours", errs, lang)
	r.HoursAfter = intField(vals, "hours_after", errs, lang)
	r.Cron = strings.TrimSpace(vals.Get("cron"))
	r.Until = strings.TrimSpace(vals.Get("until"))
	if at := strings.TrimSpace(vals.Get("at")); at != "" {
		zone := org.TimeZone
		if zone == "" {
			zone = "Asia/Shanghai"
		}
		loc, err := time.LoadLocation(zone)
		t, perr := time.ParseInLocation("2006-01-02T15:04", at, loc)
		switch {
		case err != nil || perr != nil:
			errs.add("at", tr(lang, "rem_at_bad"))
		case r.Cron != "":
			errs.add("at", tr(lang, "rem_at_or_cron"))
		default:
			r.Cron = fmt.Sprintf("CRON_TZ=%s %d %d %d %d *", zone, t.Minute(), t.Hour(), t.Day(), int(t.Month()))
			r.Until = t.Format(core.DateLayout)
		}
	}
	r.Audience = core.Audience{Everyone: vals.Get("everyone") != "", Departments: vals["departments"], Employees: vals["employees"]}
	for n, line := range strings.Split(vals.Get("chats"), "\n") {
		f := strings.Fields(line)
		switch len(f) {
		case 0:
		case 2:
			r.Audience.Chats = append(r.Audience.Chats, core.ChatTarget{Platform: core.Platform(strings.ToLower(f[0])), ChatID: f[1]})
		default:
			errs.add("chats", tr(lang, "rem_chat_line")+" "+strconv.Itoa(n+1))
		}
	}
	if r.Kind == core.ReminderBroadcast && !r.Audience.Everyone && len(r.Audience.Departments) == 0 && len(r.Audience.Employees) == 0 && len(r.Audience.Chats) == 0 {
		errs.add("everyone", tr(lang, "rem_no_audience"))
	}
	return i, errs
}

func reminderExtra(p *page, org core.Org, id string) []formAction {
	if slices.IndexFunc(org.Reminders, func(r core.Reminder) bool { return r.ID == id }) < 0 {
		return nil
	}
	return []formAction{{Action: "/reminders/" + url.PathEscape(id) + "/run", Label: p.T("rem_run"), Confirm: p.T("rem_run_confirm"), Class: "run"}}
}

// sendNow fires a just-saved reminder, as the list's "send now" does.
func (c *Console) sendNow(w http.ResponseWriter, r *http.Request, v *viewer, id string) error {
	if c.reminders == nil {
		return core.Errorf(core.EINVALID, "saved, but the scheduler is not running in this server, so it cannot be sent now")
	}
	rep, created, err := c.reminders.Fire(r.Context(), id)
	if err != nil {
		return err
	}
	if err := c.audit(r.Context(), v.Actor(), "console.reminder_fired", rep.ReminderID, map[string]any{"firing": rep.ID, "recipients": rep.Recipients, "created": created}); err != nil {
		return err
	}
	q := url.Values{"done": {"fired"}, "id": {rep.ReminderID}, "n": {strconv.Itoa(rep.Recipients)}}
	http.Redirect(w, r, "/reminders?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// platformPreview is how a broadcast looks on one platform.
type platformPreview struct {
	Platform, Name string
	HTML           template.HTML
}

// Message limits: Slack section text 3000 characters (api.slack.com/
// reference/block-kit/blocks#section); WeCom text and markdown 2048 bytes
// (developer.work.weixin.qq.com/document/path/90236); a Feishu card's
// markdown element (open.feishu.cn/document/common-capabilities/
// message-card/message-cards-content/using-markdown-tags) is bounded by the
// 30 KB request.
var previewPlatforms = []struct {
	id, name string
	limit    int
	bytes    bool
}{
	{"wecom", "企业微信 WeCom", 2048, true},
	{"feishu", "飞书 Feishu/Lark", 30000, true},
	{"slack", "Slack", 3000, false},
}

// composePreviews renders the text as each platform shows it: Markdown
// (bold, links, headings, lists) where the message is Markdown, plain text
// otherwise; Slack shows its mrkdwn. The page's script does the same as
// HR types (previewScript).
func composePreviews(vals url.Values, lang string) []platformPreview {
	text := vals.Get("text")
	md := vals.Get("markdown") != ""
	var out []platformPreview
	for _, pl := range previewPlatforms {
		body := template.HTMLEscapeString(text)
		if md {
			body = renderMarkdown(body, pl.id == "slack")
		}
		body = strings.ReplaceAll(body, "\n", "<br>")
		n := len([]rune(text))
		if pl.bytes {
			n = len(text)
		}
		if n > pl.limit {
			body += `<p class="bad">` + template.HTMLEscapeString(fmt.Sprintf(tr(lang, "rem_too_long"), n, pl.limit)) + `</p>`
		}
		out = append(out, platformPreview{Platform: pl.id, Name: pl.name, HTML: template.HTML(body)})
	}
	return out
}

var (
	mdBoldRe    = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	mdLinkRe    = regexp.MustCompile(`\[([^\]\n]+)\]\((https?://[^)\s"]+)\)`)
	mdHeadingRe = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	mdItemRe    = regexp.MustCompile(`(?m)^[-*] (.+)$`)
)

// renderMarkdown turns the Markdown HR writes, already HTML-escaped, into
// preview HTML. Slack's mrkdwn has no headings: they stay as written.
func renderMarkdown(escaped string, slack bool) string {
	s := mdBoldRe.ReplaceAllString(escaped, "<strong>$1</strong>")
	s = mdLinkRe.ReplaceAllString(s, `<a href="$2" rel="noopener noreferrer">$1</a>`)
	if !slack {
		s = mdHeadingRe.ReplaceAllString(s, "<strong>$1</strong>")
	}
	return mdItemRe.ReplaceAllString(s, "• $1")
}

// The scheduler's checks of a reminder (scheduler.CheckReminders) in
// Chinese, next to core's in org.go.
func init() {
	problemZH = append(problemZH, []struct {
		re *regexp.Regexp
		zh string
	}{
		{regexp.MustCompile(`^the audience is empty: name everyone, departments, employees or chats$`), "对象为空：请选择所有人、部门、员工或群聊"},
		{regexp.MustCompile(`^no employee is in department (".*")$`), "没有员工属于部门 $1（是否写错了？）"},
		{regexp.MustCompile(`^must be from 0 to (\d+) minutes before the shift starts, not (-?\d+)$`), "必须是上班前 0 到 $1 分钟，而不是 $2"},
		{regexp.MustCompile(`^must not be negative, not (-?\d+)$`), "不能为负数（$1）"},
		{regexp.MustCompile(`^a (\S+) reminder goes to each person concerned, not to chats: name departments or employees$`), "$1 提醒发给每位相关的人，不能发到群聊：请选择部门或员工"},
		{regexp.MustCompile(`^must be wecom, feishu or slack, not (".*")$`), "必须是 wecom、feishu 或 slack，而不是 $1"},
		{regexp.MustCompile(`^must be from 1 to (\d+) hours after the clock-in \(0 or absent: (\d+)\), not (-?\d+)$`), "必须是上班打卡后 1 到 $1 小时（留空为 $2），而不是 $3"},
		{regexp.MustCompile(`^is only for still_clocked_in reminders$`), "只用于仍在上班提醒（still_clocked_in）"},
		{regexp.MustCompile(`^needs text as well: text is the Chinese text \(or the one text for everybody\), text_en the English one$`), "填写英文内容时也须填写中文内容：中文内容发给其他人，英文内容发给语言为 en 的员工"},
	}...)
}

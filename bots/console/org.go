package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
)

// Managing the organisation from the console. Every edit is made on the
// whole organisation as applied (admin.OrgReader), written out as an org
// file (admin.MarshalOrg) and read back with admin.ParseOrg, so it passes
// exactly the validation `punchbot apply` does and is refused with the same
// messages. Only the edited entity is then applied (with the
// organisation's settings and make-up policy, which every apply writes), so
// two HR people editing different people at once do not undo each other.
// The audit entry names the editor and lists the changed lines of the org
// file. Applying a file later wins for everything the file names; nothing
// the file leaves out is deleted (ApplyOrg only creates and updates).

// orgEdit is one change to the organisation from a console form.
type orgEdit struct {
	// Entity is the org file's list ("employees", "sites", "schedules",
	// "calendars", "reminders") or "makeup" for the policy.
	Entity string
	// ID is the entity's id; for a new one, the id the form gave.
	ID string
	// Apply changes org in place and returns the entity's index in its
	// list, or field errors when the form itself cannot be read (a
	// latitude that is not a number).
	Apply func(org *core.Org) (index int, errs fieldErrors)
}

// fieldErrors are messages by form field name; "" is about the whole form.
type fieldErrors map[string]string

func (f fieldErrors) add(field, msg string) {
	if prev, ok := f[field]; ok {
		msg = prev + "; " + msg
	}
	f[field] = msg
}

// editResult is what an edit did.
type editResult struct {
	Errs    fieldErrors // non-empty: refused, nothing changed
	Changed []string    // the org file's changed lines; empty: nothing to do
}

// editAttempts bounds applyEdit's redoing an edit over an organisation that
// changed under it; past that the form says so and keeps the input.
const editAttempts = 3

// applyEdit loads the organisation, applies the edit, validates the result
// as an org file and applies the edited entity, audited. The apply names
// the version it read (core.Org.Version): if another edit or an applied
// file landed in between, nothing is applied and the edit is redone over
// the organisation as it now is, so the settings and policy every apply
// writes are never the stale ones read before.
func (c *Console) applyEdit(ctx context.Context, v *viewer, e orgEdit) (editResult, error) {
	for range editAttempts {
		res, err := c.applyEditOnce(ctx, v, e)
		if !errors.Is(err, core.ErrOrgChanged) {
			return res, err
		}
	}
	return editResult{Errs: fieldErrors{"": tr(v.Lang, "org_edit_changed_meanwhile")}}, nil
}

func (c *Console) applyEditOnce(ctx context.Context, v *viewer, e orgEdit) (editResult, error) {
	// With the device policy, which an apply writes whole.
	org, err := admin.CurrentOrg(ctx, c.store)
	if err != nil {
		return editResult{}, err
	}
	before, err := admin.MarshalOrg(org)
	if err != nil {
		return editResult{}, err
	}
	index, errs := e.Apply(&org)
	if len(errs) > 0 {
		return editResult{Errs: errs}, nil
	}
	file, err := admin.MarshalOrg(org)
	if err != nil {
		return editResult{}, err
	}
	var checks []func(core.Org) []core.FieldError
	if c.checkOrg != nil {
		checks = append(checks, c.checkOrg)
	}
	_, err = admin.ParseOrg(file, checks...)
	var fe *admin.FileError
	if errors.As(err, &fe) {
		// The file lists in id order: find the edited entity there.
		at := fileIndex(org, e.Entity, index)
		return editResult{Errs: problemFields(ownAccounts(fe.Problems, admin.Canonical(org), at, e.Entity), e.Entity, at, v.Lang)}, nil
	}
	if err != nil {
		return editResult{}, err
	}
	// The edited organisation itself is applied, not the file's reading of
	// it, so a field the file format gains before the export learns it is
	// kept rather than reset; Prepare fills defaults and converts datums
	// exactly as the file's reading did.
	if err := org.Prepare(); err != nil {
		return editResult{}, core.WrapError(core.EINTERNAL, err, "the edit passed the org file's checks but not Prepare")
	}
	changed := admin.DiffLines(before, file)
	if len(changed) == 0 {
		return editResult{}, nil
	}
	detail, _ := json.Marshal(map[string]any{"entity": e.Entity, "id": e.ID, "changes": changed})
	audit := core.AuditEntry{At: c.now(), Actor: v.Actor(), Action: "console.org_edited", Subject: e.Entity + "/" + e.ID, Detail: string(detail)}
	if _, err := c.store.ApplyOrg(ctx, only(org, e.Entity, index), audit); err != nil {
		if core.ErrorCode(err) == core.ECONFLICT && !errors.Is(err, core.ErrOrgChanged) {
			// An account bound to someone the store has but the edit does
			// not name: a field problem, not a crash.
			return editResult{Errs: fieldErrors{"identities": translateProblem(core.ErrorMessage(err), v.Lang)}}, nil
		}
		return editResult{}, err
	}
	return editResult{Changed: changed}, nil
}

// only keeps the edited entity of a validated organisation, with the
// settings and policy every apply writes.
func only(org core.Org, entity string, i int) core.Org {
	out := core.Org{Name: org.Name, Lang: org.Lang, TimeZone: org.TimeZone, Makeup: org.Makeup, LeaveTypes: org.LeaveTypes, Devices: org.Devices,
		Version: org.Version}
	switch entity {
	case "employees":
		out.Employees = org.Employees[i : i+1]
	case "sites":
		out.Sites = org.Sites[i : i+1]
	case "schedules":
		out.Schedules = org.Schedules[i : i+1]
	case "calendars":
		out.Calendars = org.Calendars[i : i+1]
	case "reminders":
		out.Reminders = org.Reminders[i : i+1]
	}
	return out
}

// problemFields files the org file's problems under the form's fields: a
// problem at "employees[3].identities[0].user" of the edited employee 3 is
// the "identities" field's; anything else (another entity made invalid by
// the edit) is the whole form's, naming the place.
func problemFields(problems []admin.Problem, entity string, index int, lang string) fieldErrors {
	out := fieldErrors{}
	prefix := fmt.Sprintf("%s[%d].", entity, index)
	if entity == "makeup" {
		prefix = "makeup."
	}
	for _, p := range problems {
		msg := translateProblem(p.Message, lang)
		if entity == "makeup" && strings.HasPrefix(p.Field, "leave_types") {
			out.add("leave_types", strings.TrimPrefix(p.Field, "leave_types")+" "+msg)
			continue
		}
		if rest, ok := strings.CutPrefix(p.Field, prefix); ok {
			out.add(fieldName(rest), msg)
			continue
		}
		if p.Field == "makeup" && entity == "makeup" {
			out.add("", msg)
			continue
		}
		out.add("", p.Field+": "+msg)
	}
	return out
}

var accountClash = regexp.MustCompile(`^employees\[(\d+)\]\.identities\[\d+\]\.user$`)

// ownAccounts turns "account X is already bound to <edited person>",
// reported at the other person who holds X, into the edited person's
// problem naming the holder: the org file reports a clash at its second
// occurrence, but in a form the clash is the edited person's.
func ownAccounts(problems []admin.Problem, org core.Org, index int, entity string) []admin.Problem {
	if entity != "employees" {
		return problems
	}
	me := org.Employees[index].ID
	out := make([]admin.Problem, len(problems))
	for i, p := range problems {
		out[i] = p
		m := accountClash.FindStringSubmatch(p.Field)
		if m == nil {
			continue
		}
		j, _ := strconv.Atoi(m[1])
		if j != index && j < len(org.Employees) && strings.HasSuffix(p.Message, " bound to "+me) {
			out[i].Field = fmt.Sprintf("employees[%d].identities", index)
			out[i].Message = strings.TrimSuffix(p.Message, me) + org.Employees[j].ID
		}
	}
	return out
}

// fieldName is the form field of a path inside an entity: "sites[1]" →
// "sites", "audience.employees[0]" → "audience", "start" → "start".
func fieldName(rest string) string {
	if k, ok := strings.CutPrefix(rest, "overtime."); ok {
		return "overtime_" + k // the schedule form's flat overtime fields (orgovertime.go)
	}
	if i := strings.IndexAny(rest, ".["); i >= 0 {
		rest = rest[:i]
	}
	// Where the file's keys and the form's fields differ.
	switch rest {
	case "holidays", "workdays":
		return "days"
	case "audience":
		return "everyone"
	}
	return rest
}

// problemZH translates the org file's messages (core's validation and the
// parser's own) for Chinese-speaking HR; anything not listed is shown as
// written.
var problemZH = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^is required$`), "必填"},
	{regexp.MustCompile(`^is required for broadcasts$`), "群发消息必须填写内容"},
	{regexp.MustCompile(`^is required for (\S+) reminders$`), "$1 类提醒必须填写时间表达式"},
	{regexp.MustCompile(`^duplicate (site|schedule|calendar|employee|reminder) id (".*")$`), "编号 $2 已被使用"},
	{regexp.MustCompile(`^unknown employee (".*")$`), "没有员工 $1"},
	{regexp.MustCompile(`^unknown schedule (".*")$`), "没有班次 $1"},
	{regexp.MustCompile(`^unknown site (".*")$`), "没有地点 $1"},
	{regexp.MustCompile(`^unknown calendar (".*")$`), "没有日历 $1"},
	{regexp.MustCompile(`^unknown time zone (".*")$`), "未知时区 $1"},
	{regexp.MustCompile(`^an employee cannot manage themselves$`), "员工不能是自己的上级"},
	{regexp.MustCompile(`^manager chain has a cycle: (.*)$`), "上级关系形成了循环：$1"},
	{regexp.MustCompile(`^coordinates (\S+) are not a place on Earth: a latitude is within ±90; lat and lng may be swapped \(lat: (\S+), lng: (\S+)\)$`), "坐标 $1 不是地球上的位置：纬度应在 ±90 之内，lat 和 lng 可能写反了（lat: $2, lng: $3）"},
	{regexp.MustCompile(`^coordinates (.*) are not a place on Earth$`), "坐标 $1 不是地球上的位置"},
	{regexp.MustCompile(`^must be a list, not the single value (.*); write \[(.*)\] for a list of one$`), "必须是列表，而不是单个值 $1；只有一项时写成 [$2]"},
	{regexp.MustCompile(`^must be a list, not a mapping$`), "必须是列表，而不是键值映射"},
	{regexp.MustCompile(`^must be text, not the number (.*); write it in quotes \((.*)\) if that is what you mean$`), "必须是文本，而不是数字 $1；如果就是这个值，请加上引号（$2）"},
	{regexp.MustCompile(`^must be text, not the boolean (.*); write it in quotes \((.*)\) if that is what you mean$`), "必须是文本，而不是布尔值 $1；如果就是这个值，请加上引号（$2）"},
	{regexp.MustCompile(`^must be text, not the value (.*); write it in quotes \((.*)\) if that is what you mean$`), "必须是文本，而不是 $1；如果就是这个值，请加上引号（$2）"},
	{regexp.MustCompile(`^syntax error: tabs cannot indent YAML; indent this line with spaces$`), "语法错误：YAML 不能用 Tab 缩进，请把这一行的缩进改成空格"},
	{regexp.MustCompile(`^must be wgs84 or gcj02, not (".*")$`), "坐标系必须是 wgs84 或 gcj02，而不是 $1"},
	{regexp.MustCompile(`^must be between 10 and 5000 metres, not (.*)$`), "半径必须在 10 到 5000 米之间，而不是 $1"},
	{regexp.MustCompile(`^(".*") is not a CIDR range$`), "$1 不是 CIDR 网段（如 203.0.113.0/24）"},
	{regexp.MustCompile(`^date (".*") is not YYYY-MM-DD$`), "日期 $1 不是 YYYY-MM-DD 格式"},
	{regexp.MustCompile(`^left (\S+) is before joined (\S+): .*$`), "最后工作日 $1 早于入职日期 $2：离职日期是最后一个工作日，不能早于入职日期"},
	{regexp.MustCompile(`^date (\S+) is listed twice$`), "日期 $1 重复"},
	{regexp.MustCompile(`^must be between 00:00 and 23:59$`), "必须在 00:00 到 23:59 之间"},
	{regexp.MustCompile(`^must be after start and at most 24 hours later.*$`), "必须晚于上班时间且不超过 24 小时（次日 02:00 写作 26:00）"},
	{regexp.MustCompile(`^must be reject, field or flag, not (".*")$`), "必须是 reject、field 或 flag，而不是 $1"},
	{regexp.MustCompile(`^must be at least late_grace_min$`), "不能小于迟到宽限"},
	{regexp.MustCompile(`^must be greater than serious_late_min$`), "必须大于严重迟到分钟数"},
	{regexp.MustCompile(`^must be between 0 and 1440 minutes$`), "必须在 0 到 1440 分钟之间"},
	{regexp.MustCompile(`^must be zh or en, not (".*")$`), "必须是 zh 或 en，而不是 $1"},
	{regexp.MustCompile(`^must be employee, manager or hr, not (".*")$`), "必须是 employee、manager 或 hr，而不是 $1"},
	{regexp.MustCompile(`^must be wecom, feishu, slack or web, not (".*")$`), "平台必须是 wecom、feishu、slack 或 web，而不是 $1"},
	{regexp.MustCompile(`^(\S+) account (".*") is already bound to (?:employee )?(.*)$`), "$1 账号 $2 已绑定到 $3"},
	{regexp.MustCompile(`^employee id (".*") contains a control character$`), "员工编号 $1 含有控制字符"},
	{regexp.MustCompile(`^must not be negative$`), "不能为负数"},
	{regexp.MustCompile(`^quota, deadline and expiry must not be negative$`), "次数、期限和过期时间不能为负数"},
	{regexp.MustCompile(`^must be one of (.*), not (".*")$`), "必须是 $1 之一，而不是 $2"},
	{regexp.MustCompile(`^(\S+) is not a whole or half number of days$`), "$1 不是整天或半天"},
	{regexp.MustCompile(`^(\S+) days is more than a year$`), "$1 天超过一年"},
	{regexp.MustCompile(`^(".*") is not a leave type id: .*$`), "$1 不是有效的假期编号：请用小写字母、数字、- 和 _，以字母开头（如 annual）"},
	{regexp.MustCompile(`^duplicate leave type id (".*") .*$`), "假期编号 $1 重复"},
	{regexp.MustCompile(`^must be standard or strict, not (".*")$`), "必须是 standard 或 strict，而不是 $1"},
	{regexp.MustCompile(`^must be off, punch, approval or both, not (".*")$`), "必须是 off、punch、approval 或 both，而不是 $1"},
	{regexp.MustCompile(`^must be less than check_in_opens_min \((\d+)\): earlier clock-ins are refused$`), "必须小于提前打卡分钟数（$1）：更早的上班打卡会被拒绝"},
}

// translateProblem says an org file message in lang.
func translateProblem(msg, lang string) string {
	if pageLang(lang) == "en" {
		return msg
	}
	for _, t := range problemZH {
		if t.re.MatchString(msg) {
			return t.re.ReplaceAllString(msg, t.zh)
		}
	}
	return msg
}

// editTexts are this file's words, merged into texts.
var editTexts = map[string]map[string]string{
	"zh": {"org_edit_changed_meanwhile": "保存时组织正被其他人修改，这次没有保存。请再点一次保存（填写的内容已保留）。",
		"org_datum_kept": "从腾讯或高德地图复制的坐标是 GCJ-02；GPS 和浏览器给出的是 WGS-84。按填写的坐标系保存，导出时原样写回；距离按 WGS-84 计算。"},
	"en": {"org_edit_changed_meanwhile": "Someone else was changing the organisation while this was saved, so nothing was saved. Press save again (your input is kept).",
		"org_datum_kept": "Coordinates copied from Tencent or AMap maps are GCJ-02; GPS and browsers give WGS-84. They are kept as written, and exported so; distances are measured in WGS-84."},
}

func init() {
	for lang, m := range editTexts {
		for k, v := range m {
			texts[lang][k] = v
		}
	}
}

// requireHR refuses anyone but HR, and a POST without a valid CSRF token.
func (c *Console) requireHR(w http.ResponseWriter, r *http.Request, v *viewer) bool {
	if r.Method == http.MethodPost && !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return false
	}
	if !v.HR() {
		c.fail(w, r, v.Lang, core.Errorf(core.EFORBIDDEN, "managing the organisation is for HR"))
		return false
	}
	return true
}

// orgFlash is the message after a saved edit.
func orgFlash(r *http.Request, lang string) string {
	q := r.URL.Query()
	switch q.Get("done") {
	case "saved":
		n, _ := strconv.Atoi(q.Get("n"))
		return fmt.Sprintf(tr(lang, "org_saved"), q.Get("id"), n)
	case "unchanged":
		return fmt.Sprintf(tr(lang, "org_unchanged"), q.Get("id"))
	}
	return ""
}

// fileIndex is where entity i of org's list stands in the exported file,
// which lists in id order (admin.MarshalOrg; ties keep their order).
func fileIndex(org core.Org, entity string, i int) int {
	var ids []string
	switch entity {
	case "employees":
		for _, x := range org.Employees {
			ids = append(ids, x.ID)
		}
	case "sites":
		for _, x := range org.Sites {
			ids = append(ids, x.ID)
		}
	case "schedules":
		for _, x := range org.Schedules {
			ids = append(ids, x.ID)
		}
	case "calendars":
		for _, x := range org.Calendars {
			ids = append(ids, x.ID)
		}
	case "reminders":
		for _, x := range org.Reminders {
			ids = append(ids, x.ID)
		}
	default:
		return i
	}
	at := 0
	for j, id := range ids {
		if id < ids[i] || (id == ids[i] && j < i) {
			at++
		}
	}
	return at
}

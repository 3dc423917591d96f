package console

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/punchbot/punchbot/core"
)

// "Who looked at my data": every console view or export that included
// other people's data is recorded with the ids of everyone it included
// (core.AccessStore), and each person's data page lists those entries in
// the reader's language, with wording that depends on who is reading.

// recordAccess appends one audit entry for an access that included ids,
// with their subject rows, so that each of them finds it on their page.
// A store without subject rows gets the plain entry.
func (c *Console) recordAccess(ctx context.Context, actor, action, subject string, detail map[string]any, ids []string) error {
	acc, ok := c.store.(core.AccessStore)
	if !ok {
		return c.audit(ctx, actor, action, subject, detail)
	}
	buf, _ := json.Marshal(detail)
	return acc.RecordAccess(ctx, core.AuditEntry{At: c.now(), Actor: actor, Action: action, Subject: subject, Detail: string(buf)}, core.AccessSubjects(actor, ids))
}

// accessOf lists the entries about id or including id, newest first.
func (c *Console) accessOf(ctx context.Context, id string) ([]core.AuditEntry, error) {
	if acc, ok := c.store.(core.AccessStore); ok {
		return acc.FindAccess(ctx, id, 1000)
	}
	return c.store.FindAudit(ctx, core.AuditFilter{Subject: id, Limit: 1000})
}

// accessTexts names what an access looked at.
var accessTexts = map[string]map[string]string{
	"zh": {
		"today": "查看了今日考勤列表", "exceptions": "查看了异常列表", "plot": "查看了打卡地图", "person": "查看了你的个人数据页",
		"reports": "查看了月度报表", "makeups": "查看了补卡申请列表", "devices": "查看了你绑定的设备", "export": "导出了包含你的数据的文件",
		"people":          "（共 %d 人）",
		"intro_self":      "这是 punchbot 保存的关于你的全部数据。精确位置保存 %d 天，之后只保留打卡地点和距离范围。下方列出每一次查看或导出你的数据的记录。",
		"intro_other":     "这是 punchbot 保存的关于 %s 的全部数据。你的这次查看已被记录，%s 可以在“我的数据”中看到。精确位置保存 %d 天。",
		"device.enrolled": "绑定了一台设备", "device.revoked": "撤销了一台绑定设备", "link.issued": "签发了登录链接",
		"console.signed_in": "登录了控制台",
		"api:punches":       "通过管理接口读取了打卡记录", "api:makeups": "通过管理接口读取了补卡和请假申请",
		"api:employees": "通过管理接口读取了员工名单（姓名、部门和聊天账号）",
	},
	"en": {
		"today": "viewed today's attendance list", "exceptions": "viewed the exceptions list", "plot": "viewed the punch map", "person": "viewed your data page",
		"reports": "viewed the monthly report", "makeups": "viewed the make-up requests", "devices": "viewed your bound devices", "export": "exported a file containing your data",
		"people":          " (%d people)",
		"intro_self":      "This is everything punchbot stores about you. Precise positions are kept for %d days; after that only the site and a distance band remain. Below is every view or export of your data.",
		"intro_other":     "This is everything punchbot stores about %s. Your view is recorded, and %s can see it under “my data”. Precise positions are kept for %d days.",
		"device.enrolled": "bound a device", "device.revoked": "revoked a bound device", "link.issued": "issued a sign-in link",
		"console.signed_in": "signed in to the console",
		"api:punches":       "read punches through the admin API", "api:makeups": "read requests through the admin API",
		"api:employees": "read the employee list (names, departments and chat accounts) through the admin API",
	},
}

func accessText(lang, key string) string { return accessTexts[pageLang(lang)][key] }

// AccessText says in the reader's language what one entry of employeeID's
// access log was: what was looked at, for how many people, and the period
// or object when the entry names one.
func (p *page) AccessText(a core.AuditEntry, employeeID string) string {
	acc := core.AccessOf(a, employeeID)
	text := accessText(p.Lang, acc.What)
	if text == "" {
		return a.Action
	}
	if acc.People > 1 {
		text += fmt.Sprintf(accessText(p.Lang, "people"), acc.People)
	}
	if acc.Object != "" && acc.What != "person" {
		text += " · " + acc.Object
	}
	return text
}

// Intro is the data page's first sentence: "about you" only for the
// person themselves; anyone else reads whose data it is and that their
// view is recorded.
func (p *page) Intro(d personData) string {
	if d.Self {
		return fmt.Sprintf(accessText(p.Lang, "intro_self"), d.Retention)
	}
	name := p.Name(d.Employee.ID)
	return fmt.Sprintf(accessText(p.Lang, "intro_other"), name, name, d.Retention)
}

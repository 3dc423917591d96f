package bots

import (
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// LinkPurpose maps the admin (管理) and mydata (我的数据) verbs to the link
// the core signs for them; ok is false for any other intent.
func LinkPurpose(in Intent) (purpose string, ok bool) {
	switch in.Verb {
	case VerbAdmin:
		return core.LinkConsole, true
	case VerbMyData:
		return core.LinkMyData, true
	case VerbDevice:
		return core.LinkDevice, true
	}
	return "", false
}

// LinkCommand turns an intent into a link command when it is one, so each
// bot routes the verbs with one call: cmd.Kind and cmd.LinkPurpose are set
// and ok is true.
func LinkCommand(in Intent, cmd *core.Command) (ok bool) {
	purpose, ok := LinkPurpose(in)
	if ok {
		cmd.Kind, cmd.LinkPurpose = core.CmdLink, purpose
	}
	return ok
}

// LinkLead is the sentence before a signed link: where it leads and how
// long it works.
func LinkLead(r core.Reply, lang string) string {
	mins := int(r.LinkExpires.Sub(r.At).Round(time.Minute) / time.Minute)
	if r.LinkExpires.IsZero() || r.At.IsZero() || mins <= 0 {
		mins = 10
	}
	if r.LinkPurpose == core.LinkMyData {
		return pick(lang, "🔒 你的个人数据（打卡记录、补卡、谁查看过你的数据）及导出：链接仅限本人使用，"+strconv.Itoa(mins)+" 分钟内有效，只能打开一次。",
			"🔒 Everything punchbot stores about you (punches, make-ups, who looked at your data), with an export. The link is for you only, works once and expires in "+strconv.Itoa(mins)+" minutes.")
	}
	if r.LinkPurpose == core.LinkDevice {
		return pick(lang, "📱 在这台手机上绑定通行密钥（指纹、面容或锁屏密码），之后用浏览器打卡时验证是你本人：链接仅限本人使用，"+strconv.Itoa(mins)+" 分钟内有效，只能使用一次。",
			"📱 Bind a passkey on this phone (fingerprint, face or screen lock) so browser punches can prove they are yours. The link is for you only, works once and expires in "+strconv.Itoa(mins)+" minutes.")
	}
	return pick(lang, "🔐 登录考勤管理控制台：链接仅限本人使用，"+strconv.Itoa(mins)+" 分钟内有效，只能打开一次。",
		"🔐 Sign in to the attendance console. The link is for you only, works once and expires in "+strconv.Itoa(mins)+" minutes.")
}

// LinkText is a link reply as plain text: the lead and the URL on its own
// line, which every chat client turns into a tappable link.
func LinkText(r core.Reply, lang string) string {
	return strings.TrimSpace(LinkLead(r, lang) + "\n" + r.Link)
}

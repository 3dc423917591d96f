// Package bots holds what every chat bot shares: the command grammar in
// Chinese and English, the message catalogue that renders core replies in
// the user's language, and the consumer-side interface to the core.
package bots

import (
	"context"
	"strings"
	"unicode"

	"github.com/punchbot/punchbot/core"
)

// Core is what a bot needs from the verification core.
type Core interface {
	Handle(ctx context.Context, cmd core.Command) (core.Reply, error)
}

// Intent is a parsed chat command.
type Intent struct {
	Kind  core.CommandKind // CmdPunch, CmdStatus, CmdHelp; "" when not understood
	Punch core.PunchKind   // for CmdPunch: in, out or auto
	// Verb is the word after the command for the commands other issues add
	// ("makeup", "admin", "mydata"); Args is the rest of the text.
	Verb string
	Args string
	Lang string // "zh" when the text is Chinese, otherwise "en"
}

// Verbs beyond punching that the grammar recognises, so each bot can route
// them when the feature exists.
const (
	VerbMakeup = "makeup"
	VerbAdmin  = "admin"
	VerbMyData = "mydata"
)

// words maps every accepted spelling to its meaning. Keys are lower-case
// with inner spaces collapsed.
var words = map[string]Intent{
	"上班": {Kind: core.CmdPunch, Punch: core.KindIn}, "上班打卡": {Kind: core.CmdPunch, Punch: core.KindIn},
	"签到": {Kind: core.CmdPunch, Punch: core.KindIn}, "in": {Kind: core.CmdPunch, Punch: core.KindIn},
	"clock in": {Kind: core.CmdPunch, Punch: core.KindIn}, "punch in": {Kind: core.CmdPunch, Punch: core.KindIn},
	"check in": {Kind: core.CmdPunch, Punch: core.KindIn}, "checkin": {Kind: core.CmdPunch, Punch: core.KindIn},
	"下班": {Kind: core.CmdPunch, Punch: core.KindOut}, "下班打卡": {Kind: core.CmdPunch, Punch: core.KindOut},
	"签退": {Kind: core.CmdPunch, Punch: core.KindOut}, "out": {Kind: core.CmdPunch, Punch: core.KindOut},
	"clock out": {Kind: core.CmdPunch, Punch: core.KindOut}, "punch out": {Kind: core.CmdPunch, Punch: core.KindOut},
	"check out": {Kind: core.CmdPunch, Punch: core.KindOut}, "checkout": {Kind: core.CmdPunch, Punch: core.KindOut},
	"打卡": {Kind: core.CmdPunch}, "punch": {Kind: core.CmdPunch}, "clock": {Kind: core.CmdPunch},
	"状态": {Kind: core.CmdStatus}, "查询": {Kind: core.CmdStatus}, "今天": {Kind: core.CmdStatus},
	"status": {Kind: core.CmdStatus}, "today": {Kind: core.CmdStatus},
	"帮助": {Kind: core.CmdHelp}, "help": {Kind: core.CmdHelp}, "?": {Kind: core.CmdHelp}, "？": {Kind: core.CmdHelp},
	"补卡": {Verb: VerbMakeup}, "makeup": {Verb: VerbMakeup}, "make-up": {Verb: VerbMakeup},
	"管理": {Verb: VerbAdmin}, "admin": {Verb: VerbAdmin},
	"我的数据": {Verb: VerbMyData}, "mydata": {Verb: VerbMyData}, "my data": {Verb: VerbMyData},
}

// Parse reads a chat message. It ignores a leading slash command ("/punch")
// and @-mentions, trailing punctuation and case, and accepts a multi-word
// command followed by arguments ("makeup 2026-11-25 09:00 in subway").
func Parse(text string) Intent {
	lang := DetectLang(text)
	fields := strings.Fields(text)
	for len(fields) > 0 && (strings.HasPrefix(fields[0], "@") || strings.HasPrefix(fields[0], "/") || strings.HasPrefix(fields[0], "<@")) {
		fields = fields[1:]
	}
	for i := range fields {
		fields[i] = strings.TrimRightFunc(fields[i], func(r rune) bool {
			return r == '!' || r == '！' || r == '。' || r == '.' || r == ','
		})
	}
	for n := min(2, len(fields)); n >= 1; n-- {
		key := strings.ToLower(strings.Join(fields[:n], " "))
		if in, ok := words[key]; ok {
			in.Args = strings.Join(fields[n:], " ")
			in.Lang = lang
			if in.Verb == "" && in.Args != "" && in.Kind == core.CmdPunch {
				// "in please" is still in; "打卡 取消" is not a punch.
				if _, other := words[strings.ToLower(fields[n])]; other {
					return Intent{Lang: lang}
				}
			}
			return in
		}
	}
	// Chinese users often type the command glued to more text: "上班打卡了".
	if len(fields) == 1 {
		for _, key := range []string{"上班打卡", "下班打卡", "上班", "下班", "补卡", "打卡"} {
			if strings.HasPrefix(fields[0], key) {
				in := words[key]
				in.Args = strings.TrimPrefix(fields[0], key)
				in.Lang = lang
				return in
			}
		}
	}
	return Intent{Lang: lang}
}

// DetectLang returns "zh" when the text contains Han characters.
func DetectLang(text string) string {
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			return "zh"
		}
	}
	return "en"
}

// LinkRequest asks for a signed one-time link to the location page, bound
// to one person and one intent.
type LinkRequest struct {
	Actor  core.Identity  // who will punch (their chat identity)
	Name   string         // shown on the page
	Lang   string         // page language
	Intent core.PunchKind // in, out or auto
	// ReplyPlatform and ReplyRoute address the chat message that carried the
	// link, so the result can update it.
	ReplyPlatform core.Platform
	ReplyRoute    string
}

// LinkIssuer issues location-page links; bots/web implements it and
// cmd/punchbot hands it to the bots that need one (Slack).
type LinkIssuer interface {
	PunchLink(ctx context.Context, req LinkRequest) (string, error)
}

// Package bots holds what every chat bot shares: the command grammar in
// Chinese and English, the message catalogue that renders core replies in
// the user's language, and the consumer-side interface to the core.
package bots

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/punchbot/punchbot/core"
)

// Core is what a bot needs from the verification core.
type Core interface {
	Handle(ctx context.Context, cmd core.Command) (core.Reply, error)
}

// Intent is a parsed chat command.
type Intent struct {
	// Kind is CmdPunch, CmdStatus, CmdHistory, CmdHelp, CmdConfirm,
	// CmdDecline or CmdLeave; "" when not understood (or for a verb other
	// commands own).
	Kind  core.CommandKind
	Punch core.PunchKind // for CmdPunch: in, out or auto
	// Verb is the word after the command for the commands that take
	// arguments ("makeup", "admin", "mydata", and for CmdLeave "leave",
	// "trip" or "outing"); Args is the rest of the text.
	Verb string
	Args string
	Lang string // "zh" when the text is Chinese, otherwise "en"
	// Garbled is set for text with NUL or other control characters or
	// broken UTF-8 (core.TextProblem): no command at all, however much of
	// one it spells, since no person typed it as it arrived.
	Garbled bool
}

// Verbs beyond punching that the grammar recognises, so each bot can route
// them when the feature exists.
const (
	VerbMakeup = "makeup"
	VerbAdmin  = "admin"
	VerbMyData = "mydata"
	// VerbDevice asks for a link that binds this phone's passkey.
	VerbDevice = "device"
	// VerbLeave, VerbTrip and VerbOuting come with Kind CmdLeave; ParseLeave
	// reads their arguments.
	VerbLeave  = "leave"
	VerbTrip   = "trip"
	VerbOuting = "outing"
	// VerbOvertime (加班) comes with Kind CmdLeave too (overtime.go).
	VerbOvertime = "overtime"
)

// decisionWords start a decision on a request by its number.
var decisionWords = []string{"同意", "批准", "驳回", "拒绝", "approve", "reject", "deny"}

var (
	punchIn   = Intent{Kind: core.CmdPunch, Punch: core.KindIn}
	punchOut  = Intent{Kind: core.CmdPunch, Punch: core.KindOut}
	punchAuto = Intent{Kind: core.CmdPunch}
	status    = Intent{Kind: core.CmdStatus}
	history   = Intent{Kind: core.CmdHistory}
	help      = Intent{Kind: core.CmdHelp}
	confirm   = Intent{Kind: core.CmdConfirm}
	decline   = Intent{Kind: core.CmdDecline}
)

// words maps every accepted spelling to its meaning. Keys are lower-case
// with inner spaces collapsed, after full-width forms are folded.
var words = map[string]Intent{
	"上班": punchIn, "上班打卡": punchIn, "打卡上班": punchIn, "签到": punchIn, "上班签到": punchIn, "上班卡": punchIn,
	"in": punchIn, "clock in": punchIn, "clock-in": punchIn, "clockin": punchIn, "punch in": punchIn, "punch-in": punchIn,
	"check in": punchIn, "check-in": punchIn, "checkin": punchIn, "sign in": punchIn,
	"下班": punchOut, "下班打卡": punchOut, "打卡下班": punchOut, "签退": punchOut, "下班签退": punchOut, "下班卡": punchOut,
	"out": punchOut, "clock out": punchOut, "clock-out": punchOut, "clockout": punchOut, "punch out": punchOut, "punch-out": punchOut,
	"check out": punchOut, "check-out": punchOut, "checkout": punchOut, "sign out": punchOut,
	"打卡": punchAuto, "打个卡": punchAuto, "punch": punchAuto, "clock": punchAuto,
	"状态": status, "查询": status, "今天": status, "今日": status, "我的打卡": status, "考勤": status,
	"status": status, "today": status, "my day": status,
	// The last seven days (core.HistoryDays), as a personal weekly report.
	"记录": history, "打卡记录": history, "考勤记录": history, "历史": history, "历史记录": history, "本周": history, "这周": history,
	"本周记录": history, "这周记录": history, "最近": history, "最近记录": history, "周报": history,
	"我的记录": history, "查看记录": history, "查记录": history,
	"history": history, "records": history, "my records": history, "this week": history, "week": history, "my week": history,
	"recent": history, "last 7 days": history, "my history": history, "show history": history, "show my history": history,
	"status 状态": status, "my status": status, "show status": status, "show my status": status, "what's my status": status,
	"帮助": help, "help": help, "?": help, "菜单": help, "命令": help, "menu": help, "commands": help,
	// A greeting is a first contact: the answer is the commands.
	"你好": help, "您好": help, "嗨": help, "哈喽": help, "在吗": help, "在": help, "早": help, "早上好": help, "早安": help,
	"上午好": help, "中午好": help, "下午好": help, "晚上好": help,
	"hi": help, "hello": help, "hey": help, "hi there": help, "hello there": help, "morning": help, "good morning": help,
	"good afternoon": help, "good evening": help,
	"确认": confirm, "确定": confirm, "确认下班": confirm, "确认打卡": confirm, "是": confirm, "是的": confirm, "好": confirm, "好的": confirm,
	"confirm": confirm, "yes": confirm, "y": confirm, "ok": confirm, "okay": confirm,
	"取消": decline, "取消打卡": decline, "取消下班": decline, "不": decline, "否": decline, "算了": decline, "不用了": decline,
	"cancel": decline, "no": decline, "n": decline, "nope": decline,
	"补卡": {Verb: VerbMakeup}, "makeup": {Verb: VerbMakeup}, "make-up": {Verb: VerbMakeup}, "make up": {Verb: VerbMakeup},
	"管理": {Verb: VerbAdmin}, "admin": {Verb: VerbAdmin},
	"我的数据": {Verb: VerbMyData}, "mydata": {Verb: VerbMyData}, "my data": {Verb: VerbMyData},
	"绑定设备": {Verb: VerbDevice}, "设备绑定": {Verb: VerbDevice}, "bind device": {Verb: VerbDevice}, "bind-device": {Verb: VerbDevice},
	"请假": {Kind: core.CmdLeave, Verb: VerbLeave}, "休假": {Kind: core.CmdLeave, Verb: VerbLeave}, "leave": {Kind: core.CmdLeave, Verb: VerbLeave},
	"出差": {Kind: core.CmdLeave, Verb: VerbTrip}, "trip": {Kind: core.CmdLeave, Verb: VerbTrip}, "business trip": {Kind: core.CmdLeave, Verb: VerbTrip},
	"外出": {Kind: core.CmdLeave, Verb: VerbOuting}, "outing": {Kind: core.CmdLeave, Verb: VerbOuting},
	"加班": {Kind: core.CmdLeave, Verb: VerbOvertime}, "申请加班": {Kind: core.CmdLeave, Verb: VerbOvertime}, "overtime": {Kind: core.CmdLeave, Verb: VerbOvertime},
}

// takesArgs reports whether an intent reads the words after it (make-up,
// leave, links) rather than being a whole message.
func (in Intent) takesArgs() bool { return in.Verb != "" }

// Parse reads a chat message. It folds full-width letters, digits and
// spaces ("ＯＫ", "上班　打卡"), drops a leading slash command ("/punch"),
// @-mentions anywhere (Slack "<@U123>", Feishu "@_user_1", WeCom "@name"),
// punctuation around words and case, and accepts a multi-word command
// followed by arguments ("makeup 2026-11-25 09:00 in subway"). A question
// about one's punches ("上班了吗", "did I clock in?") is the status; a
// negation ("不打卡", "没上班", "don't clock in") is no command at all.
func Parse(text string) Intent {
	if core.TextProblem(text) != "" {
		return Intent{Lang: DetectLang(core.CleanText(text)), Garbled: true}
	}
	fields, question := normalize(text)
	lang := DetectLang(strings.Join(fields, " "))
	if len(fields) == 0 {
		if question {
			return Intent{Kind: core.CmdHelp, Lang: lang}
		}
		return Intent{Lang: lang}
	}
	lower := make([]string, len(fields))
	for i, f := range fields {
		lower[i] = strings.ToLower(f)
	}
	if in, ok := afterGreeting(fields, lower); ok {
		return in // "你好 上班", "你好，上班", "hi, in"
	}
	// "同意 12", "驳回 12 理由", "approve 12", "撤销 12 理由": a decision
	// on any request (make-up, field punch, leave), as after 补卡.
	if len(fields) >= 2 && (oneOf(lower[0], decisionWords) || oneOf(lower[0], makeupRevokeWords)) {
		// "同意 12、13", "驳回 12,13 理由": several at once (makeup_batch.go).
		first, _, _ := strings.Cut(strings.NewReplacer("，", "、", ",", "、").Replace(fields[1]), "、")
		if _, ok := requestID(first); ok {
			return Intent{Verb: VerbMakeup, Args: strings.Join(fields, " "), Lang: lang}
		}
	}
	if len(fields) == 1 && oneOf(strings.TrimRight(lower[0], "?？"), decisionWords) {
		// "驳回", "approve" alone: a decision without its number. The
		// request engine lists the approver's pending requests with the
		// exact commands ("同意 12", "驳回 12 理由"), or says there are
		// none, rather than "not understood" and the whole help.
		return Intent{Verb: VerbMakeup, Args: strings.TrimRight(fields[0], "?？"), Lang: lang}
	}
	if isBatchAll(lower) {
		// "全部同意", "同意全部", "approve all", "全部驳回 理由": the list
		// of pending requests to confirm (makeup_batch.go).
		return Intent{Verb: VerbMakeup, Args: strings.Join(fields, " "), Lang: lang}
	}
	// Commands with arguments first: their arguments may contain anything
	// ("补卡 11-25 09:00 上班 忘了吗" is a make-up).
	for n := min(2, len(fields)); n >= 1; n-- {
		if in, ok := words[strings.Join(lower[:n], " ")]; ok && in.takesArgs() {
			in.Args, in.Lang = strings.Join(fields[n:], " "), lang
			if in.Kind == core.CmdLeave && n < len(fields) && (oneOf(lower[n], makeupCancelWords) || oneOf(lower[n], decisionWords) || oneOf(lower[n], makeupRevokeWords)) {
				// "请假 取消 12", "trip approve 12", "leave revoke 12 reason":
				// the request engine's commands, as after 补卡.
				return Intent{Verb: VerbMakeup, Args: in.Args, Lang: lang}
			}
			return in
		}
	}
	if len(fields) == 1 {
		for _, key := range []string{"补卡", "请假", "出差", "外出", "加班"} {
			if rest, ok := strings.CutPrefix(fields[0], key); ok && rest != "" && !isQuestion(rest) {
				in := words[key]
				in.Args, in.Lang = rest, lang
				return in
			}
		}
	}
	flat := strings.Join(lower, "")
	phrase := strings.Join(lower, " ")
	for _, key := range []string{phrase, flat} {
		if in, ok := words[key]; ok && (!question || in.Kind == core.CmdHelp || in.Kind == core.CmdStatus || in.Kind == core.CmdHistory) {
			in.Lang = lang
			return in
		}
	}
	if in, ok := answer(lower); ok && !question {
		// "确认 下班", "confirm clock-out", "cancel punch".
		in.Lang = lang
		return in
	}
	switch {
	case asksState(flat, lower, question):
		return Intent{Kind: core.CmdStatus, Lang: lang}
	case negated(flat, lower):
		return Intent{Lang: lang}
	}
	if question {
		return Intent{Lang: lang}
	}
	if in, ok := englishCommand(lower); ok {
		in.Lang = lang
		return in
	}
	for n := min(2, len(fields)); n >= 1; n-- {
		in, ok := words[strings.Join(lower[:n], " ")]
		if !ok || in.Kind != core.CmdPunch || n == len(fields) {
			continue
		}
		next := lower[n]
		if m, used, ok := punchAgain(in, lower[n:]); ok {
			// "打卡 in", "下班 out", "in 上班", "clock in 上班": the same
			// punch said twice, in two languages or two words.
			m.Args, m.Lang = strings.Join(fields[n+used:], " "), lang
			return m
		}
		if other, known := words[next]; known {
			if other.Kind == core.CmdDecline {
				// "打卡 取消", "clock out cancel": not a punch, the waiting one is dropped.
				return Intent{Kind: core.CmdDecline, Lang: lang}
			}
			return Intent{Lang: lang}
		}
		// "in please" is still in.
		in.Args, in.Lang = strings.Join(fields[n:], " "), lang
		return in
	}
	if in, ok := chineseCommand(flat); ok {
		in.Lang = lang
		return in
	}
	return Intent{Lang: lang}
}

// punchAgain reads a punch word (of one or two words) at the start of rest
// that agrees with punch in: the same direction, or one of the two decided
// by the time ("打卡 in" is in). It returns the punch, the words it used,
// and false when rest does not start with an agreeing punch word ("上班
// out" is no command).
func punchAgain(in Intent, rest []string) (Intent, int, bool) {
	for n := min(2, len(rest)); n >= 1; n-- {
		other, ok := words[strings.Join(rest[:n], " ")]
		if !ok || other.Kind != core.CmdPunch {
			continue
		}
		switch {
		case other.Punch == in.Punch, other.Punch == "":
			return in, n, true
		case in.Punch == "":
			return other, n, true
		}
		return Intent{}, 0, false
	}
	return Intent{}, 0, false
}

// greetings open a message without changing what it asks: "你好，上班",
// "hi, in". Alone, a greeting is a first contact (words: help).
var greetings = []string{"你好", "您好", "嗨", "哈喽", "早", "早上好", "早安", "上午好", "中午好", "下午好", "晚上好", "hi", "hello", "hey", "morning"}

// afterGreeting reads the command after a greeting that opens a message,
// as its own word or glued to the first one with or without punctuation
// ("你好，上班" is one word to strings.Fields). ok is false when there is
// no greeting or no command after it.
func afterGreeting(fields, lower []string) (Intent, bool) {
	for _, g := range greetings {
		rest, found := strings.CutPrefix(lower[0], g)
		if !found || (rest == "" && len(fields) == 1) {
			continue
		}
		if rest != "" {
			r, _ := utf8.DecodeRuneInString(rest)
			if !unicode.IsPunct(r) && !unicode.Is(unicode.Han, r) {
				continue // "hint", "history": not a greeting
			}
			if len(lower[0]) == len(fields[0]) {
				rest = fields[0][len(fields[0])-len(rest):] // the original case, for arguments
			}
			rest = strings.TrimLeftFunc(rest, unicode.IsPunct)
		}
		text := strings.TrimSpace(rest + " " + strings.Join(fields[1:], " "))
		if in := Parse(text); text != "" && (in.Kind != "" || in.Verb != "") {
			return in, true
		}
	}
	return Intent{}, false
}

// answer reads a confirmation or a refusal followed by what it is about:
// "确认 下班", "confirm clock out", "cancel punch".
func answer(lower []string) (Intent, bool) {
	in, ok := words[lower[0]]
	if !ok || (in.Kind != core.CmdConfirm && in.Kind != core.CmdDecline) || len(lower) == 1 {
		return Intent{}, false
	}
	rest, ok := words[strings.Join(lower[1:], " ")]
	if !ok {
		rest, ok = words[strings.Join(lower[1:], "")]
	}
	if !ok || rest.Kind != core.CmdPunch {
		return Intent{}, false
	}
	return in, true
}

// normalize splits text into words: full-width forms folded to ASCII,
// mentions and a leading slash command removed, punctuation trimmed from
// each word. question reports a question mark anywhere.
func normalize(text string) (fields []string, question bool) {
	text = strings.Map(func(r rune) rune {
		switch {
		case r == '\u3000':
			return ' '
		case r >= '！' && r <= '～':
			return r - 0xFEE0
		}
		return r
	}, text)
	text = slackMention.ReplaceAllString(text, " ")
	text = feishuMention.ReplaceAllString(text, " ")
	question = strings.ContainsAny(text, "?")
	for i, f := range strings.Fields(text) {
		if strings.HasPrefix(f, "@") || (i == 0 && strings.HasPrefix(f, "/")) {
			continue
		}
		f = strings.TrimFunc(f, func(r rune) bool {
			return r != '-' && r != '#' && (unicode.IsPunct(r) || unicode.IsSymbol(r)) && r != '_'
		})
		if f != "" {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 && question {
		return nil, true
	}
	return fields, question
}

var (
	// slackMention is <@U123>, <@U123|name>, <!here>, <!subteam^S1>.
	slackMention = regexp.MustCompile(`<[@!][^>]*>`)
	// feishuMention is the placeholder Feishu puts in text for an @:
	// @_user_1, @_all.
	feishuMention = regexp.MustCompile(`@_(user_\d+|all)`)
)

// punchWords are what a question or a negation must be about.
var punchWords = []string{"上班", "下班", "打卡", "签到", "签退", "考勤"}

var enPunchWords = []string{"clock", "clocked", "punch", "punched", "check", "checked", "in", "out", "sign", "signed", "shift"}

func mentionsPunch(flat string, lower []string) bool {
	for _, w := range punchWords {
		if strings.Contains(flat, w) {
			return true
		}
	}
	for _, f := range lower {
		if slices.Contains(enPunchWords, f) {
			return true
		}
	}
	return false
}

// isQuestion reports a Chinese question ending or form: 上班了吗, 打卡了没,
// 打卡了没有, 有没有打卡, 是不是忘了打卡.
func isQuestion(flat string) bool {
	for _, end := range []string{"吗", "么", "嘛", "没", "没有", "未", "了没", "呢"} {
		if strings.HasSuffix(flat, end) {
			return true
		}
	}
	for _, in := range []string{"有没有", "是不是", "是否", "了没", "成功没", "几点"} {
		if strings.Contains(flat, in) {
			return true
		}
	}
	return false
}

// asksState reports a question about one's own punches: "上班了吗",
// "我打卡了没", "did I clock in", "have I punched out?", "am I in".
func asksState(flat string, lower []string, question bool) bool {
	if !mentionsPunch(flat, lower) {
		return false
	}
	if question || isQuestion(flat) {
		return true
	}
	switch lower[0] {
	case "did", "have", "has", "am", "was", "were", "is", "are", "do", "does", "when", "what":
		return true
	}
	return false
}

// negated reports a negated punch: 不打卡, 没上班, 还没打卡, 不用打卡,
// "don't clock in", "not in today".
func negated(flat string, lower []string) bool {
	for _, w := range punchWords {
		i := strings.Index(flat, w)
		if i < 0 {
			continue
		}
		before := []rune(flat[:i])
		before = before[max(0, len(before)-3):]
		if strings.ContainsAny(string(before), "不没别未勿") {
			return true
		}
	}
	if !mentionsPunch(flat, lower) {
		return false
	}
	for _, f := range lower {
		switch f {
		case "not", "don't", "don’t", "dont", "didn't", "didnt", "never", "no", "won't", "wont", "cannot", "can't":
			return true
		}
	}
	return false
}

// chineseCommand reads a command glued to filler: "上班打卡了", "我要下班",
// "帮我打个卡", "下班啦".
func chineseCommand(flat string) (Intent, bool) {
	s := flat
	for _, p := range []string{"我要", "我想", "帮我", "给我", "请帮我", "请", "我", "现在", "今天", "查看", "看看", "看一下", "查一下", "查", "的"} {
		s = strings.TrimPrefix(s, p)
	}
	for _, e := range []string{"一下", "了", "啦", "咯", "喽", "吧", "去", "成功"} {
		s = strings.TrimSuffix(s, e)
	}
	if in, ok := words[s]; ok && !in.takesArgs() {
		return in, true
	}
	for _, key := range []string{"上班打卡", "下班打卡", "上班", "下班", "打卡"} {
		if strings.HasPrefix(s, key) {
			return words[key], true
		}
	}
	return Intent{}, false
}

// englishCommand reads "please clock in", "clock me in", "i'm clocking out".
func englishCommand(lower []string) (Intent, bool) {
	var kept []string
	for _, f := range lower {
		switch f {
		case "please", "pls", "me", "i", "i'm", "im", "now", "just", "for", "today", "again":
			continue
		case "clocking", "punching", "checking", "signing":
			f = strings.TrimSuffix(f, "ing")
		}
		kept = append(kept, f)
	}
	if len(kept) == 0 || len(kept) == len(lower) {
		return Intent{}, false
	}
	in, ok := words[strings.Join(kept, " ")]
	if !ok || in.takesArgs() {
		return Intent{}, false
	}
	return in, true
}

// NotUnderstood reports whether text is no command at all: not a punch,
// status, help or any verb the grammar knows. Empty text is not counted:
// there is nothing to quote back.
func NotUnderstood(text string) bool {
	if strings.TrimSpace(text) == "" {
		return false
	}
	if Garbled(text) { // render.go; a quote of garbled text too
		return true
	}
	in := Parse(text)
	return in.Kind == "" && in.Verb == ""
}

// Suggest returns the command text is one slip away from ("上斑" → "上班",
// "stauts" → "status", "clokc in" → "clock in"): one character wrong,
// missing, extra, or two neighbours swapped. Keys shorter than three
// letters ("in", "ok", "y") or two Han characters are left out, being one
// slip from too much. "" when there is no single closest command.
func Suggest(text string) string {
	fields, _ := normalize(text)
	if len(fields) == 0 {
		return ""
	}
	s := []rune(strings.ToLower(strings.Join(fields, " ")))
	if len(s) < 2 || len(s) > 20 {
		return ""
	}
	var best string
	for key := range words {
		k := []rune(key)
		if len(k) < 2 || (len(k) < 3 && !unicode.Is(unicode.Han, k[0])) || osaDistance(s, k) != 1 {
			continue
		}
		switch {
		case best == "":
			best = key
		case words[key] != words[best]:
			return "" // one slip from two different commands: no guess
		case better(key, best, len(fields)):
			best = key // the same command: the spelling closest in shape, whatever the map's order
		}
	}
	return best
}

// better orders two spellings of one command for Suggest: the one with as
// many words as the message ("cloc out" → "clock out", not "clockout"),
// then the shorter, then the first in byte order.
func better(a, b string, words int) bool {
	wa, wb := strings.Count(a, " ")+1 == words, strings.Count(b, " ")+1 == words
	switch {
	case wa != wb:
		return wa
	case len(a) != len(b):
		return len(a) < len(b)
	}
	return a < b
}

// osaDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of neighbours.
func osaDistance(a, b []rune) int {
	if d := len(a) - len(b); d > 1 || d < -1 {
		return 2 // more than one slip apart; the exact figure is not needed
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
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

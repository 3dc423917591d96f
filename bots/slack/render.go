package slack

import (
	slackapi "github.com/slack-go/slack"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Action ids of the buttons this bot puts in messages.
const (
	// ActionOpenLocation is the URL button to the location page. Slack still
	// reports its click as block_actions; the page does the work.
	ActionOpenLocation = "open_location"
	ActionPunchIn      = "punch_in"
	ActionPunchOut     = "punch_out"
	ActionStatus       = "punch_status"
)

func pick(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

func plain(text string) *slackapi.TextBlockObject {
	// plain_text, so names and reasons can never be read as mrkdwn links or
	// mentions.
	return slackapi.NewTextBlockObject(slackapi.PlainTextType, text, true, false)
}

// section is a plain-text section block. Its text is cut to Slack's limit,
// "Maximum length for the text in this field is 3000 characters"
// (https://docs.slack.dev/reference/block-kit/blocks/section-block,
// formerly api.slack.com/reference/block-kit/blocks#section; maxSectionText
// in notice.go): past it Slack refuses the whole message as invalid_blocks,
// so a reply quoting a long message (notUnderstood) would never arrive. The
// message's own text, which Slack takes up to 40,000 characters, keeps the
// whole of it.
func section(text string) slackapi.Block {
	return slackapi.NewSectionBlock(plain(fitSection(text)), nil, nil)
}

// fitSection cuts text to maxSectionText characters (runes, as Slack
// counts them), at the last line break when one is near the end, and
// marks the cut with an ellipsis.
func fitSection(text string) string {
	if sectionFits(text) {
		return text
	}
	runes := []rune(text)
	cut := runes[:maxSectionText-1] // room for the ellipsis
	if i := lastIndexRune(cut, '\n'); i >= maxSectionText-500 {
		cut = cut[:i]
	}
	return string(cut) + "…"
}

func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

// rendered is a message: the notification text and the blocks shown.
type rendered struct {
	Text   string
	Blocks []slackapi.Block
}

// replyMessage renders a core reply that needs no link.
func replyMessage(r core.Reply, lang string) rendered {
	lang = bots.Lang(r, lang)
	if r.Outcome == core.OutcomeLink {
		return signInMessage(r, lang)
	}
	text := bots.Headline(r, lang)
	m := rendered{Text: text, Blocks: []slackapi.Block{section(text)}}
	if r.Outcome == core.OutcomeHelp {
		m.Blocks = append(m.Blocks, slackHint(lang), actionButtons(lang))
	}
	return withBatchButton(m, r, lang) // batch.go
}

// slackHint says how the shared commands are typed in Slack, which has no
// location message: the bot answers a punch with a link instead.
func slackHint(lang string) slackapi.Block {
	return slackapi.NewContextBlock("", plain(pick(lang,
		"在 Slack 中：/punch 上班、/punch 下班、/punch 状态，或直接私信我；打卡时我会给你一个获取位置的链接。",
		"In Slack: /punch in, /punch out, /punch status, or send me a direct message; for a punch I reply with a link that reads your location.")))
}

// notUnderstood is the help text for a command the grammar did not know, or
// knows (make-up, admin) but this bot does not offer.
func notUnderstood(in bots.Intent, text string) rendered {
	lang := in.Lang
	head := bots.NotUnderstoodText(text, lang) // the notification's text points to help too
	if in.Verb != "" {
		head = pick(lang, "“"+text+"”在 Slack 中暂不可用。", "“"+text+"” is not available in Slack yet.")
	}
	if in.Garbled {
		return rendered{Text: head, Blocks: []slackapi.Block{section(head)}} // the fix is to type it again
	}
	help := bots.HelpText(lang)
	return rendered{Text: head, Blocks: []slackapi.Block{section(head + "\n" + help), slackHint(lang), actionButtons(lang)}}
}

// saidMessage is notUnderstood for a direct message whose reply comes
// from the outbox: the route keeps only the quote of what was said.
func saidMessage(said, lang string) rendered {
	return notUnderstood(bots.Intent{Lang: lang, Garbled: bots.Garbled(said)}, said)
}

// actionButtons let a user punch or check the day without typing.
func actionButtons(lang string) slackapi.Block {
	in := slackapi.NewButtonBlockElement(ActionPunchIn, string(core.KindIn), plain(pick(lang, "上班打卡", "Clock in"))).WithStyle(slackapi.StylePrimary)
	out := slackapi.NewButtonBlockElement(ActionPunchOut, string(core.KindOut), plain(pick(lang, "下班打卡", "Clock out")))
	st := slackapi.NewButtonBlockElement(ActionStatus, "status", plain(pick(lang, "今天的记录", "Today")))
	return slackapi.NewActionBlock("punch_actions", in, out, st)
}

func intentWord(lang string, k core.PunchKind) string {
	switch k {
	case core.KindIn:
		return pick(lang, "上班打卡", "clock-in")
	case core.KindOut:
		return pick(lang, "下班打卡", "clock-out")
	}
	return pick(lang, "打卡", "punch")
}

// linkMessage asks for the location with a button to the signed page. An
// empty url renders the same words without the button, for the moment
// between posting a DM and knowing its timestamp.
func linkMessage(lang string, k core.PunchKind, url string) rendered {
	text := pick(lang, "📍 请打开位置页面并允许获取位置，以完成"+intentWord(lang, k)+"。",
		"📍 Open the location page and allow location access to finish your "+intentWord(lang, k)+".")
	blocks := []slackapi.Block{section(text)}
	if url == "" {
		blocks = append(blocks, slackapi.NewContextBlock("", plain(pick(lang, "正在生成链接…", "Preparing your link…"))))
		return rendered{Text: text, Blocks: blocks}
	}
	btn := slackapi.NewButtonBlockElement(ActionOpenLocation, "", plain(pick(lang, "📍 发送我的位置", "📍 Share my location"))).
		WithURL(url).WithStyle(slackapi.StylePrimary)
	blocks = append(blocks, slackapi.NewActionBlock("location", btn),
		slackapi.NewContextBlock("", plain(pick(lang, "链接只给你本人用，只能用一次，几分钟后失效。", "This link is for you only, works once and expires in a few minutes."))))
	return rendered{Text: text, Blocks: blocks}
}

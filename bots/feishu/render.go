package feishu

import (
	"encoding/json"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// RenderReply turns a core reply into the message the user sees: a card for
// a punch result (coloured by outcome, with time, site and distance as
// fields), plain text for everything else. fallbackLang is the language the
// user wrote in, used when the reply names none (unknown users).
func RenderReply(r core.Reply, fallbackLang string) Message {
	lang := bots.Lang(r, fallbackLang)
	switch r.Outcome {
	case core.OutcomeAccepted, core.OutcomeField, core.OutcomeFieldPending, core.OutcomeRejected:
		return Message{MsgType: "interactive", Content: string(punchCard(r, lang))}
	}
	if m, ok := leaveFormReply(r, lang); ok {
		return m // 请假 alone: the form card (leave.go)
	}
	text := bots.Headline(r, lang)
	if r.Outcome == core.OutcomeNeedLocation {
		// Where the affordance is differs per platform; this is Feishu's.
		text += "\n" + pick(lang, "（在聊天输入框点 ＋ → 位置，发送当前位置）", "(tap + → Location in the message box to share where you are)")
	}
	return TextMessage(text)
}

// TextMessage is a plain text message.
func TextMessage(text string) Message {
	content, _ := json.Marshal(map[string]string{"text": text})
	return Message{MsgType: "text", Content: string(content)}
}

func pick(lang, zh, en string) string {
	if lang == "en" {
		return en
	}
	return zh
}

// Card is the legacy (JSON 1.0) interactive card the bot sends. Only what
// the bot uses is modelled.
type Card struct {
	Config   CardConfig    `json:"config"`
	Header   CardHeader    `json:"header"`
	Elements []CardElement `json:"elements"`
}

// CardConfig: UpdateMulti must be true on a card that is later updated with
// Client.PatchCard (the make-up approval flow updates result cards in place).
type CardConfig struct {
	WideScreenMode bool `json:"wide_screen_mode"`
	UpdateMulti    bool `json:"update_multi"`
}

// CardHeader is the coloured title bar; Template is a colour name such as
// green, orange, red, blue.
type CardHeader struct {
	Template string   `json:"template"`
	Title    CardText `json:"title"`
}

// CardText is a text object; Tag is plain_text or lark_md.
type CardText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

// CardField is one cell of a div's field grid.
type CardField struct {
	IsShort bool     `json:"is_short"`
	Text    CardText `json:"text"`
}

// CardElement is a div with text and/or fields, or an hr.
type CardElement struct {
	Tag    string      `json:"tag"`
	Text   *CardText   `json:"text,omitempty"`
	Fields []CardField `json:"fields,omitempty"`
}

// Card header colours by outcome.
const (
	colourAccepted = "green"
	colourField    = "orange"
	colourRejected = "red"
)

func punchCard(r core.Reply, lang string) []byte {
	return punchCardWith(r, lang, false)
}

// punchCardWith is punchCard, or when shared the card many people share
// during a rush (rush.go): the time and the line, without the site and the
// distance, which differ between them.
func punchCardWith(r core.Reply, lang string, shared bool) []byte {
	if shared {
		r.SiteName, r.DistanceM = "", 0 // off the headline and the fields
	}
	kind := pick(lang, "上班", "Clock-in")
	if r.Kind == core.KindOut {
		kind = pick(lang, "下班", "Clock-out")
	}
	var colour, title string
	switch r.Outcome {
	case core.OutcomeAccepted:
		colour, title = colourAccepted, pick(lang, "✅ "+kind+"打卡成功", "✅ "+kind+" recorded")
		if bots.OutOfRangeFlagged(r) {
			// Counted as an anomaly (地点异常): orange, never green.
			colour, title = colourField, pick(lang, "⚠️ "+kind+"打卡已记录（地点异常）", "⚠️ "+kind+" recorded, outside the punch area")
		}
	case core.OutcomeField:
		// Accepted: approved, or a flag-only field punch. Nothing waits.
		colour, title = colourField, pick(lang, "🟡 外勤"+kind+"打卡已记录", "🟡 Field "+lowerFirst(kind)+" recorded")
	case core.OutcomeFieldPending:
		// Submitted, not counted yet: orange like the approval cards, never green.
		colour, title = colourField, pick(lang, "🟡 外勤"+kind+"打卡 · 等待审批", "🟡 Field "+lowerFirst(kind)+" · waiting for approval")
	default:
		colour, title = colourRejected, pick(lang, "❌ "+kind+"打卡未记录", "❌ "+kind+" not recorded")
	}
	// Values are plain_text so site names from the org file can never be
	// read as markup.
	field := func(label, value string) CardField {
		return CardField{IsShort: true, Text: CardText{Tag: "plain_text", Content: label + "\n" + value}}
	}
	fields := []CardField{field(pick(lang, "时间", "Time"), bots.Clock(r, r.At))}
	if r.SiteName != "" {
		fields = append(fields, field(pick(lang, "地点", "Site"), r.SiteName))
		dist := bots.Distance(r.DistanceM)
		if (r.Outcome != core.OutcomeAccepted || bots.OutOfRangeFlagged(r)) && r.RadiusM > 0 {
			dist += pick(lang, "（允许 ", " (allowed ") + bots.Distance(r.RadiusM) + pick(lang, "）", ")")
		}
		fields = append(fields, field(pick(lang, "距离", "Distance"), dist))
	}
	card := Card{
		// batch_send messages cannot be updated, so a shared card is not
		// marked updatable.
		Config: CardConfig{WideScreenMode: true, UpdateMulti: !shared},
		Header: CardHeader{Template: colour, Title: CardText{Tag: "plain_text", Content: title}},
		Elements: []CardElement{
			{Tag: "div", Text: &CardText{Tag: "plain_text", Content: bots.Headline(r, lang)}},
			{Tag: "div", Fields: fields},
		},
	}
	buf, _ := json.Marshal(card)
	return buf
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

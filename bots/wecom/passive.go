package wecom

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Passive replies (被动回复消息): WeCom lets the answer to a callback carry
// one message for the member who sent it, encrypted into the same signed
// envelope as the callback (https://developer.work.weixin.qq.com/document/path/90241,
// "当企业后台收到推送过来的普通消息或事件消息后,可以在响应里带上被动回复消息").
// A punch answered that way costs no message/send call, whose per-app
// daily quota and per-member limits (https://developer.work.weixin.qq.com/document/path/90454,
// 发送应用消息频率) a morning rush would otherwise spend.

// passiveTextMax is the Content limit of a passive text reply: "最长不超过
// 2048个字节,超过将截断" (doc 90241). The bot cuts at a rune boundary
// itself rather than let WeCom cut a character in half.
const passiveTextMax = 2048

// passiveText is the plaintext of a passive text reply (doc 90241, 文本消息):
// ToUserName is the member's UserID, FromUserName the CorpID.
type passiveText struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content"`
}

// inlineKind reports whether a command's reply goes back as a passive
// reply: plain punches, status, history and help. Make-up and link
// commands keep their cards and links, which go through the API.
func inlineKind(k core.CommandKind) bool {
	return k == core.CmdPunch || k == core.CmdStatus || k == core.CmdHistory || k == core.CmdHelp
}

// PassiveText returns the plaintext XML of a passive text reply to user,
// sent at unix time at.
func PassiveText(corpID, user, text string, at int64) ([]byte, error) {
	if len(text) > passiveTextMax {
		cut := passiveTextMax
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	out, err := xml.Marshal(passiveText{ToUserName: cdata{user}, FromUserName: cdata{corpID}, CreateTime: at, MsgType: cdata{"text"}, Content: cdata{text}})
	if err != nil {
		return nil, fmt.Errorf("wecom: marshal passive reply: %w", err)
	}
	return out, nil
}

// passiveAnswer answers a callback with a passive text reply (doc 90241,
// 被动回复消息格式), sealed with the callback's own timestamp and nonce.
// Nothing was recorded, so a reply that cannot be sealed is logged and the
// callback acknowledged: there is nothing for a retry to redo.
func (b *Bot) passiveAnswer(w http.ResponseWriter, r *http.Request, m Message, text string) {
	plain, err := PassiveText(b.cfg.CorpID, m.FromUserName, text, b.now().Unix())
	var body []byte
	if err == nil {
		q := r.URL.Query()
		body, err = b.crypto.SealReply(plain, q.Get("timestamp"), q.Get("nonce"))
	}
	if err != nil {
		b.log.Warn("wecom: cannot seal the passive reply", "user", m.FromUserName, "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, _ = w.Write(body)
}

// passiveNotForYou answers a click on a card sent to someone else: the
// card does not say whose language the clicker reads, so in both.
func (b *Bot) passiveNotForYou(w http.ResponseWriter, r *http.Request, m Message) {
	b.passiveAnswer(w, r, m, bots.NotForYou("zh")+"\n"+bots.NotForYou("en"))
}

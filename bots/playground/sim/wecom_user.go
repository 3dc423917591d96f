package sim

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

// callbackXML is the member's message, in the field order of the
// documented samples (PLATFORMS.md §3); after follows AgentID, where the
// template_card_event sample has its SelectedItems (§3.4).
func (s *WeCom) callbackXML(user, msgType, inner, after string) string {
	return fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>`+
		`<MsgType><![CDATA[%s]]></MsgType>%s<AgentID>%s</AgentID>%s<AppType><![CDATA[wxwork]]></AppType></xml>`,
		s.cfg.CorpID, cdataEscape(user), s.hub.now().Unix(), msgType, inner, s.cfg.AgentID, after)
}

// cdataEscape keeps a "]]>" in user text from closing the CDATA section.
func cdataEscape(s string) string { return strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") }

func (s *WeCom) msgID() string { return strconv.FormatInt(s.base+s.hub.nextID(), 10) }

// Say sends a text message from user to the application.
func (s *WeCom) Say(ctx context.Context, user, text string) error {
	id := s.msgID()
	s.hub.add(core.PlatformWeCom, user, &Entry{ID: "u" + id, From: FromUser, Kind: KindText, Text: text, Via: "text message"})
	return s.deliver(ctx, user, s.callbackXML(user, "text", "<Content><![CDATA["+cdataEscape(text)+"]]></Content><MsgId>"+id+"</MsgId>", ""))
}

// Share sends a location message; WeCom reports GCJ-02 (PLATFORMS.md §3.2:
// Location_X is the latitude).
func (s *WeCom) Share(ctx context.Context, user string, loc Location) error {
	lat, lng := loc.gcj02()
	id := s.msgID()
	s.hub.add(core.PlatformWeCom, user, &Entry{ID: "u" + id, From: FromUser, Kind: KindLocation, Text: loc.describe(lat, lng, "GCJ-02"), Via: "location message"})
	return s.deliver(ctx, user, s.callbackXML(user, "location", fmt.Sprintf(`<Location_X>%.6f</Location_X><Location_Y>%.6f</Location_Y><Scale>15</Scale><Label><![CDATA[%s]]></Label><MsgId>%s</MsgId>`,
		lat, lng, cdataEscape(loc.Label), id), ""))
}

// Press clicks button i of the card entry id as user: a
// template_card_event with the button's key, the card's task_id and a
// fresh response_code (PLATFORMS.md §3.4).
func (s *WeCom) Press(ctx context.Context, user, id string, i int) (string, error) {
	e, ok := s.hub.find(core.PlatformWeCom, user, id)
	if !ok || e.Card == nil || i < 0 || i >= len(e.Card.Buttons) {
		return "", core.Errorf(core.ENOTFOUND, "no button %d on message %s", i, id)
	}
	b := e.Card.Buttons[i]
	if b.URL != "" {
		return b.URL, nil
	}
	if e.Card.Done != "" {
		return "", core.Errorf(core.ECONFLICT, "the card's buttons were replaced by %q", e.Card.Done)
	}
	key, _ := b.payload.(string)
	return "", s.deliver(ctx, user, s.callbackXML(user, "event", s.cardEvent(user, id, key, e.Card.Type), ""))
}

// cardEvent is the body of a template_card_event (PLATFORMS.md §3.4, doc
// 90240 事件格式 → 模板卡片事件推送): the clicked key, the card's task_id
// and type, and a fresh one-time response_code.
func (s *WeCom) cardEvent(user, task, key, cardType string) string {
	return fmt.Sprintf(`<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[%s]]></EventKey><TaskId><![CDATA[%s]]></TaskId>`+
		`<CardType><![CDATA[%s]]></CardType><ResponseCode><![CDATA[%s]]></ResponseCode>`,
		cdataEscape(key), cdataEscape(task), cdataEscape(cardType), s.issueCode(user, task))
}

// Submit presses the submit button of the multiple_interaction card id as
// user, with chosen the option id picked in each drop-down (question key
// → option id). A drop-down left out sends the option it shows chosen, as
// the client does. The callback is the template_card_event a submit
// brings: EventKey is submit_button.key, and SelectedItems carries each
// drop-down's QuestionKey and OptionIds, in the card's order (PLATFORMS.md
// §3.4; doc 90240 模板卡片事件推送; the card's fields in doc 101032).
func (s *WeCom) Submit(ctx context.Context, user, id string, chosen map[string]string) error {
	e, ok := s.hub.find(core.PlatformWeCom, user, id)
	if !ok || e.Card == nil || e.Card.Submit == nil {
		return core.Errorf(core.ENOTFOUND, "message %s has no submit button", id)
	}
	if e.Card.Done != "" {
		return core.Errorf(core.ECONFLICT, "the card's submit button was replaced by %q", e.Card.Done)
	}
	items, err := selectedItems(e.Card.Selects, chosen)
	if err != nil {
		return err
	}
	return s.deliver(ctx, user, s.callbackXML(user, "event", s.cardEvent(user, id, e.Card.Submit.Key, e.Card.Type), items))
}

// selectedItems is the SelectedItems element of a submit: one
// SelectedItem per drop-down, with the option chosen or, when none was,
// the one shown. A client offers only the card's options, and a greyed
// drop-down cannot change, so any other choice is refused here.
func selectedItems(selects []Select, chosen map[string]string) (string, error) {
	known := map[string]bool{}
	var b strings.Builder
	b.WriteString("<SelectedItems>")
	for _, sel := range selects {
		known[sel.Key] = true
		id, picked := chosen[sel.Key]
		if !picked || id == sel.Selected {
			id = sel.Selected
		} else if sel.Disabled {
			return "", core.Errorf(core.ECONFLICT, "the drop-down %q is disabled", sel.Title)
		}
		offered := false
		for _, o := range sel.Options {
			offered = offered || o.ID == id
		}
		if !offered {
			return "", core.Errorf(core.EINVALID, "%q is not an option of the drop-down %q", id, sel.Title)
		}
		fmt.Fprintf(&b, "<SelectedItem><QuestionKey><![CDATA[%s]]></QuestionKey><OptionIds><OptionId><![CDATA[%s]]></OptionId></OptionIds></SelectedItem>",
			cdataEscape(sel.Key), cdataEscape(id))
	}
	for k := range chosen {
		if !known[k] {
			return "", core.Errorf(core.EINVALID, "the card has no drop-down %q", k)
		}
	}
	b.WriteString("</SelectedItems>")
	return b.String(), nil
}

// deliver encrypts and signs a callback (PLATFORMS.md §1.2–1.4), posts it
// to the bot and shows a passive reply (§1.5, doc 90241) if one comes back.
func (s *WeCom) deliver(ctx context.Context, user, plain string) error {
	s.mu.Lock()
	s.nonces++
	nonce := strconv.FormatInt(s.base+s.nonces, 10)
	s.mu.Unlock()
	body, q, err := s.seal([]byte(plain), randomPrefix(nonce), strconv.FormatInt(s.hub.now().Unix(), 10), nonce)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target()+wecom.CallbackPath+"?"+q, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml")
	out, err := callBot(s.http, req, "the WeCom callback")
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return nil
	}
	return s.passive(user, out)
}

// seal is a callback's POST body and query (PLATFORMS.md §1.2–1.4): the
// plaintext encrypted behind a 16-byte random prefix, in the XML envelope,
// signed with msg_signature over token, timestamp, nonce and Encrypt.
func (s *WeCom) seal(plain, random []byte, ts, nonce string) (body, query string, err error) {
	enc, err := s.crypto.Encrypt(plain, random)
	if err != nil {
		return "", "", err
	}
	body = fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[%s]]></AgentID></xml>`, s.cfg.CorpID, enc, s.cfg.AgentID)
	return body, "msg_signature=" + s.crypto.Sign(ts, nonce, enc) + "&timestamp=" + ts + "&nonce=" + nonce, nil
}

// passive opens a passive reply: a signed, encrypted envelope whose
// plaintext is a text message, an update_button or an
// update_template_card for the clicked card.
func (s *WeCom) passive(user string, out []byte) error {
	const api = "passive reply"
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(out, &env); err != nil || env.Encrypt == "" {
		s.hub.violate(core.PlatformWeCom, api, "the response body is not the encrypted reply envelope", docWeComPassive)
		return nil
	}
	if !s.crypto.Verify(env.MsgSignature, env.TimeStamp, env.Nonce, env.Encrypt) {
		s.hub.violate(core.PlatformWeCom, api, "MsgSignature does not match", docWeComPassive)
		return nil
	}
	plain, err := s.crypto.Decrypt(env.Encrypt)
	if err != nil {
		s.hub.violate(core.PlatformWeCom, api, "cannot decrypt: "+err.Error(), docWeComPassive)
		return nil
	}
	var msg struct {
		ToUserName string `xml:"ToUserName"`
		MsgType    string `xml:"MsgType"`
		Content    string `xml:"Content"`
		Button     struct {
			ReplaceName string `xml:"ReplaceName"`
		} `xml:"Button"`
	}
	if err := xml.Unmarshal(plain, &msg); err != nil {
		s.hub.violate(core.PlatformWeCom, api, "the reply is not XML", docWeComPassive)
		return nil
	}
	if msg.ToUserName != user {
		s.hub.violate(core.PlatformWeCom, api, "ToUserName "+msg.ToUserName+" is not the sender "+user, docWeComPassive)
	}
	switch msg.MsgType {
	case "text":
		if len(msg.Content) > 2048 {
			s.hub.violate(core.PlatformWeCom, api, "Content is over 2048 bytes and would be cut", docWeComPassive)
		}
		s.hub.add(core.PlatformWeCom, user, &Entry{ID: "p" + strconv.FormatInt(s.hub.nextID(), 10), From: FromBot, Kind: KindText, Text: msg.Content, Via: api})
	case "update_button":
		// Which card: the one whose button was just clicked; the latest
		// code issued to this user names it.
		s.mu.Lock()
		var task string
		var at time.Time
		for _, c := range s.codes {
			if c.user == user && c.issued.After(at) {
				task, at = c.taskID, c.issued
			}
		}
		s.mu.Unlock()
		s.apply(user, task, map[string]any{"replace_name": msg.Button.ReplaceName}, nil, api)
	default:
		s.hub.add(core.PlatformWeCom, user, &Entry{ID: "p" + strconv.FormatInt(s.hub.nextID(), 10), From: FromBot, Kind: KindText, Text: "[" + msg.MsgType + "]", Via: api})
	}
	return nil
}

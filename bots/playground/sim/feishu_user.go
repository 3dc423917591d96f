package sim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/punchbot/punchbot/bots/feishu"
	"github.com/punchbot/punchbot/core"
)

// event is the schema 2.0 envelope (PLATFORMS.md §5.1).
func (s *Feishu) event(eventType string, body map[string]any) map[string]any {
	return map[string]any{"schema": "2.0", "header": map[string]any{
		"event_id": "ev_sim" + s.base + strconv.FormatInt(s.hub.nextID(), 36), "event_type": eventType,
		"create_time": strconv.FormatInt(s.hub.now().UnixMilli(), 10), "token": s.cfg.VerificationToken,
		"app_id": s.cfg.AppID, "tenant_key": s.cfg.TenantKey,
	}, "event": body}
}

// message is im.message.receive_v1 (PLATFORMS.md §6) in user's p2p chat.
func (s *Feishu) message(user, id, msgType string, content map[string]any) map[string]any {
	c, _ := json.Marshal(content)
	ms := strconv.FormatInt(s.hub.now().UnixMilli(), 10)
	return s.event("im.message.receive_v1", map[string]any{
		"sender": map[string]any{"sender_id": map[string]any{"open_id": user}, "sender_type": "user", "tenant_key": s.cfg.TenantKey},
		"message": map[string]any{"message_id": id, "create_time": ms, "chat_id": "oc_" + user, "chat_type": "p2p",
			"message_type": msgType, "content": string(c)},
	})
}

// Say sends a text message from user to the bot.
func (s *Feishu) Say(ctx context.Context, user, text string) error {
	id := "om_u" + s.base + strconv.FormatInt(s.hub.nextID(), 36)
	s.hub.add(core.PlatformFeishu, user, &Entry{ID: id, From: FromUser, Kind: KindText, Text: text, Via: "text message"})
	_, err := s.deliver(ctx, s.message(user, id, "text", map[string]any{"text": text}))
	return err
}

// Share sends a location message; Feishu reports GCJ-02 in mainland China.
func (s *Feishu) Share(ctx context.Context, user string, loc Location) error {
	lat, lng := loc.gcj02()
	id := "om_u" + s.base + strconv.FormatInt(s.hub.nextID(), 36)
	s.hub.add(core.PlatformFeishu, user, &Entry{ID: id, From: FromUser, Kind: KindLocation, Text: loc.describe(lat, lng, "GCJ-02"), Via: "location message"})
	_, err := s.deliver(ctx, s.message(user, id, "location", map[string]any{"name": loc.Label,
		"latitude": strconv.FormatFloat(lat, 'f', 6, 64), "longitude": strconv.FormatFloat(lng, 'f', 6, 64)}))
	return err
}

// Press clicks button i of card id as user: card.action.trigger
// (PLATFORMS.md §7.2) with the button's value. The inline answer's toast
// is shown and its card replaces the clicked one.
func (s *Feishu) Press(ctx context.Context, user, id string, i int) (string, error) {
	e, ok := s.hub.find(core.PlatformFeishu, user, id)
	if !ok || e.Card == nil || i < 0 || i >= len(e.Card.Buttons) {
		return "", core.Errorf(core.ENOTFOUND, "no button %d on message %s", i, id)
	}
	b := e.Card.Buttons[i]
	if b.URL != "" && b.payload == nil {
		return b.URL, nil
	}
	value := b.payload
	if value == nil {
		value = map[string]any{}
	}
	if err := s.trigger(ctx, user, id, map[string]any{"value": value, "tag": "button"}); err != nil {
		return "", err
	}
	return b.URL, nil
}

// trigger sends card.action.trigger (PLATFORMS.md §7.2) for message id
// as user with action, and shows the inline answer: its toast, and its
// card in place of the clicked one.
func (s *Feishu) trigger(ctx context.Context, user, id string, action map[string]any) error {
	out, err := s.deliver(ctx, s.event("card.action.trigger", map[string]any{
		"operator": map[string]any{"tenant_key": s.cfg.TenantKey, "open_id": user},
		"token":    "c-sim" + strconv.FormatInt(s.hub.nextID(), 36),
		"action":   action,
		"host":     "im_message",
		"context":  map[string]any{"open_message_id": id, "open_chat_id": "oc_" + user},
	}))
	if err != nil {
		return err
	}
	var resp struct {
		Toast *struct {
			Type    string `json:"type"`
			Content string `json:"content"`
		} `json:"toast"`
		Card *struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		} `json:"card"`
	}
	if len(bytes.TrimSpace(out)) > 0 {
		if err := json.Unmarshal(out, &resp); err != nil {
			s.hub.violate(core.PlatformFeishu, "card.action.trigger response", "the response is not JSON", docFeishuCard)
			return nil
		}
	}
	if resp.Card != nil && resp.Card.Type == "raw" {
		s.hub.update(core.PlatformFeishu, user, id, func(old *Entry) {
			old.Card, old.raw = feishuCard(resp.Card.Data), resp.Card.Data
			old.Via += " → card callback response"
		})
	}
	if resp.Toast != nil && resp.Toast.Content != "" {
		s.hub.add(core.PlatformFeishu, user, &Entry{ID: "toast" + strconv.FormatInt(s.hub.nextID(), 36), From: FromBot, Kind: KindToast,
			Text: resp.Toast.Content, Card: &Card{Type: resp.Toast.Type}, Via: "card.action.trigger toast"})
	}
	return nil
}

// feishuClientOffset and feishuClientZone are the simulated client's: the
// people of the demo are in China. A date_picker's or picker_time's value
// in form_value carries the client's UTC offset after the date or clock
// ("2025-06-10 +0800", "05:05 +0800"), and action.timezone names its zone
// (date_picker / picker_time, card JSON 2.0: 回调).
const (
	feishuClientOffset = "+0800"
	feishuClientZone   = "Asia/Shanghai"
)

var (
	feishuFormDate  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	feishuFormClock = regexp.MustCompile(`^\d{2}:\d{2}$`)
)

// SubmitForm presses the submit button of the form container on card id
// as user, with values the inputs' values by name (a date_picker's as
// YYYY-MM-DD, a picker_time's as HH:mm). Like the client it refuses a
// required input left empty ("有必填项未填写", nothing is sent), an option a
// select_static does not offer and text over an input's max_length; an
// input left empty is sent only when it shows an initial value. The
// callback is card.action.trigger with action.tag button, action.name the
// button's name and action.form_value the values (form container, card
// JSON 2.0: https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container;
// PLATFORMS.md §7.2).
func (s *Feishu) SubmitForm(ctx context.Context, user, id string, values map[string]string) error {
	e, ok := s.hub.find(core.PlatformFeishu, user, id)
	if !ok || e.Card == nil || len(e.Card.Inputs) == 0 {
		return core.Errorf(core.ENOTFOUND, "message %s has no form to submit", id)
	}
	if e.Card.Submit == nil {
		return s.submitInput(ctx, user, id, e.Card.Inputs, values)
	}
	form, err := feishuFormValue(e.Card.Inputs, values)
	if err != nil {
		return err
	}
	return s.trigger(ctx, user, id, map[string]any{"tag": "button", "name": e.Card.Submit.Key, "form_value": form, "timezone": feishuClientZone})
}

// submitInput presses Enter in the one input box outside a form that
// values names: the callback is card.action.trigger with action.tag
// input, action.input_value the text and action.value the box's value
// (输入框, JSON 1.0). Like the client it sends nothing for an empty box or
// text over max_length.
func (s *Feishu) submitInput(ctx context.Context, user, id string, inputs []Input, values map[string]string) error {
	if len(values) != 1 {
		return core.Errorf(core.EINVALID, "an input box outside a form is submitted alone, not %d at once", len(values))
	}
	for name, v := range values {
		i := slices.IndexFunc(inputs, func(in Input) bool { return in.Name == name && in.Value != nil })
		if i < 0 {
			return core.Errorf(core.EINVALID, "the card has no input box %q", name)
		}
		in, v := inputs[i], strings.TrimSpace(v)
		if v == "" {
			return core.Errorf(core.EINVALID, "%s: nothing typed, nothing sent", in.label())
		}
		if err := in.tooLong(v); err != nil {
			return err
		}
		return s.trigger(ctx, user, id, map[string]any{"tag": "input", "name": name, "input_value": v, "value": in.Value})
	}
	return nil
}

// label is how the client names an input: its label, else its placeholder.
func (in Input) label() string { return cmp.Or(in.Label, in.Placeholder, in.Name) }

// tooLong refuses text over the input's max_length, as the client does.
func (in Input) tooLong(v string) error {
	if in.MaxLength > 0 && utf8.RuneCountInString(v) > in.MaxLength {
		return core.Errorf(core.EINVALID, "%s: at most %d characters", in.label(), in.MaxLength)
	}
	return nil
}

// feishuFormValue is the form_value a client sends for inputs filled with
// values, or the reason it would not send one.
func feishuFormValue(inputs []Input, values map[string]string) (map[string]any, error) {
	form := map[string]any{}
	known := map[string]bool{}
	for _, in := range inputs {
		known[in.Name] = true
		v := strings.TrimSpace(values[in.Name])
		if v == "" {
			v = in.Initial
		}
		label := in.label()
		if v == "" {
			if in.Required {
				return nil, core.Errorf(core.EINVALID, "有必填项未填写 / a required field is empty: %s", label)
			}
			continue
		}
		switch in.Tag {
		case "select_static":
			if !slices.ContainsFunc(in.Options, func(o Option) bool { return o.ID == v }) {
				return nil, core.Errorf(core.EINVALID, "%q is not an option of %s", v, label)
			}
		case "date_picker":
			if !feishuFormDate.MatchString(v) {
				return nil, core.Errorf(core.EINVALID, "%s: %q is not a date like 2026-12-03", label, v)
			}
			v += " " + feishuClientOffset
		case "picker_time":
			if !feishuFormClock.MatchString(v) {
				return nil, core.Errorf(core.EINVALID, "%s: %q is not a time like 18:30", label, v)
			}
			v += " " + feishuClientOffset
		case "input":
			if err := in.tooLong(v); err != nil {
				return nil, err
			}
		}
		form[in.Name] = v
	}
	for k := range values {
		if !known[k] {
			return nil, core.Errorf(core.EINVALID, "the form has no input %q", k)
		}
	}
	return form, nil
}

// seal is a callback's body, {"encrypt": …} (PLATFORMS.md §5.3), and its
// signature headers (§5.4: sha256 of timestamp + nonce + encrypt key +
// body).
func (s *Feishu) seal(plain, iv []byte, ts, nonce string) ([]byte, map[string]string) {
	body, _ := json.Marshal(map[string]string{"encrypt": FeishuEncrypt(plain, s.cfg.EncryptKey, iv)})
	return body, map[string]string{"X-Lark-Request-Timestamp": ts, "X-Lark-Request-Nonce": nonce,
		"X-Lark-Signature": feishu.Signature(ts, nonce, s.cfg.EncryptKey, body)}
}

// deliver encrypts and signs a callback the way Feishu does (PLATFORMS.md
// §5.3–5.4) and posts it to the bot's event endpoint.
func (s *Feishu) deliver(ctx context.Context, ev map[string]any) ([]byte, error) {
	plain, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	nonce := "n" + s.base + strconv.FormatInt(s.hub.nextID(), 36)
	body, sig := s.seal(plain, randomPrefix(nonce), strconv.FormatInt(s.hub.now().Unix(), 10), nonce)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target()+"/feishu/events", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range sig {
		req.Header.Set(k, v)
	}
	return callBot(s.http, req, "the Feishu callback")
}

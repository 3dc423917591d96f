package sim

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Card is a platform card reduced to what a chat client draws: a header
// (with its colour on Feishu), lines of text, label/value fields, buttons
// and grey notes. The reduction walks the card generically (Feishu
// elements, WeCom template_card parts by card_type, Slack blocks), so a
// card type the bots add later shows without a change here.
type Card struct {
	Type     string   `json:"type,omitempty"` // WeCom card_type
	Title    string   `json:"title,omitempty"`
	Subtitle string   `json:"subtitle,omitempty"`
	Color    string   `json:"color,omitempty"` // Feishu header template: blue, green, red, orange, grey, …
	Lines    []string `json:"lines,omitempty"`
	Fields   []Field  `json:"fields,omitempty"`
	Buttons  []Button `json:"buttons,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// Selects and Submit are the drop-downs and the submit button of a
	// WeCom multiple_interaction card: the client sends every drop-down's
	// choice with the submit.
	Selects []Select `json:"selects,omitempty"`
	Submit  *Submit  `json:"submit,omitempty"`
	// Inputs are the components of a Feishu card JSON 2.0 form container
	// (select_static, date_picker, picker_time, input), whose submit
	// button (form_action_type submit) is Submit, Key its name: the client
	// sends every input's value with the submit in action.form_value.
	Inputs []Input `json:"inputs,omitempty"`
	// Done replaces the buttons once a WeCom card was clicked and
	// updated (replace_name / replace_text).
	Done string `json:"done,omitempty"`
}

// Field is one label/value pair of a card.
type Field struct {
	Label string `json:"label,omitempty"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"`
}

// Button is one button; Index is what a press names.
type Button struct {
	Index int    `json:"index"`
	Label string `json:"label"`
	Style string `json:"style,omitempty"` // primary, danger or ""
	URL   string `json:"url,omitempty"`
	// payload is what the platform echoes back on a press.
	payload any
}

// Select is one drop-down: its question key, its label, the options and
// the one shown chosen. Disabled greys it out, as an update may.
type Select struct {
	Key      string   `json:"key"`
	Title    string   `json:"title,omitempty"`
	Selected string   `json:"selected,omitempty"`
	Disabled bool     `json:"disabled,omitempty"`
	Options  []Option `json:"options"`
}

// Option is one choice of a drop-down.
type Option struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Input is one component of a Feishu form container: Tag is the
// component's (select_static, date_picker, picker_time or input), Name the
// key of its value in form_value, Initial its initial_option, initial_date,
// initial_time or default_value.
type Input struct {
	Tag         string   `json:"tag"`
	Name        string   `json:"name"`
	Label       string   `json:"label,omitempty"`
	Placeholder string   `json:"placeholder,omitempty"`
	Required    bool     `json:"required,omitempty"`
	Initial     string   `json:"initial,omitempty"`
	MaxLength   int      `json:"max_length,omitempty"`
	Options     []Option `json:"options,omitempty"`
	// Value is set on an input box outside a form (JSON 1.0 "input"):
	// pressing Enter in it sends this back as action.value, with the text
	// as action.input_value, at once and alone.
	Value any `json:"value,omitempty"`
}

// Submit is the submit button; Key comes back as the event's EventKey
// (WeCom) or action.name (Feishu).
type Submit struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

// str reads a string at a path of object keys, "" when absent.
func str(v any, path ...string) string {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func list(v any, path ...string) []any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	l, _ := v.([]any)
	return l
}

func num(v any, path ...string) float64 {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return 0
		}
		v = m[p]
	}
	f, _ := v.(float64)
	return f
}

func (c *Card) button(label, style, url string, payload any) {
	c.Buttons = append(c.Buttons, Button{Index: len(c.Buttons), Label: label, Style: style, URL: url, payload: payload})
}

// wecomCard reduces a template_card (https://developer.work.weixin.qq.com/document/path/90236,
// 模板卡片消息): main_title, emphasis_content, quote_area, sub_title_text,
// horizontal_content_list, jump_list, button_list and card_action.
func wecomCard(tc map[string]any) *Card {
	c := &Card{Type: str(tc, "card_type"), Title: str(tc, "main_title", "title"), Subtitle: str(tc, "main_title", "desc")}
	if s := str(tc, "source", "desc"); s != "" {
		c.Notes = append(c.Notes, s)
	}
	if t := str(tc, "emphasis_content", "title"); t != "" {
		c.Lines = append(c.Lines, strings.TrimSpace(t+" "+str(tc, "emphasis_content", "desc")))
	}
	if q := str(tc, "quote_area", "quote_text"); q != "" {
		c.Lines = append(c.Lines, strings.TrimSpace(str(tc, "quote_area", "title")+" "+q))
	}
	if s := str(tc, "sub_title_text"); s != "" {
		c.Lines = append(c.Lines, s)
	}
	for _, h := range list(tc, "horizontal_content_list") {
		c.Fields = append(c.Fields, Field{Label: str(h, "keyname"), Value: str(h, "value"), URL: str(h, "url")})
	}
	for _, v := range list(tc, "vertical_content_list") {
		c.Lines = append(c.Lines, strings.TrimSpace(str(v, "title")+" "+str(v, "desc")))
	}
	c.Done = str(tc, "replace_text")
	for _, j := range list(tc, "jump_list") {
		c.button(str(j, "title"), "", str(j, "url"), nil)
	}
	for _, b := range list(tc, "button_list") {
		style := ""
		switch num(b, "style") {
		case 1:
			style = "primary"
		case 2, 3:
			style = "danger"
		}
		c.button(str(b, "text"), style, "", str(b, "key"))
	}
	if u := str(tc, "card_action", "url"); u != "" && len(c.Buttons) == 0 {
		c.button("查看详情", "", u, nil)
	}
	if d := str(tc, "button_selection", "title"); d != "" {
		c.Lines = append(c.Lines, d)
	}
	// multiple_interaction (多项选择型, doc 90236; SelectionItem and
	// submit_button in doc 101032 模板卡片类型): select_list of up to three
	// drop-downs and a submit_button.
	for _, sel := range list(tc, "select_list") {
		c.Selects = append(c.Selects, wecomSelect(sel))
	}
	if k := str(tc, "submit_button", "key"); k != "" || str(tc, "submit_button", "text") != "" {
		c.Submit = &Submit{Text: str(tc, "submit_button", "text"), Key: k}
	}
	return c
}

// wecomSelect reduces one select_list entry. The option shown chosen is
// selected_id when it names an option, else the first ("selected_id
// 不填或错填默认第一个", doc 101032); disable greys it out ("仅在更新模版卡片的
// 时候该字段有效", doc 101032).
func wecomSelect(sel any) Select {
	s := Select{Key: str(sel, "question_key"), Title: str(sel, "title")}
	if d, _ := sel.(map[string]any)["disable"].(bool); d {
		s.Disabled = true
	}
	want := str(sel, "selected_id")
	for _, o := range list(sel, "option_list") {
		s.Options = append(s.Options, Option{ID: str(o, "id"), Text: str(o, "text")})
		if str(o, "id") == want {
			s.Selected = want
		}
	}
	if s.Selected == "" && len(s.Options) > 0 {
		s.Selected = s.Options[0].ID
	}
	return s
}

// feishuCard reduces a message card (JSON 1.0: header.title and
// header.template, elements of div/markdown/hr/action/note/column_set;
// https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-json-v1-structure),
// or a JSON 2.0 card, whose elements sit under body.
func feishuCard(card map[string]any) *Card {
	c := &Card{Title: str(card, "header", "title", "content"), Color: str(card, "header", "template"), Subtitle: str(card, "header", "subtitle", "content")}
	els := list(card, "elements")
	if els == nil {
		els = list(card, "body", "elements")
	}
	c.feishuElements(els)
	return c
}

func (c *Card) feishuElements(els []any) {
	for _, el := range els {
		switch str(el, "tag") {
		case "div":
			if t := str(el, "text", "content"); t != "" {
				c.Lines = append(c.Lines, t)
			}
			for _, f := range list(el, "fields") {
				c.addFeishuField(str(f, "text", "content"))
			}
			if a, ok := el.(map[string]any)["extra"].(map[string]any); ok {
				c.feishuElements([]any{a})
			}
		case "markdown", "plain_text", "lark_md":
			c.Lines = append(c.Lines, str(el, "content"))
		case "note":
			for _, n := range list(el, "elements") {
				c.Notes = append(c.Notes, str(n, "content"))
			}
		case "action":
			c.feishuElements(list(el, "actions"))
		case "button":
			style := str(el, "type")
			if style == "default" {
				style = ""
			}
			url := str(el, "url")
			if url == "" {
				url = str(el, "multi_url", "url")
			}
			c.button(str(el, "text", "content"), style, url, feishuButtonValue(el))
		case "column_set":
			for _, col := range list(el, "columns") {
				c.feishuElements(list(col, "elements"))
			}
		case "form":
			c.feishuForm(list(el, "elements"))
		case "input":
			// Outside a form: https://open.feishu.cn/document/uAjLw4CM/ukzMukzMukzM/feishu-cards/card-components/interactive-components/input
			c.Inputs = append(c.Inputs, Input{Tag: "input", Name: str(el, "name"), Label: str(el, "label", "content"),
				Placeholder: str(el, "placeholder", "content"), MaxLength: int(num(el, "max_length")), Value: el.(map[string]any)["value"]})
		case "hr":
		default:
			if t := str(el, "text", "content"); t != "" {
				c.Lines = append(c.Lines, t)
			}
		}
	}
}

// feishuForm reduces the components of a form container (card JSON 2.0,
// https://open.feishu.cn/document/feishu-cards/card-json-v2-components/containers/form-container):
// its inputs, and the button whose form_action_type is submit; a reset
// button only clears the inputs and is left out. Components may sit in
// column_set columns inside the form.
func (c *Card) feishuForm(els []any) {
	for _, el := range els {
		switch tag := str(el, "tag"); tag {
		case "select_static", "date_picker", "picker_time", "input":
			in := Input{Tag: tag, Name: str(el, "name"), Label: str(el, "label", "content"), Placeholder: str(el, "placeholder", "content"),
				MaxLength: int(num(el, "max_length"))}
			in.Required, _ = el.(map[string]any)["required"].(bool)
			for _, k := range []string{"initial_option", "initial_date", "initial_time", "default_value"} {
				if v := str(el, k); v != "" {
					in.Initial = v
				}
			}
			for _, o := range list(el, "options") {
				in.Options = append(in.Options, Option{ID: str(o, "value"), Text: str(o, "text", "content")})
			}
			c.Inputs = append(c.Inputs, in)
		case "button":
			if str(el, "form_action_type") == "submit" {
				c.Submit = &Submit{Text: str(el, "text", "content"), Key: str(el, "name")}
			} else if str(el, "form_action_type") == "" {
				c.feishuElements([]any{el})
			}
		case "column_set":
			for _, col := range list(el, "columns") {
				c.feishuForm(list(col, "elements"))
			}
		default:
			c.feishuElements([]any{el})
		}
	}
}

// feishuButtonValue is what a Feishu button's click sends back: "value"
// on a JSON 1.0 card, the value of its callback behaviour on a JSON 2.0
// card (按钮 JSON 2.0: behaviors [{"type": "callback", "value": …}]).
func feishuButtonValue(el any) any {
	if v, ok := el.(map[string]any)["value"]; ok {
		return v
	}
	for _, b := range list(el, "behaviors") {
		if str(b, "type") == "callback" {
			return b.(map[string]any)["value"]
		}
	}
	return nil
}

// addFeishuField splits "**Label**\nvalue" or "**Label**：value" fields.
func (c *Card) addFeishuField(s string) {
	s = strings.TrimSpace(s)
	for _, sep := range []string{"\n", "：", ": "} {
		if l, v, ok := strings.Cut(s, sep); ok {
			c.Fields = append(c.Fields, Field{Label: strings.Trim(l, "* "), Value: strings.TrimSpace(v)})
			return
		}
	}
	c.Fields = append(c.Fields, Field{Value: s})
}

// slackCard reduces Block Kit blocks (https://api.slack.com/reference/block-kit/blocks):
// header, section (text, fields, accessory), actions, context, divider.
func slackCard(blocks []any) *Card {
	c := &Card{}
	for _, b := range blocks {
		switch str(b, "type") {
		case "header":
			if c.Title == "" {
				c.Title = str(b, "text", "text")
			} else {
				c.Lines = append(c.Lines, str(b, "text", "text"))
			}
		case "section":
			if t := str(b, "text", "text"); t != "" {
				c.Lines = append(c.Lines, t)
			}
			for _, f := range list(b, "fields") {
				c.addFeishuField(str(f, "text"))
			}
			if a, ok := b.(map[string]any)["accessory"]; ok {
				c.slackElement(b, a)
			}
		case "actions":
			for _, el := range list(b, "elements") {
				c.slackElement(b, el)
			}
		case "context":
			for _, el := range list(b, "elements") {
				c.Notes = append(c.Notes, str(el, "text"))
			}
		case "input":
			c.Lines = append(c.Lines, "▢ "+str(b, "label", "text"))
		}
	}
	return c
}

// slackAction is what a Slack button press echoes back.
type slackAction struct {
	BlockID, ActionID, Value, Text string
}

func (c *Card) slackElement(block, el any) {
	if str(el, "type") != "button" {
		return
	}
	c.button(str(el, "text", "text"), str(el, "style"), str(el, "url"),
		slackAction{BlockID: str(block, "block_id"), ActionID: str(el, "action_id"), Value: str(el, "value"), Text: str(el, "text", "text")})
}

// decodeJSON is json.Unmarshal into a generic value.
func decodeJSON(s string) (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}

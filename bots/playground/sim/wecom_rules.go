package sim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var taskIDChars = regexp.MustCompile(`^[A-Za-z0-9_\-@]+$`)

// checkSend returns the rules a message/send body breaks: the first with a
// WeCom error code the API answers with, the others only recorded.
func checkSend(body map[string]any, agentID string) (problems []string, code int) {
	bad := func(c int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
		if code == 0 {
			code = c
		}
	}
	if strconv.FormatFloat(num(body, "agentid"), 'f', -1, 64) != agentID {
		bad(40056, "agentid %v is not the application's %s", body["agentid"], agentID)
	}
	users := str(body, "touser")
	if users == "" && str(body, "toparty") == "" && str(body, "totag") == "" {
		bad(40035, "touser, toparty and totag are all empty")
	}
	if n := len(strings.Split(users, "|")); n > 1000 {
		bad(40035, "touser names %d members, at most 1000", n)
	}
	switch mt := str(body, "msgtype"); mt {
	case "text", "markdown":
		content := str(body, mt, "content")
		if content == "" {
			bad(44004, "%s.content is empty", mt)
		}
		if len(content) > 2048 {
			bad(0, "%s.content is %d bytes; WeCom cuts it at 2048", mt, len(content))
		}
	case "template_card":
		tc, _ := body["template_card"].(map[string]any)
		problems2, c := checkTemplateCard(tc)
		for _, p := range problems2 {
			bad(c, "%s", p)
		}
	case "":
		bad(40008, "msgtype is missing")
	case "image", "voice", "video", "file", "textcard", "news", "mpnews", "miniprogram_notice":
	default:
		bad(40008, "msgtype %q is not a WeCom message type", mt)
	}
	return problems, code
}

// checkTemplateCard is the field rules of doc 90236 (模板卡片消息) the bots'
// cards touch: a known card_type, a title or a sub-title, a task_id for
// interactive cards (letters, digits, _-@, at most 128 bytes), one to six
// buttons each with text and key, at most six horizontal_content_list
// and three jump_list entries.
func checkTemplateCard(tc map[string]any) ([]string, int) {
	var problems []string
	code := 0
	bad := func(c int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
		if code == 0 {
			code = c
		}
	}
	if tc == nil {
		bad(42027, "template_card is missing")
		return problems, code
	}
	ct := str(tc, "card_type")
	interactive := ct == "button_interaction" || ct == "vote_interaction" || ct == "multiple_interaction"
	switch ct {
	case "text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction":
	default:
		bad(42027, "card_type %q is not a template card type", ct)
	}
	if (ct == "text_notice" || ct == "button_interaction") && str(tc, "main_title", "title") == "" && str(tc, "sub_title_text") == "" {
		bad(42028, "%s needs main_title.title or sub_title_text", ct)
	}
	task := str(tc, "task_id")
	if interactive && task == "" {
		bad(42014, "%s needs a task_id", ct)
	}
	if task != "" && (len(task) > 128 || !taskIDChars.MatchString(task)) {
		bad(42014, "task_id %q: at most 128 bytes of letters, digits, _, - and @", task)
	}
	buttons := list(tc, "button_list")
	if ct == "button_interaction" && (len(buttons) == 0 || len(buttons) > 6) {
		bad(42037, "button_interaction has %d buttons, wants 1 to 6", len(buttons))
	}
	for i, b := range buttons {
		if str(b, "text") == "" {
			bad(42038, "button_list[%d].text is empty", i)
		}
		if k := str(b, "key"); k == "" || len(k) > 1024 {
			bad(42039, "button_list[%d].key must be 1 to 1024 bytes", i)
		}
	}
	if ct == "multiple_interaction" {
		// Doc 101032 (SelectionItem, submit_button): one to three
		// drop-downs, each with a question_key and one to ten options
		// whose ids are unique and at most 128 bytes. Which errcode WeCom
		// answers these with is not documented; 40058 is its invalid
		// parameter.
		sels := list(tc, "select_list")
		if len(sels) == 0 || len(sels) > 3 {
			bad(40058, "multiple_interaction has %d select_list entries, wants 1 to 3", len(sels))
		}
		keys := map[string]bool{}
		for i, sel := range sels {
			k := str(sel, "question_key")
			if k == "" || len(k) > 1024 || keys[k] {
				bad(40058, "select_list[%d].question_key %q must be 1 to 1024 bytes and unique", i, k)
			}
			keys[k] = true
			opts := list(sel, "option_list")
			if len(opts) == 0 || len(opts) > 10 {
				bad(40058, "select_list[%d] has %d options, wants 1 to 10", i, len(opts))
			}
			ids := map[string]bool{}
			for j, o := range opts {
				id := str(o, "id")
				if id == "" || len(id) > 128 || ids[id] {
					bad(40058, "select_list[%d].option_list[%d].id %q must be 1 to 128 bytes and unique", i, j, id)
				}
				ids[id] = true
			}
		}
		if k := str(tc, "submit_button", "key"); k == "" || len(k) > 1024 {
			bad(40058, "submit_button.key must be 1 to 1024 bytes")
		}
	}
	if n := len(list(tc, "horizontal_content_list")); n > 6 {
		bad(42030, "horizontal_content_list has %d entries, at most 6", n)
	}
	if n := len(list(tc, "jump_list")); n > 3 {
		bad(42031, "jump_list has %d entries, at most 3", n)
	}
	// Doc 90236 (and the zsmhub/workweixin copy of doc 90372's fields):
	// button keys "不可重复"; a horizontal_content_list row needs its
	// keyname and, by type, the url (1), media_id (2) or userid (3) it
	// links to; text_notice and news_notice need a card_action of type 1
	// (url) or 2 (mini program). WeCom answers a missing or type-0
	// card_action with 42045 "Template_Card card_action Missing or
	// Invalid" (a capture on developers.weixin.qq.com); the codes of the
	// row rules are not documented, 42030 is the list's.
	keys := map[string]bool{}
	for i, b := range buttons {
		if k := str(b, "key"); k != "" && keys[k] {
			bad(42039, "button_list[%d].key %q repeats an earlier key", i, k)
		} else {
			keys[k] = true
		}
	}
	for i, h := range list(tc, "horizontal_content_list") {
		need := map[float64]string{1: "url", 2: "media_id", 3: "userid"}[num(h, "type")]
		switch {
		case str(h, "keyname") == "":
			bad(42030, "horizontal_content_list[%d].keyname is empty", i)
		case need != "" && str(h, need) == "":
			bad(42030, "horizontal_content_list[%d] is type %v without its %s", i, num(h, "type"), need)
		}
	}
	if ct == "text_notice" || ct == "news_notice" {
		switch t := num(tc, "card_action", "type"); {
		case t != 1 && t != 2:
			bad(42045, "%s needs a card_action of type 1 (url) or 2 (mini program)", ct)
		case t == 1 && str(tc, "card_action", "url") == "", t == 2 && str(tc, "card_action", "appid") == "":
			bad(42045, "card_action of type %v without its url or appid", t)
		}
	}
	return problems, code
}

package wecom

import (
	"fmt"
	"slices"

	"github.com/punchbot/punchbot/core"
)

// Template card types (doc 90372).
const (
	CardTextNotice        = "text_notice"
	CardNewsNotice        = "news_notice"
	CardButtonInteraction = "button_interaction"
	CardVoteInteraction   = "vote_interaction"
	CardMultiInteraction  = "multiple_interaction"
)

// Card limits from the documentation and go-workwx. Field rules are those
// of 模板卡片消息 (https://developer.work.weixin.qq.com/document/path/90236,
// type structs in doc 101032), as the zsmhub/workweixin field comments
// (apis/发送应用消息-模板卡片消息.go, generated from doc 90372) copy them.
const (
	maxTaskIDBytes     = 128
	maxButtons         = 6
	maxKeyBytes        = 1024 // button_list.key, action_list.key: "最长支持1024字节，不可重复"
	maxHorizontal      = 6    // horizontal_content_list: "列表长度不超过6"
	maxJumps           = 3    // jump_list: "列表长度不超过3"
	maxVertical        = 4    // vertical_content_list: "列表长度不超过4"
	maxMenuActions     = 3    // action_menu.action_list: "列表长度取值范围为 [1, 3]"
	maxCheckboxOptions = 20   // checkbox.option_list: "选项个数不超过 20 个，最少1个"
)

// TemplateCard is a WeCom template card. Optional parts are pointers or
// slices with omitempty, so the JSON never carries the nulls and empty
// objects some SDKs send.
type TemplateCard struct {
	CardType              string             `json:"card_type"`
	Source                *CardSource        `json:"source,omitempty"`
	ActionMenu            *CardActionMenu    `json:"action_menu,omitempty"`
	MainTitle             *CardTitle         `json:"main_title,omitempty"`
	EmphasisContent       *CardTitle         `json:"emphasis_content,omitempty"`
	QuoteArea             *CardQuoteArea     `json:"quote_area,omitempty"`
	SubTitleText          string             `json:"sub_title_text,omitempty"`
	HorizontalContentList []CardHorizontal   `json:"horizontal_content_list,omitempty"`
	JumpList              []CardJump         `json:"jump_list,omitempty"`
	CardAction            *CardAction        `json:"card_action,omitempty"`
	TaskID                string             `json:"task_id,omitempty"`
	ButtonSelection       *CardSelection     `json:"button_selection,omitempty"`
	ButtonList            []CardButton       `json:"button_list,omitempty"`
	ReplaceText           string             `json:"replace_text,omitempty"`
	SelectList            []CardSelection    `json:"select_list,omitempty"`
	SubmitButton          *CardSubmitButton  `json:"submit_button,omitempty"`
	CheckBox              *CardCheckBox      `json:"checkbox,omitempty"`
	VerticalContentList   []CardVertical     `json:"vertical_content_list,omitempty"`
	ImageTextArea         *CardImageTextArea `json:"image_text_area,omitempty"`
	CardImage             *CardImage         `json:"card_image,omitempty"`
}

// CardSource is the small header line (icon and source name).
type CardSource struct {
	IconURL   string `json:"icon_url,omitempty"`
	Desc      string `json:"desc,omitempty"`
	DescColor int    `json:"desc_color,omitempty"`
}

// CardActionMenu is the "…" menu at the top right of a card.
type CardActionMenu struct {
	Desc       string           `json:"desc,omitempty"`
	ActionList []CardMenuAction `json:"action_list"`
}

// CardMenuAction is one entry of an action menu.
type CardMenuAction struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

// CardTitle is a title with a description.
type CardTitle struct {
	Title string `json:"title,omitempty"`
	Desc  string `json:"desc,omitempty"`
}

// CardQuoteArea is a quoted block.
type CardQuoteArea struct {
	Type      int    `json:"type,omitempty"`
	URL       string `json:"url,omitempty"`
	AppID     string `json:"appid,omitempty"`
	PagePath  string `json:"pagepath,omitempty"`
	Title     string `json:"title,omitempty"`
	QuoteText string `json:"quote_text,omitempty"`
}

// CardHorizontal is one key/value row.
type CardHorizontal struct {
	Type    int    `json:"type,omitempty"` // 1 url, 2 file, 3 member
	KeyName string `json:"keyname"`
	Value   string `json:"value,omitempty"`
	URL     string `json:"url,omitempty"`
	MediaID string `json:"media_id,omitempty"`
	UserID  string `json:"userid,omitempty"`
}

// CardVertical is one title/description block.
type CardVertical struct {
	Title string `json:"title"`
	Desc  string `json:"desc,omitempty"`
}

// CardJump is one link at the bottom of a card.
type CardJump struct {
	Type     int    `json:"type,omitempty"`
	Title    string `json:"title"`
	URL      string `json:"url,omitempty"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
}

// CardAction is what tapping the card body does.
type CardAction struct {
	Type     int    `json:"type"` // 1 url, 2 mini program
	URL      string `json:"url,omitempty"`
	AppID    string `json:"appid,omitempty"`
	PagePath string `json:"pagepath,omitempty"`
}

// CardSelection is a drop-down question.
type CardSelection struct {
	QuestionKey string `json:"question_key"`
	Title       string `json:"title,omitempty"`
	SelectedID  string `json:"selected_id,omitempty"`
	// Disable greys the drop-down out; WeCom reads it only in
	// update_template_card (doc 101032, SelectionItem结构体).
	Disable    bool         `json:"disable,omitempty"`
	OptionList []CardOption `json:"option_list"`
}

// CardOption is one choice of a selection or checkbox.
type CardOption struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	IsChecked bool   `json:"is_checked,omitempty"`
}

// CardButton is one button of a button_interaction card; its Key comes
// back as EventKey in the template_card_event.
type CardButton struct {
	Type  int    `json:"type,omitempty"` // 0 callback, 1 url
	Text  string `json:"text"`
	Style int    `json:"style,omitempty"`
	Key   string `json:"key,omitempty"`
	URL   string `json:"url,omitempty"`
}

// CardSubmitButton is the submit button of vote and multiple cards.
type CardSubmitButton struct {
	Text string `json:"text"`
	Key  string `json:"key"`
}

// CardCheckBox is the checkbox question of a vote card.
type CardCheckBox struct {
	QuestionKey string       `json:"question_key"`
	OptionList  []CardOption `json:"option_list"`
	Mode        int          `json:"mode,omitempty"`
}

// CardImageTextArea is the image-and-text block of a news card.
type CardImageTextArea struct {
	Type     int    `json:"type,omitempty"`
	URL      string `json:"url,omitempty"`
	Title    string `json:"title,omitempty"`
	Desc     string `json:"desc,omitempty"`
	ImageURL string `json:"image_url"`
}

// CardImage is the large image of a news card.
type CardImage struct {
	URL         string  `json:"url"`
	AspectRatio float64 `json:"aspect_ratio,omitempty"`
}

// Validate checks what WeCom would reject, so a bad card fails before it is
// sent: the card type, a task id on interactive cards (digits, letters and
// _-@, at most 128 bytes; it identifies the card in click events), and the
// button list.
func (tc TemplateCard) Validate() error {
	bad := func(format string, args ...any) error {
		return core.Errorf(core.EINVALID, "wecom template card: "+format, args...)
	}
	if !slices.Contains([]string{CardTextNotice, CardNewsNotice, CardButtonInteraction, CardVoteInteraction, CardMultiInteraction}, tc.CardType) {
		return bad("unknown card_type %q", tc.CardType)
	}
	interactive := tc.CardType == CardButtonInteraction || tc.CardType == CardVoteInteraction || tc.CardType == CardMultiInteraction
	if (interactive || tc.ActionMenu != nil) && tc.TaskID == "" {
		return bad("task_id is required for %s cards and cards with an action menu", tc.CardType)
	}
	if len(tc.TaskID) > maxTaskIDBytes {
		return bad("task_id is %d bytes, at most %d", len(tc.TaskID), maxTaskIDBytes)
	}
	for _, r := range tc.TaskID {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-' || r == '@') {
			return bad("task_id %q may only hold digits, letters and _-@", tc.TaskID)
		}
	}
	if err := tc.validateLayout(); err != nil {
		return bad("%s", err)
	}
	if tc.CardType == CardMultiInteraction {
		if err := tc.validateSelects(); err != nil {
			return bad("%s", err)
		}
	}
	if tc.CardType == CardButtonInteraction {
		if len(tc.ButtonList) == 0 || len(tc.ButtonList) > maxButtons {
			return bad("button_interaction needs 1 to %d buttons, has %d", maxButtons, len(tc.ButtonList))
		}
		for i, b := range tc.ButtonList {
			if b.Text == "" {
				return bad("button_list[%d].text is empty", i)
			}
			if b.Type == 1 && b.URL == "" || b.Type != 1 && b.Key == "" {
				return bad("button_list[%d] needs a key (or a url for type 1)", i)
			}
		}
	}
	if err := uniqueKeys("button_list", len(tc.ButtonList), func(i int) string { return tc.ButtonList[i].Key }); err != nil {
		return bad("%s", err)
	}
	return nil
}

// validateLayout checks the parts every card type shares, by doc 90236
// (and 101032's structs): the title rule (main_title.title "文本通知型卡片本
// 字段非必填，但不可本字段和sub_title_text都不填"; a news card's picture,
// card_image or image_text_area, "两者必填一个字段"), card_action
// ("text_notice模版卡片中该字段为必填项 … 取值范围为[1,2]"; a news card
// without one is refused with 42045 "Template_Card card_action Missing or
// Invalid", a capture on developers.weixin.qq.com), the lengths of the
// lists and the field each link type needs, and the action menu.
func (tc TemplateCard) validateLayout() error {
	hasTitle := tc.MainTitle != nil && tc.MainTitle.Title != ""
	switch tc.CardType {
	case CardNewsNotice:
		if tc.CardImage == nil && tc.ImageTextArea == nil {
			return fmt.Errorf("news_notice needs card_image or image_text_area")
		}
		if !hasTitle {
			return fmt.Errorf("news_notice needs main_title.title")
		}
	default:
		if !hasTitle && tc.SubTitleText == "" {
			return fmt.Errorf("%s needs main_title.title or sub_title_text", tc.CardType)
		}
	}
	if tc.CardType == CardTextNotice || tc.CardType == CardNewsNotice {
		if tc.CardAction == nil || (tc.CardAction.Type != 1 && tc.CardAction.Type != 2) {
			return fmt.Errorf("%s needs a card_action of type 1 (url) or 2 (mini program)", tc.CardType)
		}
	}
	if a := tc.CardAction; a != nil {
		if err := linkTarget("card_action", a.Type, a.URL, a.AppID); err != nil {
			return err
		}
	}
	if q := tc.QuoteArea; q != nil {
		if err := linkTarget("quote_area", q.Type, q.URL, q.AppID); err != nil {
			return err
		}
	}
	if n := len(tc.HorizontalContentList); n > maxHorizontal {
		return fmt.Errorf("horizontal_content_list has %d entries, at most %d", n, maxHorizontal)
	}
	for i, h := range tc.HorizontalContentList {
		name := fmt.Sprintf("horizontal_content_list[%d]", i)
		switch {
		case h.KeyName == "":
			return fmt.Errorf("%s.keyname is empty", name)
		case h.Type == 1 && h.URL == "":
			return fmt.Errorf("%s is type 1 (url) without a url", name)
		case h.Type == 2 && h.MediaID == "":
			return fmt.Errorf("%s is type 2 (file) without a media_id", name)
		case h.Type == 3 && h.UserID == "":
			return fmt.Errorf("%s is type 3 (member) without a userid", name)
		case h.Type < 0 || h.Type > 3:
			return fmt.Errorf("%s has type %d, want 0 to 3", name, h.Type)
		}
	}
	if n := len(tc.JumpList); n > maxJumps {
		return fmt.Errorf("jump_list has %d entries, at most %d", n, maxJumps)
	}
	for i, j := range tc.JumpList {
		name := fmt.Sprintf("jump_list[%d]", i)
		if j.Title == "" {
			return fmt.Errorf("%s.title is empty", name)
		}
		if err := linkTarget(name, j.Type, j.URL, j.AppID); err != nil {
			return err
		}
	}
	if n := len(tc.VerticalContentList); n > maxVertical {
		return fmt.Errorf("vertical_content_list has %d entries, at most %d", n, maxVertical)
	}
	if m := tc.ActionMenu; m != nil {
		if len(m.ActionList) == 0 || len(m.ActionList) > maxMenuActions {
			return fmt.Errorf("action_menu needs 1 to %d actions, has %d", maxMenuActions, len(m.ActionList))
		}
		for i, a := range m.ActionList {
			if a.Text == "" || a.Key == "" {
				return fmt.Errorf("action_menu.action_list[%d] needs a text and a key", i)
			}
		}
		if err := uniqueKeys("action_menu.action_list", len(m.ActionList), func(i int) string { return m.ActionList[i].Key }); err != nil {
			return err
		}
	}
	if cb := tc.CheckBox; cb != nil && (len(cb.OptionList) == 0 || len(cb.OptionList) > maxCheckboxOptions) {
		return fmt.Errorf("checkbox needs 1 to %d options, has %d", maxCheckboxOptions, len(cb.OptionList))
	}
	return nil
}

// linkTarget checks the url or appid a link type needs: type 1 a url,
// type 2 a mini program's appid ("… type是1时必填", "… type是2时必填").
func linkTarget(name string, typ int, url, appID string) error {
	switch {
	case typ == 1 && url == "":
		return fmt.Errorf("%s is type 1 (url) without a url", name)
	case typ == 2 && appID == "":
		return fmt.Errorf("%s is type 2 (mini program) without an appid", name)
	case typ < 0 || typ > 2:
		return fmt.Errorf("%s has type %d", name, typ)
	}
	return nil
}

// uniqueKeys checks that the non-empty keys of a list are distinct and at
// most maxKeyBytes long: a key comes back as the click's EventKey.
func uniqueKeys(list string, n int, key func(int) string) error {
	seen := map[string]bool{}
	for i := range n {
		k := key(i)
		if k == "" {
			continue
		}
		if len(k) > maxKeyBytes {
			return fmt.Errorf("%s[%d].key is %d bytes, at most %d", list, i, len(k), maxKeyBytes)
		}
		if seen[k] {
			return fmt.Errorf("%s[%d].key %q repeats an earlier key", list, i, k)
		}
		seen[k] = true
	}
	return nil
}

// validateSelects checks a multiple_interaction card against the limits of
// doc 101032 (see maxSelects in leaveform.go): 1 to 3 drop-downs with
// distinct question keys, each 1 to 10 options with distinct ids of at most
// 128 bytes, and a submit button with a key.
func (tc TemplateCard) validateSelects() error {
	if len(tc.SelectList) == 0 || len(tc.SelectList) > maxSelects {
		return fmt.Errorf("multiple_interaction needs 1 to %d select_list entries, has %d", maxSelects, len(tc.SelectList))
	}
	keys := map[string]bool{}
	for i, s := range tc.SelectList {
		if s.QuestionKey == "" || len(s.QuestionKey) > maxQuestionKeyBytes || keys[s.QuestionKey] {
			return fmt.Errorf("select_list[%d].question_key %q is empty, too long or repeated", i, s.QuestionKey)
		}
		keys[s.QuestionKey] = true
		if len(s.OptionList) == 0 || len(s.OptionList) > maxSelectOptions {
			return fmt.Errorf("select_list[%d] needs 1 to %d options, has %d", i, maxSelectOptions, len(s.OptionList))
		}
		ids := map[string]bool{}
		for j, o := range s.OptionList {
			if o.ID == "" || len(o.ID) > maxOptionIDBytes || ids[o.ID] || o.Text == "" {
				return fmt.Errorf("select_list[%d].option_list[%d] id %q is empty, too long or repeated, or its text is empty", i, j, o.ID)
			}
			ids[o.ID] = true
		}
	}
	if tc.SubmitButton == nil || tc.SubmitButton.Key == "" || len(tc.SubmitButton.Key) > maxQuestionKeyBytes {
		return fmt.Errorf("multiple_interaction needs a submit_button with a key")
	}
	return nil
}

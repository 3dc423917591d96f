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

// Card limits from the documentation and go-workwx.
const (
	maxTaskIDBytes = 128
	maxButtons     = 6
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
	if tc.MainTitle == nil || (tc.MainTitle.Title == "" && tc.MainTitle.Desc == "") {
		if tc.CardType != CardNewsNotice || tc.ImageTextArea == nil {
			return bad("main_title needs a title or a description")
		}
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

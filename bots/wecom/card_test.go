package wecom

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestTemplateCardFieldRules checks Validate against the field rules of
// 模板卡片消息 (https://developer.work.weixin.qq.com/document/path/90236;
// zsmhub/workweixin apis/发送应用消息-模板卡片消息.go copies them from doc
// 90372): cards WeCom refuses fail here with EINVALID, before a round
// trip, and the documented examples pass.
func TestTemplateCardFieldRules(t *testing.T) {
	button := func(edit func(*TemplateCard)) TemplateCard {
		c := TemplateCard{CardType: CardButtonInteraction, MainTitle: &CardTitle{Title: "打卡"}, TaskID: "task-1",
			ButtonList: []CardButton{{Text: "上班", Style: 1, Key: "punch_in"}, {Text: "下班", Style: 2, Key: "punch_out"}}}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	// The text_notice example of doc 101032 (文本通知模版卡片), trimmed to
	// the parts Validate reads.
	textNotice := func(edit func(*TemplateCard)) TemplateCard {
		c := TemplateCard{CardType: CardTextNotice,
			Source:     &CardSource{IconURL: "https://wework.qpic.cn/wwpic/252813_jOfDHtcISzuodLa_1629280209/0", Desc: "企业微信"},
			MainTitle:  &CardTitle{Title: "欢迎使用企业微信", Desc: "您的好友正在邀请您加入企业微信"},
			ActionMenu: &CardActionMenu{Desc: "消息气泡副交互辅助文本说明", ActionList: []CardMenuAction{{Text: "接收推送", Key: "action_key1"}, {Text: "不再推送", Key: "action_key2"}}},
			TaskID:     "task_id",
			HorizontalContentList: []CardHorizontal{{KeyName: "邀请人", Value: "张三"},
				{Type: 1, KeyName: "企业微信官网", Value: "点击访问", URL: "https://work.weixin.qq.com"},
				{Type: 2, KeyName: "企业微信下载", Value: "企业微信.apk", MediaID: "文件的media_id"},
				{Type: 3, KeyName: "员工信息", Value: "点击查看", UserID: "zhangsan"}},
			JumpList:   []CardJump{{Type: 1, Title: "企业微信官网", URL: "https://work.weixin.qq.com"}, {Type: 2, Title: "跳转小程序", AppID: "小程序的appid", PagePath: "/index.html"}},
			CardAction: &CardAction{Type: 1, URL: "https://work.weixin.qq.com"},
		}
		if edit != nil {
			edit(&c)
		}
		return c
	}
	tests := []struct {
		name    string
		card    TemplateCard
		wantErr string // "" = valid
	}{
		{"documented text_notice", textNotice(nil), ""},
		{"button card", button(nil), ""},
		{"text_notice with only sub_title_text", textNotice(func(c *TemplateCard) { c.MainTitle, c.SubTitleText = nil, "正文" }), ""},
		{"text_notice without card_action (42045)", textNotice(func(c *TemplateCard) { c.CardAction = nil }), "card_action"},
		{"text_notice card_action type 0", textNotice(func(c *TemplateCard) { c.CardAction = &CardAction{Type: 0} }), "card_action"},
		{"card_action url type without url", textNotice(func(c *TemplateCard) { c.CardAction = &CardAction{Type: 1} }), "card_action"},
		{"card_action mini program without appid", textNotice(func(c *TemplateCard) { c.CardAction = &CardAction{Type: 2} }), "card_action"},
		{"news_notice without a picture", TemplateCard{CardType: CardNewsNotice, MainTitle: &CardTitle{Title: "t"}, CardAction: &CardAction{Type: 1, URL: "https://x"}}, "card_image"},
		{"button card with only main_title.desc", button(func(c *TemplateCard) { c.MainTitle = &CardTitle{Desc: "d"} }), "main_title.title or sub_title_text"},
		{"seven horizontal rows", button(func(c *TemplateCard) {
			for range 7 {
				c.HorizontalContentList = append(c.HorizontalContentList, CardHorizontal{KeyName: "k", Value: "v"})
			}
		}), "at most 6"},
		{"horizontal row without keyname", button(func(c *TemplateCard) { c.HorizontalContentList = []CardHorizontal{{Value: "v"}} }), "keyname"},
		{"horizontal url row without url", button(func(c *TemplateCard) {
			c.HorizontalContentList = []CardHorizontal{{Type: 1, KeyName: "地图", Value: "查看"}}
		}), "without a url"},
		{"horizontal member row without userid", button(func(c *TemplateCard) {
			c.HorizontalContentList = []CardHorizontal{{Type: 3, KeyName: "审批人", Value: "x"}}
		}), "userid"},
		{"four jumps", textNotice(func(c *TemplateCard) {
			c.JumpList = append(c.JumpList, CardJump{Title: "a"}, CardJump{Title: "b"})
		}), "at most 3"},
		{"jump without title", textNotice(func(c *TemplateCard) { c.JumpList = []CardJump{{Type: 1, URL: "https://x"}} }), "title"},
		{"four menu actions", textNotice(func(c *TemplateCard) {
			c.ActionMenu.ActionList = append(c.ActionMenu.ActionList, CardMenuAction{Text: "c", Key: "c"}, CardMenuAction{Text: "d", Key: "d"})
		}), "1 to 3 actions"},
		{"empty menu", textNotice(func(c *TemplateCard) { c.ActionMenu.ActionList = nil }), "1 to 3 actions"},
		{"repeated button key", button(func(c *TemplateCard) { c.ButtonList[1].Key = "punch_in" }), "repeats"},
		{"1025-byte button key", button(func(c *TemplateCard) { c.ButtonList[0].Key = strings.Repeat("k", 1025) }), "at most 1024"},
		{"1024-byte button key", button(func(c *TemplateCard) { c.ButtonList[0].Key = strings.Repeat("k", 1024) }), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.card.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("Validate() = nil, want an error about %q", tt.wantErr)
			case tt.wantErr != "" && (core.ErrorCode(err) != core.EINVALID || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v (code %q), want EINVALID about %q", err, core.ErrorCode(err), tt.wantErr)
			}
		})
	}
}

// TestUpdateRefusedForEveryMemberIsInvalid: update_template_card answers
// errcode 0 and lists the members whose card it did not change in
// invaliduser (doc 94888, 返回结果; a string or an array, see
// TestInvalidUserAsStringOrArray). When that is every member named nothing
// was updated, and the caller must hear EINVALID so it sends its message
// instead; a partial refusal still counts as done.
func TestUpdateRefusedForEveryMemberIsInvalid(t *testing.T) {
	tests := []struct {
		name, invalid string
		users         []string
		wantCode      string
	}{
		{"the one member refused", `"zhangsan"`, []string{"zhangsan"}, core.EINVALID},
		{"the one member refused, array form", `["zhangsan"]`, []string{"zhangsan"}, core.EINVALID},
		{"one of two refused", `"lisi"`, []string{"zhangsan", "lisi"}, ""},
		{"nobody refused", `""`, []string{"zhangsan"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/cgi-bin/gettoken" {
					_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","access_token":"tok","expires_in":7200}`)
					return
				}
				_, _ = io.WriteString(w, `{"errcode":0,"errmsg":"ok","invaliduser":`+tt.invalid+`}`)
			}))
			defer srv.Close()
			c := NewClient(ClientConfig{APIURL: srv.URL, CorpID: "ww1", Secret: "s", AgentID: 1000002, HTTPClient: srv.Client()})
			err := c.UpdateTemplateCard(context.Background(), TemplateCardUpdate{UserIDs: tt.users, ResponseCode: "rc1", Button: &ReplaceButton{ReplaceName: "已处理"}})
			if got := core.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("UpdateTemplateCard error = %v (code %q), want %q", err, got, tt.wantCode)
			}
		})
	}
}

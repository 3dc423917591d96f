package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/slack-go/slack/slacktest"

	punchslack "github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

// shortcutPayload is a global shortcut as Slack sends it
// (https://api.slack.com/reference/interaction-payloads/shortcuts): a
// trigger_id, the user with their own team, the workspace, and no channel,
// text or locale.
func shortcutPayload(team, userTeam, user, trigger string) string {
	return fmt.Sprintf(`{"type":"shortcut","token":"legacy","action_ts":"1772412901.000300","team":{"id":%q,"domain":"acme"},"user":{"id":%q,"username":"x","team_id":%q},"callback_id":%q,"trigger_id":%q}`,
		team, user, userTeam, punchslack.ShortcutLeave, trigger)
}

// viewJSON is the view of the newest views.open the fake Slack received,
// as the JSON it got.
func viewJSON(t *testing.T, opens []call) (map[string]any, string) {
	t.Helper()
	if len(opens) == 0 {
		t.Fatal("views.open was not called")
	}
	view, ok := opens[len(opens)-1].JSON["view"].(map[string]any)
	if !ok {
		t.Fatalf("views.open without a view: %+v", opens[len(opens)-1].JSON)
	}
	raw, _ := json.Marshal(view)
	return view, string(raw)
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// leaveFormWords are every text of the leave form a person reads: title,
// buttons, labels, hints, placeholders and options.
var leaveFormWords = map[string][]string{
	"zh": {`"title":{"emoji":true,"text":"请假 / 出差 / 外出"`, `"submit":{"emoji":true,"text":"提交"`, `"close":{"emoji":true,"text":"取消"`,
		`"text":"申请"`, `"text":"请选择"`, `"text":"请假"`, `"text":"出差"`, `"text":"外出"`, `"text":"假期类型（请假时）"`,
		`"text":"例如：年假、病假、事假"`, `"text":"不填为公司的第一种假期类型"`, `"text":"开始日期"`, `"text":"结束日期"`, `"text":"不填为同一天"`,
		`"text":"开始时间"`, `"text":"不填为全天"`, `"text":"结束时间"`, `"text":"地点（出差、外出）"`, `"text":"例如：上海"`, `"text":"事由"`},
	"en": {`"title":{"emoji":true,"text":"Leave, trip, outing"`, `"submit":{"emoji":true,"text":"Submit"`, `"close":{"emoji":true,"text":"Cancel"`,
		`"text":"Request"`, `"text":"Choose"`, `"text":"Leave"`, `"text":"Business trip"`, `"text":"Outing"`, `"text":"Leave type (for leave)"`,
		`"text":"for example: annual, sick, personal"`, `"text":"empty: your organisation's first leave type"`, `"text":"From"`, `"text":"To"`,
		`"text":"empty: the same day"`, `"text":"Start time"`, `"text":"empty: the whole day"`, `"text":"End time"`, `"text":"Place (trip, outing)"`,
		`"text":"for example: Shanghai"`, `"text":"Reason"`},
}

// TestLeaveShortcutSpeaksTheEmployeesLanguage: the global shortcut carries
// no language, so the form comes in the language the organisation file
// gives the employee behind the Slack account, as does a refusal shown in
// it; someone not registered is told so in both languages, and no command
// reaches the core either way.
func TestLeaveShortcutSpeaksTheEmployeesLanguage(t *testing.T) {
	tests := []struct {
		name           string
		team, userTeam string
		user           string
		wantLang       string // "" for the not-registered notice
		// A refusal of the submitted form, in that language, next to
		// the input block wantBlock.
		wantBlock, wantRefusal string
	}{
		{"English employee", "T1", "T1", "U1", "en", "leave_kind", "❌ Leave request not filed: there is no such leave type"},
		{"Chinese employee", "T1", "T1", "U2", "zh", "leave_kind", "没有这种假期类型"},
		{"Chinese employee in a channel shared from another workspace", "T9", "T1", "U2", "zh", "leave_kind", "没有这种假期类型"},
		{"inactive Chinese employee: the form, then the core's refusal", "T1", "T1", "U4", "zh", "leave_reason", "你的账号已停用"},
		{"unknown user", "T1", "T1", "U9", "", "", ""},
		{"known user id in another workspace", "T2", "T2", "U1", "", "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MustMakeupEnv(t, func(o *core.Org) {
				o.LeaveTypes = []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 10, Paid: true}}
				o.Employees = append(o.Employees, core.Employee{ID: "e2", Name: "李雷", Lang: "zh", Active: true, ScheduleID: "std", SiteIDs: []string{"hq"}, ManagerID: "m1",
					Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U2"}}},
					core.Employee{ID: "e4", Name: "王五", Lang: "zh", Active: false, ScheduleID: "std", ManagerID: "m1",
						Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U4"}}})
			})
			trigger := "12.34.sc" + strconv.Itoa(i)
			code, body := e.interact(shortcutPayload(tt.team, tt.userTeam, tt.user, trigger))
			if code != http.StatusOK || body != "" {
				t.Fatalf("shortcut = %d %q, want an empty 200 (the view opens)", code, body)
			}
			opens := e.slack.Calls("views.open")
			if len(opens) != 1 || opens[0].JSON["trigger_id"] != trigger {
				t.Fatalf("views.open = %+v, want one call with trigger_id %s", opens, trigger)
			}
			view, raw := viewJSON(t, opens)
			if e.coreCalls() != 0 {
				t.Errorf("opening the view ran %d core commands, want 0", e.coreCalls())
			}
			if tt.wantLang == "" {
				for _, want := range []string{"你的账号还没有登记到 punchbot，请联系 HR", "Your account is not registered with punchbot yet. Please ask HR", `"close":{"emoji":true,"text":"关闭 / Close"`} {
					if !strings.Contains(raw, want) {
						t.Errorf("notice lacks %s: %s", want, raw)
					}
				}
				if view["submit"] != nil || view["callback_id"] == punchslack.ViewLeaveRequest || strings.Contains(raw, `"type":"input"`) {
					t.Errorf("an unregistered user got a form: %s", raw)
				}
				return
			}
			if view["callback_id"] != punchslack.ViewLeaveRequest || view["private_metadata"] != tt.wantLang {
				t.Errorf("form callback_id %v, private_metadata %v; want %s, %s", view["callback_id"], view["private_metadata"], punchslack.ViewLeaveRequest, tt.wantLang)
			}
			for _, want := range leaveFormWords[tt.wantLang] {
				if !strings.Contains(raw, want) {
					t.Errorf("%s form lacks %s: %s", tt.wantLang, want, raw)
				}
			}
			other := map[string]string{"zh": "en", "en": "zh"}[tt.wantLang]
			for _, unwanted := range leaveFormWords[other] {
				if strings.Contains(raw, unwanted) {
					t.Errorf("%s form has the %s text %s", tt.wantLang, other, unwanted)
				}
			}
			if tt.wantLang == "en" && hasHan(raw) {
				t.Errorf("English form has Chinese text: %s", raw)
			}

			// Slack echoes private_metadata in the submission; a refusal
			// comes in the same language.
			values := map[string]map[string]any{
				"leave_type": {"value": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "leave"}}},
				"leave_kind": {"value": map[string]any{"type": "plain_text_input", "value": "holiday"}},
				"leave_from": {"value": map[string]any{"type": "datepicker", "selected_date": "2026-03-03"}},
			}
			sub := viewSubmission(tt.user, "VSC"+strconv.Itoa(i), punchslack.ViewLeaveRequest, view["private_metadata"].(string), values)
			sub = strings.Replace(sub, `"team":{"domain":"acme","id":"T1"}`, `"team":{"domain":"acme","id":"`+tt.team+`"}`, 1)
			sub = strings.Replace(sub, `"team_id":"T1"`, `"team_id":"`+tt.userTeam+`"`, 1)
			code, body = e.interact(sub)
			var resp struct {
				Action string            `json:"response_action"`
				Errors map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &resp); err != nil || code != http.StatusOK || resp.Action != "errors" {
				t.Fatalf("submission = %d %s (%v), want response_action errors", code, body, err)
			}
			got := resp.Errors[tt.wantBlock]
			if !strings.Contains(got, tt.wantRefusal) || (tt.wantLang == "en") == hasHan(got) {
				t.Errorf("refusal next to %s = %q (all: %v), want %q in %s", tt.wantBlock, got, resp.Errors, tt.wantRefusal, tt.wantLang)
			}
		})
	}
}

// directoryFunc is a Directory for the cases the real core cannot produce.
type directoryFunc func(context.Context, core.Identity) (core.Whois, error)

func (f directoryFunc) Whois(ctx context.Context, id core.Identity) (core.Whois, error) {
	return f(ctx, id)
}

// TestLeaveShortcutWithoutADirectory: when the language cannot be looked
// up (no directory wired, or it fails) the form still opens, in Chinese;
// a malformed identity or a payload without a user opens nothing.
func TestLeaveShortcutWithoutADirectory(t *testing.T) {
	unavailable := directoryFunc(func(context.Context, core.Identity) (core.Whois, error) {
		return core.Whois{}, core.Errorf(core.EUNAVAILABLE, "the database is down")
	})
	invalid := directoryFunc(func(context.Context, core.Identity) (core.Whois, error) {
		return core.Whois{}, core.Errorf(core.EINVALID, "the identity's id is too long")
	})
	english := directoryFunc(func(_ context.Context, id core.Identity) (core.Whois, error) {
		if id != (core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: "U1"}) {
			return core.Whois{}, core.Errorf(core.ENOTFOUND, "asked about %+v", id)
		}
		return core.Whois{EmployeeID: "e1", Lang: "en", Active: true}, nil
	})
	tests := []struct {
		name     string
		dir      punchslack.Directory // nil: none
		payload  string
		wantCode int
		wantMeta string // the form's language; "" for no views.open
	}{
		{"no directory", nil, shortcutPayload("T1", "T1", "U1", "1.2.a"), http.StatusOK, "zh"},
		{"the directory fails", unavailable, shortcutPayload("T1", "T1", "U1", "1.2.b"), http.StatusOK, "zh"},
		{"a directory given in Deps", english, shortcutPayload("T1", "T1", "U1", "1.2.c"), http.StatusOK, "en"},
		{"malformed identity", invalid, shortcutPayload("T1", "T1", "U1", "1.2.d"), http.StatusBadRequest, ""},
		{"no user", english, shortcutPayload("T1", "T1", "", "1.2.e"), http.StatusBadRequest, ""},
		{"no trigger_id", english, shortcutPayload("T1", "T1", "U1", ""), http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			fake := slacktest.NewTestServer(func(c slacktest.Customize) { c.Handle("/views.open", rec.jsonHandler("views.open")) })
			fake.Start()
			t.Cleanup(fake.Stop)
			deps := punchslack.Deps{Core: coreFunc(func(context.Context, core.Command) (core.Reply, error) {
				t.Error("the shortcut ran a core command")
				return core.Reply{}, nil
			}), Links: noLinks{}, Log: slog.New(slog.DiscardHandler)}
			if tt.dir != nil {
				deps.Directory = tt.dir
			}
			bot, err := punchslack.New(punchslack.Config{SigningSecret: "s", BotToken: "xoxb-test", APIURL: fake.GetAPIURL()}, deps)
			if err != nil {
				t.Fatal(err)
			}
			mux := http.NewServeMux()
			bot.Register(mux)
			body := interactionBody(tt.payload)
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req := httptest.NewRequest(http.MethodPost, "/slack/interactions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", punchslack.Sign("s", ts, []byte(body)))
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			if w.Code != tt.wantCode {
				t.Errorf("shortcut = %d, want %d", w.Code, tt.wantCode)
			}
			opens := rec.Calls("views.open")
			if tt.wantMeta == "" {
				if len(opens) != 0 {
					t.Errorf("views.open = %+v, want none", opens)
				}
				return
			}
			view, raw := viewJSON(t, opens)
			if view["callback_id"] != punchslack.ViewLeaveRequest || view["private_metadata"] != tt.wantMeta || !strings.Contains(raw, leaveFormWords[tt.wantMeta][0]) {
				t.Errorf("form = %s, want the %s leave form", raw, tt.wantMeta)
			}
		})
	}
}

package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/bots/slack"
	"github.com/punchbot/punchbot/core"
)

func (s *Slack) trigger(user string) string {
	id := s.run + "." + strconv.FormatInt(s.hub.nextID(), 10)
	s.mu.Lock()
	s.triggers[id] = slackTrigger{user: user, issued: s.hub.now()}
	s.mu.Unlock()
	return id
}

// Say runs "/punch text" as user (PLATFORMS.md §9.1); the command's
// immediate answer is an ephemeral message.
func (s *Slack) Say(ctx context.Context, user, text string) error {
	text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "/punch"))
	s.hub.add(core.PlatformSlack, user, &Entry{ID: "u" + s.ts(), From: FromUser, Kind: KindText, Text: strings.TrimSpace("/punch " + text), Via: "slash command"})
	respURL := s.newResponseURL(user, "")
	form := url.Values{"token": {"legacy-verification-token"}, "team_id": {s.cfg.TeamID}, "team_domain": {"demo"},
		"channel_id": {"D" + user}, "channel_name": {"directmessage"}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {"/punch"}, "text": {text}, "response_url": {respURL}, "trigger_id": {s.trigger(user)}, "api_app_id": {"ASIM"}}
	out, err := s.deliver(ctx, "/slack/commands", []byte(form.Encode()))
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return err
	}
	var args map[string]any
	if err := json.Unmarshal(out, &args); err != nil {
		// A plain-text answer is shown as it is.
		args = map[string]any{"text": string(out)}
	}
	e, _ := s.message("slash command response", docSlackPost, args)
	e.ID, e.Ephemeral = s.ts(), str(args, "response_type") != "in_channel"
	s.hub.add(core.PlatformSlack, user, &e)
	s.bind(respURL, e.ID)
	return nil
}

// Share punches through the location page, the way a Slack user does
// (Slack has no location message, PLATFORMS.md §10): the browser posts the
// position to the link in the bot's latest message, running /punch first
// when there is none.
func (s *Slack) Share(ctx context.Context, user string, loc Location) error {
	link := s.latestLink(user)
	if link == "" {
		if err := s.Say(ctx, user, ""); err != nil {
			return err
		}
		if link = s.latestLink(user); link == "" {
			return core.Errorf(core.ENOTFOUND, "the bot sent no location link to %s", user)
		}
	}
	s.hub.add(core.PlatformSlack, user, &Entry{ID: "u" + s.ts(), From: FromUser, Kind: KindLocation, Text: loc.describe(loc.Lat, loc.Lng, "browser, as reported"), Via: "location page"})
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	acc := loc.AccuracyM
	if acc == 0 {
		acc = 12
	}
	form := url.Values{"lat": {strconv.FormatFloat(loc.Lat, 'f', 6, 64)}, "lng": {strconv.FormatFloat(loc.Lng, 'f', 6, 64)}, "accuracy": {strconv.FormatFloat(acc, 'f', 0, 64)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target()+u.Path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var res struct {
		Headline string `json:"headline"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res)
	if res.Headline != "" {
		s.hub.add(core.PlatformSlack, user, &Entry{ID: "page" + s.ts(), From: FromBot, Kind: KindToast, Text: "🌐 " + res.Headline, Via: "location page"})
	}
	return nil
}

// latestLink is the location-page URL of the newest message with one.
func (s *Slack) latestLink(user string) string {
	es := s.hub.Conversation(core.PlatformSlack, user)
	for i := len(es) - 1; i >= 0; i-- {
		if c := es[i].Card; c != nil {
			for _, b := range c.Buttons {
				if strings.Contains(b.URL, "/l/") {
					return b.URL
				}
			}
		}
	}
	return ""
}

// Press clicks button i of message id as user: block_actions
// (PLATFORMS.md §9.2) with the button's action_id, block_id and value, a
// trigger_id for a modal and a response_url bound to the message. A modal's
// submit button sends view_submission instead.
func (s *Slack) Press(ctx context.Context, user, id string, i int) (string, error) {
	e, ok := s.hub.find(core.PlatformSlack, user, id)
	if !ok || e.Card == nil || i < 0 || i >= len(e.Card.Buttons) {
		return "", core.Errorf(core.ENOTFOUND, "no button %d on message %s", i, id)
	}
	b := e.Card.Buttons[i]
	team := map[string]any{"id": s.cfg.TeamID, "domain": "demo"}
	who := map[string]any{"id": user, "username": strings.ToLower(user), "name": strings.ToLower(user), "team_id": s.cfg.TeamID}
	if v, isView := b.payload.(slackView); isView {
		payload := map[string]any{"type": "view_submission", "team": team, "user": who, "api_app_id": "ASIM", "trigger_id": s.trigger(user),
			"view": map[string]any{"id": v.ID, "type": "modal", "callback_id": v.CallbackID, "private_metadata": v.PrivateMetadata,
				"title": map[string]any{"type": "plain_text", "text": v.Title}, "state": map[string]any{"values": map[string]any{}}}}
		out, err := s.interact(ctx, payload)
		if err != nil {
			return "", err
		}
		var res map[string]any
		_ = json.Unmarshal(out, &res)
		if str(res, "response_action") == "errors" {
			var msgs []string
			if m, ok := res["errors"].(map[string]any); ok {
				for _, v := range m {
					msgs = append(msgs, fmt.Sprint(v))
				}
			}
			s.hub.add(core.PlatformSlack, user, &Entry{ID: "err" + s.ts(), From: FromBot, Kind: KindToast, Ephemeral: true, Text: strings.Join(msgs, "; "), Via: "view_submission errors"})
			return "", nil
		}
		s.hub.update(core.PlatformSlack, user, id, func(old *Entry) {
			cp := *old.Card
			cp.Done = "✓"
			if view, ok := res["view"].(map[string]any); ok {
				cp = *slackCard(list(view, "blocks"))
				cp.Type, cp.Title = "modal", str(view, "title", "text")
			}
			old.Card = &cp
		})
		return "", nil
	}
	a, _ := b.payload.(slackAction)
	payload := map[string]any{"type": "block_actions", "team": team, "user": who, "api_app_id": "ASIM", "token": "legacy-verification-token",
		"trigger_id": s.trigger(user), "response_url": s.newResponseURL(user, id),
		"container": map[string]any{"type": "message", "message_ts": id, "channel_id": "D" + user, "is_ephemeral": e.Ephemeral},
		"channel":   map[string]any{"id": "D" + user, "name": "directmessage"},
		"message":   map[string]any{"type": "message", "user": "USIMBOT", "ts": id, "text": e.Text},
		"actions": []any{map[string]any{"action_id": a.ActionID, "block_id": a.BlockID, "type": "button", "value": a.Value,
			"text": map[string]any{"type": "plain_text", "text": a.Text}, "action_ts": s.ts()}},
		"state": map[string]any{"values": map[string]any{}}}
	if _, err := s.interact(ctx, payload); err != nil {
		return "", err
	}
	return b.URL, nil
}

func (s *Slack) interact(ctx context.Context, payload map[string]any) ([]byte, error) {
	buf, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return s.deliver(ctx, "/slack/interactions", []byte(url.Values{"payload": {string(buf)}}.Encode()))
}

// deliver signs a request the Slack way (PLATFORMS.md §8, v0 HMAC-SHA256
// over "v0:" + timestamp + ":" + body) and posts it.
func (s *Slack) deliver(ctx context.Context, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target()+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(s.hub.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(s.cfg.SigningSecret, ts, body))
	return callBot(s.http, req, "the Slack request")
}

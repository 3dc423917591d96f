package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// scriptSender answers every send with err until err is set to nil.
type scriptSender struct {
	mu    sync.Mutex
	err   error
	calls int
}

func (s *scriptSender) Send(context.Context, core.OutboxMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return s.err
}

func (s *scriptSender) set(err error) { s.mu.Lock(); s.err = err; s.mu.Unlock() }

// TestOutboxHoldsConfigErrors: a message refused for a set-up problem stays
// queued without spending attempts, is not tried again before ConfigRetry,
// is logged once per (platform, reason), and is delivered once the set-up
// is fixed, however long that took.
func TestOutboxHoldsConfigErrors(t *testing.T) {
	clock := &testClock{}
	at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	clock.Set(at)
	store := coretest.NewMemStore()
	for range 2 {
		if err := store.InTx(context.Background(), func(tx core.Tx) error {
			return tx.EnqueueOutbox(context.Background(), core.OutboxMessage{Platform: core.PlatformSlack, Route: `{"channel":"U1"}`, Kind: "reply",
				Payload: json.RawMessage(`{}`), CreatedAt: at, NextAttempt: at})
		}); err != nil {
			t.Fatal(err)
		}
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfgErrs := core.NewConfigErrors(clock.Now, log)
	sender := &scriptSender{err: core.ConfigError("missing_scope", "add the bot scope im:write", errors.New("slack: missing_scope"))}
	var statuses []string
	w := &core.OutboxWorker{Store: store, Senders: map[core.Platform]core.Sender{core.PlatformSlack: sender}, Now: clock.Now, Log: log,
		MaxAttempts: 2, Config: cfgErrs, OnResult: func(_ core.Platform, st string) { statuses = append(statuses, st) }}
	run := func() {
		t.Helper()
		if _, err := w.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	// Far more rounds than MaxAttempts, a minute apart, plus tight rounds in
	// between that must not call the platform.
	for i := range 10 {
		run()
		run()
		if got, want := sender.calls, 2*(i+1); got != want {
			t.Fatalf("round %d: %d sends, want %d (one per message per ConfigRetry)", i, got, want)
		}
		clock.Set(clock.Now().Add(core.DefaultConfigRetry))
	}
	for _, m := range store.Outbox() {
		if m.Status != core.OutboxPending || m.Attempts != 0 {
			t.Errorf("message %d: status %s, %d attempts; want pending with no attempt spent", m.ID, m.Status, m.Attempts)
		}
		if !strings.Contains(m.LastError, "missing_scope") {
			t.Errorf("message %d: last error %q, want the platform's refusal", m.ID, m.LastError)
		}
	}
	if n := strings.Count(logs.String(), "platform configuration error"); n != 1 {
		t.Errorf("%d WARN lines about the configuration error, want 1:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "outbox send failed") {
		t.Errorf("per-message WARN lines for a configuration error:\n%s", logs.String())
	}
	if len(statuses) == 0 || statuses[0] != "config_error" {
		t.Errorf("OnResult statuses = %v, want config_error", statuses)
	}
	problems := cfgErrs.Problems()
	if len(problems) != 1 || problems[0].Platform != core.PlatformSlack || problems[0].Reason != "missing_scope" ||
		problems[0].Fix != "add the bot scope im:write" || problems[0].Count != 20 {
		t.Errorf("problems = %+v, want one slack missing_scope seen 20 times", problems)
	}

	sender.set(nil) // an operator added the scope
	run()
	for _, m := range store.Outbox() {
		if m.Status != core.OutboxSent {
			t.Errorf("message %d after the fix: %s, want sent", m.ID, m.Status)
		}
	}
	// Not seen for longer than the TTL, the problem is no longer reported.
	clock.Set(clock.Now().Add(core.DefaultConfigProblemTTL + time.Second))
	if p := cfgErrs.Problems(); len(p) != 0 {
		t.Errorf("problems after the fix = %+v, want none", p)
	}
}

// TestConfigErrorsRecord: only ECONFIG errors count; each (platform,
// reason) is its own problem and is logged once, again after it lapsed.
func TestConfigErrorsRecord(t *testing.T) {
	clock := &testClock{}
	clock.Set(time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC))
	var logs bytes.Buffer
	c := core.NewConfigErrors(clock.Now, slog.New(slog.NewTextHandler(&logs, nil)))
	tests := []struct {
		platform core.Platform
		err      error
		want     bool
	}{
		{core.PlatformSlack, core.Errorf(core.EUNAVAILABLE, "slack down"), false},
		{core.PlatformSlack, core.Errorf(core.EINVALID, "bad blocks"), false},
		{core.PlatformSlack, nil, false},
		{core.PlatformSlack, core.ConfigError("missing_scope", "add im:write", nil), true},
		{core.PlatformSlack, core.ConfigError("missing_scope", "add im:write", nil), true},
		{core.PlatformWeCom, core.ConfigError("60020", "add the IP", nil), true},
		{core.PlatformFeishu, core.WrapError(core.EUNAVAILABLE, core.ConfigError("99991672", "grant it", nil), "wrapped"), false},
	}
	for _, tt := range tests {
		if got := c.Record(tt.platform, tt.err); got != tt.want {
			t.Errorf("Record(%s, %v) = %v, want %v", tt.platform, tt.err, got, tt.want)
		}
	}
	got := c.Problems()
	if len(got) != 2 || got[0].Platform != core.PlatformSlack || got[0].Count != 2 || got[1].Reason != "60020" {
		t.Errorf("problems = %+v, want slack missing_scope ×2 and wecom 60020", got)
	}
	if n := strings.Count(logs.String(), "level=WARN"); n != 2 {
		t.Errorf("%d WARN lines, want one per (platform, reason):\n%s", n, logs.String())
	}
	clock.Set(clock.Now().Add(core.DefaultConfigProblemTTL + time.Minute))
	c.Record(core.PlatformSlack, core.ConfigError("missing_scope", "add im:write", nil))
	if n := strings.Count(logs.String(), "level=WARN"); n != 3 {
		t.Errorf("%d WARN lines, want the lapsed problem logged again on its return", n)
	}
}

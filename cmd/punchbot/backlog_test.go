package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

func TestOutboxBacklogGauge(t *testing.T) {
	store := coretest.NewMemStore()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	queued := map[core.Platform]int{core.PlatformFeishu: 3, core.PlatformSlack: 1}
	err := store.InTx(context.Background(), func(tx core.Tx) error {
		for p, n := range queued {
			for i := range n {
				m := core.OutboxMessage{Platform: p, Route: "{}", Kind: "reply", Payload: json.RawMessage(`{}`), DedupeKey: string(p) + string(rune('a'+i)), NextAttempt: at, CreatedAt: at}
				if err := tx.EnqueueOutbox(context.Background(), m); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	newMetrics(store).handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`punchbot_outbox_backlog{platform="feishu"} 3`,
		`punchbot_outbox_backlog{platform="slack"} 1`,
		`punchbot_outbox_backlog{platform="wecom"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

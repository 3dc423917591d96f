package feishu

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// killed is the panic that stands for the process dying: nothing after it
// runs, no answer is written, and whatever was not committed is gone.
type killed struct{ where string }

var errDiedBeforeCommit = errors.New("test: the process died before COMMIT")

// crashingStore is the in-memory store the harness's core writes through.
// Armed, its next transaction does all of its work and then the process
// "dies" just before COMMIT: the writes are rolled back and the handler
// goes no further, as after a kill -9 at that instant.
type crashingStore struct {
	*coretest.MemStore
	armed atomic.Bool
}

func (s *crashingStore) InTx(ctx context.Context, fn func(core.Tx) error) error {
	if !s.armed.CompareAndSwap(true, false) {
		return s.MemStore.InTx(ctx, fn)
	}
	_ = s.MemStore.InTx(ctx, func(tx core.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errDiedBeforeCommit
	})
	panic(killed{"in the transaction, before COMMIT"})
}

// dyingCore dies on its first call, after the bot has done everything it
// does before it hands the command to the core.
type dyingCore struct {
	died atomic.Bool
	next bots.Core
}

func (c *dyingCore) Handle(ctx context.Context, cmd core.Command) (core.Reply, error) {
	if c.died.CompareAndSwap(false, true) {
		panic(killed{"at the core call"})
	}
	return c.next.Handle(ctx, cmd)
}

// postDying delivers a callback that is expected to kill the handler, and
// reports whether it did. An answer written before the death would have
// reached Feishu, so it fails the test.
func (h *harness) postDying(payload any) (where string) {
	h.tb.Helper()
	defer func() {
		r := recover()
		k, ok := r.(killed)
		if r != nil && !ok {
			panic(r)
		}
		where = k.where
	}()
	rec := h.post(payload, delivery{})
	h.tb.Fatalf("the delivery was not killed: answered %d %s", rec.Code, rec.Body)
	return ""
}

// TestRetryAfterADeathBeforeCommitIsStored kills the handler between
// receipt and commit, at the core boundary and inside the transaction, for
// each kind of callback that commits something, and shows that Feishu's
// retry of the same event is stored and answered 200. Any "already handled"
// mark taken before the commit (the Redis fast path this bot used to have)
// would answer the retry as a duplicate and lose the punch.
func TestRetryAfterADeathBeforeCommitIsStored(t *testing.T) {
	location := func(h *harness) map[string]any {
		lat, lng := gcj(0, 0)
		return h.event(msgEvent{eventID: "ev-loc", openID: aliceOpenID, msgType: "location", content: locContent("office", lat, lng)})
	}
	onePunch := func(t *testing.T, h *harness, delivery int) {
		if got, gotOut := len(h.punches()), len(h.store.Outbox()); got != 1 || gotOut != 1 {
			t.Errorf("after delivery %d: %d punches, %d replies queued; want 1 and 1", delivery, got, gotOut)
		}
	}
	for _, tc := range []struct {
		name string
		// setup prepares the fixture and returns the event that is killed.
		setup func(t *testing.T, h *harness) map[string]any
		check func(t *testing.T, h *harness, delivery int)
	}{
		{"location punch", func(t *testing.T, h *harness) map[string]any { return location(h) }, onePunch},
		{"text punch intent, then the location", func(t *testing.T, h *harness) map[string]any {
			// The intent is session state the core keeps; the death comes
			// with the location that uses it. At 08:58 a bare location would
			// be a punch in, so a lost intent shows.
			h.mustText(aliceOpenID, "下班")
			return location(h)
		}, func(t *testing.T, h *harness, delivery int) {
			ps := h.punches()
			if len(ps) != 1 || ps[0].Kind != core.KindOut {
				t.Errorf("after delivery %d: punches %+v, want one punch out", delivery, ps)
			}
		}},
		{"make-up reason after a notice button", func(t *testing.T, h *harness) map[string]any {
			slot := bots.NoticeSlot{Date: "2026-11-24", Clock: "09:00", Kind: core.KindIn, Owner: aliceOpenID, Lang: "zh"}
			value := map[string]any{"action": ActionNoticeMakeup, "slot": slot.Encode()}
			if r := h.mustClick(h.cardAction("ev-click", aliceOpenID, "om_notice", value)); r.Toast.Type != "info" {
				t.Fatalf("click toast = %+v", r.Toast)
			}
			return h.event(msgEvent{eventID: "ev-reason", openID: aliceOpenID, msgType: "text", content: textContent("地铁故障")})
		}, func(t *testing.T, h *harness, delivery int) {
			if n := h.audits("makeup.requested"); n != 1 {
				t.Errorf("after delivery %d: %d make-up requests, want 1", delivery, n)
			}
			actor := core.Identity{Platform: core.PlatformFeishu, Tenant: testTenant, UserID: aliceOpenID}
			if _, ok, err := bots.PendingNoticeSlot(context.Background(), h.kv, actor); ok || err != nil {
				t.Errorf("after delivery %d: slot still pending (ok=%v err=%v)", delivery, ok, err)
			}
		}},
		{"approval card button", func(t *testing.T, h *harness) map[string]any {
			h.mustText(aliceOpenID, "补卡 11-24 09:00 上班 地铁故障")
			h.runOutbox()
			var id any
			for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
				if c.Body["receive_id"] == managerOpenID {
					_, buttons := cardText(t, sentContent(t, c))
					id = buttons[0]["value"].(map[string]any)["id"]
				}
			}
			if id == nil {
				t.Fatal("no approval card was sent")
			}
			return h.cardAction("ev-approve", managerOpenID, "om_card", map[string]any{"action": ActionMakeupApprove, "id": id})
		}, func(t *testing.T, h *harness, delivery int) {
			ps := h.punches()
			if len(ps) != 1 || ps[0].Source != core.SourceMakeup || h.audits("makeup.approved") != 1 {
				t.Errorf("after delivery %d: punches %+v, %d approvals; want one make-up punch, 1 approval", delivery, ps, h.audits("makeup.approved"))
			}
		}},
	} {
		for _, death := range []string{"at the core call", "in the transaction, before COMMIT"} {
			t.Run(tc.name+"/"+death, func(t *testing.T) {
				var dying *dyingCore
				h := MustMakeupHarness(t, func(_ *Config, d *Deps) {
					dying = &dyingCore{next: d.Core}
					d.Core = dying
				})
				dying.died.Store(true) // the fixture's own calls go through
				ev := tc.setup(t, h)
				if death == "at the core call" {
					dying.died.Store(false)
				} else {
					h.crash.armed.Store(true)
				}
				if got := h.postDying(ev); got != death {
					t.Fatalf("died %q, want %q", got, death)
				}
				h.clock.Add(5 * time.Second) // Feishu retries a few seconds later
				for n := 2; n <= 3; n++ {
					rec := h.post(ev, delivery{})
					if rec.Code != http.StatusOK {
						t.Fatalf("delivery %d: status %d (%s), want 200", n, rec.Code, rec.Body)
					}
					tc.check(t, h, n)
				}
			})
		}
	}
}

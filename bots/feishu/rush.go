package feishu

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
	"time"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Confirmations in a rush. An app may send 1000 messages a minute and 50 a
// second (docs "频控策略"; the default bucket sends 15 a second), and every
// punch's confirmation is one of them. A company of 100,000 punching in
// within 15 minutes would wait up to 110 minutes for its last confirmation.
// So when more confirmations wait in one claim than the bucket can pay for
// at once (the outbox worker says how many calls it holds: see
// core.BudgetGrouper), those that read the same once the site and the
// distance are left off
// (the outcome, the minute and the line, late minutes included) go out
// together through message/v4/batch_send, up to 200 people per call, which
// costs one call of the same limit (docs "批量发送消息": 1000/min, 50/s).
// Such a card arrives in the person's chat with the bot rather than as a
// reply to their location message, which batch_send cannot make. A
// confirmation with no twin in the claim goes alone, as a reply with its
// site and distance, as it does outside a rush.
//
// The bucket, not the claim's size alone, decides, because the worker
// claims its next round while the current one is sent: at 100 punches a
// second the claims stay small, went one by one while the bucket ran dry,
// and confirmations queued behind it for seconds ("punchbot bench webhook
// -platform feishu -rate 100": p50 1.4 s, p99 3.1 s; 0.17 s and 0.20 s
// once twins shared a call as soon as the bucket could not pay for each).
//
// Unlike a reply, batch_send takes no uuid: a crash after the platform
// accepted a call and before the outbox recorded it sends that card again
// once the lease runs out, as for a broadcast.

// rushOff is how long confirmations go one by one after batch_send was
// refused for the app's set-up (im:message:send_multi_users not granted,
// SETUP.md): the refused ones are tried again, alone, after the outbox's
// wait for a set-up error, and the operator sees why.
const rushOff = 10 * time.Minute

// rushReplies is how many confirmations one claim holds before it counts
// as a rush when the worker does not pace Feishu in process (it then says
// nothing of its bucket): the default bucket's burst.
const rushReplies = DefaultNoticeBurst

// rushCard is a confirmation as a card its twins share, and its addressee.
type rushCard struct {
	idType, id string
	msg        Message
}

// asRushCard reads m as a confirmation that may share a batch_send: the
// reply to an accepted punch (or a field punch recorded) in the person's
// own chat with the bot, with nothing on its card that is theirs alone.
func asRushCard(m core.OutboxMessage) (rushCard, bool) {
	if !isReply(m) {
		return rushCard{}, false
	}
	var rt route
	if err := json.Unmarshal([]byte(m.Route), &rt); err != nil || rt.ReceiveID == "" {
		return rushCard{}, false
	}
	switch rt.ReceiveIDType {
	case "open_id", "user_id", "union_id": // what batch_send addresses
	default:
		return rushCard{}, false // a group chat, or an e-mail address
	}
	var r core.Reply
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		return rushCard{}, false
	}
	if r.Outcome != core.OutcomeAccepted && r.Outcome != core.OutcomeField {
		return rushCard{}, false
	}
	if rt.ownMessage(r) {
		return rushCard{}, false // a card of its own (confirm.go, batch.go, withdraw.go)
	}
	lang := bots.Lang(r, rt.Lang)
	return rushCard{idType: rt.ReceiveIDType, id: rt.ReceiveID, msg: Message{MsgType: "interactive", Content: string(punchCardWith(r, lang, true))}}, true
}

// rushKeys maps the ids of msgs' shareable confirmations to their batch
// keys when msgs hold more confirmations than calls, the calls the bucket
// lets go now (negative: unknown, rushReplies), and is empty otherwise or
// while batch_send is off.
func (b *Bot) rushKeys(msgs []core.OutboxMessage, calls int) map[int64]string {
	keys := map[int64]string{}
	if calls < 0 {
		calls = rushReplies
	}
	if b.now().UnixNano() < b.rushOffUntil.Load() || !mayRush(msgs, calls) {
		return keys
	}
	cards := map[int64]rushCard{}
	for _, m := range msgs {
		c, ok := b.drawn.take(m.ID)
		if !ok {
			c, ok = asRushCard(m)
		}
		if ok {
			cards[m.ID] = c
			keys[m.ID] = c.idType + "\x00" + c.msg.Content
		}
	}
	if len(keys) < 2 {
		clear(keys) // nothing to share a call with
		return keys
	}
	b.drawn.put(cards)
	return keys
}

// drawnRushMax bounds the cards drawnRush holds: more than a claim's worth
// (core's outbox worker claims up to 5,000), and cleared whole past it, as
// messages claimed here and sent by another replica are never taken.
const drawnRushMax = 1 << 14

// drawnRush keeps, by outbox message id, the cards rushKeys drew during a
// rush, so that sendRushCards sends them without drawing them again, and a
// claim's confirmations given back untried are not drawn again when next
// claimed. A message's route and payload never change once queued, so its
// id names its card.
type drawnRush struct {
	mu    sync.Mutex
	cards map[int64]rushCard
}

// put remembers cards.
func (d *drawnRush) put(cards map[int64]rushCard) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cards == nil || len(d.cards)+len(cards) > drawnRushMax {
		d.cards = make(map[int64]rushCard, len(cards))
	}
	maps.Copy(d.cards, cards)
}

// take returns and forgets the card drawn for message id.
func (d *drawnRush) take(id int64) (rushCard, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.cards[id]
	delete(d.cards, id)
	return c, ok
}

// isReply reports whether m is a reply to a command, not a reminder
// delivery: the only messages asRushCard may share.
func isReply(m core.OutboxMessage) bool { return m.Kind == core.OutboxReply && m.FiringID == 0 }

// mayRush reports whether msgs hold more replies, which asRushCard might
// share, than calls: outside a rush, the common case, no rush card is drawn
// at all.
func mayRush(msgs []core.OutboxMessage, calls int) bool {
	n := 0
	for _, m := range msgs {
		if isReply(m) {
			n++
		}
	}
	return n > calls
}

// sendRushCards sends one group of twin confirmations made by Group with
// one batch_send.
func (b *Bot) sendRushCards(ctx context.Context, group []core.OutboxMessage) []error {
	errs := make([]error, len(group))
	ids := make([]string, len(group))
	var first rushCard
	for i, m := range group {
		c, ok := b.drawn.take(m.ID)
		if !ok {
			c, ok = asRushCard(m)
		}
		if i == 0 {
			first = c
		}
		if !ok || c.idType != first.idType || c.msg != first.msg {
			for j := range errs {
				errs[j] = core.Errorf(core.EINVALID, "feishu: reply %d does not belong to this batch", m.ID)
			}
			return errs
		}
		ids[i] = c.id
	}
	invalid, err := b.client.BatchSend(ctx, first.idType, ids, first.msg)
	if core.ErrorCode(err) == core.ECONFIG {
		b.rushOffUntil.Store(b.now().Add(rushOff).UnixNano())
		b.log.Warn("feishu: batch_send refused, sending confirmations one by one", "for", rushOff, "err", err)
	}
	return batchErrors(first.idType, ids, invalid, err) // notice.go
}

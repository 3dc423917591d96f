package core

import (
	"context"
	"fmt"
	"strings"
)

// ResendApprovalCards queues the approval card of request id again, as
// filing it did, to its approver's chat account and to every other place a
// card of it is on record, while the request is still pending. It is for
// cards that were sent but can no longer be seen: the demo's platform
// simulators keep their conversations in memory, so a rerun of the demo
// starts with empty chats while the requests still wait in the database.
//
// occasion names the round of resending (the demo passes one per run):
// a card is queued once per request, recipient and occasion, so calling
// this twice for the same occasion sends nothing more, while a later
// occasion sends the card again. The bots record the new card's reference
// when the platform accepts it, replacing the older one, so a click on the
// new card decides the request and the decision updates that card.
//
// It returns how many cards it queued (or found queued already for this
// occasion): none for a request that is no longer pending or whose
// approver cannot be reached on a chat platform.
func (s *Service) ResendApprovalCards(ctx context.Context, id int64, occasion string) (int, error) {
	occasion = strings.TrimSpace(occasion)
	if occasion == "" {
		return 0, Errorf(EINVALID, "resending approval cards needs an occasion, so a retry does not send them twice")
	}
	pre, err := s.peek(ctx, id)
	if err != nil {
		return 0, err
	}
	if pre.Status != MakeupPending {
		return 0, nil
	}
	p, err := s.people(ctx, pre)
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.inTx(ctx, func(tx Tx) error {
		n = 0
		m, err := tx.GetMakeupForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if m.Status != MakeupPending {
			return nil // decided, cancelled or expired since the peek
		}
		mt, err := makeupTx(tx)
		if err != nil {
			return err
		}
		refs, err := mt.CardRefs(ctx, m.ID)
		if err != nil {
			return err
		}
		v, err := s.view(ctx, tx, m, p)
		if err != nil {
			return err
		}
		for _, to := range cardRecipients(p, refs) {
			if to.Requester {
				continue // the requester's copy is no approval card
			}
			key := fmt.Sprintf("makeup_card_again:%d:%s:%s:%s", m.ID, to.Platform, to.UserID, occasion)
			if err := s.enqueue(ctx, tx, to, OutboxMakeupCard, v, key); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

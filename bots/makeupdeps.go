package bots

import "github.com/punchbot/punchbot/core"

// ResolveMakeupCore is the MakeupCore a bot uses: makeups when its Deps
// give one, else c when it implements MakeupCore (*core.Service does),
// else nil. Every platform picks it the same way, so the rule lives here.
func ResolveMakeupCore(makeups MakeupCore, c Core) MakeupCore {
	if makeups != nil {
		return makeups
	}
	if mc, ok := c.(MakeupCore); ok {
		return mc
	}
	return nil
}

// IsMakeupKind reports whether an outbox kind is one of the make-up
// kinds (the approver's card, its update, a handed-over card's edit, the
// requester's result), which
// every bot's Send hands to its make-up delivery.
func IsMakeupKind(kind string) bool {
	return kind == core.OutboxMakeupCard || kind == core.OutboxMakeupUpdate || kind == core.OutboxMakeupResult ||
		kind == core.OutboxMakeupHandedOver
}

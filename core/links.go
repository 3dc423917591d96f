package core

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// CmdLink asks for a signed one-time link to the console ("/punch admin",
// 管理) or to the page of one's own data ("/punch mydata", 我的数据).
// Command.LinkPurpose says which.
const CmdLink CommandKind = "link"

// OutcomeLink answers CmdLink: Reply.Link is the signed URL.
const OutcomeLink Outcome = "link"

// Link purposes.
const (
	LinkConsole = "console" // sign in to the console with one's role
	LinkMyData  = "mydata"  // everything stored about oneself, with an export
	LinkDevice  = "device"  // bind this phone's passkey (绑定设备, device.go)
)

// LinkSigner issues signed, short-lived, single-use links bound to an
// employee; bots/console implements it.
type LinkSigner interface {
	SignLink(ctx context.Context, e Employee, purpose string) (url string, expires time.Time, err error)
}

// SetLinkSigner gives the service what it needs to answer CmdLink. Call it
// while wiring, before the service handles commands; without a signer a
// link command is answered with the help text.
func (s *Service) SetLinkSigner(l LinkSigner) { s.links = l }

// SetDeviceLinkSigner gives the service the signer of enrollment links
// (LinkDevice), which open the passkey page rather than the console.
func (s *Service) SetDeviceLinkSigner(l LinkSigner) { s.deviceLinks = l }

// link answers CmdLink: the link travels like any reply (event record and
// outbox in one transaction) and its issue is audited, because a link is a
// credential.
func (s *Service) link(ctx context.Context, cmd Command, emp Employee, base Reply) (Reply, error) {
	signer := s.links
	switch cmd.LinkPurpose {
	case LinkConsole, LinkMyData:
	case LinkDevice:
		signer = s.deviceLinks
	default:
		return Reply{}, Errorf(EINVALID, "unknown link purpose %q", cmd.LinkPurpose)
	}
	if signer == nil {
		base.Outcome = OutcomeHelp
		return s.commitReply(ctx, cmd, base)
	}
	url, expires, err := signer.SignLink(ctx, emp, cmd.LinkPurpose)
	if err != nil {
		return Reply{}, err
	}
	reply := base
	reply.Outcome, reply.At = OutcomeLink, s.now()
	reply.Link, reply.LinkPurpose, reply.LinkExpires = url, cmd.LinkPurpose, expires
	detail, _ := json.Marshal(map[string]any{"purpose": cmd.LinkPurpose, "platform": cmd.Actor.Platform, "expires": expires.UTC().Format(time.RFC3339)})
	err = s.inTx(ctx, func(tx Tx) error {
		if err := tx.InsertAudit(ctx, AuditEntry{At: s.now(), Actor: emp.ID, Action: "link.issued", Subject: emp.ID, Detail: string(detail)}); err != nil {
			return err
		}
		return s.record(ctx, tx, cmd, reply)
	})
	return s.settle(ctx, cmd, reply, err)
}

// linkRetryReasons are refusals the user fixes by trying again on the same
// page: the browser's next fix may be precise, fresh or present at all.
// Anything else (out of range, window closed, already in) stands, and the
// link is spent on it.
var linkRetryReasons = map[string]bool{
	ReasonLowAccuracy: true, ReasonTooOld: true, ReasonFutureTime: true,
	ReasonNoLocation: true, ReasonBadCoordinates: true,
}

// LinkRetryable reports whether a punch through the location page (source
// "web") that got outcome for reasons leaves its link usable: a refusal
// whose every reason the next fix may cure. The page offers "try again"
// on it; the core stores such an attempt without the link's event id
// (spareLink), so only a recorded punch claims the event and a replay of
// that one answers with its first reply.
func LinkRetryable(source string, outcome Outcome, reasons []string) bool {
	if source != string(PlatformWeb) || outcome != OutcomeRejected || len(reasons) == 0 {
		return false
	}
	for _, r := range reasons {
		if !linkRetryReasons[r] {
			return false
		}
	}
	return true
}

// spareLink keeps a retryable refusal (LinkRetryable) from using up its link: the attempt
// is still stored and audited, but under no event id, so the punch, the
// event record and the reply's dedupe key leave the link's id to the next
// try. The database stays the judge: only a kept punch inserts the event,
// and two tries racing with good fixes meet on its unique key.
func spareLink(cmd Command, p *Punch) Command {
	p.EventID, cmd.EventID = "", ""
	return cmd
}

// errLinkRetry rolls back a location-page punch the first time its
// verdict is a refusal LinkRetryable allows, before anything is written:
// punch then looks the link's event up once (a spent link answers with its
// first reply) and runs the transaction again. Every other punch skips
// that look-up, the event's unique key judging its retries.
var errLinkRetry = errors.New("retryable refusal of a location-page punch: look the link up first")

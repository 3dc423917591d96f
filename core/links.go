package core

import (
	"context"
	"encoding/json"
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
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertAudit(ctx, AuditEntry{At: s.now(), Actor: emp.ID, Action: "link.issued", Subject: emp.ID, Detail: string(detail)}); err != nil {
			return err
		}
		return s.record(ctx, tx, cmd, reply)
	})
	return s.settle(ctx, cmd, reply, err)
}

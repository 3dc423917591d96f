package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/punchbot/punchbot/bots"
	"github.com/punchbot/punchbot/core"
)

// Action ids of the approval card's buttons (their value is the request
// id) and callback ids of the make-up modals.
const (
	ActionMakeupApprove = "makeup_approve"
	ActionMakeupReject  = "makeup_reject"
	// ViewMakeupRequest is the form /punch makeup opens.
	ViewMakeupRequest = "makeup_request"
	// ViewMakeupReject asks the approver for an optional reject reason.
	ViewMakeupReject = "makeup_reject"
)

// Block and action ids of the modals' inputs; a refusal is shown next to
// the input it concerns.
const (
	blockDate   = "makeup_date"
	blockTime   = "makeup_time"
	blockKind   = "makeup_kind"
	blockReason = "makeup_reason"
	blockNote   = "makeup_note"
	inputValue  = "value"
)

// cardRef is the Slack part of a core.CardRef: where chat.update finds the
// card.
type cardRef struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

func (r cardRef) encode() string {
	buf, _ := json.Marshal(r)
	return string(buf)
}

// makeupCommand answers /punch makeup …: with no arguments it opens the
// request form, otherwise it runs the command and answers ephemerally.
func (b *Bot) makeupCommand(w http.ResponseWriter, r *http.Request, sc slackapi.SlashCommand, in bots.Intent) {
	mi := bots.ParseMakeup(in.Args)
	var form *slackapi.ModalViewRequest
	if mi.Action == bots.MakeupForm {
		f := makeupForm(in.Lang)
		form = &f
	}
	b.formOrCommand(w, r, sc, in.Lang, "make-up", form, bots.MakeupCommand(mi))
}

// formOrCommand answers a request's slash command: with a form and a
// trigger_id it opens the form (views.open, which Slack accepts for 3
// seconds: https://docs.slack.dev/reference/methods/views.open), otherwise
// it hands cmd to core and answers ephemerally. what names the request in
// the logs.
func (b *Bot) formOrCommand(w http.ResponseWriter, r *http.Request, sc slackapi.SlashCommand, lang, what string, form *slackapi.ModalViewRequest, cmd core.Command) {
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	if form != nil && sc.TriggerID != "" {
		_, err := b.api.OpenViewContext(ctx, sc.TriggerID, *form)
		if err == nil {
			w.WriteHeader(http.StatusOK)
			return
		}
		// Without the form, the usage explains how to type it.
		b.log.Warn("slack: cannot open the "+what+" form", "err", err, "user", sc.UserID)
	}
	reply, err := b.core.Handle(ctx, b.slashCommand(sc, cmd))
	b.answerCommand(w, sc, lang, what, reply, err)
}

// slashCommand is cmd as the slash command sc's: its user, source, time
// and event id (the trigger_id, unique to the invocation).
func (b *Bot) slashCommand(sc slackapi.SlashCommand, cmd core.Command) core.Command {
	cmd.Actor, cmd.Source, cmd.ReceivedAt = identity(sc.TeamID, sc.UserID), string(core.PlatformSlack), b.now()
	if sc.TriggerID != "" {
		cmd.EventID = "cmd:" + sc.TriggerID
	}
	return cmd
}

// answerCommand answers a slash command ephemerally with the core's reply
// (and its withdraw button), or with what went wrong.
func (b *Bot) answerCommand(w http.ResponseWriter, sc slackapi.SlashCommand, lang, what string, reply core.Reply, err error) {
	if err != nil {
		b.log.Error("slack "+what+" command failed", "err", err, "team", sc.TeamID, "user", sc.UserID)
		text := bots.ErrorText(err, lang)
		writeEphemeral(w, rendered{Text: text, Blocks: []slackapi.Block{section(text)}})
		return
	}
	lang = bots.Lang(reply, lang)
	writeEphemeral(w, withWithdrawButton(replyMessage(reply, lang), reply, lang, sc.TeamID, sc.UserID, true)) // withdraw.go
}

// makeupForm is the request modal: date, time, in or out, and the reason.
func makeupForm(lang string) slackapi.ModalViewRequest {
	tp := slackapi.NewTimePickerBlockElement(inputValue)
	tp.InitialTime = "09:00"
	reason := slackapi.NewPlainTextInputBlockElement(plain(pick(lang, "例如：地铁故障", "for example: subway outage")), inputValue)
	reason.Multiline = true
	reason.MaxLength = core.MaxMakeupReason
	kinds := slackapi.NewRadioButtonsBlockElement(inputValue,
		slackapi.NewOptionBlockObject(string(core.KindIn), plain(pick(lang, "上班", "Clock-in")), nil),
		slackapi.NewOptionBlockObject(string(core.KindOut), plain(pick(lang, "下班", "Clock-out")), nil))
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      ViewMakeupRequest,
		PrivateMetadata: lang,
		Title:           plain(pick(lang, "申请补卡", "Request a make-up")),
		Submit:          plain(pick(lang, "提交", "Submit")),
		Close:           plain(pick(lang, "取消", "Cancel")),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewInputBlock(blockDate, plain(pick(lang, "日期", "Date")), nil, slackapi.NewDatePickerBlockElement(inputValue)),
			slackapi.NewInputBlock(blockTime, plain(pick(lang, "时间", "Time")), nil, tp),
			slackapi.NewInputBlock(blockKind, plain(pick(lang, "补哪张卡", "Which punch")), nil, kinds),
			slackapi.NewInputBlock(blockReason, plain(pick(lang, "原因", "Reason")), nil, reason),
		}},
	}
}

// rejectMeta travels in the reject modal's private_metadata: the request
// and the card the click came from.
type rejectMeta struct {
	ID          int64  `json:"id"`
	Channel     string `json:"channel,omitempty"`
	TS          string `json:"ts,omitempty"`
	ResponseURL string `json:"response_url,omitempty"`
	Lang        string `json:"lang,omitempty"`
}

// rejectForm asks for an optional reason before rejecting.
func rejectForm(m rejectMeta) slackapi.ModalViewRequest {
	lang := m.Lang
	meta, _ := json.Marshal(m)
	note := slackapi.NewPlainTextInputBlockElement(plain(pick(lang, "可不填", "optional")), inputValue)
	note.Multiline = true
	note.MaxLength = core.MaxMakeupReason
	input := slackapi.NewInputBlock(blockNote, plain(pick(lang, "驳回理由", "Reason for rejecting")), nil, note)
	input.Optional = true
	return slackapi.ModalViewRequest{
		Type:            slackapi.VTModal,
		CallbackID:      ViewMakeupReject,
		PrivateMetadata: string(meta),
		Title:           plain(pick(lang, "驳回申请 #", "Reject request #") + strconv.FormatInt(m.ID, 10)),
		Submit:          plain(pick(lang, "驳回", "Reject")),
		Close:           plain(pick(lang, "取消", "Cancel")),
		Blocks:          slackapi.Blocks{BlockSet: []slackapi.Block{input}},
	}
}

// makeupInteraction handles the make-up interactions: the two modals'
// submissions and clicks on an approval card. It reports whether it
// answered the request.
func (b *Bot) makeupInteraction(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) bool {
	switch {
	case cb.Type == slackapi.InteractionTypeViewSubmission && cb.View.CallbackID == ViewMakeupRequest:
		b.submitMakeupForm(w, r, cb)
		return true
	case cb.Type == slackapi.InteractionTypeViewSubmission && cb.View.CallbackID == ViewMakeupReject:
		b.submitRejectForm(w, r, cb)
		return true
	case cb.Type == slackapi.InteractionTypeViewSubmission && cb.View.CallbackID == ViewLeaveRequest:
		b.submitLeaveForm(w, r, cb)
		return true
	case cb.Type == slackapi.InteractionTypeShortcut && cb.CallbackID == ShortcutLeave:
		b.leaveShortcut(w, r, cb)
		return true
	case cb.Type == slackapi.InteractionTypeBlockActions:
		for _, a := range cb.ActionCallback.BlockActions {
			if a.ActionID == ActionMakeupApprove || a.ActionID == ActionMakeupReject {
				b.makeupClick(w, r, cb, a)
				return true
			}
			if a.ActionID == ActionMakeupBatch {
				b.batchClick(w, r, cb, a) // batch.go
				return true
			}
		}
	}
	return false
}

func stateValue(cb slackapi.InteractionCallback, block string) slackapi.BlockAction {
	if cb.View.State == nil {
		return slackapi.BlockAction{}
	}
	return cb.View.State.Values[block][inputValue]
}

// writeViewErrors keeps the modal open with a message next to an input.
func writeViewErrors(w http.ResponseWriter, errs map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(slackapi.NewErrorsViewSubmissionResponse(errs))
}

// submitMakeupForm files the request from the modal. A refusal keeps the
// form open with the reason next to the field to change; a filed request
// turns the modal into the confirmation.
func (b *Bot) submitMakeupForm(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) {
	team := tenant(cb.Team.ID, cb.User.TeamID)
	if team == "" || cb.User.ID == "" {
		http.Error(w, "view submission without team or user", http.StatusBadRequest)
		return
	}
	lang := cb.View.PrivateMetadata
	args := core.MakeupArgs{
		Date:   stateValue(cb, blockDate).SelectedDate,
		Clock:  stateValue(cb, blockTime).SelectedTime,
		Kind:   core.PunchKind(stateValue(cb, blockKind).SelectedOption.Value),
		Reason: stateValue(cb, blockReason).Value,
	}
	cmd := core.Command{Actor: identity(team, cb.User.ID), Kind: core.CmdMakeup, Makeup: &args}
	b.fileForm(w, r, cb, cmd, requestForm{what: "make-up", lang: lang, errorBlock: blockReason, problemBlock: makeupProblemBlock,
		title: func(lang string) string { return pick(lang, "申请补卡", "Request a make-up") }},
		args.Date, args.Clock, string(args.Kind), args.Reason)
}

// makeupProblemBlock is the input a refusal of the make-up form is shown
// next to: the one the problem names, else the reason.
func makeupProblemBlock(v *core.MakeupView) string {
	if v == nil || v.Refusal == nil {
		return blockReason
	}
	switch v.Problem {
	case core.ProblemDate, "":
		return blockDate
	case core.ProblemTime:
		return blockTime
	case core.ProblemKind:
		return blockKind
	}
	return blockReason
}

// requestForm is what differs between the request forms fileForm answers.
type requestForm struct {
	what, lang   string
	errorBlock   string // where an error of the core is shown
	problemBlock func(*core.MakeupView) string
	title        func(lang string) string
}

// fileForm files a request form's command and answers the view
// submission: a refusal keeps the form open with its first line next to
// the input to change (response_action "errors"), a filed request turns
// the modal into the confirmation (response_action "update"), as
// https://docs.slack.dev/tools/bolt-js/concepts/view-submissions
// describes. One submission of the same values is one request (a retried
// delivery the same event); a corrected form is a new one.
func (b *Bot) fileForm(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback, cmd core.Command, f requestForm, values ...string) {
	sum := sha256.Sum256([]byte(strings.Join(values, "\x00")))
	cmd.Source, cmd.ReceivedAt = string(core.PlatformSlack), b.now()
	cmd.EventID = "view:" + cb.View.ID + ":" + hex.EncodeToString(sum[:8])
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	reply, err := b.core.Handle(ctx, cmd)
	if err != nil {
		b.log.Error("slack "+f.what+" form failed", "err", err, "user", cb.User.ID)
		writeViewErrors(w, map[string]string{f.errorBlock: bots.ErrorText(err, f.lang)})
		return
	}
	lang := bots.Lang(reply, f.lang)
	text := bots.Headline(reply, lang)
	if reply.Outcome != core.OutcomeMakeupFiled {
		first, _, _ := strings.Cut(text, "\n")
		writeViewErrors(w, map[string]string{f.problemBlock(reply.Makeup): first})
		return
	}
	// The confirmation carries the Withdraw button (withdraw.go); its click
	// updates this modal with views.update.
	confirmation := withWithdrawButton(rendered{Text: text, Blocks: []slackapi.Block{section(text)}}, reply, lang, tenant(cb.Team.ID, cb.User.TeamID), cb.User.ID, false)
	done := slackapi.ModalViewRequest{
		Type: slackapi.VTModal, Title: plain(f.title(lang)), Close: plain(pick(lang, "关闭", "Close")),
		Blocks: slackapi.Blocks{BlockSet: confirmation.Blocks},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(slackapi.NewUpdateViewSubmissionResponse(&done))
}

// makeupClick handles Approve and Reject on an approval card. Approve is
// one core call. Reject by someone allowed to decide first asks for a
// reason in a modal (without one if the modal cannot open). Anyone else's
// click goes to the core as well, which refuses it and changes nothing;
// the answer reaches the clicker as an ephemeral message.
func (b *Bot) makeupClick(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback, a *slackapi.BlockAction) {
	team := tenant(cb.Team.ID, cb.User.TeamID)
	id, err := strconv.ParseInt(a.Value, 10, 64)
	if team == "" || cb.User.ID == "" || err != nil || id <= 0 {
		http.Error(w, "malformed make-up action", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	actor := identity(team, cb.User.ID)
	channel, ts := cb.Container.ChannelID, cb.Container.MessageTs
	if channel == "" {
		channel = cb.Channel.ID
	}
	decision := core.MakeupApproved
	if a.ActionID == ActionMakeupReject {
		decision = core.MakeupRejected
		if cb.TriggerID != "" && b.makeups != nil && b.makeups.MayDecide(ctx, actor, id) == nil {
			meta := rejectMeta{ID: id, Channel: channel, TS: ts, ResponseURL: cb.ResponseURL, Lang: bots.DetectLang(cb.Message.Text)}
			_, err := b.api.OpenViewContext(ctx, cb.TriggerID, rejectForm(meta))
			if err == nil {
				w.WriteHeader(http.StatusOK)
				return
			}
			b.log.Warn("slack: cannot open the reject form; rejecting without a reason", "err", err, "request", id)
		}
	}
	args := &core.MakeupArgs{ID: id, Decision: decision}
	if channel != "" && ts != "" {
		args.Card = &core.CardRef{Platform: core.PlatformSlack, Recipient: cb.User.ID, Ref: cardRef{Channel: channel, TS: ts}.encode()}
	}
	eventID := "act:" + cb.TriggerID
	if cb.TriggerID == "" {
		eventID = "act:" + team + ":" + cb.User.ID + ":" + a.ActionTs
	}
	cmd := core.Command{Actor: actor, Kind: core.CmdMakeupDecide, Makeup: args, Source: string(core.PlatformSlack), EventID: eventID, ReceivedAt: b.now()}
	if cb.ResponseURL != "" {
		cmd.ReplyRoute = Route{ResponseURL: cb.ResponseURL, Team: team, User: cb.User.ID}.Encode()
	}
	if _, err := b.core.Handle(ctx, cmd); err != nil {
		b.log.Error("slack make-up click failed", "err", err, "user", cb.User.ID, "request", id)
		http.Error(w, "not recorded", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// submitRejectForm rejects with the reason typed (or none) and closes the
// modal; the card is updated through the outbox and the approver gets the
// answer ephemerally.
func (b *Bot) submitRejectForm(w http.ResponseWriter, r *http.Request, cb slackapi.InteractionCallback) {
	team := tenant(cb.Team.ID, cb.User.TeamID)
	var meta rejectMeta
	if err := json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta); err != nil || meta.ID <= 0 || team == "" || cb.User.ID == "" {
		http.Error(w, "malformed reject form", http.StatusBadRequest)
		return
	}
	args := &core.MakeupArgs{ID: meta.ID, Decision: core.MakeupRejected, Note: stateValue(cb, blockNote).Value}
	if meta.Channel != "" && meta.TS != "" {
		args.Card = &core.CardRef{Platform: core.PlatformSlack, Recipient: cb.User.ID, Ref: cardRef{Channel: meta.Channel, TS: meta.TS}.encode()}
	}
	cmd := core.Command{Actor: identity(team, cb.User.ID), Kind: core.CmdMakeupDecide, Makeup: args, Source: string(core.PlatformSlack),
		EventID: "view:" + cb.View.ID, ReceivedAt: b.now()}
	if meta.ResponseURL != "" {
		cmd.ReplyRoute = Route{ResponseURL: meta.ResponseURL, Team: team, User: cb.User.ID}.Encode()
	}
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	if _, err := b.core.Handle(ctx, cmd); err != nil {
		b.log.Error("slack reject form failed", "err", err, "user", cb.User.ID, "request", meta.ID)
		writeViewErrors(w, map[string]string{blockNote: bots.ErrorText(err, meta.Lang)})
		return
	}
	// An empty 200 closes the modal.
	w.WriteHeader(http.StatusOK)
}

// makeupEvent translates the make-up messages sent to the bot: a 补卡 /
// makeup command in a DM or a mention, and files shared in the DM, which
// are evidence for the request just filed.
func (b *Bot) makeupEvent(ev slackevents.EventsAPIEvent, eventID string) (core.Command, bool) {
	var cmd core.Command
	var text string
	switch in := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		if in.ChannelType != "im" || in.BotID != "" || in.User == "" {
			return cmd, false
		}
		team := tenant(ev.TeamID, in.UserTeam)
		cmd = core.Command{Actor: identity(team, in.User), At: messageTime(in.TimeStamp), ReplyRoute: Route{Channel: in.Channel, Team: team, User: in.User}.Encode()}
		if in.SubType == "file_share" && in.Message != nil {
			var refs []string
			for _, f := range in.Message.Files {
				switch {
				case f.Permalink != "":
					refs = append(refs, f.Permalink)
				case f.ID != "":
					refs = append(refs, bots.EvidenceRef(core.PlatformSlack, "file", f.ID))
				}
			}
			if len(refs) == 0 {
				return cmd, false
			}
			cmd.Kind, cmd.Makeup = core.CmdMakeupEvidence, &core.MakeupArgs{Evidence: refs}
			break
		}
		if in.SubType != "" {
			return cmd, false
		}
		text = in.Text
	case *slackevents.AppMentionEvent:
		if in.BotID != "" || in.User == "" {
			return cmd, false
		}
		team := tenant(ev.TeamID, in.UserTeam)
		cmd = core.Command{Actor: identity(team, in.User), At: messageTime(in.TimeStamp),
			ReplyRoute: Route{Channel: in.Channel, ThreadTS: in.ThreadTimeStamp, Ephemeral: true, Team: team, User: in.User}.Encode()}
		text = in.Text
	default:
		return cmd, false
	}
	if cmd.Kind == "" {
		intent := bots.Parse(text)
		if !bots.LeaveInto(intent, &cmd) {
			if intent.Verb != bots.VerbMakeup {
				return core.Command{}, false
			}
			mc := bots.MakeupCommand(bots.ParseMakeup(intent.Args))
			cmd.Kind, cmd.Makeup = mc.Kind, mc.Makeup
		}
	}
	cmd.ReceivedAt, cmd.Source, cmd.EventID = b.now(), string(core.PlatformSlack), eventID
	return cmd, true
}

// mrkdwnText is a mrkdwn text object; only links the bot builds itself
// are written in mrkdwn, with their labels escaped.
func mrkdwnText(text string) *slackapi.TextBlockObject {
	return slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, true)
}

// makeupMessage is the approval card in Block Kit: a header, the facts as
// fields, the reason and the day's punches, evidence links, the state, and
// while pending Approve and Reject buttons whose value is the request id.
func makeupMessage(v core.MakeupView, lang string) rendered {
	return approvalMessage(v, bots.MakeupCardContent(v, lang))
}

// approvalMessage lays out card content c of request v; a handed-over
// card (c.HandedOver) has no buttons.
func approvalMessage(v core.MakeupView, c bots.MakeupCard) rendered {
	var fields []*slackapi.TextBlockObject
	var rest []slackapi.Block
	for _, f := range c.Fields {
		if f.Long {
			rest = append(rest, section(c.Line(f)))
		} else {
			fields = append(fields, plain(f.Label+"\n"+f.Value))
		}
	}
	blocks := []slackapi.Block{slackapi.NewHeaderBlock(plain(c.Title)), slackapi.NewSectionBlock(nil, fields, nil)}
	blocks = append(blocks, rest...)
	if len(c.Evidence) > 0 {
		var els []slackapi.MixedElement
		for _, e := range c.Evidence {
			if e.URL != "" {
				els = append(els, mrkdwnText("📎 <"+e.URL+"|"+escape(e.Label)+">"))
			} else {
				els = append(els, plain("📎 "+e.Label))
			}
		}
		blocks = append(blocks, slackapi.NewContextBlock("makeup_evidence", els...))
	}
	if len(c.Links) > 0 {
		var els []slackapi.MixedElement
		for _, l := range c.Links {
			els = append(els, mrkdwnText("<"+l.URL+"|"+escape(l.Label)+">"))
		}
		blocks = append(blocks, slackapi.NewContextBlock("approval_links", els...))
	}
	blocks = append(blocks, slackapi.NewDividerBlock(), section(c.Status))
	if c.Pending {
		id := strconv.FormatInt(v.Request.ID, 10)
		approve := slackapi.NewButtonBlockElement(ActionMakeupApprove, id, plain(c.Approve)).WithStyle(slackapi.StylePrimary)
		reject := slackapi.NewButtonBlockElement(ActionMakeupReject, id, plain(c.Reject)).WithStyle(slackapi.StyleDanger)
		blocks = append(blocks, slackapi.NewActionBlock("makeup_actions", approve, reject))
	}
	return rendered{Text: c.Title + " — " + strings.SplitN(c.Status, "\n", 2)[0], Blocks: blocks}
}

// sendMakeup delivers the make-up outbox kinds: the approver's card by DM
// (its channel and ts recorded), chat.update of that card when the request
// changes, and the requester's result by DM.
func (b *Bot) sendMakeup(ctx context.Context, m core.OutboxMessage) error {
	var to core.Recipient
	if err := json.Unmarshal([]byte(m.Route), &to); err != nil || (to.UserID == "" && to.ChatID == "") {
		return core.Errorf(core.EINVALID, "slack: outbox message %d has no usable recipient %q", m.ID, m.Route)
	}
	recipient := to.UserID
	if recipient == "" {
		recipient = to.ChatID
	}
	var v core.MakeupView
	if err := json.Unmarshal(m.Payload, &v); err != nil || v.Request.ID == 0 {
		return core.Errorf(core.EINVALID, "slack: outbox message %d: payload is not a make-up view", m.ID)
	}
	lang := to.Lang
	if to.Requester {
		return b.updateRequesterCard(ctx, to, v) // withdraw.go
	}
	if m.Kind == core.OutboxMakeupResult {
		text := bots.MakeupResultText(v, lang)
		return b.deliver(ctx, Route{Channel: recipient}, rendered{Text: text, Blocks: []slackapi.Block{section(text)}})
	}
	if m.Kind == core.OutboxMakeupHandedOver {
		return b.retireCard(ctx, recipient, v, lang)
	}
	msg := makeupMessage(v, lang)
	if m.Kind == core.OutboxMakeupUpdate && b.makeups != nil {
		stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformSlack, recipient)
		if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
			return err
		}
		var ref cardRef
		if err == nil && json.Unmarshal([]byte(stored.Ref), &ref) == nil && ref.Channel != "" && ref.TS != "" {
			err := b.deliver(ctx, Route{Channel: ref.Channel, TS: ref.TS}, msg)
			if err == nil || core.ErrorCode(err) != core.EINVALID {
				return err
			}
			// Deleted, or too old to edit: the outcome goes out as a new card.
			b.log.Warn("slack: the approval card cannot be updated; posting a new one", "request", v.Request.ID, "err", err)
		}
	}
	channel, ts, err := b.api.PostMessageContext(ctx, recipient, b.msgOptions(Route{}, msg)...)
	if err != nil {
		return slackError(err)
	}
	if b.makeups != nil {
		// The card is out; failing now would post it twice. Without the
		// reference a later change arrives as a new card.
		ref := core.CardRef{RequestID: v.Request.ID, Platform: core.PlatformSlack, Recipient: recipient, Ref: cardRef{Channel: channel, TS: ts}.encode()}
		if err := b.makeups.RecordCardRef(ctx, ref); err != nil {
			b.log.Error("slack: cannot record the approval card", "request", v.Request.ID, "err", err)
		}
	}
	return nil
}

// retireCard edits the approval card recipient holds of a request handed
// over to another approver (core.OutboxMakeupHandedOver) with chat.update
// on the channel and ts on record, as a decision's update does
// (https://docs.slack.dev/reference/methods/chat.update): the same card
// without buttons, naming the new approver. With no card on record there
// is nothing to edit; a card Slack will not edit any more gets a DM
// saying whom the request went to.
func (b *Bot) retireCard(ctx context.Context, recipient string, v core.MakeupView, lang string) error {
	if b.makeups == nil {
		return nil
	}
	stored, err := b.makeups.CardRef(ctx, v.Request.ID, core.PlatformSlack, recipient)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	var ref cardRef
	if json.Unmarshal([]byte(stored.Ref), &ref) == nil && ref.Channel != "" && ref.TS != "" {
		err := b.deliver(ctx, Route{Channel: ref.Channel, TS: ref.TS}, approvalMessage(v, bots.HandedOverCardContent(v, lang)))
		if err == nil || core.ErrorCode(err) != core.EINVALID {
			return err
		}
		b.log.Warn("slack: the handed-over card cannot be updated; sending a message", "request", v.Request.ID, "err", err)
	}
	text := bots.HandedOverText(v, lang)
	return b.deliver(ctx, Route{Channel: recipient}, rendered{Text: text, Blocks: []slackapi.Block{section(text)}})
}

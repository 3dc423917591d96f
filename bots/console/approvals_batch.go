package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// Batch approval on the approvals page (批量审批): tick several pending
// requests and approve or reject them with one action. Each request is
// decided by the core's single decision rule (core.Service.DecideMakeups),
// with its own audit entry and requester notice; the page then says what
// happened to each: decided, already closed (how), not the viewer's,
// unknown. A rejection needs a reason, one for all.

// BatchMakeups is what the console needs for batch decisions;
// *core.Service implements it. A Makeups without it shows no batch form.
type BatchMakeups interface {
	DecideMakeups(ctx context.Context, d core.BatchDecision) (core.MakeupBatch, error)
}

// batchForm is the batch form's state on the page.
type batchForm struct {
	Labels  batchLabels
	Checked []int64 // rows ticked when the form is sent back
	Note    string
	Error   string // why a batch was sent back; nothing was decided
}

// Contains reports whether id was ticked, for the template.
func (b *batchForm) Contains(id int64) bool { return b != nil && slices.Contains(b.Checked, id) }

type batchLabels struct {
	Legend, Select, Note, Approve, Reject, Help string
}

func newBatchForm(lang string) *batchForm {
	return &batchForm{Labels: batchLabels{
		Legend:  pick(lang, "批量审批", "Batch decision"),
		Select:  pick(lang, "选择", "Select"),
		Note:    pick(lang, "驳回理由（批量驳回必填，会发给每位申请人）", "Reason (required to reject; each requester receives it)"),
		Approve: pick(lang, "同意所选", "Approve selected"),
		Reject:  pick(lang, "驳回所选", "Reject selected"),
		Help:    pick(lang, "勾选下面的待审批申请，再选择同意或驳回；每个申请分别处理、记录并通知申请人。", "Tick pending requests below, then approve or reject them; each is decided, audited and told to its requester on its own."),
	}}
}

// batchCodes are the outcomes the result query carries, each shown only
// through batchOutcomeText.
var batchCodes = map[core.Outcome]string{
	core.OutcomeMakeupDecided: "d", core.OutcomeMakeupClosed: "c", core.OutcomeMakeupForbidden: "f",
	core.OutcomeMakeupNotFound: "n", core.OutcomeMakeupRefused: "r", core.OutcomeMakeupFailed: "e",
}

// batchDecide runs POST /makeups/batch: the ticked ids, the decision and
// the note. A batch refused as a whole (no request ticked, a rejection
// without a reason, too many) comes back with the page and the ticks;
// otherwise the page is shown again with each request's result.
func (c *Console) batchDecide(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return nil
	}
	bm, ok := c.makeups.(BatchMakeups)
	if c.makeups == nil || !ok {
		c.errorPage(w, r, http.StatusBadRequest, v.Lang, "mk_readonly")
		return nil
	}
	status := core.MakeupStatus(r.PostFormValue("decision"))
	if status != core.MakeupApproved && status != core.MakeupRejected {
		return core.WrapError(core.EINVALID, badParam{key: "bad_decision", value: string(status)}, "decision must be approved or rejected, not %q", status)
	}
	var ids []int64
	for _, s := range r.PostForm["id"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return core.WrapError(core.EINVALID, badParam{key: "bad_request_id", value: s}, "%q is not a request number", s)
		}
		ids = append(ids, id)
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	back := url.Values{}
	for _, k := range []string{"status", "type", "page"} {
		if s := r.PostFormValue("f_" + k); s != "" {
			back.Set(k, s)
		}
	}
	refuse := func(msg string) error {
		f := newBatchForm(v.Lang)
		f.Checked, f.Note, f.Error = ids, note, msg
		return c.showApprovalsWith(w, r, v, back, nil, f)
	}
	if len(ids) == 0 {
		return refuse(pick(v.Lang, "请先勾选要处理的申请；这次什么也没有处理。", "Tick the requests to decide first; nothing was decided."))
	}
	b, err := bm.DecideMakeups(r.Context(), core.BatchDecision{IDs: ids, Status: status, Actor: v.Actor(), Note: note, Via: core.PlatformWeb})
	if err != nil {
		return err
	}
	switch b.Problem {
	case core.BatchNeedsReason:
		return refuse(pick(v.Lang, "批量驳回需要填写理由：理由会发给每位申请人；这次什么也没有处理。", "A batch rejection needs a reason, which each requester receives; nothing was decided."))
	case core.BatchTooMany:
		return refuse(pick(v.Lang, "一次最多处理 "+strconv.Itoa(core.MaxBatch)+" 个申请；这次什么也没有处理。", "At most "+strconv.Itoa(core.MaxBatch)+" requests at once; nothing was decided."))
	}
	var parts []string
	for _, it := range b.Items {
		code := batchCodes[it.Outcome]
		if it.Outcome == core.OutcomeMakeupClosed {
			code += "-" + string(it.View.Request.Status)
		}
		parts = append(parts, strconv.FormatInt(it.ID, 10)+"."+code)
	}
	back.Set("batch", string(status))
	back.Set("br", strings.Join(parts, ","))
	http.Redirect(w, r, "/makeups?"+back.Encode(), http.StatusSeeOther)
	return nil
}

// batchResult is one line of the result box.
type batchResult struct {
	ID      int64
	Outcome string // decided, closed, forbidden, not_found, refused, failed
	Text    string
}

// batchResults reads the result query a batch redirected with; anything
// it does not know is left out, so a hand-made query shows nothing it
// could choose.
func batchResults(q url.Values, lang string) (string, []batchResult) {
	decision := core.MakeupStatus(q.Get("batch"))
	if decision != core.MakeupApproved && decision != core.MakeupRejected {
		return "", nil
	}
	var out []batchResult
	done := 0
	for _, part := range strings.Split(q.Get("br"), ",") {
		idText, code, ok := strings.Cut(part, ".")
		id, err := strconv.ParseInt(idText, 10, 64)
		if !ok || err != nil || id <= 0 || len(out) >= core.MaxBatch {
			continue
		}
		n := "#" + idText
		code, state, _ := strings.Cut(code, "-")
		var res batchResult
		switch code {
		case "d":
			done++
			res = batchResult{id, "decided", n + " " + pick(lang, "已"+map[core.MakeupStatus]string{core.MakeupApproved: "同意", core.MakeupRejected: "驳回"}[decision], map[core.MakeupStatus]string{core.MakeupApproved: "approved", core.MakeupRejected: "rejected"}[decision])}
		case "c":
			st := core.MakeupStatus(state)
			switch st {
			case core.MakeupApproved, core.MakeupRejected, core.MakeupCancelled, core.MakeupExpired, core.MakeupRevoked:
			default:
				continue
			}
			res = batchResult{id, "closed", n + " " + pick(lang, "已经处理过了（"+tr(lang, "mk_"+string(st))+"），未更改", "was already closed ("+tr(lang, "mk_"+string(st))+"); not changed")}
		case "f":
			res = batchResult{id, "forbidden", n + " " + pick(lang, "不是由你审批的申请，未处理", "is not yours to decide; not changed")}
		case "n":
			res = batchResult{id, "not_found", n + " " + pick(lang, "没有这个申请", "does not exist")}
		case "r":
			res = batchResult{id, "refused", n + " " + pick(lang, "未处理：请单独打开处理以查看原因", "not decided: decide it on its own to see why")}
		case "e":
			res = batchResult{id, "failed", n + " " + pick(lang, "暂时无法处理，请稍后重试", "could not be decided just now; try again")}
		default:
			continue
		}
		out = append(out, res)
	}
	if len(out) == 0 {
		return "", nil
	}
	verb := pick(lang, "批量同意", "Batch approval")
	if decision == core.MakeupRejected {
		verb = pick(lang, "批量驳回", "Batch rejection")
	}
	head := pick(lang, verb+"：已处理 "+strconv.Itoa(done)+" 个", verb+": "+strconv.Itoa(done)+" decided")
	if rest := len(out) - done; rest > 0 {
		head += pick(lang, "，"+strconv.Itoa(rest)+" 个未处理", ", "+strconv.Itoa(rest)+" not")
	}
	if done > 0 {
		head += pick(lang, "；申请人都会收到通知。", "; each requester is told.")
	} else {
		head += pick(lang, "。", ".")
	}
	return head, out
}

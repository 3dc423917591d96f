package bots

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// Batch approval in chat (core/makeup_batch.go). "全部同意" / "approve
// all" lists the approver's pending requests with the exact command that
// decides them ("同意 12 13 14"): sending it is the confirmation, and it
// decides only the numbers it names, so nothing the approver was not
// shown. A decision word alone lists the same requests with the commands
// for one. "同意 12 13" decides those.

// batchAllWords follow a decision word to mean all pending requests.
var batchAllWords = []string{"全部", "所有", "全部申请", "所有申请", "all", "everything"}

// batchAllCompounds are a decision on all written as one word.
var batchAllCompounds = map[string]string{
	"全部同意": "同意", "同意全部": "同意", "批量同意": "同意", "一键同意": "同意", "全部批准": "同意", "批准全部": "同意", "全部通过": "同意",
	"全部驳回": "驳回", "驳回全部": "驳回", "批量驳回": "驳回", "全部拒绝": "驳回", "拒绝全部": "驳回",
	"approve-all": "approve", "reject-all": "reject", "approveall": "approve", "rejectall": "reject",
}

// splitBatchAll rewrites a leading compound ("全部同意 …") as the decision
// word followed by 全部, which ParseMakeup reads, and "all approve" /
// "全部 同意" as "approve all".
func splitBatchAll(fields []string) []string {
	if w, ok := batchAllCompounds[strings.ToLower(fields[0])]; ok {
		return append([]string{w, "全部"}, fields[1:]...)
	}
	if len(fields) >= 2 && oneOf(fields[0], batchAllWords) && (oneOf(fields[1], makeupApproveWords) || oneOf(fields[1], makeupRejectWords)) {
		return append([]string{fields[1], "全部"}, fields[2:]...)
	}
	return fields
}

// isBatchAll reports whether lower (a message's words, lower-case) starts
// a decision on all pending requests, for Parse.
func isBatchAll(lower []string) bool {
	if _, ok := batchAllCompounds[lower[0]]; ok {
		return true
	}
	if len(lower) < 2 {
		return false
	}
	decision := func(w string) bool { return oneOf(w, decisionWords) }
	return decision(lower[0]) && oneOf(lower[1], batchAllWords) || oneOf(lower[0], batchAllWords) && decision(lower[1])
}

// leadingIDs reads the request numbers a decision names, and how many
// words they took. Several bare numbers are several requests only when
// nothing follows them ("同意 12 13"): "驳回 12 2 次迟到" rejects 12 with
// the reason "2 次迟到". With a reason, the further numbers are marked or
// joined: "驳回 #12 #13 理由", "驳回 12、13 理由", "驳回 12,13 理由"
// (ParseMakeup joins "12, 13" as 12、13).
func leadingIDs(words []string) ([]int64, int) {
	parse := func(w string) ([]int64, bool) {
		var got []int64
		for _, p := range strings.Split(strings.Trim(w, "、"), "、") {
			id, ok := requestID(p)
			if !ok {
				return nil, false
			}
			got = append(got, id)
		}
		return got, len(got) > 0
	}
	var all []int64
	for _, w := range words {
		got, ok := parse(w)
		if !ok {
			all = nil
			break
		}
		all = append(all, got...)
	}
	if all != nil {
		return all, len(words) // numbers only
	}
	ids, ok := parse(words[0])
	if !ok {
		return nil, 0
	}
	n := 1
	for _, w := range words[1:] {
		got, ok := parse(w)
		if !ok || !strings.HasPrefix(w, "#") {
			break
		}
		ids, n = append(ids, got...), n+1
	}
	return ids, n
}

// idList joins numbers separated by commas ("12, 13", "#12，#13") with
// 、, so a reason after them cannot be read as more numbers.
var idList = regexp.MustCompile(`(\d)\s*[,，]\s*(#?\d)`)

// decisionWord is the typed command word of a decision.
func decisionWord(st core.MakeupStatus, lang string) string {
	if st == core.MakeupRejected {
		return pick(lang, "驳回", "reject")
	}
	return pick(lang, "同意", "approve")
}

// joinIDs is "12 13 14".
func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, " ")
}

// quoteCmd quotes a command to type: 「同意 12」, “approve 12”.
func quoteCmd(cmd, lang string) string { return pick(lang, "「"+cmd+"」", "“"+cmd+"”") }

// BatchRequestLine names one request: "#12 张三 · 补卡申请（11-25 上班 09:00）".
func BatchRequestLine(v core.MakeupView, lang string) string {
	line := "#" + strconv.FormatInt(v.Request.ID, 10)
	if v.EmployeeName != "" {
		line += " " + v.EmployeeName
	}
	line += " · " + RequestNoun(v.Request.TypeOf(), lang)
	if v.Request.EmployeeID != "" {
		line += requestSummary(v, lang) // approvalcard.go
	}
	return line
}

// closedWord says how a request ended: "已被 HR 韩 同意", "申请人已撤回".
func closedWord(v core.MakeupView, lang string) string {
	who := MakeupDecider(v, lang)
	switch v.Request.Status {
	case core.MakeupApproved:
		return pick(lang, "已被 "+who+" 同意", "already approved by "+who)
	case core.MakeupRejected:
		return pick(lang, "已被 "+who+" 驳回", "already rejected by "+who)
	case core.MakeupCancelled:
		return pick(lang, "申请人已撤回", "withdrawn by the requester")
	case core.MakeupExpired:
		return pick(lang, "已过期", "expired")
	case core.MakeupRevoked:
		return pick(lang, "已撤销", "revoked")
	case core.MakeupPending:
		return pick(lang, "仍在待审批", "still pending")
	}
	return string(v.Request.Status)
}

// PendingListText lists an approver's pending requests (a decision word
// alone, or 全部同意 asking to confirm) with the exact commands to send;
// or says there are none.
func PendingListText(b core.MakeupBatch, lang string) string {
	if len(b.Items) == 0 {
		return pick(lang, "✅ 你没有待审批的申请。", "✅ You have no requests waiting for your decision.")
	}
	var sb strings.Builder
	sb.WriteString(pick(lang, fmt.Sprintf("⏳ 你有 %d 个待审批的申请：", len(b.Items)+b.More), fmt.Sprintf("⏳ %d request(s) wait for your decision:", len(b.Items)+b.More)))
	for _, it := range b.Items {
		sb.WriteString("\n• " + BatchRequestLine(it.View, lang))
	}
	if b.More > 0 {
		sb.WriteString(pick(lang, fmt.Sprintf("\n……另有 %d 个未列出，处理完上面的再查看。", b.More), fmt.Sprintf("\n… and %d more, listed once these are done.", b.More)))
	}
	ids := joinIDs(b.IDs())
	first := strconv.FormatInt(b.Items[0].ID, 10)
	if !b.All {
		sb.WriteString("\n" + pick(lang,
			"同意：发送"+quoteCmd("同意 "+first, lang)+"；驳回：发送"+quoteCmd("驳回 "+first+" 理由", lang),
			"To approve, send "+quoteCmd("approve "+first, lang)+"; to reject, "+quoteCmd("reject "+first+" reason", lang)))
		if len(b.Items) > 1 {
			sb.WriteString("\n" + pick(lang,
				"一次处理多个：发送"+quoteCmd("同意 "+ids, lang)+"或"+quoteCmd("驳回 "+ids+" 理由", lang),
				"Several at once: "+quoteCmd("approve "+ids, lang)+" or "+quoteCmd("reject "+ids+" reason", lang)))
		}
		return sb.String()
	}
	cmd := decisionWord(b.Decision, lang) + " " + ids
	if b.Decision == core.MakeupRejected {
		reason := b.Note
		if reason == "" {
			reason = pick(lang, "理由", "reason")
		}
		sb.WriteString("\n" + pick(lang,
			fmt.Sprintf("确认全部驳回这 %d 个，请发送：%s（理由必填，会告知每位申请人）", len(b.Items), quoteCmd(cmd+" "+reason, lang)),
			fmt.Sprintf("To reject these %d, send %s (a reason is required; each requester receives it).", len(b.Items), quoteCmd(cmd+" "+reason, lang))))
	} else {
		sb.WriteString("\n" + pick(lang,
			fmt.Sprintf("确认全部同意这 %d 个，请发送：%s", len(b.Items), quoteCmd(cmd, lang)),
			fmt.Sprintf("To approve these %d, send %s", len(b.Items), quoteCmd(cmd, lang))))
	}
	sb.WriteString("\n" + pick(lang, "还没有处理任何申请；只会处理上面列出的编号。", "Nothing has been decided yet; only the numbers listed are."))
	return sb.String()
}

// BatchText says what a batch decision did to each request: decided,
// already closed (and how), not the approver's, not found, refused, or
// failed; and that the requesters were told.
func BatchText(b core.MakeupBatch, lang string) string {
	verb := pick(lang, "批量同意", "Batch approval")
	if b.Decision == core.MakeupRejected {
		verb = pick(lang, "批量驳回", "Batch rejection")
	}
	switch b.Problem {
	case core.BatchNeedsReason:
		return pick(lang, "❌ 批量驳回需要写明理由（会告知每位申请人），这次什么也没有处理。例如：", "❌ A batch rejection needs a reason (each requester receives it); nothing was decided. For example: ") +
			quoteCmd(decisionWord(core.MakeupRejected, lang)+" "+joinIDs(b.IDs())+" "+pick(lang, "理由", "reason"), lang)
	case core.BatchTooMany:
		return pick(lang, fmt.Sprintf("❌ 一次最多处理 %d 个申请，这次什么也没有处理。", core.MaxBatch), fmt.Sprintf("❌ At most %d requests at once; nothing was decided.", core.MaxBatch))
	case core.BatchRevoke:
		return pick(lang, "❌ 撤销需逐个进行并写明理由，例如「撤销 12 理由」；这次什么也没有处理。", "❌ Revoke one request at a time with a reason, such as “revoke 12 reason”; nothing was decided.")
	}
	done := b.Count(core.OutcomeMakeupDecided)
	var sb strings.Builder
	sb.WriteString(pick(lang, fmt.Sprintf("%s：已处理 %d 个", verb, done), fmt.Sprintf("%s: %d decided", verb, done)))
	if rest := len(b.Items) - done; rest > 0 {
		sb.WriteString(pick(lang, fmt.Sprintf("，%d 个未处理", rest), fmt.Sprintf(", %d not", rest)))
	}
	sb.WriteString(pick(lang, "。", "."))
	for _, it := range b.Items {
		v := it.View
		n := "#" + strconv.FormatInt(it.ID, 10)
		switch it.Outcome {
		case core.OutcomeMakeupDecided:
			word := pick(lang, "已同意", "approved")
			if v.Request.Status == core.MakeupRejected {
				word = pick(lang, "已驳回", "rejected")
			}
			sb.WriteString("\n✅ " + BatchRequestLine(v, lang) + pick(lang, " "+word, ": "+word))
		case core.OutcomeMakeupClosed:
			sb.WriteString("\n⚠️ " + BatchRequestLine(v, lang) + pick(lang, " "+closedWord(v, lang)+"，未更改", ": "+closedWord(v, lang)+"; not changed"))
		case core.OutcomeMakeupForbidden:
			sb.WriteString("\n🚫 " + n + pick(lang, " 不是由你审批的申请，未处理", ": not yours to decide; not changed"))
		case core.OutcomeMakeupNotFound:
			sb.WriteString("\n❓ " + n + pick(lang, " 没有这个申请", ": no such request"))
		case core.OutcomeMakeupRefused:
			first, _, _ := strings.Cut(strings.TrimPrefix(MakeupRefusalText(v, lang), "❌ "), "\n")
			sb.WriteString("\n❌ " + BatchRequestLine(v, lang) + pick(lang, "：", ": ") + first)
		default:
			sb.WriteString("\n❌ " + n + pick(lang, " 暂时无法处理，请稍后再发送一次", ": could not be decided just now; send it again later"))
		}
	}
	if done > 0 {
		sb.WriteString("\n" + pick(lang, "申请人都会收到结果通知。", "Each requester is told the outcome."))
	}
	return sb.String()
}

// handedOverLine is the answer to a click on a request's old card by the
// deactivated approver it was handed over from (core.Reply.Makeup set
// with OutcomeInactive): nothing was decided, and whom it went to.
func handedOverLine(r core.Reply, lang string) (string, bool) {
	if r.Outcome != core.OutcomeInactive || r.Command != core.CmdMakeupDecide || r.Makeup == nil || r.Makeup.Request.ID == 0 {
		return "", false
	}
	v := *r.Makeup
	noun := RequestNoun(v.Request.TypeOf(), lang)
	n := strconv.FormatInt(v.Request.ID, 10)
	to := v.ApproverName
	if to == "" {
		to = pick(lang, "HR（管理后台）", "HR (console)")
	}
	line := pick(lang, "你的账号已停用，审批未处理："+noun+" #"+n+" 已转交给 "+to+" 审批",
		"Your account is inactive, so nothing was decided: "+noun+" #"+n+" was handed over to "+to)
	if v.Request.Status != core.MakeupPending {
		line += pick(lang, "，现在"+closedWord(v, lang), "; it is now "+strings.TrimPrefix(closedWord(v, lang), "already "))
	}
	return line + pick(lang, "。", "."), true
}

// ApprovalLine renders the batch outcomes and the handed-over refusal;
// ok is false for any other reply. Headline asks it first.
func ApprovalLine(r core.Reply, lang string) (string, bool) {
	switch {
	case r.Outcome == core.OutcomeMakeupPendingList && r.Batch != nil:
		return PendingListText(*r.Batch, lang), true
	case r.Outcome == core.OutcomeMakeupBatch && r.Batch != nil:
		return BatchText(*r.Batch, lang), true
	}
	return handedOverLine(r, lang)
}

// BatchConfirmOffer reports whether reply is a listing to confirm
// ("全部同意", or "全部驳回 理由" with its reason) that a card may carry a
// confirmation button for: the button decides exactly the listed
// numbers, as the typed command does.
func BatchConfirmOffer(r core.Reply) (core.MakeupBatch, bool) {
	if r.Outcome != core.OutcomeMakeupPendingList || r.Batch == nil || !r.Batch.All || len(r.Batch.Items) == 0 {
		return core.MakeupBatch{}, false
	}
	b := *r.Batch
	switch {
	case b.Decision == core.MakeupApproved:
		return b, true
	case b.Decision == core.MakeupRejected && strings.TrimSpace(b.Note) != "":
		return b, true
	}
	return core.MakeupBatch{}, false
}

// BatchConfirmLabel is the confirmation button: "确认同意这 3 个".
func BatchConfirmLabel(b core.MakeupBatch, lang string) string {
	n := strconv.Itoa(len(b.Items))
	if b.Decision == core.MakeupRejected {
		return pick(lang, "确认驳回这 "+n+" 个", "Reject these "+n)
	}
	return pick(lang, "确认同意这 "+n+" 个", "Approve these "+n)
}

// BatchIDsValue encodes the listed numbers for a button's value ("12,13");
// ParseBatchIDs reads them back, refusing anything else.
func BatchIDsValue(ids []int64) string { return strings.ReplaceAll(joinIDs(ids), " ", ",") }

// ParseBatchIDs reads a button's numbers ("12,13"); ok is false for an
// empty list, a bad number or more than core.MaxBatch.
func ParseBatchIDs(s string) ([]int64, bool) {
	var ids []int64
	for _, p := range strings.Split(s, ",") {
		id, ok := requestID(p)
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, len(ids) > 0 && len(ids) <= core.MaxBatch
}

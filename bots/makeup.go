package bots

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// MakeupCore is what the bots need from the core for make-up approval
// cards beyond Handle: remembering where a card was sent so it can be
// edited in place, finding it again, and checking a clicker before asking
// them for a reject reason. *core.Service implements it.
type MakeupCore interface {
	RecordCardRef(ctx context.Context, ref core.CardRef) error
	CardRef(ctx context.Context, requestID int64, platform core.Platform, recipient string) (core.CardRef, error)
	MayDecide(ctx context.Context, actor core.Identity, id int64) error
}

// MakeupAction is what a make-up message asks for.
type MakeupAction string

// Make-up actions the grammar recognises after 补卡 / makeup.
const (
	MakeupForm    MakeupAction = "form"    // no arguments: a form where there is one (Slack), else the usage
	MakeupFile    MakeupAction = "file"    // 补卡 11-25 09:00 上班 地铁故障
	MakeupCancel  MakeupAction = "cancel"  // 补卡 取消 [#12]
	MakeupApprove MakeupAction = "approve" // 补卡 同意 12
	MakeupReject  MakeupAction = "reject"  // 补卡 驳回 12 [理由]
	// MakeupRevoke takes back an approved leave, trip or outing: 撤销 12
	// 理由 / revoke 12 reason. The core lets the approver or HR revoke
	// and has the requester's own 撤销 withdraw.
	MakeupRevoke MakeupAction = "revoke"
	// MakeupBatch is a decision on several requests, "同意 12 13 14" /
	// "驳回 12 13 理由" (Args.IDs), the listing that asks to confirm one,
	// "全部同意" / "approve all" (Args.All), or a decision word alone,
	// which lists the approver's pending requests (core.CmdMakeupBatch;
	// makeup_batch.go).
	MakeupBatch MakeupAction = "batch"
)

// Problems only the grammar finds, besides the core's ProblemDate, …
const (
	ProblemID    = "id"    // a missing or unreadable request number
	ProblemUsage = "usage" // 补卡 alone where there is no form to show
	// ProblemBatch is a decision naming several requests ("同意 12 13"),
	// which would otherwise approve 12 with the note "13" and leave 13
	// waiting while the approver thinks both done.
	ProblemBatch = "batch"
)

// MakeupIntent is a parsed make-up message. Problem names the part that
// could not be read (core.ProblemDate, ProblemTime, ProblemKind,
// ProblemReason, ProblemID); the core checks the rest.
type MakeupIntent struct {
	Action  MakeupAction
	Args    core.MakeupArgs
	Problem string
}

var (
	makeupCancelWords  = []string{"取消", "撤回", "撤销", "cancel", "withdraw"}
	makeupApproveWords = []string{"同意", "批准", "通过", "approve", "ok"}
	makeupRejectWords  = []string{"驳回", "拒绝", "不同意", "reject", "deny"}
	makeupInWords      = []string{"上班", "上班打卡", "上班卡", "签到", "in", "clock-in", "check-in", "checkin"}
	makeupOutWords     = []string{"下班", "下班打卡", "下班卡", "签退", "out", "clock-out", "check-out", "checkout"}
)

// makeupRevokeWords with a request number revoke; 撤销 alone is still the
// cancel of the latest pending request.
var makeupRevokeWords = []string{"撤销", "revoke"}

func oneOf(word string, set []string) bool {
	for _, w := range set {
		if strings.EqualFold(word, w) {
			return true
		}
	}
	return false
}

// ParseMakeup reads what follows 补卡 / makeup (Intent.Args): a request
// "11-25 09:00 上班 地铁故障" (date, time and direction in any order, then
// the reason), "取消" / "cancel" with an optional request number,
// "同意 12" / "approve 12", "驳回 12 理由" / "reject 12 reason", or
// "撤销 12 理由" / "revoke 12 reason".
func ParseMakeup(args string) MakeupIntent {
	args = idList.ReplaceAllString(idList.ReplaceAllString(args, "$1、$2"), "$1、$2") // makeup_batch.go
	fields := strings.Fields(strings.NewReplacer("：", ":", "，", " ", ",", " ").Replace(args))
	if len(fields) == 0 {
		return MakeupIntent{Action: MakeupForm}
	}
	fields = splitBatchAll(fields) // makeup_batch.go: 全部同意 → 同意 全部
	head := strings.ToLower(fields[0])
	switch {
	case oneOf(head, makeupCancelWords) && (len(fields) == 1 || !oneOf(head, makeupRevokeWords)):
		// 撤销 alone withdraws the latest pending request; with a number
		// it revokes (below).
		in := MakeupIntent{Action: MakeupCancel}
		if len(fields) > 1 {
			id, ok := requestID(fields[1])
			if !ok {
				in.Problem = ProblemID
			}
			in.Args.ID = id
		}
		return in
	case oneOf(head, makeupApproveWords), oneOf(head, makeupRejectWords), oneOf(head, makeupRevokeWords):
		in := MakeupIntent{Action: MakeupApprove}
		in.Args.Decision = core.MakeupApproved
		switch {
		case oneOf(head, makeupRejectWords):
			in.Action, in.Args.Decision = MakeupReject, core.MakeupRejected
		case oneOf(head, makeupRevokeWords):
			in.Action, in.Args.Decision = MakeupRevoke, core.MakeupRevoked
		}
		if len(fields) < 2 {
			if in.Action != MakeupRevoke {
				// 同意 / 驳回 alone: the approver's pending requests.
				in.Action = MakeupBatch
				return in
			}
			in.Problem = ProblemID
			return in
		}
		if oneOf(fields[1], batchAllWords) {
			// 同意全部 / approve all: the list to confirm, nothing decided.
			in.Action, in.Args.All, in.Args.Note = MakeupBatch, true, strings.Join(fields[2:], " ")
			return in
		}
		if ids, n := leadingIDs(fields[1:]); len(ids) > 1 {
			in.Action, in.Args.IDs, in.Args.Note = MakeupBatch, ids, strings.Join(fields[1+n:], " ")
			return in
		}
		id, ok := requestID(fields[1])
		if !ok {
			in.Problem = ProblemID
		}
		in.Args.ID = id
		in.Args.Note = strings.Join(fields[2:], " ")
		return in
	}
	in := MakeupIntent{Action: MakeupFile}
	var haveDate, haveTime, haveKind bool
	rest := fields
	for len(rest) > 0 && !(haveDate && haveTime && haveKind) {
		f := rest[0]
		if d, ok := makeupDate(f); ok && !haveDate {
			in.Args.Date, haveDate = d, true
		} else if c, ok := spokenClock(f); ok && !haveTime {
			in.Args.Clock, haveTime = c, true
		} else if k, ok := makeupKind(f); ok && !haveKind {
			in.Args.Kind, haveKind = k, true
		} else if d, c, ok := makeupDateTime(f); ok && !haveDate && !haveTime {
			in.Args.Date, in.Args.Clock, haveDate, haveTime = d, c, true, true
		} else {
			break
		}
		rest = rest[1:]
	}
	in.Args.Reason = strings.Join(rest, " ")
	switch {
	case !haveDate:
		in.Problem = core.ProblemDate
	case !haveTime:
		in.Problem = core.ProblemTime
	case !haveKind:
		in.Problem = core.ProblemKind
	case in.Args.Reason == "":
		in.Problem = core.ProblemReason
	}
	return in
}

func requestID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	return id, err == nil && id > 0
}

// makeupDate accepts 2026-11-25, 2026/11/25, 11-25, 11/25, 11月25日,
// 2026年11月25日 and 今天 / 昨天 / today / yesterday, and returns the
// core's form ("2006-01-02", "01-02", "today", "yesterday").
func makeupDate(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "今天", "today":
		return "today", true
	case "昨天", "yesterday":
		return "yesterday", true
	}
	t := strings.NewReplacer("年", "-", "月", "-", "日", "", "号", "", "/", "-", ".", "-").Replace(s)
	parts := strings.Split(t, "-")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || p == "" || len(p) > 4 {
			return "", false
		}
		nums[i] = n
	}
	switch {
	case len(nums) == 3 && len(parts[0]) == 4 && nums[1] >= 1 && nums[1] <= 12 && nums[2] >= 1 && nums[2] <= 31:
		return fmt.Sprintf("%04d-%02d-%02d", nums[0], nums[1], nums[2]), true
	case len(nums) == 2 && len(parts[0]) <= 2 && nums[0] >= 1 && nums[0] <= 12 && nums[1] >= 1 && nums[1] <= 31:
		return fmt.Sprintf("%02d-%02d", nums[0], nums[1]), true
	}
	return "", false
}

// makeupClock accepts H:MM and HH:MM (a full-width colon is normalised
// before) and 9点 / 9点30.
func makeupClock(s string) (string, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		h, m, ok = strings.Cut(strings.TrimSuffix(s, "分"), "点")
		if !ok {
			return "", false
		}
		switch m {
		case "":
			m = "00"
		case "半":
			m = "30"
		}
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(h) > 2 || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return "", false
	}
	return fmt.Sprintf("%02d:%02d", hh, mm), true
}

// spokenClock is makeupClock with the part of the day Chinese speakers put
// before a time: 上午 / 早上 / 凌晨 keep it, 下午 / 傍晚 / 晚上 move 1–11
// o'clock to the afternoon ("下午6点半" is 18:30), 中午 moves 1–2 o'clock
// ("中午1点" is 13:00); 晚上12点, midnight, is not read. Only a make-up
// reads it: a leave's 上午 / 下午 are half days.
func spokenClock(s string) (string, bool) {
	for _, p := range []struct {
		word  string
		after int // hours below it move 12 hours on
	}{{"上午", 0}, {"早上", 0}, {"凌晨", 0}, {"中午", 3}, {"下午", 12}, {"傍晚", 12}, {"晚上", 12}} {
		rest, ok := strings.CutPrefix(s, p.word)
		if !ok {
			continue
		}
		c, ok := makeupClock(rest)
		if !ok {
			return "", false
		}
		h := int(c[0]-'0')*10 + int(c[1]-'0')
		if p.word == "晚上" && h == 12 {
			// Midnight, which belongs to the next day: better asked for
			// as 00:00 than guessed.
			return "", false
		}
		if h >= 1 && h < p.after {
			c = fmt.Sprintf("%02d", h+12) + c[2:]
		}
		return c, true
	}
	return makeupClock(s)
}

// makeupDateTime accepts a date and a time glued together with "T" or
// written as one token the way some keyboards produce ("11-25T09:00").
func makeupDateTime(s string) (string, string, bool) {
	d, c, ok := strings.Cut(s, "T")
	if !ok {
		return "", "", false
	}
	date, ok1 := makeupDate(d)
	clock, ok2 := makeupClock(c)
	return date, clock, ok1 && ok2
}

func makeupKind(s string) (core.PunchKind, bool) {
	switch {
	case oneOf(s, makeupInWords):
		return core.KindIn, true
	case oneOf(s, makeupOutWords):
		return core.KindOut, true
	}
	return "", false
}

// MakeupCommand builds the core command for a parsed intent. An intent
// with a problem (or the bare form, where a bot has no form to show) is
// still sent to the core as a request carrying the problem, so the answer
// is recorded and delivered like any other.
func MakeupCommand(in MakeupIntent) core.Command {
	args := in.Args
	cmd := core.Command{Kind: core.CmdMakeup, Makeup: &args}
	switch {
	case in.Action == MakeupForm:
		args.Problem = ProblemUsage
	case in.Action == MakeupBatch:
		cmd.Kind = core.CmdMakeupBatch
	case in.Problem != "":
		args.Problem = in.Problem
	case in.Action == MakeupCancel:
		cmd.Kind = core.CmdMakeupCancel
	case in.Action == MakeupApprove || in.Action == MakeupReject || in.Action == MakeupRevoke:
		cmd.Kind = core.CmdMakeupDecide
	}
	return cmd
}

package coretest

import (
	"context"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// stIntents: a waiting text punch is stored per employee, read while it is
// live, replaced by a newer one, used up only as read, and read alike as
// the first read under the employee's lock (a store may fetch it with the
// employee's punches) or after other reads.
func stIntents(t *testing.T, s Store) {
	ctx := context.Background()
	actor := core.Identity{Platform: core.PlatformFeishu, Tenant: "t1", UserID: "ou_li"}
	armed := stNow.Add(-time.Minute)
	first := core.PunchIntent{EmployeeID: "li", Actor: actor, Kind: core.KindOut, ArmedAt: armed, ExpiresAt: armed.Add(5 * time.Minute)}
	// read answers in one of three ways: in a transaction, as its first
	// read under the employee's lock, or outside any (Store.WaitingIntent).
	read := func(way string, now time.Time) (core.PunchIntent, error) {
		if way == "outside" {
			return s.WaitingIntent(ctx, "li", now)
		}
		var got core.PunchIntent
		err := s.InTx(ctx, func(tx core.Tx) error {
			if way == "locked" {
				if err := tx.LockEmployee(ctx, "li"); err != nil {
					return err
				}
			}
			var err error
			got, err = tx.PunchIntent(ctx, "li", now)
			return err
		})
		return got, err
	}
	ways := []string{"in a transaction", "locked", "outside"}
	norm := func(in core.PunchIntent) core.PunchIntent {
		in.ArmedAt, in.ExpiresAt = stUTC(in.ArmedAt), stUTC(in.ExpiresAt)
		return in
	}

	for _, way := range ways {
		_, err := read(way, stNow)
		stWantCode(t, "intent before any, "+way, err, core.ENOTFOUND)
	}
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ArmIntent(ctx, first) })
	for _, way := range ways {
		got, err := read(way, stNow)
		if err != nil {
			t.Fatalf("intent, %s: %v", way, err)
		}
		stDiff(t, "intent as armed, "+way, norm(got), norm(first))
		_, err = read(way, first.ExpiresAt)
		stWantCode(t, "intent at its expiry, "+way, err, core.ENOTFOUND)
	}

	// A newer text punch replaces it; clearing the older one then leaves
	// the newer in place.
	newer := first
	newer.Kind, newer.ArmedAt, newer.ExpiresAt = core.KindIn, stNow, stNow.Add(5*time.Minute)
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ArmIntent(ctx, newer) })
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ClearIntent(ctx, first) })
	got, err := read("outside", stNow)
	if err != nil {
		t.Fatalf("intent after clearing the older: %v", err)
	}
	stDiff(t, "intent after clearing the older", norm(got), norm(newer))

	// Read after the employee's punches under the lock, then used up in
	// the same transaction; a rollback keeps it.
	useUp := func(fail bool) error {
		return s.InTx(ctx, func(tx core.Tx) error {
			if err := tx.LockEmployee(ctx, "li"); err != nil {
				return err
			}
			if _, err := tx.ShiftPunches(ctx, "li", "2026-11-26"); err != nil {
				return err
			}
			in, err := tx.PunchIntent(ctx, "li", stNow)
			if err != nil {
				return err
			}
			if err := tx.ClearIntent(ctx, in); err != nil {
				return err
			}
			if _, err := tx.PunchIntent(ctx, "li", stNow); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("intent after its clear in the transaction: %v, want not found", err)
			}
			if fail {
				return core.Errorf(core.EINTERNAL, "roll back")
			}
			return nil
		})
	}
	stWantCode(t, "a failed use", useUp(true), core.EINTERNAL)
	if _, err := read("outside", stNow); err != nil {
		t.Errorf("intent after a rolled-back use: %v, want kept", err)
	}
	if err := useUp(false); err != nil {
		t.Fatalf("use up: %v", err)
	}
	_, err = read("locked", stNow)
	stWantCode(t, "intent used up", err, core.ENOTFOUND)

	// 打卡 without a direction waits too: its location decides by context.
	auto := first
	auto.Kind, auto.ArmedAt, auto.ExpiresAt = core.KindAuto, stNow, stNow.Add(5*time.Minute)
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ArmIntent(ctx, auto) })
	if got, err := read("outside", stNow); err != nil || got.Kind != core.KindAuto {
		t.Errorf("an undirected text punch = %+v, %v; want it waiting", got, err)
	}
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ClearIntent(ctx, auto) })

	// Another employee's is their own.
	other := first
	other.EmployeeID = "boss"
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ArmIntent(ctx, other) })
	_, err = read("locked", stNow)
	stWantCode(t, "li's intent after boss's", err, core.ENOTFOUND)
}

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
	read := func(lockFirst bool, now time.Time) (core.PunchIntent, error) {
		var got core.PunchIntent
		err := s.InTx(ctx, func(tx core.Tx) error {
			if lockFirst {
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
	norm := func(in core.PunchIntent) core.PunchIntent {
		in.ArmedAt, in.ExpiresAt = stUTC(in.ArmedAt), stUTC(in.ExpiresAt)
		return in
	}

	for _, lock := range []bool{false, true} {
		_, err := read(lock, stNow)
		stWantCode(t, "intent before any", err, core.ENOTFOUND)
	}
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ArmIntent(ctx, first) })
	for _, lock := range []bool{false, true} {
		got, err := read(lock, stNow)
		if err != nil {
			t.Fatalf("intent (locked %t): %v", lock, err)
		}
		stDiff(t, "intent as armed", norm(got), norm(first))
	}
	_, err := read(true, first.ExpiresAt)
	stWantCode(t, "intent at its expiry", err, core.ENOTFOUND)

	// A newer text punch replaces it; clearing the older one then leaves
	// the newer in place.
	newer := first
	newer.Kind, newer.ArmedAt, newer.ExpiresAt = core.KindIn, stNow, stNow.Add(5*time.Minute)
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ArmIntent(ctx, newer) })
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ClearIntent(ctx, first) })
	got, err := read(false, stNow)
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
	if _, err := read(false, stNow); err != nil {
		t.Errorf("intent after a rolled-back use: %v, want kept", err)
	}
	if err := useUp(false); err != nil {
		t.Fatalf("use up: %v", err)
	}
	_, err = read(true, stNow)
	stWantCode(t, "intent used up", err, core.ENOTFOUND)

	// Another employee's is their own.
	other := first
	other.EmployeeID = "boss"
	stMustInTx(t, s, func(tx core.Tx) error { return tx.ArmIntent(ctx, other) })
	_, err = read(true, stNow)
	stWantCode(t, "li's intent after boss's", err, core.ENOTFOUND)
}

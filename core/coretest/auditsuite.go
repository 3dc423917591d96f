package coretest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func stListAudit(t *testing.T, s Store) {
	ctx := context.Background()
	stMustInTx(t, s, func(tx core.Tx) error {
		for i := range 5 {
			a := core.AuditEntry{At: stNow.Add(time.Duration(i) * time.Second), Actor: "li", Action: fmt.Sprintf("a%d", i), Subject: "li", Detail: `{"i":1}`}
			if err := tx.InsertAudit(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.ListAudit(ctx, 3)
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	var actions []string
	for _, a := range got {
		actions = append(actions, a.Action)
		if a.ID == 0 {
			t.Errorf("audit entry %s has no id", a.Action)
		}
	}
	stDiff(t, "ListAudit(3), newest first", actions, []string{"a4", "a3", "a2"})
	if len(got) == 3 {
		want := core.AuditEntry{ID: got[0].ID, At: stNow.Add(4 * time.Second), Actor: "li", Action: "a4", Subject: "li", Detail: `{"i":1}`}
		stDiff(t, "audit entry", stNormAudit(got[0]), stNormAudit(want))
	}
	if all, _ := s.ListAudit(ctx, 0); len(all) != 5 {
		t.Errorf("ListAudit(0) = %d entries, want 5", len(all))
	}
}

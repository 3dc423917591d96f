package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// The bulk reads of reports and the console, the retention job, erasure and
// the organisation's own settings (migration 0004).

var (
	_ core.ReportSource   = (*Store)(nil)
	_ core.RetentionStore = (*Store)(nil)
	_ core.EraseStore     = (*Store)(nil)
	_ core.AuditFinder    = (*Store)(nil)
	_ core.OrgInfoStore   = (*Store)(nil)
)

// readTx runs fn on one read-only snapshot of the read pool.
func (s *Store) readTx(ctx context.Context, fn func(txConn) error) error {
	rtx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return translate(err, "begin read")
	}
	var missed []string
	defer func() {
		rtx.Rollback()
		s.rs.prepare(ctx, missed)
	}()
	return fn(txConn{tx: rtx, c: s.rs, missed: &missed})
}

// ScanShiftPunches streams the punches of a shift-date range, ordered by
// employee id (byte order), shift date, time and id.
func (s *Store) ScanShiftPunches(ctx context.Context, r core.ShiftRange, fn func(core.Punch) error) error {
	where := []string{"shift_date >= ?", "shift_date <= ?"}
	args := []any{r.From, r.To}
	if r.ValidOnly {
		where = append(where, "outcome IN ('accepted', 'field')")
	}
	if r.EmployeeIDs != nil {
		where, args = append(where, "employee_id IN (SELECT value FROM json_each(?))"), append(args, jsonList(r.EmployeeIDs))
	}
	q := `SELECT ` + punchCols + ` FROM punches WHERE ` + strings.Join(where, " AND ") + ` ORDER BY employee_id, shift_date, at, id`
	return s.readTx(ctx, func(tx txConn) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return translate(err, "scan punches")
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPunch(rows)
			if err != nil {
				return translate(err, "scan punches")
			}
			if err := fn(p); err != nil {
				return err
			}
		}
		return translate(rows.Err(), "scan punches")
	})
}

// OrgInfo returns the last applied organisation's name, language and zone.
func (s *Store) OrgInfo(ctx context.Context) (core.OrgInfo, error) {
	var info core.OrgInfo
	err := poolConn{s.rs}.QueryRowContext(ctx, `SELECT name, lang, time_zone FROM org_info WHERE id = 1`).Scan(&info.Name, &info.Lang, &info.TimeZone)
	if errors.Is(err, sql.ErrNoRows) {
		return core.OrgInfo{}, nil
	}
	return info, translate(err, "load organisation settings")
}

// saveOrgInfo records the organisation's own settings inside ApplyOrg's
// transaction.
func saveOrgInfo(ctx context.Context, tx txConn, org core.Org) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO org_info (id, name, lang, time_zone) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, lang = excluded.lang, time_zone = excluded.time_zone`, org.Name, org.Lang, org.TimeZone)
	return translate(err, "save organisation settings")
}

// ClaimRetentionRun claims a retention day once across every process that
// opens the file.
func (s *Store) ClaimRetentionRun(ctx context.Context, day string, at time.Time) (bool, error) {
	var claimed bool
	err := s.writeTx(ctx, func(tx txConn) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO retention_runs (day, claimed_at) VALUES (?, ?) ON CONFLICT (day) DO NOTHING`, day, micros(at))
		if err != nil {
			return translate(err, "claim retention run")
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return translate(err, "claim retention run")
	})
	return claimed, err
}

// precise is the SQL form of core.Punch.Precise; the partial index of
// migration 0004 has the same predicate.
const precise = `(has_location = 1 OR label <> '' OR client_ip <> '')`

// rewritePlaces writes the place fields of each punch through reduce.
func rewritePlaces(ctx context.Context, tx txConn, ps []core.Punch, reduce func(core.Punch) core.Punch) error {
	for _, p := range ps {
		r := reduce(p)
		if _, err := tx.ExecContext(ctx, `UPDATE punches SET has_location = ?, lat = ?, lng = ?, accuracy_m = ?, label = ?, client_ip = ?, distance_m = ?
			WHERE id = ?`, boolInt(r.HasLocation), r.Lat, r.Lng, r.AccuracyM, r.Label, r.ClientIP, r.DistanceM, p.ID); err != nil {
			return translate(err, "reduce punch")
		}
	}
	return nil
}

// ReducePunches rewrites the place of up to limit precise punches older
// than before, and deletes their event records, in one write transaction.
// SQLite has one writer, so no other transaction can hold the rows.
func (s *Store) ReducePunches(ctx context.Context, before time.Time, limit int, reduce func(core.Punch) core.Punch) (int, error) {
	var n int
	err := s.writeTx(ctx, func(tx txConn) error {
		ps, err := punches(ctx, tx, `SELECT `+punchCols+` FROM punches WHERE `+precise+` AND at < ? ORDER BY at, id LIMIT ?`, micros(before), limit)
		if err != nil {
			return err
		}
		n = len(ps)
		if err := rewritePlaces(ctx, tx, ps, reduce); err != nil {
			return err
		}
		for _, p := range ps {
			if p.EventID == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE source = ? AND event_id = ?`, p.Source, p.EventID); err != nil {
				return translate(err, "delete event record")
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// PruneReplies deletes up to limit delivered or failed replies created
// before before, oldest first, in one write transaction. The partial index
// of migration 0021 (doneReplies is its predicate) finds them without
// reading the cards and reminder deliveries that stay.
func (s *Store) PruneReplies(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := s.writeTx(ctx, func(tx txConn) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id IN
			(SELECT id FROM outbox WHERE `+doneReplies+` AND created_at < ? ORDER BY created_at, id LIMIT ?)`, micros(before), limit)
		if err != nil {
			return translate(err, "prune replies")
		}
		n, err = r.RowsAffected()
		return translate(err, "prune replies")
	})
	return int(n), err
}

// doneReplies is the SQL form of a reply (core.OutboxReply) that is no
// longer pending.
const doneReplies = `kind = 'reply' AND status <> 'pending'`

// employeeMention is how a stored JSON document names the employee: the
// field of a core.Reply payload or of a core.Recipient route.
func employeeMention(field, id string) string {
	v, _ := json.Marshal(id)
	return `"` + field + `":` + string(v)
}

// ErasePersonalData erases an inactive employee's personal data in one
// write transaction.
func (s *Store) ErasePersonalData(ctx context.Context, employeeID string, reduce func(core.Punch) core.Punch, audit func(core.ErasureResult) core.AuditEntry) (core.ErasureResult, error) {
	var res core.ErasureResult
	err := s.writeTx(ctx, func(tx txConn) error {
		var active int
		err := tx.QueryRowContext(ctx, `SELECT active FROM employees WHERE id = ?`, employeeID).Scan(&active)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "no employee %q", employeeID)
		}
		if err != nil {
			return translate(err, "load employee")
		}
		if active != 0 {
			return core.Errorf(core.ECONFLICT, "employee %s is still active: set active: false in the organisation file and apply it first", employeeID)
		}
		count := func(what, q string, args ...any) (int, error) {
			r, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return 0, translate(err, what)
			}
			n, err := r.RowsAffected()
			return int(n), translate(err, what)
		}
		if _, err := count("erase name", `UPDATE employees SET name = ? WHERE id = ?`, core.ErasedName, employeeID); err != nil {
			return err
		}
		// The org export now shows another name: the version moves on, so a
		// console save read before this erasure is refused (core.Org.Version).
		if _, err := count("move the organisation's version on", `INSERT INTO org_version (id, version) VALUES (1, 2)
			ON CONFLICT (id) DO UPDATE SET version = version + 1`); err != nil {
			return err
		}
		if res.Identities, err = count("unbind identities", `DELETE FROM identities WHERE employee_id = ?`, employeeID); err != nil {
			return err
		}
		ps, err := punches(ctx, tx, `SELECT `+punchCols+` FROM punches WHERE employee_id = ? AND `+precise+` ORDER BY id`, employeeID)
		if err != nil {
			return err
		}
		res.Punches = len(ps)
		if err := rewritePlaces(ctx, tx, ps, reduce); err != nil {
			return err
		}
		if res.Makeups, err = count("clear make-up reasons", `UPDATE makeup_requests SET reason = '', evidence = '[]', note = '', place = ''
			WHERE employee_id = ? AND (reason <> '' OR evidence <> '[]' OR note <> '' OR place <> '')`, employeeID); err != nil {
			return err
		}
		if res.Events, err = count("remove recorded replies", `DELETE FROM events WHERE employee_id = ?`, employeeID); err != nil {
			return err
		}
		// A text punch still waiting names the platform account.
		if _, err := count("remove a waiting text punch", `DELETE FROM punch_intents WHERE employee_id = ?`, employeeID); err != nil {
			return err
		}
		if res.Outbox, err = count("remove delivered messages", `DELETE FROM outbox WHERE status <> 'pending'
			AND (instr(CAST(payload AS TEXT), ?) > 0 OR instr(route, ?) > 0)`,
			employeeMention("EmployeeID", employeeID), employeeMention("employee_id", employeeID)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit(res))
	})
	if err != nil {
		return core.ErasureResult{}, err
	}
	return res, nil
}

// FindAudit lists matching audit entries, newest first.
func (s *Store) FindAudit(ctx context.Context, f core.AuditFilter) ([]core.AuditEntry, error) {
	var c conditions
	if f.Subject != "" {
		c.add("subject = ?", f.Subject)
	}
	if f.Actor != "" {
		c.add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		// substr, not LIKE: LIKE folds case and reads % and _ as wildcards.
		c.add("substr(action, 1, length(?)) = ?", f.Action, f.Action)
	}
	q, args := c.query(`SELECT id, at, actor, action, subject, detail FROM audit`, `id DESC`, f.Limit)
	return queryAll(ctx, poolConn{s.rs}, "find audit", q, args, scanAudit)
}

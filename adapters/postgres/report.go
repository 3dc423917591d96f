package postgres

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
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

// reportWorkMem lets the report query sort a month of punches in memory.
const reportWorkMem = "128MB"

// ScanShiftPunches streams the punches of a shift-date range, ordered by
// employee id (byte order, as every store does), shift date, time and id.
func (s *Store) ScanShiftPunches(ctx context.Context, r core.ShiftRange, fn func(core.Punch) error) error {
	where := []string{"shift_date >= $1", "shift_date <= $2"}
	args := []any{r.From, r.To}
	if r.ValidOnly {
		where = append(where, "outcome IN ('accepted', 'field')")
	}
	if r.EmployeeIDs != nil {
		args = append(args, r.EmployeeIDs)
		where = append(where, fmt.Sprintf("employee_id = ANY($%d)", len(args)))
	}
	cols := punchCols
	if r.Lean {
		cols = leanCols
	}
	q := `SELECT ` + cols + ` FROM punches WHERE ` + strings.Join(where, " AND ") + ` ORDER BY employee_id COLLATE "C", shift_date, at, id`
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('work_mem', $1, true)`, reportWorkMem); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		scan := func(p *core.Punch) error { return scanPunchAnd(rows, p) }
		if r.Lean {
			scan = leanScanner(rows)
		}
		for rows.Next() {
			var p core.Punch
			if err := scan(&p); err != nil {
				return err
			}
			if err := fn(p); err != nil {
				return callbackError{err}
			}
		}
		return rows.Err()
	})
	var cb callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	return translate(err, "scan punches")
}

// leanCols are the columns a lean scan reads, flags as text so that the
// common empty list costs no JSON decoding.
const leanCols = `employee_id, kind, at, shift_date, source, site_id, outcome, flags::text`

// microsY2K is the PostgreSQL epoch (2000-01-01 UTC) in Unix microseconds:
// a binary timestamptz counts microseconds from it.
const microsY2K = 946_684_800 * 1_000_000

// leanScanner decodes leanCols straight from the wire bytes. A month of
// punches repeats a few thousand distinct strings (employee ids, dates,
// sites) hundreds of thousands of times; interning them instead of
// allocating each one is most of the saving, together with skipping pgx's
// reflection-based Scan.
func leanScanner(rows pgx.Rows) func(*core.Punch) error {
	fds := rows.FieldDescriptions()
	intern := map[string]string{}
	str := func(b []byte) string {
		if v, ok := intern[string(b)]; ok {
			return v
		}
		v := string(b)
		if len(intern) < 1<<16 {
			intern[v] = v
		}
		return v
	}
	return func(p *core.Punch) error {
		raw := rows.RawValues()
		if len(raw) != 8 || len(fds) != 8 {
			return fmt.Errorf("lean punch row has %d columns, want 8", len(raw))
		}
		p.EmployeeID, p.Kind, p.ShiftDate = str(raw[0]), core.PunchKind(str(raw[1])), str(raw[3])
		p.Source, p.SiteID, p.Outcome = str(raw[4]), str(raw[5]), core.Outcome(str(raw[6]))
		if fds[2].Format == pgx.BinaryFormatCode && len(raw[2]) == 8 {
			p.At = time.UnixMicro(int64(binary.BigEndian.Uint64(raw[2])) + microsY2K).UTC()
		} else if err := rows.Conn().TypeMap().Scan(fds[2].DataTypeOID, fds[2].Format, raw[2], &p.At); err != nil {
			return err
		} else {
			p.At = p.At.UTC()
		}
		if f := raw[7]; len(f) > 2 {
			if err := json.Unmarshal(f, &p.Flags); err != nil {
				return err
			}
		}
		return nil
	}
}

// callbackError carries the caller's own error through the transaction
// untranslated.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
func (e callbackError) Unwrap() error { return e.err }

// OrgInfo returns the last applied organisation's name, language and zone.
func (s *Store) OrgInfo(ctx context.Context) (core.OrgInfo, error) {
	var info core.OrgInfo
	err := s.pool.QueryRow(ctx, `SELECT name, lang, time_zone FROM org_info WHERE id = 1`).Scan(&info.Name, &info.Lang, &info.TimeZone)
	if errors.Is(err, pgx.ErrNoRows) {
		return core.OrgInfo{}, nil
	}
	return info, translate(err, "load organisation settings")
}

// queueOrgInfo records the organisation's own settings in ApplyOrg's batch.
func queueOrgInfo(b *pgx.Batch, org core.Org) {
	b.Queue(`INSERT INTO org_info (id, name, lang, time_zone) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, lang = excluded.lang, time_zone = excluded.time_zone`, org.Name, org.Lang, org.TimeZone)
}

// ClaimRetentionRun claims a retention day once across every replica: the
// primary key decides.
func (s *Store) ClaimRetentionRun(ctx context.Context, day string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO retention_runs (day, claimed_at) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING`, day, ts(at))
	if err != nil {
		return false, translate(err, "claim retention run")
	}
	return tag.RowsAffected() == 1, nil
}

// precise is the SQL form of core.Punch.Precise; the partial index of
// migration 0004 has the same predicate.
const precise = `(has_location OR label <> '' OR client_ip <> '')`

// rewritePlaces writes the place fields of ps through reduce in one
// statement.
func rewritePlaces(ctx context.Context, tx pgx.Tx, ps []core.Punch, reduce func(core.Punch) core.Punch) error {
	if len(ps) == 0 {
		return nil
	}
	n := len(ps)
	ids, has := make([]int64, n), make([]bool, n)
	lat, lng, acc, dist := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	label, ip := make([]string, n), make([]string, n)
	for i, p := range ps {
		r := reduce(p)
		ids[i], has[i], lat[i], lng[i], acc[i], label[i], ip[i], dist[i] = p.ID, r.HasLocation, r.Lat, r.Lng, r.AccuracyM, r.Label, r.ClientIP, r.DistanceM
	}
	_, err := tx.Exec(ctx, `UPDATE punches p SET has_location = u.h, lat = u.lat, lng = u.lng, accuracy_m = u.acc, label = u.label,
			client_ip = u.ip, distance_m = u.dist
		FROM unnest($1::bigint[], $2::boolean[], $3::float8[], $4::float8[], $5::float8[], $6::text[], $7::text[], $8::float8[])
			AS u(id, h, lat, lng, acc, label, ip, dist)
		WHERE p.id = u.id`, ids, has, lat, lng, acc, label, ip, dist)
	return err
}

// eventKeys are the (source, event id) keys of the punches stored under an
// event, as two columns.
func eventKeys(ps []core.Punch) (sources, ids []string) {
	sources, ids = []string{}, []string{}
	for _, p := range ps {
		if p.EventID != "" {
			sources, ids = append(sources, p.Source), append(ids, p.EventID)
		}
	}
	return sources, ids
}

func collectPunchRows(rows pgx.Rows) ([]core.Punch, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.Punch, error) { return scanPunch(row) })
}

// ReducePunches rewrites the place of up to limit precise punches older
// than before, and deletes their event records, in one transaction. Rows
// another replica has locked are skipped (FOR UPDATE SKIP LOCKED), so
// concurrent runs share the work instead of waiting for each other, and
// each punch is rewritten once.
func (s *Store) ReducePunches(ctx context.Context, before time.Time, limit int, reduce func(core.Punch) core.Punch) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+punchCols+` FROM punches WHERE `+precise+` AND at < $1 ORDER BY at, id LIMIT $2
			FOR UPDATE SKIP LOCKED`, ts(before), limit)
		if err != nil {
			return err
		}
		ps, err := collectPunchRows(rows)
		if err != nil {
			return err
		}
		n = len(ps)
		if err := rewritePlaces(ctx, tx, ps, reduce); err != nil {
			return err
		}
		sources, ids := eventKeys(ps)
		_, err = tx.Exec(ctx, `DELETE FROM events e USING unnest($1::text[], $2::text[]) AS k(source, event_id)
			WHERE e.source = k.source AND e.event_id = k.event_id`, sources, ids)
		return err
	})
	if err != nil {
		return 0, translate(err, "reduce punches")
	}
	return n, nil
}

// PruneReplies deletes up to limit delivered or failed replies created
// before before, oldest first, in one statement. The partial index of
// migration 0021 (doneReplies is its predicate) finds them without reading
// the cards and reminder deliveries that stay; rows another transaction
// holds are skipped rather than waited for.
func (s *Store) PruneReplies(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM outbox WHERE id IN
		(SELECT id FROM outbox WHERE `+doneReplies+` AND created_at < $1 ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)`, ts(before), limit)
	if err != nil {
		return 0, translate(err, "prune replies")
	}
	return int(tag.RowsAffected()), nil
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
// transaction that holds the employee's row, so an apply cannot reactivate
// them halfway.
func (s *Store) ErasePersonalData(ctx context.Context, employeeID string, reduce func(core.Punch) core.Punch, audit func(core.ErasureResult) core.AuditEntry) (core.ErasureResult, error) {
	var res core.ErasureResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var active bool
		err := tx.QueryRow(ctx, `SELECT active FROM employees WHERE id = $1 FOR UPDATE`, employeeID).Scan(&active)
		if errors.Is(err, pgx.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "no employee %q", employeeID)
		}
		if err != nil {
			return err
		}
		if active {
			return core.Errorf(core.ECONFLICT, "employee %s is still active: set active: false in the organisation file and apply it first", employeeID)
		}
		count := func(q string, args ...any) (int, error) {
			tag, err := tx.Exec(ctx, q, args...)
			return int(tag.RowsAffected()), err
		}
		// The name and the identities change: every replica's roster
		// cache is cleared, as by ApplyOrg (listen.go).
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, s.channel); err != nil {
			return err
		}
		if _, err := count(`UPDATE employees SET name = $2 WHERE id = $1`, employeeID, core.ErasedName); err != nil {
			return err
		}
		// The org export now shows another name: the version moves on, so a
		// console save read before this erasure is refused (core.Org.Version).
		if _, err := count(`INSERT INTO org_version AS v (id, version) VALUES (1, 2)
			ON CONFLICT (id) DO UPDATE SET version = v.version + 1`); err != nil {
			return err
		}
		if res.Identities, err = count(`DELETE FROM identities WHERE employee_id = $1`, employeeID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+punchCols+` FROM punches WHERE employee_id = $1 AND `+precise+` ORDER BY id FOR UPDATE`, employeeID)
		if err != nil {
			return err
		}
		ps, err := collectPunchRows(rows)
		if err != nil {
			return err
		}
		res.Punches = len(ps)
		if err := rewritePlaces(ctx, tx, ps, reduce); err != nil {
			return err
		}
		if res.Makeups, err = count(`UPDATE makeup_requests SET reason = '', evidence = '[]', note = '', place = ''
			WHERE employee_id = $1 AND (reason <> '' OR evidence <> '[]'::jsonb OR note <> '' OR place <> '')`, employeeID); err != nil {
			return err
		}
		if res.Events, err = count(`DELETE FROM events WHERE employee_id = $1`, employeeID); err != nil {
			return err
		}
		// A text punch still waiting names the platform account.
		if _, err := tx.Exec(ctx, `DELETE FROM punch_intents WHERE employee_id = $1`, employeeID); err != nil {
			return err
		}
		if res.Outbox, err = count(`DELETE FROM outbox WHERE status <> 'pending' AND (strpos(payload::text, $1) > 0 OR strpos(route, $2) > 0)`,
			employeeMention("EmployeeID", employeeID), employeeMention("employee_id", employeeID)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, insertAudit, auditArgs(audit(res))...)
		return err
	})
	if err != nil {
		return core.ErasureResult{}, translate(err, "erase personal data of "+employeeID)
	}
	s.cache.clear()
	return res, nil
}

// FindAudit lists matching audit entries, newest first.
func (s *Store) FindAudit(ctx context.Context, f core.AuditFilter) ([]core.AuditEntry, error) {
	var c conditions
	if f.Subject != "" {
		c.add("subject = $%d", f.Subject)
	}
	if f.Actor != "" {
		c.add("actor = $%d", f.Actor)
	}
	if f.Action != "" {
		// starts_with, not LIKE: LIKE reads % and _ as wildcards.
		c.add("starts_with(action, $%d)", f.Action)
	}
	q, args := c.query(`SELECT id, at, actor, action, subject, detail FROM audit`, `id DESC`, f.Limit)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, translate(err, "find audit")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.AuditEntry, error) {
		var a core.AuditEntry
		err := row.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.Subject, &a.Detail)
		a.At = fromTS(a.At)
		return a, err
	})
	return out, translate(err, "find audit")
}

package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

func TestZZCost(t *testing.T) {
	if os.Getenv("ZZCOST") == "" {
		t.Skip()
	}
	if v := os.Getenv("ZZWAIT"); v != "" {
		groupWait, _ = time.ParseDuration(v)
	}
	if v := os.Getenv("ZZBELOW"); v != "" {
		fmt.Sscan(v, &groupWaitBelow)
	}
	if v := os.Getenv("ZZLEADERS"); v != "" {
		fmt.Sscan(v, &groupLeaders)
	}
	url := testURL(t)
	conns := os.Getenv("ZZCONNS")
	if conns == "" {
		conns = "16"
	}
	url += "&pool_max_conns=" + conns + os.Getenv("ZZURL")
	s := mustMigrate(t, mustOpenURL(t, url))
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, `CREATE TABLE raw_punches (LIKE punches INCLUDING ALL)`); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("ZZTRIG") != "" {
		if _, err := s.pool.Exec(ctx, `ALTER TABLE employees ADD COLUMN punch_seq bigint NOT NULL DEFAULT 0;
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE employees SET punch_seq = punch_seq + 1 WHERE id = NEW.employee_id;
  RETURN NULL;
END $$;
CREATE TRIGGER punches_bump AFTER INSERT ON punches FOR EACH ROW EXECUTE FUNCTION bump();`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ApplyOrg(ctx, coretest.BenchOrg(t, 64, 5), core.AuditEntry{At: time.Now(), Actor: "bench", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	raw := `INSERT INTO raw_punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location,
		lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`
	mk := func(i int, prefix string) core.Punch {
		cmd := coretest.BenchCommand(i, 64, 5)
		return core.Punch{EmployeeID: fmt.Sprintf("b%03d", i%64), Kind: core.KindIn, At: cmd.At, ReceivedAt: cmd.ReceivedAt, ShiftDate: cmd.At.Format(core.DateLayout),
			Source: "slack", EventID: prefix + cmd.EventID, HasLocation: true, Lat: cmd.Location.Lat, Lng: cmd.Location.Lng, AccuracyM: cmd.Location.AccuracyM,
			SiteID: "s001-4", DistanceM: 1.1, Outcome: core.OutcomeAccepted, TimeResult: core.TimeNormal}
	}
	payload := []byte(`{"outcome":"accepted","employee_id":"b001","employee_name":"Bench 1","kind":"in","at":"2026-01-05T01:00:00Z","shift_date":"2026-01-05","site_id":"s001-4","site_name":"s001-4","radius_m":200,"distance_m":1.1,"accuracy_m":15}`)
	type variant struct {
		name string
		fn   func(i int) error
	}
	txfn := func(prefix string, lock, read, audit, event, outbox, ident, evreply bool) func(i int) error {
		return func(i int) error {
			p := mk(i, prefix)
			if ident {
				if _, err := s.FindIdentity(ctx, core.PlatformSlack, "T1", fmt.Sprintf("U%03d", i%64)); err != nil {
					return err
				}
				if _, err := s.Roster(ctx, p.EmployeeID); err != nil {
					return err
				}
			}
			if evreply {
				if _, err := s.EventReply(ctx, "slack", p.EventID); core.ErrorCode(err) != core.ENOTFOUND {
					return err
				}
			}
			return s.InTx(ctx, func(tx core.Tx) error {
				if lock {
					tx.LockEmployee(ctx, p.EmployeeID)
				}
				if g := os.Getenv("ZZGUARD"); g != "" {
					pt := tx.(*pgTx)
					switch g {
					case "update":
						pt.exec("g", "UPDATE employees SET updated_at = now() WHERE id = $1", []any{p.EmployeeID}, nil)
					case "count":
						pt.exec("g", "SELECT count(*) FROM (SELECT id FROM punches WHERE employee_id = $1 AND shift_date = $2 UNION ALL (SELECT id FROM punches WHERE employee_id = $1 AND has_location ORDER BY at DESC, id DESC LIMIT 1)) u", []any{p.EmployeeID, p.ShiftDate}, nil)
					}
				} else if os.Getenv("ZZSEL1") != "" && read {
					pt := tx.(*pgTx)
					pt.query("x", "SELECT 1", nil, func(r pgx.Rows) error { for r.Next() {}; return nil })
					if err := pt.flush(ctx); err != nil { return err }
				} else if os.Getenv("ZZCOUNT") != "" && read {
					pt := tx.(*pgTx)
					pt.query("x", "SELECT count(*) FROM (SELECT "+punchCols+", k FROM ((SELECT *, 0 AS k FROM punches WHERE employee_id = $1 AND shift_date = $2) UNION ALL (SELECT *, 1 AS k FROM punches WHERE employee_id = $1 AND has_location ORDER BY at DESC, id DESC LIMIT 1)) AS u ORDER BY k, at, id) c", []any{p.EmployeeID, p.ShiftDate}, func(r pgx.Rows) error { for r.Next() {}; return nil })
					if err := pt.flush(ctx); err != nil { return err }
				} else if os.Getenv("ZZIDS") != "" && read {
					pt := tx.(*pgTx)
					pt.query("x", "SELECT id, k FROM ((SELECT *, 0 AS k FROM punches WHERE employee_id = $1 AND shift_date = $2) UNION ALL (SELECT *, 1 AS k FROM punches WHERE employee_id = $1 AND has_location ORDER BY at DESC, id DESC LIMIT 1)) AS u ORDER BY k, at, id", []any{p.EmployeeID, p.ShiftDate}, func(r pgx.Rows) error { for r.Next() {}; return nil })
					if err := pt.flush(ctx); err != nil { return err }
				} else if os.Getenv("ZZCOLD") != "" && read {
					if _, err := tx.ShiftPunches(ctx, "cold", "2020-01-01"); err != nil {
						return err
					}
				} else if os.Getenv("ZZSHIFTONLY") != "" && read {
					if _, err := tx.ShiftPunches(ctx, p.EmployeeID, p.ShiftDate); err != nil {
						return err
					}
				} else if read {
					if _, err := tx.ShiftPunches(ctx, p.EmployeeID, p.ShiftDate); err != nil {
						return err
					}
					if _, err := tx.LastLocatedPunch(ctx, p.EmployeeID, p.At); err != nil && core.ErrorCode(err) != core.ENOTFOUND {
						return err
					}
				}
				if err := tx.InsertPunch(ctx, &p); err != nil {
					return err
				}
				if audit {
					tx.InsertAudit(ctx, core.AuditEntry{At: p.At, Actor: p.EmployeeID, Action: "punch.accepted", Subject: p.EmployeeID, Detail: `{"punch_id":1,"kind":"in","reasons":null,"flags":null,"source":"slack"}`})
				}
				if event {
					tx.InsertEvent(ctx, core.EventRecord{Source: "slack", EventID: p.EventID, EmployeeID: p.EmployeeID, Reply: core.Reply{Outcome: core.OutcomeAccepted, EmployeeID: p.EmployeeID, EmployeeName: "Bench", Kind: "in", At: p.At, ShiftDate: p.ShiftDate, SiteID: "s001-4", SiteName: "s001-4", RadiusM: 200, DistanceM: 1.1, AccuracyM: 15}, CreatedAt: p.At})
				}
				if outbox {
					tx.EnqueueOutbox(ctx, core.OutboxMessage{Platform: core.PlatformSlack, Route: `{"channel":"D1"}`, Kind: "reply", Payload: payload, DedupeKey: "reply:slack:" + p.EventID, NextAttempt: p.At, Status: core.OutboxPending, CreatedAt: p.At})
				}
				return nil
			})
		}
	}
	vs := []variant{
		{"punch-only-tx", txfn("a", false, false, false, false, false, false, false)},
		{"4rows-1rt", txfn("b", false, false, true, true, true, false, false)},
		{"lock+read+4rows", txfn("c", true, true, true, true, true, false, false)},
		{"nolock+read+4rows", txfn("g", false, true, true, true, true, false, false)},
		{"lock+read+punch+outbox", txfn("d", true, true, false, false, true, false, false)},
		{"+evreply", txfn("e", true, true, true, true, true, false, true)},
		{"+ident+evreply", txfn("f", true, true, true, true, true, true, true)},
	}
	group := func(k int, guard bool) func(i int) error {
		return func(i int) error {
			if i%k != 0 {
				return nil
			}
			b := &pgx.Batch{}
			for j := 0; j < k; j++ {
				p := mk(i+j, fmt.Sprintf("g%d-", k))
				b.Queue(`SELECT pg_advisory_xact_lock(1, hashtext($1))`, p.EmployeeID)
				if guard {
					b.Queue("UPDATE employees SET updated_at = now() WHERE id = $1", p.EmployeeID)
				}
				st := s.combine([]stmt{
					{sql: insertPunch, args: append([]any{int64(1e9 + i + j + k*100000)}, punchArgs(&p)...), table: "punches"},
					{sql: insertAudit, args: auditArgs(core.AuditEntry{At: p.At, Actor: p.EmployeeID, Action: "punch.accepted", Subject: p.EmployeeID, Detail: `{"punch_id":1,"kind":"in","reasons":null,"flags":null,"source":"slack"}`}), table: "audit"},
					{sql: `INSERT INTO events (source, event_id, employee_id, reply, created_at) VALUES ($1, $2, $3, $4, $5)`, args: []any{"slack", p.EventID, p.EmployeeID, string(payload), p.At}, table: "events"},
					{sql: insertOutbox, args: []any{"slack", `{"channel":"D1"}`, "reply", string(payload), "reply:slack:" + p.EventID, int32(0), p.At, "pending", "", p.At, nil, int64(0)}, table: "outbox"},
				})
				b.Queue(st.sql, st.args...)
			}
			return s.pool.SendBatch(ctx, b).Close()
		}
	}
	merged := func(k int) func(i int) error {
		return func(i int) error {
			if i%k != 0 {
				return nil
			}
			var emps []string
			var pv, av, ev, ov []string
			var pa, aa, ea, oa []any
			ph := func(args *[]any, vals ...any) string {
				var parts []string
				for _, v := range vals {
					*args = append(*args, v)
					parts = append(parts, fmt.Sprintf("$%d", len(*args)))
				}
				return "(" + strings.Join(parts, ", ") + ")"
			}
			_ = ph
			for j := 0; j < k; j++ {
				p := mk(i+j, fmt.Sprintf("m%d-", k))
				emps = append(emps, p.EmployeeID)
				pv = append(pv, ph(&pa, append([]any{int64(2e9 + i + j + k*100000)}, punchArgs(&p)...)...))
				av = append(av, ph(&aa, auditArgs(core.AuditEntry{At: p.At, Actor: p.EmployeeID, Action: "punch.accepted", Subject: p.EmployeeID, Detail: `{"punch_id":1}`})...))
				ev = append(ev, ph(&ea, "slack", p.EventID, p.EmployeeID, string(payload), p.At))
				ov = append(ov, ph(&oa, "slack", `{"channel":"D1"}`, "reply", string(payload), "reply:slack:"+p.EventID, int32(0), p.At, "pending", "", p.At, nil, int64(0)))
			}
			_ = pv
			b := &pgx.Batch{}
			b.Queue(`SELECT pg_advisory_xact_lock(1, hashtext(e)) FROM unnest($1::text[]) AS e`, emps)
			cut := func(sql string) string { return sql[:strings.Index(sql, "VALUES")] + "VALUES " }
			b.Queue(cut(insertPunch)+strings.Join(pv, ", "), pa...)
			b.Queue(cut(insertAudit)+strings.Join(av, ", "), aa...)
			b.Queue(`INSERT INTO events (source, event_id, employee_id, reply, created_at) VALUES `+strings.Join(ev, ", "), ea...)
			b.Queue(cut(insertOutbox)+strings.Join(ov, ", ")+` ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING`, oa...)
			return s.pool.SendBatch(ctx, b).Close()
		}
	}
	vs = append(vs, variant{"group8m", merged(8)}, variant{"group4m", merged(4)})
	svc := core.NewService(s, coretest.NewMemKV(time.Now), nil, core.DefaultConfig(), func() time.Time { return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) })
	vs = append(vs, variant{"service", func(i int) error {
		_, err := svc.Handle(ctx, coretest.BenchCommand(i, 64, 5))
		return err
	}})
	vs = append(vs, variant{"group1", group(1, false)}, variant{"group4", group(4, false)}, variant{"group4guard", group(4, true)}, variant{"group8", group(8, false)}, variant{"group2", group(2, false)})
	if only := os.Getenv("ZZONLY"); only != "" {
		var keep []variant
		for _, v := range vs {
			if strings.Contains(only, v.name) {
				keep = append(keep, v)
			}
		}
		vs = keep
	}
	var rawN atomic.Int64
	rawFn := func(int) error {
		p := mk(int(rawN.Add(1)), "r")
		_, err := s.pool.Exec(ctx, raw, punchArgs(&p)...)
		return err
	}
	pgCPU := func() time.Duration {
		var total int64
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err != nil || !strings.Contains(string(b), "(postgres)") {
				continue
			}
			f := strings.Fields(string(b)[strings.LastIndex(string(b), ")")+2:])
			var ut, st int64
			fmt.Sscan(f[11], &ut)
			fmt.Sscan(f[12], &st)
			total += ut + st
		}
		return time.Duration(total) * 10 * time.Millisecond
	}
	var pgV, pgR time.Duration
	var cpuV, cpuR time.Duration
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	workers := 16
	run := func(n int, fn func(int) error) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1))
					if i > n {
						return
					}
					if err := fn(i); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	n := 3000
	if v := os.Getenv("ZZN"); v != "" {
		fmt.Sscan(v, &n)
	}
	defer func() {
		c, _ := s.pool.Acquire(ctx)
		defer c.Release()
		c.Exec(ctx, `PREPARE q(text, text) AS `+selectViewPunches)
		for range 7 {
			c.Exec(ctx, `EXECUTE q('b005', '2026-01-10')`)
		}
		rows, err := c.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('b005', '2026-01-10')`, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Log(err)
			return
		}
		for rows.Next() {
			var line string
			rows.Scan(&line)
			t.Log(line)
		}
		var n int64
		c.QueryRow(ctx, `SELECT count(*) FROM punches`).Scan(&n)
		t.Log("punches", n)
	}()
	for _, v := range vs {
		base := 0
		var vt, rt time.Duration
		for r := 0; r < 3; r++ {
			vfn := v.fn
			off := base
			p0 := pgCPU()
			c0 := cpu()
			if strings.HasPrefix(v.name, "group") {
				var k int
				fmt.Sscanf(strings.TrimPrefix(v.name, "group"), "%d", &k)
				workers = 16 / k
			}
			vt += run(n, func(i int) error { return vfn(off + i) })
			workers = 16
			c1 := cpu()
			p1 := pgCPU()
			base += n
			rt += run(n, rawFn)
			c2 := cpu()
			p2 := pgCPU()
			pgV += p1 - p0
			pgR += p2 - p1
			cpuV += c1 - c0
			cpuR += c2 - c1
		}
		var seq, idx int64
		var lastAn *time.Time
		s.pool.QueryRow(ctx, `SELECT seq_scan, coalesce(idx_scan,0), greatest(last_analyze, last_autoanalyze) FROM pg_stat_user_tables WHERE relname = 'punches' AND schemaname = current_schema()`).Scan(&seq, &idx, &lastAn)
		t.Logf("seq %d idx %d analyzed %v", seq, idx, lastAn)
		t.Logf("%-28s %7.0f/s raw %7.0f/s ratio %.3f  goCPU/op %v raw %v", v.name, float64(3*n)/vt.Seconds(), float64(3*n)/rt.Seconds(), rt.Seconds()/vt.Seconds(), cpuV/time.Duration(3*n), cpuR/time.Duration(3*n))
		t.Logf("    pgCPU/op %v raw %v", pgV/time.Duration(3*n), pgR/time.Duration(3*n))
		pgV, pgR = 0, 0
		cpuV, cpuR = 0, 0
	}
}

package postgres

import (
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
)

func TestCombineRenumbersParameters(t *testing.T) {
	s := &Store{}
	st := s.combine([]stmt{
		{what: "a", sql: `INSERT INTO a (x, y) VALUES ($1, $2)`, args: []any{1, 2}, table: "a"},
		{what: "b", sql: `INSERT INTO b (x) VALUES ($1)`, args: []any{3}, table: "b"},
		{what: "c", sql: `INSERT INTO c (x, y, z) VALUES ($1, $2, $3) ON CONFLICT (x) WHERE x <> '' DO NOTHING`, args: []any{4, 5, 6}, table: "c"},
	})
	want := `WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), w1 AS (INSERT INTO b (x) VALUES ($3)) ` +
		`INSERT INTO c (x, y, z) VALUES ($4, $5, $6) ON CONFLICT (x) WHERE x <> '' DO NOTHING`
	if st.sql != want {
		t.Errorf("combined SQL:\n got  %s\n want %s", st.sql, want)
	}
	if len(st.args) != 6 || st.args[0] != 1 || st.args[5] != 6 || st.describe() != "a, b, c" {
		t.Errorf("combined args, what = %v, %q", st.args, st.describe())
	}
	// The same shape comes from the cache.
	again := s.combine([]stmt{
		{sql: `INSERT INTO a (x, y) VALUES ($1, $2)`, args: []any{7, 8}, table: "a"},
		{sql: `INSERT INTO b (x) VALUES ($1)`, args: []any{9}, table: "b"},
		{sql: `INSERT INTO c (x, y, z) VALUES ($1, $2, $3) ON CONFLICT (x) WHERE x <> '' DO NOTHING`, args: []any{1, 2, 3}, table: "c"},
	})
	if again.sql != want || again.args[0] != 7 {
		t.Errorf("cached combine = %q %v", again.sql, again.args)
	}
}

func TestBatchMergesOnlyRunsIntoDistinctTables(t *testing.T) {
	s := &Store{}
	ins := func(table string) stmt {
		return stmt{sql: `INSERT INTO ` + table + ` (x) VALUES ($1)`, args: []any{table}, table: table}
	}
	read := stmt{sql: `SELECT 1`, rows: func(pgx.Rows) error { return nil }}
	tests := []struct {
		name  string
		stmts []stmt
		want  int // statements sent
	}{
		{"one insert", []stmt{ins("a")}, 1},
		{"four tables", []stmt{ins("punches"), ins("audit"), ins("events"), ins("outbox")}, 1},
		{"same table twice starts a new statement", []stmt{ins("audit"), ins("audit"), ins("events")}, 2},
		{"a read splits the run", []stmt{ins("a"), read, ins("b")}, 3},
		{"an UPDATE is never merged", []stmt{ins("a"), {sql: "UPDATE x SET y = 1"}, ins("b")}, 3},
	}
	for _, tc := range tests {
		b := &pgx.Batch{}
		s.batch(b, tc.stmts)
		if b.Len() != tc.want {
			t.Errorf("%s: %d statements, want %d", tc.name, b.Len(), tc.want)
		}
	}
}

func TestIDBlock(t *testing.T) {
	var b idBlock
	if _, ok := b.take(); ok {
		t.Fatalf("empty block handed out an id")
	}
	b.add(129, 1)
	seen := map[int64]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				id, ok := b.take()
				if !ok {
					return
				}
				mu.Lock()
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 2*punchIDBlock {
		t.Fatalf("handed out %d distinct ids, want %d", len(seen), 2*punchIDBlock)
	}
	for _, first := range []int64{129, 1} {
		for id := first; id < first+punchIDBlock; id++ {
			if !seen[id] {
				t.Errorf("id %d of block %d was not handed out", id, first)
			}
		}
	}
}

func TestRosterCache(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	c := newRosterCache(func() time.Time { return now }, 5*time.Second)
	li := core.Roster{Employee: core.Employee{ID: "li", Name: "李雷", SiteIDs: []string{"hq"}}, Sites: []core.Site{{ID: "hq", Name: "HQ"}},
		Schedule: &core.Schedule{ID: "day", WorkDays: []time.Weekday{time.Monday}}, Calendar: &core.Calendar{ID: "cn", Days: []core.CalendarDay{{Date: "2026-10-01"}}}}
	acct := account{platform: core.PlatformWeCom, tenant: "corp1", user: "lilei"}
	nobody := account{platform: core.PlatformWeCom, tenant: "corp1", user: "nobody"}

	c.put(c.generation(), &acct, &li)
	c.put(c.generation(), &nobody, nil)
	if id, ok := c.account(acct); !ok || id != "li" {
		t.Errorf("account after put = %q, %v, want li", id, ok)
	}
	if id, ok := c.account(nobody); !ok || id != "" {
		t.Errorf("unbound account after put = %q, %v, want known to be unbound", id, ok)
	}
	if e, ok := c.employee("li"); !ok || e.Name != "李雷" || e.SiteIDs[0] != "hq" {
		t.Errorf("employee after put = %+v, %v", e, ok)
	}
	got, ok := c.roster("li")
	if !ok || got.Employee.Name != "李雷" {
		t.Fatalf("roster after put = %v, %v", got.Employee, ok)
	}
	// What a caller changes in its copy never reaches the cache.
	got.Sites[0].Name, got.Employee.SiteIDs[0], got.Schedule.WorkDays[0], got.Calendar.Days[0].Date = "x", "x", time.Sunday, "x"
	again, _ := c.roster("li")
	if again.Sites[0].Name != "HQ" || again.Employee.SiteIDs[0] != "hq" || again.Schedule.WorkDays[0] != time.Monday || again.Calendar.Days[0].Date != "2026-10-01" {
		t.Errorf("a caller's change reached the cache: %+v", again)
	}
	li.Sites[0].Name = "changed after put"
	if again, _ := c.roster("li"); again.Sites[0].Name != "HQ" {
		t.Errorf("the cache shares the roster it was given")
	}

	now = now.Add(5*time.Second + time.Millisecond)
	if _, ok := c.roster("li"); ok {
		t.Errorf("a roster older than the TTL was handed out")
	}
	if _, ok := c.account(acct); ok {
		t.Errorf("an account older than the TTL was handed out")
	}

	// A read that began before a clear keeps nothing.
	gen := c.generation()
	c.clear()
	c.put(gen, &acct, &li)
	if _, ok := c.roster("li"); ok {
		t.Errorf("a read from before the clear was kept")
	}
	c.put(c.generation(), &acct, &li)
	c.clear()
	if _, ok := c.roster("li"); ok {
		t.Errorf("clear kept a roster")
	}
	if _, ok := c.account(acct); ok {
		t.Errorf("clear kept an account")
	}

	for i := range rosterCacheMax + 10 {
		id := string(rune(0x4e00 + i))
		c.put(c.generation(), &account{user: id}, &core.Roster{Employee: core.Employee{ID: id}})
	}
	if n, m := len(c.rosters), len(c.accounts); n > rosterCacheMax || m > rosterCacheMax {
		t.Errorf("cache holds %d rosters and %d accounts, want at most %d each", n, m, rosterCacheMax)
	}
}

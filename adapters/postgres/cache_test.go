package postgres

import (
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestRosterCache(t *testing.T) {
	li := core.Roster{Employee: core.Employee{ID: "li", Name: "李雷", SiteIDs: []string{"hq"}}, Sites: []core.Site{{ID: "hq", Name: "HQ"}},
		Schedule: &core.Schedule{ID: "day", WorkDays: []time.Weekday{time.Monday}}, Calendar: &core.Calendar{ID: "cn", Days: []core.CalendarDay{{Date: "2026-10-01"}}}}
	acct := account{platform: core.PlatformWeCom, tenant: "corp1", user: "lilei"}
	nobody := account{platform: core.PlatformWeCom, tenant: "corp1", user: "nobody"}

	tests := []struct {
		name string
		// do changes a live cache between a read's start (gen) and its put.
		do     func(c *rosterCache)
		cached bool
	}{
		{"nothing happens", func(*rosterCache) {}, true},
		{"an organisation is applied", func(c *rosterCache) { c.clear() }, false},
		{"the listener disconnects", func(c *rosterCache) { c.setLive(false) }, false},
		{"the listener reconnects", func(c *rosterCache) { c.setLive(false); c.setLive(true) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newRosterCache()
			c.setLive(true)
			gen := c.generation()
			tt.do(c)
			c.put(gen, &acct, &li)
			if _, got := c.roster("li"); got != tt.cached {
				t.Errorf("roster cached = %v, want %v", got, tt.cached)
			}
			if _, got := c.account(acct); got != tt.cached {
				t.Errorf("account cached = %v, want %v", got, tt.cached)
			}
		})
	}

	c := newRosterCache()
	c.put(c.generation(), &acct, &li)
	if _, ok := c.roster("li"); ok {
		t.Errorf("a cache whose listener never connected kept a roster")
	}
	c.setLive(true)
	c.put(c.generation(), &acct, &li)
	c.put(c.generation(), &nobody, nil)
	if id, ok := c.account(acct); !ok || id != "li" {
		t.Errorf("account after put = %q, %v, want li", id, ok)
	}
	if id, ok := c.account(nobody); !ok || id != "" {
		t.Errorf("unbound account after put = %q, %v, want known to be unbound", id, ok)
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
	// Out of use, it answers nothing, even what it held.
	c.mu.Lock()
	c.live = false
	c.mu.Unlock()
	if _, ok := c.account(acct); ok {
		t.Errorf("a cache out of use answered an account")
	}
	if _, ok := c.roster("li"); ok {
		t.Errorf("a cache out of use answered a roster")
	}

	c.setLive(true)
	for i := range rosterCacheMax + 10 {
		id := string(rune(0x4e00 + i))
		c.put(c.generation(), &account{user: id}, &core.Roster{Employee: core.Employee{ID: id}})
	}
	if n, m := len(c.rosters), len(c.accounts); n > rosterCacheMax || m > rosterCacheMax {
		t.Errorf("cache holds %d rosters and %d accounts, want at most %d each", n, m, rosterCacheMax)
	}
}

func TestOrgChannel(t *testing.T) {
	long := "s" + string(make([]byte, 70))
	tests := []struct {
		schema, want string
	}{
		{"public", "punchbot_org.public"},
		{"punchbot_test_0a1b2c3d4e5f", "punchbot_org.punchbot_test_0a1b2c3d4e5f"},
		{long, orgChannel(long)}, // stable
	}
	for _, tt := range tests {
		got := orgChannel(tt.schema)
		if got != tt.want || len(got) > 63 {
			t.Errorf("orgChannel(%q) = %q (%d bytes), want %q, at most 63 bytes", tt.schema, got, len(got), tt.want)
		}
	}
	if orgChannel(long) == orgChannel(long+"x") {
		t.Errorf("two long schemas share a channel")
	}
}

// Once the whole organisation is in, the cache answers every account: an
// identity without a tenant matches any tenant, the exact tenant wins, and
// an account nobody holds is known to be unbound. A clear forgets it all.
func TestRosterCacheHoldingTheOrganisation(t *testing.T) {
	c := newRosterCache()
	if _, ok := c.startLoad(); ok {
		t.Errorf("a cache out of use started a load")
	}
	c.setLive(true)
	gen, ok := c.startLoad()
	if !ok {
		t.Fatal("a live cache without the organisation started no load")
	}
	if _, again := c.startLoad(); again {
		t.Errorf("a second load started in one generation")
	}
	rosters := map[string]core.Roster{"li": {Employee: core.Employee{ID: "li"}}, "wang": {Employee: core.Employee{ID: "wang"}}}
	accounts := map[account]string{
		{platform: core.PlatformWeCom, tenant: "corp1", user: "u1"}: "li",
		{platform: core.PlatformWeCom, user: "u1"}:                  "wang",
		{platform: core.PlatformSlack, user: "u2"}:                  "wang",
	}
	c.putAll(gen, rosters, accounts)
	tests := []struct {
		a    account
		want string
	}{
		{account{platform: core.PlatformWeCom, tenant: "corp1", user: "u1"}, "li"},
		{account{platform: core.PlatformWeCom, tenant: "corp2", user: "u1"}, "wang"},
		{account{platform: core.PlatformWeCom, user: "u1"}, "wang"},
		{account{platform: core.PlatformSlack, tenant: "T1", user: "u2"}, "wang"},
		{account{platform: core.PlatformSlack, tenant: "T1", user: "u1"}, ""},
		{account{platform: core.PlatformFeishu, user: "u2"}, ""},
	}
	for _, tt := range tests {
		if got, ok := c.account(tt.a); !ok || got != tt.want {
			t.Errorf("account(%+v) = %q, %v, want %q, true", tt.a, got, ok, tt.want)
		}
	}
	// A read one employee at a time adds nothing to the whole.
	c.put(c.generation(), &account{platform: core.PlatformFeishu, user: "u2"}, &core.Roster{Employee: core.Employee{ID: "zhao"}})
	if _, ok := c.roster("zhao"); ok {
		t.Errorf("a single read was put into the whole organisation")
	}
	c.clear()
	if _, ok := c.account(tests[0].a); ok {
		t.Errorf("a cleared cache answered an account")
	}
	if _, ok := c.roster("li"); ok {
		t.Errorf("a cleared cache answered a roster")
	}
	// A load begun before the clear is not kept; the new generation loads.
	c.putAll(gen, rosters, accounts)
	if _, ok := c.roster("li"); ok {
		t.Errorf("a load begun before a clear was kept")
	}
	if _, ok := c.startLoad(); !ok {
		t.Errorf("no load started after a clear")
	}
}

package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// The load generator of `punchbot bench webhook` and of the outside-in
// tests: an organisation shaped like a real one, platform callbacks signed
// and encrypted exactly as WeCom, Feishu and Slack send them, and closed-
// and open-loop drivers that time every answer. Everything here talks to
// 127.0.0.1 only.

// loadCreds are the credentials of a load run, shared by the server under
// test and the callbacks signed for it.
type loadCreds struct {
	FeishuAppID, FeishuSecret, FeishuToken, FeishuKey, FeishuTenant string
	WeComCorp, WeComAgent, WeComSecret, WeComToken, WeComAESKey     string
	SlackSecret, SlackToken, SlackTeam                              string
}

// testCreds are made up; they authenticate nothing outside a load run.
var testCreds = loadCreds{
	FeishuAppID: "cli_load", FeishuSecret: "feishu-app-secret", FeishuToken: "vt-load-token", FeishuKey: "load-encrypt-key", FeishuTenant: "tk_load",
	WeComCorp: "wwload", WeComAgent: "1000002", WeComSecret: "wecom-secret", WeComToken: "wecomtoken", WeComAESKey: "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM",
	SlackSecret: "slack-signing-secret-for-load", SlackToken: "xoxb-load", SlackTeam: "TLOAD",
}

// forRun gives the Feishu app of one run an id of its own. The outbox's
// send windows (1,000 calls a minute per app, pacing.go) live in the
// shared limiter under the app's id, and Redis outlives a run: with one
// id, a run's confirmations would wait behind the calls of the run before
// it, which a fresh app never does.
func (c loadCreds) forRun(run string) loadCreds {
	c.FeishuAppID += "_" + run
	return c
}

// env returns the PUNCHBOT_* variables that enable platform p with these
// credentials, its API pointed at the fake at api (a replySink).
func (c loadCreds) env(p core.Platform, api string) map[string]string {
	switch p {
	case core.PlatformFeishu:
		return map[string]string{"PUNCHBOT_FEISHU_APP_ID": c.FeishuAppID, "PUNCHBOT_FEISHU_APP_SECRET": c.FeishuSecret,
			"PUNCHBOT_FEISHU_VERIFICATION_TOKEN": c.FeishuToken, "PUNCHBOT_FEISHU_ENCRYPT_KEY": c.FeishuKey, "PUNCHBOT_FEISHU_BASE_URL": api}
	case core.PlatformWeCom:
		return map[string]string{"PUNCHBOT_WECOM_CORP_ID": c.WeComCorp, "PUNCHBOT_WECOM_AGENT_ID": c.WeComAgent, "PUNCHBOT_WECOM_SECRET": c.WeComSecret,
			"PUNCHBOT_WECOM_TOKEN": c.WeComToken, "PUNCHBOT_WECOM_ENCODING_AES_KEY": c.WeComAESKey, "PUNCHBOT_WECOM_API_URL": api}
	case core.PlatformSlack:
		return map[string]string{"PUNCHBOT_SLACK_SIGNING_SECRET": c.SlackSecret, "PUNCHBOT_SLACK_BOT_TOKEN": c.SlackToken, "PUNCHBOT_SLACK_API_URL": api + "/slack/api/"}
	}
	return nil
}

// loadOrg is the organisation of a load run: employees each bound to the
// platform, each with sitesPer sites out of a shared pool of offices.
// Prefix makes employee and user ids unique to the run, so that runs
// sharing a Redis never share a rate-limit key.
type loadOrg struct {
	Platform  core.Platform
	Prefix    string
	Employees int
	SitesPer  int
	Creds     loadCreds
}

// loadSitePool is how many distinct offices the employees share.
const loadSitePool = 1000

func (o loadOrg) pool() int { return max(1, min(loadSitePool, o.Employees*o.SitesPer)) }

// EmployeeID is employee e's id.
func (o loadOrg) EmployeeID(e int) string { return fmt.Sprintf("%s-%05d", o.Prefix, e) }

// UserID is employee e's account on the platform.
func (o loadOrg) UserID(e int) string {
	switch o.Platform {
	case core.PlatformFeishu:
		return fmt.Sprintf("ou_%s_%05d", o.Prefix, e)
	case core.PlatformSlack:
		return strings.ToUpper(fmt.Sprintf("U%s%05d", o.Prefix, e))
	}
	return fmt.Sprintf("%s_%05d", o.Prefix, e)
}

func (o loadOrg) tenant() string {
	switch o.Platform {
	case core.PlatformFeishu:
		return o.Creds.FeishuTenant
	case core.PlatformSlack:
		return o.Creds.SlackTeam
	}
	return o.Creds.WeComCorp
}

// sitePos is office j of the pool, about a kilometre from its neighbours,
// in the datum the platform reports: GCJ-02 for the Chinese platforms
// (declared so in the org file, as an admin copying from AMap would),
// WGS-84 for the browser page Slack users punch from.
func sitePos(j int) (lat, lng float64) {
	return 31.1 + float64(j/40)*0.01, 121.2 + float64(j%40)*0.01
}

// site is the index in the pool of employee e's k-th site.
func (o loadOrg) site(e, k int) int { return (e*o.SitesPer + k) % o.pool() }

// Position is where employee e punches: their last site, a few metres off.
func (o loadOrg) Position(e int) (lat, lng float64) {
	lat, lng = sitePos(o.site(e, o.SitesPer-1))
	return lat + 2e-5, lng
}

// Org is the organisation to apply: no schedule, so every punch is judged
// by place alone and stored whatever the hour the run happens at.
func (o loadOrg) Org() core.Org {
	org := core.Org{Name: "load " + o.Prefix, TimeZone: "Asia/Shanghai"}
	datum := core.GCJ02
	if o.Platform == core.PlatformSlack {
		datum = core.WGS84
	}
	for j := range o.pool() {
		lat, lng := sitePos(j)
		id := fmt.Sprintf("site-%04d", j)
		org.Sites = append(org.Sites, core.OrgSite{Site: core.Site{ID: id, Name: "Office " + strconv.Itoa(j), Lat: lat, Lng: lng, RadiusM: 200}, Datum: datum})
	}
	org.Employees = make([]core.Employee, o.Employees)
	for e := range org.Employees {
		emp := core.Employee{ID: o.EmployeeID(e), Name: "员工 " + strconv.Itoa(e), Lang: "zh", Active: true, Department: "Ops",
			Identities: []core.Identity{{Platform: o.Platform, Tenant: o.tenant(), UserID: o.UserID(e)}}}
		for k := range o.SitesPer {
			emp.SiteIDs = append(emp.SiteIDs, fmt.Sprintf("site-%04d", o.site(e, k)))
		}
		org.Employees[e] = emp
	}
	return org
}

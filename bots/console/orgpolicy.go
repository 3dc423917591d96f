package console

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/punchbot/punchbot/core"
)

// The make-up (approval) policy: the monthly quota, the employee's
// deadline in days and how long a request waits before it expires. HR's
// own corrections from the exceptions page are not bound by the deadline.

var policySpec = &entitySpec{
	key: "policy", entity: "makeup", base: "/org/policy",
	values: func(org core.Org, _ string) (url.Values, bool) {
		m := org.Makeup
		return url.Values{"monthly_quota": {strconv.Itoa(m.MonthlyQuota)}, "deadline_days": {strconv.Itoa(m.DeadlineDays)},
			"expire_after_hours": {strconv.Itoa(m.ExpireAfterHours)}}, true
	},
	fields: func(p *page, _ core.Org, vals url.Values, _ bool) []formField {
		return []formField{
			{Name: "monthly_quota", Label: p.T("org_monthly_quota"), Type: "number", Value: vals.Get("monthly_quota"), Step: "1", Help: p.T("org_zero_unlimited")},
			{Name: "deadline_days", Label: p.T("org_deadline_days"), Type: "number", Value: vals.Get("deadline_days"), Step: "1", Help: p.T("org_deadline_help")},
			{Name: "expire_after_hours", Label: p.T("org_expire_after_hours"), Type: "number", Value: vals.Get("expire_after_hours"), Step: "1", Help: p.T("org_zero_never")},
		}
	},
	apply: func(org *core.Org, _ string, vals url.Values, _ []byte, lang string) (int, fieldErrors) {
		errs := fieldErrors{}
		org.Makeup = core.MakeupPolicy{MonthlyQuota: intField(vals, "monthly_quota", errs, lang), DeadlineDays: intField(vals, "deadline_days", errs, lang),
			ExpireAfterHours: intField(vals, "expire_after_hours", errs, lang)}
		return 0, errs
	},
}

func (c *Console) policyPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.entityForm(w, r, v, policySpec, "policy", nil, nil)
}

package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

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
			"expire_after_hours": {strconv.Itoa(m.ExpireAfterHours)}, "leave_types": {leaveTypeLines(org.LeaveTypes)}}, true
	},
	fields: func(p *page, _ core.Org, vals url.Values, _ bool) []formField {
		return []formField{
			{Name: "monthly_quota", Label: p.T("org_monthly_quota"), Type: "number", Value: vals.Get("monthly_quota"), Step: "1", Help: p.T("org_zero_unlimited")},
			{Name: "deadline_days", Label: p.T("org_deadline_days"), Type: "number", Value: vals.Get("deadline_days"), Step: "1", Help: p.T("org_deadline_help")},
			{Name: "expire_after_hours", Label: p.T("org_expire_after_hours"), Type: "number", Value: vals.Get("expire_after_hours"), Step: "1", Help: p.T("org_zero_never")},
			{Name: "leave_types", Label: p.T("org_leave_types"), Type: "textarea", Value: vals.Get("leave_types"), Rows: 5, Placeholder: "annual 年假 5 paid\nsick 病假 0 paid\npersonal 事假", Help: p.T("org_leave_types_help")},
		}
	},
	apply: func(org *core.Org, _ string, vals url.Values, _ []byte, lang string) (int, fieldErrors) {
		errs := fieldErrors{}
		org.Makeup = core.MakeupPolicy{MonthlyQuota: intField(vals, "monthly_quota", errs, lang), DeadlineDays: intField(vals, "deadline_days", errs, lang),
			ExpireAfterHours: intField(vals, "expire_after_hours", errs, lang)}
		// Only an edited list is written: the form shows an organisation
		// without leave types as blank, and the core then implies the
		// defaults (core.LeaveTypes), so a blank list saved back must stay
		// none stored, not become the defaults written out.
		if text, sent := vals["leave_types"]; sent && sameLines(text[0], leaveTypeLines(org.LeaveTypes)) {
			// unchanged: keep what is stored
		} else if sent {
			org.LeaveTypes = parseLeaveTypes(vals.Get("leave_types"), errs, lang)
		}
		return 0, errs
	},
}

func (c *Console) policyPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.entityForm(w, r, v, policySpec, "policy", nil, nil)
}

// leaveTypeLines writes leave types one per line: "annual 年假 5 paid".
func leaveTypeLines(types []core.LeaveType) string {
	var b strings.Builder
	for _, t := range types {
		b.WriteString(t.ID + " " + t.Name + " " + strconv.FormatFloat(t.AnnualQuotaDays, 'f', -1, 64))
		if t.Paid {
			b.WriteString(" paid")
		}
		b.WriteString(compLeaveTokens(t)) // orgcomptime.go
		b.WriteString("\n")
	}
	return b.String()
}

// parseLeaveTypes reads "id name [annual quota days] [paid]" lines; none
// means the defaults, as a file without leave_types.
func parseLeaveTypes(s string, errs fieldErrors, lang string) []core.LeaveType {
	var out []core.LeaveType
	for n, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			errs.add("leave_types", fmt.Sprintf(tr(lang, "org_leave_line"), n+1))
			continue
		}
		t := core.LeaveType{ID: strings.ToLower(f[0]), Name: f[1]}
		for _, x := range f[2:] {
			switch q, err := strconv.ParseFloat(x, 64); {
			case err == nil:
				t.AnnualQuotaDays = q
			case strings.EqualFold(x, "paid") || x == "带薪":
				t.Paid = true
			case parseCompLeaveToken(x, &t): // orgcomptime.go
			default:
				errs.add("leave_types", fmt.Sprintf(tr(lang, "org_leave_line"), n+1))
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return core.DefaultLeaveTypes()
	}
	return out
}

// sameLines says whether two textareas hold the same non-blank lines,
// whatever the line endings and surrounding spaces a browser sends.
func sameLines(a, b string) bool {
	norm := func(s string) []string {
		var out []string
		for l := range strings.Lines(s) {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	return slices.Equal(norm(a), norm(b))
}

package core

import "context"

// Whois is what a bot needs to address the owner of a chat account before
// it runs any command: an entry point whose payload carries no text (a
// Slack shortcut) learns the person's language from it.
type Whois struct {
	EmployeeID string
	Name       string
	Lang       string // "zh" or "en", from the organisation file
	Active     bool
	// Contact is whom an unregistered or inactive user is told to ask,
	// as in Reply.Contact.
	Contact string
}

// Whois returns the employee bound to a chat account. It only reads: no
// event, audit entry or rate-limit count is recorded, so a bot may ask
// before it opens a form. An unknown account is ENOTFOUND, and the
// returned Whois then still carries Contact; a malformed identity is
// EINVALID. An inactive employee is returned with Active false for the
// caller to decide.
func (s *Service) Whois(ctx context.Context, id Identity) (Whois, error) {
	out := Whois{Contact: s.cfg.Contact}
	if id.Platform == "" || id.UserID == "" {
		return out, Errorf(EINVALID, "an identity needs a platform and a user id")
	}
	for _, v := range []string{string(id.Platform), id.Tenant, id.UserID} {
		if p := idProblem(v); p != "" {
			return out, Errorf(EINVALID, "the identity's id %s", p)
		}
	}
	emp, err := s.store.FindIdentity(ctx, id.Platform, id.Tenant, id.UserID)
	if err != nil {
		return out, err
	}
	out.EmployeeID, out.Name, out.Lang, out.Active = emp.ID, emp.Name, emp.Lang, emp.Active
	return out, nil
}

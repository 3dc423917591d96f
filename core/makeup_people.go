package core

import (
	"context"
)

// makeupPeople is what a change needs to know about the people involved,
// read before the transaction (a store's plain reads may not run inside
// one).
type makeupPeople struct {
	roster   Roster   // the requester's
	approver Employee // zero when nobody could be found
	names    map[string]string
	// leaveTypes are the organisation's, loaded for leave requests.
	leaveTypes []LeaveType
}

func (p makeupPeople) name(id string) string {
	if n, ok := p.names[id]; ok {
		return n
	}
	return id
}

// people loads the requester, the approver and the names of others who
// appear on the card.
func (s *Service) people(ctx context.Context, m MakeupRequest, others ...Employee) (makeupPeople, error) {
	r, err := s.Roster(ctx, m.EmployeeID)
	if err != nil {
		return makeupPeople{}, err
	}
	p := makeupPeople{roster: r, names: map[string]string{r.Employee.ID: r.Employee.Name, ActorAdmin: "", ActorSystem: ""}}
	if m.TypeOf() == RequestLeave {
		if p.leaveTypes, err = s.LeaveTypes(ctx); err != nil {
			return p, err
		}
	}
	for _, o := range others {
		if o.ID != "" {
			p.names[o.ID] = o.Name
		}
	}
	dir, err := s.directory()
	if err != nil {
		return p, err
	}
	for _, id := range []string{m.ApproverID, m.DecidedBy} {
		if _, known := p.names[id]; known || id == "" {
			continue
		}
		e, err := dir.Employee(ctx, id)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return p, err
		}
		if err == nil {
			p.names[id] = e.Name
			if id == m.ApproverID {
				p.approver = e
			}
		}
	}
	if m.ApproverID != "" && p.approver.ID == "" && m.ApproverID == r.Employee.ID {
		p.approver = r.Employee
	}
	if p.approver.ID == "" && m.ApproverID != "" {
		for _, o := range others {
			if o.ID == m.ApproverID {
				p.approver = o
			}
		}
	}
	return p, nil
}

// filingPeople routes the approver of a request r's employee files now
// and names the two of them, as a new request's card shows them.
func (s *Service) filingPeople(ctx context.Context, r Roster) (makeupPeople, error) {
	dir, err := s.directory()
	if err != nil {
		return makeupPeople{}, err
	}
	approver, _, err := routeApprover(ctx, dir, r.Employee)
	if err != nil {
		return makeupPeople{}, err
	}
	return makeupPeople{roster: r, approver: approver, names: map[string]string{r.Employee.ID: r.Employee.Name, approver.ID: approver.Name}}, nil
}

// routeApprover picks who approves emp's requests: their manager, or when
// there is none (or it is themselves, or inactive) an active HR employee,
// preferring one reachable on a chat platform. ok is false when nobody
// qualifies; the request then waits for HR at the console.
func routeApprover(ctx context.Context, dir Directory, emp Employee) (Employee, bool, error) {
	if emp.ManagerID != "" && emp.ManagerID != emp.ID {
		mgr, err := dir.Employee(ctx, emp.ManagerID)
		switch {
		case err == nil && mgr.Active:
			return mgr, true, nil
		case err != nil && ErrorCode(err) != ENOTFOUND:
			return Employee{}, false, err
		}
	}
	all, err := dir.ListEmployees(ctx)
	if err != nil {
		return Employee{}, false, err
	}
	var first *Employee
	for i, e := range all {
		if e.Role != RoleHR || !e.Active || e.ID == emp.ID {
			continue
		}
		if _, reachable := RecipientFor(e); reachable {
			return e, true, nil
		}
		if first == nil {
			first = &all[i]
		}
	}
	if first != nil {
		return *first, true, nil
	}
	return Employee{}, false, nil
}

package core

import (
	"context"
	"time"
)

// SessionReadingLimiter is a RateLimiter that is also the SessionStore and
// can read one session value in the same round trip as it counts an event
// (Redis: a pipeline of the limiter's script and a GET). A text punch needs
// both: the rate limit, then the position the platform reported. Each round trip
// to Redis wakes another process, and on a busy machine that wake-up, not
// Redis's work, is what a punch waits for, so the Service uses one when its
// limiter offers it.
type SessionReadingLimiter interface {
	// AllowRead is Allow(rateKey, limit, window) and Get(sessionKey) at once.
	// The session value is read whether or not the event is admitted.
	AllowRead(ctx context.Context, rateKey string, limit int, window time.Duration, sessionKey string) (Admission, error)
}

// Admission is what AllowRead answers.
type Admission struct {
	OK         bool          // the event was admitted and counted
	RetryAfter time.Duration // when refused: until a slot frees
	Value      []byte        // the session value; nil when Found is false
	Found      bool          // the session key held a live value
}

// sessionRead is a session value read ahead, with the rate limit, for the
// key the command needs (see punchSessionKey).
type sessionRead struct {
	key   string
	value []byte
	found bool
}

// punchSessionKey names the session value a punch reads before its
// transaction: the position the platform reported a moment ago, for a text
// punch without a location. "" when it reads none. (A shared location's
// punch reads the intent it completes in its transaction: intent.go.)
func punchSessionKey(cmd Command) string {
	if cmd.Kind == CmdPunch && cmd.Location == nil && !cmd.LocationByLink {
		return sessionKey("pos", cmd.Actor)
	}
	return ""
}

// admit counts the command against the employee's rate limit. When the
// limiter can, the session value the punch will need comes back with it.
func (s *Service) admit(ctx context.Context, cmd Command, employeeID string) (ok bool, retryAfter time.Duration, pre *sessionRead, err error) {
	rateKey := rateKey(employeeID)
	if key := punchSessionKey(cmd); key != "" && s.reader != nil {
		a, err := s.reader.AllowRead(ctx, rateKey, s.cfg.RateLimit, s.cfg.RateWindow, key)
		if err != nil {
			return false, 0, nil, err
		}
		return a.OK, a.RetryAfter, &sessionRead{key: key, value: a.Value, found: a.Found}, nil
	}
	ok, retryAfter, err = s.limiter.Allow(ctx, rateKey, s.cfg.RateLimit, s.cfg.RateWindow)
	return ok, retryAfter, nil, err
}

// rateKey is the limiter's key of an employee's commands.
func rateKey(employeeID string) string { return "punch:" + employeeID }

// sessionReader is limiter as a SessionReadingLimiter when it is also the
// session store, so that a value it reads is the session store's: both are
// pointers to one adapter wherever the Service is wired for production.
func sessionReader(limiter RateLimiter, sessions SessionStore) SessionReadingLimiter {
	r, ok := limiter.(SessionReadingLimiter)
	if !ok {
		return nil
	}
	if l, ok := limiter.(SessionStore); !ok || l != sessions {
		return nil
	}
	return r
}

// session returns the value of key: the one read ahead when it is for key,
// else from the session store. ENOTFOUND when there is none.
func (s *Service) session(ctx context.Context, pre *sessionRead, key string) ([]byte, error) {
	if pre == nil || pre.key != key {
		return s.sessions.Get(ctx, key)
	}
	if !pre.found {
		return nil, Errorf(ENOTFOUND, "no session value %q", key)
	}
	return pre.value, nil
}

// AllowThenRead is AllowRead made of the two calls, for an in-process store
// whose calls cost no round trip.
func AllowThenRead(ctx context.Context, kv interface {
	RateLimiter
	SessionStore
}, rateKey string, limit int, window time.Duration, sessionKey string) (Admission, error) {
	ok, after, err := kv.Allow(ctx, rateKey, limit, window)
	if err != nil {
		return Admission{}, err
	}
	a := Admission{OK: ok, RetryAfter: after}
	if err := a.SetSession(kv.Get(ctx, sessionKey)); err != nil {
		return Admission{}, err
	}
	return a, nil
}

// SetSession sets Value and Found from a SessionStore.Get's answer: its
// ENOTFOUND is "not found", any other error is returned.
func (a *Admission) SetSession(v []byte, err error) error {
	switch {
	case ErrorCode(err) == ENOTFOUND:
		a.Value, a.Found = nil, false
	case err != nil:
		return err
	default:
		a.Value, a.Found = v, true
		if v == nil {
			a.Value = []byte{} // an empty value is still a value
		}
	}
	return nil
}

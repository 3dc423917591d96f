// Package core holds punchbot's domain: employees, schedules, sites, punches,
// make-up requests, and the verification pipeline every platform shares. It
// imports only the standard library; storage, caches and chat platforms plug
// in through the small interfaces declared next to the code that uses them.
package core

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Adapters translate driver errors into these at the boundary and
// each bot maps them to user text in one place.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ERATELIMIT    = "rate_limited"
	EUNAVAILABLE  = "unavailable"
	EINTERNAL     = "internal"
	// ECONFIG is a platform refusing punchbot's own set-up: a missing scope
	// or permission, a wrong secret, an untrusted server IP. No retry fixes
	// it and the message is not at fault, so the outbox keeps the message
	// and tries again slowly until an operator fixes the set-up.
	ECONFIG = "config"
)

// Error is the one coded error type of the application. Message is safe to
// show to an operator; Code is what programs branch on.
type Error struct {
	Code    string
	Message string
	// RetryAfter is set on ERATELIMIT errors when the remote side said how
	// long to wait (Slack Retry-After, Feishu x-ogw-ratelimit-reset).
	RetryAfter time.Duration
	// Reason is the platform's own code of an ECONFIG error, such as
	// "missing_scope", "60020" or "99991672": a short, bounded label for
	// metrics and for telling one set-up problem from another.
	Reason string
	// Err is the underlying cause, kept for logs and errors.Is.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an *Error with the given code and message that keeps err
// as its cause.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ConfigError returns an ECONFIG error. reason is the platform's code (see
// Error.Reason) and fix tells an operator what to change, in words they can
// act on ("add the bot scope im:write and reinstall the app"); it is the
// message the console banner and the log show.
func ConfigError(reason, fix string, err error) *Error {
	return &Error{Code: ECONFIG, Message: fix, Reason: reason, Err: err}
}

// ErrorReason returns the Reason of the first *Error in err's chain, or "".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic text for other errors so internals never leak to users.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// RetryAfter returns how long the remote side asked us to wait, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

package core

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Firing is one occurrence of a reminder: (ReminderID, FireAt) is unique,
// which is what lets several replicas and restarts fire it exactly once.
type Firing struct {
	ID         int64
	ReminderID string
	Kind       string
	FireAt     time.Time
	Status     string
	Late       bool // queued after its time (catch-up after downtime)
	Manual     bool // fired from the admin API
	Recipients int
	Note       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// DeliveryCounts are the outbox rows of one firing by status; Queued is
// their total. Retrying counts the pending ones that wait for another
// attempt after an error, a platform's rate limit mostly: HR sees why a
// fan-out is slow.
type DeliveryCounts struct {
	Queued   int `json:"queued"`
	Pending  int `json:"pending"`
	Sent     int `json:"sent"`
	Failed   int `json:"failed"`
	Retrying int `json:"retrying"`
}

// FiringFilter selects firings, newest first.
type FiringFilter struct {
	ReminderID string
	Status     string
	Since      time.Time // FireAt at or after; zero means unbounded
	Limit      int       // 0 means all
}

// ReminderStore is what the scheduler needs from durable storage beyond
// Store. Firings and their deliveries live in the same database as
// everything else, so a delivery row is written once whatever happens to
// the process that fires it.
type ReminderStore interface {
	// ListReminders returns every reminder ordered by id.
	ListReminders(ctx context.Context) ([]Reminder, error)
	// Rosters returns every employee with schedule and calendar (and
	// sites), ordered by employee id. Loc is left for the caller.
	Rosters(ctx context.Context) ([]Roster, error)
	// BeginFiring records f unless (ReminderID, FireAt) is already
	// recorded; it returns the stored firing and whether it was created.
	BeginFiring(ctx context.Context, f Firing) (Firing, bool, error)
	// EnqueueDeliveries queues msgs for one firing in one transaction,
	// skipping any whose DedupeKey is already queued, and returns how many
	// were inserted.
	EnqueueDeliveries(ctx context.Context, firingID int64, msgs []OutboxMessage) (int, error)
	// FinishFiring sets a firing's status, recipient count and note.
	FinishFiring(ctx context.Context, id int64, status string, recipients int, note string, now time.Time) error
	// ListFirings returns matching firings, newest FireAt first.
	ListFirings(ctx context.Context, f FiringFilter) ([]Firing, error)
	// FiringCounts counts the deliveries of each firing by status; firings
	// without deliveries are absent from the map.
	FiringCounts(ctx context.Context, ids []int64) (map[int64]DeliveryCounts, error)
	// Checkpoint returns the last minute the named scheduler finished, or
	// the zero time when it never ran.
	Checkpoint(ctx context.Context, name string) (time.Time, error)
	// SetCheckpoint records t unless a later checkpoint is already stored.
	SetCheckpoint(ctx context.Context, name string, t time.Time) error
	// DeliveryProblems returns up to limit deliveries of a firing that
	// failed, or that wait for another attempt after an error (a rate
	// limit), failed first, then by id: only ID, Platform, Route, Status,
	// Attempts, NextAttempt and LastError need be set.
	DeliveryProblems(ctx context.Context, firingID int64, limit int) ([]OutboxMessage, error)
	// RetryFailedDeliveries puts the failed deliveries of a firing back in
	// the outbox, due at now with no attempts counted and the last error
	// kept, and returns how many. Each stays the same row under the same
	// dedupe key, so nothing already sent is sent again.
	RetryFailedDeliveries(ctx context.Context, firingID int64, now time.Time) (int, error)
}

// ErrStaleReminder is wrapped by the refusal to resend a punch reminder
// long after its moment, so each caller can say so in its reader's words.
var ErrStaleReminder = errors.New("stale punch reminder")

// DeliveryProblem is a delivery of a firing that failed or is being
// retried, as HR sees it: who, on which platform, and the platform's error.
type DeliveryProblem struct {
	Recipient   Recipient
	Status      string // OutboxFailed, or OutboxPending while retried
	Attempts    int
	NextAttempt time.Time // when a pending one is tried again
	LastError   string
}

// DeliveryProblemsOf decodes the recipients of a store's problem rows.
func DeliveryProblemsOf(msgs []OutboxMessage) []DeliveryProblem {
	out := make([]DeliveryProblem, 0, len(msgs))
	for _, m := range msgs {
		var to Recipient
		if json.Unmarshal([]byte(m.Route), &to) != nil {
			to = Recipient{Platform: m.Platform}
		}
		if to.Platform == "" {
			to.Platform = m.Platform
		}
		out = append(out, DeliveryProblem{Recipient: to, Status: m.Status, Attempts: m.Attempts, NextAttempt: m.NextAttempt, LastError: m.LastError})
	}
	return out
}

// FiringReport is a firing with the counts of its deliveries.
type FiringReport struct {
	Firing
	Counts DeliveryCounts
}

// ReminderStatus is a reminder as the admin API lists it: how it is
// scheduled, when it fires next, why it cannot fire, its latest firings.
type ReminderStatus struct {
	Reminder Reminder
	Schedule string    // how its timing reads, for people
	Next     time.Time // next cron firing; zero for per-employee reminders or none
	Problem  string    // why it cannot fire as configured; "" when fine
	Recent   []FiringReport
}

// ReminderPreview is who would receive a reminder fired at At.
type ReminderPreview struct {
	Reminder    Reminder
	At          time.Time
	Deliveries  []Delivery
	Unreachable []string // selected employees with no chat identity
}

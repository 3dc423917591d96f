package postgres

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/punchbot/punchbot/core"
)

// Devices, the device-binding policy (migration 0011) and the subjects of
// audited accesses.

var (
	_ core.DeviceStore = (*Store)(nil)
	_ core.AccessStore = (*Store)(nil)
)

// queueDevicePolicy replaces the policy in ApplyOrg's batch.
func queueDevicePolicy(b *pgx.Batch, org core.Org) {
	b.Queue(`DELETE FROM device_policy`)
	scopes := map[string]core.DeviceBinding{"": org.Devices.Default}
	for id, bd := range org.Devices.Schedules {
		if id != "" {
			scopes[id] = bd
		}
	}
	for scope, bd := range scopes {
		if bd != "" {
			b.Queue(`INSERT INTO device_policy (scope, binding) VALUES ($1, $2)`, scope, string(bd))
		}
	}
}

// DevicePolicy returns the policy of the last apply, from the cache while
// no apply has cleared it (see rosterCache): every location-page punch
// asks, and only an apply changes it.
func (s *Store) DevicePolicy(ctx context.Context) (core.DevicePolicy, error) {
	if p, ok := s.cache.devicePolicy(); ok {
		return p, nil
	}
	gen := s.cache.generation()
	p, err := s.readDevicePolicy(ctx)
	if err == nil {
		s.cache.putDevicePolicy(gen, p)
	}
	return p, err
}

// readDevicePolicy reads the policy of the last apply.
func (s *Store) readDevicePolicy(ctx context.Context) (core.DevicePolicy, error) {
	rows, err := s.pool.Query(ctx, `SELECT scope, binding FROM device_policy`)
	if err != nil {
		return core.DevicePolicy{}, translate(err, "load device policy")
	}
	var p core.DevicePolicy
	var scope, binding string
	_, err = pgx.ForEachRow(rows, []any{&scope, &binding}, func() error {
		if scope == "" {
			p.Default = core.DeviceBinding(binding)
			return nil
		}
		if p.Schedules == nil {
			p.Schedules = map[string]core.DeviceBinding{}
		}
		p.Schedules[scope] = core.DeviceBinding(binding)
		return nil
	})
	return p, translate(err, "load device policy")
}

const deviceColumns = `id, employee_id, name, credential, created_at, last_used_at, revoked_at, revoked_by, enroll_nonce`

func scanDevice(row pgx.Row) (core.Device, error) {
	var d core.Device
	var used, revoked *time.Time
	err := row.Scan(&d.ID, &d.EmployeeID, &d.Name, &d.Credential, &d.CreatedAt, &used, &revoked, &d.RevokedBy, &d.EnrollNonce)
	d.CreatedAt, d.LastUsedAt, d.RevokedAt = fromTS(d.CreatedAt), fromNullTS(used), fromNullTS(revoked)
	return d, err
}

// ListDevices returns an employee's devices, oldest first.
func (s *Store) ListDevices(ctx context.Context, employeeID string) ([]core.Device, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deviceColumns+` FROM devices WHERE employee_id = $1 ORDER BY created_at, id`, employeeID)
	if err != nil {
		return nil, translate(err, "list devices")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.Device, error) { return scanDevice(row) })
	if len(out) == 0 {
		out = nil
	}
	return out, translate(err, "list devices")
}

// Device returns one device by credential id.
func (s *Store) Device(ctx context.Context, id string) (core.Device, error) {
	d, err := scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return core.Device{}, core.Errorf(core.ENOTFOUND, "no device %q", id)
	}
	return d, translate(err, "load device")
}

// AddDevice stores a device and its audit entry in one transaction; the
// primary key and the enrollment nonce's unique index refuse a second use.
func (s *Store) AddDevice(ctx context.Context, d core.Device, audit core.AuditEntry) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO devices (`+deviceColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			d.ID, d.EmployeeID, d.Name, d.Credential, ts(d.CreatedAt), nullTS(d.LastUsedAt), nullTS(d.RevokedAt), d.RevokedBy, d.EnrollNonce)
		b.Queue(insertAudit, auditArgs(audit)...)
		return tx.SendBatch(ctx, b).Close()
	})
	return translate(err, "add device")
}

// RevokeDevice marks a device revoked with its audit entry.
func (s *Store) RevokeDevice(ctx context.Context, id string, at time.Time, by string, audit core.AuditEntry) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var revoked *time.Time
		err := tx.QueryRow(ctx, `SELECT revoked_at FROM devices WHERE id = $1 FOR UPDATE`, id).Scan(&revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "no device %q", id)
		}
		if err != nil {
			return err
		}
		if revoked != nil {
			return core.Errorf(core.ECONFLICT, "device %q was already revoked", id)
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE devices SET revoked_at = $1, revoked_by = $2 WHERE id = $3`, ts(at), by, id)
		b.Queue(insertAudit, auditArgs(audit)...)
		return tx.SendBatch(ctx, b).Close()
	})
	return translate(err, "revoke device")
}

// TouchDevice writes back the credential record and the time of use.
func (s *Store) TouchDevice(ctx context.Context, id string, credential []byte, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE devices SET credential = $1, last_used_at = $2 WHERE id = $3`, credential, ts(at), id)
	if err != nil {
		return translate(err, "update device")
	}
	if tag.RowsAffected() == 0 {
		return core.Errorf(core.ENOTFOUND, "no device %q", id)
	}
	return nil
}

// RecordAccess appends the audit entry and its subject rows in one
// statement: the subjects are inserted from the new entry's id.
func (s *Store) RecordAccess(ctx context.Context, a core.AuditEntry, subjects []string) error {
	ids := make([]string, 0, len(subjects))
	for _, e := range subjects {
		if e != "" {
			ids = append(ids, e)
		}
	}
	sort.Strings(ids)
	_, err := s.pool.Exec(ctx, `WITH entry AS (
			INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id)
		INSERT INTO audit_subjects (employee_id, audit_id)
			SELECT DISTINCT e, entry.id FROM entry, unnest($6::text[]) AS e`,
		ts(a.At), a.Actor, a.Action, a.Subject, a.Detail, ids)
	return translate(err, "record access")
}

// FindAccess lists the entries about or including employeeID, newest first.
func (s *Store) FindAccess(ctx context.Context, employeeID string, limit int) ([]core.AuditEntry, error) {
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, actor, action, subject, detail FROM audit
		WHERE subject = $1 OR id IN (SELECT audit_id FROM audit_subjects WHERE employee_id = $1)
		ORDER BY id DESC LIMIT $2`, employeeID, lim)
	if err != nil {
		return nil, translate(err, "find access")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (core.AuditEntry, error) {
		var a core.AuditEntry
		err := row.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.Subject, &a.Detail)
		a.At = fromTS(a.At)
		return a, err
	})
	if len(out) == 0 {
		out = nil
	}
	return out, translate(err, "find access")
}

// EraseDevices deletes an employee's devices.
func (s *Store) EraseDevices(ctx context.Context, employeeID string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM devices WHERE employee_id = $1`, employeeID)
	if err != nil {
		return 0, translate(err, "erase devices")
	}
	return int(tag.RowsAffected()), nil
}

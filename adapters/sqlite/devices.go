package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Devices, the device-binding policy (migration 0011) and the subjects of
// audited accesses.

var (
	_ core.DeviceStore = (*Store)(nil)
	_ core.AccessStore = (*Store)(nil)
)

// saveDevicePolicy replaces the policy inside ApplyOrg's transaction.
func saveDevicePolicy(ctx context.Context, tx txConn, org core.Org) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM device_policy`); err != nil {
		return translate(err, "clear device policy")
	}
	scopes := map[string]core.DeviceBinding{"": org.Devices.Default}
	for id, b := range org.Devices.Schedules {
		if id != "" {
			scopes[id] = b
		}
	}
	for scope, b := range scopes {
		if b == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO device_policy (scope, binding) VALUES (?, ?)`, scope, string(b)); err != nil {
			return translate(err, "save device policy")
		}
	}
	return nil
}

// DevicePolicy returns the policy of the last apply.
func (s *Store) DevicePolicy(ctx context.Context) (core.DevicePolicy, error) {
	type row struct{ scope, binding string }
	rows, err := queryAll(ctx, poolConn{s.rs}, "load device policy", `SELECT scope, binding FROM device_policy`, nil,
		func(sc scanner) (row, error) {
			var r row
			return r, sc.Scan(&r.scope, &r.binding)
		})
	var p core.DevicePolicy
	for _, r := range rows {
		if r.scope == "" {
			p.Default = core.DeviceBinding(r.binding)
			continue
		}
		if p.Schedules == nil {
			p.Schedules = map[string]core.DeviceBinding{}
		}
		p.Schedules[r.scope] = core.DeviceBinding(r.binding)
	}
	return p, err
}

const deviceColumns = `id, employee_id, name, credential, created_at, last_used_at, revoked_at, revoked_by, enroll_nonce`

func scanDevice(sc scanner) (core.Device, error) {
	var d core.Device
	var created int64
	var used, revoked sql.NullInt64
	err := sc.Scan(&d.ID, &d.EmployeeID, &d.Name, &d.Credential, &created, &used, &revoked, &d.RevokedBy, &d.EnrollNonce)
	d.CreatedAt, d.LastUsedAt, d.RevokedAt = fromMicros(created), fromNullMicros(used), fromNullMicros(revoked)
	return d, err
}

// ListDevices returns an employee's devices, oldest first.
func (s *Store) ListDevices(ctx context.Context, employeeID string) ([]core.Device, error) {
	return queryAll(ctx, poolConn{s.rs}, "list devices", `SELECT `+deviceColumns+` FROM devices WHERE employee_id = ? ORDER BY created_at, id`,
		[]any{employeeID}, scanDevice)
}

// Device returns one device by credential id.
func (s *Store) Device(ctx context.Context, id string) (core.Device, error) {
	d, err := scanDevice(poolConn{s.rs}.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return core.Device{}, core.Errorf(core.ENOTFOUND, "no device %q", id)
	}
	return d, translate(err, "load device")
}

// AddDevice stores a device and its audit entry in one transaction; the
// primary key and the enrollment nonce's unique index refuse a second use.
func (s *Store) AddDevice(ctx context.Context, d core.Device, audit core.AuditEntry) error {
	return s.writeTx(ctx, func(tx txConn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO devices (`+deviceColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.EmployeeID, d.Name, d.Credential, micros(d.CreatedAt), nullMicros(d.LastUsedAt), nullMicros(d.RevokedAt), d.RevokedBy, d.EnrollNonce)
		if err != nil {
			return translate(err, "add device")
		}
		return insertAudit(ctx, tx, audit)
	})
}

// RevokeDevice marks a device revoked with its audit entry.
func (s *Store) RevokeDevice(ctx context.Context, id string, at time.Time, by string, audit core.AuditEntry) error {
	return s.writeTx(ctx, func(tx txConn) error {
		var revoked sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM devices WHERE id = ?`, id).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ENOTFOUND, "no device %q", id)
		}
		if err != nil {
			return translate(err, "load device")
		}
		if revoked.Valid {
			return core.Errorf(core.ECONFLICT, "device %q was already revoked", id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE devices SET revoked_at = ?, revoked_by = ? WHERE id = ?`, micros(at), by, id); err != nil {
			return translate(err, "revoke device")
		}
		return insertAudit(ctx, tx, audit)
	})
}

// TouchDevice writes back the credential record and the time of use.
func (s *Store) TouchDevice(ctx context.Context, id string, credential []byte, at time.Time) error {
	return s.writeTx(ctx, func(tx txConn) error {
		res, err := tx.ExecContext(ctx, `UPDATE devices SET credential = ?, last_used_at = ? WHERE id = ?`, credential, micros(at), id)
		if err != nil {
			return translate(err, "update device")
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return core.Errorf(core.ENOTFOUND, "no device %q", id)
		}
		return nil
	})
}

// RecordAccess appends the audit entry and one subject row per person.
func (s *Store) RecordAccess(ctx context.Context, a core.AuditEntry, subjects []string) error {
	ids := append([]string(nil), subjects...)
	sort.Strings(ids)
	return s.writeTx(ctx, func(tx txConn) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			micros(a.At), a.Actor, a.Action, a.Subject, a.Detail).Scan(&id)
		if err != nil {
			return translate(err, "insert audit")
		}
		for i, e := range ids {
			if e == "" || (i > 0 && ids[i-1] == e) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_subjects (employee_id, audit_id) VALUES (?, ?)`, e, id); err != nil {
				return translate(err, "insert audit subject")
			}
		}
		return nil
	})
}

// FindAccess lists the entries about or including employeeID, newest first.
func (s *Store) FindAccess(ctx context.Context, employeeID string, limit int) ([]core.AuditEntry, error) {
	if limit <= 0 {
		limit = -1
	}
	return queryAll(ctx, poolConn{s.rs}, "find access", `SELECT id, at, actor, action, subject, detail FROM audit
		WHERE subject = ? OR id IN (SELECT audit_id FROM audit_subjects WHERE employee_id = ?)
		ORDER BY id DESC LIMIT ?`, []any{employeeID, employeeID, limit}, scanAudit)
}

// EraseDevices deletes an employee's devices.
func (s *Store) EraseDevices(ctx context.Context, employeeID string) (int, error) {
	var n int64
	err := s.writeTx(ctx, func(tx txConn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE employee_id = ?`, employeeID)
		if err != nil {
			return translate(err, "erase devices")
		}
		n, err = res.RowsAffected()
		return translate(err, "erase devices")
	})
	return int(n), err
}

package core

import (
	"context"
	"math"
	"slices"
	"strings"
)

// DeviceShare counts one employee's browser punches of a period and how
// many of them a bound device verified: under device_binding: optional the
// share says how far passkeys have been adopted.
type DeviceShare struct {
	EmployeeID string
	Name       string
	Browser    int // valid punches made through the browser channel
	Verified   int // of those, flagged FlagDeviceVerified
}

// Percent is Verified as a share of Browser, to one decimal; 0 without
// browser punches.
func (d DeviceShare) Percent() float64 {
	if d.Browser == 0 {
		return 0
	}
	return math.Round(float64(d.Verified)/float64(d.Browser)*1000) / 10
}

// DeviceShareReport is the verified share of one month, per employee and
// in total.
type DeviceShareReport struct {
	Month string
	Rows  []DeviceShare // employees with at least one browser punch, by id
	Total DeviceShare
}

// BuildDeviceShareReport counts the month's valid browser punches of the
// people in scope and the verified ones among them.
func BuildDeviceShareReport(ctx context.Context, src ReportSource, month string, scope Scope) (DeviceShareReport, error) {
	from, to, err := MonthRange(month)
	if err != nil {
		return DeviceShareReport{}, err
	}
	rosters, err := src.Rosters(ctx)
	if err != nil {
		return DeviceShareReport{}, err
	}
	names := map[string]string{}
	for _, r := range rosters {
		names[r.Employee.ID] = r.Employee.Name
	}
	rep := DeviceShareReport{Month: month}
	rows := map[string]*DeviceShare{}
	err = src.ScanShiftPunches(ctx, ShiftRange{From: from, To: to, ValidOnly: true, EmployeeIDs: scope.Sorted(), Lean: true}, func(p Punch) error {
		if !p.Valid() || p.Source != string(PlatformWeb) || !scope.Allows(p.EmployeeID) {
			return nil
		}
		row := rows[p.EmployeeID]
		if row == nil {
			row = &DeviceShare{EmployeeID: p.EmployeeID, Name: names[p.EmployeeID]}
			rows[p.EmployeeID] = row
		}
		row.Browser++
		rep.Total.Browser++
		if slices.Contains(p.Flags, FlagDeviceVerified) {
			row.Verified++
			rep.Total.Verified++
		}
		return nil
	})
	for _, r := range rows {
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b DeviceShare) int { return strings.Compare(a.EmployeeID, b.EmployeeID) })
	return rep, err
}

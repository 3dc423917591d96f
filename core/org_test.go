package core

import (
	"slices"
	"testing"
)

// TestPrepareOrgProblems checks the messages of org problems that once
// read badly: swapped coordinates, and a self-manager reported twice.
func TestPrepareOrgProblems(t *testing.T) {
	tests := []struct {
		name string
		org  Org
		want []FieldError
	}{
		{
			name: "lat and lng swapped",
			org:  Org{Sites: []OrgSite{{Site: Site{ID: "hq", Lat: 116.4803, Lng: 39.9965}}}},
			want: []FieldError{{"sites[0].lat", "coordinates 116.4803,39.9965 are not a place on Earth: a latitude is within ±90; lat and lng may be swapped (lat: 39.9965, lng: 116.4803)"}},
		},
		{
			name: "not swappable",
			org:  Org{Sites: []OrgSite{{Site: Site{ID: "hq", Lat: 200, Lng: 300}}}},
			want: []FieldError{{"sites[0].lat", "coordinates 200,300 are not a place on Earth"}},
		},
		{
			name: "own manager",
			org:  Org{Employees: []Employee{{ID: "E1", Name: "Ann", ManagerID: "E1"}}},
			want: []FieldError{{"employees[0].manager", "an employee cannot manage themselves"}},
		},
		{
			name: "under an own manager",
			org:  Org{Employees: []Employee{{ID: "E1", Name: "Ann", ManagerID: "E1"}, {ID: "E2", Name: "Bob", ManagerID: "E1"}}},
			want: []FieldError{{"employees[0].manager", "an employee cannot manage themselves"}},
		},
		{
			name: "real cycle",
			org:  Org{Employees: []Employee{{ID: "E1", Name: "Ann", ManagerID: "E2"}, {ID: "E2", Name: "Bob", ManagerID: "E1"}}},
			want: []FieldError{{"employees", "manager chain has a cycle: E1 → E2 → E1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []FieldError
			if ve, ok := tt.org.Prepare().(*ValidationError); ok {
				got = ve.Fields
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Prepare problems = %q, want %q", got, tt.want)
			}
		})
	}
}

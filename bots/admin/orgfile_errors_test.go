package admin

import "testing"

// TestParseOrgClearerProblems pins the whole report for mistakes whose
// message once pointed the wrong way: tab indentation (yaml.v3's "found
// character that cannot start any token", a line early), swapped lat/lng,
// one site id where a list belongs, and a self-manager reported twice.
func TestParseOrgClearerProblems(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"tab before a list item", "name: Acme\nsites:\n\t- id: hq\n", "line 3: syntax error: tabs cannot indent YAML; indent this line with spaces"},
		{"tab inside a mapping", "name: Acme\nsites:\n  - id: hq\n\tlat: 1\n", "line 4: syntax error: tabs cannot indent YAML; indent this line with spaces"},
		{"tab after spaces", "name: Acme\nemployees:\n  - id: E1\n    name: A\n  \tsites: [x]\n", "line 5: syntax error: tabs cannot indent YAML; indent this line with spaces"},
		{"lat and lng swapped", "sites:\n  - id: hq\n    lat: 116.4803\n    lng: 39.9965\n",
			"line 3: sites[0].lat: coordinates 116.4803,39.9965 are not a place on Earth: a latitude is within ±90; lat and lng may be swapped (lat: 39.9965, lng: 116.4803)"},
		{"one site for a list", "sites:\n  - {id: wangjing, lat: 39.9965, lng: 116.4803}\nemployees:\n  - id: E1\n    name: Ann\n    sites: wangjing\n",
			`line 6: employees[0].sites: must be a list, not the single value "wangjing"; write [wangjing] for a list of one`},
		{"one ip range for a list", "sites:\n  - {id: hq, lat: 39.9965, lng: 116.4803, ip_ranges: 10.0.0.0/8}\n",
			`line 2: sites[0].ip_ranges: must be a list, not the single value "10.0.0.0/8"; write [10.0.0.0/8] for a list of one`},
		{"a mapping for a list", "sites:\n  id: hq\n", "line 2: sites: must be a list, not a mapping"},
		{"own manager", "employees:\n  - id: E1\n    name: Ann\n    manager: E1\n", "line 4: employees[0].manager: an employee cannot manage themselves"},
		{"a manager loop", "employees:\n  - {id: E1, name: Ann, manager: E2}\n  - {id: E2, name: Bob, manager: E1}\n", "line 2: employees[0].manager: manager chain has a cycle: E1 → E2 → E1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseOrg([]byte(tt.file))
			got := "<nil>"
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("ParseOrg error =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

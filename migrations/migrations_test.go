package migrations

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestEmbeddedMigrations(t *testing.T) {
	for name, fsys := range map[string]fs.FS{"postgres": Postgres, "sqlite": SQLite} {
		ms, err := List(fsys)
		if err != nil {
			t.Fatalf("%s: List: %v", name, err)
		}
		if len(ms) == 0 || ms[0].Version != 1 || ms[0].Name != "init" {
			t.Fatalf("%s: migrations = %+v, want 0001_init first", name, ms)
		}
		for i, m := range ms {
			if m.Version != i+1 {
				t.Errorf("%s: migration %d has version %d, want %d (no gaps)", name, i, m.Version, i+1)
			}
			// A version that only one dialect needs says so in its first line.
			noop := strings.HasPrefix(m.SQL, "-- Nothing changes in this dialect")
			if !noop && !strings.Contains(m.SQL, "CREATE ") && !strings.Contains(m.SQL, "ALTER ") && !strings.Contains(m.SQL, "DROP ") {
				t.Errorf("%s: migration %04d_%s looks empty", name, m.Version, m.Name)
			}
		}
	}
	pg, _ := Latest(Postgres)
	lite, _ := Latest(SQLite)
	if pg != lite {
		t.Errorf("latest versions differ: postgres %d, sqlite %d; every schema change needs both dialects", pg, lite)
	}
}

func TestEveryTableInBothDialects(t *testing.T) {
	tables := func(fsys fs.FS) map[string]bool {
		ms, err := List(fsys)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, m := range ms {
			for _, line := range strings.Split(m.SQL, "\n") {
				if rest, ok := strings.CutPrefix(line, "CREATE TABLE "); ok {
					out[strings.Fields(rest)[0]] = true
				}
			}
		}
		return out
	}
	pg, lite := tables(Postgres), tables(SQLite)
	for name := range pg {
		if !lite[name] {
			t.Errorf("table %s exists in postgres but not in sqlite", name)
		}
	}
	for name := range lite {
		if !pg[name] {
			t.Errorf("table %s exists in sqlite but not in postgres", name)
		}
	}
}

func TestList(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fsys    fstest.MapFS
		want    []int
		wantErr string
	}{
		{"sorted by version, other files ignored", fstest.MapFS{
			"0010_ten.sql": file("b"), "0002_two.sql": file("a"), "README.md": file("x"), "0001_one.sql": file("c"),
		}, []int{1, 2, 10}, ""},
		{"empty", fstest.MapFS{}, nil, ""},
		{"no name", fstest.MapFS{"0001.sql": file("")}, nil, `"0001.sql" is not named NNNN_name.sql`},
		{"short number", fstest.MapFS{"1_init.sql": file("")}, nil, `"1_init.sql" is not named`},
		{"not a number", fstest.MapFS{"abcd_init.sql": file("")}, nil, `"abcd_init.sql" is not named`},
		{"version zero", fstest.MapFS{"0000_init.sql": file("")}, nil, `"0000_init.sql" is not named`},
		{"duplicate version", fstest.MapFS{"0001_a.sql": file(""), "0001_b.sql": file("")}, nil, "version 1 is used by both"},
	}
	for _, tc := range tests {
		ms, err := List(tc.fsys)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error = %v, want one containing %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []int
		for _, m := range ms {
			got = append(got, m.Version)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: versions = %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: versions = %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
	ms, _ := List(fstest.MapFS{"0001_one.sql": file("SELECT 1;")})
	if len(ms) != 1 || ms[0].Name != "one" || ms[0].SQL != "SELECT 1;" {
		t.Errorf("List = %+v, want version 1 named one with its SQL", ms)
	}
	if v, err := Latest(fstest.MapFS{}); v != 0 || err != nil {
		t.Errorf("Latest of nothing = %d, %v, want 0", v, err)
	}
}

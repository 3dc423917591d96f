package postgres

import (
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func TestParsePoolConfig(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want int32
	}{
		{"URL without a pool size", "postgres://u@db:5432/p?sslmode=disable", DefaultPoolConns},
		{"URL with a pool size", "postgres://u@db/p?pool_max_conns=3", 3},
		{"pool size equal to pgxpool's default", "postgres://u@db/p?pool_max_conns=4", 4},
		{"key=value without a pool size", "host=db user=u dbname=p", DefaultPoolConns},
		{"key=value with a pool size", "host=db user=u pool_max_conns=40", 40},
	}
	for _, tc := range tests {
		cfg, err := ParsePoolConfig(tc.url)
		if err != nil {
			t.Fatalf("%s: ParsePoolConfig: %v", tc.name, err)
		}
		if got := cfg.MaxConns; got != tc.want {
			t.Errorf("%s: MaxConns = %d, want %d", tc.name, got, tc.want)
		}
		if _, left := cfg.ConnConfig.RuntimeParams["pool_max_conns"]; left {
			t.Errorf("%s: pool_max_conns would be sent to the server as a setting", tc.name)
		}
	}
}

func TestParsePoolConfigHidesThePassword(t *testing.T) {
	_, err := ParsePoolConfig("postgres://u:s3cret@db/p?pool_max_conns=many")
	if core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("code = %q, want %q (err %v)", core.ErrorCode(err), core.EINVALID, err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q shows the password", err)
	}
}

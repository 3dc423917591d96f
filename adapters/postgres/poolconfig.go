package postgres

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/punchbot/punchbot/core"
)

// DefaultPoolConns is the pool size when the URL does not set
// pool_max_conns. pgxpool's own default, max(4, NumCPU), starves a punch:
// its transaction holds a connection across two round trips and the rules
// the server runs between them, so a connection spends much of its time
// waiting for Go, not for PostgreSQL. On 2 cores shared by server and
// database, `punchbot bench webhook -platform feishu -store postgres -pool N`
// acknowledged 2,070–2,090/s at N=4, 2,550–2,650 at 8, 2,780–2,980 at 16,
// 2,510 at 32 and 2,330–2,540 at 64 (with p99 67 ms against 38–45 at 16):
// past the knee, backends only take turns on the same cores.
const DefaultPoolConns = 16

// ParsePoolConfig parses a postgres:// URL or key=value string as pgxpool
// does, pool_* parameters included, with DefaultPoolConns when the string
// does not set pool_max_conns.
func ParsePoolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error can echo the URL, password included.
		return nil, core.Errorf(core.EINVALID, "database URL is not a valid postgres connection string")
	}
	// pgxpool reads pool_max_conns out of the connection's run-time
	// parameters and deletes it, so whether it was given shows only in a
	// parse of its own.
	conn, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, core.Errorf(core.EINVALID, "database URL is not a valid postgres connection string")
	}
	if _, set := conn.RuntimeParams["pool_max_conns"]; !set {
		cfg.MaxConns = DefaultPoolConns
	}
	return cfg, nil
}

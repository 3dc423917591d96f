package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/punchbot/punchbot/core"
)

// rawPhase is how long each of the two raw INSERT phases lasts, one just
// before the measured path and one just after it: a shared machine's speed
// drifts within a run, and a yardstick taken on both sides of the path
// averages over the same stretch of it.
const rawPhase = 2500 * time.Millisecond

// rawYardstick is the bench's yardstick: conc callers on conc connections
// inserting single punch rows, autocommit, into a copy of the punches table
// (same columns, indexes and identity).
type rawYardstick struct {
	pool *pgxpool.Pool
	conc int
	seq  atomic.Int64 // event ids stay distinct across phases
}

// openRawYardstick connects conc connections, creates the table and warms
// every connection.
func openRawYardstick(ctx context.Context, pgURL string, conc int) (*rawYardstick, error) {
	pc, err := pgxpool.ParseConfig(pgURL)
	if err != nil {
		return nil, err
	}
	pc.MaxConns, pc.MinConns = int32(conc), int32(conc)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE raw_punches (LIKE punches INCLUDING ALL)`); err != nil {
		pool.Close()
		return nil, err
	}
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() { _, _ = pool.Exec(ctx, `SELECT 1`) })
	}
	wg.Wait()
	return &rawYardstick{pool: pool, conc: conc}, nil
}

func (y *rawYardstick) Close() { y.pool.Close() }

const rawInsert = `INSERT INTO raw_punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location,
	lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`

// measure inserts n rows or for d, whichever comes first.
func (y *rawYardstick) measure(ctx context.Context, n int, d time.Duration) (rawResult, error) {
	var failed atomic.Value
	before := readCPUTimes()
	res := runClosedLoop(ctx, y.conc, 0, n, d, func(ctx context.Context, _ int) opResult {
		i := int(y.seq.Add(1))
		now := time.Now()
		_, err := y.pool.Exec(ctx, rawInsert, fmt.Sprintf("E%05d", i%10000), "in", now, now, now.Format(core.DateLayout), "feishu", "raw-"+strconv.Itoa(i), true,
			31.2, 121.4, 0.0, "Office", "site-0001", 2.2, "", "accepted", "normal", 0, 0, "[]", "[]", int64(0))
		if err != nil {
			failed.CompareAndSwap(nil, err)
		}
		return opResult{}
	})
	if err, _ := failed.Load().(error); err != nil {
		return rawResult{}, err
	}
	return rawResult{n: len(res.Results), elapsed: res.Elapsed, cpu: before.until(readCPUTimes(), len(res.Results))}, nil
}

type rawResult struct {
	n       int
	elapsed time.Duration
	cpu     cpuUse
}

func (r rawResult) perSec() float64 { return float64(r.n) / max(r.elapsed.Seconds(), 1e-9) }

// plus is the two phases as one: their inserts over their time.
func (r rawResult) plus(o rawResult) rawResult {
	return rawResult{n: r.n + o.n, elapsed: r.elapsed + o.elapsed, cpu: r.cpu.plus(o.cpu)}
}

package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A commit that only writes (a group of punches, or one punch judged from
// its cached punches) is sent below pgx's batch layer: its parameters are
// encoded here, in binary, into a buffer reused from commit to commit, and
// the statements go out in one write (see exchange). pgx would encode the
// same bytes, but plans an encoder per parameter and grows fresh buffers
// for every statement and commit; a group carries hundreds of parameters,
// and that work and garbage were a large part of a punch's cost on the
// client. Only the few types the writes use are encoded here; anything
// else makes the commit go through pgx as before.

// errNotPlain says a statement cannot be sent by sendPlain; nothing was sent.
var errNotPlain = errors.New("statement needs pgx")

// wireBuffers are the reusable parts of one plain commit.
type wireBuffers struct {
	data   []byte   // one statement's parameters, back to back
	values [][]byte // slices of data, nil for NULL
	ends   []int    // where each parameter ends in data, -1 for NULL
	wire   []byte   // the messages of the whole commit
}

var wirePool = sync.Pool{New: func() any { return &wireBuffers{} }}

// maxPooledWire bounds the buffers wirePool keeps.
const maxPooledWire = 1 << 20

// binaryFormat, given once, makes every parameter of a Bind binary.
var binaryFormat = []int16{pgtype.BinaryFormatCode}

// sendPlain sends stmts, none of which returns rows or has its command tag
// checked, in one round trip on conn, as the pipeline's implicit
// transaction. errNotPlain means it sent nothing and the caller must use
// pgx; any other error comes from the server or the connection.
func (s *Store) sendPlain(ctx context.Context, conn *pgxpool.Conn, stmts []stmt) error {
	for _, st := range stmts {
		if st.rows != nil || st.check != nil {
			return errNotPlain
		}
	}
	pc := conn.Conn()
	// Statements are prepared once per connection under their own text
	// (pgx keeps them); a statement of a new shape costs one round trip.
	descs := make([]*pgconn.StatementDescription, len(stmts))
	for i, st := range stmts {
		sd, err := pc.Prepare(ctx, st.sql, st.sql)
		if err != nil {
			return translate(err, st.describe())
		}
		if len(sd.ParamOIDs) != len(st.args) {
			return errNotPlain
		}
		descs[i] = sd
	}
	wb := wirePool.Get().(*wireBuffers)
	defer func() {
		if cap(wb.data)+cap(wb.wire) > maxPooledWire {
			return // one huge commit need not pin its buffer for ever
		}
		clear(wb.values) // drop references to data before pooling
		wirePool.Put(wb)
	}()
	wire := wb.wire[:0]
	for i, st := range stmts {
		wb.data, wb.ends = wb.data[:0], wb.ends[:0]
		for j, arg := range st.args {
			var null, ok bool
			wb.data, null, ok = appendBinary(wb.data, descs[i].ParamOIDs[j], arg)
			if !ok {
				return errNotPlain
			}
			if null {
				wb.ends = append(wb.ends, -1)
			} else {
				wb.ends = append(wb.ends, len(wb.data))
			}
		}
		wb.values = wb.values[:0]
		start := 0
		for _, end := range wb.ends {
			if end < 0 {
				wb.values = append(wb.values, nil)
				continue
			}
			wb.values = append(wb.values, wb.data[start:end:end])
			start = end
		}
		var err error
		bind := pgproto3.Bind{PreparedStatement: descs[i].Name, ParameterFormatCodes: binaryFormat, Parameters: wb.values}
		if wire, err = bind.Encode(wire); err != nil {
			return translate(err, st.describe())
		}
		wire, _ = (&pgproto3.Execute{}).Encode(wire)
	}
	wire, _ = (&pgproto3.Sync{}).Encode(wire)
	wb.wire = wire
	return exchange(ctx, pc.PgConn(), wire, stmts)
}

// exchange writes a pipeline of Bind/Execute messages ending in Sync,
// encoded by the caller into a reused buffer (pgconn's batch would grow a
// fresh one for every commit), and reads the server's answers up to
// ReadyForQuery through pgconn, which still handles notices and parameter
// changes. The connection is closed, so that the pool discards it, when
// the exchange breaks off half way.
func exchange(ctx context.Context, pc *pgconn.PgConn, wire []byte, stmts []stmt) error {
	conn := pc.Conn()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetWriteDeadline(deadline)
		defer conn.SetWriteDeadline(time.Time{})
	}
	if _, err := conn.Write(wire); err != nil {
		pc.Close(context.WithoutCancel(ctx))
		return translate(err, "send commit")
	}
	rctx := ctx
	if ctx.Done() == nil {
		rctx = context.Background() // nothing to watch for
	}
	var failed error
	done := 0
	for {
		msg, err := pc.ReceiveMessage(rctx)
		if err != nil {
			pc.Close(context.WithoutCancel(ctx))
			if failed != nil {
				return failed // what the server said before it hung up
			}
			return translate(err, "commit")
		}
		switch msg := msg.(type) {
		case *pgproto3.CommandComplete:
			done++
		case *pgproto3.ErrorResponse:
			// The server skips the rest of the pipeline: the statements
			// completed name the failing one.
			if failed == nil {
				what := "commit"
				if done < len(stmts) {
					what = stmts[done].describe()
				}
				failed = translate(pgconn.ErrorResponseToPgError(msg), what)
			}
		case *pgproto3.ReadyForQuery:
			return failed
		}
	}
}

// pgEpoch is where PostgreSQL's binary timestamps count from.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// appendBinary appends v in the binary format of type oid; null reports a
// NULL (nil, or a nil []byte as pgx takes it), ok is false for a type or
// value it does not encode.
func appendBinary(buf []byte, oid uint32, v any) (out []byte, null, ok bool) {
	if b, isBytes := v.([]byte); v == nil || isBytes && b == nil {
		return buf, true, true
	}
	buf, ok = appendValue(buf, oid, v)
	return buf, false, ok
}

func appendValue(buf []byte, oid uint32, v any) (out []byte, ok bool) {
	switch oid {
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.JSONOID:
		switch x := v.(type) {
		case string:
			return append(buf, x...), true
		case []byte:
			return append(buf, x...), true
		}
	case pgtype.JSONBOID:
		switch x := v.(type) {
		case string:
			return append(append(buf, 1), x...), true
		case []byte:
			return append(append(buf, 1), x...), true
		}
	case pgtype.BoolOID:
		if x, isBool := v.(bool); isBool {
			if x {
				return append(buf, 1), true
			}
			return append(buf, 0), true
		}
	case pgtype.Int4OID:
		if n, isInt := intValue(v); isInt && n >= math.MinInt32 && n <= math.MaxInt32 {
			return binary.BigEndian.AppendUint32(buf, uint32(int32(n))), true
		}
	case pgtype.Int8OID:
		if n, isInt := intValue(v); isInt {
			return binary.BigEndian.AppendUint64(buf, uint64(n)), true
		}
	case pgtype.Float8OID:
		if x, isFloat := v.(float64); isFloat {
			return binary.BigEndian.AppendUint64(buf, math.Float64bits(x)), true
		}
	case pgtype.TimestamptzOID:
		if t, isTime := v.(time.Time); isTime {
			// Microseconds since 2000, as the column keeps them; ts() has
			// already truncated what the store writes.
			us := (t.Unix()-pgEpoch.Unix())*1_000_000 + int64(t.Nanosecond()/1000)
			return binary.BigEndian.AppendUint64(buf, uint64(us)), true
		}
	case pgtype.TextArrayOID:
		if xs, isStrings := v.([]string); isStrings {
			buf = appendArrayHeader(buf, pgtype.TextOID, len(xs))
			for _, x := range xs {
				buf = binary.BigEndian.AppendUint32(buf, uint32(len(x)))
				buf = append(buf, x...)
			}
			return buf, true
		}
	case pgtype.Int8ArrayOID:
		if xs, isInts := v.([]int64); isInts {
			buf = appendArrayHeader(buf, pgtype.Int8OID, len(xs))
			for _, x := range xs {
				buf = binary.BigEndian.AppendUint32(buf, 8)
				buf = binary.BigEndian.AppendUint64(buf, uint64(x))
			}
			return buf, true
		}
	}
	return buf, false
}

// appendArrayHeader starts a one-dimensional array of n elements without
// NULLs (an empty array has no dimensions).
func appendArrayHeader(buf []byte, elem uint32, n int) []byte {
	if n == 0 {
		buf = binary.BigEndian.AppendUint32(buf, 0) // dimensions
		buf = binary.BigEndian.AppendUint32(buf, 0) // has NULLs
		return binary.BigEndian.AppendUint32(buf, elem)
	}
	buf = binary.BigEndian.AppendUint32(buf, 1)
	buf = binary.BigEndian.AppendUint32(buf, 0)
	buf = binary.BigEndian.AppendUint32(buf, elem)
	buf = binary.BigEndian.AppendUint32(buf, uint32(n))
	return binary.BigEndian.AppendUint32(buf, 1) // lower bound
}

func intValue(v any) (int64, bool) {
	switch x := v.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

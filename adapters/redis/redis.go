// Package redis keeps punchbot's short-lived state — dedupe claims, rate
// limit windows, leases and conversational sessions — in Redis, so that any
// number of replicas share it. adapters/memory is the single-instance
// equivalent; both pass coretest.RunKVSuite.
//
// Every operation touches exactly one key, so the adapter works unchanged on
// Redis Cluster. Redis failures are reported as core EUNAVAILABLE when the
// server cannot be reached or cannot serve right now, so callers can tell
// "try again" from a bug.
package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/punchbot/punchbot/core"
)

// Key namespaces below the prefix. A session, a claim, a rate-limit window
// and a lock may share a caller's key without ever touching each other.
const (
	nsSession = "sess:"
	nsDedupe  = "dedupe:"
	nsRate    = "rate:"
	nsLock    = "lock:"
	probeKey  = "probe" // one key, no namespace: see probe
)

// allowSrc is a sliding-window log limiter. It runs as one script so that
// trimming, counting and recording are atomic across replicas.
//
// It reads the Redis server's clock (TIME) rather than taking a time from the
// caller: every replica then measures the window on the same clock, so a
// replica whose clock is ahead or behind can neither evict other replicas'
// events early nor keep them too long, and the scores in the sorted set stay
// comparable. Redis 5+ replicates the script's effects, not the script, so
// reading TIME before writing is allowed; replicate_commands makes the same
// true on 3.2–4.
//
// KEYS[1]: sorted set of admitted events, scored by server time in µs.
// ARGV[1]: limit; ARGV[2]: window in µs; ARGV[3]: a member unique to this
// call, so two events in the same microsecond are both counted.
// Returns {1, 0} when admitted, {0, µs until a slot frees} when refused.
const allowSrc = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - window))
local n = redis.call('ZCARD', KEYS[1])
if n < limit then
  redis.call('ZADD', KEYS[1], string.format('%d', now), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, 0}
end
local edge = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
local wait = tonumber(edge[2]) + window - now
if wait < 1 then wait = 1 end
return {0, wait}
`

// renewSrc extends a lock only while it still holds this holder's token, so
// a holder whose lease expired and was taken can never extend the new one.
// KEYS[1]: lock key; ARGV[1]: token; ARGV[2]: TTL in ms. Returns 1 or 0.
const renewSrc = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`

// releaseSrc deletes a lock only while it still holds this holder's token.
// KEYS[1]: lock key; ARGV[1]: token. Returns 1 or 0.
const releaseSrc = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

// putIfAbsentSrc writes a session value only where none is and answers
// what was there, in one step. SET NX GET would do the same from Redis 7.0
// on; the script runs on every version the adapter supports.
// KEYS[1]: session key; ARGV[1]: value; ARGV[2]: TTL in ms.
// Returns {1, ""} when stored, {0, existing value} when not.
const putIfAbsentSrc = `
local v = redis.call('GET', KEYS[1])
if v then return {0, v} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, ''}
`

// KV is a Redis-backed core.SessionStore, core.Deduper, core.RateLimiter and
// core.Locker. It is safe for concurrent use.
type KV struct {
	client  goredis.UniversalClient
	prefix  string
	allow   *goredis.Script
	renew   *goredis.Script
	release *goredis.Script
	putNew  *goredis.Script
}

var (
	_ core.SessionStore = (*KV)(nil)
	_ core.Deduper      = (*KV)(nil)
	_ core.RateLimiter  = (*KV)(nil)
	_ core.Locker       = (*KV)(nil)

	_ core.SessionReadingLimiter = (*KV)(nil)
)

// New returns a KV that stores every key under prefix (for example
// "punchbot:") through client. The KV takes ownership of client: Close closes
// it.
func New(client goredis.UniversalClient, prefix string) *KV {
	return &KV{
		client:  client,
		prefix:  prefix,
		allow:   goredis.NewScript(allowSrc),
		renew:   goredis.NewScript(renewSrc),
		release: goredis.NewScript(releaseSrc),
		putNew:  goredis.NewScript(putIfAbsentSrc),
	}
}

// Request-path client defaults. A punch has about a second end to end, and
// Redis on a healthy network answers in well under a millisecond, so a
// command that has not completed in a few hundred ms means Redis cannot
// serve: failing fast lets Resilient answer from its fallback within the
// budget. go-redis's defaults (5 s timeouts, 3 retries, 5 dial attempts)
// would hold a request for 20 s and more. A URL query (dial_timeout,
// read_timeout, write_timeout, pool_timeout, max_retries) overrides these.
const (
	DefaultDialTimeout = 250 * time.Millisecond
	DefaultIOTimeout   = 250 * time.Millisecond
	DefaultPoolTimeout = 250 * time.Millisecond
)

// Dial builds a KV for the Redis server at url (redis://, rediss:// or
// unix://, as go-redis ParseURL accepts) without contacting it, with the
// request-path timeouts above unless the URL sets its own. A malformed URL
// is EINVALID.
func Dial(url, prefix string) (*KV, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, core.Errorf(core.EINVALID, "invalid Redis URL: %v", redactURLError(err))
	}
	requestPathDefaults(opts)
	return New(goredis.NewClient(opts), prefix), nil
}

// requestPathDefaults fills in the timeouts a URL left unset (zero).
func requestPathDefaults(o *goredis.Options) {
	if o.DialTimeout == 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = DefaultIOTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = o.ReadTimeout
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = DefaultPoolTimeout
	}
	if o.MaxRetries == 0 {
		// No retries: a retried read timeout doubles the wait, and a
		// retried script may run twice (count one punch twice). A pooled
		// connection the server dropped is caught by go-redis's health
		// check before reuse, so retries buy little here.
		o.MaxRetries = -1
	}
	if o.DialerRetries == 0 {
		// One dial per command; Resilient's probe does the redialling.
		o.DialerRetries = 1
	}
	// The caller's deadline bounds every socket wait too, not only
	// ReadTimeout.
	o.ContextTimeoutEnabled = true
}

// Open is Dial followed by a check that the server answers: a server that
// does not answer is EUNAVAILABLE.
func Open(ctx context.Context, url, prefix string) (*KV, error) {
	kv, err := Dial(url, prefix)
	if err != nil {
		return nil, err
	}
	if err := kv.Ping(ctx); err != nil {
		_ = kv.Close()
		return nil, err
	}
	return kv, nil
}

// redactURLError drops the URL from a url.Error, because the URL may carry
// the Redis password and the message ends up in logs.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Close closes the client and its connections.
func (k *KV) Close() error {
	return k.client.Close()
}

// Ping checks the server answers; /readyz uses it.
func (k *KV) Ping(ctx context.Context) error {
	return translate(k.client.Ping(ctx).Err(), "PING", "")
}

// probe writes the probe key, for Resilient. It writes rather than PINGs
// because a server that refuses writes (out of memory, MISCONF on a full
// disk, a read-only replica after a failover) still answers PING: Redis
// would be marked up only for the next request to mark it down again, once
// per probe.
func (k *KV) probe(ctx context.Context) error {
	rk := k.prefix + probeKey
	return translate(k.client.Set(ctx, rk, "1", 10*time.Second).Err(), "SET", rk)
}

// reachable dials the server's address once, outside go-redis, which logs
// every failed dial: while Redis is known to be down, the probe checks this
// first so that an outage does not add a go-redis log line every probe (and
// does not exhaust the pool's dial-error budget, after which go-redis itself
// redials only once a second). Clients other than a single-server Client
// report reachable, leaving the decision to probe.
func (k *KV) reachable(ctx context.Context) error {
	c, ok := k.client.(*goredis.Client)
	if !ok {
		return nil
	}
	o := c.Options()
	var d net.Dialer
	conn, err := d.DialContext(ctx, o.Network, o.Addr)
	if err != nil {
		return translate(err, "dial", "")
	}
	return conn.Close()
}

// Put stores value under key for ttl (rounded up to whole milliseconds),
// replacing any previous value and its TTL.
func (k *KV) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := checkTTL("session", ttl); err != nil {
		return err
	}
	rk := k.prefix + nsSession + key
	return translate(k.client.Set(ctx, rk, value, roundTTL(ttl)).Err(), "SET", rk)
}

// PutIfAbsent stores value under key for ttl unless key holds a value,
// which it returns instead (see putIfAbsentSrc).
func (k *KV) PutIfAbsent(ctx context.Context, key string, value []byte, ttl time.Duration) ([]byte, bool, error) {
	if err := checkTTL("session", ttl); err != nil {
		return nil, false, err
	}
	rk := k.prefix + nsSession + key
	res, err := k.putNew.Run(ctx, k.client, []string{rk}, value, roundTTL(ttl).Milliseconds()).Slice()
	if err != nil {
		return nil, false, translate(err, "put-if-absent script on", rk)
	}
	if len(res) != 2 {
		return nil, false, core.Errorf(core.EINTERNAL, "put-if-absent script on %s returned %d values, want 2", rk, len(res))
	}
	if stored, _ := res[0].(int64); stored == 1 {
		return nil, true, nil
	}
	existing, _ := res[1].(string)
	return []byte(existing), false, nil
}

// Get returns the live value of key, or ENOTFOUND when it is missing or
// expired.
func (k *KV) Get(ctx context.Context, key string) ([]byte, error) {
	rk := k.prefix + nsSession + key
	v, err := k.client.Get(ctx, rk).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, core.Errorf(core.ENOTFOUND, "no session value %q", key)
	}
	if err != nil {
		return nil, translate(err, "GET", rk)
	}
	if v == nil {
		return []byte{}, nil
	}
	return v, nil
}

// Delete removes key; deleting a missing key is not an error.
func (k *KV) Delete(ctx context.Context, key string) error {
	rk := k.prefix + nsSession + key
	return translate(k.client.Del(ctx, rk).Err(), "DEL", rk)
}

// Claim returns true for the first claim of key within ttl (SET NX PX), and
// false for every further claim until that one expires.
func (k *KV) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := checkTTL("dedupe", ttl); err != nil {
		return false, err
	}
	rk := k.prefix + nsDedupe + key
	ok, err := k.client.SetNX(ctx, rk, "1", roundTTL(ttl)).Result()
	if err != nil {
		return false, translate(err, "SET NX", rk)
	}
	return ok, nil
}

// Allow admits at most limit events per sliding window for key, measured on
// the Redis server's clock (see allowSrc). Only admitted events are recorded,
// so the set holds at most limit members and expires a window after the last
// one; a client that keeps retrying while refused does not delay its own
// recovery. When refused, retryAfter is the time until enough events leave
// the window to admit one more.
func (k *KV) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	if limit <= 0 {
		return false, 0, core.Errorf(core.EINVALID, "rate limit must be positive, got %d", limit)
	}
	if window <= 0 {
		return false, 0, core.Errorf(core.EINVALID, "rate limit window must be positive, got %s", window)
	}
	rk := k.prefix + nsRate + key
	micros := max(window.Microseconds(), 1)
	res, err := k.allow.Run(ctx, k.client, []string{rk}, limit, micros, rand.Text()).Int64Slice()
	if err != nil {
		return false, 0, translate(err, "rate limit script on", rk)
	}
	if len(res) != 2 {
		return false, 0, core.Errorf(core.EINTERNAL, "rate limit script on %s returned %d values, want 2", rk, len(res))
	}
	if res[0] == 1 {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Microsecond, nil
}

// AllowRead is Allow(rateKey) and Get(sessionKey) in one round trip: a
// pipeline of the limiter's script and a GET. Each command still touches
// one key, so on Redis Cluster go-redis sends them to their own nodes. The
// first call on a server that has not seen the script yet loads it with a
// second round trip, as Allow does.
func (k *KV) AllowRead(ctx context.Context, rateKey string, limit int, window time.Duration, sessionKey string) (core.Admission, error) {
	if limit <= 0 || window <= 0 {
		ok, after, err := k.Allow(ctx, rateKey, limit, window) // its error says which
		return core.Admission{OK: ok, RetryAfter: after}, err
	}
	rk, sk := k.prefix+nsRate+rateKey, k.prefix+nsSession+sessionKey
	args := []any{limit, max(window.Microseconds(), 1), rand.Text()}
	pipe := k.client.Pipeline()
	allow := k.allow.EvalSha(ctx, pipe, []string{rk}, args...)
	get := pipe.Get(ctx, sk)
	_, _ = pipe.Exec(ctx) // each command's error is read below
	if err := allow.Err(); err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") {
		allow = k.allow.Run(ctx, k.client, []string{rk}, args...)
	}
	res, err := allow.Int64Slice()
	if err != nil {
		return core.Admission{}, translate(err, "rate limit script on", rk)
	}
	if len(res) != 2 {
		return core.Admission{}, core.Errorf(core.EINTERNAL, "rate limit script on %s returned %d values, want 2", rk, len(res))
	}
	a := core.Admission{OK: res[0] == 1}
	if !a.OK {
		a.RetryAfter = time.Duration(res[1]) * time.Microsecond
	}
	v, err := get.Bytes()
	switch {
	case errors.Is(err, goredis.Nil):
	case err != nil:
		return core.Admission{}, translate(err, "GET", sk)
	default:
		a.Value, a.Found = v, true
		if a.Value == nil {
			a.Value = []byte{}
		}
	}
	return a, nil
}

// TryLock returns a lease on key for ttl (SET NX PX with a random token), or
// ECONFLICT while another live lease holds it.
func (k *KV) TryLock(ctx context.Context, key string, ttl time.Duration) (core.Lease, error) {
	if err := checkTTL("lock", ttl); err != nil {
		return nil, err
	}
	rk := k.prefix + nsLock + key
	token := rand.Text() // 128 bits: no two holders ever share one
	ok, err := k.client.SetNX(ctx, rk, token, roundTTL(ttl)).Result()
	if err != nil {
		return nil, translate(err, "SET NX", rk)
	}
	if !ok {
		return nil, core.Errorf(core.ECONFLICT, "lock %q is held by another holder", key)
	}
	return &lease{kv: k, key: key, rkey: rk, token: token}, nil
}

// lease is one holder's claim on a lock key, identified by its token.
type lease struct {
	kv    *KV
	key   string
	rkey  string
	token string
}

// Renew extends the lease to ttl from now. It fails with ECONFLICT once the
// key no longer holds this lease's token: it expired (whether or not someone
// took it since) or was released.
func (l *lease) Renew(ctx context.Context, ttl time.Duration) error {
	if err := checkTTL("lock", ttl); err != nil {
		return err
	}
	n, err := l.kv.renew.Run(ctx, l.kv.client, []string{l.rkey}, l.token, roundTTL(ttl).Milliseconds()).Int64()
	if err != nil {
		return translate(err, "renew script on", l.rkey)
	}
	if n != 1 {
		return core.Errorf(core.ECONFLICT, "lease on %q was lost", l.key)
	}
	return nil
}

// Release frees the lock so another holder can take it at once. It fails
// with ECONFLICT, leaving the key alone, when the key no longer holds this
// lease's token.
func (l *lease) Release(ctx context.Context) error {
	n, err := l.kv.release.Run(ctx, l.kv.client, []string{l.rkey}, l.token).Int64()
	if err != nil {
		return translate(err, "release script on", l.rkey)
	}
	if n != 1 {
		return core.Errorf(core.ECONFLICT, "lease on %q was lost", l.key)
	}
	return nil
}

func checkTTL(what string, ttl time.Duration) error {
	if ttl <= 0 {
		return core.Errorf(core.EINVALID, "%s TTL must be positive, got %s", what, ttl)
	}
	return nil
}

// roundTTL rounds ttl up to whole milliseconds, the resolution of PX and
// PEXPIRE, so that a value never expires before the TTL the caller asked for.
func roundTTL(ttl time.Duration) time.Duration {
	return (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
}

// translate turns a go-redis error into a *core.Error: EUNAVAILABLE when the
// server could not be reached or cannot serve right now (the caller may retry
// or report "not recorded"), EINTERNAL for anything else, which is a bug or
// a misconfiguration. The cause is kept for logs and errors.Is.
func translate(err error, op, key string) error {
	if err == nil {
		return nil
	}
	code := core.EINTERNAL
	if unavailable(err) {
		code = core.EUNAVAILABLE
	}
	if key == "" {
		return core.WrapError(code, err, "redis %s", op)
	}
	return core.WrapError(code, err, "redis %s %s", op, key)
}

func unavailable(err error) bool {
	var netErr net.Error
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, goredis.ErrClosed),
		errors.Is(err, goredis.ErrPoolTimeout),
		errors.Is(err, goredis.ErrPoolExhausted),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled):
		return true
	}
	return goredis.IsLoadingError(err) ||
		goredis.IsReadOnlyError(err) ||
		goredis.IsClusterDownError(err) ||
		goredis.IsTryAgainError(err) ||
		goredis.IsMasterDownError(err) ||
		goredis.IsMaxClientsError(err) ||
		goredis.IsOOMError(err) ||
		goredis.HasErrorPrefix(err, "BUSY") ||
		// Writes refused while the server cannot persist them (a full
		// disk) or replicate them (too few replicas): an outage to wait
		// out, not a bug.
		goredis.HasErrorPrefix(err, "MISCONF") ||
		goredis.HasErrorPrefix(err, "NOREPLICAS")
}

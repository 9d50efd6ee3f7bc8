package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// TokenStore is where a [Client] keeps the account's access_token and JS-SDK tickets so that
// every process of one account shares them. WeChat invalidates an account's old token when a
// new one is fetched (legacy endpoint) or force-refreshed, so servers that each fetch their own
// break each other with errcode 40001; one shared store, with the refresh serialised by its
// lock, prevents that. [NewMemoryTokenStore] is the default and shares within one process; a store
// over Redis, memcached or a database shares across processes.
//
// # Keys
//
// The Client builds every key as "<AppID>:<kind>", for instance "wx1234567890abcdef:access_token"
// or "wx1234567890abcdef:ticket:jsapi", and derives lock keys from them by a suffix
// ("…:lock", "…:force_refresh"). Keys never contain the AppSecret or a credential. A key is
// used either for values (Get, Set, CompareAndDelete) or for locks (TryLock, Unlock), never
// both, so a store may keep both in one key space. A store may add a prefix of its own.
//
// # Concurrency contract
//
// Every method may be called by many goroutines and many processes at once and must be atomic
// with respect to the others on the same key:
//
//   - Get returns the value last Set under key and the expiry it was Set with, or "" and a
//     zero time when the key holds nothing (that is not an error). Once its expiry has passed, a
//     value may still be returned (the Client checks the expiry itself) or may be gone.
//   - Set stores value under key until expiry, replacing any value (last writer wins).
//   - CompareAndDelete removes key only if it holds exactly value, and reports whether it did.
//     The Client uses it after WeChat rejects a token: a token that another process already
//     replaced is kept.
//   - TryLock takes the lock named key for owner (a random string unique to this attempt) for
//     lease, and reports whether it did. It succeeds only if no owner holds the lock or the
//     holder's lease has run out; it never waits, and it is not re-entrant (a second TryLock by
//     the same owner fails while the lease runs). Redis: SET key owner NX PX lease.
//   - Unlock releases the lock named key only if owner still holds it (compare-and-delete);
//     otherwise, including after the lease ran out and another owner took the lock, it does
//     nothing and returns nil.
//
// Lock holders may die: the lease bounds how long others wait. A lease that runs out while its
// holder is still fetching is safe: at worst two processes fetch, and stable_token's normal
// mode then hands both the same token. Waiters poll Get and TryLock with backoff, bounded by
// their context; the store needs no notification mechanism.
//
// Every method must honour ctx (deadline, cancellation) for its I/O. The Client bounds each
// call by [DefaultTokenStoreTimeout]. When a method returns an error or times out, the Client
// logs it, falls back to fetching on its own, and leaves the store alone for
// [TokenStoreCoolOff], so an unreachable or stalled store slows an account down by one
// timeout at most, and does not break it. Errors must not contain the values.
//
// Use package storetest's TestTokenStore to check an implementation against this contract.
type TokenStore interface {
	// Get returns the value under key and its expiry, or "" when there is none.
	Get(ctx context.Context, key string) (value string, expiry time.Time, err error)
	// Set stores value under key until expiry.
	Set(ctx context.Context, key, value string, expiry time.Time) error
	// CompareAndDelete deletes key if it holds value and reports whether it did.
	CompareAndDelete(ctx context.Context, key, value string) (deleted bool, err error)
	// TryLock takes the lock key for owner for lease if it is free; it never waits.
	TryLock(ctx context.Context, key, owner string, lease time.Duration) (acquired bool, err error)
	// Unlock releases the lock key if owner holds it.
	Unlock(ctx context.Context, key, owner string) error
}

// MemoryTokenStore is a [TokenStore] in process memory: Clients that share one MemoryTokenStore (for
// instance one Client per request handler package, all of one account) share one token and
// one refresh. It is the default store of every Client. The zero value is not usable: call
// [NewMemoryTokenStore].
type MemoryTokenStore struct {
	now func() time.Time // injectable for tests

	mu     sync.Mutex
	values map[string]memValue
	locks  map[string]memLock
}

type memValue struct {
	value  string
	expiry time.Time
}

type memLock struct {
	owner string
	until time.Time
}

// NewMemoryTokenStore returns an empty MemoryTokenStore.
func NewMemoryTokenStore() *MemoryTokenStore {
	return &MemoryTokenStore{
		now:    time.Now,
		values: make(map[string]memValue),
		locks:  make(map[string]memLock),
	}
}

var _ TokenStore = (*MemoryTokenStore)(nil)

// Get implements [TokenStore]. Expired values are dropped on read.
func (m *MemoryTokenStore) Get(_ context.Context, key string) (string, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[key]
	if !ok {
		return "", time.Time{}, nil
	}
	if !m.now().Before(v.expiry) {
		delete(m.values, key)
		return "", time.Time{}, nil
	}
	return v.value, v.expiry, nil
}

// Set implements [TokenStore].
func (m *MemoryTokenStore) Set(_ context.Context, key, value string, expiry time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[key] = memValue{value: value, expiry: expiry}
	return nil
}

// CompareAndDelete implements [TokenStore].
func (m *MemoryTokenStore) CompareAndDelete(_ context.Context, key, value string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.values[key]; ok && v.value == value {
		delete(m.values, key)
		return true, nil
	}
	return false, nil
}

// TryLock implements [TokenStore].
func (m *MemoryTokenStore) TryLock(_ context.Context, key, owner string, lease time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if l, ok := m.locks[key]; ok && now.Before(l.until) {
		return false, nil
	}
	m.locks[key] = memLock{owner: owner, until: now.Add(lease)}
	return true, nil
}

// Unlock implements [TokenStore].
func (m *MemoryTokenStore) Unlock(_ context.Context, key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[key]; ok && l.owner == owner {
		delete(m.locks, key)
	}
	return nil
}

// String keeps the cached credentials out of fmt output: it tells only how many entries the
// store holds.
func (m *MemoryTokenStore) String() string {
	m.mu.Lock()
	n := len(m.values)
	m.mu.Unlock()
	return "offiaccount.MemoryTokenStore{" + strconv.Itoa(n) + " values, [REDACTED]}"
}

// GoString is String, for %#v.
func (m *MemoryTokenStore) GoString() string { return m.String() }

// LogValue keeps the cached credentials out of structured logs.
func (m *MemoryTokenStore) LogValue() slog.Value { return slog.StringValue(m.String()) }

// DefaultTokenStoreTimeout bounds each call the Client makes to its [TokenStore] (unless
// [WithClientTokenStoreTimeout] says otherwise), on top of the caller's context.
const DefaultTokenStoreTimeout = time.Second

// TokenStoreCoolOff is how long the Client leaves its [TokenStore] alone after a call failed
// or timed out. Meanwhile it works from its own memory: one fetch at a time per process, as
// always, but no sharing with other processes. Once the cool-off is over, one caller tries
// the store again while the others keep going without it.
//
// Together with the timeout this bounds what a stalled store (one that accepts connections
// and never answers) costs: one store timeout per cool-off, not one per store call.
const TokenStoreCoolOff = 10 * time.Second

// errStoreBypassed is what a store call returns during the cool-off; it is never logged.
var errStoreBypassed = errors.New("offiaccount: token store skipped after a recent failure")

// WithClientTokenStoreTimeout bounds each call to the [TokenStore] by d instead of
// [DefaultTokenStoreTimeout]. d must be between 1 ms and 1 minute.
func WithClientTokenStoreTimeout(d time.Duration) ClientOption {
	return func(c *Client) error {
		if d < time.Millisecond || d > time.Minute {
			return fmt.Errorf("offiaccount: WithClientTokenStoreTimeout: %v is outside [1ms, 1m]", d)
		}
		c.tokens.storeTimeout = d
		return nil
	}
}

// storeBreaker is the circuit breaker in front of a TokenStore that does I/O: each call is
// bounded by timeout, and after a failure the store is skipped for coolOff. It mirrors what
// redisstore's DedupeStore does during a Redis outage.
type storeBreaker struct {
	s         TokenStore
	timeout   time.Duration
	coolOff   time.Duration
	logger    *slog.Logger
	downUntil atomic.Int64 // Unix nanoseconds before which the store is not called
	degraded  atomic.Bool
}

var _ TokenStore = (*storeBreaker)(nil)

// usable reports whether to call the store. After the cool-off one caller (the one whose
// compare-and-swap wins) probes it; the others keep skipping it.
func (b *storeBreaker) usable() bool {
	until := b.downUntil.Load()
	if until == 0 {
		return true
	}
	now := time.Now()
	if now.UnixNano() < until {
		return false
	}
	return b.downUntil.CompareAndSwap(until, now.Add(b.coolOff).UnixNano())
}

// call runs f with the store timeout and records the outcome.
func (b *storeBreaker) call(ctx context.Context, op string, f func(ctx context.Context) error) error {
	if !b.usable() {
		return errStoreBypassed
	}
	cctx, cancel := context.WithTimeout(ctx, b.timeout)
	err := f(cctx)
	cancel()
	switch {
	case err == nil:
		b.downUntil.Store(0)
		if b.degraded.CompareAndSwap(true, false) {
			b.logger.LogAttrs(ctx, slog.LevelInfo, "offiaccount: token store is back; sharing tokens through it again")
		}
	case ctx.Err() != nil:
		// The caller gave up: that says nothing about the store.
	default:
		b.downUntil.Store(time.Now().Add(b.coolOff).UnixNano())
		if b.degraded.CompareAndSwap(false, true) {
			b.logger.LogAttrs(ctx, slog.LevelWarn, "offiaccount: token store failed; working without it for a while",
				slog.String("op", op), slog.Duration("cool_off", b.coolOff))
		}
	}
	return err
}

func (b *storeBreaker) Get(ctx context.Context, key string) (v string, exp time.Time, err error) {
	err = b.call(ctx, "get", func(ctx context.Context) error {
		v, exp, err = b.s.Get(ctx, key)
		return err
	})
	return v, exp, err
}

func (b *storeBreaker) Set(ctx context.Context, key, value string, expiry time.Time) error {
	return b.call(ctx, "set", func(ctx context.Context) error { return b.s.Set(ctx, key, value, expiry) })
}

func (b *storeBreaker) CompareAndDelete(ctx context.Context, key, value string) (deleted bool, err error) {
	err = b.call(ctx, "compare-and-delete", func(ctx context.Context) error {
		deleted, err = b.s.CompareAndDelete(ctx, key, value)
		return err
	})
	return deleted, err
}

func (b *storeBreaker) TryLock(ctx context.Context, key, owner string, lease time.Duration) (ok bool, err error) {
	err = b.call(ctx, "lock", func(ctx context.Context) error {
		ok, err = b.s.TryLock(ctx, key, owner, lease)
		return err
	})
	return ok, err
}

func (b *storeBreaker) Unlock(ctx context.Context, key, owner string) error {
	return b.call(ctx, "unlock", func(ctx context.Context) error { return b.s.Unlock(ctx, key, owner) })
}

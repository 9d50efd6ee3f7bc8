package offiaccount

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// TokenStore is where a [Client] keeps the account's access_token and JS-SDK tickets so that
// every process of one account shares them. WeChat invalidates an account's old token when a
// new one is fetched (legacy endpoint) or force-refreshed, so servers that each fetch their own
// break each other with errcode 40001; one shared store, with the refresh serialised by its
// lock, prevents that. [NewMemoryStore] is the default and shares within one process; a store
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
// Every method must honour ctx (deadline, cancellation) for its I/O. When a method returns an
// error, the Client logs it and falls back to fetching on its own, so an unreachable store
// slows an account down but does not break it. Errors must not contain the values.
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

// MemoryStore is a [TokenStore] in process memory: Clients that share one MemoryStore (for
// instance one Client per request handler package, all of one account) share one token and
// one refresh. It is the default store of every Client. The zero value is not usable: call
// [NewMemoryStore].
type MemoryStore struct {
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

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		now:    time.Now,
		values: make(map[string]memValue),
		locks:  make(map[string]memLock),
	}
}

var _ TokenStore = (*MemoryStore)(nil)

// Get implements [TokenStore]. Expired values are dropped on read.
func (m *MemoryStore) Get(_ context.Context, key string) (string, time.Time, error) {
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
func (m *MemoryStore) Set(_ context.Context, key, value string, expiry time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[key] = memValue{value: value, expiry: expiry}
	return nil
}

// CompareAndDelete implements [TokenStore].
func (m *MemoryStore) CompareAndDelete(_ context.Context, key, value string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.values[key]; ok && v.value == value {
		delete(m.values, key)
		return true, nil
	}
	return false, nil
}

// TryLock implements [TokenStore].
func (m *MemoryStore) TryLock(_ context.Context, key, owner string, lease time.Duration) (bool, error) {
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
func (m *MemoryStore) Unlock(_ context.Context, key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.locks[key]; ok && l.owner == owner {
		delete(m.locks, key)
	}
	return nil
}

// String keeps the cached credentials out of fmt output: it tells only how many entries the
// store holds.
func (m *MemoryStore) String() string {
	m.mu.Lock()
	n := len(m.values)
	m.mu.Unlock()
	return "offiaccount.MemoryStore{" + strconv.Itoa(n) + " values, [REDACTED]}"
}

// GoString is String, for %#v.
func (m *MemoryStore) GoString() string { return m.String() }

// LogValue keeps the cached credentials out of structured logs.
func (m *MemoryStore) LogValue() slog.Value { return slog.StringValue(m.String()) }

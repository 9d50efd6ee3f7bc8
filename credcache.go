package offiaccount

// The credential cache behind AccessToken and the JS-SDK tickets: one per kind, a lock-free
// warm read, one fetch in flight per process, and the TokenStore's lock across processes.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// fetchFunc gets a credential upstream. rejected is the value WeChat last refused, if any.
type fetchFunc func(ctx context.Context, rejected string) (value string, expiresIn time.Duration, err error)

// credEntry is one cached credential. Entries are immutable once published.
type credEntry struct {
	value  string
	expiry time.Time
}

// credCache caches one credential kind of one account.
type credCache struct {
	t       *tokenCache
	kind    string
	key     string // "<AppID>:<kind>"
	lockKey string

	// cur is the fresh value: the warm path reads only this. A timer clears it when the
	// refresh margin is reached; invalidate clears it when WeChat rejects it.
	cur atomic.Pointer[credEntry]
	// last is the latest value even past its refresh point, served while still valid when a
	// refresh fails.
	last atomic.Pointer[credEntry]

	mu        sync.Mutex
	flight    *flight     // refresh in progress, if any
	rejected  string      // the value WeChat last refused
	stopTimer func() bool // stops the timer that clears cur
}

// flight is one refresh shared by every concurrent caller.
type flight struct {
	done        chan struct{}
	value       string
	err         error
	leaderEnded bool // the leader's own context ended: others should try again
}

func (cc *credCache) setup(t *tokenCache, kind string) {
	cc.t = t
	cc.kind = kind
	cc.key = t.c.appID + ":" + kind
	cc.lockKey = cc.key + ":lock"
}

// get is the slow path: join the refresh in flight or lead one.
func (cc *credCache) get(ctx context.Context, fetch fetchFunc) (string, error) {
	for {
		if e := cc.cur.Load(); e != nil {
			return e.value, nil
		}
		cc.mu.Lock()
		if e := cc.cur.Load(); e != nil {
			cc.mu.Unlock()
			return e.value, nil
		}
		if f := cc.flight; f != nil {
			cc.mu.Unlock()
			select {
			case <-f.done:
				if f.leaderEnded && ctx.Err() == nil {
					continue
				}
				return f.value, f.err
			case <-ctx.Done():
				return "", fmt.Errorf("offiaccount: waiting for %s: %w", cc.kind, ctx.Err())
			}
		}
		f := &flight{done: make(chan struct{})}
		cc.flight = f
		rejected := cc.rejected
		cc.mu.Unlock()
		cc.lead(ctx, f, rejected, fetch)
		return f.value, f.err
	}
}

// lead runs one refresh and publishes its outcome to the flight's waiters.
func (cc *credCache) lead(ctx context.Context, f *flight, rejected string, fetch fetchFunc) {
	defer func() {
		cc.mu.Lock()
		cc.flight = nil
		if f.err == nil && cc.rejected == rejected && f.value != rejected {
			cc.rejected = ""
		}
		cc.mu.Unlock()
		close(f.done)
	}()
	f.err = errors.New("offiaccount: " + cc.kind + ": refresh aborted") // replaced unless fetch panics
	f.value, f.err = cc.refresh(ctx, rejected, fetch)
	if f.err != nil {
		f.leaderEnded = ctx.Err() != nil
		// A failed refresh does not break callers while the last value is still valid.
		if e := cc.last.Load(); e != nil && e.value != rejected && cc.t.clk.Now().Before(e.expiry) {
			cc.t.c.logger.LogAttrs(ctx, slog.LevelWarn, "offiaccount: refresh failed, using the cached value until it expires",
				slog.String("kind", cc.kind), slog.String("error", f.err.Error()))
			f.value, f.err, f.leaderEnded = e.value, nil, false
		}
	}
}

// refresh gets a fresh value: from the store when another process put one there, otherwise
// from upstream under the store's lock.
func (cc *credCache) refresh(ctx context.Context, rejected string, fetch fetchFunc) (string, error) {
	t := cc.t
	store := t.store
	seen, seenExp, err := store.Get(ctx, cc.key)
	if err != nil {
		return cc.fetchUnlocked(ctx, rejected, fetch, "get", err)
	}
	if cc.usable(seen, seenExp, rejected, seen, seenExp) {
		cc.adopt(seen, seenExp)
		return seen, nil
	}
	owner := newOwner()
	wait := 10 * time.Millisecond
	for {
		ok, err := store.TryLock(ctx, cc.lockKey, owner, lockLease)
		if err != nil {
			return cc.fetchUnlocked(ctx, rejected, fetch, "lock", err)
		}
		if ok {
			return cc.fetchLocked(ctx, rejected, fetch, owner, seen, seenExp)
		}
		// Another process is refreshing: wait for its value to appear in the store.
		if err := sleepCtx(ctx, jitter(wait)); err != nil {
			return "", fmt.Errorf("offiaccount: waiting for %s: %w", cc.kind, err)
		}
		wait = min(wait*2, 500*time.Millisecond)
		v, exp, err := store.Get(ctx, cc.key)
		if err != nil {
			return cc.fetchUnlocked(ctx, rejected, fetch, "get", err)
		}
		if cc.usable(v, exp, rejected, seen, seenExp) {
			cc.adopt(v, exp)
			return v, nil
		}
	}
}

// fetchLocked runs while this process holds the store's lock: it re-reads the store (the
// previous holder may have just written), fetches upstream if still needed, and stores.
func (cc *credCache) fetchLocked(ctx context.Context, rejected string, fetch fetchFunc, owner, seen string, seenExp time.Time) (string, error) {
	t := cc.t
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeOpTimeout)
		defer cancel()
		if err := t.store.Unlock(uctx, cc.lockKey, owner); err != nil {
			cc.logStoreErr(ctx, "unlock", err)
		}
	}()
	v, exp, err := t.store.Get(ctx, cc.key)
	if err == nil && cc.usable(v, exp, rejected, seen, seenExp) {
		cc.adopt(v, exp)
		return v, nil
	}
	value, expiry, err := cc.fetch(ctx, rejected, fetch)
	if err != nil {
		return "", err
	}
	if err := t.store.Set(ctx, cc.key, value, expiry); err != nil {
		cc.logStoreErr(ctx, "set", err, value)
	}
	cc.adopt(value, expiry)
	return value, nil
}

// fetchUnlocked is the fallback when the store fails: fetch anyway, keep the value locally.
func (cc *credCache) fetchUnlocked(ctx context.Context, rejected string, fetch fetchFunc, op string, storeErr error) (string, error) {
	cc.logStoreErr(ctx, op, storeErr)
	value, expiry, err := cc.fetch(ctx, rejected, fetch)
	if err != nil {
		return "", err
	}
	if err := cc.t.store.Set(ctx, cc.key, value, expiry); err != nil {
		cc.logStoreErr(ctx, "set", err, value)
	}
	cc.adopt(value, expiry)
	return value, nil
}

// fetch calls upstream and checks the answer.
func (cc *credCache) fetch(ctx context.Context, rejected string, fetch fetchFunc) (string, time.Time, error) {
	value, expiresIn, err := fetch(ctx, rejected)
	if err != nil {
		// A TokenSource's error may quote what it was handed.
		return "", time.Time{}, cc.t.c.scrub(err, nil, rejected)
	}
	if value == "" || expiresIn <= 0 {
		return "", time.Time{}, fmt.Errorf("%w: %s: empty value or non-positive lifetime", ErrBadResponse, cc.kind)
	}
	return value, cc.t.clk.Now().Add(expiresIn), nil
}

// usable reports whether a value read from the store may be adopted: it is not the rejected
// one, and either it is fresh (beyond the refresh margin) or it was written since this
// process last looked (a refresher that got an old-but-valid token back from WeChat).
func (cc *credCache) usable(v string, exp time.Time, rejected, seen string, seenExp time.Time) bool {
	if v == "" || v == rejected {
		return false
	}
	left := exp.Sub(cc.t.clk.Now())
	if left <= 0 {
		return false
	}
	return left > cc.t.margin || v != seen || !exp.Equal(seenExp)
}

// adopt publishes value as the fresh local copy and arms the timer that retires it at the
// refresh margin (or halfway to expiry, for a value already inside the margin).
func (cc *credCache) adopt(value string, expiry time.Time) {
	e := &credEntry{value: value, expiry: expiry}
	left := expiry.Sub(cc.t.clk.Now())
	d := left - cc.t.margin
	if d <= 0 {
		d = left / 2
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.stopTimer != nil {
		cc.stopTimer()
		cc.stopTimer = nil
	}
	cc.last.Store(e)
	if d <= 0 {
		cc.cur.Store(nil)
		return
	}
	cc.cur.Store(e)
	cc.stopTimer = cc.t.clk.AfterFunc(d, func() { cc.cur.CompareAndSwap(e, nil) })
}

// invalidate drops failed locally and in the store, unless it was already replaced.
func (cc *credCache) invalidate(ctx context.Context, failed string) {
	if failed == "" {
		return
	}
	if e := cc.cur.Load(); e != nil && e.value == failed {
		cc.cur.CompareAndSwap(e, nil)
	}
	if e := cc.last.Load(); e != nil && e.value == failed {
		cc.last.CompareAndSwap(e, nil)
	}
	cc.mu.Lock()
	cc.rejected = failed
	cc.mu.Unlock()
	if _, err := cc.t.store.CompareAndDelete(ctx, cc.key, failed); err != nil {
		cc.logStoreErr(ctx, "compare-and-delete", err, failed)
	}
}

// logStoreErr logs a store failure with every credential the Client knows (and values, the
// ones in hand) scrubbed from the store's error text.
func (cc *credCache) logStoreErr(ctx context.Context, op string, err error, values ...string) {
	if errors.Is(err, errStoreBypassed) {
		return // the breaker said so once already
	}
	cc.t.c.logger.LogAttrs(ctx, slog.LevelWarn, "offiaccount: token store failed, going on without it",
		slog.String("kind", cc.kind), slog.String("op", op), slog.String("error", cc.t.c.scrubText(err.Error(), values...)))
}

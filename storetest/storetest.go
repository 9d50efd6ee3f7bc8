// Package storetest checks an [offiaccount.TokenStore] against the contract written on that
// interface, so that every store (memory, Redis, a database) passes the same tests.
//
//	func TestRedisStore(t *testing.T) {
//		storetest.TestTokenStore(t, func() offiaccount.TokenStore { return newStoreOnFreshDB(t) })
//	}
//
// newStore must return an empty store each time it is called (a fresh database, or a unique
// key prefix). The suite sleeps a few hundred milliseconds in all to let leases run out.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxgo/offiaccount"
)

// TestTokenStore runs the contract tests of offiaccount.TokenStore as subtests of t.
func TestTokenStore(t *testing.T, newStore func() offiaccount.TokenStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s offiaccount.TokenStore)
	}{
		{"GetMissing", testGetMissing},
		{"SetGet", testSetGet},
		{"SetReplaces", testSetReplaces},
		{"LongValue", testLongValue},
		{"KeysAreIndependent", testKeysIndependent},
		{"Expiry", testExpiry},
		{"CompareAndDelete", testCompareAndDelete},
		{"LockExclusive", testLockExclusive},
		{"UnlockOnlyByOwner", testUnlockOnlyByOwner},
		{"LeaseRunsOut", testLeaseRunsOut},
		{"LocksApartFromValues", testLocksApartFromValues},
		{"ConcurrentTryLock", testConcurrentTryLock},
		{"MutualExclusion", testMutualExclusion},
		{"ConcurrentCompareAndDelete", testConcurrentCompareAndDelete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			if s == nil {
				t.Fatal("newStore returned nil")
			}
			tt.fn(t, s)
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sameInstant allows a store to keep expiries at millisecond precision.
func sameInstant(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Millisecond-1 && d < time.Millisecond+1
}

func mustGet(t *testing.T, s offiaccount.TokenStore, key string) (string, time.Time) {
	t.Helper()
	v, exp, err := s.Get(ctxFor(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return v, exp
}

func mustSet(t *testing.T, s offiaccount.TokenStore, key, value string, exp time.Time) {
	t.Helper()
	if err := s.Set(ctxFor(t), key, value, exp); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func mustLock(t *testing.T, s offiaccount.TokenStore, key, owner string, lease time.Duration) bool {
	t.Helper()
	ok, err := s.TryLock(ctxFor(t), key, owner, lease)
	if err != nil {
		t.Fatalf("TryLock(%q, %q): %v", key, owner, err)
	}
	return ok
}

func mustUnlock(t *testing.T, s offiaccount.TokenStore, key, owner string) {
	t.Helper()
	if err := s.Unlock(ctxFor(t), key, owner); err != nil {
		t.Fatalf("Unlock(%q, %q): %v", key, owner, err)
	}
}

func testGetMissing(t *testing.T, s offiaccount.TokenStore) {
	v, exp, err := s.Get(ctxFor(t), "wxtest:access_token")
	if err != nil {
		t.Fatalf("Get of a missing key: error %v, want nil", err)
	}
	if v != "" || !exp.IsZero() {
		t.Fatalf("Get of a missing key = %q, %v; want \"\", zero time", v, exp)
	}
}

func testSetGet(t *testing.T, s offiaccount.TokenStore) {
	exp := time.Now().Add(2 * time.Hour)
	mustSet(t, s, "wxtest:access_token", "TOKEN-1", exp)
	v, got := mustGet(t, s, "wxtest:access_token")
	if v != "TOKEN-1" {
		t.Fatalf("Get = %q, want TOKEN-1", v)
	}
	if !sameInstant(got, exp) {
		t.Fatalf("Get expiry = %v, want %v", got, exp)
	}
}

func testSetReplaces(t *testing.T, s offiaccount.TokenStore) {
	exp1 := time.Now().Add(time.Hour)
	exp2 := time.Now().Add(2 * time.Hour)
	mustSet(t, s, "wxtest:access_token", "OLD", exp1)
	mustSet(t, s, "wxtest:access_token", "NEW", exp2)
	v, got := mustGet(t, s, "wxtest:access_token")
	if v != "NEW" || !sameInstant(got, exp2) {
		t.Fatalf("Get after two Sets = %q, %v; want NEW, %v", v, got, exp2)
	}
}

// WeChat asks for at least 512 characters of room per token.
func testLongValue(t *testing.T, s offiaccount.TokenStore) {
	long := strings.Repeat("AbC-_09", 300) // 2100 characters
	mustSet(t, s, "wxtest:access_token", long, time.Now().Add(time.Hour))
	if v, _ := mustGet(t, s, "wxtest:access_token"); v != long {
		t.Fatalf("Get returned %d characters, want %d unchanged", len(v), len(long))
	}
}

func testKeysIndependent(t *testing.T, s offiaccount.TokenStore) {
	exp := time.Now().Add(time.Hour)
	mustSet(t, s, "wxA:access_token", "A", exp)
	mustSet(t, s, "wxB:access_token", "B", exp)
	mustSet(t, s, "wxA:ticket:jsapi", "TA", exp)
	for key, want := range map[string]string{"wxA:access_token": "A", "wxB:access_token": "B", "wxA:ticket:jsapi": "TA"} {
		if v, _ := mustGet(t, s, key); v != want {
			t.Errorf("Get(%q) = %q, want %q", key, v, want)
		}
	}
	if ok, err := s.CompareAndDelete(ctxFor(t), "wxA:access_token", "A"); err != nil || !ok {
		t.Fatalf("CompareAndDelete = %v, %v; want true, nil", ok, err)
	}
	if v, _ := mustGet(t, s, "wxB:access_token"); v != "B" {
		t.Errorf("deleting one key changed another: Get = %q, want B", v)
	}
}

func testExpiry(t *testing.T, s offiaccount.TokenStore) {
	exp := time.Now().Add(150 * time.Millisecond)
	mustSet(t, s, "wxtest:access_token", "SHORT", exp)
	if v, _ := mustGet(t, s, "wxtest:access_token"); v != "SHORT" {
		t.Fatalf("Get before expiry = %q, want SHORT", v)
	}
	time.Sleep(300 * time.Millisecond)
	v, got := mustGet(t, s, "wxtest:access_token")
	switch {
	case v == "":
	case v == "SHORT" && sameInstant(got, exp):
		// Allowed: the Client checks the expiry itself.
	default:
		t.Fatalf("Get after expiry = %q, %v; want nothing, or SHORT with its expiry %v", v, got, exp)
	}
}

func testCompareAndDelete(t *testing.T, s offiaccount.TokenStore) {
	ctx := ctxFor(t)
	key := "wxtest:access_token"
	if ok, err := s.CompareAndDelete(ctx, key, "X"); err != nil || ok {
		t.Fatalf("CompareAndDelete of a missing key = %v, %v; want false, nil", ok, err)
	}
	mustSet(t, s, key, "CURRENT", time.Now().Add(time.Hour))
	if ok, err := s.CompareAndDelete(ctx, key, "STALE"); err != nil || ok {
		t.Fatalf("CompareAndDelete with another value = %v, %v; want false, nil", ok, err)
	}
	if v, _ := mustGet(t, s, key); v != "CURRENT" {
		t.Fatalf("CompareAndDelete with another value removed the value: Get = %q", v)
	}
	if ok, err := s.CompareAndDelete(ctx, key, "CURRENT"); err != nil || !ok {
		t.Fatalf("CompareAndDelete with the value = %v, %v; want true, nil", ok, err)
	}
	if v, _ := mustGet(t, s, key); v != "" {
		t.Fatalf("Get after CompareAndDelete = %q, want nothing", v)
	}
}

func testLockExclusive(t *testing.T, s offiaccount.TokenStore) {
	key := "wxtest:access_token:lock"
	if !mustLock(t, s, key, "owner-1", 10*time.Second) {
		t.Fatal("TryLock of a free lock failed")
	}
	if mustLock(t, s, key, "owner-2", 10*time.Second) {
		t.Fatal("TryLock by a second owner succeeded while the first holds the lock")
	}
	if mustLock(t, s, key, "owner-1", 10*time.Second) {
		t.Fatal("TryLock is re-entrant; the contract says it must fail for the holder too")
	}
	mustUnlock(t, s, key, "owner-1")
	if !mustLock(t, s, key, "owner-2", 10*time.Second) {
		t.Fatal("TryLock after Unlock failed")
	}
}

func testUnlockOnlyByOwner(t *testing.T, s offiaccount.TokenStore) {
	key := "wxtest:access_token:lock"
	if !mustLock(t, s, key, "owner-1", 10*time.Second) {
		t.Fatal("TryLock of a free lock failed")
	}
	mustUnlock(t, s, key, "owner-2") // not the holder: no effect, no error
	if mustLock(t, s, key, "owner-3", 10*time.Second) {
		t.Fatal("Unlock by a non-owner released the lock")
	}
	mustUnlock(t, s, "wxtest:never-locked", "owner-1") // releasing a free lock is fine
}

func testLeaseRunsOut(t *testing.T, s offiaccount.TokenStore) {
	key := "wxtest:access_token:lock"
	if !mustLock(t, s, key, "dead-owner", 100*time.Millisecond) {
		t.Fatal("TryLock of a free lock failed")
	}
	time.Sleep(250 * time.Millisecond)
	if !mustLock(t, s, key, "owner-2", 10*time.Second) {
		t.Fatal("a lock whose lease ran out still blocks others")
	}
	mustUnlock(t, s, key, "dead-owner") // the late holder must not release owner-2's lock
	if mustLock(t, s, key, "owner-3", 10*time.Second) {
		t.Fatal("Unlock by a holder whose lease ran out released the next owner's lock")
	}
}

func testLocksApartFromValues(t *testing.T, s offiaccount.TokenStore) {
	exp := time.Now().Add(time.Hour)
	mustSet(t, s, "wxtest:access_token", "TOKEN", exp)
	if !mustLock(t, s, "wxtest:access_token:lock", "owner-1", 10*time.Second) {
		t.Fatal("TryLock failed")
	}
	mustUnlock(t, s, "wxtest:access_token:lock", "owner-1")
	if v, _ := mustGet(t, s, "wxtest:access_token"); v != "TOKEN" {
		t.Fatalf("locking changed the value: Get = %q, want TOKEN", v)
	}
}

func testConcurrentTryLock(t *testing.T, s offiaccount.TokenStore) {
	const n = 64
	var won atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ok, err := s.TryLock(context.Background(), "wxtest:race:lock", fmt.Sprintf("owner-%d", i), 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			if ok {
				won.Add(1)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("TryLock: %v", err)
	}
	if got := won.Load(); got != 1 {
		t.Fatalf("%d of %d concurrent TryLock calls succeeded, want exactly 1", got, n)
	}
}

// testMutualExclusion runs critical sections guarded by the lock and checks none overlap.
func testMutualExclusion(t *testing.T, s offiaccount.TokenStore) {
	const workers, rounds = 8, 20
	var inside, entered atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	ctx := ctxFor(t)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; {
				owner := fmt.Sprintf("w%d-r%d", w, r)
				ok, err := s.TryLock(ctx, "wxtest:mutex:lock", owner, 10*time.Second)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					time.Sleep(100 * time.Microsecond)
					continue
				}
				if inside.Add(1) != 1 {
					errs <- fmt.Errorf("two owners inside the lock at once")
				}
				entered.Add(1)
				time.Sleep(50 * time.Microsecond)
				inside.Add(-1)
				if err := s.Unlock(ctx, "wxtest:mutex:lock", owner); err != nil {
					errs <- err
					return
				}
				r++
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := entered.Load(); got != workers*rounds {
		t.Fatalf("%d critical sections ran, want %d", got, workers*rounds)
	}
}

// testConcurrentCompareAndDelete: many processes reject the same token at once, one wins.
func testConcurrentCompareAndDelete(t *testing.T, s offiaccount.TokenStore) {
	key := "wxtest:access_token"
	mustSet(t, s, key, "FAILED", time.Now().Add(time.Hour))
	const n = 32
	var deleted atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := s.CompareAndDelete(context.Background(), key, "FAILED"); err == nil && ok {
				deleted.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := deleted.Load(); got != 1 {
		t.Fatalf("%d concurrent CompareAndDelete calls reported a deletion, want exactly 1", got)
	}
	mustSet(t, s, key, "REPLACED", time.Now().Add(time.Hour))
	if ok, _ := s.CompareAndDelete(context.Background(), key, "FAILED"); ok {
		t.Fatal("CompareAndDelete of the failed value removed its replacement")
	}
	if v, _ := mustGet(t, s, key); v != "REPLACED" {
		t.Fatalf("Get = %q, want REPLACED", v)
	}
}

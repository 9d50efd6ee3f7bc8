package offiaccount

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeClock is a settable clock for stores and handlers.
type storeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *storeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *storeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestStore(max int) (*MemoryDedupeStore, *storeClock) {
	clock := &storeClock{t: time.Unix(testNow, 0)}
	s := NewMemoryDedupeStore(max)
	s.now = clock.Now
	return s, clock
}

func TestMemoryDedupeStoreLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newTestStore(10)
	first := clock.Now()

	rec, created, err := s.Claim(ctx, "k", first, time.Minute)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, DedupeRecord{FirstSeen: first}, rec)

	clock.Advance(5 * time.Second)
	rec, created, err = s.Claim(ctx, "k", clock.Now(), time.Minute)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first, rec.FirstSeen, "FirstSeen is the first attempt's")
	assert.False(t, rec.Done)

	require.NoError(t, s.Complete(ctx, "k", []byte("reply"), time.Minute))
	rec, created, _ = s.Claim(ctx, "k", clock.Now(), time.Minute)
	assert.False(t, created)
	assert.True(t, rec.Done)
	assert.Equal(t, []byte("reply"), rec.Reply)
	got, err := s.Wait(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("reply"), got)

	// Expiry: Complete restarted the TTL.
	clock.Advance(59 * time.Second)
	_, created, _ = s.Claim(ctx, "k", clock.Now(), time.Minute)
	assert.False(t, created)
	clock.Advance(2 * time.Second)
	_, err = s.Wait(ctx, "k")
	assert.ErrorIs(t, err, ErrDedupeRecordNotFound)
	_, created, _ = s.Claim(ctx, "k", clock.Now(), time.Minute)
	assert.True(t, created, "an expired record is claimed anew")

	_, err = s.Wait(ctx, "never")
	assert.ErrorIs(t, err, ErrDedupeRecordNotFound)
}

func TestMemoryDedupeStoreWaitWakesAndTimesOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newTestStore(10)
	_, _, _ = s.Claim(ctx, "k", clock.Now(), time.Minute)

	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	_, err := s.Wait(short, "k")
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	const waiters = 8
	results := make(chan []byte, waiters)
	for i := 0; i < waiters; i++ {
		go func() {
			b, err := s.Wait(ctx, "k")
			assert.NoError(t, err)
			results <- b
		}()
	}
	time.Sleep(10 * time.Millisecond)
	require.NoError(t, s.Complete(ctx, "k", []byte("r"), time.Minute))
	for i := 0; i < waiters; i++ {
		select {
		case b := <-results:
			assert.Equal(t, []byte("r"), b)
		case <-time.After(5 * time.Second):
			t.Fatal("waiter not woken")
		}
	}
}

func TestMemoryDedupeStoreBoundedSize(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newTestStore(3)
	_, _, _ = s.Claim(ctx, "a", clock.Now(), time.Minute)
	woke := make(chan error, 1)
	go func() {
		_, err := s.Wait(ctx, "a")
		woke <- err
	}()
	time.Sleep(10 * time.Millisecond)
	for _, k := range []string{"b", "c", "d"} {
		_, created, _ := s.Claim(ctx, k, clock.Now(), time.Minute)
		assert.True(t, created)
	}
	assert.Equal(t, 3, s.Len())
	select {
	case err := <-woke:
		assert.ErrorIs(t, err, ErrDedupeRecordNotFound, "a waiter of an evicted record is released")
	case <-time.After(5 * time.Second):
		t.Fatal("waiter of evicted record not released")
	}
	_, created, _ := s.Claim(ctx, "a", clock.Now(), time.Minute)
	assert.True(t, created, "the oldest record was evicted")

	// Many records over time stay bounded and the queue is compacted.
	for i := 0; i < 10_000; i++ {
		_, _, _ = s.Claim(ctx, strconv.Itoa(i), clock.Now(), time.Minute)
		clock.Advance(time.Millisecond)
	}
	assert.Equal(t, 3, s.Len())
	s.mu.Lock()
	assert.Less(t, len(s.order), 200)
	s.mu.Unlock()
}

func TestMemoryDedupeStoreExpiredRecordsLeave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newTestStore(1000)
	for i := 0; i < 100; i++ {
		_, _, _ = s.Claim(ctx, strconv.Itoa(i), clock.Now(), time.Second)
	}
	clock.Advance(2 * time.Second)
	_, _, _ = s.Claim(ctx, "new", clock.Now(), time.Second)
	assert.Equal(t, 1, s.Len())
}

func TestMemoryDedupeStoreOneClaimWins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := NewMemoryDedupeStore(0)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, created, err := s.Claim(ctx, "same", time.Now(), time.Minute)
			assert.NoError(t, err)
			if created {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
}

func TestMemoryDedupeStoreCompleteWithoutClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newTestStore(10)
	require.NoError(t, s.Complete(ctx, "late", nil, time.Minute))
	b, err := s.Wait(ctx, "late")
	require.NoError(t, err)
	assert.Empty(t, b)
	assert.False(t, errors.Is(err, ErrDedupeRecordNotFound))
}

package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
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

func newTestStore(t testing.TB, opts ...MemoryDedupeStoreOption) (*MemoryDedupeStore, *storeClock) {
	clock := &storeClock{t: time.Unix(testNow, 0)}
	s, err := NewMemoryDedupeStore(opts...)
	require.NoError(t, err)
	s.now = clock.Now
	return s, clock
}

func TestMemoryDedupeStoreLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newTestStore(t, WithMemoryDedupeStoreMaxEntries(10))
	first := clock.Now()

	rec, created, err := s.Claim(ctx, "k", first, 5*time.Minute)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, DedupeRecord{FirstSeen: first}, rec)

	clock.Advance(5 * time.Second)
	rec, created, err = s.Claim(ctx, "k", clock.Now(), 5*time.Minute)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, first, rec.FirstSeen, "FirstSeen is the first attempt's")
	assert.False(t, rec.Done)

	require.NoError(t, s.Complete(ctx, "k", []byte("reply"), time.Minute, 5*time.Minute))
	rec, created, _ = s.Claim(ctx, "k", clock.Now(), 5*time.Minute)
	assert.False(t, created)
	assert.True(t, rec.Done)
	assert.Equal(t, []byte("reply"), rec.Reply)
	got, err := s.Wait(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, []byte("reply"), got)

	// The reply goes after its TTL; the record stays, compact.
	clock.Advance(61 * time.Second)
	rec, created, _ = s.Claim(ctx, "k", clock.Now(), 5*time.Minute)
	assert.False(t, created, "the record outlives its reply")
	assert.True(t, rec.Done)
	assert.Empty(t, rec.Reply)
	got, err = s.Wait(ctx, "k")
	require.NoError(t, err)
	assert.Empty(t, got)

	// The record goes after its own TTL (counted from Complete).
	clock.Advance(5*time.Minute - 62*time.Second)
	_, created, _ = s.Claim(ctx, "k", clock.Now(), time.Minute)
	assert.False(t, created)
	clock.Advance(2 * time.Second)
	_, err = s.Wait(ctx, "k")
	assert.ErrorIs(t, err, ErrDedupeRecordNotFound)
	_, ok := s.Lookup("k")
	assert.False(t, ok)
	_, created, _ = s.Claim(ctx, "k", clock.Now(), time.Minute)
	assert.True(t, created, "an expired record is claimed anew")
	rec, ok = s.Lookup("k")
	assert.True(t, ok)
	assert.False(t, rec.Done)

	_, err = s.Wait(ctx, "never")
	assert.ErrorIs(t, err, ErrDedupeRecordNotFound)
}

func TestMemoryDedupeStoreWaitWakesAndTimesOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock := newTestStore(t)
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
	require.NoError(t, s.Complete(ctx, "k", []byte("r"), time.Minute, time.Minute))
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
	s, clock := newTestStore(t, WithMemoryDedupeStoreMaxEntries(3))
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
	sh := &s.shards[0]
	sh.mu.Lock()
	assert.Less(t, sh.q.len(), 2100)
	assert.LessOrEqual(t, len(sh.q.items), 8192)
	sh.mu.Unlock()
}

func TestMemoryDedupeStoreOneClaimWins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := NewMemoryDedupeStore()
	require.NoError(t, err)
	assert.Len(t, s.shards, 64, "the default store is sharded")
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
	s, _ := newTestStore(t)
	require.NoError(t, s.Complete(ctx, "late", nil, time.Minute, time.Minute))
	b, err := s.Wait(ctx, "late")
	require.NoError(t, err)
	assert.Empty(t, b)
	assert.False(t, errors.Is(err, ErrDedupeRecordNotFound))
}

func TestMemoryDedupeStoreOptions(t *testing.T) {
	t.Parallel()
	for i, opts := range [][]MemoryDedupeStoreOption{
		{nil},
		{WithMemoryDedupeStoreMaxEntries(0)},
		{WithMemoryDedupeStoreMaxBytes(1000)},
	} {
		_, err := NewMemoryDedupeStore(opts...)
		assert.Error(t, err, "case %d", i)
	}
	s, err := NewMemoryDedupeStore(WithMemoryDedupeStoreMaxEntries(5000), WithMemoryDedupeStoreMaxBytes(4<<20))
	require.NoError(t, err)
	assert.Len(t, s.shards, 4, "shards keep at least 1 MiB each")
	assert.Equal(t, 1250, s.perEntries)
}

// The zero value works, with the defaults.
func TestMemoryDedupeStoreZeroValue(t *testing.T) {
	t.Parallel()
	var s MemoryDedupeStore
	ctx := context.Background()
	_, created, err := s.Claim(ctx, "k", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.True(t, created)
	require.NoError(t, s.Complete(ctx, "k", []byte("r"), time.Minute, time.Minute))
	got, err := s.Wait(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "r", string(got))
	assert.Equal(t, 1, s.Len())
	assert.Equal(t, DefaultDedupeEntries, s.maxEntries)
}

// Expired records are freed by the sweeper without any traffic, and the
// sweeper, a timer, leaves no goroutine behind once the store is empty.
func TestMemoryDedupeStoreSweepsWithoutTraffic(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s := &MemoryDedupeStore{sweepEvery: 10 * time.Millisecond}
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		key := strconv.Itoa(i)
		// TTLs long enough that the 1000 records are all in before the first expires, even
		// under the race detector on a loaded machine.
		_, _, _ = s.Claim(ctx, key, time.Now(), 300*time.Millisecond)
		require.NoError(t, s.Complete(ctx, key, []byte("reply "+key), 200*time.Millisecond, 400*time.Millisecond))
	}
	require.Equal(t, 1000, s.Len())
	deadline := time.Now().Add(5 * time.Second)
	for s.Len() > 0 || s.Bytes() > 0 {
		require.True(t, time.Now().Before(deadline), "records not swept: %d left", s.Len())
		time.Sleep(5 * time.Millisecond)
	}
	for s.sweepArmed.Load() {
		require.True(t, time.Now().Before(deadline), "the sweeper keeps running on an empty store")
		time.Sleep(5 * time.Millisecond)
	}
}

// heapInUse returns the live heap after a full collection.
func heapInUse() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// A remembered message costs at most 150 bytes once its reply is gone.
func TestMemoryDedupeStoreBytesPerRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a store with 200,000 records")
	}
	const n = 200_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "gh_0123456789ab|m|oABCDEFGHIJKLMNOPQRSTUVWXYZ01|" + strconv.Itoa(24_000_000_000_000_000+i)
	}
	ctx := context.Background()
	before := heapInUse()
	s, err := NewMemoryDedupeStore()
	require.NoError(t, err)
	now := time.Now()
	for _, k := range keys {
		_, _, _ = s.Claim(ctx, k, now, time.Hour)
		_ = s.Complete(ctx, k, nil, time.Minute, time.Hour)
	}
	per := float64(heapInUse()-before) / n
	t.Logf("%.1f bytes per compact record (estimate used for the byte bound: %d)", per, memRecordCost)
	assert.LessOrEqual(t, per, 150.0)
	assert.LessOrEqual(t, per, float64(memRecordCost)*1.1, "memRecordCost underestimates a record")
	assert.Equal(t, n, s.Len())
	runtime.KeepAlive(s)

	// While a reply is kept, its bookkeeping costs more; measured for the record.
	before = heapInUse()
	s, err = NewMemoryDedupeStore()
	require.NoError(t, err)
	const replyLen = 300
	for _, k := range keys {
		_, _, _ = s.Claim(ctx, k, now, time.Hour)
		_ = s.Complete(ctx, k, make([]byte, replyLen), time.Minute, time.Hour)
	}
	withReply := float64(heapInUse()-before)/n - replyLen
	t.Logf("%.1f bytes per record besides a kept reply of %d bytes (estimate: %d)", withReply, replyLen, memRecordCost+memReplyCost)
	assert.LessOrEqual(t, withReply, float64(memRecordCost+memReplyCost)*1.1, "the estimates underestimate a record with a reply")
	runtime.KeepAlive(s)
	runtime.KeepAlive(keys)
}

// Large replies cannot grow the heap past the byte bound.
func TestMemoryDedupeStoreBoundedBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("floods a store with 60 MB of replies")
	}
	const bound = 16 << 20
	s, err := NewMemoryDedupeStore(WithMemoryDedupeStoreMaxBytes(bound))
	require.NoError(t, err)
	ctx := context.Background()
	before := heapInUse()
	for i := 0; i < 600; i++ {
		key := "gh|m|o|" + strconv.Itoa(i)
		_, _, _ = s.Claim(ctx, key, time.Now(), time.Hour)
		require.NoError(t, s.Complete(ctx, key, make([]byte, 100<<10), time.Hour, time.Hour))
	}
	grew := heapInUse() - before
	t.Logf("heap grew %d KiB for 600 replies of 100 KiB; bound %d KiB; store estimate %d KiB", grew>>10, bound>>10, s.Bytes()>>10)
	assert.LessOrEqual(t, s.Bytes(), int64(bound))
	assert.Less(t, grew, int64(bound)+(2<<20))
	assert.Equal(t, 600, s.Len(), "records stay when their replies go")
	rec, ok := s.Lookup("gh|m|o|0")
	require.True(t, ok)
	assert.True(t, rec.Done)
	assert.Empty(t, rec.Reply, "the oldest replies went first")
	rec, _ = s.Lookup("gh|m|o|599")
	assert.Len(t, rec.Reply, 100<<10, "the newest reply is kept")
}

func ExampleNewMemoryDedupeStore() {
	// A smaller store than the default: 200,000 records and 64 MiB of records and replies.
	store, err := NewMemoryDedupeStore(
		WithMemoryDedupeStoreMaxEntries(200_000),
		WithMemoryDedupeStoreMaxBytes(64<<20),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := NewHandler("myToken123", WithHandlerDedupeStore(store))
	fmt.Println(h != nil, err, store.Len())
	// Output: true <nil> 0
}

func TestMemQueueRing(t *testing.T) {
	t.Parallel()
	var q memQueue
	next := 0 // the expiry expected at the head
	for round := 0; round < 3; round++ {
		for i := 0; i < 20_000; i++ {
			q.push(memQItem{exp: int64(next + q.len())})
		}
		for q.len() > 10 {
			it, ok := q.peek()
			require.True(t, ok)
			require.Equal(t, int64(next), it.exp, "FIFO order")
			q.pop()
			next++
		}
		assert.LessOrEqual(t, len(q.items), 8192, "a drained queue gives its memory back")
	}
	for q.len() > 0 {
		q.pop()
	}
	_, ok := q.peek()
	assert.False(t, ok)
}

// A reply too large for its shard is not kept, and does not push out the
// replies the shard already keeps.
func TestMemoryDedupeStoreOversizedReplyNotKept(t *testing.T) {
	s, err := NewMemoryDedupeStore(WithMemoryDedupeStoreMaxBytes(1 << 20)) // one shard of 1 MiB
	require.NoError(t, err)
	ctx := context.Background()
	now := time.Now()
	small := []byte("<xml>small</xml>")
	for _, k := range []string{"a", "b", "c"} {
		_, created, err := s.Claim(ctx, k, now, time.Minute)
		require.NoError(t, err)
		require.True(t, created)
		require.NoError(t, s.Complete(ctx, k, small, time.Minute, time.Minute))
	}
	_, _, err = s.Claim(ctx, "big", now, time.Minute)
	require.NoError(t, err)
	require.NoError(t, s.Complete(ctx, "big", make([]byte, 2<<20), time.Minute, time.Minute))

	for _, k := range []string{"a", "b", "c"} {
		rec, ok := s.Lookup(k)
		require.True(t, ok, k)
		assert.Equal(t, small, rec.Reply, "%s keeps its reply", k)
	}
	rec, ok := s.Lookup("big")
	require.True(t, ok, "the record is kept, so a replay still does not run the function")
	assert.True(t, rec.Done)
	assert.Empty(t, rec.Reply, "the oversized reply is not kept")
}

// keepingStore is a DedupeStore of one's own that keeps the very slices Complete gives it,
// as a store may.
type keepingStore struct {
	DedupeStore // the built-in store behind an interface: the handler cannot see it
	mu          sync.Mutex
	kept        [][]byte
}

func (s *keepingStore) Complete(ctx context.Context, key string, reply []byte, replyTTL, ttl time.Duration) error {
	s.mu.Lock()
	s.kept = append(s.kept, reply)
	s.mu.Unlock()
	return s.DedupeStore.Complete(ctx, key, reply, replyTTL, ttl)
}

// The handler builds replies in pooled buffers; a store other than the built-in one gets a
// copy, so what it keeps is never overwritten by later replies.
func TestHandlerGivesOtherStoresTheirOwnReply(t *testing.T) {
	store := &keepingStore{DedupeStore: new(MemoryDedupeStore)}
	h := newTestHandler(t, WithHandlerDedupeStore(store))
	h.HandleText(func(_ context.Context, m *Message) (Reply, error) {
		return TextReply{Content: m.Content}, nil
	})
	s := newSender(nil)
	for i := 0; i < 20; i++ {
		w := serve(h, s.post(t, textMsg(int64(8000+i), "reply "+strconv.Itoa(i))))
		require.Equal(t, http.StatusOK, w.Code)
	}
	require.Len(t, store.kept, 20)
	for i, r := range store.kept {
		assert.Contains(t, string(r), "<![CDATA[reply "+strconv.Itoa(i)+"]]>", "reply %d overwritten", i)
	}
}

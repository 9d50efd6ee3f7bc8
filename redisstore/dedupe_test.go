package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
)

// storePair returns two views of one shared dedupe state: for Redis, the stores of two
// replicas, each with its own connection; for memory, one store twice.
type storePair func(t *testing.T) (a, b offiaccount.DedupeStore)

// The contract tests run against MemoryDedupeStore too, to show that they check the
// interface's contract and not this package's choices.
func TestDedupeStoreContract(t *testing.T) {
	t.Parallel()
	impls := map[string]storePair{
		"redis": func(t *testing.T) (a, b offiaccount.DedupeStore) {
			s := needRedis(t)
			prefix := testPrefix(t)
			return NewDedupeStore(newClient(t, s), WithPrefix(prefix)), NewDedupeStore(newClient(t, s), WithPrefix(prefix))
		},
		"memory": func(*testing.T) (a, b offiaccount.DedupeStore) {
			m := new(offiaccount.MemoryDedupeStore)
			return m, m
		},
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b offiaccount.DedupeStore)
	}{
		{"ClaimOnce", testClaimOnce},
		{"ConcurrentClaim", testConcurrentClaim},
		{"CompleteThenClaimAndWait", testCompleteThenClaimAndWait},
		{"WaitWakesOnComplete", testWaitWakesOnComplete},
		{"WaitMissing", testWaitMissing},
		{"WaitHonoursContext", testWaitHonoursContext},
		{"Expiry", testDedupeExpiry},
		{"CompleteWithoutClaim", testCompleteWithoutClaim},
		{"BinaryReply", testBinaryReply},
		{"KeysIndependent", testDedupeKeysIndependent},
	}
	for name, pair := range impls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					a, b := pair(t)
					tt.fn(t, a, b)
				})
			}
		})
	}
}

func testClaimOnce(t *testing.T, a, b offiaccount.DedupeStore) {
	ctx := context.Background()
	first := time.Now().Add(-time.Second)
	rec, created, err := a.Claim(ctx, "gh_x|m|1", first, time.Minute)
	require.NoError(t, err)
	require.True(t, created)
	assert.True(t, rec.FirstSeen.Equal(first))
	assert.False(t, rec.Done)

	rec, created, err = b.Claim(ctx, "gh_x|m|1", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.False(t, created, "a retry on the other replica must not run the function again")
	assert.True(t, rec.FirstSeen.Equal(first), "FirstSeen = %v, want the first attempt's %v", rec.FirstSeen, first)
	assert.False(t, rec.Done)
	assert.Empty(t, rec.Reply)
}

func testConcurrentClaim(t *testing.T, a, b offiaccount.DedupeStore) {
	const n = 64
	var created atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			_, ok, err := s.Claim(context.Background(), "gh_x|m|race", time.Now(), time.Minute)
			if err != nil {
				errs <- err
			}
			if ok {
				created.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assert.Equal(t, int32(1), created.Load(), "concurrent Claims that created the record")
}

func testCompleteThenClaimAndWait(t *testing.T, a, b offiaccount.DedupeStore) {
	ctx := context.Background()
	first := time.Now()
	_, _, err := a.Claim(ctx, "gh_x|m|2", first, time.Minute)
	require.NoError(t, err)
	reply := []byte("<xml><Content><![CDATA[hi]]></Content></xml>")
	require.NoError(t, a.Complete(ctx, "gh_x|m|2", reply, time.Minute, time.Minute))

	rec, created, err := b.Claim(ctx, "gh_x|m|2", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.False(t, created)
	assert.True(t, rec.Done)
	assert.Equal(t, reply, rec.Reply)
	assert.True(t, rec.FirstSeen.Equal(first), "Complete keeps FirstSeen")

	got, err := b.Wait(ctx, "gh_x|m|2")
	require.NoError(t, err)
	assert.Equal(t, reply, got)

	// An empty reply ("success") is a completed record too.
	_, _, err = a.Claim(ctx, "gh_x|m|3", first, time.Minute)
	require.NoError(t, err)
	require.NoError(t, a.Complete(ctx, "gh_x|m|3", nil, time.Minute, time.Minute))
	rec, _, err = b.Claim(ctx, "gh_x|m|3", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.True(t, rec.Done)
	assert.Empty(t, rec.Reply)
	got, err = b.Wait(ctx, "gh_x|m|3")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testWaitWakesOnComplete(t *testing.T, a, b offiaccount.DedupeStore) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := a.Claim(ctx, "gh_x|m|4", time.Now(), time.Minute)
	require.NoError(t, err)
	type result struct {
		reply []byte
		err   error
		at    time.Time
	}
	done := make(chan result, 3)
	for range 3 {
		go func() {
			r, err := b.Wait(ctx, "gh_x|m|4")
			done <- result{r, err, time.Now()}
		}()
	}
	time.Sleep(150 * time.Millisecond) // the waiters are blocked by now
	completed := time.Now()
	require.NoError(t, a.Complete(context.Background(), "gh_x|m|4", []byte("REPLY"), time.Minute, time.Minute))
	for range 3 {
		r := <-done
		require.NoError(t, r.err)
		assert.Equal(t, "REPLY", string(r.reply))
		assert.False(t, r.at.Before(completed), "Wait returned before Complete")
		assert.Less(t, r.at.Sub(completed), 150*time.Millisecond, "a blocked Wait sees Complete promptly")
	}
}

func testWaitMissing(t *testing.T, a, b offiaccount.DedupeStore) {
	_, err := b.Wait(context.Background(), "gh_x|m|never")
	require.ErrorIs(t, err, offiaccount.ErrDedupeRecordNotFound)
}

func testWaitHonoursContext(t *testing.T, a, b offiaccount.DedupeStore) {
	_, _, err := a.Claim(context.Background(), "gh_x|m|5", time.Now(), time.Minute)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err = b.Wait(ctx, "gh_x|m|5")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), 400*time.Millisecond, "Wait blocked past its context")
}

func testDedupeExpiry(t *testing.T, a, b offiaccount.DedupeStore) {
	ctx := context.Background()
	_, created, err := a.Claim(ctx, "gh_x|m|6", time.Now(), 150*time.Millisecond)
	require.NoError(t, err)
	require.True(t, created)
	time.Sleep(300 * time.Millisecond)
	_, created, err = b.Claim(ctx, "gh_x|m|6", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.True(t, created, "a record outlived its TTL")

	require.NoError(t, a.Complete(ctx, "gh_x|m|6", []byte("R"), 150*time.Millisecond, 150*time.Millisecond))
	time.Sleep(300 * time.Millisecond)
	_, err = b.Wait(ctx, "gh_x|m|6")
	assert.ErrorIs(t, err, offiaccount.ErrDedupeRecordNotFound, "a completed record outlived its TTL")
}

func testCompleteWithoutClaim(t *testing.T, a, b offiaccount.DedupeStore) {
	ctx := context.Background()
	require.NoError(t, a.Complete(ctx, "gh_x|m|7", []byte("LATE"), time.Minute, time.Minute))
	rec, created, err := b.Claim(ctx, "gh_x|m|7", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.False(t, created)
	assert.True(t, rec.Done)
	assert.Equal(t, "LATE", string(rec.Reply))
}

func testBinaryReply(t *testing.T, a, b offiaccount.DedupeStore) {
	ctx := context.Background()
	reply := []byte("a:b\x00c\xff\xfe:\r\n<xml>微信</xml>")
	_, _, err := a.Claim(ctx, "gh_x|m|8", time.Now(), time.Minute)
	require.NoError(t, err)
	require.NoError(t, a.Complete(ctx, "gh_x|m|8", reply, time.Minute, time.Minute))
	got, err := b.Wait(ctx, "gh_x|m|8")
	require.NoError(t, err)
	assert.Equal(t, reply, got)
}

func testDedupeKeysIndependent(t *testing.T, a, b offiaccount.DedupeStore) {
	ctx := context.Background()
	_, _, err := a.Claim(ctx, "gh_x|m|9", time.Now(), time.Minute)
	require.NoError(t, err)
	require.NoError(t, a.Complete(ctx, "gh_x|m|9", []byte("NINE"), time.Minute, time.Minute))
	_, created, err := b.Claim(ctx, "gh_y|m|9", time.Now(), time.Minute)
	require.NoError(t, err)
	assert.True(t, created, "another account's message with the same MsgId is another record")
}

func TestDedupeRecordLayout(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, needRedis(t))
	prefix := testPrefix(t)
	st := NewDedupeStore(rdb, WithPrefix(prefix))
	ctx := context.Background()
	first := time.Unix(1700000000, 123456789)
	_, _, err := st.Claim(ctx, "gh_x|m|1", first, 30*time.Second)
	require.NoError(t, err)
	raw, err := rdb.Get(ctx, prefix+"dedupe:gh_x|m|1").Result()
	require.NoError(t, err)
	assert.Equal(t, "p1700000000123456789:", raw)
	ttl := rdb.PTTL(ctx, prefix+"dedupe:gh_x|m|1").Val()
	assert.True(t, ttl > 29*time.Second && ttl <= 30*time.Second, "TTL %v, want the Handler's 30s", ttl)

	require.NoError(t, st.Complete(ctx, "gh_x|m|1", []byte("<xml/>"), 200*time.Millisecond, 45*time.Second))
	raw, err = rdb.Get(ctx, prefix+"dedupe:gh_x|m|1").Result()
	require.NoError(t, err)
	assert.Equal(t, "d1700000000123456789:<xml/>", raw)
	ttl = rdb.PTTL(ctx, prefix+"dedupe:gh_x|m|1").Val()
	assert.True(t, ttl > 44*time.Second && ttl <= 45*time.Second, "TTL %v, want the Handler's 45s", ttl)

	// Once the reply's TTL has passed, the record stays without it, expiry unchanged.
	require.Eventually(t, func() bool {
		raw, err = rdb.Get(ctx, prefix+"dedupe:gh_x|m|1").Result()
		return err == nil && raw == "d1700000000123456789:"
	}, 3*time.Second, 20*time.Millisecond, "the reply was not dropped: %q", raw)
	ttl = rdb.PTTL(ctx, prefix+"dedupe:gh_x|m|1").Val()
	assert.True(t, ttl > 43*time.Second && ttl <= 45*time.Second, "TTL %v after compaction", ttl)

	// Something this package did not write is an error, not a panic or a false record.
	require.NoError(t, rdb.Set(ctx, prefix+"dedupe:gh_x|m|2", "garbage", time.Minute).Err())
	_, _, err = st.Claim(ctx, "gh_x|m|2", time.Now(), time.Minute)
	require.Error(t, err)
	_, err = st.Wait(ctx, "gh_x|m|2")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "garbage")
}

func FuzzDecodeRecord(f *testing.F) {
	for _, seed := range []string{"p1700000000123456789:", "d1:", "d1:<xml/>", "d1::", "x1:", "p1:x", "p:", "d-1:a", "", "p", "d99999999999999999999:"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rec, ok := decodeRecord(p)
		if !ok {
			return
		}
		if !rec.Done && len(rec.Reply) > 0 {
			t.Fatalf("decodeRecord(%q): a pending record with a reply", p)
		}
		if rec.FirstSeen.UnixNano() <= 0 {
			t.Fatalf("decodeRecord(%q): FirstSeen %v", p, rec.FirstSeen)
		}
		if rec.Done && !strings.HasSuffix(p, string(rec.Reply)) {
			t.Fatalf("decodeRecord(%q): reply %q is not the payload's tail", p, rec.Reply)
		}
	})
}

// The callback tests below run real Handlers, two replicas sharing Redis.

const callbackToken = "redisstoreTest"

// post sends one attempt of a text message as WeChat would (plaintext mode) and returns the
// status and body.
func post(t *testing.T, h http.Handler, msgID int64, createTime int64) (int, string) {
	t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := "n" + strconv.FormatInt(time.Now().UnixNano(), 36)
	q := url.Values{"signature": {offiaccount.Signature(callbackToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}}
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[gh_redisstore]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>"+
		"<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>%d</MsgId></xml>", createTime, msgID)
	req := httptest.NewRequest(http.MethodPost, "/wechat?"+q.Encode(), strings.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// replica is one server's Handler; calls counts the runs of the function over all replicas.
func newReplica(t *testing.T, store offiaccount.DedupeStore, calls *atomic.Int64, work time.Duration) *offiaccount.Handler {
	t.Helper()
	h, err := offiaccount.NewHandler(callbackToken, offiaccount.WithHandlerDedupeStore(store))
	require.NoError(t, err)
	h.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		n := calls.Add(1)
		select {
		case <-time.After(work):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return offiaccount.TextReply{Content: fmt.Sprintf("run %d of message %d", n, m.MsgID)}, nil
	})
	return h
}

// waitCalls waits until the function has started n times in all.
func waitCalls(t *testing.T, calls *atomic.Int64, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the function started %d times, want %d", calls.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type attempt struct {
	status int
	body   string
	took   time.Duration
}

// sendAsync sends an attempt in the background.
func sendAsync(t *testing.T, h http.Handler, msgID int64) <-chan attempt {
	ch := make(chan attempt, 1)
	created := time.Now().Unix()
	go func() {
		began := time.Now()
		code, body := post(t, h, msgID, created)
		ch <- attempt{code, body, time.Since(began)}
	}()
	return ch
}

// TestRetryOnOtherReplica: WeChat's first attempt reaches replica A, whose function is slow;
// the retry reaches replica B, which does not run the function but waits for and sends A's
// reply. A later retry on B gets the stored reply at once.
func TestRetryOnOtherReplica(t *testing.T) {
	t.Parallel()
	s := needRedis(t)
	prefix := testPrefix(t)
	var calls atomic.Int64
	a := newReplica(t, NewDedupeStore(newClient(t, s), WithPrefix(prefix)), &calls, 700*time.Millisecond)
	b := newReplica(t, NewDedupeStore(newClient(t, s), WithPrefix(prefix)), &calls, 700*time.Millisecond)

	first := sendAsync(t, a, 1001)
	waitCalls(t, &calls, 1) // A has claimed the message and is working
	retry := sendAsync(t, b, 1001)
	ra, rb := <-first, <-retry
	require.Equal(t, http.StatusOK, ra.status)
	require.Equal(t, http.StatusOK, rb.status)
	assert.Contains(t, ra.body, "run 1 of message 1001")
	assert.Equal(t, ra.body, rb.body, "the retry on B carries A's reply")
	assert.Equal(t, int64(1), calls.Load(), "the function ran once over both replicas")
	assert.Less(t, rb.took, 2*time.Second, "B answered as soon as A's reply was ready")

	began := time.Now()
	code, body := post(t, b, 1001, time.Now().Unix())
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, ra.body, body)
	assert.Less(t, time.Since(began), 500*time.Millisecond)
	assert.Equal(t, int64(1), calls.Load())
}

// TestDedupeWhenRedisDown: with Redis killed the Handlers keep answering and dedupe retries
// that reach the same replica; when Redis returns, retries across replicas are deduped again.
func TestDedupeWhenRedisDown(t *testing.T) {
	t.Parallel()
	s := ownRedis(t)
	prefix := testPrefix(t)
	logs := &logRecorder{}
	var calls atomic.Int64
	storeA := NewDedupeStore(newClient(t, s), WithPrefix(prefix), WithLogger(slog.New(logs)), WithTimeout(time.Second))
	storeB := NewDedupeStore(newClient(t, s), WithPrefix(prefix), WithTimeout(time.Second))
	a := newReplica(t, storeA, &calls, 400*time.Millisecond)
	b := newReplica(t, storeB, &calls, 400*time.Millisecond)

	// Up: a retry on B is deduped against A.
	first := sendAsync(t, a, 2001)
	waitCalls(t, &calls, 1)
	retry := sendAsync(t, b, 2001)
	ra, rb := <-first, <-retry
	require.Equal(t, ra.body, rb.body)
	require.Equal(t, int64(1), calls.Load())

	s.kill()

	// Down: A still answers, and a retry that reaches A while its function runs waits for
	// the reply in process instead of running the function again.
	first = sendAsync(t, a, 2002)
	waitCalls(t, &calls, 2)
	retry = sendAsync(t, a, 2002)
	ra, rb = <-first, <-retry
	require.Equal(t, http.StatusOK, ra.status)
	assert.Contains(t, ra.body, "message 2002")
	assert.Equal(t, ra.body, rb.body, "with Redis down, a retry on the same replica still gets the first reply")
	assert.Equal(t, int64(2), calls.Load())
	assert.Less(t, ra.took, 3*time.Second, "a dead Redis must not hold callbacks up")
	code, body := post(t, a, 2002, time.Now().Unix()) // a late retry: answered from memory
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, ra.body, body)
	assert.Equal(t, int64(2), calls.Load())
	assert.True(t, logs.has(slog.LevelWarn, "deduping callbacks in process"), "the outage is logged; got %v", logs.messages())
	warns := 0
	for _, m := range logs.messages() {
		if strings.Contains(m, "Redis failed") {
			warns++
		}
	}
	assert.Equal(t, 1, warns, "one warning per outage, not one per message")

	require.NoError(t, s.start(), "restarting redis-server on the same port")
	time.Sleep(retryRedisAfter + 100*time.Millisecond)

	// Back: the stores return to Redis and dedupe across replicas again.
	first = sendAsync(t, a, 2003)
	waitCalls(t, &calls, 3)
	retry = sendAsync(t, b, 2003)
	ra, rb = <-first, <-retry
	require.Equal(t, http.StatusOK, ra.status)
	assert.Contains(t, ra.body, "message 2003")
	assert.Equal(t, ra.body, rb.body, "after Redis returns, a retry on B gets A's reply again")
	assert.Equal(t, int64(3), calls.Load())
	assert.True(t, logs.has(slog.LevelInfo, "Redis is back"), "the recovery is logged; got %v", logs.messages())
}

// TestDedupeStoreContextEnds: a caller whose context ends gets its error back; Redis is not
// marked down for it.
func TestDedupeStoreContextEnds(t *testing.T) {
	t.Parallel()
	st := NewDedupeStore(newClient(t, needRedis(t)), WithPrefix(testPrefix(t)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := st.Claim(ctx, "gh_x|m|1", time.Now(), time.Minute)
	require.True(t, errors.Is(err, context.Canceled), "Claim with an ended context: %v", err)
	assert.True(t, st.redisUsable(), "a caller's cancellation is not a Redis outage")
}

// TestDedupeOutageRecordsSurviveRecovery: a message handled while Redis was down is not run
// again when WeChat's retry (or a replay) arrives after Redis is back: the store looks in the
// memory it used during the outage before it trusts Redis's "absent".
func TestDedupeOutageRecordsSurviveRecovery(t *testing.T) {
	t.Parallel()
	s := ownRedis(t)
	prefix := testPrefix(t)
	rdb := newClient(t, s)
	var calls atomic.Int64
	store := NewDedupeStore(rdb, WithPrefix(prefix), WithTimeout(time.Second), WithLogger(slog.New(&logRecorder{})))
	a := newReplica(t, store, &calls, 10*time.Millisecond)

	s.kill()
	created := time.Now().Unix()
	code, first := post(t, a, 3001, created)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, first, "run 1 of message 3001")

	require.NoError(t, s.start(), "restarting redis-server on the same port")
	time.Sleep(retryRedisAfter + 100*time.Millisecond)

	code, again := post(t, a, 3001, created)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, first, again, "the retry after recovery gets the reply of the outage's run")
	assert.Equal(t, int64(1), calls.Load(), "the function ran again after Redis came back")

	// Redis is in use again for new messages.
	code, body := post(t, a, 3002, time.Now().Unix())
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "message 3002")
	n, err := rdb.Exists(context.Background(), prefix+"dedupe:gh_redisstore|m|oUser|3002").Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "a message after recovery is recorded in Redis")
}

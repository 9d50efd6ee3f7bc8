package redisstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/storetest"
)

const testAppID = "wx1234567890abcdef"

func TestTokenStoreContract(t *testing.T) {
	t.Parallel()
	s := needRedis(t)
	rdb := newClient(t, s)
	storetest.TestTokenStore(t, func() offiaccount.TokenStore {
		return NewTokenStore(rdb, WithPrefix(testPrefix(t)))
	})
}

// TestTokenStoreLayout pins what other tools (and older versions of this package) find in
// Redis: the prefix, the payload, the key's TTL, and a lock holding its owner with a lease.
func TestTokenStoreLayout(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, needRedis(t))
	prefix := testPrefix(t)
	st := NewTokenStore(rdb, WithPrefix(prefix))
	ctx := context.Background()
	exp := time.Now().Add(90 * time.Minute)

	require.NoError(t, st.Set(ctx, testAppID+":access_token", "TOKEN", exp))
	raw, err := rdb.Get(ctx, prefix+testAppID+":access_token").Result()
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d:TOKEN", exp.UnixNano()), raw)
	ttl, err := rdb.PTTL(ctx, prefix+testAppID+":access_token").Result()
	require.NoError(t, err)
	assert.InDelta(t, (90 * time.Minute).Seconds(), ttl.Seconds(), 5, "the key expires with its value")

	ok, err := st.TryLock(ctx, testAppID+":access_token:lock", "owner-1", 1500*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	owner, err := rdb.Get(ctx, prefix+testAppID+":access_token:lock").Result()
	require.NoError(t, err)
	assert.Equal(t, "owner-1", owner)
	lease, err := rdb.PTTL(ctx, prefix+testAppID+":access_token:lock").Result()
	require.NoError(t, err)
	assert.True(t, lease > time.Second && lease <= 1500*time.Millisecond, "lease %v, want about 1.5s", lease)

	// A value already expired removes the key rather than storing something dead.
	require.NoError(t, st.Set(ctx, testAppID+":access_token", "OLD", time.Now().Add(-time.Second)))
	n, err := rdb.Exists(ctx, prefix+testAppID+":access_token").Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestTokenStoreDefaultPrefix(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, needRedis(t))
	st := NewTokenStore(rdb)
	ctx := context.Background()
	appID := "wxdefaultprefix" + strings.ReplaceAll(t.Name(), "/", "")
	require.NoError(t, st.Set(ctx, appID+":access_token", "T", time.Now().Add(time.Minute)))
	t.Cleanup(func() { rdb.Del(context.Background(), DefaultPrefix+appID+":access_token") })
	n, err := rdb.Exists(ctx, DefaultPrefix+appID+":access_token").Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
}

func TestTokenStoreMalformedPayload(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, needRedis(t))
	prefix := testPrefix(t)
	st := NewTokenStore(rdb, WithPrefix(prefix))
	ctx := context.Background()
	for _, raw := range []string{"no-colon", ":T", "-5:T", "abc:T", "99999999999999999999999:T"} {
		require.NoError(t, rdb.Set(ctx, prefix+"wxbad:access_token", raw, time.Minute).Err())
		v, _, err := st.Get(ctx, "wxbad:access_token")
		require.Error(t, err, "payload %q", raw)
		assert.Empty(t, v)
		assert.NotContains(t, err.Error(), raw, "errors must not carry stored values")
	}
}

func TestTokenStoreHonoursContext(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, needRedis(t))
	st := NewTokenStore(rdb, WithPrefix(testPrefix(t)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := st.Get(ctx, "wxctx:access_token")
	require.ErrorIs(t, err, context.Canceled)
	_, err = st.TryLock(ctx, "wxctx:lock", "o", time.Second)
	require.ErrorIs(t, err, context.Canceled)
}

func FuzzDecodeValue(f *testing.F) {
	for _, seed := range []string{"1700000000000000000:TOKEN", ":", "", "0:x", "1:", "1::::", "-1:x", "١:x", "9223372036854775807:v"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		v, exp, ok := decodeValue(p)
		if !ok {
			return
		}
		if got := encodeValue(v, exp); got != p && !strings.HasPrefix(p, "0") && !strings.HasPrefix(p, "+") {
			t.Fatalf("decode(%q) then encode = %q", p, got)
		}
		v2, exp2, ok := decodeValue(encodeValue(v, exp))
		if !ok || v2 != v || !exp2.Equal(exp) {
			t.Fatalf("round trip of %q: %q, %v, %v", p, v2, exp2, ok)
		}
	})
}

// tokenServer plays WeChat's stable_token endpoint and counts the tokens it issues.
type tokenServer struct {
	*httptest.Server
	fetches   atomic.Int64
	expiresIn int // seconds
	delay     time.Duration
}

func newTokenServer(t *testing.T, expiresIn int, delay time.Duration) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn, delay: delay}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/cgi-bin/stable_token" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		n := ts.fetches.Add(1)
		time.Sleep(ts.delay)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"TOKEN-%d","expires_in":%d}`, n, ts.expiresIn)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func newAccountClient(t *testing.T, baseURL string, store offiaccount.TokenStore, opts ...offiaccount.ClientOption) *offiaccount.Client {
	t.Helper()
	opts = append([]offiaccount.ClientOption{
		offiaccount.WithClientBaseURL(baseURL),
		offiaccount.WithClientTokenStore(store),
		offiaccount.WithClientTokenRefreshMargin(0),
	}, opts...)
	c, err := offiaccount.NewClient(testAppID, "APPSECRET-never-logged", opts...)
	require.NoError(t, err)
	return c
}

// callAll has n goroutines spread over clients call AccessToken at once and returns what
// each got.
func callAll(t *testing.T, clients []*offiaccount.Client, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = clients[i%len(clients)].AccessToken(ctx)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "caller %d", i)
	}
	return got
}

// TestEightReplicasOneFetchPerExpiry: eight Clients, each with its own Redis connection as
// eight processes would have, and 1000 concurrent callers make exactly one upstream token
// request per token lifetime.
func TestEightReplicasOneFetchPerExpiry(t *testing.T) {
	t.Parallel()
	s := needRedis(t)
	const expiresIn = 2 // seconds
	up := newTokenServer(t, expiresIn, 20*time.Millisecond)
	prefix := testPrefix(t)
	clients := make([]*offiaccount.Client, 8)
	for i := range clients {
		clients[i] = newAccountClient(t, up.URL, NewTokenStore(newClient(t, s), WithPrefix(prefix)))
	}
	for round := 1; round <= 3; round++ {
		began := time.Now()
		got := callAll(t, clients, 1000)
		took := time.Since(began)
		want := fmt.Sprintf("TOKEN-%d", round)
		for i, tok := range got {
			require.Equal(t, want, tok, "round %d caller %d", round, i)
		}
		require.Less(t, took, expiresIn*time.Second, "round %d outlasted the token; the count below would mean nothing", round)
		require.Equal(t, int64(round), up.fetches.Load(), "upstream token requests after round %d", round)
		// Warm reads touch neither Redis nor WeChat.
		callAll(t, clients, 200)
		require.Equal(t, int64(round), up.fetches.Load())
		if round < 3 {
			time.Sleep(time.Until(began.Add(expiresIn*time.Second + 150*time.Millisecond)))
		}
	}
}

// TestDeadLockHolder: a process that took the refresh lock and died holds the others up
// until its lease runs out, and no longer.
func TestDeadLockHolder(t *testing.T) {
	t.Parallel()
	s := needRedis(t)
	prefix := testPrefix(t)
	rdb := newClient(t, s)
	lockKey := prefix + testAppID + ":access_token:lock"

	// The holder: its token request never comes back, as if its process had hung or died
	// mid-fetch (a dead process never gets to release the lock either).
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		http.Error(w, "gone", http.StatusServiceUnavailable)
	}))
	t.Cleanup(stuck.Close)
	t.Cleanup(func() { close(release) })
	holder := newAccountClient(t, stuck.URL, NewTokenStore(newClient(t, s), WithPrefix(prefix)))
	holderCtx, stopHolder := context.WithCancel(context.Background())
	t.Cleanup(stopHolder)
	go func() { _, _ = holder.AccessToken(holderCtx) }()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the holder never asked for a token")
	}

	lease, err := rdb.PTTL(context.Background(), lockKey).Result()
	require.NoError(t, err)
	require.True(t, lease > 0 && lease <= 15*time.Second, "the holder's lock has lease %v; a dead holder would block others that long", lease)
	// Let all but 700ms of the lease pass at once.
	const left = 700 * time.Millisecond
	require.True(t, rdb.PExpire(context.Background(), lockKey, left).Val())
	leaseEnds := time.Now().Add(left)

	up := newTokenServer(t, 7200, 0)
	others := make([]*offiaccount.Client, 4)
	for i := range others {
		others[i] = newAccountClient(t, up.URL, NewTokenStore(newClient(t, s), WithPrefix(prefix)))
	}
	got := callAll(t, others, 100)
	done := time.Now()
	for _, tok := range got {
		require.Equal(t, "TOKEN-1", tok)
	}
	assert.Equal(t, int64(1), up.fetches.Load(), "one of the others fetches once the lease is over")
	assert.False(t, done.Before(leaseEnds.Add(-50*time.Millisecond)), "the others got a token while the dead holder's lease still ran")
	assert.Less(t, done.Sub(leaseEnds), 2*time.Second, "the others waited long after the lease ran out")
}

// TestTokenFallbackWhenRedisDown: with Redis gone, Clients log and fetch on their own
// instead of failing; once Redis is back they share again.
func TestTokenFallbackWhenRedisDown(t *testing.T) {
	t.Parallel()
	s := ownRedis(t)
	up := newTokenServer(t, 7200, 0)
	rdb := newClient(t, s)
	logs := &logRecorder{}
	logger := slog.New(logs)
	store := NewTokenStore(rdb, WithTimeout(time.Second))
	ctx := context.Background()

	a := newAccountClient(t, up.URL, store, offiaccount.WithClientLogger(logger))
	tok, err := a.AccessToken(ctx)
	require.NoError(t, err)
	require.Equal(t, "TOKEN-1", tok)

	s.kill()

	// A replica that starts now cannot read Redis: it fetches a token of its own.
	b := newAccountClient(t, up.URL, store, offiaccount.WithClientLogger(logger))
	tok, err = b.AccessToken(ctx)
	require.NoError(t, err, "a Redis outage must not fail API calls")
	assert.Equal(t, "TOKEN-2", tok)
	assert.True(t, logs.has(slog.LevelWarn, "token store failed"), "the fallback is logged; got %v", logs.messages())
	// A replica that already holds a token is not affected at all.
	tok, err = a.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-1", tok)
	// Invalidating with Redis down fetches again, also without failing.
	tok, err = b.RefreshAccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-3", tok)
	for _, msg := range logs.messages() {
		assert.NotContains(t, msg, "APPSECRET")
		assert.NotContains(t, msg, "TOKEN-")
	}

	require.NoError(t, s.start(), "restarting redis-server on the same port")

	// The same go-redis client reconnects: a new replica fetches and stores, the next one
	// reads what it stored.
	c := newAccountClient(t, up.URL, store)
	tok, err = c.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-4", tok)
	d := newAccountClient(t, up.URL, store)
	tok, err = d.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-4", tok, "after Redis returns, replicas share one token again")
	assert.Equal(t, int64(4), up.fetches.Load())
}

// logRecorder is a slog.Handler that keeps every record's message and attributes.
type logRecorder struct {
	mu   sync.Mutex
	recs []string
	lvls []slog.Level
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, b.String())
	l.lvls = append(l.lvls, r.Level)
	return nil
}

func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.recs...)
}

func (l *logRecorder) has(level slog.Level, substr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, m := range l.recs {
		if l.lvls[i] == level && strings.Contains(m, substr) {
			return true
		}
	}
	return false
}

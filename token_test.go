package offiaccount

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock whose time moves only by Advance, firing due timers synchronously.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at   time.Time
	f    func()
	done bool
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (fc *fakeClock) Now() time.Time {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.now
}

func (fc *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	tm := &fakeTimer{at: fc.now.Add(d), f: f}
	fc.timers = append(fc.timers, tm)
	return func() bool {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		was := !tm.done
		tm.done = true
		return was
	}
}

func (fc *fakeClock) Advance(d time.Duration) {
	fc.mu.Lock()
	fc.now = fc.now.Add(d)
	var due []*fakeTimer
	keep := fc.timers[:0]
	for _, tm := range fc.timers {
		switch {
		case tm.done:
		case !tm.at.After(fc.now):
			tm.done = true
			due = append(due, tm)
		default:
			keep = append(keep, tm)
		}
	}
	fc.timers = keep
	fc.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, tm := range due {
		tm.f()
	}
}

// fakeWeChat serves the two token endpoints and one API, counting requests. In stable mode
// it hands out the current token until it is force-refreshed, as WeChat does.
type fakeWeChat struct {
	t   *testing.T
	srv *httptest.Server

	tokenCalls, forceCalls, apiCalls atomic.Int64

	mu        sync.Mutex
	current   string
	issued    int
	valid     map[string]bool
	faults    []string // consumed one per token request: busy, 500, malformed, slow, badsecret, hangup
	expiresIn int
	apiFail   bool // the API rejects every token with 40001
	bodies    []string
}

func newFakeWeChat(t *testing.T) *fakeWeChat {
	f := &fakeWeChat{t: t, valid: map[string]bool{}, expiresIn: 7200}
	mux := http.NewServeMux()
	mux.HandleFunc("/cgi-bin/stable_token", f.token)
	mux.HandleFunc("/cgi-bin/token", f.token)
	mux.HandleFunc("/cgi-bin/test/echo", f.api)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.srv.CloseClientConnections()
		f.srv.Close()
		f.srv.Client().CloseIdleConnections()
	})
	return f
}

func (f *fakeWeChat) client(t *testing.T, opts ...ClientOption) *Client {
	t.Helper()
	all := append([]ClientOption{WithClientBaseURL(f.srv.URL), WithClientHTTPClient(f.srv.Client())}, opts...)
	c, err := NewClient(testAppID, testSecret, all...)
	require.NoError(t, err)
	c.tokens.retryBase = time.Millisecond
	return c
}

func (f *fakeWeChat) token(w http.ResponseWriter, r *http.Request) {
	f.tokenCalls.Add(1)
	// Read the body first: only then does the server notice a client that hangs up.
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	var fault string
	if len(f.faults) > 0 {
		fault, f.faults = f.faults[0], f.faults[1:]
	}
	f.mu.Unlock()
	switch fault {
	case "busy":
		io.WriteString(w, `{"errcode":-1,"errmsg":"system error rid: 64f0-1"}`)
		return
	case "500":
		http.Error(w, "bad gateway", http.StatusInternalServerError)
		return
	case "malformed":
		io.WriteString(w, `{"access_token":"TOK`)
		return
	case "badsecret":
		io.WriteString(w, `{"errcode":40125,"errmsg":"invalid appsecret"}`)
		return
	case "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case "hangup":
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	var appID, secret, grant string
	force := false
	legacy := r.URL.Path == "/cgi-bin/token"
	if legacy {
		if r.Method != http.MethodGet {
			f.t.Errorf("legacy token endpoint called with %s", r.Method)
		}
		q := r.URL.Query()
		appID, secret, grant = q.Get("appid"), q.Get("secret"), q.Get("grant_type")
	} else {
		f.mu.Lock()
		f.bodies = append(f.bodies, string(body))
		f.mu.Unlock()
		var in stableTokenRequest
		if r.Method != http.MethodPost || json.Unmarshal(body, &in) != nil {
			f.t.Errorf("stable_token called with %s %q", r.Method, body)
		}
		appID, secret, grant, force = in.AppID, in.Secret, in.GrantType, in.ForceRefresh
	}
	if appID != testAppID || secret != testSecret || grant != "client_credential" {
		io.WriteString(w, `{"errcode":40013,"errmsg":"invalid appid"}`)
		return
	}
	if force {
		f.forceCalls.Add(1)
	}
	f.mu.Lock()
	if legacy || force || f.current == "" {
		if force {
			delete(f.valid, f.current)
		}
		f.issued++
		f.current = fmt.Sprintf("TOKEN-%d", f.issued)
		f.valid[f.current] = true
	}
	tok, in := f.current, f.expiresIn
	f.mu.Unlock()
	fmt.Fprintf(w, `{"access_token":%q,"expires_in":%d}`, tok, in)
}

func (f *fakeWeChat) api(w http.ResponseWriter, r *http.Request) {
	f.apiCalls.Add(1)
	tok := r.URL.Query().Get("access_token")
	f.mu.Lock()
	ok := f.valid[tok] && !f.apiFail
	f.mu.Unlock()
	if !ok {
		io.WriteString(w, `{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: 65a-1"}`)
		return
	}
	io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
}

// rotate issues a new current token and revokes the old one, as a force_refresh by another
// party would.
func (f *fakeWeChat) rotate() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.valid, f.current)
	f.issued++
	f.current = fmt.Sprintf("TOKEN-%d", f.issued)
	f.valid[f.current] = true
	return f.current
}

// revoke makes WeChat refuse tok while normal mode keeps handing it out.
func (f *fakeWeChat) revoke(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.valid, tok)
}

func (f *fakeWeChat) setFaults(faults ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = faults
}

// checkGoroutines fails the test if it leaves goroutines behind. Use it only in tests that
// do not call t.Parallel: parallel tests are paused while it measures.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// hammer calls get from n goroutines at once and returns the distinct values seen.
func hammer(t *testing.T, n int, get func(i int) (string, error)) map[string]int {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	seen := map[string]int{}
	var errs []error
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			v, err := get(i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			seen[v]++
		}(i)
	}
	close(start)
	wg.Wait()
	require.Empty(t, errs)
	return seen
}

func TestAccessTokenColdSingleFlight(t *testing.T) {
	checkGoroutines(t)
	f := newFakeWeChat(t)
	clk := newFakeClock()
	c := f.client(t, withClock(clk))
	ctx := context.Background()

	seen := hammer(t, 1000, func(int) (string, error) { return c.AccessToken(ctx) })
	assert.Equal(t, map[string]int{"TOKEN-1": 1000}, seen)
	assert.EqualValues(t, 1, f.tokenCalls.Load(), "1000 cold callers must share one fetch")

	// Still fresh 5 minutes and 1 second before expiry: no fetch.
	clk.Advance(7200*time.Second - DefaultTokenRefreshMargin - time.Second)
	hammer(t, 100, func(int) (string, error) { return c.AccessToken(ctx) })
	assert.EqualValues(t, 1, f.tokenCalls.Load())

	// Inside the margin: exactly one more fetch for 1000 callers.
	f.rotate()
	clk.Advance(2 * time.Second)
	seen = hammer(t, 1000, func(int) (string, error) { return c.AccessToken(ctx) })
	assert.Equal(t, map[string]int{"TOKEN-2": 1000}, seen)
	assert.EqualValues(t, 2, f.tokenCalls.Load(), "one fetch per expiry")
}

func TestAccessTokenSharedStoreAcrossClients(t *testing.T) {
	checkGoroutines(t)
	f := newFakeWeChat(t)
	clk := newFakeClock()
	store := NewMemoryTokenStore()
	store.now = clk.Now
	clients := make([]*Client, 8) // 8 processes of one account
	for i := range clients {
		clients[i] = f.client(t, withClock(clk), WithClientTokenStore(store))
	}
	ctx := context.Background()
	get := func(i int) (string, error) { return clients[i%len(clients)].AccessToken(ctx) }

	seen := hammer(t, 1000, get)
	assert.Equal(t, map[string]int{"TOKEN-1": 1000}, seen)
	assert.EqualValues(t, 1, f.tokenCalls.Load(), "8 clients sharing a store must fetch once")

	for round := 2; round <= 3; round++ {
		f.rotate()
		clk.Advance(7200*time.Second - DefaultTokenRefreshMargin + time.Second)
		seen = hammer(t, 1000, get)
		assert.Equal(t, map[string]int{fmt.Sprintf("TOKEN-%d", round): 1000}, seen)
		assert.EqualValues(t, round, f.tokenCalls.Load(), "one fetch per expiry for all 8 clients")
	}
}

func TestStableTokenRequest(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	c := f.client(t)
	tok, err := c.AccessToken(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-1", tok)
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.bodies, 1)
	assert.JSONEq(t, `{"grant_type":"client_credential","appid":"`+testAppID+`","secret":"`+testSecret+`","force_refresh":false}`, f.bodies[0])
}

func TestLegacyTokenEndpoint(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	c := f.client(t, WithClientLegacyTokenEndpoint())
	ctx := context.Background()
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-1", tok)
	require.NoError(t, c.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	f.mu.Lock()
	assert.Empty(t, f.bodies, "the legacy endpoint takes no body")
	f.mu.Unlock()
	assert.EqualValues(t, 1, f.tokenCalls.Load())
}

func TestAPIRetryAfterTokenRejected(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	c := f.client(t)
	ctx := context.Background()
	require.NoError(t, c.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))

	// Another party force-refreshes: our cached TOKEN-1 is now refused.
	f.rotate()
	require.NoError(t, c.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	assert.EqualValues(t, 3, f.apiCalls.Load(), "one call, then one failed and one retried")
	assert.EqualValues(t, 2, f.tokenCalls.Load())
	assert.EqualValues(t, 0, f.forceCalls.Load(), "normal mode already had a new token")
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-2", tok)
}

func TestAPISecondRejectionIsReturned(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	f.apiFail = true
	c := f.client(t)
	err := c.postJSON(context.Background(), "/cgi-bin/test/echo", nil, map[string]string{"a": "b"}, nil)
	require.ErrorIs(t, err, ErrTokenInvalid)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, CodeInvalidCredential, apiErr.Code)
	assert.EqualValues(t, 2, f.apiCalls.Load(), "exactly one retry, no loop")
}

func TestForceRefreshWhenNormalModeReturnsRejectedToken(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	clk := newFakeClock()
	store := NewMemoryTokenStore()
	store.now = clk.Now
	c := f.client(t, withClock(clk), WithClientTokenStore(store))
	ctx := context.Background()
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)

	// WeChat refuses TOKEN-1 yet normal mode still hands it out: force_refresh is needed.
	f.revoke(tok)
	require.NoError(t, c.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	assert.EqualValues(t, 1, f.forceCalls.Load())
	tok2, err := c.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-2", tok2)

	// Again within 30 s: no second force_refresh; the caller gets the 40001.
	clk.Advance(10 * time.Second)
	f.revoke(tok2)
	err = c.getJSON(ctx, "/cgi-bin/test/echo", nil, nil)
	require.ErrorIs(t, err, ErrTokenInvalid)
	assert.EqualValues(t, 1, f.forceCalls.Load(), "at most one force_refresh per 30 s")

	// 30 s later it is allowed again.
	clk.Advance(21 * time.Second)
	require.NoError(t, c.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	assert.EqualValues(t, 2, f.forceCalls.Load())
}

func TestForceRefreshLimitSharedThroughStore(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	store := NewMemoryTokenStore()
	a := f.client(t, WithClientTokenStore(store))
	b := f.client(t, WithClientTokenStore(store))
	ctx := context.Background()
	tok, err := a.AccessToken(ctx)
	require.NoError(t, err)
	f.revoke(tok)
	require.NoError(t, a.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	require.EqualValues(t, 1, f.forceCalls.Load())

	// Process b has its own fresh allowance in process, but the store says "not yet".
	tok2, err := b.AccessToken(ctx)
	require.NoError(t, err)
	f.revoke(tok2)
	require.ErrorIs(t, b.getJSON(ctx, "/cgi-bin/test/echo", nil, nil), ErrTokenInvalid)
	assert.EqualValues(t, 1, f.forceCalls.Load())
}

func TestInvalidateKeepsReplacedToken(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	store := NewMemoryTokenStore()
	a := f.client(t, WithClientTokenStore(store))
	b := f.client(t, WithClientTokenStore(store))
	ctx := context.Background()
	for _, c := range []*Client{a, b} {
		tok, err := c.AccessToken(ctx)
		require.NoError(t, err)
		require.Equal(t, "TOKEN-1", tok)
	}
	require.EqualValues(t, 1, f.tokenCalls.Load())

	// a meets 40001 first and replaces the token in the store.
	f.rotate()
	require.NoError(t, a.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	require.EqualValues(t, 2, f.tokenCalls.Load())

	// b meets 40001 with the old token later: its compare-and-delete must keep TOKEN-2, and
	// b takes TOKEN-2 from the store instead of fetching.
	require.NoError(t, b.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	v, _, err := store.Get(ctx, testAppID+":access_token")
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-2", v)
	assert.EqualValues(t, 2, f.tokenCalls.Load(), "b must reuse a's token")

	// A late invalidation of the old token changes nothing.
	a.InvalidateAccessToken(ctx, "TOKEN-1")
	tok, err := a.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-2", tok)
	assert.EqualValues(t, 2, f.tokenCalls.Load())
}

func TestRefreshAccessToken(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	c := f.client(t, WithClientLegacyTokenEndpoint())
	ctx := context.Background()
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)
	tok2, err := c.RefreshAccessToken(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, tok, tok2)
	assert.EqualValues(t, 2, f.tokenCalls.Load())
}

func TestTokenEndpointFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		faults    []string
		wantCalls int64
		wantErr   func(t *testing.T, err error)
	}{
		{"busy then ok", []string{"busy", "busy"}, 3, nil},
		{"busy thrice", []string{"busy", "busy", "busy", "busy"}, fetchAttempts, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrBusy)
		}},
		{"500 then ok", []string{"500"}, 2, nil},
		{"500 thrice", []string{"500", "500", "500"}, fetchAttempts, func(t *testing.T, err error) {
			var st *StatusError
			require.ErrorAs(t, err, &st)
			assert.Equal(t, http.StatusInternalServerError, st.StatusCode)
		}},
		{"hang-up then ok", []string{"hangup"}, 2, nil},
		{"malformed is not retried", []string{"malformed"}, 1, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrBadResponse)
		}},
		{"wrong secret is not retried", []string{"badsecret"}, 1, func(t *testing.T, err error) {
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, CodeInvalidAppSecret, apiErr.Code)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, legacy := range []bool{false, true} {
				f := newFakeWeChat(t)
				f.setFaults(tt.faults...)
				var opts []ClientOption
				if legacy {
					opts = append(opts, WithClientLegacyTokenEndpoint())
				}
				c := f.client(t, opts...)
				tok, err := c.AccessToken(context.Background())
				if tt.wantErr == nil {
					require.NoError(t, err)
					assert.Equal(t, "TOKEN-1", tok)
				} else {
					require.Error(t, err)
					assert.Empty(t, tok)
					tt.wantErr(t, err)
					assert.NotContains(t, err.Error(), testSecret)
				}
				assert.Equal(t, tt.wantCalls, f.tokenCalls.Load(), "legacy=%v", legacy)
			}
		})
	}
}

func TestTokenSlowUpstreamShortDeadline(t *testing.T) {
	checkGoroutines(t)
	f := newFakeWeChat(t)
	f.setFaults("slow")
	c := f.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	seen := make(chan error, 10)
	for i := 0; i < 10; i++ {
		go func() {
			_, err := c.AccessToken(ctx)
			seen <- err
		}()
	}
	for i := 0; i < 10; i++ {
		assert.ErrorIs(t, <-seen, context.DeadlineExceeded)
	}
	assert.Less(t, time.Since(start), 2*time.Second, "callers must give up at their deadline")
	assert.EqualValues(t, 1, f.tokenCalls.Load(), "a deadline is not retried")

	// A later caller with time to spare succeeds.
	tok, err := c.AccessToken(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-1", tok)
}

func TestWaiterOutlivesCancelledLeader(t *testing.T) {
	checkGoroutines(t)
	f := newFakeWeChat(t)
	f.setFaults("slow")
	c := f.client(t)
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderDone := make(chan error, 1)
	go func() {
		_, err := c.AccessToken(leaderCtx)
		leaderDone <- err
	}()
	require.Eventually(t, func() bool { return f.tokenCalls.Load() == 1 }, 2*time.Second, time.Millisecond)
	waiterDone := make(chan string, 1)
	go func() {
		tok, err := c.AccessToken(context.Background())
		assert.NoError(t, err)
		waiterDone <- tok
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	require.ErrorIs(t, <-leaderDone, context.Canceled)
	assert.Equal(t, "TOKEN-1", <-waiterDone, "a waiter must not inherit the leader's cancellation")
}

func TestRefreshFailureServesStillValidToken(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	clk := newFakeClock()
	c := f.client(t, withClock(clk))
	ctx := context.Background()
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)

	clk.Advance(7200*time.Second - DefaultTokenRefreshMargin + time.Second) // inside the margin
	f.setFaults("busy", "busy", "busy")
	got, err := c.AccessToken(ctx)
	require.NoError(t, err, "a token valid for 5 more minutes beats an error")
	assert.Equal(t, tok, got)

	clk.Advance(DefaultTokenRefreshMargin) // now expired
	f.setFaults("busy", "busy", "busy")
	_, err = c.AccessToken(ctx)
	require.ErrorIs(t, err, ErrBusy)
}

// failingStore is a store that is down.
type failingStore struct{ calls atomic.Int64 }

var errStoreDown = errors.New("store down")

func (s *failingStore) Get(context.Context, string) (string, time.Time, error) {
	s.calls.Add(1)
	return "", time.Time{}, errStoreDown
}
func (s *failingStore) Set(context.Context, string, string, time.Time) error {
	s.calls.Add(1)
	return errStoreDown
}
func (s *failingStore) CompareAndDelete(context.Context, string, string) (bool, error) {
	s.calls.Add(1)
	return false, errStoreDown
}
func (s *failingStore) TryLock(context.Context, string, string, time.Duration) (bool, error) {
	s.calls.Add(1)
	return false, errStoreDown
}
func (s *failingStore) Unlock(context.Context, string, string) error {
	s.calls.Add(1)
	return errStoreDown
}

func TestStoreDownFallsBackToFetching(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	store := &failingStore{}
	logs := &syncBuffer{}
	c := f.client(t, WithClientTokenStore(store), WithClientLogger(slog.New(slog.NewTextHandler(logs, nil))))
	ctx := context.Background()
	seen := hammer(t, 50, func(int) (string, error) { return c.AccessToken(ctx) })
	assert.Equal(t, map[string]int{"TOKEN-1": 50}, seen)
	assert.EqualValues(t, 1, f.tokenCalls.Load(), "single flight holds without a store")
	assert.Positive(t, store.calls.Load())

	f.rotate()
	require.NoError(t, c.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	assert.Contains(t, logs.String(), "token store failed")
	assert.NotContains(t, logs.String(), "TOKEN-")
	assert.NotContains(t, logs.String(), testSecret)
}

func TestLockHolderThatDiesDoesNotBlockPastLease(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	store := NewMemoryTokenStore()
	// A dead process holds the refresh lock with a short lease.
	ok, err := store.TryLock(context.Background(), testAppID+":access_token:lock", "dead", 200*time.Millisecond)
	require.NoError(t, err)
	require.True(t, ok)
	c := f.client(t, WithClientTokenStore(store))
	start := time.Now()
	tok, err := c.AccessToken(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "TOKEN-1", tok)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "must wait for the lease")
	assert.Less(t, time.Since(start), 3*time.Second)

	// A waiter whose context ends first gives up.
	store2 := NewMemoryTokenStore()
	_, _ = store2.TryLock(context.Background(), testAppID+":access_token:lock", "dead", time.Hour)
	c2 := f.client(t, WithClientTokenStore(store2))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c2.AccessToken(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestTokenSource(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	var calls atomic.Int64
	var mu sync.Mutex
	var rejectedSeen []string
	src := TokenSourceFunc(func(ctx context.Context, rejected string) (string, time.Duration, error) {
		calls.Add(1)
		mu.Lock()
		rejectedSeen = append(rejectedSeen, rejected)
		mu.Unlock()
		return f.rotate(), 2 * time.Hour, nil
	})
	c := f.client(t, WithClientTokenSource(src))
	ctx := context.Background()
	hammer(t, 100, func(int) (string, error) { return c.AccessToken(ctx) })
	assert.EqualValues(t, 1, calls.Load())

	f.rotate() // the central service moved on
	require.NoError(t, c.getJSON(ctx, "/cgi-bin/test/echo", nil, nil))
	assert.EqualValues(t, 2, calls.Load())
	assert.EqualValues(t, 0, f.tokenCalls.Load(), "no call to WeChat's token endpoints")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"", "TOKEN-1"}, rejectedSeen)
}

func TestTokenSourceBadAnswer(t *testing.T) {
	t.Parallel()
	src := TokenSourceFunc(func(context.Context, string) (string, time.Duration, error) { return "", time.Hour, nil })
	c, err := NewClient(testAppID, testSecret, WithClientTokenSource(src))
	require.NoError(t, err)
	_, err = c.AccessToken(context.Background())
	require.ErrorIs(t, err, ErrBadResponse)
}

func TestCredentialForTickets(t *testing.T) {
	t.Parallel()
	store := NewMemoryTokenStore()
	var fetches atomic.Int64
	fetch := func(ctx context.Context) (string, time.Duration, error) {
		n := fetches.Add(1)
		return fmt.Sprintf("TICKET-%d", n), 7200 * time.Second, nil
	}
	a, err := NewClient(testAppID, testSecret, WithClientTokenStore(store))
	require.NoError(t, err)
	b, err := NewClient(testAppID, testSecret, WithClientTokenStore(store))
	require.NoError(t, err)
	ctx := context.Background()
	seen := hammer(t, 200, func(i int) (string, error) {
		c := a
		if i%2 == 1 {
			c = b
		}
		return c.credential(ctx, "ticket:jsapi", fetch)
	})
	assert.Equal(t, map[string]int{"TICKET-1": 200}, seen)
	assert.EqualValues(t, 1, fetches.Load())

	// Another kind is cached apart.
	card, err := a.credential(ctx, "ticket:wx_card", fetch)
	require.NoError(t, err)
	assert.Equal(t, "TICKET-2", card)

	a.invalidateCredential(ctx, "ticket:jsapi", "TICKET-1")
	got, err := a.credential(ctx, "ticket:jsapi", fetch)
	require.NoError(t, err)
	assert.Equal(t, "TICKET-3", got)
	b.invalidateCredential(ctx, "ticket:jsapi", "TICKET-1")
	got, err = b.credential(ctx, "ticket:jsapi", fetch)
	require.NoError(t, err)
	assert.Equal(t, "TICKET-3", got, "b must take a's replacement from the store")
	assert.EqualValues(t, 3, fetches.Load())

	// A failing fetch reports its error.
	c, err := NewClient(testAppID, testSecret)
	require.NoError(t, err)
	_, err = c.credential(ctx, "ticket:jsapi", func(context.Context) (string, time.Duration, error) {
		return "", 0, ErrBusy
	})
	require.ErrorIs(t, err, ErrBusy)
}

func TestTokenOptions(t *testing.T) {
	t.Parallel()
	for _, opt := range []ClientOption{WithClientTokenStore(nil), WithClientTokenSource(nil), WithClientTokenRefreshMargin(-time.Second), WithClientTokenRefreshMargin(2 * time.Hour)} {
		_, err := NewClient(testAppID, testSecret, opt)
		assert.Error(t, err)
	}
	c, err := NewClient(testAppID, testSecret, WithClientTokenRefreshMargin(0))
	require.NoError(t, err)
	assert.Equal(t, time.Duration(0), c.tokens.margin)
}

func TestRefreshMarginAndShortLifetimes(t *testing.T) {
	t.Parallel()
	f := newFakeWeChat(t)
	f.expiresIn = 200 // already inside the 5-minute margin: use it for half its life
	clk := newFakeClock()
	c := f.client(t, withClock(clk))
	ctx := context.Background()
	_, err := c.AccessToken(ctx)
	require.NoError(t, err)
	clk.Advance(99 * time.Second)
	_, err = c.AccessToken(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, f.tokenCalls.Load(), "no refresh before half the lifetime")
	clk.Advance(2 * time.Second)
	_, err = c.AccessToken(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, f.tokenCalls.Load())

	f2 := newFakeWeChat(t)
	clk2 := newFakeClock()
	c2 := f2.client(t, withClock(clk2), WithClientTokenRefreshMargin(time.Minute))
	_, err = c2.AccessToken(ctx)
	require.NoError(t, err)
	clk2.Advance(7200*time.Second - time.Minute - time.Second)
	_, err = c2.AccessToken(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, f2.tokenCalls.Load())
	clk2.Advance(2 * time.Second)
	_, err = c2.AccessToken(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, f2.tokenCalls.Load())
}

func TestFetchPanicDoesNotStrandWaiters(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testAppID, testSecret)
	require.NoError(t, err)
	ctx := context.Background()
	func() {
		defer func() { assert.NotNil(t, recover()) }()
		_, _ = c.credential(ctx, "ticket:jsapi", func(context.Context) (string, time.Duration, error) { panic("boom") })
	}()
	got, err := c.credential(ctx, "ticket:jsapi", func(context.Context) (string, time.Duration, error) { return "T", time.Hour, nil })
	require.NoError(t, err)
	assert.Equal(t, "T", got)
}

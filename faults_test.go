package offiaccount_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// The API side crosses the internet to a service that is sometimes busy.
// These tests play WeChat's failures through the fake platform and check
// that the client recovers or fails as documented, within its context,
// without repeating a call WeChat may have acted on, and without leaving
// goroutines behind.
//
// They do not call t.Parallel: each checks for leaked goroutines against a
// snapshot taken when it starts.

const (
	pathStable = "/cgi-bin/stable_token"
	pathLegacy = "/cgi-bin/token"
	pathCreate = "/cgi-bin/menu/create"
	pathGet    = "/cgi-bin/menu/get"
)

// slack is what a call may take beyond its context's deadline to return.
const slack = 500 * time.Millisecond

// faultEnv starts a platform and a client on it and registers the checks
// that run when the test ends: no goroutine left, no secret logged or in
// any error the test saw.
type faultEnv struct {
	t *testing.T
	p *offiaccounttest.Platform
	c *offiaccount.Client
}

func newFaultEnv(t *testing.T, opts ...offiaccount.ClientOption) *faultEnv {
	snapshot := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, snapshot) }) // runs last
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(hardAppID, hardSecret))
	t.Cleanup(func() {
		suiteLogs.addSecret("access_token", p.AccessToken(hardAppID))
		suiteLogs.addSecret("stable access_token", p.StableAccessToken(hardAppID))
	})
	t.Cleanup(p.Close)
	logger, _ := testLogger(t)
	base := []offiaccount.ClientOption{offiaccount.WithClientBaseURL(p.URL()), offiaccount.WithClientHTTPClient(p.Client()), offiaccount.WithClientLogger(logger)}
	c, err := offiaccount.NewClient(hardAppID, hardSecret, append(base, opts...)...)
	require.NoError(t, err)
	return &faultEnv{t: t, p: p, c: c}
}

// timed runs fn with a context of the given timeout and checks that it
// returned within the deadline plus slack.
func (e *faultEnv) timed(timeout time.Duration, fn func(ctx context.Context) error) error {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	took := time.Since(start)
	assert.Less(e.t, took, timeout+slack, "the call outlived its context")
	if err != nil {
		assertNoSecret(e.t, "error", err.Error())
	}
	return err
}

func (e *faultEnv) token(timeout time.Duration) (string, error) {
	var tok string
	err := e.timed(timeout, func(ctx context.Context) (err error) {
		tok, err = e.c.AccessToken(ctx)
		return err
	})
	return tok, err
}

var testMenu = offiaccount.NewMenu(offiaccount.Button{Type: offiaccount.ButtonClick, Name: "Hi", Key: "HI"})

func TestFaultTokenBusy(t *testing.T) {
	e := newFaultEnv(t)
	e.p.FailNext(pathStable, 2, offiaccounttest.Fault{Errcode: -1})
	tok, err := e.token(5 * time.Second)
	require.NoError(t, err, "two busy answers are retried away")
	assert.NotEmpty(t, tok)
	assert.Equal(t, 3, e.p.Calls(pathStable))

	e2 := newFaultEnv(t)
	e2.p.FailNext(pathStable, 10, offiaccounttest.Fault{Errcode: -1})
	_, err = e2.token(5 * time.Second)
	require.ErrorIs(t, err, offiaccount.ErrBusy)
	assert.Equal(t, 3, e2.p.Calls(pathStable), "a busy endpoint gets a bounded number of tries")
}

func TestFaultToken5xx(t *testing.T) {
	e := newFaultEnv(t)
	e.p.FailNext(pathStable, 2, offiaccounttest.Fault{HTTPStatus: http.StatusBadGateway})
	_, err := e.token(5 * time.Second)
	require.NoError(t, err)

	e2 := newFaultEnv(t)
	e2.p.FailNext(pathStable, 3, offiaccounttest.Fault{HTTPStatus: http.StatusServiceUnavailable})
	_, err = e2.token(5 * time.Second)
	var st *offiaccount.StatusError
	require.ErrorAs(t, err, &st)
	assert.Equal(t, http.StatusServiceUnavailable, st.StatusCode)
	assert.Equal(t, 3, e2.p.Calls(pathStable))
}

func TestFaultTokenSlowPastDeadline(t *testing.T) {
	e := newFaultEnv(t)
	e.p.FailNext(pathStable, 1, offiaccounttest.Fault{Delay: time.Hour})
	_, err := e.token(300 * time.Millisecond)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Many callers behind one slow fetch each give up at their own deadline,
	// unless a later fetch (after the slow one's caller gave up) serves them.
	e.p.FailNext(pathStable, 1, offiaccounttest.Fault{Delay: time.Hour})
	var wg sync.WaitGroup
	var failed sync.Map
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.token(time.Duration(100+20*i) * time.Millisecond); err != nil {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				failed.Store(i, true)
			}
		}()
	}
	wg.Wait()
	_, first := failed.Load(0)
	assert.True(t, first, "the caller with the earliest deadline cannot have been served")
	assert.LessOrEqual(t, e.p.Calls(pathStable), 4, "one fetch at a time serves the waiting callers")

	// The endpoint answers again: so does the client.
	tok, err := e.token(5 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, e.p.StableAccessToken(hardAppID), tok)
}

func TestFaultTokenDroppedConnection(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		var opts []offiaccount.ClientOption
		path := pathStable
		if legacy {
			opts = append(opts, offiaccount.WithClientLegacyTokenEndpoint())
			path = pathLegacy
		}
		e := newFaultEnv(t, opts...)
		e.p.FailNext(path, 1, offiaccounttest.Fault{Drop: true})
		_, err := e.token(5 * time.Second)
		require.NoError(t, err, "a dropped connection is retried (legacy %v)", legacy)

		e2 := newFaultEnv(t, opts...)
		e2.p.FailNext(path, 3, offiaccounttest.Fault{Drop: true})
		_, err = e2.token(5 * time.Second)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), hardSecret, "the legacy endpoint's URL carries the secret")
		assert.Equal(t, 3, e2.p.Calls(path))
	}
}

func TestFaultTokenMalformedJSON(t *testing.T) {
	for _, body := range []string{
		`{"access_token":"tru`,
		`<html><body>502 Bad Gateway</body></html>`,
		`{"access_token":"","expires_in":7200}`,
		`{"access_token":"abc","expires_in":0}`,
		`{"access_token":"abc","expires_in":-5}`,
		`{"errcode":"40001"}`,
		`null`,
		``,
	} {
		e := newFaultEnv(t)
		e.p.FailNext(pathStable, 1, offiaccounttest.Fault{Body: body + " "})
		_, err := e.token(5 * time.Second)
		require.ErrorIs(t, err, offiaccount.ErrBadResponse, "body %q", body)
		assert.Equal(t, 1, e.p.Calls(pathStable), "a malformed answer is not retried: body %q", body)
	}
}

// A POST that may have reached WeChat is never sent twice: only an answer
// that proves WeChat rejected it before acting (an invalid token) repeats it.
func TestFaultPostNotRepeated(t *testing.T) {
	tests := []struct {
		name    string
		fault   offiaccounttest.Fault
		timeout time.Duration
		calls   int
		check   func(t *testing.T, err error)
	}{
		{"dropped connection", offiaccounttest.Fault{Drop: true}, 5 * time.Second, 1, func(t *testing.T, err error) { require.Error(t, err) }},
		{"slow past the deadline", offiaccounttest.Fault{Delay: time.Hour}, 300 * time.Millisecond, 1, func(t *testing.T, err error) {
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}},
		{"502 from a gateway", offiaccounttest.Fault{HTTPStatus: http.StatusBadGateway}, 5 * time.Second, 1, func(t *testing.T, err error) {
			var st *offiaccount.StatusError
			require.ErrorAs(t, err, &st)
		}},
		{"system busy", offiaccounttest.Fault{Errcode: -1}, 5 * time.Second, 1, func(t *testing.T, err error) { require.ErrorIs(t, err, offiaccount.ErrBusy) }},
		{"malformed answer", offiaccounttest.Fault{Body: `{"errcode":0,`}, 5 * time.Second, 1, func(t *testing.T, err error) {
			require.ErrorIs(t, err, offiaccount.ErrBadResponse)
		}},
		{"invalid token: repeated once", offiaccounttest.Fault{Errcode: 40001}, 5 * time.Second, 2, func(t *testing.T, err error) { require.NoError(t, err) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newFaultEnv(t)
			_, err := e.token(5 * time.Second)
			require.NoError(t, err)
			e.p.FailNext(pathCreate, 1, tc.fault)
			err = e.timed(tc.timeout, func(ctx context.Context) error { return e.c.CreateMenu(ctx, testMenu) })
			tc.check(t, err)
			assert.Equal(t, tc.calls, e.p.Calls(pathCreate), "times the POST reached the platform")
		})
	}
}

// A storm of 40001 answers (a token revoked by another process, again and
// again) costs each call at most one repeat and the account a bounded
// number of token fetches, and ends when WeChat accepts tokens again.
//
// The callers' requests are released in rounds (see roundGate): all 32
// first attempts carry the old token and are rejected together, and no
// repeat is rejected before every caller has its new token. Without the
// rounds the count depends on the scheduler: a caller whose first 40001
// comes back after a fast caller's repeat has already dropped the new token
// refetches it, so anything from 2 to about 10 fetches was seen.
func TestFault40001Storm(t *testing.T) {
	const callers = 32
	gate := newRoundGate(pathGet, callers, 2)
	e := newFaultEnv(t)
	gated := *e.p.Client()
	gated.Transport = gate.wrap(gated.Transport)
	logger, _ := testLogger(t)
	c, err := offiaccount.NewClient(hardAppID, hardSecret, offiaccount.WithClientBaseURL(e.p.URL()),
		offiaccount.WithClientHTTPClient(&gated), offiaccount.WithClientLogger(logger))
	require.NoError(t, err)
	e.c = c
	_, err = e.token(5 * time.Second)
	require.NoError(t, err)
	before := e.p.Calls(pathStable)
	e.p.FailNext(pathGet, 2*callers, offiaccounttest.Fault{Errcode: offiaccount.CodeInvalidCredential})

	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.timed(5*time.Second, func(ctx context.Context) error { _, err := e.c.GetMenu(ctx); return err })
			assert.ErrorIs(t, err, offiaccount.ErrTokenInvalid)
		}()
	}
	wg.Wait()
	require.False(t, gate.timedOut(), "every round gathered all callers")
	assert.Equal(t, 2*callers, e.p.Calls(pathGet), "each call is repeated exactly once")
	// stable_token's normal mode hands back the rejected token (still valid at WeChat), so
	// the one refresh asks again with force_refresh: two calls serve all 32 callers.
	assert.Equal(t, 2, e.p.Calls(pathStable)-before, "one refresh serves every rejected caller")

	// The storm passes: the next call gets the real answer.
	err = e.timed(5*time.Second, func(ctx context.Context) error { _, err := e.c.GetMenu(ctx); return err })
	var apiErr *offiaccount.APIError
	if errors.As(err, &apiErr) {
		assert.Equal(t, offiaccount.CodeMenuNotExist, apiErr.Code, "after the storm only the real answer is left")
	} else {
		assert.NoError(t, err)
	}
}

// roundGate holds requests to one path until size of them have arrived, then releases them
// together, for the given number of rounds; later requests pass at once. A round that does
// not fill within 3 s is released anyway and reported by timedOut, so a broken client fails
// the test instead of hanging it.
type roundGate struct {
	path   string
	size   int
	rounds int

	mu      sync.Mutex
	arrived int
	release chan struct{}
	late    bool
}

func newRoundGate(path string, size, rounds int) *roundGate {
	return &roundGate{path: path, size: size, rounds: rounds, release: make(chan struct{})}
}

func (g *roundGate) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == g.path {
			g.wait()
		}
		return next.RoundTrip(r)
	})
}

func (g *roundGate) wait() {
	g.mu.Lock()
	if g.arrived >= g.size*g.rounds {
		g.mu.Unlock()
		return
	}
	g.arrived++
	ch := g.release
	if g.arrived%g.size == 0 {
		close(ch)
		g.release = make(chan struct{})
	}
	g.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(3 * time.Second):
		g.mu.Lock()
		g.late = true
		g.mu.Unlock()
	}
}

func (g *roundGate) timedOut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.late
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Whatever the platform does, every call of every kind returns by its
// deadline and nothing keeps running after the platform closes.
func TestFaultNeverHangs(t *testing.T) {
	e := newFaultEnv(t)
	_, err := e.token(5 * time.Second)
	require.NoError(t, err)
	for _, p := range []string{pathCreate, pathGet, "/cgi-bin/menu/delete", "/cgi-bin/ticket/getticket", pathStable} {
		e.p.FailNext(p, 100, offiaccounttest.Fault{Delay: time.Hour})
	}
	calls := []func(ctx context.Context) error{
		func(ctx context.Context) error { return e.c.CreateMenu(ctx, testMenu) },
		func(ctx context.Context) error { _, err := e.c.GetMenu(ctx); return err },
		func(ctx context.Context) error { return e.c.DeleteMenu(ctx) },
		func(ctx context.Context) error { _, err := e.c.JSAPITicket(ctx); return err },
		func(ctx context.Context) error { _, err := e.c.RefreshAccessToken(ctx); return err },
	}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.timed(200*time.Millisecond, calls[i%len(calls)])
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		}()
	}
	wg.Wait()
}

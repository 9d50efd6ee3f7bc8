package offiaccount

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTokenRefreshMargin is how long before its expiry a cached access_token or ticket is
// replaced. It matches stable_token's overlap: WeChat issues the next token 5 minutes before
// the current one expires.
const DefaultTokenRefreshMargin = 5 * time.Minute

// Kind names of the credentials a Client caches; a store key is "<AppID>:<kind>".
const (
	credAccessToken = "access_token"

	tokenPathStable = "/cgi-bin/stable_token"
	tokenPathLegacy = "/cgi-bin/token"

	// lockLease bounds how long a dead refresher holds up the other processes.
	lockLease = 15 * time.Second
	// forceRefreshInterval is WeChat's minimum spacing of force_refresh calls.
	forceRefreshInterval = 30 * time.Second
	// fetchAttempts bounds the calls to a token endpoint that is busy or failing.
	fetchAttempts = 3
	// storeOpTimeout bounds the store calls made on the way out (unlock) after ctx ended.
	storeOpTimeout = 5 * time.Second
)

// TokenSource supplies access_tokens in place of WeChat's token endpoints, for accounts whose
// tokens come from a central token service (中控服务器). The Client still caches what it
// returns (in its [TokenStore]) and calls it only when the cached token is missing, about to
// expire, or rejected by WeChat.
type TokenSource interface {
	// Token returns an access_token and how long it stays valid. rejected, when not empty,
	// is a token WeChat has just refused (errcode 40001, 40014 or 42001): return another one.
	Token(ctx context.Context, rejected string) (token string, expiresIn time.Duration, err error)
}

// TokenSourceFunc adapts a function to [TokenSource].
type TokenSourceFunc func(ctx context.Context, rejected string) (token string, expiresIn time.Duration, err error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context, rejected string) (string, time.Duration, error) {
	return f(ctx, rejected)
}

// WithClientTokenStore shares the account's access_token and tickets through s, typically a store
// over Redis when several servers run one account. The default is a [MemoryTokenStore] of the
// Client's own.
func WithClientTokenStore(s TokenStore) ClientOption {
	return func(c *Client) error {
		if isNil(s) {
			return errors.New("offiaccount: WithClientTokenStore: nil store")
		}
		c.tokens.store = s
		return nil
	}
}

// WithClientLegacyTokenEndpoint fetches access_tokens from GET /cgi-bin/token instead of POST
// /cgi-bin/stable_token. Every fetch there issues a new token and retires the previous one
// after about 5 minutes, so use it only when the whole account uses it and shares one
// [TokenStore]. See https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
func WithClientLegacyTokenEndpoint() ClientOption {
	return func(c *Client) error {
		c.tokens.legacy = true
		return nil
	}
}

// WithClientTokenRefreshMargin replaces cached tokens and tickets d before they expire instead of
// [DefaultTokenRefreshMargin]. d must be between 0 and 1 hour.
func WithClientTokenRefreshMargin(d time.Duration) ClientOption {
	return func(c *Client) error {
		if d < 0 || d > time.Hour {
			return fmt.Errorf("offiaccount: WithClientTokenRefreshMargin: %v is outside [0, 1h]", d)
		}
		c.tokens.margin = d
		c.tokens.marginSet = true
		return nil
	}
}

// WithClientTokenSource takes access_tokens from src instead of WeChat's token endpoints; the
// AppSecret is then never sent.
func WithClientTokenSource(src TokenSource) ClientOption {
	return func(c *Client) error {
		if isNil(src) {
			return errors.New("offiaccount: WithClientTokenSource: nil source")
		}
		c.tokens.source = src
		return nil
	}
}

// withClock replaces the wall clock in tests.
func withClock(clk clock) ClientOption {
	return func(c *Client) error {
		c.tokens.clk = clk
		return nil
	}
}

// clock is time.Now and time.AfterFunc, replaceable in tests.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// tokenCache is the Client's credential machinery: configuration, the access_token's cache,
// and the caches of other kinds (tickets), created on first use.
type tokenCache struct {
	c         *Client
	store     TokenStore
	source    TokenSource
	legacy    bool
	margin    time.Duration
	marginSet bool
	clk       clock
	retryBase time.Duration // first backoff of a failing token endpoint

	storeTimeout time.Duration // bound of each store call; see storeBreaker
	storeCoolOff time.Duration

	access    credCache
	lastForce atomic.Int64 // unix nanoseconds of the last force_refresh in this process

	kindsMu sync.Mutex
	kinds   atomic.Pointer[map[string]*credCache] // copy on write
}

func (t *tokenCache) init(c *Client) {
	t.c = c
	if t.store == nil {
		t.store = NewMemoryTokenStore()
	}
	if _, inMemory := t.store.(*MemoryTokenStore); !inMemory {
		// A store that does I/O gets a timeout and a circuit breaker.
		if t.storeTimeout == 0 {
			t.storeTimeout = DefaultTokenStoreTimeout
		}
		if t.storeCoolOff == 0 {
			t.storeCoolOff = TokenStoreCoolOff
		}
		t.store = &storeBreaker{s: t.store, timeout: t.storeTimeout, coolOff: t.storeCoolOff, logger: c.logger}
	}
	if !t.marginSet {
		t.margin = DefaultTokenRefreshMargin
	}
	if t.clk == nil {
		t.clk = realClock{}
	}
	if t.retryBase == 0 {
		t.retryBase = 200 * time.Millisecond
	}
	t.access.setup(t, credAccessToken)
	m := map[string]*credCache{credAccessToken: &t.access}
	t.kinds.Store(&m)
}

// knownValues appends every credential this Client holds (fresh, last, rejected) to dst, for
// scrubbing error text.
func (t *tokenCache) knownValues(dst []string) []string {
	kinds := t.kinds.Load()
	if kinds == nil {
		return dst
	}
	for _, cc := range *kinds {
		if e := cc.cur.Load(); e != nil {
			dst = append(dst, e.value)
		}
		if e := cc.last.Load(); e != nil {
			dst = append(dst, e.value)
		}
		cc.mu.Lock()
		dst = append(dst, cc.rejected)
		cc.mu.Unlock()
	}
	return dst
}

// cache returns the cache of one credential kind, creating it on first use.
func (t *tokenCache) cache(kind string) *credCache {
	if cc := (*t.kinds.Load())[kind]; cc != nil {
		return cc
	}
	t.kindsMu.Lock()
	defer t.kindsMu.Unlock()
	old := *t.kinds.Load()
	if cc := old[kind]; cc != nil {
		return cc
	}
	cc := new(credCache)
	cc.setup(t, kind)
	m := make(map[string]*credCache, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[kind] = cc
	t.kinds.Store(&m)
	return cc
}

// AccessToken returns a valid access_token of the account (接口调用凭据), for APIs this package
// does not wrap. A warm read is one atomic load; otherwise the token comes from the
// [TokenStore] or, when that has none fresh, from /cgi-bin/stable_token, fetched once for all
// concurrent callers and, through the store's lock, for all processes of the account.
// See https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	return loadOr(ctx, &c.tokens.access.cur, c, (*Client).accessTokenSlow)
}

// loadOr is the warm read: one atomic load, no lock, no allocation. slow is a parameter, not
// a direct call, because the inliner prices a call through a parameter low enough that
// AccessToken inlines into its callers; BenchmarkAccessTokenWarm keeps it honest.
func loadOr(ctx context.Context, cur *atomic.Pointer[credEntry], c *Client, slow func(*Client, context.Context) (string, error)) (string, error) {
	if e := cur.Load(); e != nil {
		return e.value, nil
	}
	return slow(c, ctx)
}

func (c *Client) accessTokenSlow(ctx context.Context) (string, error) {
	return c.tokens.access.get(ctx, c.tokens.fetchAccessToken)
}

// InvalidateAccessToken tells the Client that WeChat rejected token (errcode 40001, 40014 or
// 42001) on a call made outside this package. The Client drops it from its cache and its store,
// unless it was already replaced, and the next [Client.AccessToken] gets another one.
func (c *Client) InvalidateAccessToken(ctx context.Context, token string) {
	c.invalidateToken(ctx, token)
}

// RefreshAccessToken drops the cached access_token everywhere it is shared and gets another
// one. With stable_token it uses force_refresh only when normal mode hands back the token just
// dropped, at most once per 30 seconds per account (WeChat allows 20 a day), so it cannot
// burn the day's quota in a loop.
func (c *Client) RefreshAccessToken(ctx context.Context) (string, error) {
	cc := &c.tokens.access
	if e := cc.cur.Load(); e != nil {
		c.invalidateToken(ctx, e.value)
	} else if e := cc.last.Load(); e != nil {
		c.invalidateToken(ctx, e.value)
	}
	return c.AccessToken(ctx)
}

// invalidateToken drops failed from the cache and the store if it is still the token there.
func (c *Client) invalidateToken(ctx context.Context, failed string) {
	c.tokens.access.invalidate(ctx, failed)
}

// credential returns the cached credential of kind (a ticket kind such as "ticket:jsapi"),
// calling fetch when neither the local copy nor the store holds a fresh one. Same guarantees
// as AccessToken: single flight in process, the store's lock across processes, refresh before
// expiry by the margin.
func (c *Client) credential(ctx context.Context, kind string, fetch func(ctx context.Context) (string, time.Duration, error)) (string, error) {
	cc := c.tokens.cache(kind)
	if e := cc.cur.Load(); e != nil {
		return e.value, nil
	}
	return cc.get(ctx, func(ctx context.Context, _ string) (string, time.Duration, error) { return fetch(ctx) })
}

// invalidateCredential drops failed from the cache of kind and from the store, if it is still
// the value there.
func (c *Client) invalidateCredential(ctx context.Context, kind, failed string) {
	c.tokens.cache(kind).invalidate(ctx, failed)
}

// fetchAccessToken gets an access_token from the TokenSource or WeChat. When stable_token's
// normal mode hands back the token WeChat just rejected, it asks again with force_refresh,
// if no force_refresh happened for the account in the last 30 seconds.
func (t *tokenCache) fetchAccessToken(ctx context.Context, rejected string) (string, time.Duration, error) {
	if t.source != nil {
		return t.source.Token(ctx, rejected)
	}
	if t.legacy {
		return t.fetchWithRetry(ctx, false)
	}
	tok, in, err := t.fetchWithRetry(ctx, false)
	if err != nil || rejected == "" || tok != rejected || !t.allowForceRefresh(ctx) {
		return tok, in, err
	}
	t.c.logger.LogAttrs(ctx, slog.LevelInfo, "offiaccount: stable_token returned the rejected token, forcing a refresh",
		slog.String("appid", t.c.appID))
	ftok, fin, ferr := t.fetchWithRetry(ctx, true)
	if ferr != nil {
		t.c.logger.LogAttrs(ctx, slog.LevelWarn, "offiaccount: force_refresh failed",
			slog.String("appid", t.c.appID), slog.String("error", ferr.Error()))
		return tok, in, nil
	}
	return ftok, fin, nil
}

// allowForceRefresh spends the account's force_refresh allowance: one per 30 s in this process
// and, through a lock whose lease is never released early, across the store's processes.
func (t *tokenCache) allowForceRefresh(ctx context.Context) bool {
	now := t.clk.Now().UnixNano()
	last := t.lastForce.Load()
	if last != 0 && now-last < int64(forceRefreshInterval) {
		return false
	}
	if !t.lastForce.CompareAndSwap(last, now) {
		return false
	}
	ok, err := t.store.TryLock(ctx, t.access.key+":force_refresh", newOwner(), forceRefreshInterval)
	if err != nil {
		t.access.logStoreErr(ctx, "lock", err)
		return true
	}
	return ok
}

// fetchWithRetry calls the token endpoint, retrying busy answers (-1), 5xx statuses and
// network errors a bounded number of times with backoff inside ctx. Other errors (wrong
// secret, IP not whitelisted, malformed answers) come back at once.
func (t *tokenCache) fetchWithRetry(ctx context.Context, force bool) (string, time.Duration, error) {
	wait := t.retryBase
	for attempt := 1; ; attempt++ {
		tok, in, err := t.fetchOnce(ctx, force)
		if err == nil || attempt == fetchAttempts || !retryableTokenErr(err) || ctx.Err() != nil {
			return tok, in, err
		}
		t.c.logger.LogAttrs(ctx, slog.LevelWarn, "offiaccount: token endpoint failed, retrying",
			slog.Int("attempt", attempt), slog.String("error", err.Error()))
		if serr := sleepCtx(ctx, jitter(wait)); serr != nil {
			return "", 0, err
		}
		wait *= 2
	}
}

func retryableTokenErr(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == CodeBusy
	}
	var stErr *StatusError
	if errors.As(err, &stErr) {
		return stErr.StatusCode >= 500
	}
	if errors.Is(err, ErrBadResponse) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return true // transport errors
}

// stableTokenRequest is the body of POST /cgi-bin/stable_token.
type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// fetchOnce makes one call to the configured token endpoint.
func (t *tokenCache) fetchOnce(ctx context.Context, force bool) (string, time.Duration, error) {
	c := t.c
	var out tokenAnswer
	var err error
	path := tokenPathStable
	if t.legacy {
		path = tokenPathLegacy
		q := url.Values{"grant_type": {"client_credential"}, "appid": {c.appID}, "secret": {c.appSecret}}
		err = c.doNoToken(ctx, http.MethodGet, path, q, nil, &out)
	} else {
		in := stableTokenRequest{GrantType: "client_credential", AppID: c.appID, Secret: c.appSecret, ForceRefresh: force}
		err = c.doNoToken(ctx, http.MethodPost, path, nil, in, &out)
	}
	if err != nil {
		return "", 0, err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 || out.ExpiresIn > 1<<31 {
		return "", 0, fmt.Errorf("%w: %s: no access_token or expires_in in answer", ErrBadResponse, path)
	}
	return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
}

// newOwner returns a random lock owner value.
func newOwner() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// jitter spreads d over [d/2, d) so that waiting processes do not poll in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + mrand.N(d/2)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package component

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// echoErr is what a chatty transport (a debugging proxy, an instrumented RoundTripper)
// returns: the request and every answer it served before.
type echoErr struct{ text string }

func (e *echoErr) Error() string { return e.text }

// echoTransport answers the paths in ok until failAll, and fails the others with an error
// that quotes the request's URL and body and the answers it gave before.
type echoTransport struct {
	mu      sync.Mutex
	ok      map[string]string
	fail    map[string]bool
	failAll bool
	dial    bool // wrap the echo in a dial *net.OpError, which makes the Client fail over
	seen    []string
}

func (e *echoTransport) set(f func(e *echoTransport)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
}

func (e *echoTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ans, ok := e.ok[r.URL.Path]
	if e.failAll || e.fail[r.URL.Path] || !ok {
		err := error(&echoErr{fmt.Sprintf("proxy refused %s %s body=%s; earlier answers: %s",
			r.Method, r.URL, body, strings.Join(e.seen, " "))})
		if e.dial {
			err = &net.OpError{Op: "dial", Net: "tcp", Err: err}
		}
		return nil, err
	}
	e.seen = append(e.seen, ans)
	return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r, Body: io.NopCloser(strings.NewReader(ans))}, nil
}

type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *lockedBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// assertNoSecretInChain walks every link of err: none may print a secret (raw or
// query-escaped) or be the transport's own error.
func assertNoSecretInChain(t *testing.T, err error, secrets []string) {
	t.Helper()
	var walk func(e error, depth int)
	walk = func(e error, depth int) {
		if e == nil {
			return
		}
		require.Less(t, depth, 50)
		var ee *echoErr
		assert.False(t, errors.As(e, &ee), "the transport's own error is reachable from %T", e)
		for _, f := range []string{"%v", "%+v", "%#v", "%q"} {
			out := fmt.Sprintf(f, e)
			for _, s := range secrets {
				assert.NotContains(t, out, s, "link %d (%T) printed with %s", depth, e, f)
				assert.NotContains(t, out, url.QueryEscape(s), "link %d (%T) printed with %s", depth, e, f)
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range u.Unwrap() {
				walk(inner, depth+1)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap(), depth+1)
		}
	}
	walk(err, 0)
}

// Every request of the platform goes through the root package's call path: whatever the
// transport quotes (the URL with component_access_token or a user's code, the body with the
// component secret, the verify ticket, an authorization code or a refresh token, the answers
// with pre_auth_code and authorizer tokens), no link of the error chain and no log line
// holds a secret.
func TestTransportEchoHoldsNoSecret(t *testing.T) {
	t.Parallel()
	const (
		secret     = "COMPONENTSECRET_0123456789abcdef"
		ticket     = "ticket@@@VERIFYTICKET_0123456789"
		compToken  = "COMPONENTACCESS_0123456789abcdef"
		preAuth    = "preauthcode@@@0123456789abcdef"
		authCode   = "queryauthcode@@@0123456789abcdef"
		authCode2  = "queryauthcode@@@fedcba9876543210"
		authAccess = "AUTHORIZERACCESS_0123456789abcdef"
		authRefr   = "refreshtoken@@@0123456789abcdef"
		userCode   = "USERCODE_0123456789abcdef"
		acct       = "wx662cb49bb43af689"
	)
	secrets := []string{secret, ticket, compToken, preAuth, authCode, authCode2, authAccess, authRefr, userCode}
	for _, dial := range []bool{false, true} {
		dial := dial
		t.Run(fmt.Sprintf("dial=%v", dial), func(t *testing.T) {
			t.Parallel()
			et := &echoTransport{dial: dial, fail: map[string]bool{}, ok: map[string]string{
				"/cgi-bin/component/api_component_token":    `{"component_access_token":"` + compToken + `","expires_in":7200}`,
				"/cgi-bin/component/api_create_preauthcode": `{"pre_auth_code":"` + preAuth + `","expires_in":1800}`,
				"/cgi-bin/component/api_query_auth": `{"authorization_info":{"authorizer_appid":"` + acct +
					`","authorizer_access_token":"` + authAccess + `","expires_in":7200,"authorizer_refresh_token":"` + authRefr + `"}}`,
			}}
			logs := new(lockedBuf)
			p, err := NewPlatform(testAppID, secret, testToken, testAESKey, // the default base URL: failover on
				WithPlatformHTTPClient(&http.Client{Transport: et}),
				WithPlatformLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			require.NoError(t, err)
			ctx := context.Background()
			require.NoError(t, p.SetVerifyTicket(ctx, ticket))
			check := func(what string, err error) {
				t.Helper()
				require.Error(t, err, what)
				assert.Contains(t, err.Error(), "proxy refused", what)
				assertNoSecretInChain(t, err, secrets)
				var ue *url.Error
				assert.True(t, errors.As(err, &ue), "%s: a *url.Error is still reachable: %v", what, err)
			}

			et.set(func(e *echoTransport) { e.fail["/cgi-bin/component/api_component_token"] = true })
			_, err = p.ComponentAccessToken(ctx) // body: component_appsecret, component_verify_ticket
			check("component token", err)
			et.set(func(e *echoTransport) { e.fail = map[string]bool{} })
			_, err = p.CreatePreAuthCode(ctx) // the answers quoted from now on hold these
			require.NoError(t, err)
			_, err = p.QueryAuth(ctx, authCode)
			require.NoError(t, err)

			et.set(func(e *echoTransport) { e.failAll = true })
			_, err = p.QueryAuth(ctx, authCode2) // query: component_access_token; body: authorization_code
			check("query auth", err)
			_, err = p.RefreshAuthorizerToken(ctx, acct, authRefr)
			check("refresh authorizer token", err)
			_, err = p.CreatePreAuthCode(ctx)
			check("pre-auth code", err)
			_, err = p.ExchangeCode(ctx, acct, userCode) // query: code, component_access_token
			check("web authorization code", err)
			c, err := p.AuthorizerClient(acct)
			require.NoError(t, err)
			err = c.Call(ctx, http.MethodGet, "/cgi-bin/menu/get", nil, nil, nil) // query: the authorizer token
			check("account API call", err)
			_, err = c.RefreshAccessToken(ctx) // the authorizer source: api_authorizer_token
			check("authorizer token refresh", err)

			out := logs.String()
			for _, s := range secrets {
				assert.NotContains(t, out, s)
				assert.NotContains(t, out, url.QueryEscape(s))
			}
			if dial {
				assert.Contains(t, out, "trying another", "the failover warnings were checked")
			}
		})
	}
}

// TestResultValuesHideSecrets: the tokens, codes and tickets of the values the package
// returns stay out of fmt (%v, %+v, %#v, as values, pointers or inside a list) and out of
// slog, whose JSON handler would otherwise marshal them by their json tags.
func TestResultValuesHideSecrets(t *testing.T) {
	const secret = "SECRETsecretSECRET"
	auth := Authorization{AuthorizerAppID: "wx1111111111111111", AccessToken: secret + "a", RefreshToken: secret + "r"}
	tok := AuthorizerToken{AccessToken: secret + "a", RefreshToken: secret + "r", ExpiresIn: 7200}
	item := AuthorizerListItem{AuthorizerAppID: "wx1111111111111111", RefreshToken: secret + "r", AuthTime: 1}
	list := AuthorizerList{TotalCount: 1, List: []AuthorizerListItem{item}}
	ev := AuthEvent{AppID: "wx2222222222222222", InfoType: InfoTypeAuthorized, ComponentVerifyTicket: secret + "t",
		AuthorizationCode: secret + "c", PreAuthCode: secret + "p", Authorization: &auth}
	req := AuthURLRequest{PreAuthCode: secret + "p", RedirectURI: "https://example.com/cb"}
	pre := PreAuthCode{Code: secret + "p", ExpiresIn: time.Minute}
	values := []any{auth, &auth, tok, &tok, item, &item, list, &list, ev, &ev, req, &req, pre, &pre}
	for i, v := range append(values, struct{ A Authorization }{auth}, []Authorization{auth}) {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(format, v)
			assert.NotContains(t, out, secret, "%s of %T", format, v)
		}
		if i >= len(values) {
			continue // slog marshals what it is given, not what is nested in it
		}
		var b strings.Builder
		slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "v", v)
		slog.New(slog.NewTextHandler(&b, nil)).Info("x", "v", v)
		assert.NotContains(t, b.String(), secret, "slog of %T", v)
	}
	assert.Contains(t, fmt.Sprint(list), "wx1111111111111111", "the AppIDs still show")
}

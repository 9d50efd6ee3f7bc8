package offiaccount

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testAppID  = "wx1234567890abcdef"
	testSecret = "s3cr3t-app-secret-value"
	testToken  = "ACCESS_TOKEN_VALUE_1"
)

// newMockClient returns a Client whose requests go to a fresh httpmock transport that already
// answers the token endpoint.
func newMockClient(t *testing.T, opts ...ClientOption) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+"/cgi-bin/stable_token",
		httpmock.NewStringResponder(200, `{"access_token":"`+testToken+`","expires_in":7200}`))
	c, err := NewClient(testAppID, testSecret, append([]ClientOption{WithClientHTTPClient(&http.Client{Transport: mt})}, opts...)...)
	require.NoError(t, err)
	return c, mt
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := NewClient("", "s")
	assert.Error(t, err)
	_, err = NewClient(testAppID, "")
	assert.Error(t, err)
	for _, bad := range []string{"", "ftp://x", "api.weixin.qq.com", "https://x/?a=b", "https://x/#f", "http://"} {
		_, err = NewClient(testAppID, "s", WithClientBaseURL(bad))
		assert.Error(t, err, bad)
	}
	_, err = NewClient(testAppID, "s", WithClientHTTPClient(nil))
	assert.Error(t, err)
	_, err = NewClient(testAppID, "s", WithClientLogger(nil))
	assert.Error(t, err)

	c, err := NewClient(testAppID, "s", WithClientBaseURL("https://sh.api.weixin.qq.com/"))
	require.NoError(t, err)
	assert.Equal(t, "https://sh.api.weixin.qq.com", c.baseURL)
	assert.NotZero(t, c.httpClient.Timeout, "default client has a timeout")
	assert.NotSame(t, http.DefaultClient, c.httpClient)
}

func TestWithHTTPClientCopies(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Timeout: time.Second}
	c, err := NewClient(testAppID, "s", WithClientHTTPClient(hc))
	require.NoError(t, err)
	hc.Timeout = time.Hour
	assert.Equal(t, time.Second, c.httpClient.Timeout)
}

func TestCallPathSuccess(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var gotBody map[string]any
	var gotQuery string
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+"/cgi-bin/test/post", func(r *http.Request) (*http.Response, error) {
		gotQuery = r.URL.RawQuery
		assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
		raw, _ := io.ReadAll(r.Body)
		assert.Contains(t, string(raw), `"url":"https://a.example/?x=1&y=<2>"`, "no HTML escaping")
		assert.Contains(t, string(raw), `"name":"今日歌曲"`, "UTF-8 kept raw")
		require.NoError(t, json.Unmarshal(raw, &gotBody))
		return httpmock.NewStringResponse(200, `{"errcode":0,"errmsg":"ok","menuid":42}`), nil
	})
	var out struct {
		MenuID int `json:"menuid"`
	}
	in := map[string]string{"url": "https://a.example/?x=1&y=<2>", "name": "今日歌曲"}
	require.NoError(t, c.postJSON(context.Background(), "/cgi-bin/test/post", map[string][]string{"lang": {"zh_CN"}}, in, &out))
	assert.Equal(t, 42, out.MenuID)
	assert.Equal(t, "今日歌曲", gotBody["name"])
	assert.Contains(t, gotQuery, "access_token="+testToken)
	assert.Contains(t, gotQuery, "lang=zh_CN")
}

func TestCallPathErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, err error)
	}{
		{"errcode", 200, `{"errcode":40018,"errmsg":"invalid button name size rid: 6571-abc-def"}`, func(t *testing.T, err error) {
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 40018, apiErr.Code)
			assert.Equal(t, "invalid button name size", apiErr.Message)
			assert.Equal(t, "6571-abc-def", apiErr.RID)
			assert.Equal(t, "/cgi-bin/x", apiErr.Path)
			assert.Equal(t, "offiaccount: /cgi-bin/x: errcode 40018: invalid button name size (rid 6571-abc-def)", err.Error())
		}},
		{"busy", 200, `{"errcode":-1,"errmsg":"system error"}`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrBusy)
			assert.NotErrorIs(t, err, ErrTokenInvalid)
		}},
		{"quota", 200, `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrQuota)
		}},
		{"rate", 200, `{"errcode":45011,"errmsg":"api minute-quota reach limit"}`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrRateLimited)
		}},
		{"ip whitelist", 200, `{"errcode":40164,"errmsg":"invalid ip 1.2.3.4, not in whitelist"}`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrIPNotWhitelisted)
		}},
		{"http 502", 502, `<html>bad gateway</html>`, func(t *testing.T, err error) {
			var se *StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, 502, se.StatusCode)
		}},
		{"malformed json", 200, `{"errcode":0,`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrBadResponse)
		}},
		{"wrong type", 200, `{"errcode":0,"menuid":"not a number"}`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrBadResponse)
		}},
		{"html", 200, `<html></html>`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrBadResponse)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, DefaultBaseURL+"/cgi-bin/x", httpmock.NewStringResponder(tc.status, tc.body))
			var out struct {
				MenuID int `json:"menuid"`
			}
			err := c.getJSON(context.Background(), "/cgi-bin/x", nil, &out)
			require.Error(t, err)
			tc.check(t, err)
			assert.NotContains(t, err.Error(), testToken)
			assert.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestCallPathOversizeAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			fmt.Fprint(w, `{"access_token":"T","expires_in":7200}`)
			return
		}
		w.Write([]byte(`{"errcode":0,"pad":"`))
		w.Write([]byte(strings.Repeat("x", maxResponseBytes)))
		w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	c, err := NewClient(testAppID, testSecret, WithClientBaseURL(srv.URL))
	require.NoError(t, err)
	err = c.getJSON(context.Background(), "/cgi-bin/big", nil, nil)
	assert.ErrorIs(t, err, ErrBadResponse)
}

func TestCallPathRetriesOnceOnTokenError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+"/cgi-bin/send", func(r *http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			return httpmock.NewStringResponse(200, `{"errcode":42001,"errmsg":"access_token expired"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"errcode":0,"errmsg":"ok"}`), nil
	})
	require.NoError(t, c.postJSON(context.Background(), "/cgi-bin/send", nil, map[string]int{"a": 1}, nil))
	assert.Equal(t, int32(2), calls.Load())

	// A token error on the retry too is returned, not looped on.
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+"/cgi-bin/always", httpmock.NewStringResponder(200, `{"errcode":40001,"errmsg":"invalid credential"}`))
	err := c.postJSON(context.Background(), "/cgi-bin/always", nil, map[string]int{"a": 1}, nil)
	assert.ErrorIs(t, err, ErrTokenInvalid)
	assert.Equal(t, 2, mt.GetCallCountInfo()["POST "+DefaultBaseURL+"/cgi-bin/always"])
}

func TestCallPathNetworkErrorNotRetriedAndRedacted(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+"/cgi-bin/send", httpmock.NewErrorResponder(errors.New("connection reset by peer")))
	err := c.postJSON(context.Background(), "/cgi-bin/send", nil, map[string]int{"a": 1}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection reset by peer")
	assert.NotContains(t, err.Error(), testToken)
	assert.Contains(t, err.Error(), "access_token=REDACTED")
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+DefaultBaseURL+"/cgi-bin/send"])
}

func TestCallPathContextCancelled(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			fmt.Fprint(w, `{"access_token":"T","expires_in":7200}`)
			return
		}
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c, err := NewClient(testAppID, testSecret, WithClientBaseURL(srv.URL))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.getJSON(ctx, "/cgi-bin/slow", nil, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.NotContains(t, err.Error(), "access_token=T")
}

func TestClientKeepsSecretOutOfOutput(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	c, mt := newMockClient(t, WithClientLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	mt.RegisterResponder(http.MethodGet, DefaultBaseURL+"/cgi-bin/x", httpmock.NewStringResponder(200, `{"errcode":40014,"errmsg":"invalid access_token"}`))
	_ = c.getJSON(context.Background(), "/cgi-bin/x", nil, nil)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("client", "c", c)
	out := logs.String() + fmt.Sprint(c) + fmt.Sprintf("%v %+v", c, c)
	assert.NotContains(t, out, testSecret)
	assert.NotContains(t, out, testToken)
	assert.Contains(t, out, testAppID)
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	got := redactURL("https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=A&secret=S&access_token=T")
	assert.NotContains(t, got, "=S")
	assert.NotContains(t, got, "=T")
	assert.Contains(t, got, "appid=A")
	assert.Equal(t, "[unparsable URL]", redactURL("%zz://"))
}

func TestTokenCategoryIsTheAccountsOnly(t *testing.T) {
	t.Parallel()
	assert.ErrorIs(t, &APIError{Code: 40001, Path: "/cgi-bin/menu/get"}, ErrTokenInvalid)
	assert.NotErrorIs(t, &APIError{Code: 40001, Path: "/sns/userinfo"}, ErrTokenInvalid, "a user's web token")
	assert.NotErrorIs(t, &APIError{Code: 40013, Path: "/cgi-bin/menu/get"}, ErrTokenInvalid)
}

func TestEmptySecretOnlyWithTokenSource(t *testing.T) {
	t.Parallel()
	_, err := NewClient(testAppID, "")
	assert.Error(t, err)
	src := TokenSourceFunc(func(context.Context, string) (string, time.Duration, error) {
		return "CENTRAL", time.Hour, nil
	})
	c, err := NewClient(testAppID, "", WithClientTokenSource(src))
	require.NoError(t, err)
	tok, err := c.AccessToken(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "CENTRAL", tok)
}

// No nil argument makes a constructor or an option panic: each is an error.
func TestNilArgumentsAreErrors(t *testing.T) {
	t.Parallel()
	var nilStore *MemoryTokenStore
	var nilSourceFunc TokenSourceFunc
	cases := map[string]ClientOption{
		"nil option":         nil,
		"nil store":          WithClientTokenStore(nil),
		"typed nil store":    WithClientTokenStore(nilStore),
		"nil http client":    WithClientHTTPClient(nil),
		"nil logger":         WithClientLogger(nil),
		"nil token source":   WithClientTokenSource(nil),
		"typed nil source":   WithClientTokenSource(nilSourceFunc),
		"bad failover entry": WithClientFailoverBaseURLs(""),
	}
	for name, opt := range cases {
		assert.NotPanics(t, func() {
			_, err := NewClient(testAppID, testSecret, opt)
			assert.Error(t, err, name)
		}, name)
	}
	c, err := NewClient(testAppID, testSecret)
	require.NoError(t, err)
	assert.NotPanics(t, func() {
		_, err := c.AuthCodeURL("https://example.com/cb", ScopeBase, "s", nil)
		assert.Error(t, err)
	})
}

// echoErr is what a chatty transport (a debugging proxy, an instrumented RoundTripper)
// returns: the full request and every answer it served before.
type echoErr struct{ text string }

func (e *echoErr) Error() string { return e.text }

// echoTransport answers paths in ok and fails paths in fail with an error that echoes the
// request URL, its body, and the answers given so far.
type echoTransport struct {
	mu   sync.Mutex
	ok   map[string]string
	fail map[string]bool
	seen []string
}

func (e *echoTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail[r.URL.Path] {
		return nil, &echoErr{fmt.Sprintf("proxy refused %s %s body=%s; earlier answers: %s",
			r.Method, r.URL.String(), body, strings.Join(e.seen, " "))}
	}
	ans, ok := e.ok[r.URL.Path]
	if !ok {
		return nil, fmt.Errorf("no answer for %s", r.URL.Path)
	}
	e.seen = append(e.seen, ans)
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(ans)), Header: http.Header{}, Request: r}, nil
}

// No error the Client returns and no line it logs holds a secret, whatever the transport
// puts in its error text: the AppSecret (stable and legacy token endpoints), the
// access_token, a ticket, an OAuth code, a user's access and refresh tokens.
func TestErrorsAndLogsHoldNoSecretWhateverTheTransportSays(t *testing.T) {
	t.Parallel()
	const (
		secret    = "Sup3rS3cretValue0123456789abcdef"
		token     = "ACCESSTOKEN_abcdef0123456789"
		ticket    = "JSAPITICKET_bxLdikRXVbTPdHSM05e5u5"
		code      = "OAUTHCODE_0612345abcdef"
		userAT    = "USERACCESS_0123456789ab"
		refreshTk = "USERREFRESH_0123456789ab"
	)
	secrets := []string{secret, token, ticket, code, userAT, refreshTk}
	answers := map[string]string{
		tokenPathStable:                 `{"access_token":"` + token + `","expires_in":7200}`,
		tokenPathLegacy:                 `{"access_token":"` + token + `","expires_in":7200}`,
		"/cgi-bin/ticket/getticket":     `{"errcode":0,"ticket":"` + ticket + `","expires_in":7200}`,
		"/sns/oauth2/access_token":      `{"access_token":"` + userAT + `","expires_in":7200,"refresh_token":"` + refreshTk + `","openid":"oOPEN","scope":"snsapi_base"}`,
		"/cgi-bin/get_api_domain_ip":    `{"ip_list":[]}`,
		"/sns/oauth2/refresh_token":     `{}`,
		"/cgi-bin/menu/get":             `{}`,
		"/cgi-bin/callback/check":       `{}`,
		"/cgi-bin/user/info":            `{}`,
		"/cgi-bin/get_current_selfmenu": `{}`,
	}
	newClient := func(t *testing.T, fail []string, opts ...ClientOption) (*Client, *echoTransport, *syncBuffer) {
		et := &echoTransport{ok: answers, fail: map[string]bool{}}
		for _, p := range fail {
			et.fail[p] = true
		}
		logs := new(syncBuffer)
		opts = append(opts, WithClientHTTPClient(&http.Client{Transport: et}),
			WithClientLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		c, err := NewClient(testAppID, secret, opts...)
		require.NoError(t, err)
		c.tokens.retryBase = time.Millisecond
		return c, et, logs
	}
	check := func(t *testing.T, err error, logs *syncBuffer) {
		t.Helper()
		require.Error(t, err)
		assertNoSecretInChain(t, err, secrets...)
		for _, s := range secrets {
			assert.NotContains(t, err.Error(), s)
			assert.NotContains(t, logs.String(), s)
		}
		assert.Contains(t, err.Error(), "[REDACTED]")
	}

	t.Run("stable token endpoint", func(t *testing.T) {
		c, _, logs := newClient(t, []string{tokenPathStable})
		_, err := c.AccessToken(context.Background())
		check(t, err, logs)
		assert.Contains(t, logs.String(), "retrying", "the retry warnings were checked too")
	})
	t.Run("legacy token endpoint", func(t *testing.T) {
		c, _, logs := newClient(t, []string{tokenPathLegacy}, WithClientLegacyTokenEndpoint())
		_, err := c.AccessToken(context.Background())
		check(t, err, logs)
	})
	t.Run("API call", func(t *testing.T) {
		c, _, logs := newClient(t, []string{"/cgi-bin/menu/get"})
		err := c.getJSON(context.Background(), "/cgi-bin/menu/get", nil, nil)
		check(t, err, logs)
	})
	t.Run("ticket fetch", func(t *testing.T) {
		c, et, logs := newClient(t, nil)
		got, err := c.JSAPITicket(context.Background())
		require.NoError(t, err)
		require.Equal(t, ticket, got)
		c.invalidateCredential(context.Background(), "ticket:"+string(TicketJSAPI), ticket)
		et.mu.Lock()
		et.fail["/cgi-bin/ticket/getticket"] = true
		et.mu.Unlock()
		_, err = c.JSAPITicket(context.Background())
		check(t, err, logs)
	})
	t.Run("streamed media upload", func(t *testing.T) {
		c, _, logs := newClient(t, []string{"/cgi-bin/media/upload"})
		_, err := c.UploadMedia(context.Background(), MediaImage, "a.jpg", strings.NewReader("\xff\xd8 jpeg"))
		check(t, err, logs)
	})
	t.Run("OAuth code exchange", func(t *testing.T) {
		c, _, logs := newClient(t, []string{"/sns/oauth2/access_token"})
		_, err := c.ExchangeCode(context.Background(), code)
		check(t, err, logs)
	})
	t.Run("OAuth refresh", func(t *testing.T) {
		c, _, logs := newClient(t, []string{"/sns/oauth2/refresh_token"})
		_, err := c.RefreshUserToken(context.Background(), &UserToken{AccessToken: userAT, RefreshToken: refreshTk, OpenID: "oOPEN"})
		check(t, err, logs)
	})
}

// neverLeft tells errors that prove nothing was sent from those that do not.
func TestNeverLeft(t *testing.T) {
	t.Parallel()
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"connection refused", live, &url.Error{Op: "Post", URL: "u", Err: dial}, true},
		{"no such host", live, &url.Error{Op: "Get", URL: "u", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "api.weixin.qq.com", IsNotFound: true}}}, true},
		{"bare DNS error", live, &net.DNSError{Err: "server misbehaving", Name: "x", IsTemporary: true}, true},
		{"refused but context ended", done, dial, false},
		{"reset while reading", live, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, false},
		{"write failed", live, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}, false},
		{"proxy unreachable", live, &net.OpError{Op: "proxyconnect", Net: "tcp", Err: dial}, false},
		{"timeout awaiting headers", live, &url.Error{Op: "Get", URL: "u", Err: context.DeadlineExceeded}, false},
		{"EOF", live, io.EOF, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, neverLeft(tc.ctx, tc.err), tc.name)
	}
}

// A streamed body that cannot be produced again is never sent to a backup.
func TestRetargetNeedsARewindableBody(t *testing.T) {
	t.Parallel()
	from, _ := parseBaseURL("https://api.weixin.qq.com")
	to, _ := parseBaseURL("https://api2.weixin.qq.com/prefix")
	req, err := http.NewRequest(http.MethodPost, "https://api.weixin.qq.com/cgi-bin/x?access_token=T", strings.NewReader("{}"))
	require.NoError(t, err)
	next, ok := retarget(req, from, to)
	require.True(t, ok)
	assert.Equal(t, "https://api2.weixin.qq.com/prefix/cgi-bin/x?access_token=T", next.URL.String())
	assert.Equal(t, "api2.weixin.qq.com", next.Host)
	body, _ := io.ReadAll(next.Body)
	assert.Equal(t, "{}", string(body))

	req, err = http.NewRequest(http.MethodPost, "https://api.weixin.qq.com/cgi-bin/x", io.MultiReader(strings.NewReader("stream")))
	require.NoError(t, err)
	_, ok = retarget(req, from, to)
	assert.False(t, ok)
}

// With the default base URL the backups are WeChat's documented domains; with another one,
// none unless asked for.
func TestFailoverDefaults(t *testing.T) {
	t.Parallel()
	hosts := func(c *Client) []string {
		var out []string
		for _, u := range c.httpClient.Transport.(*clientTransport).backups {
			out = append(out, u.Host)
		}
		return out
	}
	c, err := NewClient(testAppID, testSecret)
	require.NoError(t, err)
	assert.Equal(t, []string{"api2.weixin.qq.com", "sh.api.weixin.qq.com", "sz.api.weixin.qq.com", "hk.api.weixin.qq.com"}, hosts(c))
	c, err = NewClient(testAppID, testSecret, WithClientBaseURL("https://sh.api.weixin.qq.com/"))
	require.NoError(t, err)
	assert.Equal(t, []string{"api.weixin.qq.com", "api2.weixin.qq.com", "sz.api.weixin.qq.com", "hk.api.weixin.qq.com"}, hosts(c))
	c, err = NewClient(testAppID, testSecret, WithClientBaseURL("https://proxy.example"))
	require.NoError(t, err)
	assert.Empty(t, hosts(c))
	c, err = NewClient(testAppID, testSecret, WithClientFailoverBaseURLs())
	require.NoError(t, err)
	assert.Empty(t, hosts(c))
}

// The order of origins: the base URL first, a sticky backup first until it expires or the
// base URL answers again.
func TestFailoverOrder(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testAppID, testSecret)
	require.NoError(t, err)
	tr := c.httpClient.Transport.(*clientTransport)
	hosts := func() string {
		var out []string
		for _, u := range tr.order() {
			out = append(out, strings.TrimSuffix(u.Host, ".weixin.qq.com"))
		}
		return strings.Join(out, " ")
	}
	assert.Equal(t, "api api2 sh.api sz.api hk.api", hosts())
	tr.settle(tr.backups[1], true)
	assert.Equal(t, "sh.api api api2 sz.api hk.api", hosts())
	tr.settle(tr.backups[1], false)
	assert.Equal(t, "sh.api api api2 sz.api hk.api", hosts(), "a sticky backup answering keeps its place")
	tr.settle(tr.primary, false)
	assert.Equal(t, "api api2 sh.api sz.api hk.api", hosts(), "the base URL answering ends it")
	tr.sticky.Store(&sticky{origin: tr.backups[0], until: time.Now().Add(-time.Second)})
	assert.Equal(t, "api api2 sh.api sz.api hk.api", hosts(), "expired")
}

package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertNoSecretInChain walks every link of err (Unwrap() error and Unwrap() []error) and
// prints each with %v, %+v and %#v: none may hold a secret, and none may be the chatty
// transport's own error.
func assertNoSecretInChain(t *testing.T, err error, secrets ...string) {
	t.Helper()
	var walk func(e error, depth int)
	walk = func(e error, depth int) {
		if e == nil {
			return
		}
		require.Less(t, depth, 50, "a cycle in the error chain")
		var ee *echoErr
		assert.False(t, errors.As(e, &ee), "the transport's own error is reachable from %T", e)
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
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

// leakyTransport answers the token endpoint (unless failToken) and fails every other
// request with wrap applied to a text that echoes the request's method, URL and body.
type leakyTransport struct {
	failToken bool
	wrap      func(r *http.Request, text string) error
}

func (lt leakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	if r.URL.Path == tokenPathStable && !lt.failToken {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"access_token":"` + testToken + `","expires_in":7200}`))}, nil
	}
	return nil, lt.wrap(r, fmt.Sprintf("proxy refused %s %s body=%s", r.Method, r.URL, body))
}

// Whatever error a transport returns, and however it quotes the request, no link of the
// returned error's chain holds a secret or is the transport's own error; what callers test
// (context sentinels, os.ErrDeadlineExceeded, Timeout, *url.Error, *net.OpError) still works.
func TestTransportErrorsAreReplacedWhole(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		wrap     func(r *http.Request, text string) error
		is       []error
		timeout  bool
		opErrOp  string // the *net.OpError's Op, when one must be reachable
		dns      bool   // a *net.DNSError with IsNotFound must be reachable
		notMatch []error
	}{
		{name: "plain", wrap: func(_ *http.Request, s string) error { return &echoErr{s} },
			notMatch: []error{context.DeadlineExceeded, context.Canceled}},
		{name: "deadline", wrap: func(_ *http.Request, s string) error {
			return fmt.Errorf("read: %w: %w", &echoErr{s}, os.ErrDeadlineExceeded)
		}, is: []error{os.ErrDeadlineExceeded}, timeout: true, notMatch: []error{context.Canceled}},
		{name: "context deadline", wrap: func(_ *http.Request, s string) error {
			return fmt.Errorf("%s: %w", s, context.DeadlineExceeded)
		}, is: []error{context.DeadlineExceeded}, timeout: true},
		{name: "multi-error", wrap: func(r *http.Request, s string) error {
			return errors.Join(&echoErr{s}, &url.Error{Op: "Get", URL: r.URL.String(), Err: context.Canceled})
		}, is: []error{context.Canceled}, notMatch: []error{context.DeadlineExceeded}},
		{name: "url.Error", wrap: func(r *http.Request, s string) error {
			return &url.Error{Op: "Post", URL: r.URL.String(), Err: &echoErr{s}}
		}},
		{name: "dial", wrap: func(_ *http.Request, s string) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: &echoErr{s}}
		}, opErrOp: "dial"},
		{name: "dns", wrap: func(r *http.Request, s string) error {
			return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host: " + s, Name: r.URL.Host, IsNotFound: true}}
		}, opErrOp: "dial", dns: true},
	}
	calls := []struct {
		name      string
		failToken bool
		call      func(c *Client) error
	}{
		{"token", true, func(c *Client) error { _, err := c.AccessToken(context.Background()); return err }},
		{"API call", false, func(c *Client) error {
			return c.postJSON(context.Background(), "/cgi-bin/menu/create", nil, map[string]string{"k": "v"}, nil)
		}},
		{"clear quota by AppSecret", false, func(c *Client) error { return c.ClearQuotaByAppSecret(context.Background()) }},
		{"streamed upload", false, func(c *Client) error {
			_, err := c.UploadMedia(context.Background(), MediaImage, "a.jpg", strings.NewReader("\xff\xd8 jpeg"))
			return err
		}},
	}
	for _, tc := range cases {
		for _, call := range calls {
			tc, call := tc, call
			t.Run(tc.name+"/"+call.name, func(t *testing.T) {
				t.Parallel()
				c, err := NewClient(testAppID, testSecret, WithClientHTTPClient(&http.Client{
					Transport: leakyTransport{failToken: call.failToken, wrap: tc.wrap}}))
				require.NoError(t, err)
				c.tokens.retryBase = time.Millisecond
				err = call.call(c)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "proxy refused", "the transport's words are kept")
				assertNoSecretInChain(t, err, testSecret, testToken)

				var ue *url.Error
				require.True(t, errors.As(err, &ue), "a *url.Error is reachable: %v", err)
				assert.Contains(t, []string{"Get", "Post"}, ue.Op)
				if call.name != "token" { // the stable token endpoint takes the secret in its body
					assert.Contains(t, ue.URL, "REDACTED")
				}
				for _, target := range tc.is {
					assert.ErrorIs(t, err, target)
				}
				for _, target := range tc.notMatch {
					assert.NotErrorIs(t, err, target)
				}
				var ne net.Error
				require.True(t, errors.As(err, &ne))
				assert.Equal(t, tc.timeout, ne.Timeout())
				if tc.opErrOp != "" {
					var oe *net.OpError
					require.True(t, errors.As(err, &oe))
					assert.Equal(t, tc.opErrOp, oe.Op)
				}
				if tc.dns {
					var de *net.DNSError
					require.True(t, errors.As(err, &de))
					assert.True(t, de.IsNotFound)
					assert.True(t, strings.HasSuffix(de.Name, "api.weixin.qq.com"), "the last domain failover tried: %s", de.Name)
				}
			})
		}
	}
}

// A timeout still reads as one: the http.Client's own reports Timeout() (and, from Go 1.23,
// matches context.DeadlineExceeded: net/http's choice, not asserted here); a context deadline
// matches context.DeadlineExceeded on every Go version.
func TestTimeoutsStayTimeouts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == tokenPathStable {
			fmt.Fprint(w, `{"access_token":"`+testToken+`","expires_in":7200}`)
			return
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close) // after the parallel subtests
	check := func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err)
		var ne net.Error
		require.True(t, errors.As(err, &ne))
		assert.True(t, ne.Timeout())
		assertNoSecretInChain(t, err, testSecret, testToken)
	}
	t.Run("http.Client.Timeout", func(t *testing.T) {
		t.Parallel()
		c, err := NewClient(testAppID, testSecret, WithClientBaseURL(srv.URL), WithClientHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))
		require.NoError(t, err)
		check(t, c.getJSON(context.Background(), "/cgi-bin/slow", nil, nil))
	})
	t.Run("context deadline", func(t *testing.T) {
		t.Parallel()
		c, err := NewClient(testAppID, testSecret, WithClientBaseURL(srv.URL))
		require.NoError(t, err)
		_, err = c.AccessToken(context.Background()) // the token first, so the deadline hits the call
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		err = c.getJSON(ctx, "/cgi-bin/slow", nil, nil)
		check(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.NotErrorIs(t, err, context.Canceled)
	})
}

// failingBody yields some bytes, then an error that quotes text.
type failingBody struct {
	sent bool
	text string
}

func (b *failingBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "JFIF"), nil
	}
	return 0, &echoErr{b.text}
}

func (b *failingBody) Close() error { return nil }

// A streamed download whose body fails mid-way returns an error without the request's
// access_token, and not the transport's own error.
func TestStreamedBodyErrorIsClean(t *testing.T) {
	t.Parallel()
	const token = "stream-token-0123456789"
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Request: r, ContentLength: -1,
			Header: http.Header{"Content-Type": {"image/jpeg"}},
			Body:   &failingBody{text: "connection reset while reading " + r.URL.String()}}, nil
	})}
	c, err := NewClient(testAppID, "", WithClientHTTPClient(hc),
		WithClientTokenSource(TokenSourceFunc(func(context.Context, string) (string, time.Duration, error) {
			return token, time.Hour, nil
		})))
	require.NoError(t, err)
	m, err := c.CallDownload(context.Background(), http.MethodGet, "/cgi-bin/media/get", url.Values{"media_id": {"m1"}}, nil)
	require.NoError(t, err)
	require.NotNil(t, m.Body)
	defer m.Body.Close()
	data, err := io.ReadAll(m.Body)
	assert.Equal(t, "JFIF", string(data))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection reset while reading")
	assertNoSecretInChain(t, err, token)
}

package offiaccount

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShortKeys(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/shorten/gen",
		body: `{"long_data":"loooooong data","expire_seconds":86400}`, answer: `{"errcode":0,"errmsg":"ok","short_key":"iTqRJFSEqk9RvPk"}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/shorten/fetch",
		body:   `{"short_key":"iTqRJFSEqk9RvPk"}`,
		answer: `{"errcode":0,"errmsg":"ok","long_data":"loooooong data","create_time":1611047541,"expire_seconds":86300}`})
	ctx := context.Background()
	key, err := c.GenShortKey(ctx, "loooooong data", 24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, "iTqRJFSEqk9RvPk", key)
	got, err := c.GetShortKey(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, &ShortKey{LongData: "loooooong data", CreateTime: 1611047541, ExpireSeconds: 86300}, got)
}

func TestShortKeyDefaultsAndLimits(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	n := expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/shorten/gen",
		body: `{"long_data":"` + strings.Repeat("x", 4096) + `","expire_seconds":2592000}`, answer: `{"short_key":"k"}`})
	ctx := context.Background()
	_, err := c.GenShortKey(ctx, strings.Repeat("x", 4096), 0) // 4 KB, and 0 means 30 days
	require.NoError(t, err)
	for name, err := range map[string]error{
		"empty":     func() error { _, err := c.GenShortKey(ctx, "", time.Hour); return err }(),
		"4KB+1":     func() error { _, err := c.GenShortKey(ctx, strings.Repeat("x", 4097), time.Hour); return err }(),
		"30d+1s":    func() error { _, err := c.GenShortKey(ctx, "x", 30*24*time.Hour+time.Second); return err }(),
		"negative":  func() error { _, err := c.GenShortKey(ctx, "x", -time.Second); return err }(),
		"sub-sec":   func() error { _, err := c.GenShortKey(ctx, "x", time.Millisecond); return err }(),
		"fetch nil": func() error { _, err := c.GetShortKey(ctx, ""); return err }(),
	} {
		assert.ErrorIs(t, err, ErrInvalidRequest, name)
	}
	assert.EqualValues(t, 1, n.Load())
}

func TestClearQuotaByAppSecret(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	c, mt := newMockClient(t, WithClientLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	var calls int
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/clear_quota/v2", func(req *http.Request) (*http.Response, error) {
		calls++
		q := req.URL.Query()
		assert.Equal(t, testAppID, q.Get("appid"))
		assert.Equal(t, testSecret, q.Get("appsecret"))
		assert.False(t, q.Has("access_token"), "no token: it works when the token quota is spent")
		switch calls {
		case 1:
			return httpmock.NewStringResponse(200, `{"errcode":0,"errmsg":"ok"}`), nil
		case 2:
			return httpmock.NewStringResponse(200, `{"errcode":48006,"errmsg":"forbid to clear quota because of reaching the limit"}`), nil
		}
		// A chatty transport quotes the whole URL, the AppSecret with it.
		return nil, fmt.Errorf("connection reset by peer (POST %s)", req.URL)
	})
	ctx := context.Background()
	require.NoError(t, c.ClearQuotaByAppSecret(ctx))
	err := c.ClearQuotaByAppSecret(ctx)
	requireAPIError(t, err, CodeClearQuotaLimit, "/cgi-bin/clear_quota/v2")
	err = c.ClearQuotaByAppSecret(ctx)
	require.Error(t, err)
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), logs.String()} {
		assert.NotContains(t, s, testSecret)
	}
	assert.Contains(t, err.Error(), "connection reset by peer")
	assert.Contains(t, err.Error(), "appsecret=REDACTED", "the URL net/http quotes")
	assert.Contains(t, err.Error(), "appsecret=[REDACTED]", "the URL the transport quoted")
	assertNoSecretInChain(t, err, testSecret)
	assert.Zero(t, mt.GetCallCountInfo()["POST "+testAPI+"/cgi-bin/stable_token"])

	// A Client without the AppSecret cannot.
	tc, err := NewClient(testAppID, "", WithClientTokenSource(TokenSourceFunc(func(context.Context, string) (string, time.Duration, error) {
		return "T", time.Hour, nil
	})))
	require.NoError(t, err)
	assert.ErrorIs(t, tc.ClearQuotaByAppSecret(ctx), ErrInvalidRequest)
}

// A secret that needs escaping in a URL is scrubbed too.
func TestScrubSecretEscaped(t *testing.T) {
	t.Parallel()
	c, err := NewClient(testAppID, "s3cr+t/with&chars", WithClientHTTPClient(&http.Client{Transport: httpmock.NewMockTransport()}))
	require.NoError(t, err)
	err = c.ClearQuotaByAppSecret(context.Background()) // no responder: a transport error
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cr")
}

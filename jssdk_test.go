package offiaccount

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
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

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	webTestAppID  = "wx0123456789abcdef"
	webTestSecret = "s3cr3t-app-secret-value-0123456"
	webTestAPI    = "https://api.weixin.qq.com"
	tokenURL      = webTestAPI + "/cgi-bin/stable_token"
	ticketURL     = webTestAPI + "/cgi-bin/ticket/getticket"
	// The official JS-SDK example (PROTOCOL.md §8).
	officialTicket    = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
	officialNonce     = "Wm3WZYTPz0wzccnW"
	officialTimestamp = 1414587457
	officialURL       = "http://mp.weixin.qq.com?params=value"
	officialSignature = "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
)

// webTestClient returns a Client whose HTTP goes to a private httpmock transport that
// already answers the token endpoint.
func webTestClient(t *testing.T, opts ...ClientOption) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, tokenURL,
		httpmock.NewStringResponder(200, `{"access_token":"TOKEN","expires_in":7200}`))
	c, err := NewClient(webTestAppID, webTestSecret, append([]ClientOption{WithClientHTTPClient(&http.Client{Transport: mt}), WithClientBaseURL(webTestAPI)}, opts...)...)
	require.NoError(t, err)
	return c, mt
}

// ticketResponder answers getticket with a ticket named after the type and a counter.
func ticketResponder(calls *atomic.Int32, expiresIn int) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		n := calls.Add(1)
		if r.URL.Query().Get("access_token") != "TOKEN" {
			return httpmock.NewStringResponse(200, `{"errcode":40014,"errmsg":"invalid access_token"}`), nil
		}
		typ := r.URL.Query().Get("type")
		body := `{"errcode":0,"errmsg":"ok","ticket":"` + typ + `-` + strconv.Itoa(int(n)) +
			`","expires_in":` + strconv.Itoa(expiresIn) + `}`
		return httpmock.NewStringResponse(200, body), nil
	}
}

func TestSignJSConfigOfficialVector(t *testing.T) {
	t.Parallel()
	// string1 exactly as WeChat's documentation writes it, hashed here independently.
	string1 := "jsapi_ticket=" + officialTicket + "&noncestr=" + officialNonce +
		"&timestamp=1414587457&url=" + officialURL
	sum := sha1.Sum([]byte(string1))
	require.Equal(t, officialSignature, hex.EncodeToString(sum[:]))

	for _, u := range []string{officialURL, officialURL + "#", officialURL + "#/route?x=1#y"} {
		cfg, err := SignJSConfig(webTestAppID, officialTicket, officialNonce, officialTimestamp, u, "scanQRCode")
		require.NoError(t, err, u)
		assert.Equal(t, officialSignature, cfg.Signature, "fragment must not be signed: %s", u)
		assert.Equal(t, webTestAppID, cfg.AppID)
		assert.Equal(t, int64(officialTimestamp), cfg.Timestamp)
		assert.Equal(t, officialNonce, cfg.NonceStr)
		assert.Equal(t, []string{"scanQRCode"}, cfg.JSAPIList)
	}
}

func TestJSConfigJSONNames(t *testing.T) {
	t.Parallel()
	cfg, err := SignJSConfig("wxAPP", "T", "N", 1700000000, "https://a.example/p?x=<&y>")
	require.NoError(t, err)
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, map[string]any{
		"appId": "wxAPP", "timestamp": float64(1700000000), "nonceStr": "N",
		"signature": cfg.Signature, "jsApiList": []any{},
	}, m, "wx.config names; jsApiList is [] not null; debug and openTagList omitted when unset")
}

func TestParsePageURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"http://mp.weixin.qq.com?params=value", "http://mp.weixin.qq.com?params=value", true},
		{"https://example.com/a/b?x=1&y=%E4%B8%AD#frag", "https://example.com/a/b?x=1&y=%E4%B8%AD", true},
		{"https://example.com:8443/#/spa/route", "https://example.com:8443/", true},
		{"https://example.com/p?q=a%2Bb&r=a+b", "https://example.com/p?q=a%2Bb&r=a+b", true}, // not re-encoded
		{"HTTPS://Example.COM/Path", "HTTPS://Example.COM/Path", true},                       // signed as the page sends it
		{"https://example.com/中文", "https://example.com/中文", true},
		{"", "", false},
		{"/relative/path", "", false},
		{"example.com/path", "", false},
		{"ftp://example.com/file", "", false},
		{"javascript:alert(1)", "", false},
		{"http:///nohost", "", false},
		{"http:example.com", "", false},
		{"https://example.com/a b", "", false},
		{"https://example.com/\x00", "", false},
		{"https://example.com/\r\nX: y", "", false},
		{"https://exa mple.com/", "", false},
		{"https://example.com/" + strings.Repeat("a", maxPageURLLen), "", false},
		{"#only-fragment", "", false},
	}
	for _, tt := range tests {
		got, err := parsePageURL(tt.in)
		if !tt.ok {
			assert.ErrorIs(t, err, ErrInvalidPageURL, "%q", tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func FuzzParsePageURL(f *testing.F) {
	for _, s := range []string{officialURL, "https://a.b/#x", "http://[::1]:80/", "https://a.b/%zz", "http://a@b/", "\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := parsePageURL(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidPageURL) {
				t.Fatalf("error %v does not match ErrInvalidPageURL", err)
			}
			return
		}
		if strings.Contains(got, "#") || !strings.HasPrefix(raw, got) {
			t.Fatalf("parsePageURL(%q) = %q: not the input cut at '#'", raw, got)
		}
		u, err := url.Parse(got)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("parsePageURL(%q) accepted a URL that is not absolute http(s)", raw)
		}
	})
}

func TestCheckJSAPINames(t *testing.T) {
	t.Parallel()
	require.NoError(t, checkJSAPINames([]string{"updateAppMessageShareData", "wx-open-launch-weapp", "a_b1"}))
	for _, bad := range []string{"", "chooseImage,scanQRCode", "a b", "x<script>"} {
		assert.Error(t, checkJSAPINames([]string{"ok", bad}), "%q", bad)
	}
	_, err := SignJSConfig("a", "t", "n", 1, officialURL, "")
	assert.Error(t, err)
}

func TestNewNonce(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		n, err := newNonce(nonceLen)
		require.NoError(t, err)
		require.Len(t, n, nonceLen)
		for i := 0; i < len(n); i++ {
			require.True(t, isASCIIAlnum(n[i]), "nonce %q", n)
		}
		require.False(t, seen[n], "nonce repeated")
		seen[n] = true
	}
}

func TestJSAPITicketCachedAndShared(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodGet, ticketURL, ticketResponder(&calls, 7200).Delay(20*time.Millisecond))

	const n = 100
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = c.JSAPITicket(context.Background())
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, "jsapi-1", got[i])
	}
	assert.Equal(t, int32(1), calls.Load(), "100 concurrent callers make one upstream fetch")

	tk, err := c.JSAPITicket(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "jsapi-1", tk)
	assert.Equal(t, int32(1), calls.Load(), "warm read makes no call")

	card, err := c.CardTicket(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "wx_card-2", card, "the card ticket is a separate kind")
	assert.Equal(t, int32(2), calls.Load())
}

func TestTicketRefreshBeforeExpiry(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	c, mt := webTestClient(t, withClock(clk))
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodGet, ticketURL, ticketResponder(&calls, 7200))
	ctx := context.Background()

	tk, err := c.JSAPITicket(ctx)
	require.NoError(t, err)
	require.Equal(t, "jsapi-1", tk)

	clk.Advance(7200*time.Second - DefaultTokenRefreshMargin - time.Second)
	tk, _ = c.JSAPITicket(ctx)
	assert.Equal(t, "jsapi-1", tk)
	assert.Equal(t, int32(1), calls.Load(), "no refresh before the margin")

	// Inside the margin the ticket is replaced.
	clk.Advance(2 * time.Second)
	tk, err = c.JSAPITicket(ctx)
	require.NoError(t, err)
	assert.Equal(t, "jsapi-2", tk)
	assert.Equal(t, int32(2), calls.Load())

	// A ticket WeChat refuses is dropped only while it is still the cached one.
	c.invalidateCredential(ctx, "ticket:"+string(TicketJSAPI), "jsapi-1")
	tk, _ = c.JSAPITicket(ctx)
	assert.Equal(t, "jsapi-2", tk, "a stale invalidation keeps the newer ticket")
	c.invalidateCredential(ctx, "ticket:"+string(TicketJSAPI), "jsapi-2")
	tk, _ = c.JSAPITicket(ctx)
	assert.Equal(t, "jsapi-3", tk)
}

func TestTicketErrorsNotCached(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	mt.RegisterResponder(http.MethodGet, ticketURL,
		httpmock.NewStringResponder(200, `{"errcode":45009,"errmsg":"reach max api daily quota limit rid: 65f1-1"}`).Times(1).
			Then(httpmock.NewStringResponder(200, `{"errcode":0,"errmsg":"ok","ticket":"","expires_in":7200}`)).
			Then(httpmock.NewStringResponder(200, `{"errcode":0,"errmsg":"ok","ticket":"good","expires_in":7200}`)))
	ctx := context.Background()

	_, err := c.JSAPITicket(ctx)
	var api *APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, CodeQuotaReached, api.Code)
	assert.ErrorIs(t, err, ErrQuota)
	assert.NotContains(t, err.Error(), "TOKEN")

	_, err = c.JSAPITicket(ctx)
	assert.ErrorIs(t, err, ErrBadResponse, "an empty ticket is a malformed answer")

	tk, err := c.JSAPITicket(ctx)
	require.NoError(t, err)
	assert.Equal(t, "good", tk)
	assert.Equal(t, 3, mt.GetCallCountInfo()["GET "+ticketURL])
}

func TestTicketWaitCancellable(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var calls atomic.Int32
	release := make(chan struct{})
	slow := ticketResponder(&calls, 7200)
	mt.RegisterResponder(http.MethodGet, ticketURL, func(r *http.Request) (*http.Response, error) {
		<-release
		return slow(r)
	})

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.JSAPITicket(ctx); done <- err }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(2 * time.Second):
		t.Fatal("a cancelled caller kept waiting for the fetch")
	}

	// A patient caller is not hurt by the one that gave up: it gets a ticket (its own fetch
	// when the leader's context ended first).
	go func() { time.Sleep(10 * time.Millisecond); close(release) }()
	tk, err := c.JSAPITicket(context.Background())
	require.NoError(t, err)
	assert.Regexp(t, `^jsapi-[12]$`, tk)
	assert.LessOrEqual(t, calls.Load(), int32(2))
}

func TestFetchTicketExpiry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want time.Duration
	}{
		{`{"errcode":0,"ticket":"t","expires_in":7200}`, 7200 * time.Second},
		{`{"errcode":0,"ticket":"t","expires_in":60}`, time.Minute},
		{`{"errcode":0,"ticket":"t"}`, defaultTicketTTL},
		{`{"errcode":0,"ticket":"t","expires_in":-5}`, defaultTicketTTL},
		{`{"errcode":0,"ticket":"t","expires_in":9223372036854775807}`, maxTicketTTL},
	}
	for _, tt := range tests {
		c, mt := webTestClient(t)
		mt.RegisterResponder(http.MethodGet, ticketURL, httpmock.NewStringResponder(200, tt.body))
		tk, ttl, err := c.fetchTicket(context.Background(), TicketCard)
		require.NoError(t, err, tt.body)
		assert.Equal(t, "t", tk)
		assert.Equal(t, tt.want, ttl, tt.body)
	}
	c, _ := webTestClient(t)
	_, _, err := c.fetchTicket(context.Background(), TicketType("bogus"))
	assert.Error(t, err)
}

func TestClientJSConfig(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodGet, ticketURL, ticketResponder(&calls, 7200))
	ctx := context.Background()

	_, err := c.JSConfig(ctx, "/not/absolute")
	require.ErrorIs(t, err, ErrInvalidPageURL)
	assert.Zero(t, calls.Load(), "a bad URL costs no ticket fetch")

	page := "https://h5.example.com/shop?id=7#/cart"
	before := time.Now().Unix()
	a, err := c.JSConfig(ctx, page, "chooseImage", "scanQRCode")
	require.NoError(t, err)
	b, err := c.JSConfig(ctx, page, "chooseImage")
	require.NoError(t, err)

	assert.Equal(t, webTestAppID, a.AppID)
	assert.Equal(t, []string{"chooseImage", "scanQRCode"}, a.JSAPIList)
	assert.InDelta(t, before, a.Timestamp, 2)
	assert.Len(t, a.NonceStr, nonceLen)
	assert.NotEqual(t, a.NonceStr, b.NonceStr, "each config has its own nonce")
	string1 := "jsapi_ticket=jsapi-1&noncestr=" + a.NonceStr + "&timestamp=" +
		strconv.FormatInt(a.Timestamp, 10) + "&url=https://h5.example.com/shop?id=7"
	sum := sha1.Sum([]byte(string1))
	assert.Equal(t, hex.EncodeToString(sum[:]), a.Signature)
	assert.Equal(t, int32(1), calls.Load())
}

func TestCardSignatures(t *testing.T) {
	t.Parallel()
	// WeChat's documented cardExt example: code, timestamp, card_id, api_ticket, nonce_str.
	ext := signCardExt("ojZ8YtyVyr30HheH3CM73y7h4jJE", "pjZ8Yt1XGILfi-FUsewpnnolGgZk", "123", 1404896688,
		CardExtParams{Code: "1434008071"})
	assert.Equal(t, "f137ab68b7f8112d20ee528ab6074564e2796250", ext.Signature)
	assert.Equal(t, "1404896688", ext.Timestamp)

	// chooseCard: sorted api_ticket, app_id, location_id, times_tamp, nonce_str, card_id, card_type.
	cc := signChooseCard("TICKET", "wxAPP", "nonce", 1700000000, ChooseCardParams{ShopID: "42", CardType: "GROUPON", CardID: "pCARD"})
	sum := sha1.Sum([]byte("1700000000" + "42" + "GROUPON" + "TICKET" + "nonce" + "pCARD" + "wxAPP"))
	assert.Equal(t, hex.EncodeToString(sum[:]), cc.CardSign)
	assert.Equal(t, "SHA1", cc.SignType)
	b, _ := json.Marshal(cc)
	assert.JSONEq(t, `{"shopId":"42","cardType":"GROUPON","cardId":"pCARD","timestamp":1700000000,
		"nonceStr":"nonce","signType":"SHA1","cardSign":"`+cc.CardSign+`"}`, string(b))
}

func TestClientCardHelpers(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodGet, ticketURL, ticketResponder(&calls, 7200))
	ctx := context.Background()

	_, err := c.AddCardItem(ctx, "", CardExtParams{})
	require.Error(t, err)

	item, err := c.AddCardItem(ctx, "pCARD", CardExtParams{OpenID: "oUSER", OuterStr: "a&b"})
	require.NoError(t, err)
	assert.Equal(t, "pCARD", item.CardID)
	assert.Contains(t, item.CardExt, `"outer_str":"a&b"`, "no HTML escaping")
	var ext CardExt
	require.NoError(t, json.Unmarshal([]byte(item.CardExt), &ext))
	assert.Equal(t, CardSignature("wx_card-1", ext.Timestamp, "pCARD", "", "oUSER", ext.NonceStr), ext.Signature)

	cc, err := c.ChooseCardConfig(ctx, ChooseCardParams{CardType: "CASH"})
	require.NoError(t, err)
	ts := strconv.FormatInt(cc.Timestamp, 10)
	assert.Equal(t, CardSignature("wx_card-1", webTestAppID, "", ts, cc.NonceStr, "", "CASH"), cc.CardSign)
	assert.Equal(t, int32(1), calls.Load(), "both helpers share the cached wx_card ticket")
}

// fakeSigner stands in for the Client behind the config handler.
type fakeSigner struct {
	err  error
	urls []string
	mu   sync.Mutex
}

func (f *fakeSigner) JSConfig(_ context.Context, pageURL string, apis ...string) (*JSConfig, error) {
	f.mu.Lock()
	f.urls = append(f.urls, pageURL)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return SignJSConfig("wxAPP", officialTicket, officialNonce, officialTimestamp, pageURL, apis...)
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestJSConfigHandler(t *testing.T) {
	t.Parallel()
	fs := &fakeSigner{}
	h, err := newJSConfigHandler(fs, JSConfigHandlerOptions{
		AllowedHosts: []string{"mp.weixin.qq.com", "H5.Example.com:8443", "*.shop.example"},
		APIs:         []string{"scanQRCode"},
		OpenTags:     []string{"wx-open-launch-weapp"},
	}, discardLogger())
	require.NoError(t, err)

	q := func(u string) string { return "/jsconfig?url=" + url.QueryEscape(u) }
	tests := []struct {
		name, method, target string
		status               int
	}{
		{"official page", "GET", q(officialURL + "#frag"), 200},
		{"HEAD", "HEAD", q(officialURL), 200},
		{"POST", "POST", q(officialURL), 405},
		{"no url", "GET", "/jsconfig", 400},
		{"empty url", "GET", "/jsconfig?url=", 400},
		{"two urls", "GET", q(officialURL) + "&url=" + url.QueryEscape(officialURL), 400},
		{"relative", "GET", q("/index.html"), 400},
		{"javascript", "GET", q("javascript:alert(1)"), 400},
		{"other host", "GET", q("https://evil.example/"), 403},
		{"suffix trick", "GET", q("https://mp.weixin.qq.com.evil.example/"), 403},
		{"prefix trick", "GET", q("https://evilmp.weixin.qq.com/"), 403},
		{"userinfo trick", "GET", q("https://mp.weixin.qq.com@evil.example/"), 403},
		{"any port when none listed", "GET", q("http://mp.weixin.qq.com:8080/"), 200},
		{"port listed", "GET", q("https://h5.example.com:8443/x"), 200},
		{"host case-insensitive", "GET", q("https://H5.EXAMPLE.COM:8443/x"), 200},
		{"wrong port", "GET", q("https://h5.example.com/x"), 403},
		{"wildcard subdomain", "GET", q("https://a.shop.example/"), 200},
		{"wildcard deep subdomain", "GET", q("https://a.b.shop.example/"), 200},
		{"wildcard not apex", "GET", q("https://shop.example/"), 403},
		{"wildcard suffix trick", "GET", q("https://evilshop.example/"), 403},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
		require.Equal(t, tt.status, rec.Code, tt.name)
		assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"), tt.name)
		assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"), tt.name)
		assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"), tt.name)
		var body map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), tt.name)
		if tt.status != 200 {
			assert.NotEmpty(t, body["error"], tt.name)
			continue
		}
		assert.Equal(t, "wxAPP", body["appId"], tt.name)
		assert.Equal(t, []any{"scanQRCode"}, body["jsApiList"], tt.name)
		assert.Equal(t, []any{"wx-open-launch-weapp"}, body["openTagList"], tt.name)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", q(officialURL), nil))
	assert.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", q(officialURL+"#x"), nil))
	var cfg JSConfig
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &cfg))
	assert.Equal(t, officialSignature, cfg.Signature)

	for _, u := range fs.urls {
		pu, err := url.Parse(u)
		require.NoError(t, err)
		assert.Contains(t, []string{"mp.weixin.qq.com", "h5.example.com", "a.shop.example", "a.b.shop.example"},
			strings.ToLower(pu.Hostname()), "only allowed hosts reach the signer")
	}
}

func TestJSConfigHandlerUpstreamError(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	fs := &fakeSigner{err: &APIError{Code: CodeBusy, Message: "system error", Path: "/cgi-bin/ticket/getticket"}}
	h, err := newJSConfigHandler(fs, JSConfigHandlerOptions{AllowedHosts: []string{"mp.weixin.qq.com"}}, logger)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/?url="+url.QueryEscape(officialURL), nil))
	assert.Equal(t, http.StatusBadGateway, rec.Code)
	assert.JSONEq(t, `{"error":"jsapi_ticket unavailable"}`, rec.Body.String())
	assert.Contains(t, logs.String(), "errcode -1", "the cause is logged for the operator")
}

func TestJSConfigHandlerOptionsValidated(t *testing.T) {
	t.Parallel()
	c, _ := webTestClient(t)
	for _, hosts := range [][]string{
		nil, {}, {""}, {"https://example.com"}, {"example.com/path"}, {"*"}, {"*.*.example.com"},
		{"user@example.com"}, {"example.com", "exa mple.com"},
	} {
		_, err := c.JSConfigHandler(JSConfigHandlerOptions{AllowedHosts: hosts})
		assert.Error(t, err, "%q", hosts)
	}
	_, err := c.JSConfigHandler(JSConfigHandlerOptions{AllowedHosts: []string{"a.example"}, APIs: []string{"a,b"}})
	assert.Error(t, err)
	h, err := c.JSConfigHandler(JSConfigHandlerOptions{AllowedHosts: []string{" Example.com ", "*.example.com", "example.com:81"}})
	require.NoError(t, err)
	assert.NotNil(t, h)
}

// TestJSConfigHandlerEndToEnd goes through a real Client and mock WeChat.
func TestJSConfigHandlerEndToEnd(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodGet, ticketURL, ticketResponder(&calls, 7200))
	h, err := c.JSConfigHandler(JSConfigHandlerOptions{AllowedHosts: []string{"h5.example.com"}, APIs: []string{"chooseImage"}, Debug: true})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	page := "https://h5.example.com/a?b=c#d"
	resp, err := http.Get(srv.URL + "/?url=" + url.QueryEscape(page))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var cfg JSConfig
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&cfg))
	assert.True(t, cfg.Debug)
	assert.Equal(t, JSSDKSignature("jsapi-1", cfg.NonceStr, cfg.Timestamp, "https://h5.example.com/a?b=c"), cfg.Signature)
}

package offiaccounttest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenCredentials(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tests := []struct {
		name                 string
		grant, appID, secret string
		wantCode             int
		wantMsgPrefix        string
	}{
		{"ok", "client_credential", testAppID, testSecret, 0, ""},
		{"wrong grant_type", "password", testAppID, testSecret, 40002, "invalid grant_type"},
		{"missing appid", "client_credential", "", testSecret, 41002, "appid missing"},
		{"unknown appid", "client_credential", "wxnobody", testSecret, 40013, "invalid appid"},
		{"missing secret", "client_credential", testAppID, "", 41004, "appsecret missing"},
		{"wrong secret", "client_credential", testAppID, "nope", 40125, "invalid appsecret"},
	}
	for _, tt := range tests {
		t.Run("token/"+tt.name, func(t *testing.T) {
			q := url.Values{"grant_type": {tt.grant}, "appid": {tt.appID}, "secret": {tt.secret}}
			r := get(t, p, "/cgi-bin/token", q)
			assert.Equal(t, tt.wantCode, r.code(), r.raw)
			assert.True(t, strings.HasPrefix(r.str("errmsg"), tt.wantMsgPrefix), r.raw)
			if tt.wantCode == 0 {
				assert.Equal(t, int64(7200), r.num("expires_in"))
				assert.NotContains(t, r.obj, "errcode", "success has no errcode")
			}
		})
		t.Run("stable_token/"+tt.name, func(t *testing.T) {
			body := `{"grant_type":"` + tt.grant + `","appid":"` + tt.appID + `","secret":"` + tt.secret + `"}`
			r := do(t, p, http.MethodPost, "/cgi-bin/stable_token", nil, body)
			assert.Equal(t, tt.wantCode, r.code(), r.raw)
			assert.True(t, strings.HasPrefix(r.str("errmsg"), tt.wantMsgPrefix), r.raw)
		})
	}
}

func TestStableTokenRequestShape(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tests := []struct {
		name, method, body string
		want               int
	}{
		{"GET is refused", http.MethodGet, "", 43002},
		{"empty body", http.MethodPost, "", 44002},
		{"not JSON", http.MethodPost, "grant_type=client_credential", 47001},
		{"wrong JSON type", http.MethodPost, `{"force_refresh":"yes"}`, 47001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, p, tt.method, "/cgi-bin/stable_token", nil, tt.body)
			assert.Equal(t, tt.want, r.code(), r.raw)
		})
	}
}

func TestAnswerFormat(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	r := get(t, p, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}})
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "application/json; encoding=utf-8", r.header.Get("Content-Type"))
	assert.Regexp(t, `^\{"access_token":"[A-Za-z0-9_-]+","expires_in":7200\}$`, r.raw)

	r = get(t, p, "/cgi-bin/menu/get", url.Values{"access_token": {"bogus"}})
	assert.Equal(t, http.StatusOK, r.status, "WeChat answers errors with 200")
	assert.Regexp(t, `^\{"errcode":40001,"errmsg":"invalid credential, access_token is invalid or not latest rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}"\}$`, r.raw)
	// The rid starts with the platform's clock in hex, like WeChat's.
	assert.Contains(t, r.raw, "rid: 665a80a0-")

	r = get(t, p, "/no/such/api", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestAccessTokenChecks(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"valid", tok, 0},
		{"missing", "", 41001},
		{"unknown", "FAKE_unknown", 40001},
		{"stable-shaped garbage", strings.Repeat("x", 600), 40001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, probe(t, p, tt.token))
		})
	}
}

func TestTokenOverlapAndExpiry(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	t1 := fetchToken(t, p)
	assert.Equal(t, t1, p.AccessToken(testAppID))

	p.Advance(10 * time.Minute)
	t2 := fetchToken(t, p)
	require.NotEqual(t, t1, t2, "each fetch issues a new token")
	assert.Equal(t, t2, p.AccessToken(testAppID))
	assert.Equal(t, 2, p.TokenFetches(testAppID))

	p.Advance(TokenOverlap - time.Second)
	assert.Equal(t, 0, probe(t, p, t1), "old token works during the overlap")
	assert.Equal(t, 0, probe(t, p, t2))

	p.Advance(time.Second)
	assert.Equal(t, 40001, probe(t, p, t1), "old token is stale after the overlap")
	assert.Equal(t, 0, probe(t, p, t2))

	// t2 lives 7200 s from its issue.
	p.Advance(TokenLifetime - TokenOverlap - time.Second)
	assert.Equal(t, 0, probe(t, p, t2))
	p.Advance(time.Second)
	assert.Equal(t, 42001, probe(t, p, t2), "a token past expires_in is expired")
	assert.Equal(t, 40001, probe(t, p, t1))
}

func TestTokenOverlapNeverExtendsLife(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	t1 := fetchToken(t, p)
	p.Advance(TokenLifetime - time.Minute)
	fetchToken(t, p)
	p.Advance(time.Minute)
	assert.Equal(t, 42001, probe(t, p, t1), "the overlap ends at the old token's own expiry")
}

func TestThirdFetchCutsSecondOverlap(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	t1 := fetchToken(t, p)
	t2 := fetchToken(t, p)
	p.Advance(time.Minute)
	t3 := fetchToken(t, p)
	assert.Equal(t, 0, probe(t, p, t1), "t1 still in its own overlap")
	p.Advance(4 * time.Minute)
	assert.Equal(t, 40001, probe(t, p, t1))
	assert.Equal(t, 0, probe(t, p, t2))
	assert.Equal(t, 0, probe(t, p, t3))
	p.Advance(time.Minute)
	assert.Equal(t, 40001, probe(t, p, t2))
}

func TestTokenDailyLimit(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	u := "/cgi-bin/token?grant_type=client_credential&appid=" + testAppID + "&secret=" + testSecret
	for i := range TokenDailyLimit {
		rec := httptest.NewRecorder()
		p.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
		require.Contains(t, rec.Body.String(), `"access_token"`, "call %d", i)
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}}
	assert.Equal(t, 45009, get(t, p, "/cgi-bin/token", q).code())
	p.Advance(14 * time.Hour) // past midnight in China
	assert.Equal(t, 0, get(t, p, "/cgi-bin/token", q).code(), "quota resets the next day")
}

func TestStableTokenNormalMode(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	r1 := stableToken(t, p, false)
	require.Equal(t, 0, r1.code(), r1.raw)
	s1 := r1.str("access_token")
	assert.Equal(t, int64(7200), r1.num("expires_in"))
	assert.Equal(t, s1, p.StableAccessToken(testAppID))

	p.Advance(time.Hour)
	r2 := stableToken(t, p, false)
	assert.Equal(t, s1, r2.str("access_token"), "normal mode returns the live token")
	assert.Equal(t, int64(3600), r2.num("expires_in"), "with the time it has left")

	// Separate from /cgi-bin/token: fetching there does not touch the stable token.
	plain := fetchToken(t, p)
	assert.NotEqual(t, s1, plain)
	assert.Equal(t, 0, probe(t, p, s1))
	assert.Equal(t, s1, stableToken(t, p, false).str("access_token"))

	// In the last 5 minutes a new token starts; both work until the old one's expiry.
	p.Advance(TokenLifetime - time.Hour - TokenOverlap + time.Second)
	r3 := stableToken(t, p, false)
	s2 := r3.str("access_token")
	require.NotEqual(t, s1, s2)
	assert.Equal(t, int64(7200), r3.num("expires_in"))
	assert.Equal(t, 0, probe(t, p, s1))
	assert.Equal(t, 0, probe(t, p, s2))
	p.Advance(TokenOverlap)
	assert.Equal(t, 42001, probe(t, p, s1))
	assert.Equal(t, 0, probe(t, p, s2))

	// After a lapse with no call at all, normal mode starts a fresh token.
	p.Advance(3 * time.Hour)
	s3 := stableToken(t, p, false).str("access_token")
	assert.NotEqual(t, s2, s3)
	assert.Equal(t, 0, probe(t, p, s3))
}

func TestStableTokenForceRefresh(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	s1 := stableToken(t, p, false).str("access_token")

	s2 := stableToken(t, p, true).str("access_token")
	require.NotEqual(t, s1, s2)
	assert.Equal(t, 40001, probe(t, p, s1), "force refresh revokes the old token at once")
	assert.Equal(t, 0, probe(t, p, s2))

	p.Advance(ForceRefreshInterval - time.Second)
	r := stableToken(t, p, true)
	assert.Equal(t, 0, r.code())
	assert.Equal(t, s2, r.str("access_token"), "within 30 s a force refresh does not refresh")
	assert.Equal(t, 0, probe(t, p, s2))

	p.Advance(time.Second)
	s3 := stableToken(t, p, true).str("access_token")
	assert.NotEqual(t, s2, s3)
	assert.Equal(t, 40001, probe(t, p, s2))

	// 20 effective force refreshes a day; two were made.
	for i := 2; i < ForceRefreshDailyLimit; i++ {
		p.Advance(ForceRefreshInterval)
		r := stableToken(t, p, true)
		require.Equal(t, 0, r.code(), "refresh %d: %s", i+1, r.raw)
	}
	p.Advance(ForceRefreshInterval)
	r = stableToken(t, p, true)
	assert.Equal(t, 45009, r.code())
	assert.True(t, strings.HasPrefix(r.str("errmsg"), "reach max api daily quota limit rid: "), r.raw)
	assert.Equal(t, 0, stableToken(t, p, false).code(), "normal mode still works")

	p.SetNow(time.Date(2024, 6, 2, 0, 0, 1, 0, start.Location()))
	assert.Equal(t, 0, stableToken(t, p, true).code(), "the daily limit resets at midnight in China")
}

func TestIssueAndInvalidateTokens(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	a := fetchToken(t, p)
	s := stableToken(t, p, false).str("access_token")
	b := p.IssueToken(testAppID)
	assert.Equal(t, b, p.AccessToken(testAppID))
	assert.Equal(t, 0, probe(t, p, a), "IssueToken leaves the overlap")
	assert.Equal(t, 0, probe(t, p, b))
	assert.Empty(t, p.IssueToken("wxnobody"))

	p.InvalidateTokens(testAppID)
	for _, tok := range []string{a, b, s} {
		assert.Equal(t, 40001, probe(t, p, tok))
	}
	assert.Equal(t, 0, probe(t, p, fetchToken(t, p)), "a new fetch works again")
}

func TestAccountsAreSeparate(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	p.AddAccount("wxother", "othersecret")
	mine := fetchToken(t, p)
	r := get(t, p, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {"wxother"}, "secret": {"othersecret"}})
	require.Equal(t, 0, r.code())
	assert.Equal(t, 0, probe(t, p, mine), "another account's fetch does not touch mine")
	assert.Equal(t, 1, p.TokenFetches(testAppID))
	assert.Equal(t, 1, p.TokenFetches("wxother"))

	p.AddAccount(testAppID, "rotated")
	q := url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}}
	assert.Equal(t, 40125, get(t, p, "/cgi-bin/token", q).code(), "AddAccount changes the secret")
}

package offiaccount

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	snsTokenURL   = webTestAPI + "/sns/oauth2/access_token"
	snsRefreshURL = webTestAPI + "/sns/oauth2/refresh_token"
	snsAuthURL    = webTestAPI + "/sns/auth"
	snsUserURL    = webTestAPI + "/sns/userinfo"
)

func TestAuthCodeURLByteExact(t *testing.T) {
	t.Parallel()
	c, _ := webTestClient(t)
	tests := []struct {
		redirect string
		scope    OAuthScope
		state    string
		opts     []AuthCodeOption
		want     string
	}{
		{
			"https://h5.example.com/oauth/callback?next=/shop&x=1", ScopeUserInfo, "STATE", nil,
			"https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + webTestAppID +
				"&redirect_uri=https%3A%2F%2Fh5.example.com%2Foauth%2Fcallback%3Fnext%3D%2Fshop%26x%3D1" +
				"&response_type=code&scope=snsapi_userinfo&state=STATE#wechat_redirect",
		},
		{
			"http://a.example/cb", ScopeBase, "", nil,
			"https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + webTestAppID +
				"&redirect_uri=http%3A%2F%2Fa.example%2Fcb&response_type=code&scope=snsapi_base&state=#wechat_redirect",
		},
		{
			"https://a.example/cb", ScopeUserInfo, "abc123", []AuthCodeOption{WithAuthCodeForcePopup()},
			"https://open.weixin.qq.com/connect/oauth2/authorize?appid=" + webTestAppID +
				"&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=snsapi_userinfo&state=abc123" +
				"&forcePopup=true#wechat_redirect",
		},
	}
	for _, tt := range tests {
		got, err := c.AuthCodeURL(tt.redirect, tt.scope, tt.state, tt.opts...)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
		// The redirect URI survives the round trip through the query.
		u, err := url.Parse(got)
		require.NoError(t, err)
		assert.Equal(t, tt.redirect, u.Query().Get("redirect_uri"))
		assert.Equal(t, "wechat_redirect", u.Fragment)
	}
}

func TestAuthCodeURLRejects(t *testing.T) {
	t.Parallel()
	c, _ := webTestClient(t)
	tests := []struct {
		name, redirect string
		scope          OAuthScope
		state          string
	}{
		{"relative redirect", "/cb", ScopeBase, "s"},
		{"non-http redirect", "weixin://cb", ScopeBase, "s"},
		{"redirect with fragment", "https://a.example/cb#x", ScopeBase, "s"},
		{"unknown scope", "https://a.example/cb", "snsapi_login", "s"},
		{"empty scope", "https://a.example/cb", "", "s"},
		{"state too long", "https://a.example/cb", ScopeBase, strings.Repeat("a", 129)},
		{"state with &", "https://a.example/cb", ScopeBase, "a&scope=snsapi_userinfo"},
		{"state with #", "https://a.example/cb", ScopeBase, "a#b"},
		{"state non-ASCII", "https://a.example/cb", ScopeBase, "状态"},
	}
	for _, tt := range tests {
		_, err := c.AuthCodeURL(tt.redirect, tt.scope, tt.state)
		assert.Error(t, err, tt.name)
	}
	_, err := c.AuthCodeURL("https://a.example/cb", ScopeBase, strings.Repeat("a", 128))
	assert.NoError(t, err, "128 bytes is WeChat's limit, inclusive")
}

func TestNewOAuthState(t *testing.T) {
	t.Parallel()
	a, err := NewOAuthState()
	require.NoError(t, err)
	b, err := NewOAuthState()
	require.NoError(t, err)
	assert.Len(t, a, 32)
	assert.NotEqual(t, a, b)
	c, _ := webTestClient(t)
	_, err = c.AuthCodeURL("https://a.example/cb", ScopeBase, a)
	assert.NoError(t, err, "a generated state is accepted by AuthCodeURL")
}

func TestExchangeCode(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var query url.Values
	mt.RegisterResponder(http.MethodGet, snsTokenURL, func(r *http.Request) (*http.Response, error) {
		query = r.URL.Query()
		return httpmock.NewStringResponse(200, `{"access_token":"USER_AT","expires_in":7200,
			"refresh_token":"USER_RT","openid":"oOPENID","scope":"snsapi_userinfo",
			"is_snapshotuser":1,"unionid":"oUNION"}`), nil
	})
	before := time.Now()
	tok, err := c.ExchangeCode(context.Background(), "CODE")
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"appid": {webTestAppID}, "secret": {webTestSecret}, "code": {"CODE"}, "grant_type": {"authorization_code"},
	}, query)
	assert.Equal(t, "USER_AT", tok.AccessToken)
	assert.Equal(t, "USER_RT", tok.RefreshToken)
	assert.Equal(t, "oOPENID", tok.OpenID)
	assert.Equal(t, "oUNION", tok.UnionID)
	assert.Equal(t, ScopeUserInfo, tok.Scope)
	assert.True(t, tok.IsSnapshotUser)
	assert.WithinDuration(t, before.Add(2*time.Hour), tok.Expiry, 5*time.Second)
	assert.True(t, tok.Valid())
	assert.Zero(t, mt.GetCallCountInfo()["POST "+tokenURL], "web authorization needs no account access_token")
}

func TestExchangeCodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		code   int
		target error
	}{
		{`{"errcode":40029,"errmsg":"invalid code, rid: 6543-aa"}`, CodeInvalidOAuthCode, ErrOAuthCodeInvalid},
		{`{"errcode":40163,"errmsg":"code been used, rid: 6543-bb"}`, CodeOAuthCodeUsed, ErrOAuthCodeInvalid},
		{`{"errcode":42003,"errmsg":"code expired"}`, CodeOAuthCodeExpired, ErrOAuthCodeInvalid},
		{`{"errcode":41008,"errmsg":"missing code"}`, CodeMissingOAuthCode, ErrOAuthCodeInvalid},
		{`{"errcode":40125,"errmsg":"invalid appsecret"}`, CodeInvalidAppSecret, nil},
		{`{"errcode":40164,"errmsg":"invalid ip"}`, CodeIPNotWhitelisted, ErrIPNotWhitelisted},
		{`{"errcode":-1,"errmsg":"system error"}`, CodeBusy, ErrBusy},
	}
	for _, tt := range tests {
		c, mt := webTestClient(t)
		mt.RegisterResponder(http.MethodGet, snsTokenURL, httpmock.NewStringResponder(200, tt.body))
		_, err := c.ExchangeCode(context.Background(), "CODE")
		var api *APIError
		require.ErrorAs(t, err, &api, tt.body)
		assert.Equal(t, tt.code, api.Code)
		assert.Equal(t, "/sns/oauth2/access_token", api.Path)
		if tt.target != nil {
			assert.ErrorIs(t, err, tt.target, tt.body)
		}
		if tt.target != ErrOAuthCodeInvalid {
			assert.NotErrorIs(t, err, ErrOAuthCodeInvalid, tt.body)
		}
		assert.NotErrorIs(t, err, ErrUserTokenInvalid, tt.body)
		assert.NotContains(t, err.Error(), webTestSecret)
		assert.NotContains(t, err.Error(), "CODE")
	}

	c, mt := webTestClient(t)
	mt.RegisterResponder(http.MethodGet, snsTokenURL, httpmock.NewStringResponder(200, `{"expires_in":7200}`))
	_, err := c.ExchangeCode(context.Background(), "CODE")
	assert.ErrorIs(t, err, ErrBadResponse, "a success without token or openid is malformed")

	_, err = c.ExchangeCode(context.Background(), "")
	assert.Error(t, err)
	_, err = c.ExchangeCode(context.Background(), strings.Repeat("c", maxOAuthParamLen+1))
	assert.Error(t, err)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "bad codes are refused before any request")
}

func TestExchangeCodeTransportErrorHidesSecret(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	mt.RegisterResponder(http.MethodGet, snsTokenURL, httpmock.ConnectionFailure)
	_, err := c.ExchangeCode(context.Background(), "THE_CODE")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), webTestSecret)
	assert.NotContains(t, err.Error(), "THE_CODE")
}

func TestRefreshUserToken(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var query url.Values
	mt.RegisterResponder(http.MethodGet, snsRefreshURL, func(r *http.Request) (*http.Response, error) {
		query = r.URL.Query()
		return httpmock.NewStringResponse(200, `{"access_token":"AT2","expires_in":7200,
			"refresh_token":"RT2","openid":"oOPENID","scope":"snsapi_base"}`), nil
	})
	old := &UserToken{AccessToken: "AT1", RefreshToken: "RT1", OpenID: "oOPENID", UnionID: "oUNION"}
	tok, err := c.RefreshUserToken(context.Background(), old)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"appid": {webTestAppID}, "grant_type": {"refresh_token"}, "refresh_token": {"RT1"}}, query)
	assert.NotContains(t, query, "secret", "the refresh endpoint takes no AppSecret")
	assert.Equal(t, "AT2", tok.AccessToken)
	assert.Equal(t, "RT2", tok.RefreshToken)
	assert.Equal(t, ScopeBase, tok.Scope)
	assert.Equal(t, "oUNION", tok.UnionID, "carried over from the old token")
	assert.Equal(t, "AT1", old.AccessToken, "the old token is not modified")

	_, err = c.RefreshUserToken(context.Background(), nil)
	assert.Error(t, err)
	_, err = c.RefreshUserToken(context.Background(), &UserToken{AccessToken: "x"})
	assert.Error(t, err, "no refresh_token")
}

func TestRefreshUserTokenErrors(t *testing.T) {
	t.Parallel()
	for _, code := range []int{CodeInvalidRefreshToken, CodeRefreshTokenExpired, CodeUserTokenRevoked} {
		c, mt := webTestClient(t)
		mt.RegisterResponder(http.MethodGet, snsRefreshURL,
			httpmock.NewStringResponder(200, fmt.Sprintf(`{"errcode":%d,"errmsg":"x"}`, code)))
		_, err := c.RefreshUserToken(context.Background(), &UserToken{RefreshToken: "RT_SECRET"})
		assert.ErrorIs(t, err, ErrRefreshTokenInvalid, "errcode %d", code)
		var api *APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, code, api.Code)
		assert.NotContains(t, err.Error(), "RT_SECRET")
	}
}

func TestCheckUserToken(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodGet, snsAuthURL, func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		q := r.URL.Query()
		if q.Get("access_token") == "GOOD" && q.Get("openid") == "oOPENID" {
			return httpmock.NewStringResponse(200, `{"errcode":0,"errmsg":"ok"}`), nil
		}
		if q.Get("access_token") == "EXPIRED" {
			return httpmock.NewStringResponse(200, `{"errcode":42001,"errmsg":"access_token expired"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"errcode":40003,"errmsg":"invalid openid"}`), nil
	})
	ctx := context.Background()
	require.NoError(t, c.CheckUserToken(ctx, &UserToken{AccessToken: "GOOD", OpenID: "oOPENID"}))

	err := c.CheckUserToken(ctx, &UserToken{AccessToken: "EXPIRED", OpenID: "oOPENID"})
	assert.ErrorIs(t, err, ErrUserTokenInvalid)
	assert.NotContains(t, err.Error(), "EXPIRED")

	err = c.CheckUserToken(ctx, &UserToken{AccessToken: "GOOD", OpenID: "oOTHER"})
	var api *APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, CodeInvalidOpenID, api.Code)
	assert.Equal(t, int32(3), calls.Load(), "a user-token error is not retried with an account token")
	assert.Zero(t, mt.GetCallCountInfo()["POST "+tokenURL])

	assert.Error(t, c.CheckUserToken(ctx, nil))
	assert.Error(t, c.CheckUserToken(ctx, &UserToken{AccessToken: "GOOD"}), "no openid")
}

func TestGetOAuthUserInfo(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var query url.Values
	mt.RegisterResponder(http.MethodGet, snsUserURL, func(r *http.Request) (*http.Response, error) {
		query = r.URL.Query()
		return httpmock.NewStringResponse(200, `{"openid":"oOPENID","nickname":"微信用户","sex":0,
			"province":"","city":"","country":"","headimgurl":"https://thirdwx.qlogo.cn/mmopen/x/132",
			"privilege":["chinaunicom"],"unionid":"oUNION"}`), nil
	})
	tok := &UserToken{AccessToken: "USER_AT", OpenID: "oOPENID", Scope: ScopeUserInfo}
	info, err := c.GetOAuthUserInfo(context.Background(), tok, LangEN)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"access_token": {"USER_AT"}, "openid": {"oOPENID"}, "lang": {"en"}}, query)
	assert.Equal(t, &OAuthUserInfo{
		OpenID: "oOPENID", Nickname: "微信用户", HeadImgURL: "https://thirdwx.qlogo.cn/mmopen/x/132",
		Privilege: []string{"chinaunicom"}, UnionID: "oUNION",
	}, info)

	_, err = c.GetOAuthUserInfo(context.Background(), tok, "")
	require.NoError(t, err)
	assert.NotContains(t, query, "lang", "empty lang leaves WeChat's default")
}

func TestGetOAuthUserInfoErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body   string
		code   int
		target error
	}{
		{`{"errcode":48001,"errmsg":"api unauthorized"}`, CodeScopeUnauthorized, nil},
		{`{"errcode":40001,"errmsg":"invalid credential"}`, CodeInvalidCredential, ErrUserTokenInvalid},
		{`{"errcode":42001,"errmsg":"access_token expired"}`, CodeAccessTokenExpired, ErrUserTokenInvalid},
		{`{"errcode":42007,"errmsg":"access_token and refresh_token exception"}`, CodeUserTokenRevoked, ErrUserTokenInvalid},
		{`{"errcode":40003,"errmsg":"invalid openid"}`, CodeInvalidOpenID, nil},
	}
	for _, tt := range tests {
		c, mt := webTestClient(t)
		mt.RegisterResponder(http.MethodGet, snsUserURL, httpmock.NewStringResponder(200, tt.body))
		_, err := c.GetOAuthUserInfo(context.Background(), &UserToken{AccessToken: "USER_AT", OpenID: "o"}, LangZhCN)
		var api *APIError
		require.ErrorAs(t, err, &api, tt.body)
		assert.Equal(t, tt.code, api.Code)
		if tt.target != nil {
			assert.ErrorIs(t, err, tt.target)
		} else {
			assert.NotErrorIs(t, err, ErrUserTokenInvalid)
		}
		assert.NotContains(t, err.Error(), "USER_AT")
		assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+snsUserURL], "no retry: %s", tt.body)
	}
}

func TestUserTokenRedaction(t *testing.T) {
	t.Parallel()
	tok := UserToken{AccessToken: "SECRET_AT", RefreshToken: "SECRET_RT", OpenID: "oOPENID", Scope: ScopeBase}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("login", "token", tok, "ptr", &tok)
	for _, s := range []string{
		fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), fmt.Sprint(&tok), logs.String(),
	} {
		assert.NotContains(t, s, "SECRET")
		assert.Contains(t, s, "oOPENID")
	}
	// JSON keeps everything: the token is meant to be stored in a session.
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	var back UserToken
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, tok, back)

	assert.False(t, (*UserToken)(nil).Valid())
	assert.False(t, (&UserToken{AccessToken: "x", Expiry: time.Now().Add(30 * time.Second)}).Valid())
}

func TestOAuthRedirectHandler(t *testing.T) {
	t.Parallel()
	c, mt := webTestClient(t)
	var exchanged atomic.Int32
	mt.RegisterResponder(http.MethodGet, snsTokenURL, func(r *http.Request) (*http.Response, error) {
		exchanged.Add(1)
		if r.URL.Query().Get("code") == "USED" {
			return httpmock.NewStringResponse(200, `{"errcode":40163,"errmsg":"code been used"}`), nil
		}
		if r.URL.Query().Get("code") == "BUSY" {
			return httpmock.NewStringResponse(200, `{"errcode":-1,"errmsg":"system error"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"access_token":"AT","expires_in":7200,"refresh_token":"RT","openid":"oOPENID","scope":"snsapi_base"}`), nil
	})
	h, err := c.OAuthRedirectHandler(OAuthRedirectOptions{
		State: func(r *http.Request) (string, error) {
			ck, err := r.Cookie("oauth_state")
			if err != nil {
				return "", err
			}
			return ck.Value, nil
		},
		OnToken: func(w http.ResponseWriter, r *http.Request, tok *UserToken) {
			http.Redirect(w, r, "/home?openid="+tok.OpenID, http.StatusFound)
		},
	})
	require.NoError(t, err)

	tests := []struct {
		name, method, query, cookie string
		status                      int
		exchanges                   int32
	}{
		{"success", "GET", "code=GOOD&state=S1", "S1", 302, 1},
		{"state reused for a new code", "GET", "code=GOOD2&state=S1", "S1", 403, 0},
		{"no cookie", "GET", "code=GOOD&state=S2", "", 403, 0},
		{"state mismatch", "GET", "code=GOOD&state=S2", "S3", 403, 0},
		{"state missing", "GET", "code=GOOD", "S3", 403, 0},
		{"state duplicated", "GET", "code=GOOD&state=S3&state=S3", "S3", 400, 0},
		{"empty stored state", "GET", "code=GOOD&state=", "", 403, 0},
		{"denied: no code", "GET", "state=S3", "S3", 403, 0},
		{"two codes", "GET", "code=A&code=B&state=S3", "S3", 400, 0},
		{"over-long code", "GET", "code=" + strings.Repeat("c", maxOAuthParamLen+1) + "&state=S3", "S3", 400, 0},
		{"control byte in code", "GET", "code=AB%01CD&state=S3", "S3", 400, 0},
		{"space in code", "GET", "code=AB+CD&state=S3", "S3", 400, 0},
		{"non-ASCII code", "GET", "code=%E4%B8%AD&state=S3", "S3", 400, 0},
		{"over-long state", "GET", "code=GOOD&state=" + strings.Repeat("s", maxOAuthStateLen+1), "S3", 400, 0},
		{"state not alphanumeric", "GET", "code=GOOD&state=S%3B3", "S;3", 400, 0},
		{"denied state stays usable", "GET", "code=GOOD&state=S3", "S3", 302, 1},
		{"code used", "GET", "code=USED&state=S4", "S4", 400, 1},
		{"code used: state spent", "GET", "code=GOOD&state=S4", "S4", 403, 0},
		{"upstream busy", "GET", "code=BUSY&state=S5", "S5", 502, 1},
		{"POST", "POST", "code=GOOD&state=S1", "S1", 405, 0},
	}
	for _, tt := range tests {
		exchanged.Store(0)
		req := httptest.NewRequest(tt.method, "/oauth/callback?"+tt.query, nil)
		if tt.cookie != "" {
			req.AddCookie(&http.Cookie{Name: "oauth_state", Value: tt.cookie})
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, tt.status, rec.Code, tt.name)
		assert.Equal(t, tt.exchanges, exchanged.Load(), "%s: code exchanges", tt.name)
		if tt.status == 302 {
			assert.Equal(t, "/home?openid=oOPENID", rec.Header().Get("Location"))
		}
		assert.NotContains(t, rec.Body.String(), "AT\"", tt.name)
	}

	var gotErr error
	var consumed []string
	h2, err := c.OAuthRedirectHandler(OAuthRedirectOptions{
		State:   func(*http.Request) (string, error) { return "S", nil },
		OnToken: func(http.ResponseWriter, *http.Request, *UserToken) { t.Error("OnToken called") },
		OnError: func(w http.ResponseWriter, _ *http.Request, err error) { gotErr = err; w.WriteHeader(418) },
		ConsumeState: func(w http.ResponseWriter, _ *http.Request, state string) error {
			consumed = append(consumed, state)
			http.SetCookie(w, &http.Cookie{Name: "oauth_state", MaxAge: -1})
			return nil
		},
	})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h2.ServeHTTP(rec, httptest.NewRequest("GET", "/cb?code=USED&state=S", nil))
	assert.Equal(t, 418, rec.Code)
	assert.ErrorIs(t, gotErr, ErrOAuthCodeInvalid)
	assert.Equal(t, []string{"S"}, consumed)
	assert.Contains(t, rec.Header().Get("Set-Cookie"), "oauth_state=;")
	rec = httptest.NewRecorder()
	h2.ServeHTTP(rec, httptest.NewRequest("GET", "/cb?code=%00&state=S", nil))
	assert.ErrorIs(t, gotErr, ErrInvalidRequest)
	assert.Equal(t, []string{"S"}, consumed, "malformed input consumes nothing")

	_, err = c.OAuthRedirectHandler(OAuthRedirectOptions{})
	assert.Error(t, err)
}

func TestClassifyOAuthErrorPassesOthers(t *testing.T) {
	t.Parallel()
	plain := errors.New("boom")
	assert.Same(t, plain, classifyOAuthError(plain))
	assert.NoError(t, classifyOAuthError(nil))
	api := &APIError{Code: CodeInvalidCredential, Path: "/sns/oauth2/access_token"}
	assert.Same(t, error(api), classifyOAuthError(api), "40001 from the code exchange is about the AppSecret")
}

// The remembered states are bounded by age and count.
func TestUsedStatesForget(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	u := newUsedStates(func() time.Time { return now })
	assert.True(t, u.consume("A"))
	assert.False(t, u.consume("A"))
	now = now.Add(OAuthStateMemory)
	assert.True(t, u.consume("B"))
	assert.Len(t, u.seen, 1, "A is forgotten after OAuthStateMemory")
	for i := 0; i < maxUsedStates+10; i++ {
		u.consume(fmt.Sprint("s", i))
	}
	assert.LessOrEqual(t, len(u.seen), maxUsedStates)
	assert.Len(t, u.order, len(u.seen))
}

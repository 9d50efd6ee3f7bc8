package component

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestNewPlatformValidates(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func() error{
		"empty appid": func() error { _, err := NewPlatform("", "s", testToken, testAESKey); return err },
		"short token": func() error { _, err := NewPlatform(testAppID, "s", "ab", testAESKey); return err },
		"bad key":     func() error { _, err := NewPlatform(testAppID, "s", testToken, "short"); return err },
		"nil option":  func() error { _, err := NewPlatform(testAppID, "s", testToken, testAESKey, nil); return err },
		"bad base": func() error {
			_, err := NewPlatform(testAppID, "s", testToken, testAESKey, WithPlatformBaseURL("ftp://x"))
			return err
		},
		"negative refresh margin": func() error {
			_, err := NewPlatform(testAppID, "s", testToken, testAESKey, WithPlatformTokenRefreshMargin(-time.Second))
			return err
		},
		"refresh margin over an hour": func() error {
			_, err := NewPlatform(testAppID, "s", testToken, testAESKey, WithPlatformTokenRefreshMargin(time.Hour+time.Second))
			return err
		},
		"nil dedupe store": func() error {
			_, err := NewPlatform(testAppID, "s", testToken, testAESKey, WithPlatformDedupeStore(nil))
			return err
		},
	} {
		assert.Error(t, f(), name)
	}
	p, err := NewPlatform(testAppID, "very-secret", testToken, testAESKey)
	require.NoError(t, err)
	for _, s := range []string{p.String(), fmt.Sprintf("%v %+v %#v", p, p, p)} {
		assert.NotContains(t, s, "very-secret")
		assert.NotContains(t, s, testAESKey)
	}
}

func TestNoVerifyTicketYet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.platform.ComponentAccessToken(context.Background())
	require.ErrorIs(t, err, ErrNoVerifyTicket)
	assert.Zero(t, e.fake.Calls("/cgi-bin/component/api_component_token"))
}

func TestTicketPushedThenTokenFetchedOnceAcrossProcesses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	got, err := e.platform.VerifyTicket(ctx)
	require.NoError(t, err)
	assert.Equal(t, e.fake.VerifyTicket(testAppID), got)

	procs := []*Platform{e.platform, e.newPlatform(t), e.newPlatform(t)}
	var wg sync.WaitGroup
	toks := make([]string, 30)
	for i := range toks {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tok, err := procs[i%3].ComponentAccessToken(ctx)
			assert.NoError(t, err)
			toks[i] = tok
		}(i)
	}
	wg.Wait()
	for _, tok := range toks {
		assert.Equal(t, toks[0], tok)
	}
	assert.Equal(t, 1, e.fake.ComponentTokenFetches(testAppID))

	// Newest ticket wins: 10 minutes later another ticket arrives and replaces it.
	e.fake.Advance(offiaccounttest.VerifyTicketInterval)
	got2, err := e.platform.VerifyTicket(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, got, got2)
	assert.Equal(t, e.fake.VerifyTicket(testAppID), got2)
}

func TestStaleTicketRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // no event URL: the test hands tickets over itself
	ctx := context.Background()
	require.NoError(t, e.platform.SetVerifyTicket(ctx, e.fake.IssueVerifyTicket(testAppID)))
	e.fake.IssueVerifyTicket(testAppID)
	e.fake.Advance(offiaccounttest.VerifyTicketInterval + time.Minute)
	_, err := e.platform.ComponentAccessToken(ctx)
	var apiErr *offiaccount.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, CodeVerifyTicketInvalid, apiErr.Code)
	assert.ErrorIs(t, e.platform.SetVerifyTicket(ctx, ""), ErrInvalidRequest)
}

func TestComponentTokenRejectedRefreshedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	_, err := e.platform.ListAuthorizers(ctx, 0, 10)
	require.NoError(t, err)
	e.fake.FailNext("/cgi-bin/component/api_get_authorizer_list", 1, offiaccounttest.Fault{Errcode: 40001})
	_, err = e.platform.ListAuthorizers(ctx, 0, 10)
	require.NoError(t, err)
	assert.Equal(t, 2, e.fake.ComponentTokenFetches(testAppID))

	// Two rejections in a row: one retry only.
	e.fake.FailNext("/cgi-bin/component/api_get_authorizer_list", 2, offiaccounttest.Fault{Errcode: 42001})
	_, err = e.platform.ListAuthorizers(ctx, 0, 10)
	assert.ErrorIs(t, err, offiaccount.ErrTokenInvalid)
}

func TestAuthorizeActAndRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mu sync.Mutex
	var seen []*AuthEvent
	record := func(_ context.Context, ev *AuthEvent) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, ev)
		return nil
	}
	e.platform.HandleAuthEvent(InfoTypeAuthorized, record)
	e.platform.HandleAuthEvent(InfoTypeUnauthorized, record)
	e.start(t)
	ctx := context.Background()

	const acct = "wx6d555f48b01796bf"
	code, err := e.fake.AuthorizeAccount(testAppID, acct)
	require.NoError(t, err)
	mu.Lock()
	require.Len(t, seen, 1)
	ev := seen[0]
	mu.Unlock()
	assert.Equal(t, InfoTypeAuthorized, ev.InfoType)
	assert.Equal(t, acct, ev.AuthorizerAppID)
	require.NotNil(t, ev.Authorization, "the platform exchanged the code itself")
	assert.Equal(t, acct, ev.Authorization.AuthorizerAppID)
	assert.NotEmpty(t, ev.Authorization.FuncInfo)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %#v", ev, ev.Authorization, ev, ev.Authorization), code)
	assert.NotContains(t, fmt.Sprintf("%#v", ev.Authorization), ev.Authorization.RefreshToken)

	// A used code is refused, as WeChat does.
	_, err = e.platform.QueryAuth(ctx, code)
	var apiErr *offiaccount.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, CodeAuthorizationCodeUsed, apiErr.Code)

	// Acting for the account: every root API, with the authorizer token, no further fetch.
	c, err := e.platform.AuthorizerClient(acct)
	require.NoError(t, err)
	require.NoError(t, c.CreateMenu(ctx, offiaccount.NewMenu(offiaccount.ClickButton("Hi", "HI"))))
	menu, ok := e.fake.Menu(acct)
	require.True(t, ok)
	assert.Equal(t, "Hi", menu[0].Name)
	assert.Equal(t, 1, e.fake.AuthorizerTokenFetches(testAppID, acct))
	c2, err := e.platform.AuthorizerClient(acct)
	require.NoError(t, err)
	assert.Same(t, c, c2)

	e.fake.RevokeAuthorization(testAppID, acct)
	mu.Lock()
	require.Len(t, seen, 2)
	mu.Unlock()
	rt, err := e.platform.RefreshToken(ctx, acct)
	require.NoError(t, err)
	assert.Empty(t, rt)
	c3, err := e.platform.AuthorizerClient(acct)
	require.NoError(t, err)
	_, err = c3.AccessToken(ctx)
	assert.ErrorIs(t, err, ErrNotAuthorized)
}

func TestRefreshTokenSurvivesRestartAndRotates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	const acct = "wxed68f49b3cbf8f9b"
	_, err := e.fake.AuthorizeAccount(testAppID, acct)
	require.NoError(t, err)

	// A new process: the token is in the store, nothing is fetched.
	restarted := e.newPlatform(t)
	c, err := restarted.AuthorizerClient(acct)
	require.NoError(t, err)
	_, err = c.GetMenu(ctx)
	if err != nil {
		require.ErrorIs(t, err, err) // no menu yet is fine; the call reached the API
	}
	assert.Equal(t, 1, e.fake.AuthorizerTokenFetches(testAppID, acct))

	// Two hours later WeChat answers 42001: one refresh with the stored refresh token.
	e.fake.Advance(2*time.Hour + time.Minute)
	require.NoError(t, c.CreateMenu(ctx, offiaccount.NewMenu(offiaccount.ClickButton("A", "A"))))
	assert.Equal(t, 2, e.fake.AuthorizerTokenFetches(testAppID, acct))
	rt, err := restarted.RefreshToken(ctx, acct)
	require.NoError(t, err)
	assert.NotEmpty(t, rt)
	_, exp, err := e.store.Get(ctx, "component:"+testAppID+":"+acct+":authorizer_refresh_token")
	require.NoError(t, err)
	assert.True(t, exp.After(time.Now().Add(100*365*24*time.Hour)), "kept without a practical expiry")
}

func TestRestoreRefreshTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, err := e.fake.AuthorizeAccount(testAppID, fmt.Sprintf("wx%016x", 0x5e5702e000+i))
		require.NoError(t, err)
	}
	// The store is lost: a fresh one, with only the newest ticket pushed again.
	e.store = offiaccount.NewMemoryTokenStore()
	lost := e.newPlatform(t)
	require.NoError(t, lost.SetVerifyTicket(ctx, e.fake.VerifyTicket(testAppID)))
	n, err := lost.RestoreRefreshTokens(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	c, err := lost.AuthorizerClient(fmt.Sprintf("wx%016x", 0x5e5702e000+1))
	require.NoError(t, err)
	_, err = c.AccessToken(ctx)
	require.NoError(t, err)
	n, err = lost.RestoreRefreshTokens(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "tokens already stored are kept")
}

func TestAuthorizerAPIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	const acct = "wx93f7152ef5c3fa41"
	_, err := e.fake.AuthorizeAccount(testAppID, acct)
	require.NoError(t, err)

	pre, err := e.platform.CreatePreAuthCode(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, pre.Code)
	assert.NotContains(t, fmt.Sprint(pre), pre.Code)

	info, err := e.platform.GetAuthorizerInfo(ctx, acct)
	require.NoError(t, err)
	assert.Equal(t, acct, info.Authorization.AuthorizerAppID)

	list, err := e.platform.ListAuthorizers(ctx, 0, 500)
	require.NoError(t, err)
	assert.Equal(t, 1, list.TotalCount)
	_, err = e.platform.ListAuthorizers(ctx, 0, 501)
	assert.ErrorIs(t, err, ErrInvalidRequest)

	require.NoError(t, e.platform.SetAuthorizerOption(ctx, acct, OptionVoiceRecognize, "1"))
	v, err := e.platform.GetAuthorizerOption(ctx, acct, OptionVoiceRecognize)
	require.NoError(t, err)
	assert.Equal(t, "1", v)

	rt, err := e.platform.RefreshToken(ctx, acct)
	require.NoError(t, err)
	tok, err := e.platform.RefreshAuthorizerToken(ctx, acct, rt)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	_, err = e.platform.RefreshAuthorizerToken(ctx, acct, "wrong")
	var apiErr *offiaccount.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, CodeRefreshTokenInvalid, apiErr.Code)
	assert.NotContains(t, err.Error(), rt)
}

func TestAuthURLs(t *testing.T) {
	t.Parallel()
	p, err := NewPlatform(testAppID, testSecret, testToken, testAESKey)
	require.NoError(t, err)
	pc, err := p.AuthURL(AuthURLRequest{PreAuthCode: "pre@@@x", RedirectURI: "https://a.example/cb?x=1", AuthType: AuthTypeOfficialAccount, CategoryIDs: []int{1, 2}})
	require.NoError(t, err)
	assert.Equal(t, "https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid="+testAppID+
		"&pre_auth_code=pre%40%40%40x&redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1&auth_type=1&category_id_list=1%7C2", pc)
	m, err := p.MobileAuthURL(AuthURLRequest{PreAuthCode: "c", RedirectURI: "https://a.example/", BizAppID: "wxbiz"})
	require.NoError(t, err)
	assert.Equal(t, "https://mp.weixin.qq.com/safe/bindcomponent?action=bindcomponent&no_scan=1&component_appid="+testAppID+
		"&pre_auth_code=c&redirect_uri=https%3A%2F%2Fa.example%2F&biz_appid=wxbiz#wechat_redirect", m)
	for _, bad := range []AuthURLRequest{
		{RedirectURI: "https://a.example/"},
		{PreAuthCode: "c", RedirectURI: "/relative"},
		{PreAuthCode: "c", RedirectURI: "https://a.example/", AuthType: 1, BizAppID: "wx"},
		{PreAuthCode: "c", RedirectURI: "https://a.example/", AuthType: 9},
	} {
		_, err := p.AuthURL(bad)
		assert.ErrorIs(t, err, ErrInvalidRequest, "%+v", bad)
	}
}

func TestAuthorizerClientArguments(t *testing.T) {
	t.Parallel()
	p, err := NewPlatform(testAppID, testSecret, testToken, testAESKey, WithPlatformMaxClients(2))
	require.NoError(t, err)
	_, err = p.AuthorizerClient("")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = p.AuthorizerClient(testAppID)
	assert.ErrorIs(t, err, ErrInvalidRequest)
	for i := 0; i < 5; i++ {
		_, err := p.AuthorizerClient(fmt.Sprintf("wx%016x", 0xc11e000+i))
		require.NoError(t, err)
	}
	p.mu.RLock()
	assert.LessOrEqual(t, len(p.clients), 2)
	p.mu.RUnlock()
	_, err = p.AuthorizerClient("wx000000000c11e009")
	require.NoError(t, err)
	c, _ := p.AuthorizerClient("wx000000000c11e009")
	_, err = c.AccessToken(context.Background())
	assert.True(t, errors.Is(err, ErrNotAuthorized))
}

func TestWebAuthorizationOnBehalf(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	const acct = "wxb1ef95d754745e66"
	_, err := e.fake.AuthorizeAccount(testAppID, acct)
	require.NoError(t, err)
	u, err := e.platform.AuthCodeURL(acct, "https://a.example/cb", offiaccount.ScopeBase, "st8")
	require.NoError(t, err)
	assert.Equal(t, "https://open.weixin.qq.com/connect/oauth2/authorize?appid="+acct+
		"&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=snsapi_base&state=st8&component_appid="+testAppID+"#wechat_redirect", u)
	_, err = e.platform.AuthCodeURL(acct, "https://a.example/cb", "snsapi_x", "s")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = e.platform.AuthCodeURL(acct, "https://a.example/cb", offiaccount.ScopeBase, "bad state!")
	assert.ErrorIs(t, err, ErrInvalidRequest)

	code := e.fake.IssueAuthCode(acct, "openid-1", "snsapi_base")
	tok, err := e.platform.ExchangeCode(ctx, acct, code)
	require.NoError(t, err)
	assert.Equal(t, "openid-1", tok.OpenID)
	_, err = e.platform.ExchangeCode(ctx, acct, code)
	var apiErr *offiaccount.APIError
	require.ErrorAs(t, err, &apiErr, "a code works once")
	tok2, err := e.platform.RefreshUserToken(ctx, acct, tok)
	require.NoError(t, err)
	assert.Equal(t, "openid-1", tok2.OpenID)
	assert.NotEqual(t, tok.AccessToken, tok2.AccessToken)
}

func TestTransportErrorsHoldNoSecret(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	tok, err := e.platform.ComponentAccessToken(ctx)
	require.NoError(t, err)
	e.fake.FailNext("/cgi-bin/component/api_get_authorizer_list", 1, offiaccounttest.Fault{Drop: true})
	_, err = e.platform.ListAuthorizers(ctx, 0, 10)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), tok)
	assert.NotContains(t, err.Error(), testSecret)
	e.fake.FailNext("/sns/oauth2/component/access_token", 1, offiaccounttest.Fault{Drop: true})
	_, err = e.platform.ExchangeCode(ctx, "wxa", "secret-code-123")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-code-123")
	assert.NotContains(t, err.Error(), tok)
}

func TestRotatedRefreshTokenIsStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.start(t)
	ctx := context.Background()
	const acct = "wx662cb49bb43af689"
	_, err := e.fake.AuthorizeAccount(testAppID, acct)
	require.NoError(t, err)
	old, err := e.platform.RefreshToken(ctx, acct)
	require.NoError(t, err)
	// WeChat answers the next refresh with a new refresh token.
	e.fake.FailNext("/cgi-bin/component/api_authorizer_token", 1, offiaccounttest.Fault{
		Body: `{"authorizer_access_token":"rotated-access","expires_in":7200,"authorizer_refresh_token":"rotated-refresh"}`})
	c, err := e.newPlatform(t).AuthorizerClient(acct)
	require.NoError(t, err)
	_, err = e.store.CompareAndDelete(ctx, "component:"+testAppID+":"+acct+":access_token", mustGet(t, e, acct+":access_token"))
	require.NoError(t, err)
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "rotated-access", tok)
	now, err := e.platform.RefreshToken(ctx, acct)
	require.NoError(t, err)
	assert.NotEqual(t, old, now)
	assert.Equal(t, "rotated-refresh", now)
}

func mustGet(t *testing.T, e *env, key string) string {
	t.Helper()
	v, _, err := e.store.Get(context.Background(), "component:"+testAppID+":"+key)
	require.NoError(t, err)
	require.NotEmpty(t, v)
	return v
}

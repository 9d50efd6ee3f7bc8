package offiaccounttest

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func exchange(t *testing.T, p *Platform, appID, secret, grant, code string) reply {
	t.Helper()
	return get(t, p, "/sns/oauth2/access_token", url.Values{"appid": {appID}, "secret": {secret}, "code": {code}, "grant_type": {grant}})
}

func TestOAuthCodeExchange(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	p.AddAccount("wxother", "s2")
	p.AddUser(testAppID, UserRecord{OpenID: "o-union", UnionID: "u-1", Snapshot: true})
	good := p.IssueAuthCode(testAppID, "o-1", ScopeBase)
	used := p.IssueAuthCode(testAppID, "o-1", ScopeBase)
	require.Equal(t, 0, exchange(t, p, testAppID, testSecret, "authorization_code", used).code())
	expired := p.IssueAuthCode(testAppID, "o-1", ScopeBase)
	otherApp := p.IssueAuthCode("wxother", "o-1", ScopeBase)
	assert.Empty(t, p.IssueAuthCode("wxnobody", "o-1", ScopeBase))

	tests := []struct {
		name, appID, secret, grant, code string
		want                             int
	}{
		{"unknown appid", "wxnobody", testSecret, "authorization_code", good, 40013},
		{"missing appid", "", testSecret, "authorization_code", good, 41002},
		{"wrong secret", testAppID, "bad", "authorization_code", good, 40125},
		{"wrong grant_type", testAppID, testSecret, "client_credential", good, 40002},
		{"missing code", testAppID, testSecret, "authorization_code", "", 41008},
		{"unknown code", testAppID, testSecret, "authorization_code", "nope", 40029},
		{"another account's code", testAppID, testSecret, "authorization_code", otherApp, 40029},
		{"used code", testAppID, testSecret, "authorization_code", used, 40163},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, exchange(t, p, tt.appID, tt.secret, tt.grant, tt.code).code())
		})
	}

	r := exchange(t, p, testAppID, testSecret, "authorization_code", good)
	require.Equal(t, 0, r.code(), r.raw)
	assert.Regexp(t, `^\{"access_token":"[^"]+","expires_in":7200,"refresh_token":"[^"]+","openid":"o-1","scope":"snsapi_base"\}$`, r.raw)
	assert.Equal(t, 40163, exchange(t, p, testAppID, testSecret, "authorization_code", good).code(), "a code works once")

	r = exchange(t, p, testAppID, testSecret, "authorization_code", p.IssueAuthCode(testAppID, "o-union", ScopeUserInfo))
	assert.Equal(t, int64(1), r.num("is_snapshotuser"))
	assert.Equal(t, "u-1", r.str("unionid"))

	p.Advance(AuthCodeLifetime)
	assert.Equal(t, 42003, exchange(t, p, testAppID, testSecret, "authorization_code", expired).code())
}

func TestOAuthTokensAndUserInfo(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	p.AddUser(testAppID, UserRecord{OpenID: "o-info", Nickname: "Alice", HeadImgURL: "https://thirdwx.qlogo.cn/a/132", UnionID: "u-9"})
	r := exchange(t, p, testAppID, testSecret, "authorization_code", p.IssueAuthCode(testAppID, "o-info", ScopeUserInfo))
	require.Equal(t, 0, r.code())
	at, rt := r.str("access_token"), r.str("refresh_token")
	base := exchange(t, p, testAppID, testSecret, "authorization_code", p.IssueAuthCode(testAppID, "o-base", ScopeBase)).str("access_token")

	sns := func(path, token, openID string) reply {
		return get(t, p, path, url.Values{"access_token": {token}, "openid": {openID}, "lang": {"zh_CN"}})
	}
	assert.Equal(t, `{"errcode":0,"errmsg":"ok"}`, sns("/sns/auth", at, "o-info").raw)
	assert.Equal(t, `{"openid":"o-info","nickname":"Alice","sex":0,"province":"","city":"","country":"","headimgurl":"https://thirdwx.qlogo.cn/a/132","privilege":[],"unionid":"u-9"}`,
		sns("/sns/userinfo", at, "o-info").raw)

	tests := []struct {
		name, path, token, openID string
		want                      int
	}{
		{"auth: missing token", "/sns/auth", "", "o-info", 41001},
		{"auth: unknown token", "/sns/auth", "nope", "o-info", 40001},
		{"auth: account token is not a web token", "/sns/auth", fetchToken(t, p), "o-info", 40001},
		{"auth: other openid", "/sns/auth", at, "o-base", 40003},
		{"userinfo: missing openid", "/sns/userinfo", at, "", 41009},
		{"userinfo: snsapi_base token", "/sns/userinfo", base, "o-base", 48001},
		{"userinfo: base token still passes auth", "/sns/auth", base, "o-base", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, sns(tt.path, tt.token, tt.openID).code())
		})
	}
	// A web token is not an account token either.
	assert.Equal(t, 40001, probe(t, p, at))

	u := sns("/sns/userinfo", base, "o-base")
	assert.Equal(t, 48001, u.code())
	r = exchange(t, p, testAppID, testSecret, "authorization_code", p.IssueAuthCode(testAppID, "o-anon", ScopeUserInfo))
	assert.Equal(t, "微信用户", sns("/sns/userinfo", r.str("access_token"), "o-anon").str("nickname"), "WeChat's default nickname")

	// Expiry and refresh.
	p.Advance(TokenLifetime)
	assert.Equal(t, 42001, sns("/sns/auth", at, "o-info").code())
	refresh := func(appID, grant, token string) reply {
		return get(t, p, "/sns/oauth2/refresh_token", url.Values{"appid": {appID}, "grant_type": {grant}, "refresh_token": {token}})
	}
	r = refresh(testAppID, "refresh_token", rt)
	require.Equal(t, 0, r.code(), r.raw)
	assert.Equal(t, rt, r.str("refresh_token"))
	assert.Equal(t, "o-info", r.str("openid"))
	assert.Equal(t, ScopeUserInfo, r.str("scope"))
	assert.NotContains(t, r.obj, "unionid")
	assert.Equal(t, 0, sns("/sns/userinfo", r.str("access_token"), "o-info").code())

	refreshErrs := []struct {
		name, appID, grant, token string
		want                      int
	}{
		{"missing appid", "", "refresh_token", rt, 41002},
		{"unknown appid", "wxnobody", "refresh_token", rt, 40013},
		{"wrong grant_type", testAppID, "authorization_code", rt, 40002},
		{"missing refresh_token", testAppID, "refresh_token", "", 41003},
		{"unknown refresh_token", testAppID, "refresh_token", "nope", 40030},
	}
	for _, tt := range refreshErrs {
		t.Run("refresh: "+tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, refresh(tt.appID, tt.grant, tt.token).code())
		})
	}
	p.Advance(RefreshTokenLifetime)
	assert.Equal(t, 42002, refresh(testAppID, "refresh_token", rt).code())
}

package offiaccounttest

import "time"

// Scopes of web authorization (网页授权).
const (
	ScopeBase     = "snsapi_base"     // silent: the openid only
	ScopeUserInfo = "snsapi_userinfo" // asks the user: profile through /sns/userinfo
)

type authCode struct {
	appID, openID, scope string
	expires              time.Time
	used                 bool
}

// webToken is a user's web-authorization access_token or refresh_token.
type webToken struct {
	appID, openID, scope string
	expires              time.Time
}

// IssueAuthCode plays a user who accepted the authorization page of appID: it returns the
// code WeChat would append to the redirect_uri, valid for one exchange within
// AuthCodeLifetime. The user is registered with AddUser's defaults if unknown.
func (p *Platform) IssueAuthCode(appID, openID, scope string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return ""
	}
	if _, ok := a.users[openID]; !ok {
		a.users[openID] = UserRecord{OpenID: openID}
	}
	code := randomString(24)
	p.codes[code] = &authCode{appID: appID, openID: openID, scope: scope, expires: p.now.Add(AuthCodeLifetime)}
	return code
}

type oauthTokenResponse struct {
	AccessToken    string `json:"access_token"`
	ExpiresIn      int64  `json:"expires_in"`
	RefreshToken   string `json:"refresh_token"`
	OpenID         string `json:"openid"`
	Scope          string `json:"scope"`
	IsSnapshotUser int    `json:"is_snapshotuser,omitempty"`
	UnionID        string `json:"unionid,omitempty"`
}

func (p *Platform) oauthAnswerLocked(a *account, openID, scope, refresh string) oauthTokenResponse {
	at := randomString(72)
	p.webTokens[at] = &webToken{appID: a.appID, openID: openID, scope: scope, expires: p.now.Add(TokenLifetime)}
	u := a.users[openID]
	out := oauthTokenResponse{AccessToken: at, ExpiresIn: int64(TokenLifetime / time.Second),
		RefreshToken: refresh, OpenID: openID, Scope: scope, UnionID: u.UnionID}
	if u.Snapshot {
		out.IsSnapshotUser = 1
	}
	return out
}

// handleOAuthAccessToken is GET /sns/oauth2/access_token: exchanges a code, once.
// https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html
func (p *Platform) handleOAuthAccessToken(r *request) (any, int) {
	a, code := p.credentialsLocked(r.get("appid"), r.get("secret"))
	if code != 0 {
		return nil, code
	}
	if r.get("grant_type") != "authorization_code" {
		return nil, codeInvalidGrantType
	}
	value := r.get("code")
	if value == "" {
		return nil, codeCodeMissing
	}
	c, ok := p.codes[value]
	switch {
	case !ok || c.appID != a.appID:
		return nil, codeInvalidCode
	case c.used:
		return nil, codeCodeUsed
	case !p.now.Before(c.expires):
		return nil, codeCodeExpired
	}
	c.used = true
	refresh := randomString(72)
	p.refreshTokens[refresh] = &webToken{appID: a.appID, openID: c.openID, scope: c.scope, expires: p.now.Add(RefreshTokenLifetime)}
	return p.oauthAnswerLocked(a, c.openID, c.scope, refresh), 0
}

// handleOAuthRefresh is GET /sns/oauth2/refresh_token: a new web access_token from a
// refresh_token, which stays the same and keeps its 30 days.
func (p *Platform) handleOAuthRefresh(r *request) (any, int) {
	appID := r.get("appid")
	if appID == "" {
		return nil, codeAppIDMissing
	}
	a, ok := p.accounts[appID]
	if !ok {
		return nil, codeInvalidAppID
	}
	if r.get("grant_type") != "refresh_token" {
		return nil, codeInvalidGrantType
	}
	value := r.get("refresh_token")
	if value == "" {
		return nil, codeRefreshTokenMissing
	}
	t, ok := p.refreshTokens[value]
	switch {
	case !ok || t.appID != appID:
		return nil, codeInvalidRefreshToken
	case !p.now.Before(t.expires):
		return nil, codeRefreshTokenExpired
	}
	out := p.oauthAnswerLocked(a, t.openID, t.scope, value)
	out.IsSnapshotUser, out.UnionID = 0, "" // the refresh answer carries neither
	return out, 0
}

// webTokenLocked checks a user's web access_token and the openid sent with it.
func (p *Platform) webTokenLocked(r *request) (*webToken, int) {
	value := r.get("access_token")
	if value == "" {
		return nil, codeTokenMissing
	}
	t, ok := p.webTokens[value]
	if !ok {
		return nil, codeInvalidCredential
	}
	if !p.now.Before(t.expires) {
		return nil, codeTokenExpired
	}
	openID := r.get("openid")
	if openID == "" {
		return nil, codeOpenIDMissing
	}
	if openID != t.openID {
		return nil, codeInvalidOpenID
	}
	return t, 0
}

// handleSNSAuth is GET /sns/auth: whether a web access_token is valid for openid.
func (p *Platform) handleSNSAuth(r *request) (any, int) {
	if _, code := p.webTokenLocked(r); code != 0 {
		return nil, code
	}
	return okBody, 0
}

type userInfoResponse struct {
	OpenID     string   `json:"openid"`
	Nickname   string   `json:"nickname"`
	Sex        int      `json:"sex"`
	Province   string   `json:"province"`
	City       string   `json:"city"`
	Country    string   `json:"country"`
	HeadImgURL string   `json:"headimgurl"`
	Privilege  []string `json:"privilege"`
	UnionID    string   `json:"unionid,omitempty"`
}

// handleSNSUserInfo is GET /sns/userinfo: the profile, for snsapi_userinfo tokens only
// (48001 otherwise). Like WeChat today, sex and region come back empty.
func (p *Platform) handleSNSUserInfo(r *request) (any, int) {
	t, code := p.webTokenLocked(r)
	if code != 0 {
		return nil, code
	}
	if t.scope != ScopeUserInfo {
		return nil, codeAPIUnauthorized
	}
	u := p.accounts[t.appID].users[t.openID]
	name := u.Nickname
	if name == "" {
		name = "微信用户"
	}
	return userInfoResponse{OpenID: t.openID, Nickname: name, HeadImgURL: u.HeadImgURL,
		Privilege: []string{}, UnionID: u.UnionID}, 0
}

package component

// Web authorization (网页授权) on behalf of an authorized account: the authorize URL carries
// component_appid and the code is exchanged with the component_access_token instead of the
// account's AppSecret. The user's UserToken then works with the account's Client
// (GetOAuthUserInfo, CheckUserToken) as usual.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxgo/offiaccount"
)

const authorizeEndpoint = "https://open.weixin.qq.com/connect/oauth2/authorize"

// AuthCodeURL returns the URL that starts web authorization of a user of the authorized
// account authorizerAppID, like [offiaccount.Client.AuthCodeURL] plus component_appid.
// redirectURI must be on the platform's 公众号开发域名; state is at most 128 letters or digits.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Official_Accounts/official_account_website_authorization.html
func (p *Platform) AuthCodeURL(authorizerAppID, redirectURI string, scope offiaccount.OAuthScope, state string) (string, error) {
	if authorizerAppID == "" {
		return "", fmt.Errorf("%w: empty authorizer AppID", ErrInvalidRequest)
	}
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: redirect URI must be an absolute http(s) URL without fragment", ErrInvalidRequest)
	}
	if scope != offiaccount.ScopeBase && scope != offiaccount.ScopeUserInfo {
		return "", fmt.Errorf("%w: unknown oauth scope %q", ErrInvalidRequest, scope)
	}
	if len(state) > 128 || strings.IndexFunc(state, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}) >= 0 {
		return "", fmt.Errorf("%w: oauth state must be at most 128 of [A-Za-z0-9]", ErrInvalidRequest)
	}
	return authorizeEndpoint + "?appid=" + url.QueryEscape(authorizerAppID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) +
		"&response_type=code&scope=" + string(scope) + "&state=" + state +
		"&component_appid=" + url.QueryEscape(p.appID) + "#wechat_redirect", nil
}

type userTokenAnswer struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	OpenID       string `json:"openid"`
	Scope        string `json:"scope"`
	UnionID      string `json:"unionid"`
}

func (a *userTokenAnswer) token(path string) (*offiaccount.UserToken, error) {
	if a.AccessToken == "" || a.OpenID == "" {
		return nil, fmt.Errorf("%w: %s: no access_token or openid", offiaccount.ErrBadResponse, path)
	}
	secs := min(max(a.ExpiresIn, 0), 30*24*3600)
	return &offiaccount.UserToken{
		AccessToken: a.AccessToken, RefreshToken: a.RefreshToken, OpenID: a.OpenID, UnionID: a.UnionID,
		Scope: offiaccount.OAuthScope(a.Scope), Expiry: time.Now().Add(time.Duration(secs) * time.Second),
	}, nil
}

// snsCall makes a GET web-authorization call with the component_access_token, retried once
// when that token is rejected.
func (p *Platform) snsCall(ctx context.Context, path string, q url.Values) (*offiaccount.UserToken, error) {
	for attempt := 0; ; attempt++ {
		tok, err := p.ComponentAccessToken(ctx)
		if err != nil {
			return nil, err
		}
		q.Set("component_access_token", tok)
		var out userTokenAnswer
		err = p.tokenClient.CallWithoutToken(ctx, http.MethodGet, path, q, nil, &out)
		var apiErr *offiaccount.APIError
		if attempt == 0 && errors.As(err, &apiErr) && (apiErr.Code == offiaccount.CodeInvalidCredential || apiErr.Code == offiaccount.CodeAccessTokenExpired) {
			p.tokenClient.InvalidateAccessToken(ctx, tok)
			continue
		}
		if err != nil {
			return nil, err
		}
		return out.token(path)
	}
}

// ExchangeCode trades the code of a redirect for the user's web token, on behalf of
// authorizerAppID.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Official_Accounts/official_account_website_authorization.html
func (p *Platform) ExchangeCode(ctx context.Context, authorizerAppID, code string) (*offiaccount.UserToken, error) {
	if authorizerAppID == "" || code == "" || len(code) > 512 {
		return nil, fmt.Errorf("%w: empty authorizer AppID or bad code", ErrInvalidRequest)
	}
	q := url.Values{"appid": {authorizerAppID}, "code": {code}, "grant_type": {"authorization_code"}, "component_appid": {p.appID}}
	return p.snsCall(ctx, "/sns/oauth2/component/access_token", q)
}

// RefreshUserToken renews a user's web token on behalf of authorizerAppID; tok is not
// changed.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Official_Accounts/official_account_website_authorization.html
func (p *Platform) RefreshUserToken(ctx context.Context, authorizerAppID string, tok *offiaccount.UserToken) (*offiaccount.UserToken, error) {
	if authorizerAppID == "" || tok == nil || tok.RefreshToken == "" {
		return nil, fmt.Errorf("%w: empty authorizer AppID or refresh token", ErrInvalidRequest)
	}
	q := url.Values{"appid": {authorizerAppID}, "grant_type": {"refresh_token"}, "component_appid": {p.appID}, "refresh_token": {tok.RefreshToken}}
	nt, err := p.snsCall(ctx, "/sns/oauth2/component/refresh_token", q)
	if err != nil {
		return nil, err
	}
	if nt.UnionID == "" {
		nt.UnionID = tok.UnionID
	}
	return nt, nil
}

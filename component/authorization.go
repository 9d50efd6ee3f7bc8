package component

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Authorization pages of the platform (授权页).
const (
	pcAuthorizePage     = "https://mp.weixin.qq.com/cgi-bin/componentloginpage"
	mobileAuthorizePage = "https://mp.weixin.qq.com/safe/bindcomponent"
	// MaxAuthorizerListCount is the largest page of api_get_authorizer_list.
	MaxAuthorizerListCount = 500
)

// AuthType chooses which kinds of account the authorization page offers (auth_type).
type AuthType int

// Kinds of account for the authorization page.
const (
	AuthTypeOfficialAccount AuthType = 1 // 仅展示公众号
	AuthTypeMiniProgram     AuthType = 2 // 仅展示小程序
	AuthTypeBoth            AuthType = 3 // 公众号和小程序都展示
)

// PreAuthCode is a pre-authorization code (预授权码) for one authorization page.
type PreAuthCode struct {
	Code      string
	ExpiresIn time.Duration
}

// String keeps the code out of fmt output.
func (c PreAuthCode) String() string { return "component.PreAuthCode{[REDACTED]}" }

// GoString is String, for %#v.
func (c PreAuthCode) GoString() string { return c.String() }

// LogValue keeps the code out of structured logs.
func (c PreAuthCode) LogValue() slog.Value {
	return slog.GroupValue(slog.String("code", "[REDACTED]"), slog.Duration("expires_in", c.ExpiresIn))
}

// CreatePreAuthCode gets a pre-authorization code, good for one authorization page.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/pre_auth_code.html
func (p *Platform) CreatePreAuthCode(ctx context.Context) (*PreAuthCode, error) {
	var out struct {
		Code      string `json:"pre_auth_code"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if err := p.call(ctx, "/cgi-bin/component/api_create_preauthcode", map[string]string{"component_appid": p.appID}, &out); err != nil {
		return nil, err
	}
	if out.Code == "" {
		return nil, fmt.Errorf("component: api_create_preauthcode: no pre_auth_code in answer")
	}
	return &PreAuthCode{Code: out.Code, ExpiresIn: time.Duration(out.ExpiresIn) * time.Second}, nil
}

// AuthURLRequest describes an authorization page. Set AuthType or BizAppID, not both
// (WeChat treats them as exclusive); CategoryIDs limits the permission sets (权限集) asked.
type AuthURLRequest struct {
	PreAuthCode string   // from CreatePreAuthCode; one page per code
	RedirectURI string   // where WeChat sends the admin back with auth_code and expires_in
	AuthType    AuthType // 0: WeChat's default
	BizAppID    string   // only this account may authorize
	CategoryIDs []int    // permission set ids, sent as category_id_list=1|2
}

// String keeps the pre-authorization code out of fmt output.
func (r AuthURLRequest) String() string {
	return "component.AuthURLRequest{RedirectURI: " + r.RedirectURI + ", PreAuthCode: [REDACTED]}"
}

// GoString is String, for %#v.
func (r AuthURLRequest) GoString() string { return r.String() }

// LogValue keeps the pre-authorization code out of structured logs.
func (r AuthURLRequest) LogValue() slog.Value {
	return slog.GroupValue(slog.String("redirect_uri", r.RedirectURI), slog.String("pre_auth_code", "[REDACTED]"))
}

func (r AuthURLRequest) query(componentAppID string) (string, error) {
	if r.PreAuthCode == "" {
		return "", fmt.Errorf("%w: empty pre_auth_code", ErrInvalidRequest)
	}
	u, err := url.Parse(r.RedirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: redirect_uri must be an absolute http(s) URL", ErrInvalidRequest)
	}
	if r.AuthType != 0 && r.BizAppID != "" {
		return "", fmt.Errorf("%w: auth_type and biz_appid are exclusive", ErrInvalidRequest)
	}
	if r.AuthType < 0 || r.AuthType > 6 {
		return "", fmt.Errorf("%w: auth_type %d unknown", ErrInvalidRequest, r.AuthType)
	}
	var b strings.Builder
	b.WriteString("component_appid=" + url.QueryEscape(componentAppID))
	b.WriteString("&pre_auth_code=" + url.QueryEscape(r.PreAuthCode))
	b.WriteString("&redirect_uri=" + url.QueryEscape(r.RedirectURI))
	if r.AuthType != 0 {
		b.WriteString("&auth_type=" + strconv.Itoa(int(r.AuthType)))
	}
	if r.BizAppID != "" {
		b.WriteString("&biz_appid=" + url.QueryEscape(r.BizAppID))
	}
	if len(r.CategoryIDs) > 0 {
		ids := make([]string, len(r.CategoryIDs))
		for i, id := range r.CategoryIDs {
			ids[i] = strconv.Itoa(id)
		}
		b.WriteString("&category_id_list=" + url.QueryEscape(strings.Join(ids, "|")))
	}
	return b.String(), nil
}

// AuthURL returns the PC authorization page (授权注册页面扫码授权): the account's admin scans
// a QR code there.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Authorization_Process_Technical_Description.html
func (p *Platform) AuthURL(r AuthURLRequest) (string, error) {
	q, err := r.query(p.appID)
	if err != nil {
		return "", err
	}
	return pcAuthorizePage + "?" + q, nil
}

// MobileAuthURL returns the mobile authorization link (点击移动端链接快速授权), opened inside
// WeChat.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/Authorization_Process_Technical_Description.html
func (p *Platform) MobileAuthURL(r AuthURLRequest) (string, error) {
	q, err := r.query(p.appID)
	if err != nil {
		return "", err
	}
	return mobileAuthorizePage + "?action=bindcomponent&no_scan=1&" + q + "#wechat_redirect", nil
}

// FuncInfo is one permission set (权限集) granted to the platform.
type FuncInfo struct {
	FuncscopeCategory struct {
		ID int `json:"id"`
	} `json:"funcscope_category"`
}

// Authorization is an account's authorization of the platform (授权信息).
type Authorization struct {
	AuthorizerAppID string     `json:"authorizer_appid"`
	AccessToken     string     `json:"authorizer_access_token"`
	ExpiresIn       int64      `json:"expires_in"`
	RefreshToken    string     `json:"authorizer_refresh_token"`
	FuncInfo        []FuncInfo `json:"func_info"`
}

// String keeps the tokens out of fmt output. Like the other methods that hide secrets, it
// has a value receiver, so that a value printed or logged hides them too.
func (a Authorization) String() string {
	return "component.Authorization{AuthorizerAppID: " + a.AuthorizerAppID + ", tokens: [REDACTED]}"
}

// GoString is String, for %#v.
func (a Authorization) GoString() string { return a.String() }

// LogValue keeps the tokens out of structured logs.
func (a Authorization) LogValue() slog.Value {
	return slog.GroupValue(slog.String("authorizer_appid", a.AuthorizerAppID), slog.String("tokens", "[REDACTED]"))
}

// QueryAuth exchanges an authorization code (from the redirect's auth_code or an authorized
// event) for the account's authorizer tokens, and stores them: the access token until it
// expires, the refresh token durably. The account's Client ([Platform.AuthorizerClient])
// then works without a fetch.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/authorization_info.html
func (p *Platform) QueryAuth(ctx context.Context, authorizationCode string) (*Authorization, error) {
	if authorizationCode == "" {
		return nil, fmt.Errorf("%w: empty authorization_code", ErrInvalidRequest)
	}
	var out struct {
		Info Authorization `json:"authorization_info"`
	}
	in := map[string]string{"component_appid": p.appID, "authorization_code": authorizationCode}
	if err := p.call(ctx, "/cgi-bin/component/api_query_auth", in, &out); err != nil {
		return nil, err
	}
	a := &out.Info
	if a.AuthorizerAppID == "" || a.RefreshToken == "" {
		return nil, fmt.Errorf("component: api_query_auth: no authorizer_appid or refresh token in answer")
	}
	if err := p.store.setDurable(ctx, a.AuthorizerAppID+kindRefresh, a.RefreshToken); err != nil {
		return a, fmt.Errorf("component: storing the refresh token of %s: %w", a.AuthorizerAppID, err)
	}
	if a.AccessToken != "" && a.ExpiresIn > 0 {
		exp := time.Now().Add(time.Duration(a.ExpiresIn) * time.Second)
		if err := p.store.Set(ctx, a.AuthorizerAppID+kindAccess, a.AccessToken, exp); err != nil {
			p.logStoreErr(ctx, err)
		}
	}
	return a, nil
}

// AuthorizerToken is what api_authorizer_token returns.
type AuthorizerToken struct {
	AccessToken  string `json:"authorizer_access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"authorizer_refresh_token"`
}

// String keeps the tokens out of fmt output.
func (t AuthorizerToken) String() string { return "component.AuthorizerToken{[REDACTED]}" }

// GoString is String, for %#v.
func (t AuthorizerToken) GoString() string { return t.String() }

// LogValue keeps the tokens out of structured logs.
func (t AuthorizerToken) LogValue() slog.Value {
	return slog.GroupValue(slog.Int64("expires_in", t.ExpiresIn), slog.String("tokens", "[REDACTED]"))
}

// RefreshAuthorizerToken calls api_authorizer_token once. The account's Client does this
// on its own; call it only to manage tokens outside this package (nothing is stored).
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/api_authorizer_token.html
func (p *Platform) RefreshAuthorizerToken(ctx context.Context, authorizerAppID, refreshToken string) (*AuthorizerToken, error) {
	if authorizerAppID == "" || refreshToken == "" {
		return nil, fmt.Errorf("%w: empty authorizer_appid or refresh token", ErrInvalidRequest)
	}
	var out AuthorizerToken
	in := map[string]string{"component_appid": p.appID, "authorizer_appid": authorizerAppID, "authorizer_refresh_token": refreshToken}
	if err := p.call(ctx, "/cgi-bin/component/api_authorizer_token", in, &out); err != nil {
		return nil, err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return nil, fmt.Errorf("component: api_authorizer_token: no token in answer")
	}
	return &out, nil
}

// AuthorizerInfo is an authorized account's profile and authorization (api_get_authorizer_info).
type AuthorizerInfo struct {
	Authorizer struct {
		NickName        string `json:"nick_name"`
		HeadImg         string `json:"head_img"`
		ServiceTypeInfo struct {
			ID int `json:"id"`
		} `json:"service_type_info"`
		VerifyTypeInfo struct {
			ID int `json:"id"`
		} `json:"verify_type_info"`
		UserName      string `json:"user_name"` // original id, gh_…
		PrincipalName string `json:"principal_name"`
		Alias         string `json:"alias"`
		QRCodeURL     string `json:"qrcode_url"`
	} `json:"authorizer_info"`
	Authorization struct {
		AuthorizerAppID string     `json:"authorizer_appid"`
		FuncInfo        []FuncInfo `json:"func_info"`
	} `json:"authorization_info"`
}

// GetAuthorizerInfo reads an authorized account's profile and the permissions it granted.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/api_get_authorizer_info.html
func (p *Platform) GetAuthorizerInfo(ctx context.Context, authorizerAppID string) (*AuthorizerInfo, error) {
	if authorizerAppID == "" {
		return nil, fmt.Errorf("%w: empty authorizer_appid", ErrInvalidRequest)
	}
	var out AuthorizerInfo
	in := map[string]string{"component_appid": p.appID, "authorizer_appid": authorizerAppID}
	if err := p.call(ctx, "/cgi-bin/component/api_get_authorizer_info", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AuthorizerListItem is one account of api_get_authorizer_list.
type AuthorizerListItem struct {
	AuthorizerAppID string `json:"authorizer_appid"`
	RefreshToken    string `json:"refresh_token"`
	AuthTime        int64  `json:"auth_time"`
}

// String keeps the refresh token out of fmt output.
func (i AuthorizerListItem) String() string {
	return "component.AuthorizerListItem{AuthorizerAppID: " + i.AuthorizerAppID + ", RefreshToken: [REDACTED]}"
}

// GoString is String, for %#v.
func (i AuthorizerListItem) GoString() string { return i.String() }

// LogValue keeps the refresh token out of structured logs.
func (i AuthorizerListItem) LogValue() slog.Value {
	return slog.GroupValue(slog.String("authorizer_appid", i.AuthorizerAppID), slog.Int64("auth_time", i.AuthTime))
}

// AuthorizerList is one page of authorized accounts.
type AuthorizerList struct {
	TotalCount int                  `json:"total_count"`
	List       []AuthorizerListItem `json:"list"`
}

// LogValue keeps the refresh tokens out of structured logs (fmt output hides them through
// AuthorizerListItem's String).
func (l AuthorizerList) LogValue() slog.Value {
	ids := make([]string, len(l.List))
	for i, it := range l.List {
		ids[i] = it.AuthorizerAppID
	}
	return slog.GroupValue(slog.Int("total_count", l.TotalCount), slog.Any("authorizer_appids", ids))
}

// ListAuthorizers reads one page of the accounts that authorized the platform; count is 1
// to 500.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/Account_Authorization/api_get_authorizer_list.html
func (p *Platform) ListAuthorizers(ctx context.Context, offset, count int) (*AuthorizerList, error) {
	if offset < 0 || count < 1 || count > MaxAuthorizerListCount {
		return nil, fmt.Errorf("%w: offset must be >= 0 and count 1 to %d", ErrInvalidRequest, MaxAuthorizerListCount)
	}
	var out AuthorizerList
	in := map[string]any{"component_appid": p.appID, "offset": offset, "count": count}
	if err := p.call(ctx, "/cgi-bin/component/api_get_authorizer_list", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EachAuthorizer walks every authorized account, 500 at a time; fn returning false stops.
func (p *Platform) EachAuthorizer(ctx context.Context, fn func(AuthorizerListItem) bool) error {
	for offset := 0; ; {
		page, err := p.ListAuthorizers(ctx, offset, MaxAuthorizerListCount)
		if err != nil {
			return err
		}
		for _, it := range page.List {
			if !fn(it) {
				return nil
			}
		}
		offset += len(page.List)
		if len(page.List) == 0 || offset >= page.TotalCount {
			return nil
		}
	}
}

// Authorizer options (api_get_authorizer_option, api_set_authorizer_option).
const (
	OptionLocationReport  = "location_report"  // 0 none, 1 on entering the chat, 2 every 5 s
	OptionVoiceRecognize  = "voice_recognize"  // 0 off, 1 on
	OptionCustomerService = "customer_service" // 0 off, 1 on
)

// GetAuthorizerOption reads one option of an authorized account.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/Account_Authorization/api_get_authorizer_option.html
func (p *Platform) GetAuthorizerOption(ctx context.Context, authorizerAppID, name string) (string, error) {
	if authorizerAppID == "" || name == "" {
		return "", fmt.Errorf("%w: empty authorizer_appid or option_name", ErrInvalidRequest)
	}
	var out struct {
		Value string `json:"option_value"`
	}
	in := map[string]string{"component_appid": p.appID, "authorizer_appid": authorizerAppID, "option_name": name}
	if err := p.call(ctx, "/cgi-bin/component/api_get_authorizer_option", in, &out); err != nil {
		return "", err
	}
	return out.Value, nil
}

// SetAuthorizerOption sets one option of an authorized account.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/Account_Authorization/api_set_authorizer_option.html
func (p *Platform) SetAuthorizerOption(ctx context.Context, authorizerAppID, name, value string) error {
	if authorizerAppID == "" || name == "" || value == "" {
		return fmt.Errorf("%w: empty authorizer_appid, option_name or option_value", ErrInvalidRequest)
	}
	in := map[string]string{"component_appid": p.appID, "authorizer_appid": authorizerAppID, "option_name": name, "option_value": value}
	return p.call(ctx, "/cgi-bin/component/api_set_authorizer_option", in, nil)
}

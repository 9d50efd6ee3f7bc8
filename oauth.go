package offiaccount

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Web authorization (网页授权): OAuth 2.0 for pages opened inside WeChat. The page sends the
// user to AuthCodeURL; WeChat sends the browser back to the redirect URI with a code; the
// server exchanges the code for a UserToken, which names the user (openid) and, with scope
// snsapi_userinfo, lets the server read the user's profile.
//
// A UserToken is the user's web-authorization access_token (网页授权 access_token). It is
// not the account's access_token (基础支持 access_token, see Client.AccessToken): it is per
// user, it is issued per authorization, and it works only with the /sns/ endpoints below.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html

// OAuthScope is the scope of a web authorization.
type OAuthScope string

// Web authorization scopes.
const (
	// ScopeBase (静默授权) redirects without asking the user and yields the openid only.
	ScopeBase OAuthScope = "snsapi_base"
	// ScopeUserInfo asks the user's consent and lets GetOAuthUserInfo read the profile.
	ScopeUserInfo OAuthScope = "snsapi_userinfo"
)

// Lang selects the language of place names in a user profile.
type Lang string

// Profile languages.
const (
	LangZhCN Lang = "zh_CN" // simplified Chinese, WeChat's default
	LangZhTW Lang = "zh_TW" // traditional Chinese
	LangEN   Lang = "en"    // English
)

// Errcodes of the web-authorization endpoints. They arrive as *APIError, wrapped so that
// errors.Is also matches ErrOAuthCodeInvalid, ErrRefreshTokenInvalid or ErrUserTokenInvalid.
const (
	CodeInvalidOpenID       = 40003 // 不合法的 OpenID
	CodeInvalidOAuthCode    = 40029 // 不合法的 oauth_code: wrong, or for another AppID
	CodeInvalidRefreshToken = 40030 // 不合法的 refresh_token
	CodeOAuthCodeUsed       = 40163 // code been used: a code is good for one exchange
	CodeMissingOAuthCode    = 41008 // 缺少 oauth code
	CodeRefreshTokenExpired = 42002 // refresh_token 超时 (30 days)
	CodeOAuthCodeExpired    = 42003 // oauth_code 超时 (5 minutes)
	CodeUserTokenRevoked    = 42007 // the user changed their password: both tokens are void
	CodeScopeUnauthorized   = 48001 // api unauthorized, such as userinfo with snsapi_base
)

const (
	authorizeEndpoint = "https://open.weixin.qq.com/connect/oauth2/authorize"
	maxOAuthStateLen  = 128 // WeChat's limit on state
	maxOAuthParamLen  = 512 // codes, tokens and openids are far shorter
)

// AuthCodeOption adjusts the authorize URL built by [Client.AuthCodeURL].
type AuthCodeOption func(*authCodeConfig)

type authCodeConfig struct{ forcePopup bool }

// WithAuthCodeForcePopup adds forcePopup=true: WeChat asks the user to confirm even where it would
// authorize silently (it still may not, in special scenes).
func WithAuthCodeForcePopup() AuthCodeOption { return func(c *authCodeConfig) { c.forcePopup = true } }

// AuthCodeURL returns the URL to send the user's browser to (302 or a link) to start web
// authorization. redirectURI must be an absolute http(s) URL on the account's authorized
// callback domain (网页授权域名); it is query-escaped. state comes back unchanged with the
// code: make it random per browser (see [NewOAuthState]) and check it on return. WeChat
// allows a state of at most 128 bytes of [A-Za-z0-9]. The parameters are in the order WeChat
// documents and the URL ends in #wechat_redirect.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#0
func (c *Client) AuthCodeURL(redirectURI string, scope OAuthScope, state string, opts ...AuthCodeOption) (string, error) {
	if _, err := parsePageURL(redirectURI); err != nil || strings.Contains(redirectURI, "#") {
		return "", fmt.Errorf("offiaccount: redirect URI must be an absolute http(s) URL without fragment")
	}
	if scope != ScopeBase && scope != ScopeUserInfo {
		return "", fmt.Errorf("offiaccount: unknown oauth scope %q", scope)
	}
	if len(state) > maxOAuthStateLen {
		return "", fmt.Errorf("offiaccount: oauth state longer than %d bytes", maxOAuthStateLen)
	}
	for i := 0; i < len(state); i++ {
		if !isASCIIAlnum(state[i]) {
			return "", errors.New("offiaccount: oauth state must be [A-Za-z0-9]")
		}
	}
	var cfg authCodeConfig
	for _, o := range opts {
		if o == nil {
			return "", errors.New("offiaccount: AuthCodeURL: nil option")
		}
		o(&cfg)
	}
	var b strings.Builder
	b.WriteString(authorizeEndpoint)
	b.WriteString("?appid=")
	b.WriteString(url.QueryEscape(c.appID))
	b.WriteString("&redirect_uri=")
	b.WriteString(url.QueryEscape(redirectURI))
	b.WriteString("&response_type=code&scope=")
	b.WriteString(string(scope))
	b.WriteString("&state=")
	b.WriteString(state)
	if cfg.forcePopup {
		b.WriteString("&forcePopup=true")
	}
	b.WriteString("#wechat_redirect")
	return b.String(), nil
}

// NewOAuthState returns 32 random characters of [A-Za-z0-9] from crypto/rand, a state for
// AuthCodeURL. Store it with the browser (a cookie, a session) before redirecting.
func NewOAuthState() (string, error) { return newNonce(32) }

// UserToken is a user's web-authorization token (网页授权 access_token) with its
// refresh_token: what ExchangeCode and RefreshUserToken return. It is not the account's
// access_token. It marshals to JSON for storage in a session; String and LogValue hide the
// tokens.
type UserToken struct {
	AccessToken    string     `json:"access_token"`              // the user's web access_token, valid 2 hours
	RefreshToken   string     `json:"refresh_token"`             // renews AccessToken, valid 30 days
	Expiry         time.Time  `json:"expiry"`                    // when AccessToken expires, on this machine's clock
	OpenID         string     `json:"openid"`                    // the user's id within this account
	UnionID        string     `json:"unionid,omitempty"`         // the user's id across a WeChat Open Platform account
	Scope          OAuthScope `json:"scope"`                     // the scope granted
	IsSnapshotUser bool       `json:"is_snapshotuser,omitempty"` // a snapshot-page virtual user (快照页模式), not a real openid
}

// Valid reports whether the token is present and not within a minute of its expiry.
func (t *UserToken) Valid() bool {
	return t != nil && t.AccessToken != "" && time.Now().Add(time.Minute).Before(t.Expiry)
}

// String describes the token without its secrets.
func (t UserToken) String() string {
	return fmt.Sprintf("UserToken{OpenID:%s Scope:%s Expiry:%s AccessToken:[redacted] RefreshToken:[redacted]}",
		t.OpenID, t.Scope, t.Expiry.Format(time.RFC3339))
}

// GoString keeps the tokens out of %#v too.
func (t UserToken) GoString() string { return t.String() }

// LogValue keeps the tokens out of slog output.
func (t UserToken) LogValue() slog.Value {
	return slog.GroupValue(slog.String("openid", t.OpenID), slog.String("scope", string(t.Scope)),
		slog.Time("expiry", t.Expiry))
}

// userTokenResponse is the wire form of /sns/oauth2/access_token and refresh_token.
type userTokenResponse struct {
	AccessToken    string `json:"access_token"`
	ExpiresIn      int64  `json:"expires_in"`
	RefreshToken   string `json:"refresh_token"`
	OpenID         string `json:"openid"`
	Scope          string `json:"scope"`
	IsSnapshotUser int    `json:"is_snapshotuser"`
	UnionID        string `json:"unionid"`
}

func (r *userTokenResponse) token(now time.Time) (*UserToken, error) {
	if r.AccessToken == "" || r.OpenID == "" {
		return nil, fmt.Errorf("%w: web token response without access_token or openid", ErrBadResponse)
	}
	secs := min(max(r.ExpiresIn, 0), 30*24*3600)
	return &UserToken{
		AccessToken:    r.AccessToken,
		RefreshToken:   r.RefreshToken,
		Expiry:         now.Add(time.Duration(secs) * time.Second),
		OpenID:         r.OpenID,
		UnionID:        r.UnionID,
		Scope:          OAuthScope(r.Scope),
		IsSnapshotUser: r.IsSnapshotUser == 1,
	}, nil
}

// ExchangeCode trades the code WeChat appended to the redirect URI for the user's web token.
// A code works once and for 5 minutes; errors.Is(err, ErrOAuthCodeInvalid) tells the caller
// to start authorization again.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#1
func (c *Client) ExchangeCode(ctx context.Context, code string) (*UserToken, error) {
	if err := checkOAuthParam("code", code); err != nil {
		return nil, err
	}
	q := url.Values{
		"appid":      {c.appID},
		"secret":     {c.appSecret},
		"code":       {code},
		"grant_type": {"authorization_code"},
	}
	var out userTokenResponse
	if err := c.doNoToken(ctx, http.MethodGet, "/sns/oauth2/access_token", q, nil, &out); err != nil {
		return nil, classifyOAuthError(err)
	}
	return out.token(time.Now())
}

// RefreshUserToken renews tok's access_token with its refresh_token and returns the new
// token; tok is not changed. Fields the refresh answer leaves out (unionid, the snapshot
// flag) are carried over from tok. errors.Is(err, ErrRefreshTokenInvalid) means the user must
// authorize again.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#2
func (c *Client) RefreshUserToken(ctx context.Context, tok *UserToken) (*UserToken, error) {
	if tok == nil {
		return nil, errors.New("offiaccount: nil UserToken")
	}
	if err := checkOAuthParam("refresh_token", tok.RefreshToken); err != nil {
		return nil, err
	}
	q := url.Values{
		"appid":         {c.appID},
		"grant_type":    {"refresh_token"},
		"refresh_token": {tok.RefreshToken},
	}
	var out userTokenResponse
	if err := c.doNoToken(ctx, http.MethodGet, "/sns/oauth2/refresh_token", q, nil, &out); err != nil {
		return nil, classifyOAuthError(err)
	}
	nt, err := out.token(time.Now())
	if err != nil {
		return nil, err
	}
	if nt.UnionID == "" {
		nt.UnionID = tok.UnionID
	}
	nt.IsSnapshotUser = nt.IsSnapshotUser || tok.IsSnapshotUser
	if nt.RefreshToken == "" {
		nt.RefreshToken = tok.RefreshToken
	}
	return nt, nil
}

// CheckUserToken asks WeChat whether tok's access_token is still valid for its openid
// (/sns/auth). It returns nil when it is; errors.Is(err, ErrUserTokenInvalid) when it is not.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#4
func (c *Client) CheckUserToken(ctx context.Context, tok *UserToken) error {
	q, err := userTokenQuery(tok)
	if err != nil {
		return err
	}
	return classifyOAuthError(c.doNoToken(ctx, http.MethodGet, "/sns/auth", q, nil, nil))
}

// OAuthUserInfo is a user's profile as web authorization with scope snsapi_userinfo reveals
// it (/sns/userinfo). It is not the follower record of the user-management API.
type OAuthUserInfo struct {
	OpenID   string `json:"openid"`
	Nickname string `json:"nickname"`
	// Sex, Province, City and Country are no longer given out: since 2021-10-20 WeChat
	// answers sex 0 and empty strings for every user. They stay for the wire format.
	Sex        int      `json:"sex"`        // always 0 since 2021-10-20 (was 1 male, 2 female)
	Province   string   `json:"province"`   // always "" since 2021-10-20
	City       string   `json:"city"`       // always "" since 2021-10-20
	Country    string   `json:"country"`    // always "" since 2021-10-20 (was like CN)
	HeadImgURL string   `json:"headimgurl"` // avatar; the last path element is the size
	Privilege  []string `json:"privilege"`  // privileges such as chinaunicom
	UnionID    string   `json:"unionid,omitempty"`
}

// GetOAuthUserInfo reads the profile of tok's user. It needs a token of scope
// snsapi_userinfo (otherwise errcode 48001). lang may be empty for WeChat's default, zh_CN.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html#3
func (c *Client) GetOAuthUserInfo(ctx context.Context, tok *UserToken, lang Lang) (*OAuthUserInfo, error) {
	q, err := userTokenQuery(tok)
	if err != nil {
		return nil, err
	}
	if lang != "" {
		q.Set("lang", string(lang))
	}
	var out OAuthUserInfo
	if err := c.doNoToken(ctx, http.MethodGet, "/sns/userinfo", q, nil, &out); err != nil {
		return nil, classifyOAuthError(err)
	}
	if out.OpenID == "" {
		return nil, fmt.Errorf("%w: userinfo without openid", ErrBadResponse)
	}
	return &out, nil
}

func userTokenQuery(tok *UserToken) (url.Values, error) {
	if tok == nil {
		return nil, errors.New("offiaccount: nil UserToken")
	}
	if err := checkOAuthParam("access_token", tok.AccessToken); err != nil {
		return nil, err
	}
	if err := checkOAuthParam("openid", tok.OpenID); err != nil {
		return nil, err
	}
	return url.Values{"access_token": {tok.AccessToken}, "openid": {tok.OpenID}}, nil
}

// checkOAuthParam rejects empty, oversized and non-printable values before they cost a round
// trip; the errors match ErrInvalidRequest. The value itself never enters the error: it may
// be a token.
func checkOAuthParam(name, v string) error {
	if v == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidRequest, name)
	}
	if len(v) > maxOAuthParamLen {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalidRequest, name, maxOAuthParamLen)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return fmt.Errorf("%w: %s holds a space, control or non-ASCII byte at byte %d", ErrInvalidRequest, name, i+1)
		}
	}
	return nil
}

// oauthError is an *APIError from a web-authorization endpoint, also matching the
// sentinel of its category.
type oauthError struct {
	kind error
	api  *APIError
}

func (e *oauthError) Error() string   { return e.api.Error() }
func (e *oauthError) Unwrap() []error { return []error{e.kind, e.api} }

func classifyOAuthError(err error) error {
	var api *APIError
	if err == nil || !errors.As(err, &api) {
		return err
	}
	userTokenPath := api.Path == "/sns/auth" || api.Path == "/sns/userinfo"
	var kind error
	switch api.Code {
	case CodeInvalidOAuthCode, CodeOAuthCodeUsed, CodeOAuthCodeExpired, CodeMissingOAuthCode:
		kind = ErrOAuthCodeInvalid
	case CodeInvalidRefreshToken, CodeRefreshTokenExpired:
		kind = ErrRefreshTokenInvalid
	case CodeUserTokenRevoked:
		kind = ErrRefreshTokenInvalid
		if userTokenPath {
			kind = ErrUserTokenInvalid
		}
	case CodeInvalidCredential, CodeInvalidAccessToken, CodeAccessTokenExpired:
		if !userTokenPath {
			return err // from the token endpoints these are about the AppSecret, not a user
		}
		kind = ErrUserTokenInvalid
	default:
		return err
	}
	return &oauthError{kind: kind, api: api}
}

// OAuthRedirectOptions configure [Client.OAuthRedirectHandler].
type OAuthRedirectOptions struct {
	// State returns the state stored for this browser before it was sent to AuthCodeURL
	// (from a cookie or session). Required. An error or "" fails the redirect.
	State func(r *http.Request) (string, error)
	// OnToken receives the exchanged token and writes the response, typically setting a
	// session and redirecting to the page the user wanted. Required.
	OnToken func(w http.ResponseWriter, r *http.Request, tok *UserToken)
	// OnError writes the response when the redirect fails. err matches ErrInvalidRequest
	// (a malformed code or state), ErrOAuthState, ErrOAuthDenied, ErrOAuthCodeInvalid or
	// another error of ExchangeCode. Nil: a plain text answer of 400 (malformed input, bad
	// code), 403 (state, denied) or 502 (other).
	OnError func(w http.ResponseWriter, r *http.Request, err error)
	// ConsumeState, when set, is called once the state matched and before the code is
	// exchanged: delete the stored state there (clear the cookie, drop it from the session) so
	// that no other process accepts it again. An error fails the redirect with ErrOAuthState.
	// Whether or not it is set, the handler itself refuses a state it accepted in the last
	// [OAuthStateMemory].
	ConsumeState func(w http.ResponseWriter, r *http.Request, state string) error
}

// OAuthStateMemory is how long an OAuthRedirectHandler remembers the states it accepted, so
// that a state works once: keep the stored state (cookie, session) shorter-lived than this,
// or delete it in ConsumeState. A code is valid for 5 minutes.
const OAuthStateMemory = time.Hour

// maxUsedStates bounds the remembered states (32 bytes each plus the map's overhead); past
// it the oldest are forgotten first.
const maxUsedStates = 100_000

// OAuthRedirectHandler returns the http.Handler to mount at the redirect URI given to
// AuthCodeURL. On GET ?code=…&state=… it refuses malformed input (400), checks state against
// opts.State in constant time, spends the state (a state is accepted once: see
// [OAuthStateMemory] and ConsumeState), and only then exchanges the code and calls
// opts.OnToken.
func (c *Client) OAuthRedirectHandler(opts OAuthRedirectOptions) (http.Handler, error) {
	if opts.State == nil || opts.OnToken == nil {
		return nil, errors.New("offiaccount: OAuthRedirectHandler needs State and OnToken")
	}
	return &oauthRedirectHandler{exchange: c.ExchangeCode, opts: opts, used: newUsedStates(time.Now)}, nil
}

type oauthRedirectHandler struct {
	exchange func(ctx context.Context, code string) (*UserToken, error)
	opts     OAuthRedirectOptions
	used     *usedStates
}

// usedStates remembers accepted states (by hash) for OAuthStateMemory, oldest first.
type usedStates struct {
	now   func() time.Time
	mu    sync.Mutex
	seen  map[[sha256.Size]byte]time.Time
	order [][sha256.Size]byte
}

func newUsedStates(now func() time.Time) *usedStates {
	return &usedStates{now: now, seen: make(map[[sha256.Size]byte]time.Time)}
}

// consume records state and reports whether it was unused.
func (u *usedStates) consume(state string) bool {
	k := sha256.Sum256([]byte(state))
	now := u.now()
	u.mu.Lock()
	defer u.mu.Unlock()
	for len(u.order) > 0 {
		old := u.order[0]
		if len(u.order) < maxUsedStates && now.Sub(u.seen[old]) < OAuthStateMemory {
			break
		}
		delete(u.seen, old)
		u.order[0] = [sha256.Size]byte{}
		u.order = u.order[1:]
	}
	if _, ok := u.seen[k]; ok {
		return false
	}
	u.seen[k] = now
	u.order = append(u.order, k)
	return true
}

func (h *oauthRedirectHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	tok, err := h.complete(w, r)
	if err != nil {
		if h.opts.OnError != nil {
			h.opts.OnError(w, r, err)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		switch {
		case errors.Is(err, ErrInvalidRequest):
			http.Error(w, "malformed authorization redirect", http.StatusBadRequest)
		case errors.Is(err, ErrOAuthState), errors.Is(err, ErrOAuthDenied):
			http.Error(w, "authorization failed", http.StatusForbidden)
		case errors.Is(err, ErrOAuthCodeInvalid):
			http.Error(w, "authorization code invalid or expired", http.StatusBadRequest)
		default:
			http.Error(w, "authorization unavailable", http.StatusBadGateway)
		}
		return
	}
	h.opts.OnToken(w, r, tok)
}

func (h *oauthRedirectHandler) complete(w http.ResponseWriter, r *http.Request) (*UserToken, error) {
	q := r.URL.Query()
	// Malformed input is refused before anything else: it is no WeChat redirect.
	states, codes := q["state"], q["code"]
	if len(states) > 1 || len(codes) > 1 {
		return nil, fmt.Errorf("%w: more than one state or code", ErrInvalidRequest)
	}
	got := q.Get("state")
	if len(got) > maxOAuthStateLen {
		return nil, fmt.Errorf("%w: state longer than %d bytes", ErrInvalidRequest, maxOAuthStateLen)
	}
	for i := 0; i < len(got); i++ {
		if !isASCIIAlnum(got[i]) {
			return nil, fmt.Errorf("%w: state is not [A-Za-z0-9]", ErrInvalidRequest)
		}
	}
	code := q.Get("code")
	if code != "" {
		if err := checkOAuthParam("code", code); err != nil {
			return nil, err
		}
	}
	want, err := h.opts.State(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOAuthState, err)
	}
	if want == "" || len(states) != 1 || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return nil, ErrOAuthState
	}
	if code == "" {
		return nil, ErrOAuthDenied
	}
	// The state matched: it is spent now, whatever the exchange brings.
	if !h.used.consume(got) {
		return nil, fmt.Errorf("%w: state already used", ErrOAuthState)
	}
	if h.opts.ConsumeState != nil {
		if err := h.opts.ConsumeState(w, r, got); err != nil {
			return nil, fmt.Errorf("%w: consuming state: %w", ErrOAuthState, err)
		}
	}
	return h.exchange(r.Context(), code)
}

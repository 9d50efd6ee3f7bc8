package offiaccounttest

import (
	"net/http"
	"sort"
	"time"
)

// componentRoute maps the component API paths to their endpoints; each checks the
// component_access_token (or, for api_component_token, the ticket) itself.
func componentRoute(path string) (route, bool) {
	var fn func(p *Platform, r *request) (any, int)
	switch path {
	case "/cgi-bin/component/api_component_token":
		fn = (*Platform).handleComponentToken
	case "/cgi-bin/component/api_create_preauthcode":
		fn = (*Platform).handlePreAuthCode
	case "/cgi-bin/component/api_query_auth":
		fn = (*Platform).handleQueryAuth
	case "/cgi-bin/component/api_authorizer_token":
		fn = (*Platform).handleAuthorizerToken
	case "/cgi-bin/component/api_get_authorizer_info":
		fn = (*Platform).handleAuthorizerInfo
	case "/cgi-bin/component/api_get_authorizer_list":
		fn = (*Platform).handleAuthorizerList
	case "/cgi-bin/component/api_get_authorizer_option":
		fn = (*Platform).handleGetOption
	case "/cgi-bin/component/api_set_authorizer_option":
		fn = (*Platform).handleSetOption
	case "/sns/oauth2/component/access_token":
		return route{fn: (*Platform).handleComponentOAuth}, true
	case "/sns/oauth2/component/refresh_token":
		return route{fn: (*Platform).handleComponentOAuthRefresh}, true
	default:
		return route{}, false
	}
	return route{method: http.MethodPost, fn: fn}, true
}

// compErr is WeChat's error body for the component codes, which errText does not know.
func (p *Platform) compErr(code int) apiError {
	msg := errText(code)
	switch code {
	case codeComponentNotAuthorized:
		msg = "component is not authorized by this account"
	case codeVerifyTicketExpired:
		msg = "component ticket is expired"
	case codeVerifyTicketInvalid:
		msg = "component ticket is invalid"
	case codeAuthCodeInvalid:
		msg = "code is invalid"
	case codeRefreshTokenInvalid:
		msg = "refresh_token is invalid"
	}
	return apiError{Code: code, Msg: msg + " rid: " + p.ridLocked()}
}

// componentCallLocked checks the component_access_token of r and the component_appid of
// its body (decoded into in, which must carry it).
func (p *Platform) componentCallLocked(r *request, in interface{ componentAppID() string }) (*componentRec, any) {
	tok := r.get("component_access_token")
	if tok == "" {
		tok = r.get("access_token")
	}
	if tok == "" {
		return nil, p.errorBodyLocked(codeTokenMissing)
	}
	t, ok := p.componentsLocked().tokens[tok]
	switch {
	case !ok:
		return nil, p.errorBodyLocked(codeInvalidCredential)
	case !t.usable(p.now):
		return nil, p.errorBodyLocked(codeTokenExpired)
	}
	if code := r.decode(in); code != 0 {
		return nil, p.errorBodyLocked(code)
	}
	if in.componentAppID() != t.appID {
		return nil, p.errorBodyLocked(codeInvalidAppID)
	}
	return p.comp.byAppID[t.appID], nil
}

// authorizerCallLocked is componentCallLocked for a call about one authorizer, in's
// authorizer_appid: 61003 when the component holds no authorization of it.
func (p *Platform) authorizerCallLocked(r *request, in *compBody) (*componentRec, *authorizerRec, any) {
	c, fail := p.componentCallLocked(r, in)
	if fail != nil {
		return nil, nil, fail
	}
	a := c.auths[in.AuthorizerAppID]
	if a == nil {
		return nil, nil, p.compErr(codeComponentNotAuthorized)
	}
	return c, a, nil
}

type compBody struct {
	ComponentAppID    string `json:"component_appid"`
	AuthorizerAppID   string `json:"authorizer_appid"`
	AuthorizationCode string `json:"authorization_code"`
	RefreshToken      string `json:"authorizer_refresh_token"`
	OptionName        string `json:"option_name"`
	OptionValue       string `json:"option_value"`
	Offset            int    `json:"offset"`
	Count             int    `json:"count"`
}

func (b *compBody) componentAppID() string { return b.ComponentAppID }

func (p *Platform) handleComponentToken(r *request) (any, int) {
	var in struct {
		AppID  string `json:"component_appid"`
		Secret string `json:"component_appsecret"`
		Ticket string `json:"component_verify_ticket"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	c := p.componentsLocked().byAppID[in.AppID]
	switch {
	case in.AppID == "":
		return nil, codeAppIDMissing
	case c == nil:
		return nil, codeInvalidAppID
	case in.Secret != c.secret:
		return nil, codeInvalidAppSecret
	}
	if code := c.ticketValidLocked(in.Ticket, p.now); code != 0 {
		return p.compErr(code), 0
	}
	t := &tokenInfo{value: "COMP_" + randomString(96), appID: c.appID, expires: p.now.Add(TokenLifetime)}
	p.comp.tokens[t.value] = t
	c.compFetch++
	return map[string]any{"component_access_token": t.value, "expires_in": int64(TokenLifetime / time.Second)}, 0
}

func (p *Platform) handlePreAuthCode(r *request) (any, int) {
	var in compBody
	c, fail := p.componentCallLocked(r, &in)
	if fail != nil {
		return fail, 0
	}
	code := "preauthcode@@@" + randomString(48)
	c.preAuth[code] = p.now.Add(PreAuthCodeLifetime)
	return map[string]any{"pre_auth_code": code, "expires_in": int64(PreAuthCodeLifetime / time.Second)}, 0
}

// authorizerTokenLocked issues an authorizer_access_token: a token of the account, so every
// account API accepts it.
func (p *Platform) authorizerTokenLocked(c *componentRec, appID string) *tokenInfo {
	a := p.accounts[appID]
	if a.token != nil {
		a.token.shorten(p.now.Add(TokenOverlap))
	}
	a.token = p.issueLocked(a)
	c.fetches[appID]++
	return a.token
}

func funcInfo(ids []int) []map[string]any {
	out := make([]map[string]any, len(ids))
	for i, id := range ids {
		out[i] = map[string]any{"funcscope_category": map[string]int{"id": id}}
	}
	return out
}

func (p *Platform) handleQueryAuth(r *request) (any, int) {
	var in compBody
	c, fail := p.componentCallLocked(r, &in)
	if fail != nil {
		return fail, 0
	}
	g := c.codes[in.AuthorizationCode]
	if g == nil || g.used || !p.now.Before(g.expires) || c.auths[g.authorizer] == nil {
		return p.compErr(codeAuthCodeInvalid), 0
	}
	g.used = true
	a := c.auths[g.authorizer]
	t := p.authorizerTokenLocked(c, g.authorizer)
	return map[string]any{"authorization_info": map[string]any{
		"authorizer_appid":         g.authorizer,
		"authorizer_access_token":  t.value,
		"expires_in":               int64(TokenLifetime / time.Second),
		"authorizer_refresh_token": a.refreshToken,
		"func_info":                funcInfo(a.funcs),
	}}, 0
}

func (p *Platform) handleAuthorizerToken(r *request) (any, int) {
	var in compBody
	c, a, fail := p.authorizerCallLocked(r, &in)
	if fail != nil {
		return fail, 0
	}
	if in.RefreshToken != a.refreshToken {
		return p.compErr(codeRefreshTokenInvalid), 0
	}
	t := p.authorizerTokenLocked(c, in.AuthorizerAppID)
	return map[string]any{"authorizer_access_token": t.value, "expires_in": int64(TokenLifetime / time.Second),
		"authorizer_refresh_token": a.refreshToken}, 0
}

func (p *Platform) handleAuthorizerInfo(r *request) (any, int) {
	var in compBody
	_, a, fail := p.authorizerCallLocked(r, &in)
	if fail != nil {
		return fail, 0
	}
	return map[string]any{
		"authorizer_info": map[string]any{"nick_name": "Fake " + in.AuthorizerAppID, "user_name": "gh_" + in.AuthorizerAppID,
			"service_type_info": map[string]int{"id": 2}, "verify_type_info": map[string]int{"id": 0}},
		"authorization_info": map[string]any{"authorizer_appid": in.AuthorizerAppID, "func_info": funcInfo(a.funcs)},
	}, 0
}

func (p *Platform) handleAuthorizerList(r *request) (any, int) {
	var in compBody
	c, fail := p.componentCallLocked(r, &in)
	if fail != nil {
		return fail, 0
	}
	if in.Count < 1 || in.Count > 500 || in.Offset < 0 {
		return nil, codeInvalidArgs
	}
	ids := make([]string, 0, len(c.auths))
	for _, id := range c.order {
		if c.auths[id] != nil {
			ids = append(ids, id)
		}
	}
	sort.SliceStable(ids, func(i, j int) bool { return c.auths[ids[i]].authTime.Before(c.auths[ids[j]].authTime) })
	list := []map[string]any{}
	for i := in.Offset; i < len(ids) && len(list) < in.Count; i++ {
		a := c.auths[ids[i]]
		list = append(list, map[string]any{"authorizer_appid": ids[i], "refresh_token": a.refreshToken, "auth_time": a.authTime.Unix()})
	}
	return map[string]any{"total_count": len(ids), "list": list}, 0
}

var authorizerOptions = map[string][]string{
	"location_report":  {"0", "1", "2"},
	"voice_recognize":  {"0", "1"},
	"customer_service": {"0", "1"},
}

func (p *Platform) handleGetOption(r *request) (any, int) {
	var in compBody
	c, _, fail := p.authorizerCallLocked(r, &in)
	if fail != nil {
		return fail, 0
	}
	if _, ok := authorizerOptions[in.OptionName]; !ok {
		return nil, codeInvalidArgs
	}
	v := c.options[in.AuthorizerAppID][in.OptionName]
	if v == "" {
		v = "0"
	}
	return map[string]any{"authorizer_appid": in.AuthorizerAppID, "option_name": in.OptionName, "option_value": v}, 0
}

func (p *Platform) handleSetOption(r *request) (any, int) {
	var in compBody
	c, _, fail := p.authorizerCallLocked(r, &in)
	if fail != nil {
		return fail, 0
	}
	ok := false
	for _, v := range authorizerOptions[in.OptionName] {
		ok = ok || v == in.OptionValue
	}
	if !ok {
		return nil, codeInvalidArgs
	}
	if c.options[in.AuthorizerAppID] == nil {
		c.options[in.AuthorizerAppID] = make(map[string]string)
	}
	c.options[in.AuthorizerAppID][in.OptionName] = in.OptionValue
	return okBody, 0
}

// handleComponentOAuth is GET /sns/oauth2/component/access_token: web authorization on
// behalf of an authorized account, with the component's token instead of the account's
// secret.
func (p *Platform) handleComponentOAuth(r *request) (any, int) {
	appID, acct, fail := p.componentSNSLocked(r)
	if fail != nil {
		return fail, 0
	}
	if r.get("grant_type") != "authorization_code" {
		return nil, codeInvalidGrantType
	}
	code, ok := p.codes[r.get("code")]
	switch {
	case !ok || code.appID != appID:
		return nil, codeInvalidCode
	case code.used:
		return nil, codeCodeUsed
	case !p.now.Before(code.expires):
		return nil, codeCodeExpired
	}
	code.used = true
	refresh := randomString(72)
	p.refreshTokens[refresh] = &webToken{appID: appID, openID: code.openID, scope: code.scope, expires: p.now.Add(RefreshTokenLifetime)}
	return p.oauthAnswerLocked(acct, code.openID, code.scope, refresh), 0
}

// componentSNSLocked checks the component token, component_appid and the authorization of
// appid on the /sns/oauth2/component/ endpoints.
func (p *Platform) componentSNSLocked(r *request) (string, *account, any) {
	tok := p.componentsLocked().tokens[r.get("component_access_token")]
	if tok == nil || !tok.usable(p.now) {
		return "", nil, p.errorBodyLocked(codeInvalidCredential)
	}
	c := p.comp.byAppID[tok.appID]
	if r.get("component_appid") != c.appID {
		return "", nil, p.errorBodyLocked(codeInvalidAppID)
	}
	appID := r.get("appid")
	acct := p.accounts[appID]
	if acct == nil || c.auths[appID] == nil {
		return "", nil, p.compErr(codeComponentNotAuthorized)
	}
	return appID, acct, nil
}

// handleComponentOAuthRefresh is GET /sns/oauth2/component/refresh_token.
func (p *Platform) handleComponentOAuthRefresh(r *request) (any, int) {
	appID, acct, fail := p.componentSNSLocked(r)
	if fail != nil {
		return fail, 0
	}
	if r.get("grant_type") != "refresh_token" {
		return nil, codeInvalidGrantType
	}
	refresh := r.get("refresh_token")
	rt := p.refreshTokens[refresh]
	if rt == nil || rt.appID != appID || !p.now.Before(rt.expires) {
		return nil, codeInvalidRefreshToken
	}
	return p.oauthAnswerLocked(acct, rt.openID, rt.scope, refresh), 0
}

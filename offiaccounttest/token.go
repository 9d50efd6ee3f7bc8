package offiaccounttest

import "time"

// tokenInfo is one issued access_token.
type tokenInfo struct {
	value   string
	appID   string
	expires time.Time // natural end of life: past it, calls get 42001
	cut     time.Time // superseded or revoked: past it, calls get 40001 (zero: never)
}

// deadline is the instant the token stops working.
func (t *tokenInfo) deadline() time.Time {
	if !t.cut.IsZero() && t.cut.Before(t.expires) {
		return t.cut
	}
	return t.expires
}

// usable reports whether the token still works at now.
func (t *tokenInfo) usable(now time.Time) bool { return now.Before(t.deadline()) }

// shorten ends the token's life at until, unless it already ends sooner.
func (t *tokenInfo) shorten(until time.Time) {
	if t.cut.IsZero() || until.Before(t.cut) {
		t.cut = until
	}
}

// issueLocked creates a fresh token for a.
func (p *Platform) issueLocked(a *account) *tokenInfo {
	t := &tokenInfo{
		// Real tokens look like "86_" + ~130 URL-safe characters; clients must keep 512.
		value:   "FAKE_" + randomString(102),
		appID:   a.appID,
		expires: p.now.Add(TokenLifetime),
	}
	p.tokens[t.value] = t
	return t
}

// checkTokenLocked validates an access_token from a query string and returns its AppID,
// or WeChat's code for why it is refused.
func (p *Platform) checkTokenLocked(value string) (string, int) {
	if value == "" {
		return "", codeTokenMissing
	}
	t, ok := p.tokens[value]
	if !ok {
		return "", codeInvalidCredential
	}
	if t.usable(p.now) {
		return t.appID, 0
	}
	if !t.cut.IsZero() && t.cut.Before(t.expires) {
		return "", codeInvalidCredential // superseded or revoked
	}
	return "", codeTokenExpired
}

// credentialsLocked checks appid and secret the way both token endpoints do.
func (p *Platform) credentialsLocked(appID, secret string) (*account, int) {
	if appID == "" {
		return nil, codeAppIDMissing
	}
	a, ok := p.accounts[appID]
	if !ok {
		return nil, codeInvalidAppID
	}
	if secret == "" {
		return nil, codeSecretMissing
	}
	if secret != a.secret {
		return nil, codeInvalidAppSecret
	}
	return a, 0
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// handleToken is GET /cgi-bin/token: every successful call issues a new token and gives
// the previous one TokenOverlap more minutes.
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html
func (p *Platform) handleToken(r *request) (any, int) {
	if r.get("grant_type") != "client_credential" {
		return nil, codeInvalidGrantType
	}
	a, code := p.credentialsLocked(r.get("appid"), r.get("secret"))
	if code != 0 {
		return nil, code
	}
	d := day(p.now)
	if a.tokenDay[d] >= TokenDailyLimit {
		return nil, codeQuotaReached
	}
	a.tokenDay[d]++
	if a.token != nil {
		a.token.shorten(p.now.Add(TokenOverlap))
	}
	a.token = p.issueLocked(a)
	a.fetches++
	return tokenResponse{AccessToken: a.token.value, ExpiresIn: int64(TokenLifetime / time.Second)}, 0
}

type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// handleStableToken is POST /cgi-bin/stable_token. Normal mode returns the live token and
// starts a new one in its last TokenOverlap, both staying valid; force_refresh revokes the
// live token at once, at most ForceRefreshDailyLimit times a day, and a force refresh
// within ForceRefreshInterval of the last one returns the live token unchanged.
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html
func (p *Platform) handleStableToken(r *request) (any, int) {
	var in stableTokenRequest
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	if in.GrantType != "client_credential" {
		return nil, codeInvalidGrantType
	}
	a, code := p.credentialsLocked(in.AppID, in.Secret)
	if code != 0 {
		return nil, code
	}
	live := a.stable != nil && a.stable.usable(p.now)
	switch {
	case in.ForceRefresh && live && !a.lastForce.IsZero() && p.now.Sub(a.lastForce) < ForceRefreshInterval:
		// Too soon after the last force refresh: WeChat does not refresh.
	case in.ForceRefresh:
		d := day(p.now)
		if a.forceDay[d] >= ForceRefreshDailyLimit {
			return nil, codeQuotaReached
		}
		a.forceDay[d]++
		a.lastForce = p.now
		if a.stable != nil {
			a.stable.shorten(p.now)
		}
		a.stable = p.issueLocked(a)
	case !live || a.stable.deadline().Sub(p.now) <= TokenOverlap:
		// The old token, if any, keeps its own expiry: both work in the handover.
		a.stable = p.issueLocked(a)
	}
	a.fetches++
	left := a.stable.deadline().Sub(p.now)
	return tokenResponse{AccessToken: a.stable.value, ExpiresIn: int64(left / time.Second)}, 0
}

// AccessToken returns the latest token /cgi-bin/token issued to appID, or "" if none.
// Tests use it to call the platform directly or to check what a client cached.
func (p *Platform) AccessToken(appID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok && a.token != nil {
		return a.token.value
	}
	return ""
}

// StableAccessToken returns the latest token /cgi-bin/stable_token issued to appID, or "".
func (p *Platform) StableAccessToken(appID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok && a.stable != nil {
		return a.stable.value
	}
	return ""
}

// TokenFetches counts the successful answers of both token endpoints for appID: how many
// times a client fetched a token (a cache that works keeps this at one).
func (p *Platform) TokenFetches(appID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		return a.fetches
	}
	return 0
}

// IssueToken creates a valid access_token for appID without any HTTP call, as if another
// process had fetched it from /cgi-bin/token (so the previous one enters its overlap).
// It returns "" for an unknown account.
func (p *Platform) IssueToken(appID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return ""
	}
	if a.token != nil {
		a.token.shorten(p.now.Add(TokenOverlap))
	}
	a.token = p.issueLocked(a)
	return a.token.value
}

// InvalidateTokens revokes every access_token of appID at once, so the next call with any
// of them gets 40001: what a force refresh from another process, or a reset AppSecret,
// does to a running client.
func (p *Platform) InvalidateTokens(appID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tokens {
		if t.appID == appID {
			t.shorten(p.now)
		}
	}
}

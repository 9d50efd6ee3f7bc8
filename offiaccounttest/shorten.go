package offiaccounttest

import (
	"crypto/rand"
	"time"
)

// Short keys (短key托管) and clearing the quota with the AppSecret (clear_quota/v2).

// Limits of the short-key APIs.
const (
	// MaxShortKeyLifetime is the longest and the default life of a short key.
	MaxShortKeyLifetime = 30 * 24 * time.Hour

	maxShortKeyData = 4 << 10

	codeShortKeyDataTooLong = 9410010
	codeShortKeyExpireLimit = 9410011
	codeShortKeyNotFound    = 9410012
)

type shortKey struct {
	data    string
	created time.Time
	expires time.Time
}

// groupState is the state of the API groups served by kf.go, comment.go and shorten.go.
type groupState struct {
	kf       kfState
	comments map[commentKey]*commentArticle
	shorts   map[string]shortKey
	cube     map[string][]map[string]any // datacube API → rows
}

// groupsLocked returns a's state of those groups, made on first use.
func (a *account) groupsLocked() *groupState {
	if a.groups == nil {
		a.groups = &groupState{kf: kfState{nextID: 1001, sessions: make(map[string]kfSession),
			waiting: make(map[string]time.Time)}, comments: make(map[commentKey]*commentArticle),
			shorts: make(map[string]shortKey)}
	}
	return a.groups
}

const base62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newShortKey returns 15 random base62 characters, the shape of WeChat's short keys.
func newShortKey() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = base62[int(b[i])%len(base62)]
	}
	return string(b)
}

// handleShortenGen is POST /cgi-bin/shorten/gen: long_data present (47003) and at most 4 KB
// (9410010), expire_seconds at most 2592000 (9410011), 2592000 when absent.
// https://developers.weixin.qq.com/doc/service/api/qrcode/shorten/api_genshortkey.html
func (p *Platform) handleShortenGen(r *request) (any, int) {
	var in struct {
		LongData      *string `json:"long_data"`
		ExpireSeconds int64   `json:"expire_seconds"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	switch {
	case in.LongData == nil || *in.LongData == "":
		return nil, codeArgInvalid
	case len(*in.LongData) > maxShortKeyData:
		return nil, codeShortKeyDataTooLong
	case in.ExpireSeconds > int64(MaxShortKeyLifetime/time.Second) || in.ExpireSeconds < 0:
		return nil, codeShortKeyExpireLimit
	}
	life := time.Duration(in.ExpireSeconds) * time.Second
	if life == 0 {
		life = MaxShortKeyLifetime
	}
	key := newShortKey()
	r.acct.groupsLocked().shorts[key] = shortKey{data: *in.LongData, created: p.now, expires: p.now.Add(life)}
	return struct {
		Errcode  int    `json:"errcode"`
		Errmsg   string `json:"errmsg"`
		ShortKey string `json:"short_key"`
	}{Errmsg: "ok", ShortKey: key}, 0
}

// handleShortenFetch is POST /cgi-bin/shorten/fetch: 9410012 for a key that is unknown,
// expired or another account's.
// https://developers.weixin.qq.com/doc/service/api/qrcode/shorten/api_fetchshorten.html
func (p *Platform) handleShortenFetch(r *request) (any, int) {
	var in struct {
		ShortKey string `json:"short_key"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	k, ok := r.acct.groupsLocked().shorts[in.ShortKey]
	if !ok || !p.now.Before(k.expires) {
		return nil, codeShortKeyNotFound
	}
	return struct {
		Errcode       int    `json:"errcode"`
		Errmsg        string `json:"errmsg"`
		LongData      string `json:"long_data"`
		CreateTime    int64  `json:"create_time"`
		ExpireSeconds int64  `json:"expire_seconds"`
	}{Errmsg: "ok", LongData: k.data, CreateTime: k.created.Unix(), ExpireSeconds: int64(k.expires.Sub(p.now) / time.Second)}, 0
}

// handleClearQuotaV2 is POST /cgi-bin/clear_quota/v2?appid=…&appsecret=…: no access_token;
// 41002 / 41004 when missing, 40013 for an unknown appid, 40125 for a wrong secret, and the
// 10 clears a month shared with clear_quota (48006). The secret is never recorded.
// https://developers.weixin.qq.com/doc/service/api/apimanage/api_clearquotabyappsecret.html
func (p *Platform) handleClearQuotaV2(r *request) (any, int) {
	appID, secret := r.get("appid"), r.get("appsecret")
	switch {
	case appID == "":
		return nil, codeAppIDMissing
	case secret == "":
		return nil, codeSecretMissing
	}
	a, ok := p.accounts[appID]
	switch {
	case !ok:
		return nil, codeInvalidAppID
	case a.secret != secret:
		return nil, codeInvalidAppSecret
	}
	if code := p.clearQuotaLocked(a); code != 0 {
		return nil, code
	}
	return okBody, 0
}

// otherGroupRoute maps the paths of datacube.go, comment.go and shorten.go.
func otherGroupRoute(path string) (fn func(p *Platform, r *request) (any, int), post, token, ok bool) {
	switch path {
	case "/cgi-bin/shorten/gen":
		return (*Platform).handleShortenGen, true, true, true
	case "/cgi-bin/shorten/fetch":
		return (*Platform).handleShortenFetch, true, true, true
	case "/cgi-bin/clear_quota/v2":
		return (*Platform).handleClearQuotaV2, true, false, true
	}
	if fn, ok := dataCubeRoute(path); ok {
		return fn, true, true, true
	}
	if fn, ok := commentRoute(path); ok {
		return fn, true, true, true
	}
	return nil, false, false, false
}

// groupErrText is WeChat's errmsg for the errcodes of these groups.
func groupErrText(code int) string {
	switch code {
	case codeKFInvalidAccount:
		return "invalid kf_account"
	case codeKFNotBound:
		return "kf_account not bind wechat user"
	case codeKFInvalidNickname:
		return "invalid nickname"
	case codeKFMalformedAccount:
		return "invalid kf_account format"
	case codeKFAccountLimit:
		return "kf_account count exceeds limit"
	case codeKFAccountExists:
		return "kf_account exsited"
	case codeKFAlreadyWorker:
		return "invite_wx already a worker"
	case codeKFNoSession:
		return "no session for this openid"
	case codeKFUserInSession:
		return "openid is in another session"
	case codeKFOffline:
		return "kf offline"
	case codeKFInvalidQuery:
		return "param invalid, please check hint"
	case codeKFRangeTooLong:
		return "time range exceeds limit"
	case codeDateFormat:
		return "date format error"
	case codeDateRange:
		return "date range error"
	case codeArgInvalid:
		return "argument invalid!"
	case codeShortKeyDataTooLong:
		return "long_data length exceeds limit"
	case codeShortKeyExpireLimit:
		return "expire_seconds exceeds limit"
	case codeShortKeyNotFound:
		return "short_key not exist or expired"
	}
	if s := commentErrText(code); s != "" {
		return s
	}
	return "system error"
}

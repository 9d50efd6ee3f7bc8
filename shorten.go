package offiaccount

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Short keys (短key托管): WeChat keeps up to 4 KB of data under a 15-character key, for
// instance to carry long state through a QR code or a link, and gives it back by the key.
// Also here: clearing the API quota with the AppSecret instead of an access_token.

// Limits of the short-key APIs.
const (
	MaxShortKeyDataBytes = 4 << 10             // long_data
	MaxShortKeyLifetime  = 30 * 24 * time.Hour // expire_seconds, 2592000; also WeChat's default
)

// WeChat errcodes of the short-key APIs.
const (
	CodeShortKeyDataTooLong = 9410010 // long_data over 4 KB
	CodeShortKeyExpireLimit = 9410011 // expire_seconds over 2592000
	CodeShortKeyNotFound    = 9410012 // the short key does not exist, expired, or is another account's
)

// GenShortKey stores longData (1 byte to 4 KB) with WeChat for expire (1 s to 30 days; 0 means
// 30 days) and returns its short key: 15 characters of base62.
//
// https://developers.weixin.qq.com/doc/service/api/qrcode/shorten/api_genshortkey.html
func (c *Client) GenShortKey(ctx context.Context, longData string, expire time.Duration) (string, error) {
	const path = "/cgi-bin/shorten/gen"
	switch {
	case longData == "":
		return "", invalidf(path, "empty long_data")
	case len(longData) > MaxShortKeyDataBytes:
		return "", invalidf(path, "long_data of %d bytes, at most %d", len(longData), MaxShortKeyDataBytes)
	case expire == 0:
		expire = MaxShortKeyLifetime
	case expire < time.Second || expire > MaxShortKeyLifetime:
		return "", invalidf(path, "expire %v, want 1s to 720h (2592000 seconds)", expire)
	}
	in := struct {
		LongData      string `json:"long_data"`
		ExpireSeconds int64  `json:"expire_seconds"`
	}{longData, int64(expire / time.Second)}
	var out struct {
		ShortKey string `json:"short_key"`
	}
	if err := c.postJSON(ctx, path, nil, in, &out); err != nil {
		return "", err
	}
	return out.ShortKey, nil
}

// ShortKey is what WeChat keeps under a short key.
type ShortKey struct {
	LongData      string `json:"long_data"`
	CreateTime    int64  `json:"create_time"`    // unix seconds
	ExpireSeconds int64  `json:"expire_seconds"` // seconds left
}

// GetShortKey returns the data stored under shortKey (fetchShorten). An unknown, expired or
// other account's key is errcode 9410012 (CodeShortKeyNotFound).
//
// https://developers.weixin.qq.com/doc/service/api/qrcode/shorten/api_fetchshorten.html
func (c *Client) GetShortKey(ctx context.Context, shortKey string) (*ShortKey, error) {
	const path = "/cgi-bin/shorten/fetch"
	if shortKey == "" {
		return nil, invalidf(path, "empty short_key")
	}
	in := struct {
		ShortKey string `json:"short_key"`
	}{shortKey}
	var out ShortKey
	if err := c.postJSON(ctx, path, nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ClearQuotaByAppSecret resets the call counts of all the account's APIs like [Client.ClearQuota],
// but authenticates with the AppID and AppSecret instead of an access_token (clear_quota/v2),
// so it works when the quota of /cgi-bin/token itself is spent. It shares the 10 clears a
// month of clear_quota (48006 past that) and needs a Client made with the AppSecret. The
// AppSecret travels in the query string, as WeChat requires; it never appears in an error or
// a log line.
//
// https://developers.weixin.qq.com/doc/service/api/apimanage/api_clearquotabyappsecret.html
func (c *Client) ClearQuotaByAppSecret(ctx context.Context) error {
	const path = "/cgi-bin/clear_quota/v2"
	if c.appSecret == "" {
		return invalidf(path, "the Client has no AppSecret (made with WithClientTokenSource)")
	}
	q := url.Values{"appid": {c.appID}, "appsecret": {c.appSecret}}
	return c.doNoToken(ctx, http.MethodPost, path, q, nil, nil)
}

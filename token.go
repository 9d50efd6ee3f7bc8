package offiaccount

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// tokenRefreshMargin is how long before its expiry a token is replaced.
const tokenRefreshMargin = 5 * time.Minute

type cachedToken struct {
	value  string
	expiry time.Time
}

// tokenCache holds the account's access_token. Reads take no lock; one fetch serves every
// concurrent caller.
type tokenCache struct {
	c   *Client
	cur atomic.Pointer[cachedToken]
	mu  sync.Mutex // serialises fetches
}

func (t *tokenCache) init(c *Client) { t.c = c }

// AccessToken returns a valid access_token of the account (接口调用凭据), fetching one from
// /cgi-bin/stable_token when the cached one is missing or about to expire.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	if tok := c.tokens.cur.Load(); tok != nil && time.Until(tok.expiry) > tokenRefreshMargin {
		return tok.value, nil
	}
	return c.tokens.refresh(ctx)
}

func (t *tokenCache) refresh(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok := t.cur.Load(); tok != nil && time.Until(tok.expiry) > tokenRefreshMargin {
		return tok.value, nil
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	in := map[string]any{"grant_type": "client_credential", "appid": t.c.appID, "secret": t.c.appSecret, "force_refresh": false}
	if err := t.c.doNoToken(ctx, http.MethodPost, "/cgi-bin/stable_token", nil, in, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return "", fmt.Errorf("%w: /cgi-bin/stable_token: no access_token in answer", ErrBadResponse)
	}
	t.cur.Store(&cachedToken{value: out.AccessToken, expiry: time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)})
	return out.AccessToken, nil
}

// invalidateToken drops the cached token if it is still the one that failed, so that a token
// another goroutine already replaced is kept.
func (c *Client) invalidateToken(_ context.Context, failed string) {
	if tok := c.tokens.cur.Load(); tok != nil && tok.value == failed {
		c.tokens.cur.CompareAndSwap(tok, nil)
	}
}

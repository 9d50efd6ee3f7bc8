package component

// Acting for an authorized account. The authorizer_refresh_token is the one credential
// that cannot be fetched again without the owner: it is stored durably (no expiry; with a
// DurableStore, out of reach of eviction), replaced only when WeChat returns a new one, and
// can be recovered from WeChat with RestoreRefreshTokens.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wxgo/offiaccount"
)

// AuthorizerClient returns the [offiaccount.Client] of an account that authorized the
// platform: its access token is the account's authorizer_access_token, so every method of
// the root package works on the account's behalf. Clients are created on first use and
// kept (bounded by WithPlatformMaxClients); creating one makes no request. The token is
// shared by every process through the store and refreshed once per expiry across them with
// the stored refresh token; a call failing with ErrNotAuthorized means none is stored.
func (p *Platform) AuthorizerClient(authorizerAppID string) (*offiaccount.Client, error) {
	p.mu.RLock()
	c := p.clients[authorizerAppID]
	p.mu.RUnlock()
	if c != nil {
		return c, nil
	}
	if authorizerAppID == "" || authorizerAppID == p.appID {
		return nil, fmt.Errorf("%w: authorizer AppID empty or the platform's own", ErrInvalidRequest)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.clients[authorizerAppID]; c != nil {
		return c, nil
	}
	c, err := offiaccount.NewClient(authorizerAppID, "", p.clientOptions(authorizerSource{p: p, appID: authorizerAppID})...)
	if err != nil {
		return nil, err
	}
	if len(p.clients) >= p.maxClients {
		for k := range p.clients { // drop an arbitrary one: its tokens stay in the store
			delete(p.clients, k)
			break
		}
	}
	p.clients[authorizerAppID] = c
	return c, nil
}

// authorizerSource is the TokenSource of an authorizer's Client: api_authorizer_token with
// the stored refresh token. The Client calls it under the store's lock of the account, so
// one process at a time refreshes (and rotates the refresh token of) one account.
type authorizerSource struct {
	p     *Platform
	appID string
}

func (s authorizerSource) Token(ctx context.Context, _ string) (string, time.Duration, error) {
	p := s.p
	rt, err := p.RefreshToken(ctx, s.appID)
	if err != nil {
		return "", 0, err
	}
	if rt == "" {
		return "", 0, fmt.Errorf("%w: %s", ErrNotAuthorized, s.appID)
	}
	tok, err := p.RefreshAuthorizerToken(ctx, s.appID, rt)
	if err != nil {
		var apiErr *offiaccount.APIError
		if errors.As(err, &apiErr) && apiErr.Code == CodeRefreshTokenInvalid {
			return "", 0, fmt.Errorf("%w: %s: %w", ErrNotAuthorized, s.appID, err)
		}
		return "", 0, err
	}
	if tok.RefreshToken != "" && tok.RefreshToken != rt {
		if err := p.store.setDurable(ctx, s.appID+kindRefresh, tok.RefreshToken); err != nil {
			// The new token is lost to other processes until the next refresh returns it.
			p.logger.LogAttrs(ctx, slog.LevelError, "component: storing a rotated refresh token failed",
				slog.String("authorizer_appid", s.appID), slog.String("error", err.Error()))
		}
	}
	return tok.AccessToken, time.Duration(tok.ExpiresIn) * time.Second, nil
}

// RefreshToken returns the stored authorizer_refresh_token of an account, or "" when none
// is stored.
func (p *Platform) RefreshToken(ctx context.Context, authorizerAppID string) (string, error) {
	v, _, err := p.store.Get(ctx, authorizerAppID+kindRefresh)
	if err != nil {
		return "", fmt.Errorf("component: reading the refresh token of %s: %w", authorizerAppID, err)
	}
	return v, nil
}

// SetRefreshToken stores an account's authorizer_refresh_token durably, for tokens kept
// elsewhere (a database) or migrated from another system.
func (p *Platform) SetRefreshToken(ctx context.Context, authorizerAppID, refreshToken string) error {
	if authorizerAppID == "" || refreshToken == "" {
		return fmt.Errorf("%w: empty authorizer AppID or refresh token", ErrInvalidRequest)
	}
	return p.store.setDurable(ctx, authorizerAppID+kindRefresh, refreshToken)
}

// RestoreRefreshTokens recovers every authorizer's refresh token from WeChat
// (api_get_authorizer_list returns them) and stores those missing from the store, after the
// store lost them (a Redis failover without persistence, a new deployment). It returns how
// many it stored. Tokens already stored are kept: they may be newer.
func (p *Platform) RestoreRefreshTokens(ctx context.Context) (int, error) {
	n := 0
	var stErr error
	err := p.EachAuthorizer(ctx, func(it AuthorizerListItem) bool {
		if it.RefreshToken == "" || it.AuthorizerAppID == "" {
			return true
		}
		cur, err := p.RefreshToken(ctx, it.AuthorizerAppID)
		if err == nil && cur == "" {
			err = p.SetRefreshToken(ctx, it.AuthorizerAppID, it.RefreshToken)
			if err == nil {
				n++
			}
		}
		stErr = err
		return err == nil
	})
	if err == nil {
		err = stErr
	}
	return n, err
}

// forget drops a revoked account's tokens and Client.
func (p *Platform) forget(ctx context.Context, authorizerAppID string) error {
	if authorizerAppID == "" {
		return nil
	}
	p.mu.Lock()
	delete(p.clients, authorizerAppID)
	p.mu.Unlock()
	var errs []error
	for _, k := range []string{kindRefresh, kindAccess} {
		key := authorizerAppID + k
		v, _, err := p.store.Get(ctx, key)
		if err == nil && v != "" {
			_, err = p.store.CompareAndDelete(ctx, key, v)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// logStoreErr logs a store failure (prefixStore has already hidden the token it was handed).
func (p *Platform) logStoreErr(ctx context.Context, err error) {
	p.logger.LogAttrs(ctx, slog.LevelWarn, "component: token store failed", slog.String("error", err.Error()))
}

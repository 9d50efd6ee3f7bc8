package component

import "errors"

// Sentinel errors of the package; match them with errors.Is.
var (
	// ErrNoVerifyTicket: no component_verify_ticket has reached the authorization-event URL
	// yet (WeChat pushes one every 10 minutes once the URL is configured), so no
	// component_access_token can be fetched.
	ErrNoVerifyTicket = errors.New("component: no component_verify_ticket received yet")
	// ErrNotAuthorized: the platform holds no authorizer_refresh_token for the AppID: the
	// account never authorized the platform, revoked it, or the token was lost (see
	// [Platform.RestoreRefreshTokens]).
	ErrNotAuthorized = errors.New("component: account has not authorized the platform")
	// ErrInvalidRequest is matched by every error that rejects arguments before a request is
	// sent (an empty AppID, a count above 500, ...).
	ErrInvalidRequest = errors.New("component: invalid request")
)

// Errcodes of the third-party platform APIs that callers branch on.
const (
	CodeVerifyTicketInvalid   = 61006 // component ticket is invalid: stale or wrong verify ticket
	CodeAuthorizationCodeUsed = 61009 // code is invalid: wrong, used or expired authorization code
	CodeRefreshTokenInvalid   = 61023 // refresh_token is invalid
	CodeNotAuthorized         = 61003 // component is not authorized by this account
)

// Package component runs a third-party platform (第三方平台) of the WeChat Open Platform: a
// service that acts for every official account that authorized it, without their
// AppSecrets.
//
// A [Platform] receives the authorization events (授权事件: component_verify_ticket,
// authorized, updateauthorized, unauthorized) at [Platform.AuthEventHandler], keeps the
// component_access_token, and gives an [*offiaccount.Client] per authorized account
// ([Platform.AuthorizerClient]) whose token is that account's authorizer_access_token, so
// every API of the root package works on the account's behalf. A [MessageServer] serves the
// message URL of all authorized accounts (the $APPID$ path segment) with one
// [offiaccount.Handler] per account, and answers WeChat's release check (全网发布) with one
// option.
//
// All state lives in an [offiaccount.TokenStore] under "component:<ComponentAppID>:", so many
// processes share one platform through Redis (redisstore). The authorizer_refresh_token, the
// one credential WeChat cannot hand out again without the account's owner, is stored without
// expiry ([DurableStore]) and can be recovered with [Platform.RestoreRefreshTokens].
//
// The package uses the standard library and the root package's public API only: its requests
// go through [offiaccount.Client.CallWithoutToken], so a transport's error never carries the
// component secret, the verify ticket, a code or a token.
package component

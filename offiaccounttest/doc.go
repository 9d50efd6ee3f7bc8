// Package offiaccounttest runs a fake WeChat Official Account platform (微信公众平台) on
// loopback, the way net/http/httptest runs a fake server, so that code talking to
// api.weixin.qq.com can be tested with no account, no network and no IP whitelist.
//
// A [Platform] answers the access_token endpoints (/cgi-bin/token and
// /cgi-bin/stable_token), the custom menu endpoints (自定义菜单, including conditional
// menus 个性化菜单), the JS-SDK ticket endpoint and the web-authorization (网页授权)
// endpoints with WeChat's field names, error codes and errmsg texts, rid included.
// It also serves, with state kept per account, the APIs every account uses next:
// customer-service and template messages (recorded for the test to read with
// [Platform.SentMessages] and [Platform.SentTemplates]), template management, users, tags
// and the blacklist (seeded with [Platform.AddUser]), parametric QR codes, temporary media
// and permanent materials (their bytes kept and streamed back), the IP lists, daily API
// quotas with clear_quota, the lookup of a failed call by its rid, mass sends (jobs that push
// MASSSENDJOBFINISH on the fake clock) and subscribe notifications (a user's acceptance
// played with [Platform.AcceptSubscription]). Every call but the
// token and web-authorization ones has its access_token checked exactly like WeChat does
// (41001 when missing, 40001 when unknown or superseded, 42001 when expired) and counts
// against the account's daily quota of its path (45009 past it).
//
// Time on the platform is a clock the test drives with [Platform.Advance] and
// [Platform.SetNow], so token expiry and the 5-minute overlap are tested in microseconds.
// [Platform.FailNext] injects faults (an errcode, an HTTP status, a delay, a dropped
// connection) into the next calls of a path, and [Platform.Calls] counts the calls.
//
// The Platform speaks only HTTP and JSON: any WeChat client, in any style, can be pointed at
// [Platform.URL] instead of https://api.weixin.qq.com.
//
// The other half of WeChat is a [Sender]: it plays WeChat toward a callback server (a URL or
// an http.Handler in process), building messages and events, signing and encrypting them in
// plaintext, compatible or safe mode, applying WeChat's 5-second timeout and three attempts,
// and checking, decrypting and decoding the passive reply. cmd/wxsim is the same from the
// command line.
package offiaccounttest

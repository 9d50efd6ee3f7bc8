// Package offiaccount is a client and callback server for WeChat Official Accounts
// (微信公众号).
//
// The package has three layers, each usable on its own:
//
//   - Pure functions: [Signature], [CheckSignature], [MsgSignature], [JSSDKSignature],
//     [CardSignature] and the safe-mode (AES) [MessageCrypter]. Bytes in, errors out; no I/O.
//   - [Client]: the WeChat API for one account (AppID), with the access_token cached,
//     refreshed before it expires and shared by every goroutine. Every method takes a
//     context.Context and returns an *[APIError] for WeChat's errcodes.
//   - The callback [Handler]: a plain http.Handler that verifies WeChat's signatures,
//     decrypts, decodes typed messages and events, routes them to your functions and sends
//     their passive replies.
//
// Nothing in the package is global: two Clients for two accounts never interfere, and no
// secret (AppSecret, EncodingAESKey, access_token) is ever written to an error or a log.
package offiaccount

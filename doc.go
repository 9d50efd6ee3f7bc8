// Package offiaccount is a client and callback server for WeChat Official Accounts
// (微信公众号).
//
// The package has three layers, each usable on its own:
//
//   - Pure functions: [Signature], [CheckSignature], [MsgSignature], [JSSDKSignature],
//     [CardSignature] and the safe-mode (AES) [MessageCrypter]. Bytes in, errors out; no I/O.
//   - [Client]: the WeChat API for one account (AppID), with the access_token and JS-SDK
//     tickets cached, refreshed before they expire and shared by every goroutine and, through
//     a [TokenStore], by every process of the account. Every method takes a context.Context
//     and returns an *[APIError] for WeChat's errcodes. See "API groups" below.
//   - The callback [Handler]: a plain http.Handler that verifies WeChat's signatures,
//     decrypts, decodes typed messages and events, routes them to your functions, answers
//     WeChat's retries with the first reply, and sends passive replies.
//
// # API groups
//
// One file per group of WeChat's documentation, each method linking the page it wraps:
//
//   - custom menus ([Client.CreateMenu]), JS-SDK ([Client.JSConfig]) and web authorization
//     ([Client.AuthCodeURL]);
//   - customer-service messages ([Client.SendCustomMessage]) and customer-service staff,
//     sessions and chat history ([Client.AddKFAccount], [Client.EachKFMsgRecord]);
//   - template messages ([Client.SendTemplateMessage]), mass send ([Client.SendMassToAll],
//     [Client.SendMassToTag]) and subscribe notifications ([Client.SendSubscribeMessage]);
//   - users, tags and the blacklist ([Client.GetUserInfo]) and parametric QR codes
//     ([Client.CreateQRCode]);
//   - media and materials ([Client.UploadMedia], [Client.AddMaterial]), drafts and
//     publishing ([Client.AddDraft], [Client.SubmitPublish], [Client.GetPublishJob]) and
//     the comments of published articles ([Client.ListComments], [Client.EachComment]);
//   - statistics ([Client.ListUserSummary] and the other datacube lists), short keys
//     ([Client.GenShortKey]), quotas ([Client.GetAPIQuota], [Client.ClearQuotaByAppSecret]) and
//     diagnostics ([Client.GetCallbackIPs], [Client.CheckCallback]);
//   - anything else: [Client.Call], [Client.CallUpload] and [Client.CallDownload] reach an
//     endpoint the package does not wrap with the same token handling, retry and errors, and
//     [Client.CallWithoutToken] one that takes its credential in the query or body.
//
// Nothing in the package is global: two Clients for two accounts never interfere, and no
// secret (AppSecret, EncodingAESKey, access_token, tickets) is ever written to an error or a
// log.
//
// Package [github.com/wxgo/offiaccount/offiaccounttest] is a fake WeChat platform and a
// sender that plays WeChat toward a callback, for tests with no account and no network; the
// separate module github.com/wxgo/offiaccount/redisstore shares tokens and retry records
// between servers through Redis. Package [github.com/wxgo/offiaccount/component] runs an
// Open Platform third-party platform (第三方平台): it receives the authorization events, keeps
// the component_access_token, gives an ordinary Client per authorized account (whose token is
// that account's authorizer_access_token) and serves every account's messages with a
// Handler each; it uses only this package's public API.
//
// # Naming
//
// One rule names the whole API, so a name says what it is:
//
//   - Constructors are New<Type>(required arguments..., opts ...<Type>Option), returning
//     (*<Type>, error), or only the value when they cannot fail.
//   - Options are of type <Type>Option and named With<Type><Setting>, so the name says
//     what they configure (WithClientLogger, WithHandlerLogger). A nil option is an error.
//     A package whose one option type configures all of its types alike (redisstore) keeps
//     Option and With<Setting>.
//   - Methods that call WeChat are verb + object: Get<Thing> reads one record,
//     List<Things> a collection or one page of it, BatchGet<Things> looks records up by a
//     list of keys, Count<Things> counts; writes use WeChat's verb for the endpoint (Create,
//     Add, Update, Delete, Send, Upload, Set, Clear, Check, ...); Each<Thing> walks every
//     page. Methods that compute locally or read a cached credential are named for what
//     they return (AccessToken, JSAPITicket, JSConfig, AuthCodeURL).
//   - What you build and pass in is a value (Menu, CustomMessage, TemplateMessage, request
//     structs named <Method>Request); what WeChat returns is *T for a struct, []T for a list,
//     or a scalar, and a result type is named for the thing (Tag, Quota), not the method.
//   - Functions that do the same thing take the same arguments in the same order:
//     [JSSDKSignature] and [SignJSConfig] both follow WeChat's string1 (ticket, nonceStr,
//     timestamp, url).
//   - Enumerations are typed strings with prefixed constants (MsgTypeText, EventSubscribe);
//     errors are Err<What> sentinels for errors.Is and Code<What> errcode constants.
//   - offiaccounttest never reuses a root name for something else: the records the fake
//     platform keeps are <Thing>Record, what its Sender sends is a UserMessage and what it
//     gets back a ReceivedReply.
package offiaccount

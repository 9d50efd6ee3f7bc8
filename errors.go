package offiaccount

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Each can be matched with errors.Is; the *APIError categories match an
// *APIError by its errcode.
var (
	// ErrInvalidAESKey: an EncodingAESKey that is not 43 characters of base64.
	ErrInvalidAESKey = errors.New("offiaccount: invalid EncodingAESKey")
	// ErrInvalidBase64: an Encrypt value that is not standard base64.
	ErrInvalidBase64 = errors.New("offiaccount: encrypted message is not valid base64")
	// ErrInvalidBlockSize: a ciphertext that is empty or not a multiple of the AES block size.
	ErrInvalidBlockSize = errors.New("offiaccount: encrypted message is not a whole number of AES blocks")
	// ErrInvalidPadding: PKCS#7 padding out of 1..32 or with unequal bytes; usually a wrong key.
	ErrInvalidPadding = errors.New("offiaccount: encrypted message has invalid padding")
	// ErrInvalidLength: the decrypted message's declared length does not fit its buffer.
	ErrInvalidLength = errors.New("offiaccount: encrypted message has an invalid length")
	// ErrAppIDMismatch: the decrypted message names another AppID: it was meant for another account.
	ErrAppIDMismatch = errors.New("offiaccount: encrypted message is for another AppID")

	// ErrBadResponse: WeChat answered with a body that is not the JSON the API documents.
	ErrBadResponse = errors.New("offiaccount: malformed response")

	// ErrTokenInvalid matches API errors 40001, 40014 and 42001: the access_token was
	// replaced, malformed or expired. The client refreshes and retries once on its own.
	ErrTokenInvalid = errors.New("offiaccount: access_token invalid or expired")
	// ErrBusy matches API error -1: WeChat is busy; retry after a pause.
	ErrBusy = errors.New("offiaccount: system busy")
	// ErrQuota matches API error 45009: the daily quota of the API is used up.
	ErrQuota = errors.New("offiaccount: API daily quota reached")
	// ErrRateLimited matches API error 45011: calls are too frequent.
	ErrRateLimited = errors.New("offiaccount: API frequency limit reached")
	// ErrIPNotWhitelisted matches API error 40164: the caller's IP is not in the account's
	// IP whitelist (IP白名单).
	ErrIPNotWhitelisted = errors.New("offiaccount: caller IP not in whitelist")

	// ErrInvalidRequest is matched (errors.Is) by every error that rejects the arguments of an
	// API call before anything is sent: an empty openid, too many users in a batch, a message
	// without its body, a QR scene out of range, a file too large for its media type, …
	ErrInvalidRequest = errors.New("offiaccount: invalid request")

	// ErrDedupeRecordNotFound is returned by DedupeStore.Wait when the key has no
	// record.
	ErrDedupeRecordNotFound = errors.New("offiaccount: dedupe record not found")

	// ErrInvalidPageURL is returned for a page URL that cannot be signed for wx.config: not an
	// absolute http(s) URL with a host, too long, or holding control characters.
	ErrInvalidPageURL = errors.New("offiaccount: invalid page URL")

	// ErrInvalidMenu is matched (errors.Is) by every error that rejects a menu before it is sent:
	// *MenuError values from validation and decoding errors from ParseMenuJSON.
	ErrInvalidMenu = errors.New("offiaccount: invalid menu")

	// ErrMalformedMessage reports a callback body that is not a well-formed
	// WeChat message. Errors returned by ParseMessage wrap it.
	ErrMalformedMessage = errors.New("offiaccount: malformed message")

	// Sentinels of web authorization (网页授权). The first three match the *APIError they
	// wrap by errcode.

	// ErrOAuthCodeInvalid matches errcodes 40029, 40163, 41008 and 42003: the code is wrong,
	// used or expired. Send the user through AuthCodeURL again.
	ErrOAuthCodeInvalid = errors.New("offiaccount: oauth code invalid, used or expired")
	// ErrRefreshTokenInvalid matches errcodes 40030, 42002 and 42007 from a refresh: the
	// user must authorize again.
	ErrRefreshTokenInvalid = errors.New("offiaccount: refresh_token invalid or expired")
	// ErrUserTokenInvalid matches errcodes 40001, 40014, 42001 and 42007 from /sns/auth and
	// /sns/userinfo: the user's web token (not the account's) is invalid or expired;
	// RefreshUserToken gets a new one.
	ErrUserTokenInvalid = errors.New("offiaccount: user web token invalid or expired")

	// ErrOAuthState: the redirect's state is missing or differs from the stored one (a
	// forged or replayed redirect).
	ErrOAuthState = errors.New("offiaccount: oauth state mismatch")
	// ErrOAuthDenied: the redirect carries no code; the user refused to authorize.
	ErrOAuthDenied = errors.New("offiaccount: user did not authorize")

	// ErrInvalidAppID: an AppID that cannot be real (not "wx" and 16 lowercase hex digits,
	// or with surrounding whitespace), rejected by New and NewMessageCrypter.
	ErrInvalidAppID = errors.New("offiaccount: invalid AppID")
	// ErrInvalidAppSecret: an AppSecret with surrounding whitespace or control characters,
	// rejected by New. The error never contains the secret.
	ErrInvalidAppSecret = errors.New("offiaccount: invalid AppSecret")
	// ErrInvalidToken: a callback Token that is not 3 to 32 letters or digits, or has
	// surrounding whitespace, rejected by NewHandler. The error never contains the Token.
	ErrInvalidToken = errors.New("offiaccount: invalid Token")

	// Sentinels of publishing (发布能力), matched by *PublishError (PublishJob.Err).

	// ErrPublishFailed matches every publish job that did not end published, or whose
	// articles were removed afterwards (publish_status 2 to 6).
	ErrPublishFailed = errors.New("offiaccount: publish failed")
	// ErrPublishOriginalCheckFailed matches publish_status 2: the originality check (原创校验)
	// failed.
	ErrPublishOriginalCheckFailed = errors.New("offiaccount: publish failed the originality check")
	// ErrPublishAuditFailed matches publish_status 4: WeChat's audit (平台审核) refused it.
	ErrPublishAuditFailed = errors.New("offiaccount: publish refused by the platform audit")
	// ErrPublishRemoved matches publish_status 5 and 6: published, then deleted by the
	// account or banned by WeChat.
	ErrPublishRemoved = errors.New("offiaccount: published articles deleted or banned")

	// ErrMassDuplicate is matched by the *MassDuplicateError of a mass send whose
	// clientmsgid was used within 24 hours (errcode 45065): nothing was sent again.
	ErrMassDuplicate = errors.New("offiaccount: mass send with a clientmsgid already used")
	// ErrUserRefused matches errcode 43101: the user refused the account's messages, or
	// has not accepted (or has used up) the subscription a subscribe notification needs.
	ErrUserRefused = errors.New("offiaccount: user refused or did not subscribe to the message")
)

// WeChat errcodes that callers commonly branch on. More codes live beside the APIs that
// return them.
const (
	CodeBusy               = -1    // 系统繁忙
	CodeInvalidCredential  = 40001 // access_token invalid or not latest
	CodeInvalidAppID       = 40013 // 不合法的 AppID
	CodeInvalidAccessToken = 40014 // 不合法的 access_token
	CodeInvalidAppSecret   = 40125 // 不合法的 AppSecret
	CodeIPNotWhitelisted   = 40164 // 调用接口的 IP 地址不在白名单中
	CodeMissingAccessToken = 41001 // 缺少 access_token 参数
	CodeAccessTokenExpired = 42001 // access_token 超时
	CodeUserRefused        = 43101 // the user refused the account's messages, or has no subscription to use (ErrUserRefused)
	CodeQuotaReached       = 45009 // 接口调用超过限制
	CodeRateLimited        = 45011 // API 调用太频繁
	CodeMenuNotExist       = 46003 // 不存在的菜单数据
)

// APIError is an error answer of the WeChat API: a non-zero errcode. Use errors.As to read
// it, or errors.Is with ErrTokenInvalid, ErrBusy, ErrQuota, ErrRateLimited,
// ErrIPNotWhitelisted or ErrUserRefused to test its category.
type APIError struct {
	Code    int    // errcode
	Message string // errmsg, without the rid suffix
	Path    string // the API path called, such as /cgi-bin/menu/create; never the query
	RID     string // WeChat's request id (rid) for its support staff, when present
}

// Error describes the errcode with the path and rid; it never contains the access_token.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("offiaccount: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString("errcode ")
	b.WriteString(strconv.Itoa(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RID != "" {
		b.WriteString(" (rid ")
		b.WriteString(e.RID)
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether the error falls in the category of target, one of the category
// sentinels of this package.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrTokenInvalid:
		// On /sns/* the same codes speak of a user's web token, not the account's.
		return isTokenErrcode(e.Code) && !strings.HasPrefix(e.Path, "/sns/")
	case ErrBusy:
		return e.Code == CodeBusy
	case ErrQuota:
		return e.Code == CodeQuotaReached
	case ErrRateLimited:
		return e.Code == CodeRateLimited
	case ErrIPNotWhitelisted:
		return e.Code == CodeIPNotWhitelisted
	case ErrUserRefused:
		return e.Code == CodeUserRefused
	}
	return false
}

func isTokenErrcode(code int) bool {
	return code == CodeInvalidCredential || code == CodeInvalidAccessToken || code == CodeAccessTokenExpired
}

// newAPIError splits WeChat's "… rid: 6543-…" suffix off errmsg.
func newAPIError(path string, code int, msg string) *APIError {
	e := &APIError{Code: code, Message: msg, Path: path}
	if i := strings.LastIndex(msg, "rid:"); i >= 0 {
		e.RID = strings.TrimSpace(msg[i+len("rid:"):])
		e.Message = strings.TrimRight(strings.TrimSpace(msg[:i]), ",;")
	}
	return e
}

// StatusError is an HTTP answer other than 200 from the WeChat API (WeChat itself answers
// errors with 200 and an errcode; other statuses come from proxies and gateways).
type StatusError struct {
	StatusCode int
	Path       string
}

// Error names the path and the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("offiaccount: %s: HTTP status %d", e.Path, e.StatusCode)
}

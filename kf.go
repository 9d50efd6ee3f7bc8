package offiaccount

import (
	"context"
	"encoding/json"
	"io"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Customer-service staff (客服帐号管理, 会话控制, 获取聊天记录): the accounts of the people who
// answer users in WeChat's customer-service system, their sessions with users, and the chat
// history. Sending customer-service messages is in custom.go.

// Limits of the customer-service APIs, checked locally.
const (
	MaxKFAccountPrefixRunes = 10    // characters of the part of kf_account before "@"
	MaxKFAccountSuffixRunes = 30    // characters of the account's WeChat ID after "@"
	MaxKFNicknameRunes      = 16    // characters of a staff nickname
	MaxKFMsgRecordNumber    = 10000 // records per msgrecord/getmsglist call
	MaxKFMsgRecordSpan      = 24 * time.Hour
	maxKFHeadImageBytes     = 5 << 20 // the head image: a JPEG within 5 MB
)

// WeChat errcodes of the customer-service staff APIs.
const (
	CodeKFNotEnabled        = 65400 // the new customer-service function is not enabled (yet)
	CodeKFInvalidAccount    = 65401 // no such customer-service account
	CodeKFNotBound          = 65402 // the account has no WeChat user bound yet
	CodeKFInvalidNickname   = 65403 // nickname invalid
	CodeKFMalformedAccount  = 65404 // kf_account not of the form prefix@wechatid
	CodeKFAccountLimit      = 65405 // the account has the most staff accounts allowed (100)
	CodeKFAccountExists     = 65406 // kf_account already exists
	CodeKFAlreadyWorker     = 65407 // the invited WeChat user already is staff of the account
	CodeKFNoSession         = 65413 // the user has no session
	CodeKFUserInSession     = 65414 // the user is being served by other staff
	CodeKFOffline           = 65415 // the staff member is not online
	CodeKFInvalidQuery      = 65416 // msgrecord query arguments invalid
	CodeKFQueryRangeTooLong = 65417 // msgrecord time range longer than 24 hours
)

// validKFAccount checks the shape WeChat requires: prefix@wechatid, the prefix at most 10
// letters, digits or underscores.
func validKFAccount(p, account string) error {
	prefix, suffix, ok := strings.Cut(account, "@")
	switch {
	case !ok || prefix == "" || suffix == "" || strings.Contains(suffix, "@"):
		return invalidf(p, "kf_account %q is not prefix@wechatid", account)
	case utf8.RuneCountInString(prefix) > MaxKFAccountPrefixRunes:
		return invalidf(p, "kf_account prefix %q longer than %d characters", prefix, MaxKFAccountPrefixRunes)
	case utf8.RuneCountInString(suffix) > MaxKFAccountSuffixRunes:
		return invalidf(p, "kf_account suffix %q longer than %d characters", suffix, MaxKFAccountSuffixRunes)
	}
	for _, r := range prefix {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return invalidf(p, "kf_account prefix %q: only letters, digits and _", prefix)
		}
	}
	for _, r := range suffix {
		if r <= ' ' || r == 0x7f {
			return invalidf(p, "kf_account %q holds a space or control character", account)
		}
	}
	return nil
}

func validKFNickname(p, nickname string) error {
	if nickname == "" || utf8.RuneCountInString(nickname) > MaxKFNicknameRunes || !utf8.ValidString(nickname) {
		return invalidf(p, "nickname must be 1 to %d characters of valid UTF-8", MaxKFNicknameRunes)
	}
	return nil
}

type kfAccountBody struct {
	Account  string `json:"kf_account"`
	Nickname string `json:"nickname,omitempty"`
}

// AddKFAccount adds a customer-service account (at most 100 per official account): account
// is "prefix@wechatid" (prefix of at most 10 letters, digits or _; the suffix is the
// official account's WeChat ID) and nickname at most 16 characters. The account works once
// a WeChat user is bound to it with [Client.InviteKFWorker].
//
// https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_addkfaccount.html
func (c *Client) AddKFAccount(ctx context.Context, account, nickname string) error {
	const p = "/customservice/kfaccount/add"
	if err := validKFAccount(p, account); err != nil {
		return err
	}
	if err := validKFNickname(p, nickname); err != nil {
		return err
	}
	return c.postJSON(ctx, p, nil, kfAccountBody{account, nickname}, nil)
}

// UpdateKFAccount changes the nickname of a customer-service account.
//
// https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_updatekfaccount.html
func (c *Client) UpdateKFAccount(ctx context.Context, account, nickname string) error {
	const p = "/customservice/kfaccount/update"
	if err := validKFAccount(p, account); err != nil {
		return err
	}
	if err := validKFNickname(p, nickname); err != nil {
		return err
	}
	return c.postJSON(ctx, p, nil, kfAccountBody{account, nickname}, nil)
}

// DeleteKFAccount deletes a customer-service account.
//
// https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_delkfaccount.html
func (c *Client) DeleteKFAccount(ctx context.Context, account string) error {
	const p = "/customservice/kfaccount/del"
	if err := validKFAccount(p, account); err != nil {
		return err
	}
	return c.postJSON(ctx, p, nil, kfAccountBody{Account: account}, nil)
}

// UploadKFHeadImage sets the avatar of a customer-service account from a JPEG file of at most
// 5 MB (640×640 shows best). fileName must end in .jpg or .jpeg; r is streamed, as for [Client.UploadMedia].
//
// https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_uploadkfheadimg.html
func (c *Client) UploadKFHeadImage(ctx context.Context, account, fileName string, r io.Reader) error {
	const p = "/customservice/kfaccount/uploadheadimg"
	if err := validKFAccount(p, account); err != nil {
		return err
	}
	if ext := strings.ToLower(path.Ext(fileName)); ext != ".jpg" && ext != ".jpeg" {
		return invalidf(p, "file %q: the head image must be a .jpg", fileName)
	}
	if r == nil {
		return invalidf(p, "nil reader")
	}
	return c.upload(ctx, p, url.Values{"kf_account": {account}}, uploadFile{field: "media", name: fileName,
		contentType: "image/jpeg", r: r, maxBytes: maxKFHeadImageBytes}, nil)
}

// InviteKFWorker invites the WeChat user with WeChat ID inviteWX to be bound to the
// customer-service account. The user accepts within 7 days; ListKFAccounts shows the state.
//
// https://developers.weixin.qq.com/doc/service/Customer_Service/Customer_Service_Management.html
func (c *Client) InviteKFWorker(ctx context.Context, account, inviteWX string) error {
	const p = "/customservice/kfaccount/inviteworker"
	if err := validKFAccount(p, account); err != nil {
		return err
	}
	if inviteWX == "" {
		return invalidf(p, "empty invite_wx")
	}
	in := struct {
		Account  string `json:"kf_account"`
		InviteWX string `json:"invite_wx"`
	}{account, inviteWX}
	return c.postJSON(ctx, p, nil, in, nil)
}

// KFAccount is one customer-service account of the official account.
type KFAccount struct {
	Account          string      `json:"kf_account"`                   // prefix@wechatid
	Nickname         string      `json:"kf_nick"`                      // shown to users
	ID               json.Number `json:"kf_id"`                        // WeChat's number of the account
	HeadImgURL       string      `json:"kf_headimgurl"`                // avatar
	WeChatID         string      `json:"kf_wx,omitempty"`              // the bound WeChat user
	InviteWeChatID   string      `json:"invite_wx,omitempty"`          // invited, not yet bound
	InviteExpireTime int64       `json:"invite_expire_time,omitempty"` // unix seconds
	InviteStatus     string      `json:"invite_status,omitempty"`      // "waiting", "rejected" or "expired"
}

// ListKFAccounts returns every customer-service account (getkflist).
//
// https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_getkflist.html
func (c *Client) ListKFAccounts(ctx context.Context) ([]KFAccount, error) {
	var out struct {
		List []KFAccount `json:"kf_list"`
	}
	err := c.getJSON(ctx, "/cgi-bin/customservice/getkflist", nil, &out)
	return out.List, err
}

// KFOnline is a customer-service account that is online.
type KFOnline struct {
	Account      string      `json:"kf_account"`
	Status       int         `json:"status"` // 1: online on the web client
	ID           json.Number `json:"kf_id"`
	AcceptedCase int         `json:"accepted_case"` // sessions being served now
}

// ListOnlineKFAccounts returns the customer-service accounts that are online
// (getonlinekflist).
//
// https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_getonlinekflist.html
func (c *Client) ListOnlineKFAccounts(ctx context.Context) ([]KFOnline, error) {
	var out struct {
		List []KFOnline `json:"kf_online_list"`
	}
	err := c.getJSON(ctx, "/cgi-bin/customservice/getonlinekflist", nil, &out)
	return out.List, err
}

type kfSessionBody struct {
	Account string `json:"kf_account"`
	OpenID  string `json:"openid"`
}

func (c *Client) kfSession(ctx context.Context, p, account, openID string) error {
	if err := validKFAccount(p, account); err != nil {
		return err
	}
	if openID == "" {
		return invalidf(p, "empty openid")
	}
	return c.postJSON(ctx, p, nil, kfSessionBody{account, openID}, nil)
}

// CreateKFSession hands the user openID to the online customer-service account (65415 when
// it is offline, 65414 when other staff serve the user). WeChat pushes kf_create_session.
//
// https://developers.weixin.qq.com/doc/service/api/customer/messctrl/api_createkfsession.html
func (c *Client) CreateKFSession(ctx context.Context, account, openID string) error {
	return c.kfSession(ctx, "/customservice/kfsession/create", account, openID)
}

// CloseKFSession ends the session of account with openID. WeChat pushes kf_close_session.
//
// https://developers.weixin.qq.com/doc/service/Customer_Service/Session_control.html
func (c *Client) CloseKFSession(ctx context.Context, account, openID string) error {
	return c.kfSession(ctx, "/customservice/kfsession/close", account, openID)
}

// KFSession is a session between a user and a customer-service account.
type KFSession struct {
	Account    string `json:"kf_account,omitempty"` // set by GetKFSession
	OpenID     string `json:"openid,omitempty"`     // set by ListKFSessions
	CreateTime int64  `json:"createtime"`           // unix seconds
}

// GetKFSession returns the session of the user openID; an empty Account means no staff
// serve the user.
//
// https://developers.weixin.qq.com/doc/service/Customer_Service/Session_control.html
func (c *Client) GetKFSession(ctx context.Context, openID string) (*KFSession, error) {
	const p = "/customservice/kfsession/getsession"
	if openID == "" {
		return nil, invalidf(p, "empty openid")
	}
	var out KFSession
	if err := c.getJSON(ctx, p, url.Values{"openid": {openID}}, &out); err != nil {
		return nil, err
	}
	out.OpenID = openID
	return &out, nil
}

// ListKFSessions returns the sessions the customer-service account is serving.
//
// https://developers.weixin.qq.com/doc/service/api/customer/messctrl/api_getkfsessionlist.html
func (c *Client) ListKFSessions(ctx context.Context, account string) ([]KFSession, error) {
	const p = "/customservice/kfsession/getsessionlist"
	if err := validKFAccount(p, account); err != nil {
		return nil, err
	}
	var out struct {
		List []KFSession `json:"sessionlist"`
	}
	if err := c.getJSON(ctx, p, url.Values{"kf_account": {account}}, &out); err != nil {
		return nil, err
	}
	for i := range out.List {
		out.List[i].Account = account
	}
	return out.List, nil
}

// KFWaitCase is a user waiting for customer service.
type KFWaitCase struct {
	OpenID     string `json:"openid"`
	LatestTime int64  `json:"latest_time"` // unix seconds of the user's last message
}

// KFWaitCaseList is the queue of users waiting for customer service.
type KFWaitCaseList struct {
	Count int          `json:"count"` // users waiting in all
	Cases []KFWaitCase `json:"waitcaselist"`
}

// ListKFWaitCases returns the users waiting for customer service (getwaitcase), the first
// 100 of them.
//
// https://developers.weixin.qq.com/doc/service/Customer_Service/Session_control.html
func (c *Client) ListKFWaitCases(ctx context.Context) (*KFWaitCaseList, error) {
	var out KFWaitCaseList
	if err := c.getJSON(ctx, "/customservice/kfsession/getwaitcase", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// KFMsgRecord is one message of the customer-service chat history.
type KFMsgRecord struct {
	OpenID   string `json:"openid"`
	OperCode int    `json:"opercode"` // 2002: staff sent, 2003: staff received
	Text     string `json:"text"`
	Time     int64  `json:"time"`   // unix seconds
	Worker   string `json:"worker"` // kf_account
}

// KFMsgRecordPage is one page of the chat history.
type KFMsgRecordPage struct {
	Records []KFMsgRecord `json:"recordlist"`
	Number  int           `json:"number"` // records on this page
	MsgID   int64         `json:"msgid"`  // the msgid to ask for the next page
}

// ListKFMsgRecords returns up to number (1…10000) records of the chat history between start
// and end (at most 24 hours apart), from msgID on (1 for the first page; then the page's
// MsgID). A page shorter than number is the last one. Times are sent as unix seconds.
//
// https://developers.weixin.qq.com/doc/service/Customer_Service/Obtain_chat_transcript.html
func (c *Client) ListKFMsgRecords(ctx context.Context, start, end time.Time, msgID int64, number int) (*KFMsgRecordPage, error) {
	const p = "/customservice/msgrecord/getmsglist"
	switch {
	case !end.After(start):
		return nil, invalidf(p, "endtime %v not after starttime %v", end, start)
	case end.Sub(start) > MaxKFMsgRecordSpan:
		return nil, invalidf(p, "starttime to endtime spans %v, at most 24h", end.Sub(start))
	case msgID < 1:
		return nil, invalidf(p, "msgid %d: ids start at 1", msgID)
	case number < 1 || number > MaxKFMsgRecordNumber:
		return nil, invalidf(p, "number %d, want 1 to %d", number, MaxKFMsgRecordNumber)
	}
	in := struct {
		Start  int64 `json:"starttime"`
		End    int64 `json:"endtime"`
		MsgID  int64 `json:"msgid"`
		Number int   `json:"number"`
	}{start.Unix(), end.Unix(), msgID, number}
	var out KFMsgRecordPage
	if err := c.postJSON(ctx, p, nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EachKFMsgRecord calls fn with every page of the chat history between start and end (at
// most 24 hours apart; MaxKFMsgRecordNumber records a page) until the history ends, fn
// returns an error, or ctx is done.
func (c *Client) EachKFMsgRecord(ctx context.Context, start, end time.Time, fn func([]KFMsgRecord) error) error {
	for msgID := int64(1); ; {
		page, err := c.ListKFMsgRecords(ctx, start, end, msgID, MaxKFMsgRecordNumber)
		if err != nil {
			return err
		}
		if len(page.Records) > 0 {
			if err := fn(page.Records); err != nil {
				return err
			}
		}
		if len(page.Records) < MaxKFMsgRecordNumber || page.MsgID <= msgID {
			return nil
		}
		msgID = page.MsgID
	}
}

package offiaccounttest

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Customer-service staff (客服帐号管理, 会话控制, 聊天记录): staff accounts, their sessions with
// users, the waiting queue and the chat history.

// Limits of the customer-service APIs.
const (
	// MaxKFAccounts is how many customer-service accounts an official account may have.
	MaxKFAccounts = 100
	// KFInviteLifetime is how long an invitation to bind a WeChat user stays open.
	KFInviteLifetime = 7 * 24 * time.Hour

	maxKFPrefixRunes   = 10
	maxKFNicknameRunes = 16
	maxKFMsgRecords    = 10000
)

// Errcodes of the customer-service APIs.
const (
	codeKFInvalidAccount   = 65401
	codeKFNotBound         = 65402
	codeKFInvalidNickname  = 65403
	codeKFMalformedAccount = 65404
	codeKFAccountLimit     = 65405
	codeKFAccountExists    = 65406
	codeKFAlreadyWorker    = 65407
	codeKFNoSession        = 65413
	codeKFUserInSession    = 65414
	codeKFOffline          = 65415
	codeKFInvalidQuery     = 65416
	codeKFRangeTooLong     = 65417
)

// KFAccountRecord is a customer-service account the platform holds.
type KFAccountRecord struct {
	Account    string // prefix@wechatid
	Nickname   string
	ID         int // kf_id, from 1001 on
	HeadImage  []byte
	WeChatID   string    // the bound WeChat user; set by SetKFOnline or an accepted invitation
	InviteWX   string    // an open invitation
	InviteTill time.Time // end of the invitation
	Online     bool
}

// KFChatRecord is one message of the customer-service chat history (msgrecord/getmsglist).
type KFChatRecord struct {
	OpenID   string
	OperCode int // 2002 staff sent, 2003 staff received
	Text     string
	Time     time.Time
	Worker   string // kf_account
}

type kfSession struct {
	account string
	created time.Time
}

type kfState struct {
	accounts []*KFAccountRecord
	nextID   int
	sessions map[string]kfSession // openid → session
	waiting  map[string]time.Time // openid → last message
	records  []KFChatRecord
}

// SetKFOnline binds the WeChat user wechatID to the customer-service account of appID (as if
// the invitation had been accepted) and sets it online or offline. It reports false when the
// account does not exist.
func (p *Platform) SetKFOnline(appID, account, wechatID string, online bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return false
	}
	k := a.groupsLocked().kf.find(account)
	if k == nil {
		return false
	}
	k.WeChatID, k.InviteWX, k.InviteTill, k.Online = wechatID, "", time.Time{}, online
	return true
}

// KFAccounts returns the customer-service accounts of appID, in creation order.
func (p *Platform) KFAccounts(appID string) []KFAccountRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	var out []KFAccountRecord
	for _, k := range a.groupsLocked().kf.accounts {
		c := *k
		c.HeadImage = slices.Clone(k.HeadImage)
		out = append(out, c)
	}
	return out
}

// AddKFWaitCase puts the user openID of appID in the queue waiting for customer service, as
// if the user had just written.
func (p *Platform) AddKFWaitCase(appID, openID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		a.groupsLocked().kf.waiting[openID] = p.now
	}
}

// AddKFChatRecords appends messages to the chat history of appID.
func (p *Platform) AddKFChatRecords(appID string, records ...KFChatRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		a.groupsLocked().kf.records = append(a.groupsLocked().kf.records, records...)
	}
}

func (s *kfState) find(account string) *KFAccountRecord {
	for _, k := range s.accounts {
		if k.Account == account {
			return k
		}
	}
	return nil
}

func kfAccountOK(account string) bool {
	prefix, suffix, ok := strings.Cut(account, "@")
	if !ok || prefix == "" || suffix == "" || utf8.RuneCountInString(prefix) > maxKFPrefixRunes || strings.Contains(suffix, "@") {
		return false
	}
	for _, r := range prefix {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

type kfAccountIn struct {
	Account  string `json:"kf_account"`
	Nickname string `json:"nickname"`
	InviteWX string `json:"invite_wx"`
	OpenID   string `json:"openid"`
}

// kfAccountLocked decodes the body and finds the account it names (65404 malformed, 65401
// unknown).
func kfAccountLocked(r *request) (*kfState, *KFAccountRecord, kfAccountIn, int) {
	var in kfAccountIn
	if code := r.decode(&in); code != 0 {
		return nil, nil, in, code
	}
	s := &r.acct.groupsLocked().kf
	if !kfAccountOK(in.Account) {
		return s, nil, in, codeKFMalformedAccount
	}
	k := s.find(in.Account)
	if k == nil {
		return s, nil, in, codeKFInvalidAccount
	}
	return s, k, in, 0
}

func nicknameOK(n string) bool {
	return n != "" && utf8.RuneCountInString(n) <= maxKFNicknameRunes
}

// handleKFAdd is POST /customservice/kfaccount/add: a well-formed new account (65404,
// 65406), a nickname of 1–16 characters (65403), 100 accounts at most (65405).
// https://developers.weixin.qq.com/doc/service/api/customer/servicermanage/api_addkfaccount.html
func (p *Platform) handleKFAdd(r *request) (any, int) {
	s, _, in, code := kfAccountLocked(r)
	switch {
	case code == codeKFInvalidAccount: // new: as it should be
	case code != 0:
		return nil, code
	default:
		return nil, codeKFAccountExists
	}
	switch {
	case !nicknameOK(in.Nickname):
		return nil, codeKFInvalidNickname
	case len(s.accounts) >= MaxKFAccounts:
		return nil, codeKFAccountLimit
	}
	s.accounts = append(s.accounts, &KFAccountRecord{Account: in.Account, Nickname: in.Nickname, ID: s.nextID})
	s.nextID++
	return okBody, 0
}

// handleKFUpdate is POST /customservice/kfaccount/update: a new nickname.
func (p *Platform) handleKFUpdate(r *request) (any, int) {
	_, k, in, code := kfAccountLocked(r)
	if code != 0 {
		return nil, code
	}
	if !nicknameOK(in.Nickname) {
		return nil, codeKFInvalidNickname
	}
	k.Nickname = in.Nickname
	return okBody, 0
}

// handleKFDelete is POST /customservice/kfaccount/del; the account's sessions end with it.
func (p *Platform) handleKFDelete(r *request) (any, int) {
	s, k, _, code := kfAccountLocked(r)
	if code != 0 {
		return nil, code
	}
	s.accounts = slices.DeleteFunc(s.accounts, func(x *KFAccountRecord) bool { return x == k })
	for id, sess := range s.sessions {
		if sess.account == k.Account {
			delete(s.sessions, id)
		}
	}
	return okBody, 0
}

// handleKFHeadImage is POST /customservice/kfaccount/uploadheadimg?kf_account=…: a .jpg
// file of at most 5 MB in field media (40005 for another type, 45001 when larger).
func (p *Platform) handleKFHeadImage(r *request) (any, int) {
	k := r.acct.groupsLocked().kf.find(r.get("kf_account"))
	if !kfAccountOK(r.get("kf_account")) {
		return nil, codeKFMalformedAccount
	}
	if k == nil {
		return nil, codeKFInvalidAccount
	}
	up, code := readUpload(r)
	if code != 0 {
		return nil, code
	}
	if code := up.check(uploadRule{exts: []string{".jpg", ".jpeg"}, maxBytes: 5 << 20}); code != 0 {
		return nil, code
	}
	k.HeadImage = up.data
	return okBody, 0
}

// handleKFInvite is POST /customservice/kfaccount/inviteworker: an invitation valid 7 days;
// 65407 when the account already has a bound user.
func (p *Platform) handleKFInvite(r *request) (any, int) {
	_, k, in, code := kfAccountLocked(r)
	switch {
	case code != 0:
		return nil, code
	case in.InviteWX == "":
		return nil, codeDataFormat
	case k.WeChatID != "":
		return nil, codeKFAlreadyWorker
	}
	k.InviteWX, k.InviteTill = in.InviteWX, p.now.Add(KFInviteLifetime)
	return okBody, 0
}

type kfListItem struct {
	Account          string `json:"kf_account"`
	HeadImgURL       string `json:"kf_headimgurl"`
	ID               string `json:"kf_id"`
	Nick             string `json:"kf_nick"`
	WX               string `json:"kf_wx,omitempty"`
	InviteWX         string `json:"invite_wx,omitempty"`
	InviteExpireTime int64  `json:"invite_expire_time,omitempty"`
	InviteStatus     string `json:"invite_status,omitempty"`
}

// handleKFList is GET /cgi-bin/customservice/getkflist.
func (p *Platform) handleKFList(r *request) (any, int) {
	list := []kfListItem{}
	for _, k := range r.acct.groupsLocked().kf.accounts {
		it := kfListItem{Account: k.Account, ID: strconv.Itoa(k.ID), Nick: k.Nickname, WX: k.WeChatID}
		if k.HeadImage != nil {
			it.HeadImgURL = "http://mmbiz.qpic.cn/mmbiz/kf" + it.ID + "/300"
		}
		if k.InviteWX != "" {
			it.InviteWX, it.InviteExpireTime, it.InviteStatus = k.InviteWX, k.InviteTill.Unix(), "waiting"
			if !p.now.Before(k.InviteTill) {
				it.InviteStatus = "expired"
			}
		}
		list = append(list, it)
	}
	return struct {
		List []kfListItem `json:"kf_list"`
	}{list}, 0
}

// handleKFOnlineList is GET /cgi-bin/customservice/getonlinekflist.
func (p *Platform) handleKFOnlineList(r *request) (any, int) {
	type item struct {
		Account      string `json:"kf_account"`
		Status       int    `json:"status"`
		ID           string `json:"kf_id"`
		AcceptedCase int    `json:"accepted_case"`
	}
	s := &r.acct.groupsLocked().kf
	list := []item{}
	for _, k := range s.accounts {
		if !k.Online {
			continue
		}
		n := 0
		for _, sess := range s.sessions {
			if sess.account == k.Account {
				n++
			}
		}
		list = append(list, item{k.Account, 1, strconv.Itoa(k.ID), n})
	}
	return struct {
		List []item `json:"kf_online_list"`
	}{list}, 0
}

// handleKFSessionCreate is POST /customservice/kfsession/create: the staff must be bound
// (65402) and online (65415), the user a follower (40003) not served by other staff
// (65414). The kf_create_session event is pushed at the next move of the fake clock.
// https://developers.weixin.qq.com/doc/service/api/customer/session/api_createsession.html
func (p *Platform) handleKFSessionCreate(r *request) (any, int) {
	s, k, in, code := kfAccountLocked(r)
	if code != 0 {
		return nil, code
	}
	if _, code := r.acct.recipientLocked(in.OpenID, 0); code != 0 {
		return nil, code
	}
	switch cur, busy := s.sessions[in.OpenID]; {
	case k.WeChatID == "":
		return nil, codeKFNotBound
	case !k.Online:
		return nil, codeKFOffline
	case busy && cur.account != k.Account:
		return nil, codeKFUserInSession
	case busy:
		return okBody, 0
	}
	s.sessions[in.OpenID] = kfSession{account: k.Account, created: p.now}
	delete(s.waiting, in.OpenID)
	p.scheduleEventLocked(p.now, Event(in.OpenID, "kf_create_session", "", Field{Name: "KfAccount", Value: k.Account}))
	return okBody, 0
}

// handleKFSessionClose is POST /customservice/kfsession/close: 65413 when the user has no
// session with that staff. The kf_close_session event follows.
func (p *Platform) handleKFSessionClose(r *request) (any, int) {
	s, k, in, code := kfAccountLocked(r)
	if code != 0 {
		return nil, code
	}
	if in.OpenID == "" {
		return nil, codeInvalidOpenID
	}
	if cur, ok := s.sessions[in.OpenID]; !ok || cur.account != k.Account {
		return nil, codeKFNoSession
	}
	delete(s.sessions, in.OpenID)
	p.scheduleEventLocked(p.now, Event(in.OpenID, "kf_close_session", "", Field{Name: "KfAccount", Value: k.Account}))
	return okBody, 0
}

// handleKFGetSession is GET /customservice/kfsession/getsession?openid=…; a user without a
// session gets an empty kf_account.
func (p *Platform) handleKFGetSession(r *request) (any, int) {
	openID := r.get("openid")
	if _, ok := r.acct.users[openID]; !ok {
		return nil, codeInvalidOpenID
	}
	sess, ok := r.acct.groupsLocked().kf.sessions[openID]
	out := struct {
		CreateTime int64  `json:"createtime"`
		Account    string `json:"kf_account"`
	}{}
	if ok {
		out.CreateTime, out.Account = sess.created.Unix(), sess.account
	}
	return out, 0
}

// handleKFSessionList is GET /customservice/kfsession/getsessionlist?kf_account=….
func (p *Platform) handleKFSessionList(r *request) (any, int) {
	s := &r.acct.groupsLocked().kf
	if s.find(r.get("kf_account")) == nil {
		return nil, codeKFInvalidAccount
	}
	type item struct {
		CreateTime int64  `json:"createtime"`
		OpenID     string `json:"openid"`
	}
	list := []item{}
	for id, sess := range s.sessions {
		if sess.account == r.get("kf_account") {
			list = append(list, item{sess.created.Unix(), id})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].OpenID < list[j].OpenID })
	return struct {
		List []item `json:"sessionlist"`
	}{list}, 0
}

// handleKFWaitCase is GET /customservice/kfsession/getwaitcase: the queue, 100 at most,
// longest waiting first.
func (p *Platform) handleKFWaitCase(r *request) (any, int) {
	type item struct {
		LatestTime int64  `json:"latest_time"`
		OpenID     string `json:"openid"`
	}
	list := []item{}
	for id, t := range r.acct.groupsLocked().kf.waiting {
		list = append(list, item{t.Unix(), id})
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].LatestTime < list[j].LatestTime || list[i].LatestTime == list[j].LatestTime && list[i].OpenID < list[j].OpenID
	})
	n := len(list)
	list = list[:min(n, 100)]
	return struct {
		Count int    `json:"count"`
		List  []item `json:"waitcaselist"`
	}{n, list}, 0
}

// handleKFMsgList is POST /customservice/msgrecord/getmsglist: endtime after starttime and
// at most 24 hours later (65417), msgid from 1 and number 1–10000 (65416). msgid numbers the
// records of the range from 1; the answer's msgid is where the next page starts.
// https://developers.weixin.qq.com/doc/service/api/customer/message/api_getmsglist.html
func (p *Platform) handleKFMsgList(r *request) (any, int) {
	var in struct {
		Start  int64 `json:"starttime"`
		End    int64 `json:"endtime"`
		MsgID  int64 `json:"msgid"`
		Number int   `json:"number"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	switch {
	case in.End <= in.Start || in.MsgID < 1 || in.Number < 1 || in.Number > maxKFMsgRecords:
		return nil, codeKFInvalidQuery
	case in.End-in.Start > int64(24*time.Hour/time.Second):
		return nil, codeKFRangeTooLong
	}
	type item struct {
		OpenID   string `json:"openid"`
		OperCode int    `json:"opercode"`
		Text     string `json:"text"`
		Time     int64  `json:"time"`
		Worker   string `json:"worker"`
	}
	var all []item
	for _, rec := range r.acct.groupsLocked().kf.records {
		if t := rec.Time.Unix(); t >= in.Start && t <= in.End {
			all = append(all, item{rec.OpenID, rec.OperCode, rec.Text, t, rec.Worker})
		}
	}
	from := min(int(in.MsgID-1), len(all))
	page := all[from:min(from+in.Number, len(all))]
	if page == nil {
		page = []item{}
	}
	return struct {
		List   []item `json:"recordlist"`
		Number int    `json:"number"`
		MsgID  int64  `json:"msgid"`
	}{page, len(page), int64(from+len(page)) + 1}, 0
}

// groupAPIRoute maps the paths of the API groups of kf.go, datacube.go, comment.go and
// shorten.go to their endpoints.
func groupAPIRoute(path string) (route, bool) {
	var fn func(p *Platform, r *request) (any, int)
	post, token := true, true
	var maxBody int64
	switch path {
	case "/customservice/kfaccount/add":
		fn = (*Platform).handleKFAdd
	case "/customservice/kfaccount/update":
		fn = (*Platform).handleKFUpdate
	case "/customservice/kfaccount/del":
		fn = (*Platform).handleKFDelete
	case "/customservice/kfaccount/uploadheadimg":
		fn, maxBody = (*Platform).handleKFHeadImage, maxUploadBytes
	case "/customservice/kfaccount/inviteworker":
		fn = (*Platform).handleKFInvite
	case "/cgi-bin/customservice/getkflist":
		fn, post = (*Platform).handleKFList, false
	case "/cgi-bin/customservice/getonlinekflist":
		fn, post = (*Platform).handleKFOnlineList, false
	case "/customservice/kfsession/create":
		fn = (*Platform).handleKFSessionCreate
	case "/customservice/kfsession/close":
		fn = (*Platform).handleKFSessionClose
	case "/customservice/kfsession/getsession":
		fn, post = (*Platform).handleKFGetSession, false
	case "/customservice/kfsession/getsessionlist":
		fn, post = (*Platform).handleKFSessionList, false
	case "/customservice/kfsession/getwaitcase":
		fn, post = (*Platform).handleKFWaitCase, false
	case "/customservice/msgrecord/getmsglist":
		fn = (*Platform).handleKFMsgList
	default:
		var ok bool
		if fn, post, token, ok = otherGroupRoute(path); !ok {
			return route{}, false
		}
	}
	return apiRoute(fn, post, token, maxBody), true
}

package offiaccounttest

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// User management (用户管理): the follower profiles and list, and remarks. Tags and the
// blacklist are in tag.go.

// DefaultPageSize is how many openids one page of the follower list, of a tag's users or of
// the blacklist holds, as on WeChat.
const DefaultPageSize = 10000

// Limits of the user APIs.
const (
	maxBatchUserInfo = 100 // openids per user/info/batchget
	maxRemarkBytes   = 29  // bytes of a remark (备注名): fewer than 30
)

// WithPlatformPageSize sets how many openids a page of the user lists holds (default
// DefaultPageSize), so that a test walks several pages with a handful of users.
func WithPlatformPageSize(n int) PlatformOption {
	return func(p *Platform) {
		if n > 0 {
			p.pageSize = n
		}
	}
}

// UserRecord is a user of an account as the platform knows it. The zero value of every field
// means what a plain follower has: a UserRecord with only OpenID set follows the account.
type UserRecord struct {
	OpenID             string
	UnionID            string // sent only when set
	Nickname           string // default "微信用户", as WeChat answers today (web authorization)
	HeadImgURL         string
	TagIDs             []int
	ClientPlatformType int  // 1 iOS, 2 Android, 3 other
	Snapshot           bool // is_snapshotuser: a user browsing in snapshot mode

	// Unsubscribed marks a user who does not follow the account (subscribe 0): user/info
	// tells only the openid, the follower list leaves the user out, and messages get 43004.
	Unsubscribed   bool
	Language       string    // default "zh_CN"
	SubscribeTime  time.Time // default: the fake clock when AddUser is called
	SubscribeScene string    // default "ADD_SCENE_OTHERS"
	QRScene        int64     // scene_id of the QR code the user followed through
	QRSceneStr     string    // scene_str of the QR code the user followed through
	Remark         string    // 备注名, set by user/info/updateremark
	Blacklisted    bool      // on the account's blacklist (黑名单)

	// LastInteraction is when the user last wrote to the account or clicked its menu. When
	// set, customer-service messages follow WeChat's window: 45015 past 48 hours, 45047
	// after 5 messages; AddUser again to open a new window. Zero means no window is applied.
	LastInteraction time.Time
}

// AddUser registers (or replaces) a user of appID. Users keep the order in which they were
// first added: it is the order of the follower list. It does nothing for unknown accounts.
func (p *Platform) AddUser(appID string, u UserRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return
	}
	if u.SubscribeTime.IsZero() {
		u.SubscribeTime = p.now
	}
	if _, ok := a.userSeq[u.OpenID]; !ok {
		a.userSeq[u.OpenID] = int64(len(a.userSeq) + 1)
	}
	a.users[u.OpenID] = cloneUser(u)
	delete(a.messages.windowSent, u.OpenID)
}

// User returns the user openID of appID as the platform holds it now: with the remark,
// tags and blacklist state the API calls left.
func (p *Platform) User(appID, openID string) (UserRecord, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return UserRecord{}, false
	}
	u, ok := a.users[openID]
	return cloneUser(u), ok
}

func cloneUser(u UserRecord) UserRecord {
	u.TagIDs = slices.Clone(u.TagIDs)
	return u
}

// openIDsLocked lists the users of a that keep passes, in follow order.
func (a *account) openIDsLocked(keep func(UserRecord) bool) []string {
	var ids []string
	for id, u := range a.users {
		if keep(u) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(x, y string) int {
		return cmp.Or(cmp.Compare(a.userSeq[x], a.userSeq[y]), strings.Compare(x, y))
	})
	return ids
}

func isFollower(u UserRecord) bool { return !u.Unsubscribed }

// pageAnswer is WeChat's page of openids. Total is left out by user/tag/get; data is left
// out of an empty page.
type pageAnswer struct {
	Total      *int      `json:"total,omitempty"`
	Count      int       `json:"count"`
	Data       *pageData `json:"data,omitempty"`
	NextOpenID string    `json:"next_openid"`
}

type pageData struct {
	OpenID []string `json:"openid"`
}

// pageLocked cuts the page of list that starts after the openid after ("" for the first).
// next_openid is the last openid of the page, and "" once a page is empty, as on WeChat.
func (p *Platform) pageLocked(list []string, after string, withTotal bool) (pageAnswer, int) {
	start := 0
	if after != "" {
		i := slices.Index(list, after)
		if i < 0 {
			return pageAnswer{}, codeInvalidOpenID
		}
		start = i + 1
	}
	end := min(start+p.pageSize, len(list))
	out := pageAnswer{Count: end - start}
	if withTotal {
		n := len(list)
		out.Total = &n
	}
	if out.Count > 0 {
		out.Data = &pageData{OpenID: slices.Clone(list[start:end])}
		out.NextOpenID = list[end-1]
	}
	return out, 0
}

// userInfoAnswer is user/info's answer for a follower.
type userInfoAnswer struct {
	Subscribe      int    `json:"subscribe"`
	OpenID         string `json:"openid"`
	Language       string `json:"language"`
	SubscribeTime  int64  `json:"subscribe_time"`
	UnionID        string `json:"unionid,omitempty"`
	Remark         string `json:"remark"`
	GroupID        int    `json:"groupid"`
	TagIDList      []int  `json:"tagid_list"`
	SubscribeScene string `json:"subscribe_scene"`
	QRScene        int64  `json:"qr_scene"`
	QRSceneStr     string `json:"qr_scene_str"`
}

// strangerInfo is user/info's answer for a user who does not follow the account.
type strangerInfo struct {
	Subscribe int    `json:"subscribe"`
	OpenID    string `json:"openid"`
	UnionID   string `json:"unionid,omitempty"`
}

func userInfoOf(u UserRecord) any {
	if u.Unsubscribed {
		return strangerInfo{OpenID: u.OpenID, UnionID: u.UnionID}
	}
	out := userInfoAnswer{Subscribe: 1, OpenID: u.OpenID, Language: u.Language,
		SubscribeTime: u.SubscribeTime.Unix(), UnionID: u.UnionID, Remark: u.Remark,
		TagIDList: slices.Clone(u.TagIDs), SubscribeScene: u.SubscribeScene,
		QRScene: u.QRScene, QRSceneStr: u.QRSceneStr}
	if out.Language == "" {
		out.Language = "zh_CN"
	}
	if out.SubscribeScene == "" {
		out.SubscribeScene = "ADD_SCENE_OTHERS"
	}
	if out.TagIDList == nil {
		out.TagIDList = []int{}
	}
	return out
}

// handleUserInfo is GET /cgi-bin/user/info?openid=…: one user's profile; 40003 for a user
// the account does not know.
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
func (p *Platform) handleUserInfo(r *request) (any, int) {
	id := r.get("openid")
	if id == "" {
		return nil, codeOpenIDMissing
	}
	u, ok := r.acct.users[id]
	if !ok {
		return nil, codeInvalidOpenID
	}
	return userInfoOf(u), 0
}

// handleBatchUserInfo is POST /cgi-bin/user/info/batchget with up to 100 openids.
func (p *Platform) handleBatchUserInfo(r *request) (any, int) {
	var in struct {
		UserList []struct {
			OpenID string `json:"openid"`
		} `json:"user_list"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	if len(in.UserList) == 0 || len(in.UserList) > maxBatchUserInfo {
		return nil, codeInvalidOpenIDList
	}
	out := make([]any, len(in.UserList))
	for i, item := range in.UserList {
		u, ok := r.acct.users[item.OpenID]
		if !ok {
			return nil, codeInvalidOpenID
		}
		out[i] = userInfoOf(u)
	}
	return struct {
		UserInfoList []any `json:"user_info_list"`
	}{out}, 0
}

// handleFollowers is GET /cgi-bin/user/get?next_openid=…: a page of followers in follow
// order, with the total.
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Getting_a_User_List.html
func (p *Platform) handleFollowers(r *request) (any, int) {
	return p.pageLocked(r.acct.openIDsLocked(isFollower), r.get("next_openid"), true)
}

// handleUpdateRemark is POST /cgi-bin/user/info/updateremark: fewer than 30 bytes (40092).
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Configuring_user_notes.html
func (p *Platform) handleUpdateRemark(r *request) (any, int) {
	var in struct {
		OpenID string `json:"openid"`
		Remark string `json:"remark"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	u, ok := r.acct.users[in.OpenID]
	if !ok {
		return nil, codeInvalidOpenID
	}
	if len(in.Remark) > maxRemarkBytes {
		return nil, codeInvalidRemark
	}
	u.Remark = in.Remark
	r.acct.users[in.OpenID] = u
	return okBody, 0
}

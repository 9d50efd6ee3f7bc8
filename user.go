package offiaccount

import (
	"context"
	"net/url"
	"unicode/utf8"
)

// User management (用户管理): follower profiles and list, remarks, tags (标签) and the
// blacklist. WeChat stopped returning nicknames, avatars, gender and places in 2021; only the
// fields below remain.

// Limits of the user-management APIs.
const (
	MaxBatchUserInfo    = 100 // openids per BatchGetUserInfo call
	MaxTagBatch         = 50  // openids per TagUsers / UntagUsers call
	MaxBlacklistBatch   = 20  // openids per BlockUsers / UnblockUsers call
	MaxTagNameRunes     = 30  // characters of a tag name (WeChat's errcode 45158 speaks of bytes)
	MaxRemarkBytes      = 29  // UTF-8 bytes of a remark: WeChat wants fewer than 30, so 9 Chinese characters
	MaxFollowersPerPage = 10000
)

// WeChat errcodes of the tag and user APIs.
const (
	CodeTooManyTags      = 45056 // the account has 100 tags already
	CodeTagHasManyFans   = 45057 // a tag with over 100,000 users cannot be deleted
	CodeSystemTag        = 45058 // tags 0, 1 and 2 are reserved by WeChat
	CodeUserHasManyTags  = 45059 // a user carries at most 20 tags
	CodeTagNameExists    = 45157
	CodeTagNameTooLong   = 45158
	CodeInvalidTagID     = 45159
	CodeOpenIDOfOtherApp = 49003 // the openid is not a follower of this account
	CodeInvalidListSize  = 40032 // too many openids in one call
	CodeInvalidRemark    = 40092 // remark too long
)

// SubscribeScene says how a user came to follow the account (subscribe_scene).
type SubscribeScene string

// Follow channels reported in UserInfo.SubscribeScene.
const (
	SceneSearch           SubscribeScene = "ADD_SCENE_SEARCH"               // 公众号搜索
	SceneAccountMigration SubscribeScene = "ADD_SCENE_ACCOUNT_MIGRATION"    // 公众号迁移
	SceneProfileCard      SubscribeScene = "ADD_SCENE_PROFILE_CARD"         // 名片分享
	SceneQRCode           SubscribeScene = "ADD_SCENE_QR_CODE"              // 扫描二维码
	SceneProfileLink      SubscribeScene = "ADD_SCENE_PROFILE_LINK"         // 图文页内名称点击
	SceneProfileItem      SubscribeScene = "ADD_SCENE_PROFILE_ITEM"         // 图文页右上角菜单
	ScenePaid             SubscribeScene = "ADD_SCENE_PAID"                 // 支付后关注
	SceneAdvertisement    SubscribeScene = "ADD_SCENE_WECHAT_ADVERTISEMENT" // 微信广告
	SceneReprint          SubscribeScene = "ADD_SCENE_REPRINT"              // 他人转载
	SceneLivestream       SubscribeScene = "ADD_SCENE_LIVESTREAM"           // 视频号直播
	SceneChannels         SubscribeScene = "ADD_SCENE_CHANNELS"             // 视频号
	SceneMiniProgram      SubscribeScene = "ADD_SCENE_WXA"                  // 小程序关注
	SceneOthers           SubscribeScene = "ADD_SCENE_OTHERS"               // 其他
)

// UserInfo is what WeChat tells of one user of the account. When Subscribe is 0 the user
// does not follow the account and only OpenID (and UnionID) are set.
type UserInfo struct {
	Subscribe      int            `json:"subscribe"` // 1 while the user follows the account
	OpenID         string         `json:"openid"`
	Language       string         `json:"language"`       // e.g. "zh_CN"
	SubscribeTime  int64          `json:"subscribe_time"` // unix seconds of the last follow
	UnionID        string         `json:"unionid"`        // set when the account is bound to an Open Platform account
	Remark         string         `json:"remark"`
	GroupID        int            `json:"groupid"`
	TagIDs         []int          `json:"tagid_list"`
	SubscribeScene SubscribeScene `json:"subscribe_scene"`
	QRScene        int64          `json:"qr_scene"`     // scene_id of the QR code followed through
	QRSceneStr     string         `json:"qr_scene_str"` // scene_str of the QR code followed through
}

// Subscribed reports whether the user follows the account.
func (u *UserInfo) Subscribed() bool { return u.Subscribe == 1 }

// GetUserInfo returns the profile of the user openID. WeChat's lang parameter is not sent:
// it localized place names that WeChat no longer returns.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
func (c *Client) GetUserInfo(ctx context.Context, openID string) (*UserInfo, error) {
	const path = "/cgi-bin/user/info"
	if openID == "" {
		return nil, invalidf(path, "empty openid")
	}
	var out UserInfo
	if err := c.getJSON(ctx, path, url.Values{"openid": {openID}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchGetUserInfo returns the profiles of up to 100 users, in the order of openIDs.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Get_users_basic_information_UnionID.html
func (c *Client) BatchGetUserInfo(ctx context.Context, openIDs []string) ([]UserInfo, error) {
	const path = "/cgi-bin/user/info/batchget"
	if err := checkOpenIDs(path, openIDs, MaxBatchUserInfo); err != nil {
		return nil, err
	}
	type item struct {
		OpenID string `json:"openid"`
	}
	in := struct {
		UserList []item `json:"user_list"`
	}{make([]item, len(openIDs))}
	for i, id := range openIDs {
		in.UserList[i].OpenID = id
	}
	var out struct {
		UserInfoList []UserInfo `json:"user_info_list"`
	}
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return out.UserInfoList, nil
}

// UpdateRemark sets the account's remark (备注名) for the user openID; "" clears it. The API
// takes fewer than 30 bytes of UTF-8 (at most 29: 9 Chinese characters), fewer than the admin
// page.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Configuring_user_notes.html
func (c *Client) UpdateRemark(ctx context.Context, openID, remark string) error {
	const path = "/cgi-bin/user/info/updateremark"
	if openID == "" {
		return invalidf(path, "empty openid")
	}
	if len(remark) > MaxRemarkBytes || !utf8.ValidString(remark) {
		return invalidf(path, "remark of %d bytes, at most %d of valid UTF-8", len(remark), MaxRemarkBytes)
	}
	in := struct {
		OpenID string `json:"openid"`
		Remark string `json:"remark"`
	}{openID, remark}
	return c.postJSON(ctx, path, nil, &in, nil)
}

// OpenIDPage is one page of a list of users: followers, users of a tag, or the blacklist.
// Fetch the next page with NextOpenID; the list is over when a page has no OpenIDs (WeChat
// sets NextOpenID to the last openid of the final page, not to "").
type OpenIDPage struct {
	Total      int      // users in the whole list; 0 when WeChat does not say (tag members)
	OpenIDs    []string // this page
	NextOpenID string   // where the next page starts
}

// Done reports whether this page ends the list.
func (p *OpenIDPage) Done() bool { return len(p.OpenIDs) == 0 || p.NextOpenID == "" }

// wirePage is WeChat's shape of a page: {"total","count","data":{"openid":[…]},"next_openid"}.
type wirePage struct {
	Total int `json:"total"`
	Count int `json:"count"`
	Data  struct {
		OpenID []string `json:"openid"`
	} `json:"data"`
	NextOpenID string `json:"next_openid"`
}

func (w *wirePage) page() *OpenIDPage {
	return &OpenIDPage{Total: w.Total, OpenIDs: w.Data.OpenID, NextOpenID: w.NextOpenID}
}

// ListFollowers returns up to 10,000 followers of the account starting after nextOpenID
// ("" for the first page).
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Getting_a_User_List.html
func (c *Client) ListFollowers(ctx context.Context, nextOpenID string) (*OpenIDPage, error) {
	var q url.Values
	if nextOpenID != "" {
		q = url.Values{"next_openid": {nextOpenID}}
	}
	var out wirePage
	if err := c.getJSON(ctx, "/cgi-bin/user/get", q, &out); err != nil {
		return nil, err
	}
	return out.page(), nil
}

// EachFollower calls fn with every page of followers, in order, until the list ends, fn
// returns an error, or ctx is done.
func (c *Client) EachFollower(ctx context.Context, fn func(openIDs []string) error) error {
	next := ""
	for {
		p, err := c.ListFollowers(ctx, next)
		if err != nil {
			return err
		}
		if len(p.OpenIDs) > 0 {
			if err := fn(p.OpenIDs); err != nil {
				return err
			}
		}
		if p.Done() || p.NextOpenID == next {
			return nil
		}
		next = p.NextOpenID
	}
}

// checkOpenIDs rejects an empty batch, one over max, and empty openids.
func checkOpenIDs(path string, openIDs []string, max int) error {
	if len(openIDs) == 0 || len(openIDs) > max {
		return invalidf(path, "%d openids, want 1 to %d", len(openIDs), max)
	}
	for i, id := range openIDs {
		if id == "" {
			return invalidf(path, "openid[%d] is empty", i)
		}
	}
	return nil
}

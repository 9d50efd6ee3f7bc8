package offiaccount

import (
	"context"
	"unicode/utf8"
)

// Tags (标签) and the blacklist (黑名单) of user management; see user.go.

// Tag is a user tag of the account. Tags 0, 1 and 2 are WeChat's own and cannot be changed.
type Tag struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count,omitempty"` // users carrying the tag (ListTags only)
}

type tagBody struct {
	Tag Tag `json:"tag"`
}

func checkTagName(path, name string) error {
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxTagNameRunes {
		return invalidf(path, "tag name must be 1 to %d characters of valid UTF-8", MaxTagNameRunes)
	}
	return nil
}

// CreateTag creates a tag and returns it with its ID. An account has at most 100 tags.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (c *Client) CreateTag(ctx context.Context, name string) (*Tag, error) {
	const path = "/cgi-bin/tags/create"
	if err := checkTagName(path, name); err != nil {
		return nil, err
	}
	in := struct {
		Tag struct {
			Name string `json:"name"`
		} `json:"tag"`
	}{}
	in.Tag.Name = name
	var out tagBody
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return &out.Tag, nil
}

// ListTags returns the account's tags with their user counts.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (c *Client) ListTags(ctx context.Context) ([]Tag, error) {
	var out struct {
		Tags []Tag `json:"tags"`
	}
	if err := c.getJSON(ctx, "/cgi-bin/tags/get", nil, &out); err != nil {
		return nil, err
	}
	return out.Tags, nil
}

// UpdateTag renames the tag id.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (c *Client) UpdateTag(ctx context.Context, id int, name string) error {
	const path = "/cgi-bin/tags/update"
	if err := checkTagName(path, name); err != nil {
		return err
	}
	return c.postJSON(ctx, path, nil, &tagBody{Tag: Tag{ID: id, Name: name}}, nil)
}

// DeleteTag deletes the tag id and removes it from its users. WeChat refuses tags with more
// than 100,000 users (errcode 45057): untag them in batches first.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (c *Client) DeleteTag(ctx context.Context, id int) error {
	in := struct {
		Tag struct {
			ID int `json:"id"`
		} `json:"tag"`
	}{}
	in.Tag.ID = id
	return c.postJSON(ctx, "/cgi-bin/tags/delete", nil, &in, nil)
}

// ListTagUsers returns up to 10,000 users carrying the tag id, starting after nextOpenID
// ("" for the first page). Total is not reported.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (c *Client) ListTagUsers(ctx context.Context, id int, nextOpenID string) (*OpenIDPage, error) {
	in := struct {
		TagID      int    `json:"tagid"`
		NextOpenID string `json:"next_openid"`
	}{id, nextOpenID}
	var out wirePage
	if err := c.postJSON(ctx, "/cgi-bin/user/tag/get", nil, &in, &out); err != nil {
		return nil, err
	}
	return out.page(), nil
}

type batchTagBody struct {
	OpenIDList []string `json:"openid_list"`
	TagID      int      `json:"tagid"`
}

// TagUsers gives the tag id to up to 50 users. A user carries at most 20 tags.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (c *Client) TagUsers(ctx context.Context, id int, openIDs []string) error {
	const path = "/cgi-bin/tags/members/batchtagging"
	if err := checkOpenIDs(path, openIDs, MaxTagBatch); err != nil {
		return err
	}
	return c.postJSON(ctx, path, nil, &batchTagBody{openIDs, id}, nil)
}

// UntagUsers removes the tag id from up to 50 users.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (c *Client) UntagUsers(ctx context.Context, id int, openIDs []string) error {
	const path = "/cgi-bin/tags/members/batchuntagging"
	if err := checkOpenIDs(path, openIDs, MaxTagBatch); err != nil {
		return err
	}
	return c.postJSON(ctx, path, nil, &batchTagBody{openIDs, id}, nil)
}

// ListUserTagIDs returns the IDs of the tags the user openID carries.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (c *Client) ListUserTagIDs(ctx context.Context, openID string) ([]int, error) {
	const path = "/cgi-bin/tags/getidlist"
	if openID == "" {
		return nil, invalidf(path, "empty openid")
	}
	in := struct {
		OpenID string `json:"openid"`
	}{openID}
	var out struct {
		TagIDList []int `json:"tagid_list"`
	}
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return out.TagIDList, nil
}

// ListBlacklist returns up to 10,000 blacklisted users starting after beginOpenID ("" for
// the first page).
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Manage_blacklist.html
func (c *Client) ListBlacklist(ctx context.Context, beginOpenID string) (*OpenIDPage, error) {
	in := struct {
		BeginOpenID string `json:"begin_openid"`
	}{beginOpenID}
	var out wirePage
	if err := c.postJSON(ctx, "/cgi-bin/tags/members/getblacklist", nil, &in, &out); err != nil {
		return nil, err
	}
	return out.page(), nil
}

type openIDListBody struct {
	OpenIDList []string `json:"openid_list"`
}

// BlockUsers puts up to 20 users on the blacklist: they can no longer message the account
// nor receive its messages.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Manage_blacklist.html
func (c *Client) BlockUsers(ctx context.Context, openIDs []string) error {
	const path = "/cgi-bin/tags/members/batchblacklist"
	if err := checkOpenIDs(path, openIDs, MaxBlacklistBatch); err != nil {
		return err
	}
	return c.postJSON(ctx, path, nil, &openIDListBody{openIDs}, nil)
}

// UnblockUsers takes up to 20 users off the blacklist.
//
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Manage_blacklist.html
func (c *Client) UnblockUsers(ctx context.Context, openIDs []string) error {
	const path = "/cgi-bin/tags/members/batchunblacklist"
	if err := checkOpenIDs(path, openIDs, MaxBlacklistBatch); err != nil {
		return err
	}
	return c.postJSON(ctx, path, nil, &openIDListBody{openIDs}, nil)
}

package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const userInfoJSON = `{"subscribe":1,"openid":"o6_bmjrPTlm6_2sgVt7hMZOPfL2M","language":"zh_CN",
	"subscribe_time":1382694957,"unionid":"o6_bmasdasdsad6_2sgVt7hMZOPfL","remark":"vip",
	"groupid":0,"tagid_list":[128,2],"subscribe_scene":"ADD_SCENE_QR_CODE","qr_scene":98765,
	"qr_scene_str":"spring"}`

var wantUserInfo = UserInfo{Subscribe: 1, OpenID: "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", Language: "zh_CN",
	SubscribeTime: 1382694957, UnionID: "o6_bmasdasdsad6_2sgVt7hMZOPfL", Remark: "vip", TagIDs: []int{128, 2},
	SubscribeScene: SceneQRCode, QRScene: 98765, QRSceneStr: "spring"}

func TestGetUserInfo(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/user/info",
		query: map[string]string{"openid": "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"}, answer: userInfoJSON})
	u, err := c.GetUserInfo(context.Background(), "o6_bmjrPTlm6_2sgVt7hMZOPfL2M")
	require.NoError(t, err)
	assert.Equal(t, wantUserInfo, *u)
	assert.True(t, u.Subscribed())

	_, err = c.GetUserInfo(context.Background(), "")
	require.ErrorIs(t, err, ErrInvalidRequest)
}

func TestGetUserInfoUnsubscribed(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/user/info",
		query: map[string]string{"openid": "oGone"}, answer: `{"subscribe":0,"openid":"oGone","tagid_list":[]}`})
	u, err := c.GetUserInfo(context.Background(), "oGone")
	require.NoError(t, err)
	assert.False(t, u.Subscribed())
	assert.Equal(t, "oGone", u.OpenID)
}

func TestBatchGetUserInfo(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/user/info/batchget",
		body:   `{"user_list":[{"openid":"o6_bmjrPTlm6_2sgVt7hMZOPfL2M"},{"openid":"oGone"}]}`,
		answer: `{"user_info_list":[` + userInfoJSON + `,{"subscribe":0,"openid":"oGone"}]}`})
	list, err := c.BatchGetUserInfo(context.Background(), []string{"o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "oGone"})
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, wantUserInfo, list[0])
	assert.Equal(t, UserInfo{OpenID: "oGone"}, list[1])
}

func TestBatchLimits(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ids := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("o%d", i)
		}
		return s
	}
	ctx := context.Background()
	tests := map[string]error{
		"batchget 101":      func() error { _, err := c.BatchGetUserInfo(ctx, ids(101)); return err }(),
		"batchget 0":        func() error { _, err := c.BatchGetUserInfo(ctx, nil); return err }(),
		"tag 51":            c.TagUsers(ctx, 100, ids(51)),
		"untag 0":           c.UntagUsers(ctx, 100, nil),
		"untag empty":       c.UntagUsers(ctx, 100, []string{"o1", ""}),
		"block 21":          c.BlockUsers(ctx, ids(21)),
		"unblock 21":        c.UnblockUsers(ctx, ids(21)),
		"tag name 31":       func() error { _, err := c.CreateTag(ctx, strings.Repeat("标", 31)); return err }(),
		"tag name 0":        c.UpdateTag(ctx, 100, ""),
		"remark 10 chinese": c.UpdateRemark(ctx, "o", strings.Repeat("备", 10)), // 30 bytes: not < 30
		"remark 30":         c.UpdateRemark(ctx, "o", strings.Repeat("b", 30)),
		"remark bytes":      c.UpdateRemark(ctx, "o", "\xfe"),
		"user tags":         func() error { _, err := c.ListUserTagIDs(ctx, ""); return err }(),
	}
	for name, err := range tests {
		assert.ErrorIs(t, err, ErrInvalidRequest, name)
	}
	noCalls(t, mt)
}

func TestUpdateRemark(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	remark := strings.Repeat("备", 9) + "bb" // 29 bytes: the most WeChat takes
	n := expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/user/info/updateremark",
		body: `{"openid":"oUSER","remark":"` + remark + `"}`, answer: `{"errcode":0,"errmsg":"ok"}`})
	require.NoError(t, c.UpdateRemark(context.Background(), "oUSER", remark))
	assert.EqualValues(t, 1, n.Load())
}

func TestListFollowersPaging(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	// WeChat's final page names its last openid as next_openid; the page after it is empty.
	pages := map[string]string{
		"":   `{"total":3,"count":2,"data":{"openid":["o1","o2"]},"next_openid":"o2"}`,
		"o2": `{"total":3,"count":1,"data":{"openid":["o3"]},"next_openid":"o3"}`,
		"o3": `{"total":3,"count":0,"next_openid":""}`,
	}
	var seen []string
	mt.RegisterResponder(http.MethodGet, testAPI+"/cgi-bin/user/get", func(req *http.Request) (*http.Response, error) {
		q := req.URL.Query()
		assert.Equal(t, testToken, q.Get("access_token"))
		next := q.Get("next_openid")
		assert.Equal(t, next != "", q.Has("next_openid"), "next_openid sent only when set")
		seen = append(seen, next)
		return httpmock.NewStringResponse(200, pages[next]), nil
	})
	p, err := c.ListFollowers(context.Background(), "")
	require.NoError(t, err)
	assert.Equal(t, &OpenIDPage{Total: 3, OpenIDs: []string{"o1", "o2"}, NextOpenID: "o2"}, p)
	assert.False(t, p.Done())

	var all []string
	require.NoError(t, c.EachFollower(context.Background(), func(ids []string) error {
		all = append(all, ids...)
		return nil
	}))
	assert.Equal(t, []string{"o1", "o2", "o3"}, all)
	assert.Equal(t, []string{"", "", "o2", "o3"}, seen)

	stop := errors.New("stop")
	err = c.EachFollower(context.Background(), func([]string) error { return stop })
	require.ErrorIs(t, err, stop)
}

func TestEachFollowerStopsOnRepeatedCursor(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testAPI+"/cgi-bin/user/get",
		httpmock.NewStringResponder(200, `{"total":1,"count":1,"data":{"openid":["o1"]},"next_openid":"o1"}`))
	calls := 0
	require.NoError(t, c.EachFollower(context.Background(), func([]string) error { calls++; return nil }))
	assert.Equal(t, 2, calls, "a platform repeating its cursor must not loop forever")
}

func TestTags(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ok := `{"errcode":0,"errmsg":"ok"}`
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/create",
		body: `{"tag":{"name":"广东"}}`, answer: `{"tag":{"id":134,"name":"广东"}}`})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/tags/get",
		answer: `{"tags":[{"id":1,"name":"每天一罐可乐星人","count":0},{"id":134,"name":"广东","count":2}]}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/update",
		body: `{"tag":{"id":134,"name":"广东人"}}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/delete",
		body: `{"tag":{"id":134}}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/members/batchtagging",
		body: `{"openid_list":["o1","o2"],"tagid":134}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/members/batchuntagging",
		body: `{"openid_list":["o1"],"tagid":134}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/user/tag/get",
		body:   `{"tagid":134,"next_openid":""}`,
		answer: `{"count":2,"data":{"openid":["o1","o2"]},"next_openid":"o2"}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/getidlist",
		body: `{"openid":"o1"}`, answer: `{"tagid_list":[134,2]}`})
	ctx := context.Background()

	tag, err := c.CreateTag(ctx, "广东")
	require.NoError(t, err)
	assert.Equal(t, &Tag{ID: 134, Name: "广东"}, tag)
	tags, err := c.ListTags(ctx)
	require.NoError(t, err)
	assert.Equal(t, []Tag{{ID: 1, Name: "每天一罐可乐星人"}, {ID: 134, Name: "广东", Count: 2}}, tags)
	require.NoError(t, c.UpdateTag(ctx, 134, "广东人"))
	require.NoError(t, c.TagUsers(ctx, 134, []string{"o1", "o2"}))
	require.NoError(t, c.UntagUsers(ctx, 134, []string{"o1"}))
	page, err := c.ListTagUsers(ctx, 134, "")
	require.NoError(t, err)
	assert.Equal(t, &OpenIDPage{OpenIDs: []string{"o1", "o2"}, NextOpenID: "o2"}, page)
	ids, err := c.ListUserTagIDs(ctx, "o1")
	require.NoError(t, err)
	assert.Equal(t, []int{134, 2}, ids)
	require.NoError(t, c.DeleteTag(ctx, 134))
}

func TestTagErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/create",
		body: `{"tag":{"name":"dup"}}`, answer: `{"errcode":45157,"errmsg":"invalid tag name"}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/delete",
		body: `{"tag":{"id":2}}`, answer: `{"errcode":45058,"errmsg":"can't modify sys tag"}`})
	_, err := c.CreateTag(context.Background(), "dup")
	requireAPIError(t, err, CodeTagNameExists, "/cgi-bin/tags/create")
	requireAPIError(t, c.DeleteTag(context.Background(), 2), CodeSystemTag, "/cgi-bin/tags/delete")
}

func TestBlacklist(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ok := `{"errcode":0,"errmsg":"ok"}`
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/members/getblacklist",
		body:   `{"begin_openid":"oStart"}`,
		answer: `{"total":23000,"count":10000,"data":{"openid":["o1","o2"]},"next_openid":"o2"}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/members/batchblacklist",
		body: `{"openid_list":["o1","o2"]}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/tags/members/batchunblacklist",
		body: `{"openid_list":["o2"]}`, answer: `{"errcode":49003,"errmsg":"not match openid with appid"}`})
	ctx := context.Background()
	p, err := c.ListBlacklist(ctx, "oStart")
	require.NoError(t, err)
	assert.Equal(t, &OpenIDPage{Total: 23000, OpenIDs: []string{"o1", "o2"}, NextOpenID: "o2"}, p)
	require.NoError(t, c.BlockUsers(ctx, []string{"o1", "o2"}))
	requireAPIError(t, c.UnblockUsers(ctx, []string{"o2"}), CodeOpenIDOfOtherApp, "/cgi-bin/tags/members/batchunblacklist")
}

func ExampleClient_EachFollower() {
	client, done := newExampleServer(map[string]string{
		// One page, then WeChat's empty page that ends the list.
		"/cgi-bin/user/get":                  `{"total":2,"count":2,"data":{"openid":["oA","oB"]},"next_openid":""}`,
		"/cgi-bin/tags/members/batchtagging": `{"errcode":0,"errmsg":"ok"}`,
	})
	defer done()
	ctx := context.Background()

	err := client.EachFollower(ctx, func(openIDs []string) error {
		fmt.Println("page of", len(openIDs))
		// Tag everyone, in batches of at most MaxTagBatch.
		for len(openIDs) > 0 {
			n := min(len(openIDs), MaxTagBatch)
			if err := client.TagUsers(ctx, 134, openIDs[:n]); err != nil {
				return err
			}
			openIDs = openIDs[n:]
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// page of 2
	// <nil>
}

package offiaccounttest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestUserInfo(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-alice", UnionID: "u-alice", TagIDs: []int{2},
		SubscribeScene: "ADD_SCENE_QR_CODE", QRScene: 98765, QRSceneStr: "promo"})
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-gone", Unsubscribed: true})

	u, err := c.GetUserInfo(ctx, "o-alice")
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.UserInfo{Subscribe: 1, OpenID: "o-alice", Language: "zh_CN",
		SubscribeTime: sdkStart.Unix(), UnionID: "u-alice", TagIDs: []int{2},
		SubscribeScene: offiaccount.SceneQRCode, QRScene: 98765, QRSceneStr: "promo"}, u)

	gone, err := c.GetUserInfo(ctx, "o-gone")
	require.NoError(t, err)
	assert.False(t, gone.Subscribed())
	assert.Equal(t, "o-gone", gone.OpenID)

	_, err = c.GetUserInfo(ctx, "o-nobody")
	requireCode(t, err, 40003)

	list, err := c.BatchGetUserInfo(ctx, []string{"o-gone", "o-alice"})
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "o-gone", list[0].OpenID)
	assert.Equal(t, "o-alice", list[1].OpenID)
	_, err = c.BatchGetUserInfo(ctx, []string{"o-alice", "o-nobody"})
	requireCode(t, err, 40003)
	users := make([]string, 101)
	for i := range users {
		users[i] = `{"openid":"o-alice"}`
	}
	assert.Equal(t, 40032, rawPost(t, p, c, "/cgi-bin/user/info/batchget", `{"user_list":[`+strings.Join(users, ",")+`]}`))
}

func TestUpdateRemark(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-alice"})

	require.NoError(t, c.UpdateRemark(ctx, "o-alice", "老客户"))
	u, ok := p.User(sdkAppID, "o-alice")
	require.True(t, ok)
	assert.Equal(t, "老客户", u.Remark)
	info, err := c.GetUserInfo(ctx, "o-alice")
	require.NoError(t, err)
	assert.Equal(t, "老客户", info.Remark)

	requireCode(t, c.UpdateRemark(ctx, "o-nobody", "x"), 40003)
	assert.Equal(t, 40092, rawPost(t, p, c, "/cgi-bin/user/info/updateremark",
		`{"openid":"o-alice","remark":"一二三四五六七八九十"}`), "30 bytes: not fewer than 30")
	require.NoError(t, c.UpdateRemark(ctx, "o-alice", "一二三四五六七八九ab"), "29 bytes")
}

func TestFollowerPaging(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t, offiaccounttest.WithPlatformPageSize(2))
	ctx := context.Background()
	var want []string
	for i := range 5 {
		id := fmt.Sprintf("o-user-%d", 5-i) // follow order, not name order
		p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: id})
		want = append(want, id)
	}
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-gone", Unsubscribed: true})

	page, err := c.ListFollowers(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, 5, page.Total)
	assert.Equal(t, want[:2], page.OpenIDs)
	assert.Equal(t, want[1], page.NextOpenID)

	var all []string
	var pages int
	require.NoError(t, c.EachFollower(ctx, func(ids []string) error {
		pages++
		all = append(all, ids...)
		return nil
	}))
	assert.Equal(t, want, all)
	assert.Equal(t, 3, pages)

	last, err := c.ListFollowers(ctx, want[4])
	require.NoError(t, err)
	assert.Empty(t, last.OpenIDs)
	assert.True(t, last.Done())

	_, err = c.ListFollowers(ctx, "o-nobody")
	requireCode(t, err, 40003)
}

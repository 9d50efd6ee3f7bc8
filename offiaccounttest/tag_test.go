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

func TestTags(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	for _, id := range []string{"o-a", "o-b", "o-c"} {
		p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: id})
	}

	vip, err := c.CreateTag(ctx, "VIP")
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.Tag{ID: 100, Name: "VIP"}, vip)
	_, err = c.CreateTag(ctx, "VIP")
	requireCode(t, err, offiaccount.CodeTagNameExists)
	assert.Equal(t, offiaccount.CodeTagNameTooLong,
		rawPost(t, p, c, "/cgi-bin/tags/create", `{"tag":{"name":"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一"}}`))

	require.NoError(t, c.TagUsers(ctx, vip.ID, []string{"o-a", "o-c"}))
	requireCode(t, c.TagUsers(ctx, vip.ID, []string{"o-a", "o-nobody"}), offiaccount.CodeOpenIDOfOtherApp)
	requireCode(t, c.TagUsers(ctx, 999, []string{"o-a"}), offiaccount.CodeInvalidTagID)

	tags, err := c.ListTags(ctx)
	require.NoError(t, err)
	assert.Equal(t, []offiaccount.Tag{{ID: 2, Name: "星标组"}, {ID: 100, Name: "VIP", Count: 2}}, tags)

	ids, err := c.ListUserTagIDs(ctx, "o-a")
	require.NoError(t, err)
	assert.Equal(t, []int{100}, ids)
	_, err = c.ListUserTagIDs(ctx, "o-nobody")
	requireCode(t, err, 40003)

	members, err := c.ListTagUsers(ctx, vip.ID, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"o-a", "o-c"}, members.OpenIDs)
	assert.Zero(t, members.Total, "user/tag/get tells no total")

	require.NoError(t, c.UntagUsers(ctx, vip.ID, []string{"o-a"}))
	u, _ := p.User(sdkAppID, "o-a")
	assert.Empty(t, u.TagIDs)

	require.NoError(t, c.UpdateTag(ctx, vip.ID, "SVIP"))
	requireCode(t, c.UpdateTag(ctx, 2, "mine"), offiaccount.CodeSystemTag)
	requireCode(t, c.UpdateTag(ctx, 12345, "x"), offiaccount.CodeInvalidTagID)
	assert.Equal(t, "SVIP", p.Tags(sdkAppID)[1].Name)

	require.NoError(t, c.DeleteTag(ctx, vip.ID))
	requireCode(t, c.DeleteTag(ctx, vip.ID), offiaccount.CodeInvalidTagID)
	requireCode(t, c.DeleteTag(ctx, 2), offiaccount.CodeSystemTag)
	u, _ = p.User(sdkAppID, "o-c")
	assert.Empty(t, u.TagIDs, "deleting a tag takes it from its users")
}

func TestTagLimits(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	var tags []int
	for i := range 100 {
		tag, err := c.CreateTag(ctx, fmt.Sprint("tag", i))
		require.NoError(t, err)
		tags = append(tags, tag.ID)
	}
	_, err := c.CreateTag(ctx, "one more")
	requireCode(t, err, offiaccount.CodeTooManyTags)

	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-a", TagIDs: tags[:20]})
	requireCode(t, c.TagUsers(ctx, tags[20], []string{"o-a"}), offiaccount.CodeUserHasManyTags)
	require.NoError(t, c.TagUsers(ctx, tags[0], []string{"o-a"}), "a tag the user has already is no new tag")

	list := make([]string, 51)
	for i := range list {
		list[i] = fmt.Sprintf("%q", "o-a")
	}
	body := fmt.Sprintf(`{"tagid":%d,"openid_list":[%s]}`, tags[0], strings.Join(list, ","))
	assert.Equal(t, offiaccount.CodeInvalidListSize, rawPost(t, p, c, "/cgi-bin/tags/members/batchtagging", body))
}

func TestBlacklist(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t, offiaccounttest.WithPlatformPageSize(2))
	ctx := context.Background()
	for _, id := range []string{"o-a", "o-b", "o-c", "o-d"} {
		p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: id})
	}

	require.NoError(t, c.BlockUsers(ctx, []string{"o-a", "o-b", "o-d"}))
	requireCode(t, c.BlockUsers(ctx, []string{"o-nobody"}), offiaccount.CodeOpenIDOfOtherApp)
	page, err := c.ListBlacklist(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, 3, page.Total)
	assert.Equal(t, []string{"o-a", "o-b"}, page.OpenIDs)
	page, err = c.ListBlacklist(ctx, page.NextOpenID)
	require.NoError(t, err)
	assert.Equal(t, []string{"o-d"}, page.OpenIDs)

	require.NoError(t, c.UnblockUsers(ctx, []string{"o-a"}))
	u, _ := p.User(sdkAppID, "o-a")
	assert.False(t, u.Blacklisted)
	u, _ = p.User(sdkAppID, "o-b")
	assert.True(t, u.Blacklisted)
	requireCode(t, c.SendCustomText(ctx, "o-b", "hi"), 43019)
}

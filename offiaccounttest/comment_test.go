package offiaccounttest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestComments(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	const msg = 2247483650
	var many []offiaccounttest.CommentRecord
	for range 60 {
		many = append(many, offiaccounttest.CommentRecord{OpenID: "o-user", Content: "好文"})
	}
	ids := p.AddComments(sdkAppID, msg, 0, many...)
	require.Len(t, ids, 60)

	require.NoError(t, c.CloseComment(ctx, msg, 0))
	_, open := p.Comments(sdkAppID, msg, 0)
	assert.False(t, open)
	require.NoError(t, c.OpenComment(ctx, msg, 0))
	requireCode(t, c.OpenComment(ctx, msg, 1), offiaccount.CodeCommentMsgNotExist)

	require.NoError(t, c.MarkElectComment(ctx, msg, 0, ids[0]))
	require.NoError(t, c.AddCommentReply(ctx, msg, 0, ids[0], "谢谢支持"))
	requireCode(t, c.AddCommentReply(ctx, msg, 0, ids[0], "again"), offiaccount.CodeCommentAlreadyReply)
	require.NoError(t, c.DeleteComment(ctx, msg, 0, ids[1]))
	requireCode(t, c.MarkElectComment(ctx, msg, 0, ids[1]), offiaccount.CodeCommentDeleted)
	requireCode(t, c.MarkElectComment(ctx, msg, 0, 999), offiaccount.CodeCommentNotExist)
	requireCode(t, c.DeleteCommentReply(ctx, msg, 0, ids[2]), offiaccount.CodeCommentReplyNotExist)

	elected, err := c.ListComments(ctx, offiaccount.ListCommentsRequest{MsgDataID: msg, Count: 10, Type: offiaccount.CommentElected})
	require.NoError(t, err)
	require.Equal(t, 1, elected.Total)
	assert.Equal(t, "谢谢支持", elected.Comments[0].Reply.Content)
	assert.Equal(t, 1, elected.Comments[0].CommentType)

	n := 0
	require.NoError(t, c.EachComment(ctx, msg, 0, offiaccount.CommentAll, func(cs []offiaccount.Comment) error {
		n += len(cs)
		return nil
	}))
	assert.Equal(t, 59, n, "60 comments, one deleted, over two pages")

	require.NoError(t, c.DeleteCommentReply(ctx, msg, 0, ids[0]))
	require.NoError(t, c.UnmarkElectComment(ctx, msg, 0, ids[0]))
	ordinary, err := c.ListComments(ctx, offiaccount.ListCommentsRequest{MsgDataID: msg, Count: 49, Type: offiaccount.CommentOrdinary})
	require.NoError(t, err)
	assert.Equal(t, 59, ordinary.Total)
	assert.Nil(t, ordinary.Comments[0].Reply)

	assert.Equal(t, offiaccount.CodeCommentCountRange, rawPost(t, p, c, "/cgi-bin/comment/list", `{"msg_data_id":2247483650,"index":0,"begin":0,"count":50,"type":0}`))
	assert.Equal(t, offiaccount.CodeCommentReplyTooLong, rawPost(t, p, c, "/cgi-bin/comment/reply/add", `{"msg_data_id":2247483650,"index":0,"user_comment_id":3,"content":""}`))
}

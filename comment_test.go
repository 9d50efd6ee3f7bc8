package offiaccount

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCommentRequests(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ok := `{"errcode":0,"errmsg":"ok"}`
	for path, body := range map[string]string{
		"open":         `{"msg_data_id":2247483650,"index":0}`,
		"close":        `{"msg_data_id":2247483650,"index":1}`,
		"markelect":    `{"msg_data_id":2247483650,"index":0,"user_comment_id":7}`,
		"unmarkelect":  `{"msg_data_id":2247483650,"index":0,"user_comment_id":7}`,
		"delete":       `{"msg_data_id":2247483650,"index":0,"user_comment_id":7}`,
		"reply/add":    `{"msg_data_id":2247483650,"index":0,"user_comment_id":7,"content":"谢谢"}`,
		"reply/delete": `{"msg_data_id":2247483650,"index":0,"user_comment_id":7}`,
	} {
		expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/comment/" + path, body: body, answer: ok})
	}
	ctx := context.Background()
	const id = 2247483650
	require.NoError(t, c.OpenComment(ctx, id, 0))
	require.NoError(t, c.CloseComment(ctx, id, 1))
	require.NoError(t, c.MarkElectComment(ctx, id, 0, 7))
	require.NoError(t, c.UnmarkElectComment(ctx, id, 0, 7))
	require.NoError(t, c.DeleteComment(ctx, id, 0, 7))
	require.NoError(t, c.AddCommentReply(ctx, id, 0, 7, "谢谢"))
	require.NoError(t, c.DeleteCommentReply(ctx, id, 0, 7))
}

func TestListAndEachComment(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/comment/list",
		body: `{"msg_data_id":5,"index":0,"begin":0,"count":49,"type":2}`,
		answer: `{"errcode":0,"errmsg":"ok","total":1,"comment":[{"user_comment_id":1,"openid":"oU","create_time":100,
			"content":"好文","comment_type":1,"reply":{"content":"谢谢","create_time":200}}]}`})
	var got []Comment
	require.NoError(t, c.EachComment(context.Background(), 5, 0, CommentElected, func(cs []Comment) error {
		got = append(got, cs...)
		return nil
	}))
	assert.Equal(t, []Comment{{UserCommentID: 1, OpenID: "oU", CreateTime: 100, Content: "好文", CommentType: 1,
		Reply: &CommentReply{Content: "谢谢", CreateTime: 200}}}, got)
	stop := errors.New("stop")
	assert.ErrorIs(t, c.EachComment(context.Background(), 5, 0, CommentElected, func([]Comment) error { return stop }), stop)
}

func TestCommentValidatesLocally(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	list := func(r ListCommentsRequest) error { _, err := c.ListComments(ctx, r); return err }
	for name, err := range map[string]error{
		"open no id":       c.OpenComment(ctx, 0, 0),
		"close index -1":   c.CloseComment(ctx, 1, -1),
		"elect no comment": c.MarkElectComment(ctx, 1, 0, 0),
		"reply empty":      c.AddCommentReply(ctx, 1, 0, 1, ""),
		"count 50":         list(ListCommentsRequest{MsgDataID: 1, Count: 50}),
		"count 0":          list(ListCommentsRequest{MsgDataID: 1, Count: 0}),
		"begin -1":         list(ListCommentsRequest{MsgDataID: 1, Count: 10, Begin: -1}),
		"type 3":           list(ListCommentsRequest{MsgDataID: 1, Count: 10, Type: 3}),
	} {
		assert.ErrorIs(t, err, ErrInvalidRequest, name)
	}
	noCalls(t, mt)
}

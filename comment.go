package offiaccount

import "context"

// Comments (评论管理, 留言): open and close the comments of an article of a mass send, read
// them, elect (精选) and delete them, and reply. An article is named by the msg_data_id of its
// mass send and its index in it, from 0.

// MaxCommentListCount is the most comments one comment/list call returns: WeChat refuses a count
// of 50 or more.
const MaxCommentListCount = 49

// WeChat errcodes of the comment APIs.
const (
	CodeCommentNoPrivilege   = 88000 // the account may not manage comments
	CodeCommentMsgNotExist   = 88001 // no article for msg_data_id and index
	CodeCommentLimited       = 88002 // the article is limited for safety
	CodeCommentElectLimit    = 88003 // too many elected comments
	CodeCommentDeleted       = 88004 // the user deleted the comment
	CodeCommentAlreadyReply  = 88005 // the comment already has a reply
	CodeCommentReplyTooLong  = 88007 // reply content empty or too long
	CodeCommentNotExist      = 88008 // no such comment
	CodeCommentReplyNotExist = 88009 // no reply to delete
	CodeCommentCountRange    = 88010 // count ≤ 0 or ≥ 50
)

// CommentType selects the comments comment/list returns.
type CommentType int

// Comment types of ListComments.
const (
	CommentAll      CommentType = 0 // ordinary and elected comments
	CommentOrdinary CommentType = 1 // ordinary comments only
	CommentElected  CommentType = 2 // elected (精选) comments only
)

// commentRef names an article and, for the per-comment APIs, one of its comments.
type commentRef struct {
	MsgDataID     int64  `json:"msg_data_id"`
	Index         int    `json:"index"`
	UserCommentID int64  `json:"user_comment_id,omitempty"`
	Content       string `json:"content,omitempty"`
}

func (r commentRef) check(path string, needComment bool) error {
	switch {
	case r.MsgDataID <= 0:
		return invalidf(path, "msg_data_id %d must be positive", r.MsgDataID)
	case r.Index < 0:
		return invalidf(path, "index %d must be 0 or more", r.Index)
	case needComment && r.UserCommentID <= 0:
		return invalidf(path, "user_comment_id %d must be positive", r.UserCommentID)
	}
	return nil
}

func (c *Client) commentCall(ctx context.Context, api string, r commentRef, needComment bool) error {
	path := "/cgi-bin/comment/" + api
	if err := r.check(path, needComment); err != nil {
		return err
	}
	return c.postJSON(ctx, path, nil, r, nil)
}

// OpenComment opens the comments of the article index (from 0) of the mass send msgDataID.
//
// https://developers.weixin.qq.com/doc/service/api/leaving/api_openarticlecomment.html
func (c *Client) OpenComment(ctx context.Context, msgDataID int64, index int) error {
	return c.commentCall(ctx, "open", commentRef{MsgDataID: msgDataID, Index: index}, false)
}

// CloseComment closes the comments of the article.
//
// https://developers.weixin.qq.com/doc/service/api/leaving/api_closecomment.html
func (c *Client) CloseComment(ctx context.Context, msgDataID int64, index int) error {
	return c.commentCall(ctx, "close", commentRef{MsgDataID: msgDataID, Index: index}, false)
}

// ListCommentsRequest selects a page of an article's comments.
type ListCommentsRequest struct {
	MsgDataID int64       `json:"msg_data_id"` // the mass send
	Index     int         `json:"index"`       // the article in it, from 0
	Begin     int         `json:"begin"`       // offset of the first comment, from 0
	Count     int         `json:"count"`       // 1 to MaxCommentListCount
	Type      CommentType `json:"type"`
}

// Comment is a user's comment on an article.
type Comment struct {
	UserCommentID int64         `json:"user_comment_id"`
	OpenID        string        `json:"openid"` // empty when the user commented without a WeChat identity
	CreateTime    int64         `json:"create_time"`
	Content       string        `json:"content"`
	CommentType   int           `json:"comment_type"` // 1 when elected (精选)
	Reply         *CommentReply `json:"reply,omitempty"`
}

// CommentReply is the account's reply to a comment.
type CommentReply struct {
	Content    string `json:"content"`
	CreateTime int64  `json:"create_time"`
}

// CommentList is a page of comments.
type CommentList struct {
	Total    int       `json:"total"` // comments of the article of the requested type
	Comments []Comment `json:"comment"`
}

// ListComments returns a page of the comments of an article.
//
// https://developers.weixin.qq.com/doc/service/api/leaving/api_listcomment.html
func (c *Client) ListComments(ctx context.Context, r ListCommentsRequest) (*CommentList, error) {
	const path = "/cgi-bin/comment/list"
	if err := (commentRef{MsgDataID: r.MsgDataID, Index: r.Index}).check(path, false); err != nil {
		return nil, err
	}
	switch {
	case r.Begin < 0:
		return nil, invalidf(path, "begin %d must be 0 or more", r.Begin)
	case r.Count < 1 || r.Count > MaxCommentListCount:
		return nil, invalidf(path, "count %d, want 1 to %d (WeChat refuses 50 or more)", r.Count, MaxCommentListCount)
	case r.Type < CommentAll || r.Type > CommentElected:
		return nil, invalidf(path, "type %d, want 0, 1 or 2", r.Type)
	}
	var out CommentList
	if err := c.postJSON(ctx, path, nil, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// EachComment calls fn with every page of the comments of type t of an article
// (MaxCommentListCount a page) until the list ends, fn returns an error, or ctx is done.
func (c *Client) EachComment(ctx context.Context, msgDataID int64, index int, t CommentType, fn func([]Comment) error) error {
	return eachOffsetPage(func(begin int) ([]Comment, int, error) {
		page, err := c.ListComments(ctx, ListCommentsRequest{MsgDataID: msgDataID, Index: index,
			Begin: begin, Count: MaxCommentListCount, Type: t})
		if err != nil {
			return nil, 0, err
		}
		return page.Comments, page.Total, nil
	}, fn)
}

// MarkElectComment elects (精选) the comment userCommentID: it shows to every reader.
//
// https://developers.weixin.qq.com/doc/service/api/leaving/api_electcomment.html
func (c *Client) MarkElectComment(ctx context.Context, msgDataID int64, index int, userCommentID int64) error {
	return c.commentCall(ctx, "markelect", commentRef{MsgDataID: msgDataID, Index: index, UserCommentID: userCommentID}, true)
}

// UnmarkElectComment withdraws the election of the comment.
//
// https://developers.weixin.qq.com/doc/service/api/leaving/api_unelectcomment.html
func (c *Client) UnmarkElectComment(ctx context.Context, msgDataID int64, index int, userCommentID int64) error {
	return c.commentCall(ctx, "unmarkelect", commentRef{MsgDataID: msgDataID, Index: index, UserCommentID: userCommentID}, true)
}

// DeleteComment deletes the comment.
//
// https://developers.weixin.qq.com/doc/service/api/leaving/api_delcomment.html
func (c *Client) DeleteComment(ctx context.Context, msgDataID int64, index int, userCommentID int64) error {
	return c.commentCall(ctx, "delete", commentRef{MsgDataID: msgDataID, Index: index, UserCommentID: userCommentID}, true)
}

// AddCommentReply replies to the comment (one reply per comment).
//
// https://developers.weixin.qq.com/doc/service/api/leaving/api_replycomment.html
func (c *Client) AddCommentReply(ctx context.Context, msgDataID int64, index int, userCommentID int64, content string) error {
	const path = "/cgi-bin/comment/reply/add"
	if content == "" {
		return invalidf(path, "empty content")
	}
	r := commentRef{MsgDataID: msgDataID, Index: index, UserCommentID: userCommentID, Content: content}
	if err := r.check(path, true); err != nil {
		return err
	}
	return c.postJSON(ctx, path, nil, r, nil)
}

// DeleteCommentReply deletes the account's reply to the comment.
//
// https://developers.weixin.qq.com/doc/service/api/leaving/api_delreplycomment.html
func (c *Client) DeleteCommentReply(ctx context.Context, msgDataID int64, index int, userCommentID int64) error {
	return c.commentCall(ctx, "reply/delete", commentRef{MsgDataID: msgDataID, Index: index, UserCommentID: userCommentID}, true)
}

package offiaccounttest

import (
	"slices"
	"strings"
	"time"
)

// Comments (评论管理): the comments of the articles of mass sends, added by a test with
// AddComments, managed through the comment APIs.

// Errcodes of the comment APIs.
const (
	codeCommentMsgNotExist   = 88001
	codeCommentDeleted       = 88004
	codeCommentAlreadyReply  = 88005
	codeCommentReplyBad      = 88007
	codeCommentNotExist      = 88008
	codeCommentReplyNotExist = 88009
	codeCommentCountRange    = 88010

	maxCommentPage = 49
)

// CommentRecord is a user's comment the platform holds.
type CommentRecord struct {
	UserCommentID int64 // set by AddComments, from 1 on per article
	OpenID        string
	Content       string
	Time          time.Time
	Elected       bool
	Deleted       bool      // by the account (comment/delete)
	Reply         string    // the account's reply, "" for none
	ReplyTime     time.Time // of the reply
}

type commentKey struct {
	msgDataID int64
	index     int
}

type commentArticle struct {
	open     bool
	comments []CommentRecord
}

// AddComments adds user comments to the article index of the mass send msgDataID of appID
// (creating the article, with comments open) and returns their user_comment_ids. Time is set
// from the fake clock when zero.
func (p *Platform) AddComments(appID string, msgDataID int64, index int, comments ...CommentRecord) []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	art := a.groupsLocked().article(msgDataID, index, true)
	var ids []int64
	for _, c := range comments {
		c.UserCommentID = int64(len(art.comments) + 1)
		if c.Time.IsZero() {
			c.Time = p.now
		}
		art.comments = append(art.comments, c)
		ids = append(ids, c.UserCommentID)
	}
	return ids
}

// Comments returns the comments of an article of appID as the platform holds them, deleted
// ones included, and whether its comments are open.
func (p *Platform) Comments(appID string, msgDataID int64, index int) (comments []CommentRecord, open bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil, false
	}
	art := a.groupsLocked().article(msgDataID, index, false)
	if art == nil {
		return nil, false
	}
	return slices.Clone(art.comments), art.open
}

func (g *groupState) article(msgDataID int64, index int, create bool) *commentArticle {
	k := commentKey{msgDataID, index}
	art := g.comments[k]
	if art == nil && create {
		art = &commentArticle{open: true}
		g.comments[k] = art
	}
	return art
}

type commentIn struct {
	MsgDataID     int64  `json:"msg_data_id"`
	Index         int    `json:"index"`
	UserCommentID int64  `json:"user_comment_id"`
	Content       string `json:"content"`
	Begin         int    `json:"begin"`
	Count         int    `json:"count"`
	Type          int    `json:"type"`
}

// commentTarget decodes the body and finds the article (88001) and, when needed, the live
// comment it names (88008, 88004 when deleted).
func commentTarget(r *request, needComment bool) (commentIn, *commentArticle, *CommentRecord, int) {
	var in commentIn
	if code := r.decode(&in); code != 0 {
		return in, nil, nil, code
	}
	art := r.acct.groupsLocked().article(in.MsgDataID, in.Index, false)
	if art == nil {
		return in, nil, nil, codeCommentMsgNotExist
	}
	if !needComment {
		return in, art, nil, 0
	}
	i := int(in.UserCommentID) - 1
	if i < 0 || i >= len(art.comments) {
		return in, art, nil, codeCommentNotExist
	}
	if art.comments[i].Deleted {
		return in, art, nil, codeCommentDeleted
	}
	return in, art, &art.comments[i], 0
}

// handleComment serves every comment API but list: open, close, markelect, unmarkelect,
// delete, reply/add (one reply per comment, 88005; content non-empty, 88007) and
// reply/delete (88009 without a reply).
// https://developers.weixin.qq.com/doc/offiaccount/Comments_management/Manage_comments.html
func (p *Platform) handleComment(r *request, api string) (any, int) {
	needComment := api != "open" && api != "close"
	in, art, c, code := commentTarget(r, needComment)
	if code != 0 {
		return nil, code
	}
	switch api {
	case "open", "close":
		art.open = api == "open"
	case "markelect", "unmarkelect":
		c.Elected = api == "markelect"
	case "delete":
		c.Deleted = true
	case "reply/add":
		switch {
		case strings.TrimSpace(in.Content) == "":
			return nil, codeCommentReplyBad
		case c.Reply != "":
			return nil, codeCommentAlreadyReply
		}
		c.Reply, c.ReplyTime = in.Content, p.now
	case "reply/delete":
		if c.Reply == "" {
			return nil, codeCommentReplyNotExist
		}
		c.Reply, c.ReplyTime = "", time.Time{}
	}
	return okBody, 0
}

// handleCommentList is POST /cgi-bin/comment/list: count 1–49 (88010), type 0 all, 1
// ordinary, 2 elected; deleted comments are left out.
// https://developers.weixin.qq.com/doc/service/api/leaving/api_listcomment.html
func (p *Platform) handleCommentList(r *request) (any, int) {
	in, art, _, code := commentTarget(r, false)
	if code != 0 {
		return nil, code
	}
	if in.Count <= 0 || in.Count > maxCommentPage {
		return nil, codeCommentCountRange
	}
	type reply struct {
		Content    string `json:"content"`
		CreateTime int64  `json:"create_time"`
	}
	type item struct {
		UserCommentID int64  `json:"user_comment_id"`
		OpenID        string `json:"openid,omitempty"`
		CreateTime    int64  `json:"create_time"`
		Content       string `json:"content"`
		CommentType   int    `json:"comment_type"`
		Reply         *reply `json:"reply,omitempty"`
	}
	var all []item
	for _, c := range art.comments {
		if c.Deleted || in.Type == 1 && c.Elected || in.Type == 2 && !c.Elected {
			continue
		}
		it := item{UserCommentID: c.UserCommentID, OpenID: c.OpenID, CreateTime: c.Time.Unix(), Content: c.Content}
		if c.Elected {
			it.CommentType = 1
		}
		if c.Reply != "" {
			it.Reply = &reply{c.Reply, c.ReplyTime.Unix()}
		}
		all = append(all, it)
	}
	begin := min(max(in.Begin, 0), len(all))
	page := all[begin:min(begin+in.Count, len(all))]
	if page == nil {
		page = []item{}
	}
	return struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
		Total   int    `json:"total"`
		Comment []item `json:"comment"`
	}{Errmsg: "ok", Total: len(all), Comment: page}, 0
}

// commentRoute maps /cgi-bin/comment/<api> to its endpoint.
func commentRoute(path string) (func(p *Platform, r *request) (any, int), bool) {
	api, ok := strings.CutPrefix(path, "/cgi-bin/comment/")
	if !ok {
		return nil, false
	}
	switch api {
	case "list":
		return (*Platform).handleCommentList, true
	case "open", "close", "markelect", "unmarkelect", "delete", "reply/add", "reply/delete":
		return func(p *Platform, r *request) (any, int) { return p.handleComment(r, api) }, true
	}
	return nil, false
}

func commentErrText(code int) string {
	switch code {
	case codeCommentMsgNotExist:
		return "msg_data is not exists"
	case codeCommentDeleted:
		return "comment was deleted by user"
	case codeCommentAlreadyReply:
		return "already reply"
	case codeCommentReplyBad:
		return "reply content beyond max len or content len is zero"
	case codeCommentNotExist:
		return "comment is not exists"
	case codeCommentReplyNotExist:
		return "reply is not exists"
	case codeCommentCountRange:
		return "count range error. cout <= 0 or count > 50"
	}
	return ""
}

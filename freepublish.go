package offiaccount

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// Publishing (发布能力): a draft is submitted, WeChat checks and publishes it in the
// background, and reports the outcome with a PUBLISHJOBFINISH event (Message.PublishEventInfo)
// or through GetPublishJob. A published article has an article_id, which menus
// (ArticleButton) and customer-service messages (CustomMPNewsArticle) show.

// WeChat errcodes of the publishing API.
const (
	CodeDraftCheckFailed     = 53503 // 该草稿未通过发布检查
	CodeDraftNeedsWebsite    = 53504 // the draft must be published from the admin website (需前往公众平台官网使用草稿)
	CodeDraftNeedsManualSave = 53505 // the draft must be saved by hand in the admin website first (请手动保存成功后再发表)
	CodeInvalidArticleID     = 53600 // Article ID 无效
)

// PublishStatus is the state of a publish job (publish_status).
type PublishStatus int

// Publish job states. PublishStatusPublishing is the only one that changes later.
const (
	PublishStatusPublished      PublishStatus = 0 // 成功
	PublishStatusPublishing     PublishStatus = 1 // 发布中
	PublishStatusOriginalFailed PublishStatus = 2 // 原创失败: the originality check failed (see FailIdx)
	PublishStatusFailed         PublishStatus = 3 // 常规失败
	PublishStatusAuditFailed    PublishStatus = 4 // 平台审核不通过 (see FailIdx)
	PublishStatusDeleted        PublishStatus = 5 // 成功后用户删除所有文章
	PublishStatusBanned         PublishStatus = 6 // 成功后系统封禁所有文章
)

// String names the state in English, e.g. "published" or "audit failed".
func (s PublishStatus) String() string {
	switch s {
	case PublishStatusPublished:
		return "published"
	case PublishStatusPublishing:
		return "publishing"
	case PublishStatusOriginalFailed:
		return "originality check failed"
	case PublishStatusFailed:
		return "failed"
	case PublishStatusAuditFailed:
		return "audit failed"
	case PublishStatusDeleted:
		return "deleted"
	case PublishStatusBanned:
		return "banned"
	}
	return "PublishStatus(" + strconv.Itoa(int(s)) + ")"
}

// PublishJob is the state of a publish job: the answer of GetPublishJob and the
// PublishEventInfo of a PUBLISHJOBFINISH event. ArticleID and ArticleDetail are set once the
// job has published; FailIdx lists the failed articles (from 1) of statuses 2 and 4.
type PublishJob struct {
	PublishID     string               `json:"publish_id"`
	PublishStatus PublishStatus        `json:"publish_status"`
	ArticleID     string               `json:"article_id,omitempty"`
	ArticleDetail PublishArticleDetail `json:"article_detail"`
	FailIdx       []int                `json:"fail_idx,omitempty"`
}

// PublishArticleDetail lists the URLs of a published job's articles.
type PublishArticleDetail struct {
	Count int                  `json:"count"`
	Item  []PublishArticleItem `json:"item"`
}

// PublishArticleItem is the URL of one published article; Idx counts from 1.
type PublishArticleItem struct {
	Idx        int    `json:"idx"`
	ArticleURL string `json:"article_url"`
}

// UnmarshalJSON accepts publish_id as a JSON string, as documented, or as a number.
func (j *PublishJob) UnmarshalJSON(data []byte) error {
	type plain PublishJob
	var in struct {
		*plain
		PublishID json.RawMessage `json:"publish_id"`
	}
	in.plain = (*plain)(j)
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	id, err := jsonID(in.PublishID)
	j.PublishID = id
	return err
}

// jsonID reads an id WeChat writes either as a string or as a number.
func jsonID(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", err
	}
	return n.String(), nil
}

// Err returns nil while the job is publishing or once it has published, and a *PublishError
// for every other state, so that errors.Is(job.Err(), ErrPublishFailed) tells a failure.
func (j *PublishJob) Err() error {
	if j == nil || j.PublishStatus == PublishStatusPublished || j.PublishStatus == PublishStatusPublishing {
		return nil
	}
	return &PublishError{PublishID: j.PublishID, Status: j.PublishStatus, FailIdx: j.FailIdx}
}

// PublishError is a publish job that did not end published, or whose articles were
// removed afterwards. errors.Is matches it with ErrPublishFailed, and by its state with
// ErrPublishOriginalCheckFailed, ErrPublishAuditFailed or ErrPublishRemoved.
type PublishError struct {
	PublishID string
	Status    PublishStatus
	FailIdx   []int // the failed articles, from 1, when WeChat names them
}

// Error names the job, its state and the failed articles.
func (e *PublishError) Error() string {
	s := fmt.Sprintf("offiaccount: publish job %s: %s (publish_status %d)", e.PublishID, e.Status, int(e.Status))
	if len(e.FailIdx) > 0 {
		s += fmt.Sprintf(", failed articles %v", e.FailIdx)
	}
	return s
}

// Is reports whether the error falls in the category of target.
func (e *PublishError) Is(target error) bool {
	switch target {
	case ErrPublishFailed:
		return true
	case ErrPublishOriginalCheckFailed:
		return e.Status == PublishStatusOriginalFailed
	case ErrPublishAuditFailed:
		return e.Status == PublishStatusAuditFailed
	case ErrPublishRemoved:
		return e.Status == PublishStatusDeleted || e.Status == PublishStatusBanned
	}
	return false
}

// SubmitPublish submits the draft mediaID for publishing and returns the publish_id of the
// job. The job runs in the background: its outcome arrives as a PUBLISHJOBFINISH event and
// can be read with GetPublishJob. A published draft leaves the draft box.
//
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_submit.html
func (c *Client) SubmitPublish(ctx context.Context, mediaID string) (publishID string, err error) {
	const path = "/cgi-bin/freepublish/submit"
	if mediaID == "" {
		return "", invalidf(path, "empty media_id")
	}
	var out struct {
		PublishID json.RawMessage `json:"publish_id"`
	}
	if err := c.postJSON(ctx, path, nil, &mediaIDBody{mediaID}, &out); err != nil {
		return "", err
	}
	id, err := jsonID(out.PublishID)
	if err != nil || id == "" {
		return "", fmt.Errorf("%w: %s: no publish_id in answer", ErrBadResponse, path)
	}
	return id, nil
}

// GetPublishJob returns the state of the publish job publishID. Use job.Err() to turn a
// failed state into an error.
//
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_get.html
func (c *Client) GetPublishJob(ctx context.Context, publishID string) (*PublishJob, error) {
	const path = "/cgi-bin/freepublish/get"
	if publishID == "" {
		return nil, invalidf(path, "empty publish_id")
	}
	in := struct {
		PublishID string `json:"publish_id"`
	}{publishID}
	var out PublishJob
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeletePublishedArticle deletes the article at index (from 1) of the published articleID,
// or all of its articles when index is 0. WeChat cannot restore them.
//
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublishdelete.html
func (c *Client) DeletePublishedArticle(ctx context.Context, articleID string, index int) error {
	const path = "/cgi-bin/freepublish/delete"
	switch {
	case articleID == "":
		return invalidf(path, "empty article_id")
	case index < 0 || index > MaxDraftArticles:
		return invalidf(path, "index %d outside 0 (all) to %d", index, MaxDraftArticles)
	}
	in := struct {
		ArticleID string `json:"article_id"`
		Index     int    `json:"index,omitempty"`
	}{articleID, index}
	return c.postJSON(ctx, path, nil, &in, nil)
}

// GetPublishedArticle returns the articles published as articleID; a deleted one has
// IsDeleted set.
//
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublishgetarticle.html
func (c *Client) GetPublishedArticle(ctx context.Context, articleID string) ([]DraftArticle, error) {
	const path = "/cgi-bin/freepublish/getarticle"
	if articleID == "" {
		return nil, invalidf(path, "empty article_id")
	}
	in := struct {
		ArticleID string `json:"article_id"`
	}{articleID}
	var out struct {
		NewsItem []DraftArticle `json:"news_item"`
	}
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return out.NewsItem, nil
}

// PublishedItem is one published message of a PublishedList.
type PublishedItem struct {
	ArticleID string `json:"article_id"`
	Content   struct {
		NewsItem []DraftArticle `json:"news_item"`
	} `json:"content"`
	UpdateTime int64 `json:"update_time"` // unix seconds
}

// PublishedList is one page of the account's published messages, newest first.
type PublishedList struct {
	TotalCount int             `json:"total_count"`
	ItemCount  int             `json:"item_count"`
	Item       []PublishedItem `json:"item"`
}

// ListPublishedArticles returns count published messages (1 to MaxDraftListCount) from
// offset, newest first; with noContent the articles come without their content.
//
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_batchget.html
func (c *Client) ListPublishedArticles(ctx context.Context, offset, count int, noContent bool) (*PublishedList, error) {
	return batchGetPage[PublishedList](ctx, c, "/cgi-bin/freepublish/batchget", offset, count, noContent)
}

// EachPublishedArticle calls fn with every page of the account's published messages
// (MaxDraftListCount a page, newest first) until the list ends, fn returns an error, or ctx
// is done.
func (c *Client) EachPublishedArticle(ctx context.Context, noContent bool, fn func(items []PublishedItem) error) error {
	return eachOffsetPage(func(offset int) ([]PublishedItem, int, error) {
		page, err := c.ListPublishedArticles(ctx, offset, MaxDraftListCount, noContent)
		if err != nil {
			return nil, 0, err
		}
		return page.Item, page.TotalCount, nil
	}, fn)
}

package offiaccount

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubmitPublish(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/submit", body: `{"media_id":"MEDIA_ID"}`,
		answer: `{"errcode":0,"errmsg":"ok","publish_id":"100000001","msg_data_id":2247483648}`})
	id, err := c.SubmitPublish(context.Background(), "MEDIA_ID")
	require.NoError(t, err)
	assert.Equal(t, "100000001", id)

	c2, mt2 := newMockClient(t)
	expect(t, mt2, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/submit", body: `{"media_id":"M"}`,
		answer: `{"errcode":0,"errmsg":"ok","publish_id":2247503051}`})
	id, err = c2.SubmitPublish(context.Background(), "M")
	require.NoError(t, err)
	assert.Equal(t, "2247503051", id, "a numeric publish_id is kept digit for digit")

	c3, mt3 := newMockClient(t)
	expect(t, mt3, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/submit", body: `{"media_id":"M"}`,
		answer: `{"errcode":0,"errmsg":"ok"}`})
	_, err = c3.SubmitPublish(context.Background(), "M")
	assert.ErrorIs(t, err, ErrBadResponse)

	c4, mt4 := newMockClient(t)
	expect(t, mt4, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/submit", body: `{"media_id":"M"}`,
		answer: `{"errcode":53503,"errmsg":"draft has not passed publish check"}`})
	_, err = c4.SubmitPublish(context.Background(), "M")
	requireAPIError(t, err, CodeDraftCheckFailed, "/cgi-bin/freepublish/submit")
}

func TestGetPublishJob(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/get", body: `{"publish_id":"100000001"}`,
		answer: `{"publish_id":"100000001","publish_status":0,"article_id":"ARTICLE_ID",
			"article_detail":{"count":1,"item":[{"idx":1,"article_url":"ARTICLE_URL"}]},"fail_idx":[]}`})
	job, err := c.GetPublishJob(ctx, "100000001")
	require.NoError(t, err)
	assert.Equal(t, &PublishJob{PublishID: "100000001", PublishStatus: PublishStatusPublished, ArticleID: "ARTICLE_ID",
		ArticleDetail: PublishArticleDetail{Count: 1, Item: []PublishArticleItem{{1, "ARTICLE_URL"}}}, FailIdx: []int{}}, job)
	assert.NoError(t, job.Err())

	c2, mt2 := newMockClient(t)
	expect(t, mt2, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/get", body: `{"publish_id":"7"}`,
		answer: `{"publish_id":7,"publish_status":4,"fail_idx":[1]}`})
	job, err = c2.GetPublishJob(ctx, "7")
	require.NoError(t, err)
	assert.Equal(t, "7", job.PublishID)
	assert.ErrorIs(t, job.Err(), ErrPublishAuditFailed)

	c3, mt3 := newMockClient(t)
	expect(t, mt3, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/get", body: `{"publish_id":"7"}`,
		answer: `{"publish_id":{},"publish_status":0}`})
	_, err = c3.GetPublishJob(ctx, "7")
	assert.ErrorIs(t, err, ErrBadResponse)

	_, err = c.GetPublishJob(ctx, "")
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

func TestPublishedArticles(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/delete", body: `{"article_id":"ARTICLE_ID","index":1}`,
		answer: `{"errcode":0,"errmsg":"ok"}`})
	require.NoError(t, c.DeletePublishedArticle(ctx, "ARTICLE_ID", 1))

	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/getarticle", body: `{"article_id":"ARTICLE_ID"}`,
		answer: `{"news_item":[{"title":"TITLE","author":"AUTHOR","content":"CONTENT","thumb_media_id":"THUMB_MEDIA_ID",
			"url":"URL","is_deleted":true}]}`})
	arts, err := c.GetPublishedArticle(ctx, "ARTICLE_ID")
	require.NoError(t, err)
	require.Len(t, arts, 1)
	assert.True(t, arts[0].IsDeleted)
	assert.Equal(t, "URL", arts[0].URL)

	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/batchget", body: `{"offset":20,"count":10,"no_content":0}`,
		answer: `{"total_count":21,"item_count":1,"item":[{"article_id":"ARTICLE_ID",
			"content":{"news_item":[{"title":"TITLE","url":"URL","is_deleted":false}]},"update_time":1700000001}]}`})
	list, err := c.ListPublishedArticles(ctx, 20, 10, false)
	require.NoError(t, err)
	assert.Equal(t, 21, list.TotalCount)
	assert.Equal(t, "ARTICLE_ID", list.Item[0].ArticleID)
	assert.Equal(t, "TITLE", list.Item[0].Content.NewsItem[0].Title)

	c2, mt2 := newMockClient(t)
	expect(t, mt2, apiCall{method: http.MethodPost, path: "/cgi-bin/freepublish/getarticle", body: `{"article_id":"X"}`,
		answer: `{"errcode":53600,"errmsg":"Article ID 无效"}`})
	_, err = c2.GetPublishedArticle(ctx, "X")
	requireAPIError(t, err, CodeInvalidArticleID, "/cgi-bin/freepublish/getarticle")

	assert.ErrorIs(t, c2.DeletePublishedArticle(ctx, "", 0), ErrInvalidRequest)
	assert.ErrorIs(t, c2.DeletePublishedArticle(ctx, "A", -1), ErrInvalidRequest)
	_, err = c2.GetPublishedArticle(ctx, "")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = c2.SubmitPublish(ctx, "")
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

package offiaccount

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newsArticle() DraftArticle {
	return DraftArticle{Title: "标题", Author: "作者", Digest: "摘要", Content: "<p>正文</p>",
		ContentSourceURL: "https://example.com/src", ThumbMediaID: "THUMB_MEDIA_ID",
		NeedOpenComment: 1, OnlyFansCanComment: 0, PicCrop2351: "0.1945_0_1_0.5236", PicCrop11: "0.166454_0_0.833545_1"}
}

// The request and answer shapes are the examples of WeChat's documentation pages.
func TestAddDraft(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	n := expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/draft/add",
		body: `{"articles":[
			{"title":"标题","author":"作者","digest":"摘要","content":"<p>正文</p>",
			 "content_source_url":"https://example.com/src","thumb_media_id":"THUMB_MEDIA_ID",
			 "need_open_comment":1,"pic_crop_235_1":"0.1945_0_1_0.5236","pic_crop_1_1":"0.166454_0_0.833545_1"},
			{"article_type":"newspic","title":"图片消息","content":"纯文本",
			 "image_info":{"image_list":[{"image_media_id":"IMG1"},{"image_media_id":"IMG2"}]},
			 "cover_info":{"crop_percent_list":[{"ratio":"1_1","x1":"0.166454","y1":"0","x2":"0.833545","y2":"1"}]},
			 "product_info":{"footer_product_info":{"product_key":"PRODUCT_KEY"}}}]}`,
		raw:    []string{`"<p>正文</p>"`},
		answer: `{"media_id":"MEDIA_ID"}`})
	id, err := c.AddDraft(context.Background(), newsArticle(), DraftArticle{
		ArticleType: ArticleTypeNewsPic, Title: "图片消息", Content: "纯文本",
		ImageInfo:   &ArticleImageInfo{ImageList: []ArticleImage{{"IMG1"}, {"IMG2"}}},
		CoverInfo:   &ArticleCoverInfo{CropPercentList: []ArticleCrop{{Ratio: "1_1", X1: "0.166454", Y1: "0", X2: "0.833545", Y2: "1"}}},
		ProductInfo: &ArticleProductInfo{FooterProductInfo: ArticleFooterProduct{ProductKey: "PRODUCT_KEY"}},
	})
	require.NoError(t, err)
	assert.Equal(t, "MEDIA_ID", id)
	assert.EqualValues(t, 1, n.Load())
}

func TestDraftArticleLimits(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("字", n) }
	pics := func(n int) *ArticleImageInfo {
		info := &ArticleImageInfo{}
		for i := 0; i < n; i++ {
			info.ImageList = append(info.ImageList, ArticleImage{"IMG"})
		}
		return info
	}
	tests := []struct {
		name   string
		edit   func(a *DraftArticle)
		reason string // "" when valid
	}{
		{"valid", func(*DraftArticle) {}, ""},
		{"title at 32 characters", func(a *DraftArticle) { a.Title = long(32) }, ""},
		{"title over 32", func(a *DraftArticle) { a.Title = long(33) }, "title has 33 characters, more than 32"},
		{"empty title", func(a *DraftArticle) { a.Title = " " }, "empty title"},
		{"author at 16", func(a *DraftArticle) { a.Author = long(16) }, ""},
		{"author over 16", func(a *DraftArticle) { a.Author = long(17) }, "author has 17 characters, more than 16"},
		{"digest at 128", func(a *DraftArticle) { a.Digest = long(128) }, ""},
		{"digest over 128", func(a *DraftArticle) { a.Digest = long(129) }, "digest has 129 characters, more than 128"},
		{"empty content", func(a *DraftArticle) { a.Content = "" }, "empty content"},
		{"content below 20000", func(a *DraftArticle) { a.Content = strings.Repeat("a", 19999) }, ""},
		{"content of 20000", func(a *DraftArticle) { a.Content = strings.Repeat("a", 20000) }, "content has 20000 characters, must be less than 20000"},
		{"content of 1 MB", func(a *DraftArticle) { a.Content = long(1<<20/3 + 1) }, "content has 1048578 bytes, must be less than 1 MB"},
		{"source url at 1 KB", func(a *DraftArticle) { a.ContentSourceURL = strings.Repeat("u", 1024) }, ""},
		{"source url over 1 KB", func(a *DraftArticle) { a.ContentSourceURL = strings.Repeat("u", 1025) }, "content_source_url has 1025 bytes, more than 1024"},
		{"news without cover", func(a *DraftArticle) { a.ThumbMediaID = "" }, "needs thumb_media_id"},
		{"unknown type", func(a *DraftArticle) { a.ArticleType = "video" }, `article_type "video"`},
		{"comment flag", func(a *DraftArticle) { a.NeedOpenComment = 2 }, "need_open_comment must be 0 or 1"},
		{"fans flag", func(a *DraftArticle) { a.OnlyFansCanComment = -1 }, "only_fans_can_comment must be 0 or 1"},
		{"crop outside 0..1", func(a *DraftArticle) { a.PicCrop11 = "0_0_1.5_1" }, "pic_crop_1_1"},
		{"crop upside down", func(a *DraftArticle) { a.PicCrop2351 = "0.5_0_0.1_1" }, "pic_crop_235_1"},
		{"crop not four numbers", func(a *DraftArticle) { a.PicCrop2351 = "0_0_1" }, "pic_crop_235_1"},
		{"long thumb id", func(a *DraftArticle) { a.ThumbMediaID = strings.Repeat("m", 129) }, "thumb_media_id longer than 128"},
		{"newspic with 20 pictures", func(a *DraftArticle) { a.ArticleType, a.ThumbMediaID, a.ImageInfo = ArticleTypeNewsPic, "", pics(20) }, ""},
		{"newspic with 21 pictures", func(a *DraftArticle) { a.ArticleType, a.ImageInfo = ArticleTypeNewsPic, pics(21) }, "image_info.image_list has 21 pictures, more than 20"},
		{"newspic without pictures", func(a *DraftArticle) { a.ArticleType = ArticleTypeNewsPic }, "needs at least one picture"},
		{"newspic empty picture id", func(a *DraftArticle) {
			a.ArticleType, a.ImageInfo = ArticleTypeNewsPic, &ArticleImageInfo{ImageList: []ArticleImage{{""}}}
		}, "image_list[0].image_media_id"},
		{"newspic bad ratio", func(a *DraftArticle) {
			a.ArticleType, a.ImageInfo = ArticleTypeNewsPic, pics(1)
			a.CoverInfo = &ArticleCoverInfo{CropPercentList: []ArticleCrop{{Ratio: "4_3", X1: "0", Y1: "0", X2: "1", Y2: "1"}}}
		}, `ratio "4_3"`},
		{"newspic bad crop", func(a *DraftArticle) {
			a.ArticleType, a.ImageInfo = ArticleTypeNewsPic, pics(1)
			a.CoverInfo = &ArticleCoverInfo{CropPercentList: []ArticleCrop{{Ratio: "16_9", X1: "0", Y1: "0", X2: "x", Y2: "1"}}}
		}, "crop_percent_list[0]"},
		{"newspic product without key", func(a *DraftArticle) {
			a.ArticleType, a.ImageInfo, a.ProductInfo = ArticleTypeNewsPic, pics(1), &ArticleProductInfo{}
		}, "without product_key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newsArticle()
			tc.edit(&a)
			err := a.Validate()
			if tc.reason == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidRequest)
			assert.Contains(t, err.Error(), tc.reason)
			assert.Contains(t, err.Error(), "/cgi-bin/draft/add")
		})
	}
}

func TestDraftCallsRejectedLocally(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	bad := newsArticle()
	bad.Title = ""
	many := make([]DraftArticle, 9)
	for i := range many {
		many[i] = newsArticle()
	}
	_, err := c.AddDraft(ctx)
	assert.ErrorContains(t, err, "no articles")
	_, err = c.AddDraft(ctx, many...)
	assert.ErrorContains(t, err, "9 articles, more than 8")
	_, err = c.AddDraft(ctx, newsArticle(), bad)
	assert.ErrorContains(t, err, "articles[1]: empty title")
	assert.ErrorIs(t, c.UpdateDraft(ctx, "M", 0, bad), ErrInvalidRequest)
	assert.ErrorContains(t, c.UpdateDraft(ctx, "M", -1, newsArticle()), "index -1")
	assert.ErrorContains(t, c.UpdateDraft(ctx, "", 0, newsArticle()), "empty media_id")
	assert.ErrorIs(t, c.DeleteDraft(ctx, ""), ErrInvalidRequest)
	_, err = c.GetDraft(ctx, "")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	for _, tc := range []struct{ offset, count int }{{-1, 10}, {0, 0}, {0, 21}} {
		_, err = c.ListDrafts(ctx, tc.offset, tc.count, false)
		assert.ErrorIs(t, err, ErrInvalidRequest, "%+v", tc)
		_, err = c.ListPublishedArticles(ctx, tc.offset, tc.count, false)
		assert.ErrorIs(t, err, ErrInvalidRequest, "%+v", tc)
	}
	noCalls(t, mt)
}

func TestDraftCRUD(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/draft/get", body: `{"media_id":"MEDIA_ID"}`,
		answer: `{"news_item":[{"article_type":"news","title":"TITLE","author":"AUTHOR","digest":"DIGEST",
			"content":"CONTENT","content_source_url":"CONTENT_SOURCE_URL","thumb_media_id":"THUMB_MEDIA_ID",
			"need_open_comment":0,"only_fans_can_comment":0,"url":"URL","thumb_url":"THUMB_URL"}]}`})
	got, err := c.GetDraft(ctx, "MEDIA_ID")
	require.NoError(t, err)
	assert.Equal(t, []DraftArticle{{ArticleType: "news", Title: "TITLE", Author: "AUTHOR", Digest: "DIGEST", Content: "CONTENT",
		ContentSourceURL: "CONTENT_SOURCE_URL", ThumbMediaID: "THUMB_MEDIA_ID", URL: "URL", ThumbURL: "THUMB_URL"}}, got)

	a := newsArticle()
	a.PicCrop11, a.PicCrop2351, a.Digest, a.Author, a.ContentSourceURL, a.NeedOpenComment = "", "", "", "", "", 0
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/draft/update",
		body:   `{"media_id":"MEDIA_ID","index":1,"articles":{"title":"标题","content":"<p>正文</p>","thumb_media_id":"THUMB_MEDIA_ID"}}`,
		answer: `{"errcode":0,"errmsg":"ok"}`})
	require.NoError(t, c.UpdateDraft(ctx, "MEDIA_ID", 1, a))

	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/draft/delete", body: `{"media_id":"MEDIA_ID"}`,
		answer: `{"errcode":0,"errmsg":"ok"}`})
	require.NoError(t, c.DeleteDraft(ctx, "MEDIA_ID"))

	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/draft/count", answer: `{"total_count":7}`})
	n, err := c.CountDrafts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, n)

	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/draft/batchget", body: `{"offset":0,"count":20,"no_content":1}`,
		answer: `{"total_count":1,"item_count":1,"item":[{"media_id":"MEDIA_ID",
			"content":{"news_item":[{"title":"TITLE","url":"URL"}]},"update_time":1700000000}]}`})
	list, err := c.ListDrafts(ctx, 0, 20, true)
	require.NoError(t, err)
	assert.Equal(t, 1, list.TotalCount)
	require.Len(t, list.Item, 1)
	assert.Equal(t, "MEDIA_ID", list.Item[0].MediaID)
	assert.Equal(t, int64(1700000000), list.Item[0].UpdateTime)
	assert.Equal(t, "TITLE", list.Item[0].Content.NewsItem[0].Title)
}

func TestDraftErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/draft/update",
		body:   `{"media_id":"M","index":3,"articles":{"title":"标题","author":"作者","digest":"摘要","content":"<p>正文</p>","content_source_url":"https://example.com/src","thumb_media_id":"THUMB_MEDIA_ID","need_open_comment":1,"pic_crop_235_1":"0.1945_0_1_0.5236","pic_crop_1_1":"0.166454_0_0.833545_1"}}`,
		answer: `{"errcode":40114,"errmsg":"invalid index value"}`})
	requireAPIError(t, c.UpdateDraft(context.Background(), "M", 3, newsArticle()), CodeInvalidDraftIndex, "/cgi-bin/draft/update")
}

func TestDraftSwitch(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/draft/switch", query: map[string]string{"checkonly": "1"},
		answer: `{"errcode":0,"errmsg":"ok","is_open":0}`})
	open, err := c.CheckDraftSwitch(context.Background())
	require.NoError(t, err)
	assert.False(t, open)

	c2, mt2 := newMockClient(t)
	expect(t, mt2, apiCall{method: http.MethodPost, path: "/cgi-bin/draft/switch", query: map[string]string{"checkonly": ""},
		answer: `{"errcode":0,"errmsg":"ok","is_open":1}`})
	open, err = c2.SwitchDraft(context.Background())
	require.NoError(t, err)
	assert.True(t, open)
}

// Images inside an article's content go through UploadArticleImage: jpg or png, at most
// 1 MB, refused before anything is sent.
func TestUploadArticleImageLimits(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	_, err := c.UploadArticleImage(ctx, "chart.gif", strings.NewReader("gif"))
	assert.ErrorIs(t, err, ErrInvalidRequest)
	assert.ErrorContains(t, err, ".jpg .jpeg .png")
	_, err = c.UploadArticleImage(ctx, "chart.png", strings.NewReader(strings.Repeat("x", MaxArticleImageBytes+1)))
	assert.ErrorIs(t, err, ErrInvalidRequest)
	assert.ErrorContains(t, err, "at most 1048576")
	noCalls(t, mt)

	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/media/uploadimg",
		func(req *http.Request) (*http.Response, error) {
			return httpmock.NewStringResponse(200, `{"url":"http://mmbiz.qpic.cn/mmbiz/chart/0"}`), nil
		})
	url, err := c.UploadArticleImage(ctx, "chart.PNG", strings.NewReader(strings.Repeat("x", MaxArticleImageBytes)))
	require.NoError(t, err)
	assert.Equal(t, "http://mmbiz.qpic.cn/mmbiz/chart/0", url)
}

package offiaccounttest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// addThumb uploads a cover as a permanent thumb material and returns its media_id.
func addThumb(t *testing.T, c *offiaccount.Client) string {
	t.Helper()
	m, err := c.AddMaterial(context.Background(), offiaccount.MediaThumb, "cover.jpg", bytes.NewReader([]byte("\xff\xd8\xff\xe0 jpeg")))
	require.NoError(t, err)
	return m.MediaID
}

func article(thumb, title string) offiaccount.DraftArticle {
	return offiaccount.DraftArticle{Title: title, Author: "编辑部", Content: "<p>" + title + " 的正文</p>", ThumbMediaID: thumb}
}

func TestDraftsThroughSDK(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	thumb := addThumb(t, c)

	first, err := c.AddDraft(ctx, article(thumb, "第一篇"), article(thumb, "第二篇"))
	require.NoError(t, err)
	arts, err := c.GetDraft(ctx, first)
	require.NoError(t, err)
	require.Len(t, arts, 2)
	assert.Equal(t, "第二篇", arts[1].Title)
	assert.Equal(t, offiaccount.ArticleTypeNews, arts[0].ArticleType)
	assert.Equal(t, "<p>第一篇 的正文</p>", arts[0].Digest, "an empty digest is taken from the content")
	assert.NotEmpty(t, arts[0].URL)
	assert.NotEmpty(t, arts[0].ThumbURL)

	// Paging: newest first, count and offset as documented.
	for i := 0; i < 3; i++ {
		_, err := c.AddDraft(ctx, article(thumb, "草稿"+string(rune('A'+i))))
		require.NoError(t, err)
	}
	n, err := c.CountDrafts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	page, err := c.ListDrafts(ctx, 1, 2, true)
	require.NoError(t, err)
	assert.Equal(t, 4, page.TotalCount)
	assert.Equal(t, 2, page.ItemCount)
	assert.Equal(t, "草稿B", page.Item[0].Content.NewsItem[0].Title)
	assert.Equal(t, "草稿A", page.Item[1].Content.NewsItem[0].Title)
	assert.Empty(t, page.Item[0].Content.NewsItem[0].Content, "no_content leaves the content out")
	assert.Equal(t, sdkStart.Unix(), page.Item[0].UpdateTime)
	page, err = c.ListDrafts(ctx, 3, 20, false)
	require.NoError(t, err)
	require.Len(t, page.Item, 1)
	assert.Equal(t, first, page.Item[0].MediaID)
	assert.NotEmpty(t, page.Item[0].Content.NewsItem[0].Content)
	page, err = c.ListDrafts(ctx, 10, 20, false)
	require.NoError(t, err)
	assert.Empty(t, page.Item)

	// Update one article, with WeChat's errcodes for a wrong draft or index.
	require.NoError(t, c.UpdateDraft(ctx, first, 1, article(thumb, "改过的第二篇")))
	arts, err = c.GetDraft(ctx, first)
	require.NoError(t, err)
	assert.Equal(t, "改过的第二篇", arts[1].Title)
	requireCode(t, c.UpdateDraft(ctx, first, 2, article(thumb, "x")), offiaccount.CodeInvalidDraftIndex)
	requireCode(t, c.UpdateDraft(ctx, "nope", 0, article(thumb, "x")), offiaccount.CodeInvalidMediaID)
	assert.Equal(t, "改过的第二篇", p.Drafts(sdkAppID)[0].Articles[1].Title)

	require.NoError(t, c.DeleteDraft(ctx, first))
	requireCode(t, c.DeleteDraft(ctx, first), offiaccount.CodeInvalidMediaID)
	_, err = c.GetDraft(ctx, first)
	requireCode(t, err, offiaccount.CodeInvalidMediaID)
	n, err = c.CountDrafts(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n)

	// Covers and pictures must be permanent materials of the account.
	_, err = c.AddDraft(ctx, article("not-a-material", "x"))
	requireCode(t, err, offiaccount.CodeInvalidMediaID)
	img, err := c.AddMaterial(ctx, offiaccount.MediaImage, "pic.png", strings.NewReader("png"))
	require.NoError(t, err)
	pic := offiaccount.DraftArticle{ArticleType: offiaccount.ArticleTypeNewsPic, Title: "图片消息", Content: "看图",
		ImageInfo: &offiaccount.ArticleImageInfo{ImageList: []offiaccount.ArticleImage{{ImageMediaID: img.MediaID}}}}
	_, err = c.AddDraft(ctx, pic)
	require.NoError(t, err)
	pic.ImageInfo.ImageList[0].ImageMediaID = "unknown"
	_, err = c.AddDraft(ctx, pic)
	requireCode(t, err, offiaccount.CodeInvalidMediaID)
}

func TestDraftRefusalsBypassingTheSDK(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	thumb := addThumb(t, c)
	art := func(field, value string) string {
		fields := map[string]string{"title": `"t"`, "content": `"c"`, "thumb_media_id": `"` + thumb + `"`}
		fields[field] = value
		var b strings.Builder
		b.WriteString(`{"articles":[{`)
		sep := ""
		for _, k := range []string{"title", "content", "thumb_media_id", "author", "digest", "content_source_url", "article_type"} {
			if v, ok := fields[k]; ok {
				b.WriteString(sep + `"` + k + `":` + v)
				sep = ","
			}
		}
		b.WriteString(`}]}`)
		return b.String()
	}
	q := func(s string) string { return `"` + s + `"` }
	tests := []struct {
		name, body string
		code       int
	}{
		{"ok", art("title", q(strings.Repeat("字", 32))), 0},
		{"title", art("title", q(strings.Repeat("字", 33))), offiaccount.CodeTitleSizeLimit},
		{"author", art("author", q(strings.Repeat("字", 17))), offiaccount.CodeAuthorSizeLimit},
		{"digest", art("digest", q(strings.Repeat("字", 129))), offiaccount.CodeDigestSizeLimit},
		{"content", art("content", q(strings.Repeat("a", 20000))), offiaccount.CodeContentSizeLimit},
		{"source url", art("content_source_url", q(strings.Repeat("u", 1025))), offiaccount.CodeSourceURLSizeLimit},
		{"empty title", art("title", q("")), 44003},
		{"type", art("article_type", q("video")), 40097},
		{"newspic without pictures", art("article_type", q("newspic")), 40097},
		{"no articles", `{"articles":[]}`, 44003},
		{"nine articles", `{"articles":[{},{},{},{},{},{},{},{},{}]}`, 45008},
		{"not JSON", `{"articles":`, 47001},
		{"empty body", ``, 44002},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.code, rawPost(t, p, c, "/cgi-bin/draft/add", tc.body), tc.name)
	}
	assert.Len(t, p.Drafts(sdkAppID), 1, "only the valid draft was stored")
	assert.Equal(t, 40097, rawPost(t, p, c, "/cgi-bin/draft/batchget", `{"offset":0,"count":21}`))
	assert.Equal(t, 40097, rawPost(t, p, c, "/cgi-bin/draft/batchget", `{"offset":-1,"count":1}`))
	assert.Equal(t, 40007, rawPost(t, p, c, "/cgi-bin/draft/get", `{"media_id":""}`))
	assert.Equal(t, 44003, rawPost(t, p, c, "/cgi-bin/draft/update", `{"media_id":"`+p.Drafts(sdkAppID)[0].MediaID+`","index":0}`))
	assert.Equal(t, 43002, rawCallGetDraftAdd(t, p, c), "POST only")
}

func rawCallGetDraftAdd(t *testing.T, p *offiaccounttest.Platform, c *offiaccount.Client) int {
	code, _ := rawCall(t, p, "GET", "/cgi-bin/draft/add", map[string][]string{"access_token": {token(t, c)}}, "", nil)
	return code
}

func TestDraftSwitchOnFake(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	open, err := c.CheckDraftSwitch(ctx)
	require.NoError(t, err)
	assert.True(t, open, "every account has the draft box since the beta ended")

	p.SetDraftSwitch(sdkAppID, false)
	open, err = c.CheckDraftSwitch(ctx)
	require.NoError(t, err)
	assert.False(t, open)
	open, err = c.CheckDraftSwitch(ctx)
	require.NoError(t, err)
	assert.False(t, open, "checkonly does not switch it on")
	open, err = c.SwitchDraft(ctx)
	require.NoError(t, err)
	assert.True(t, open)
	open, err = c.CheckDraftSwitch(ctx)
	require.NoError(t, err)
	assert.True(t, open)
}

func TestEachDraftAndPublishedArticle(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	thumb := addThumb(t, c)
	var ids []string
	for i := 0; i < 45; i++ {
		id, err := c.AddDraft(ctx, article(thumb, "草稿"))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	var pages []int
	var seen []string
	require.NoError(t, c.EachDraft(ctx, true, func(drafts []offiaccount.DraftItem) error {
		pages = append(pages, len(drafts))
		for _, d := range drafts {
			seen = append(seen, d.MediaID)
		}
		return nil
	}))
	assert.Equal(t, []int{20, 20, 5}, pages)
	require.Len(t, seen, 45)
	assert.Equal(t, ids[44], seen[0], "newest first")
	assert.Equal(t, ids[0], seen[44])

	stop := errors.New("stop")
	calls := 0
	err := c.EachDraft(ctx, true, func([]offiaccount.DraftItem) error { calls++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, calls)

	for _, id := range ids[:3] {
		_, err := c.SubmitPublish(ctx, id)
		require.NoError(t, err)
	}
	p.Advance(offiaccounttest.PublishDelay)
	var published []string
	require.NoError(t, c.EachPublishedArticle(ctx, false, func(items []offiaccount.PublishedItem) error {
		for _, it := range items {
			published = append(published, it.ArticleID)
		}
		return nil
	}))
	assert.ElementsMatch(t, p.PublishedArticleIDs(sdkAppID), published)
	assert.Len(t, published, 3)

	// An empty list calls fn never.
	_, c2 := newSDK(t)
	require.NoError(t, c2.EachDraft(ctx, false, func([]offiaccount.DraftItem) error { t.Fatal("called"); return nil }))
}

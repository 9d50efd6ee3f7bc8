package offiaccounttest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// eventBot is a callback that records the PUBLISHJOBFINISH events it receives.
type eventBot struct {
	mu     sync.Mutex
	events []*offiaccount.Message
}

func newEventBot(t *testing.T, p *offiaccounttest.Platform) *eventBot {
	t.Helper()
	b := &eventBot{}
	h, err := offiaccount.NewHandler("publishtoken")
	require.NoError(t, err)
	h.HandleEvent(offiaccount.EventPublishJobFinish, func(_ context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		b.mu.Lock()
		b.events = append(b.events, m)
		b.mu.Unlock()
		return nil, nil
	})
	p.SetEventSender(&offiaccounttest.Sender{Handler: h, Token: "publishtoken", Account: "gh_publish"})
	return b
}

func (b *eventBot) received() []*offiaccount.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*offiaccount.Message(nil), b.events...)
}

func TestPublishJobFinishesOnTheFakeClock(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	bot := newEventBot(t, p)
	thumb := addThumb(t, c)
	mediaID, err := c.AddDraft(ctx, article(thumb, "发布测试"), article(thumb, "第二篇"))
	require.NoError(t, err)

	publishID, err := c.SubmitPublish(ctx, mediaID)
	require.NoError(t, err)
	job, err := c.GetPublishJob(ctx, publishID)
	require.NoError(t, err)
	assert.Equal(t, offiaccount.PublishStatusPublishing, job.PublishStatus)
	assert.Empty(t, job.ArticleID)
	assert.NoError(t, job.Err())
	assert.Empty(t, bot.received())
	assert.Equal(t, 1, p.PendingEvents())
	assert.Empty(t, p.PublishedArticleIDs(sdkAppID))

	p.Advance(offiaccounttest.PublishDelay - 1)
	assert.Empty(t, bot.received(), "the job is not done a second early")
	p.Advance(1)
	events := bot.received()
	require.Len(t, events, 1)
	ev := events[0]
	assert.Equal(t, "mphelper", ev.FromUserName)
	assert.Equal(t, "gh_publish", ev.ToUserName)
	assert.Equal(t, sdkStart.Add(offiaccounttest.PublishDelay).Unix(), ev.CreateTime)
	require.NotNil(t, ev.PublishEventInfo)

	job, err = c.GetPublishJob(ctx, publishID)
	require.NoError(t, err)
	assert.Equal(t, offiaccount.PublishStatusPublished, job.PublishStatus)
	assert.Equal(t, publishID, job.PublishID)
	require.NotEmpty(t, job.ArticleID)
	assert.Equal(t, 2, job.ArticleDetail.Count)
	assert.Equal(t, job.ArticleDetail, ev.PublishEventInfo.ArticleDetail, "event and freepublish/get agree")
	assert.Equal(t, job.ArticleID, ev.PublishEventInfo.ArticleID)
	assert.Equal(t, publishID, ev.PublishEventInfo.PublishID)
	assert.Equal(t, []string{job.ArticleID}, p.PublishedArticleIDs(sdkAppID))

	// A published draft leaves the draft box.
	_, err = c.GetDraft(ctx, mediaID)
	requireCode(t, err, offiaccount.CodeInvalidMediaID)

	// The article_id works where WeChat takes one, such as a menu button.
	require.NoError(t, c.CreateMenu(ctx, offiaccount.NewMenu(offiaccount.ArticleButton("最新文章", job.ArticleID))))
	menu, err := c.GetMenu(ctx)
	require.NoError(t, err)
	assert.Equal(t, job.ArticleID, menu.Menu.Buttons[0].ArticleID)

	arts, err := c.GetPublishedArticle(ctx, job.ArticleID)
	require.NoError(t, err)
	require.Len(t, arts, 2)
	assert.Equal(t, "发布测试", arts[0].Title)
	assert.Equal(t, job.ArticleDetail.Item[0].ArticleURL, arts[0].URL)

	list, err := c.ListPublishedArticles(ctx, 0, 20, true)
	require.NoError(t, err)
	assert.Equal(t, 1, list.TotalCount)
	assert.Equal(t, job.ArticleID, list.Item[0].ArticleID)
	assert.Empty(t, list.Item[0].Content.NewsItem[0].Content)

	// Deleting one article, then all: the job reads publish_status 5 at the end.
	require.NoError(t, c.DeletePublishedArticle(ctx, job.ArticleID, 2))
	arts, err = c.GetPublishedArticle(ctx, job.ArticleID)
	require.NoError(t, err)
	assert.False(t, arts[0].IsDeleted)
	assert.True(t, arts[1].IsDeleted)
	requireCode(t, c.DeletePublishedArticle(ctx, job.ArticleID, 3), 40097)
	require.NoError(t, c.DeletePublishedArticle(ctx, job.ArticleID, 0))
	job, err = c.GetPublishJob(ctx, publishID)
	require.NoError(t, err)
	assert.Equal(t, offiaccount.PublishStatusDeleted, job.PublishStatus)
	assert.ErrorIs(t, job.Err(), offiaccount.ErrPublishRemoved)

	// Unknown ids get WeChat's errcodes.
	_, err = c.GetPublishedArticle(ctx, "no-such-article")
	requireCode(t, err, offiaccount.CodeInvalidArticleID)
	requireCode(t, c.DeletePublishedArticle(ctx, "no-such-article", 0), offiaccount.CodeInvalidArticleID)
	_, err = c.SubmitPublish(ctx, mediaID)
	requireCode(t, err, offiaccount.CodeInvalidMediaID)
	_, err = c.GetPublishJob(ctx, "1")
	requireCode(t, err, 40097)
}

func TestPublishJobFailure(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	bot := newEventBot(t, p)
	thumb := addThumb(t, c)
	mediaID, err := c.AddDraft(ctx, article(thumb, "会被拒"), article(thumb, "也被拒"))
	require.NoError(t, err)

	p.FailNextPublish(sdkAppID, offiaccount.PublishStatusAuditFailed, 1, 2)
	publishID, err := c.SubmitPublish(ctx, mediaID)
	require.NoError(t, err)
	p.Advance(offiaccounttest.PublishDelay)

	events := bot.received()
	require.Len(t, events, 1)
	info := events[0].PublishEventInfo
	require.NotNil(t, info)
	assert.Equal(t, []int{1, 2}, info.FailIdx)
	assert.Empty(t, info.ArticleID)
	err = info.Err()
	assert.ErrorIs(t, err, offiaccount.ErrPublishFailed)
	assert.ErrorIs(t, err, offiaccount.ErrPublishAuditFailed)

	job, err := c.GetPublishJob(ctx, publishID)
	require.NoError(t, err)
	assert.Equal(t, offiaccount.PublishStatusAuditFailed, job.PublishStatus)
	assert.Equal(t, []int{1, 2}, job.FailIdx)

	// The draft stays for a fix, and publishes the next time.
	_, err = c.GetDraft(ctx, mediaID)
	require.NoError(t, err)
	second, err := c.SubmitPublish(ctx, mediaID)
	require.NoError(t, err)
	assert.NotEqual(t, publishID, second)
	p.Advance(offiaccounttest.PublishDelay)
	require.Len(t, bot.received(), 2)
	assert.NoError(t, bot.received()[1].PublishEventInfo.Err())
}

func TestPublishWithoutSenderRecordsTheEvent(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	mediaID, err := c.AddDraft(ctx, article(addThumb(t, c), "无回调"))
	require.NoError(t, err)
	_, err = c.SubmitPublish(ctx, mediaID)
	require.NoError(t, err)
	p.Advance(offiaccounttest.PublishDelay)
	pushed := p.PushedEvents()
	require.Len(t, pushed, 1)
	m, err := offiaccount.ParseMessage(pushed[0].Message.XML())
	require.NoError(t, err)
	assert.Equal(t, offiaccount.EventPublishJobFinish, m.Event)
	require.NotNil(t, m.PublishEventInfo)
	assert.Equal(t, offiaccount.PublishStatusPublished, m.PublishEventInfo.PublishStatus)
	assert.Equal(t, p.PublishedArticleIDs(sdkAppID), []string{m.PublishEventInfo.ArticleID})
}

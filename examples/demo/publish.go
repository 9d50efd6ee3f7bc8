package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// handlePublishJobs makes the bot hand the PUBLISHJOBFINISH events it receives to the
// publishing steps, the way a real bot would record the outcome of a publish job.
func handlePublishJobs(h *offiaccount.Handler) <-chan *offiaccount.PublishJob {
	jobs := make(chan *offiaccount.PublishJob, 4)
	h.HandleEvent(offiaccount.EventPublishJobFinish, func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		if m.PublishEventInfo != nil {
			select {
			case jobs <- m.PublishEventInfo:
			default:
			}
		}
		return nil, nil // WeChat ignores replies to events like this one
	})
	return jobs
}

// publishSteps publishes an article end to end: cover and in-article image → draft →
// submit → PUBLISHJOBFINISH at the bot → status published → article_id in a menu button.
func publishSteps(ctx context.Context, client *offiaccount.Client, p *offiaccounttest.Platform, botURL string, jobs <-chan *offiaccount.PublishJob) error {
	section("drafts and publishing (草稿箱与发布能力)")
	// The platform pushes the events it generates to the bot, in safe mode.
	p.SetEventSender(&offiaccounttest.Sender{Target: botURL, Token: token, Mode: offiaccounttest.ModeSafe,
		AppID: appID, EncodingAESKey: encodingAESKey, Account: accountID})
	defer p.SetEventSender(nil)

	cover, err := client.AddMaterial(ctx, offiaccount.MediaThumb, "cover.jpg", bytes.NewReader(demoJPEG))
	if err != nil {
		return err
	}
	imgURL, err := client.UploadArticleImage(ctx, "chart.png", bytes.NewReader([]byte("\x89PNG\r\n\x1a\n demo chart")))
	if err != nil {
		return err
	}
	ok("upload", "cover as a permanent thumb ("+short(cover.MediaID)+"), chart for the body via media/uploadimg")

	mediaID, err := client.AddDraft(ctx, offiaccount.DraftArticle{
		Title:        "SDK 发布演示",
		Author:       "offiaccount",
		Digest:       "草稿 → 发布 → PUBLISHJOBFINISH",
		Content:      `<p>本周更新。</p><img src="` + imgURL + `">`,
		ThumbMediaID: cover.MediaID,
	})
	if err != nil {
		return err
	}
	drafts, err := client.CountDrafts(ctx)
	if err != nil {
		return err
	}
	if drafts != 1 {
		return fmt.Errorf("draft box holds %d drafts, want 1", drafts)
	}
	ok("draft", "POST /cgi-bin/draft/add → media_id "+short(mediaID)+" (limits checked locally first)")

	publishID, err := client.SubmitPublish(ctx, mediaID)
	if err != nil {
		return err
	}
	job, err := client.GetPublishJob(ctx, publishID)
	if err != nil {
		return err
	}
	if job.PublishStatus != offiaccount.PublishStatusPublishing {
		return fmt.Errorf("fresh publish job %s is %s", publishID, job.PublishStatus)
	}
	ok("submit", "freepublish/submit → publish_id "+publishID+", status "+job.PublishStatus.String())

	p.Advance(offiaccounttest.PublishDelay) // the job finishes on the platform's clock
	var event *offiaccount.PublishJob
	select {
	case event = <-jobs:
	case <-time.After(5 * time.Second):
		return fmt.Errorf("no PUBLISHJOBFINISH reached the bot")
	}
	if err := event.Err(); err != nil {
		return err
	}
	if event.PublishID != publishID || event.ArticleID == "" {
		return fmt.Errorf("PUBLISHJOBFINISH for %s with article_id %q, want job %s", event.PublishID, event.ArticleID, publishID)
	}
	ok("event", fmt.Sprintf("PUBLISHJOBFINISH pushed to the bot: job %s %s, article_id %s", event.PublishID, event.PublishStatus, short(event.ArticleID)))

	job, err = client.GetPublishJob(ctx, publishID)
	if err != nil {
		return err
	}
	if job.PublishStatus != offiaccount.PublishStatusPublished || job.ArticleID != event.ArticleID {
		return fmt.Errorf("freepublish/get says %s, article_id %q; the event said %q", job.PublishStatus, job.ArticleID, event.ArticleID)
	}
	ok("status", fmt.Sprintf("freepublish/get agrees: %s, %d article at %s", job.PublishStatus, job.ArticleDetail.Count, job.ArticleDetail.Item[0].ArticleURL))

	info, err := client.GetMenu(ctx)
	if err != nil {
		return err
	}
	menu := info.Menu
	menu.Buttons = append(menu.Buttons, offiaccount.ArticleButton("最新文章", job.ArticleID))
	if err := client.CreateMenu(ctx, menu); err != nil {
		return err
	}
	info, err = client.GetMenu(ctx)
	if err != nil {
		return err
	}
	if n := len(info.Menu.Buttons); n != 3 || info.Menu.Buttons[2].ArticleID != job.ArticleID {
		return fmt.Errorf("menu after adding the article button: %+v", info.Menu.Buttons)
	}
	ok("menu", "article_id button \"最新文章\" added to the menu and read back")
	return nil
}

// short abbreviates an id for printing.
func short(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}

// demoJPEG stands in for a cover picture: the fake platform checks type and size only.
var demoJPEG = []byte("\xff\xd8\xff\xe0\x00\x10JFIF demo cover")

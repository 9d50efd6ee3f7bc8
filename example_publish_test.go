package offiaccount_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// Publishing an article against the fake platform: a cover, a draft, a publish job that
// finishes on the platform's clock, and the article_id it gives.
func ExampleClient_SubmitPublish() {
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount("wx83a9ae4f38fd6202", "SECRET"))
	defer p.Close()
	client, err := offiaccount.NewClient("wx83a9ae4f38fd6202", "SECRET", offiaccount.WithClientBaseURL(p.URL()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	cover, err := client.AddMaterial(ctx, offiaccount.MediaThumb, "cover.jpg", strings.NewReader("…jpeg…"))
	if err != nil {
		fmt.Println(err)
		return
	}
	mediaID, err := client.AddDraft(ctx, offiaccount.DraftArticle{
		Title:        "Release notes",
		Author:       "The team",
		Content:      "<p>What is new this week.</p>",
		ThumbMediaID: cover.MediaID,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	publishID, err := client.SubmitPublish(ctx, mediaID)
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := client.GetPublishJob(ctx, publishID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("status:", job.PublishStatus)

	// WeChat pushes PUBLISHJOBFINISH when the job is done; the fake does it on its clock.
	p.Advance(offiaccounttest.PublishDelay)
	job, err = client.GetPublishJob(ctx, publishID)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := job.Err(); errors.Is(err, offiaccount.ErrPublishFailed) {
		fmt.Println("failed:", err)
		return
	}
	fmt.Println("status:", job.PublishStatus)
	fmt.Println("article_id set:", job.ArticleID != "", "articles:", job.ArticleDetail.Count)

	// Too long a title is refused before anything is sent.
	_, err = client.AddDraft(ctx, offiaccount.DraftArticle{Title: strings.Repeat("标", 33), Content: "x", ThumbMediaID: cover.MediaID})
	fmt.Println(err)
	// Output:
	// status: publishing
	// status: published
	// article_id set: true articles: 1
	// offiaccount: invalid request: /cgi-bin/draft/add: articles[0]: title has 33 characters, more than 32
}

// Reading PUBLISHJOBFINISH in a callback: PublishEventInfo is typed, and Err sorts the
// failures.
func ExampleMessage_PublishEventInfo() {
	m, err := offiaccount.ParseMessage([]byte(`<xml><ToUserName><![CDATA[gh_4d00ed8d6399]]></ToUserName>
<FromUserName><![CDATA[mphelper]]></FromUserName><CreateTime>1481013459</CreateTime>
<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event>
<PublishEventInfo><publish_id>2247503051</publish_id><publish_status>4</publish_status>
<fail_idx>1</fail_idx><fail_idx>2</fail_idx></PublishEventInfo></xml>`))
	if err != nil {
		fmt.Println(err)
		return
	}
	info := m.PublishEventInfo
	fmt.Println(m.Event, info.PublishID, info.PublishStatus, info.FailIdx)
	err = info.Err()
	fmt.Println(errors.Is(err, offiaccount.ErrPublishFailed), errors.Is(err, offiaccount.ErrPublishAuditFailed))
	// Output:
	// PUBLISHJOBFINISH 2247503051 audit failed [1 2]
	// true true
}

// Any nested element, typed by the package or not, can be read with Element and Elements.
func ExampleMessage_Elements() {
	m, err := offiaccount.ParseMessage([]byte(`<xml><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>1000001625</MsgID>
<CopyrightCheckResult><Count>2</Count><ResultList>
<item><ArticleIdx>1</ArticleIdx><OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl><CanReprint>1</CanReprint></item>
<item><ArticleIdx>2</ArticleIdx><OriginalArticleUrl><![CDATA[Url_2]]></OriginalArticleUrl><CanReprint>0</CanReprint></item>
</ResultList><CheckState>2</CheckState></CopyrightCheckResult></xml>`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, item := range m.Elements("CopyrightCheckResult", "ResultList", "item") {
		idx, _ := item.TextOf("ArticleIdx")
		url, _ := item.TextOf("OriginalArticleUrl")
		fmt.Println(idx, url)
	}
	state, _ := m.Element("CopyrightCheckResult", "CheckState")
	fmt.Println("CheckState", state.Text, "typed:", m.CopyrightCheckResult.CheckState, m.CopyrightCheckResult.ResultList[0].CanReprint)
	// Output:
	// 1 Url_1
	// 2 Url_2
	// CheckState 2 typed: 2 true
}

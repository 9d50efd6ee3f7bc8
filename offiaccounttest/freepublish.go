package offiaccounttest

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/wxgo/offiaccount"
)

// Publishing (发布能力): a submitted draft becomes a publish job that finishes PublishDelay
// later on the fake clock, pushing PUBLISHJOBFINISH (push.go) to the event sender.

// PublishDelay is how long a publish job takes on the fake clock: freepublish/get answers
// publish_status 1 (发布中) until then, and PUBLISHJOBFINISH is due at its end.
const PublishDelay = 30 * time.Second

// publishHelperOpenID is the FromUserName of PUBLISHJOBFINISH: the account's mass-send
// assistant (群发助手), "mphelper" in WeChat's documentation.
const publishHelperOpenID = "mphelper"

// Publish job states (publish_status).
const (
	publishStatusPublishing = 1
	publishStatusDeleted    = 5
)

// publishOutcome is how a publish job ends: a publish_status and the failed articles.
type publishOutcome struct {
	status  int
	failIdx []int
}

// publishJob is one freepublish/submit. Its outcome is fixed when it is submitted and
// becomes visible at done.
type publishJob struct {
	id      string
	done    time.Time
	outcome publishOutcome
	record  *publishedRecord // nil unless the outcome is published
}

// publishedRecord is a published message: its articles and article_id.
type publishedRecord struct {
	articleID string
	articles  []ArticleRecord
	urls      []string
	visible   time.Time // the job's end; invisible before
}

// FailNextPublish makes appID's next publish job end with publish_status status
// (offiaccount.PublishStatusOriginalFailed, PublishStatusFailed or PublishStatusAuditFailed)
// and the failed articles failIdx (from 1), instead of publishing. Calls queue up like
// FailNext.
func (p *Platform) FailNextPublish(appID string, status offiaccount.PublishStatus, failIdx ...int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		s := a.publishing()
		s.outcomes = append(s.outcomes, publishOutcome{int(status), slices.Clone(failIdx)})
	}
}

// PublishedArticleIDs returns the article_ids appID has published so far (jobs that
// finished on the fake clock), oldest first.
func (p *Platform) PublishedArticleIDs(appID string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	var ids []string
	for _, rec := range a.publishing().published {
		if !p.now.Before(rec.visible) {
			ids = append(ids, rec.articleID)
		}
	}
	return ids
}

// handlePublishSubmit is POST /cgi-bin/freepublish/submit {"media_id":…}: starts a job
// that ends PublishDelay later and pushes PUBLISHJOBFINISH then. A draft that publishes
// leaves the draft box.
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_submit.html
func (p *Platform) handlePublishSubmit(r *request) (any, int) {
	var in mediaIDBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	s := r.acct.publishing()
	i := s.draftIndex(in.MediaID)
	if i < 0 {
		return nil, codeInvalidMediaID
	}
	draft := s.drafts[i]
	s.nextID++
	job := &publishJob{id: strconv.FormatInt(s.nextID, 10), done: p.now.Add(PublishDelay)}
	if len(s.outcomes) > 0 {
		job.outcome, s.outcomes = s.outcomes[0], s.outcomes[1:]
	} else {
		rec := &publishedRecord{articleID: randomString(32), articles: slices.Clone(draft.Articles), visible: job.done}
		for k := range rec.articles {
			url := "https://mp.weixin.qq.com/s/" + randomString(16)
			rec.articles[k].URL = url
			rec.urls = append(rec.urls, url)
		}
		job.record = rec
		s.published = append(s.published, rec)
		s.drafts = slices.Delete(s.drafts, i, i+1)
	}
	s.jobs[job.id] = job
	p.scheduleEventLocked(job.done, publishEvent(job))
	// The event is due later, never now; flushEvents runs when the clock moves.
	return struct {
		apiError
		PublishID string `json:"publish_id"`
		MsgDataID int64  `json:"msg_data_id"`
	}{okBody, job.id, s.nextID}, 0
}

// publishEvent is the PUBLISHJOBFINISH event of a finished job, shaped like the examples of
// WeChat's documentation.
func publishEvent(job *publishJob) UserMessage {
	num := func(name string, n int) Field {
		return Field{Name: name, Value: strconv.Itoa(n), Number: true}
	}
	info := []Field{
		{Name: "publish_id", Value: job.id, Number: true},
		num("publish_status", job.outcome.status),
	}
	if rec := job.record; rec != nil {
		detail := []Field{num("count", len(rec.urls))}
		for k, u := range rec.urls {
			detail = append(detail, Field{Name: "item", Children: []Field{num("idx", k+1), {Name: "article_url", Value: u}}})
		}
		info = append(info, Field{Name: "article_id", Value: rec.articleID}, Field{Name: "article_detail", Children: detail})
	}
	for _, idx := range job.outcome.failIdx {
		info = append(info, num("fail_idx", idx))
	}
	m := Event(publishHelperOpenID, "PUBLISHJOBFINISH", "", Field{Name: "PublishEventInfo", Children: info})
	m.CreateTime = job.done.Unix()
	return m
}

type publishArticleItem struct {
	Idx        int    `json:"idx"`
	ArticleURL string `json:"article_url"`
}

// handlePublishGet is POST /cgi-bin/freepublish/get {"publish_id":…}: publish_status 1
// until the job's end on the fake clock, then its outcome; 5 once every article is deleted.
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_get.html
func (p *Platform) handlePublishGet(r *request) (any, int) {
	var in struct {
		PublishID json.RawMessage `json:"publish_id"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	var id string
	if json.Unmarshal(in.PublishID, &id) != nil {
		id = string(in.PublishID) // a number
	}
	job, ok := r.acct.publishing().jobs[id]
	if !ok {
		return nil, codeInvalidArgs
	}
	out := struct {
		PublishID     string `json:"publish_id"`
		PublishStatus int    `json:"publish_status"`
		ArticleID     string `json:"article_id,omitempty"`
		ArticleDetail *struct {
			Count int                  `json:"count"`
			Item  []publishArticleItem `json:"item"`
		} `json:"article_detail,omitempty"`
		FailIdx []int `json:"fail_idx"`
	}{PublishID: job.id, PublishStatus: publishStatusPublishing, FailIdx: []int{}}
	if p.now.Before(job.done) {
		return out, 0
	}
	out.PublishStatus = job.outcome.status
	if job.outcome.failIdx != nil {
		out.FailIdx = slices.Clone(job.outcome.failIdx)
	}
	if rec := job.record; rec != nil {
		out.ArticleID = rec.articleID
		out.ArticleDetail = &struct {
			Count int                  `json:"count"`
			Item  []publishArticleItem `json:"item"`
		}{Count: len(rec.urls)}
		deleted := 0
		for k, u := range rec.urls {
			out.ArticleDetail.Item = append(out.ArticleDetail.Item, publishArticleItem{k + 1, u})
			if rec.articles[k].IsDeleted {
				deleted++
			}
		}
		if deleted == len(rec.articles) {
			out.PublishStatus = publishStatusDeleted
		}
	}
	return out, 0
}

// visibleArticleLocked finds a published message by article_id; 53600 when there is none
// (yet).
func (p *Platform) visibleArticleLocked(a *account, articleID string) (*publishedRecord, int) {
	for _, rec := range a.publishing().published {
		if rec.articleID == articleID && articleID != "" && !p.now.Before(rec.visible) {
			return rec, 0
		}
	}
	return nil, codeInvalidArticleID
}

// handlePublishDelete is POST /cgi-bin/freepublish/delete {"article_id","index"}: index 0
// or none deletes every article, 1 to n the one at that position.
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublishdelete.html
func (p *Platform) handlePublishDelete(r *request) (any, int) {
	var in struct {
		ArticleID string `json:"article_id"`
		Index     int    `json:"index"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	rec, code := p.visibleArticleLocked(r.acct, in.ArticleID)
	if code != 0 {
		return nil, code
	}
	if in.Index < 0 || in.Index > len(rec.articles) {
		return nil, codeInvalidArgs
	}
	rec.articles = slices.Clone(rec.articles) // copies handed out stay as they were
	for k := range rec.articles {
		if in.Index == 0 || in.Index == k+1 {
			rec.articles[k].IsDeleted = true
		}
	}
	return okBody, 0
}

// handlePublishGetArticle is POST /cgi-bin/freepublish/getarticle {"article_id":…}.
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublishgetarticle.html
func (p *Platform) handlePublishGetArticle(r *request) (any, int) {
	var in struct {
		ArticleID string `json:"article_id"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	rec, code := p.visibleArticleLocked(r.acct, in.ArticleID)
	if code != 0 {
		return nil, code
	}
	return newsItems{slices.Clone(rec.articles)}, 0
}

type publishedPageItem struct {
	ArticleID  string    `json:"article_id"`
	Content    newsItems `json:"content"`
	UpdateTime int64     `json:"update_time"`
}

// handlePublishBatchGet is POST /cgi-bin/freepublish/batchget {"offset","count",
// "no_content"}: the finished publications, newest first.
// https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_batchget.html
func (p *Platform) handlePublishBatchGet(r *request) (any, int) {
	in, code := decodePage(r)
	if code != 0 {
		return nil, code
	}
	var all []*publishedRecord
	for _, rec := range r.acct.publishing().published {
		if !p.now.Before(rec.visible) {
			all = append(all, rec)
		}
	}
	return newestFirstPage(all, in, func(rec *publishedRecord) publishedPageItem {
		return publishedPageItem{rec.articleID, newsItems{pageArticles(rec.articles, in.NoContent)}, rec.visible.Unix()}
	}), 0
}

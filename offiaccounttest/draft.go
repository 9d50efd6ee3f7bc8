package offiaccounttest

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Drafts (草稿箱) and, in freepublish.go, publishing (发布能力).

// WeChat's errcodes of the draft and publishing APIs.
const (
	codeContentSizeLimit   = 45002
	codeTitleSizeLimit     = 45003
	codeDigestSizeLimit    = 45004
	codeSourceURLSizeLimit = 45005
	codeAuthorSizeLimit    = 45110
	codeInvalidDraftIndex  = 40114
	codeDraftCheckFailed   = 53503
	codeInvalidArticleID   = 53600
)

// Limits of drafts as WeChat applies them.
const (
	maxDraftArticles  = 8
	maxDraftPage      = 20
	maxNewsPicImages  = 20
	maxTitleRunes     = 32
	maxAuthorRunes    = 16
	maxDigestRunes    = 128
	maxContentRunes   = 20000 // exclusive
	maxContentBytes   = 1 << 20
	maxSourceURLBytes = 1024
)

// ArticleRecord is one article of a draft or of a published message, in WeChat's JSON shape.
type ArticleRecord struct {
	ArticleType        string `json:"article_type,omitempty"`
	Title              string `json:"title"`
	Author             string `json:"author"`
	Digest             string `json:"digest"`
	Content            string `json:"content"`
	ContentSourceURL   string `json:"content_source_url"`
	ThumbMediaID       string `json:"thumb_media_id"`
	NeedOpenComment    int    `json:"need_open_comment"`
	OnlyFansCanComment int    `json:"only_fans_can_comment"`
	PicCrop2351        string `json:"pic_crop_235_1,omitempty"`
	PicCrop11          string `json:"pic_crop_1_1,omitempty"`
	ImageInfo          *struct {
		ImageList []struct {
			ImageMediaID string `json:"image_media_id"`
		} `json:"image_list"`
	} `json:"image_info,omitempty"`
	CoverInfo   any    `json:"cover_info,omitempty"`
	ProductInfo any    `json:"product_info,omitempty"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url,omitempty"`
	IsDeleted   bool   `json:"is_deleted,omitempty"` // published articles only
}

// DraftRecord is a draft the platform holds.
type DraftRecord struct {
	MediaID    string
	Articles   []ArticleRecord
	UpdateTime time.Time // on the fake clock
}

// publishState is an account's drafts and publish jobs (draft.go, freepublish.go).
type publishState struct {
	drafts      []*DraftRecord // oldest first
	draftClosed bool           // the draft box switch; open unless SetDraftSwitch closed it
	jobs        map[string]*publishJob
	published   []*publishedRecord // oldest first
	nextID      int64
	outcomes    []publishOutcome // queued by FailNextPublish
}

func (a *account) publishing() *publishState {
	if a.publish == nil {
		a.publish = &publishState{jobs: make(map[string]*publishJob), nextID: 2247503050}
	}
	return a.publish
}

func (s *publishState) draftIndex(mediaID string) int {
	return slices.IndexFunc(s.drafts, func(d *DraftRecord) bool { return d.MediaID == mediaID })
}

// Drafts returns copies of appID's drafts, oldest first.
func (p *Platform) Drafts(appID string) []DraftRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	var out []DraftRecord
	for _, d := range a.publishing().drafts {
		c := *d
		c.Articles = slices.Clone(d.Articles)
		out = append(out, c)
	}
	return out
}

// SetDraftSwitch sets appID's draft box switch (草稿箱开关), as /cgi-bin/draft/switch reports
// it. WeChat has switched every account on since the beta ended, so it starts on.
func (p *Platform) SetDraftSwitch(appID string, open bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		a.publishing().draftClosed = !open
	}
}

// publishRoute maps the paths of drafts and publishing to their endpoints.
func publishRoute(path string) (route, bool) {
	var fn func(p *Platform, r *request) (any, int)
	post := true
	switch path {
	case "/cgi-bin/draft/add":
		fn = (*Platform).handleDraftAdd
	case "/cgi-bin/draft/get":
		fn = (*Platform).handleDraftGet
	case "/cgi-bin/draft/update":
		fn = (*Platform).handleDraftUpdate
	case "/cgi-bin/draft/delete":
		fn = (*Platform).handleDraftDelete
	case "/cgi-bin/draft/count":
		fn, post = (*Platform).handleDraftCount, false
	case "/cgi-bin/draft/batchget":
		fn = (*Platform).handleDraftBatchGet
	case "/cgi-bin/draft/switch":
		fn = (*Platform).handleDraftSwitch
	case "/cgi-bin/freepublish/submit":
		fn = (*Platform).handlePublishSubmit
	case "/cgi-bin/freepublish/get":
		fn = (*Platform).handlePublishGet
	case "/cgi-bin/freepublish/delete":
		fn = (*Platform).handlePublishDelete
	case "/cgi-bin/freepublish/getarticle":
		fn = (*Platform).handlePublishGetArticle
	case "/cgi-bin/freepublish/batchget":
		fn = (*Platform).handlePublishBatchGet
	default:
		return route{}, false
	}
	return apiRoute(fn, post, true, 0), true
}

// checkArticleLocked applies WeChat's rules to one article of a draft: the documented
// lengths, and covers and pictures that are permanent materials of the account.
func (p *Platform) checkArticleLocked(a *account, art *ArticleRecord) int {
	runes := utf8.RuneCountInString
	switch {
	case art.ArticleType != "" && art.ArticleType != "news" && art.ArticleType != "newspic":
		return codeInvalidArgs
	case art.Title == "" || art.Content == "":
		return codeEmptyNews
	case runes(art.Title) > maxTitleRunes:
		return codeTitleSizeLimit
	case runes(art.Author) > maxAuthorRunes:
		return codeAuthorSizeLimit
	case runes(art.Digest) > maxDigestRunes:
		return codeDigestSizeLimit
	case runes(art.Content) >= maxContentRunes || len(art.Content) >= maxContentBytes:
		return codeContentSizeLimit
	case len(art.ContentSourceURL) > maxSourceURLBytes:
		return codeSourceURLSizeLimit
	}
	if art.ArticleType == "newspic" {
		if art.ImageInfo == nil || len(art.ImageInfo.ImageList) == 0 || len(art.ImageInfo.ImageList) > maxNewsPicImages {
			return codeInvalidArgs
		}
		for _, img := range art.ImageInfo.ImageList {
			if a.media.materialIndex(img.ImageMediaID) < 0 {
				return codeInvalidMediaID
			}
		}
		return 0
	}
	if art.ThumbMediaID == "" || a.media.materialIndex(art.ThumbMediaID) < 0 {
		return codeInvalidMediaID
	}
	return 0
}

// prepareArticleLocked fills in what WeChat adds to a stored article.
func (p *Platform) prepareArticleLocked(a *account, art *ArticleRecord, mediaID string, i int) {
	if art.ArticleType == "" {
		art.ArticleType = "news"
	}
	if art.Digest == "" {
		art.Digest = string([]rune(art.Content)[:min(54, utf8.RuneCountInString(art.Content))])
	}
	if i := a.media.materialIndex(art.ThumbMediaID); i >= 0 {
		art.ThumbURL = "http://mmbiz.qpic.cn/mmbiz_jpg/" + a.media.materials[i].id + "/0"
	}
	art.URL = "http://mp.weixin.qq.com/s?__biz=" + a.appID + "&tempkey=" + mediaID + "&idx=" + strconv.Itoa(i+1)
	art.IsDeleted = false
}

// handleDraftAdd is POST /cgi-bin/draft/add {"articles":[…]}: 1 to 8 articles.
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add.html
func (p *Platform) handleDraftAdd(r *request) (any, int) {
	var in struct {
		Articles []ArticleRecord `json:"articles"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	if len(in.Articles) == 0 {
		return nil, codeEmptyNews
	}
	if len(in.Articles) > maxDraftArticles {
		return nil, codeArticleLimit
	}
	for i := range in.Articles {
		if code := p.checkArticleLocked(r.acct, &in.Articles[i]); code != 0 {
			return nil, code
		}
	}
	d := &DraftRecord{MediaID: randomString(32), Articles: in.Articles, UpdateTime: p.now}
	for i := range d.Articles {
		p.prepareArticleLocked(r.acct, &d.Articles[i], d.MediaID, i)
	}
	s := r.acct.publishing()
	s.drafts = append(s.drafts, d)
	return mediaIDBody{MediaID: d.MediaID}, 0
}

// handleDraftGet is POST /cgi-bin/draft/get {"media_id":…}; 40007 for an unknown draft.
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_getdraft.html
func (p *Platform) handleDraftGet(r *request) (any, int) {
	var in mediaIDBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	s := r.acct.publishing()
	i := s.draftIndex(in.MediaID)
	if i < 0 {
		return nil, codeInvalidMediaID
	}
	return newsItems{slices.Clone(s.drafts[i].Articles)}, 0
}

type newsItems struct {
	NewsItem []ArticleRecord `json:"news_item"`
}

// handleDraftUpdate is POST /cgi-bin/draft/update {"media_id","index","articles":{…}};
// 40114 for an index outside the draft.
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_update.html
func (p *Platform) handleDraftUpdate(r *request) (any, int) {
	var in struct {
		MediaID  string         `json:"media_id"`
		Index    int            `json:"index"`
		Articles *ArticleRecord `json:"articles"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	s := r.acct.publishing()
	i := s.draftIndex(in.MediaID)
	switch {
	case i < 0:
		return nil, codeInvalidMediaID
	case in.Articles == nil:
		return nil, codeEmptyNews
	case in.Index < 0 || in.Index >= len(s.drafts[i].Articles):
		return nil, codeInvalidDraftIndex
	}
	if code := p.checkArticleLocked(r.acct, in.Articles); code != 0 {
		return nil, code
	}
	d := s.drafts[i]
	p.prepareArticleLocked(r.acct, in.Articles, d.MediaID, in.Index)
	d.Articles = slices.Clone(d.Articles) // copies handed out stay as they were
	d.Articles[in.Index] = *in.Articles
	d.UpdateTime = p.now
	return okBody, 0
}

// handleDraftDelete is POST /cgi-bin/draft/delete {"media_id":…}.
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_delete.html
func (p *Platform) handleDraftDelete(r *request) (any, int) {
	var in mediaIDBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	s := r.acct.publishing()
	i := s.draftIndex(in.MediaID)
	if i < 0 {
		return nil, codeInvalidMediaID
	}
	s.drafts = slices.Delete(s.drafts, i, i+1)
	return okBody, 0
}

// handleDraftCount is GET /cgi-bin/draft/count.
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_count.html
func (p *Platform) handleDraftCount(r *request) (any, int) {
	return struct {
		TotalCount int `json:"total_count"`
	}{len(r.acct.publishing().drafts)}, 0
}

// pageBody is the body of draft/batchget and freepublish/batchget.
type pageBody struct {
	Offset    int `json:"offset"`
	Count     int `json:"count"`
	NoContent int `json:"no_content"`
}

// decodePage reads a page request: offset from 0, count 1 to 20 (40097 otherwise).
func decodePage(r *request) (pageBody, int) {
	var in pageBody
	if code := r.decode(&in); code != 0 {
		return in, code
	}
	if in.Offset < 0 || in.Count < 1 || in.Count > maxDraftPage {
		return in, codeInvalidArgs
	}
	return in, 0
}

// pageArticles copies articles for a page, without their content when noContent is 1.
func pageArticles(arts []ArticleRecord, noContent int) []ArticleRecord {
	out := slices.Clone(arts)
	if noContent == 1 {
		for i := range out {
			out[i].Content = ""
		}
	}
	return out
}

type draftPageItem struct {
	MediaID    string    `json:"media_id"`
	Content    newsItems `json:"content"`
	UpdateTime int64     `json:"update_time"`
}

// handleDraftBatchGet is POST /cgi-bin/draft/batchget {"offset","count","no_content"}:
// newest first.
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_batchget.html
func (p *Platform) handleDraftBatchGet(r *request) (any, int) {
	in, code := decodePage(r)
	if code != 0 {
		return nil, code
	}
	return newestFirstPage(r.acct.publishing().drafts, in, func(d *DraftRecord) draftPageItem {
		return draftPageItem{d.MediaID, newsItems{pageArticles(d.Articles, in.NoContent)}, d.UpdateTime.Unix()}
	}), 0
}

// newestFirstPage answers a batchget: in.Count items from in.Offset of all, counted from its
// end (the newest), each made by item, with the totals WeChat puts around them.
func newestFirstPage[R, I any](all []R, in pageBody, item func(R) I) any {
	page := []I{}
	for k := len(all) - 1 - in.Offset; k >= 0 && len(page) < in.Count; k-- {
		page = append(page, item(all[k]))
	}
	return struct {
		TotalCount int `json:"total_count"`
		ItemCount  int `json:"item_count"`
		Item       []I `json:"item"`
	}{len(all), len(page), page}
}

// handleDraftSwitch is POST /cgi-bin/draft/switch[?checkonly=1]: reports the switch, and
// switches it on unless checkonly is 1. It cannot be switched off.
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_switch.html
func (p *Platform) handleDraftSwitch(r *request) (any, int) {
	s := r.acct.publishing()
	if r.get("checkonly") != "1" {
		s.draftClosed = false
	}
	open := 1
	if s.draftClosed {
		open = 0
	}
	return struct {
		apiError
		IsOpen int `json:"is_open"`
	}{okBody, open}, 0
}

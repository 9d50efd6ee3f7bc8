package offiaccount

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Drafts (草稿箱): articles are written into the draft box, then published from it with
// SubmitPublish (freepublish.go). Since July 2025 WeChat offers both APIs only to verified
// accounts.

// WeChat errcodes of the draft API.
const (
	CodeInvalidDraftIndex        = 40114 // draft/update: index out of the draft's articles
	CodeTitleSizeLimit           = 45003 // title too long
	CodeDigestSizeLimit          = 45004 // digest too long
	CodeSourceURLSizeLimit       = 45005 // content_source_url too long
	CodeContentSizeLimit         = 45002 // content too long
	CodeAuthorSizeLimit          = 45110 // author too long
	CodeProductAbilityRestricted = 53404 // 账号已被限制带货能力: remove the product and retry
	CodeInvalidProduct           = 53405 // 插入的商品信息有误
	CodeProductAbilityNotOpen    = 53406 // 请先开通带货能力
)

// ArticleType is the kind of a draft article (article_type).
type ArticleType string

// Article kinds of a draft.
const (
	ArticleTypeNews    ArticleType = "news"    // 图文消息: the default
	ArticleTypeNewsPic ArticleType = "newspic" // 图片消息: pictures with a short text
)

// Documented limits of a draft article, checked before a draft is sent: Runes counts
// characters (字), Bytes counts UTF-8 bytes.
const (
	MaxDraftArticles          = 8       // articles of one draft (多图文)
	MaxArticleTitleRunes      = 32      // title
	MaxArticleAuthorRunes     = 16      // author
	MaxArticleDigestRunes     = 128     // digest
	MaxArticleContentRunes    = 20000   // content, exclusive ("少于2万字符")
	MaxArticleContentBytes    = 1 << 20 // content, exclusive ("小于1M")
	MaxArticleSourceURLBytes  = 1024    // content_source_url
	MaxNewsPicImages          = 20      // image_info.image_list of a newspic article
	MaxArticleMediaIDBytes    = 128     // thumb_media_id, image_media_id
	MaxDraftListCount         = 20      // count of draft/batchget and freepublish/batchget
	articlePicCropCoordinates = 4
)

// DraftArticle is one article of a draft, in WeChat's JSON shape. Write Title, Content and,
// for a news article, ThumbMediaID (a permanent material, AddMaterial with MediaThumb or
// MediaImage); a newspic article takes its pictures in ImageInfo instead. Images inside
// Content must be uploaded with UploadArticleImage first: WeChat drops external images.
//
// The fields after ProductInfo are filled in by WeChat in what GetDraft, ListDrafts,
// GetPublishedArticle and ListPublishedArticles return, and ignored when sent.
type DraftArticle struct {
	ArticleType        ArticleType `json:"article_type,omitempty"` // ArticleTypeNews (default) or ArticleTypeNewsPic
	Title              string      `json:"title"`
	Author             string      `json:"author,omitempty"`
	Digest             string      `json:"digest,omitempty"` // summary of a single-article draft; WeChat takes the first 54 characters of content when empty
	Content            string      `json:"content"`          // HTML, scripts removed by WeChat
	ContentSourceURL   string      `json:"content_source_url,omitempty"`
	ThumbMediaID       string      `json:"thumb_media_id,omitempty"`        // cover, required for news
	NeedOpenComment    int         `json:"need_open_comment,omitempty"`     // 1 opens comments
	OnlyFansCanComment int         `json:"only_fans_can_comment,omitempty"` // 1 restricts comments to followers
	// PicCrop2351 and PicCrop11 crop the cover to 2.35:1 and 1:1, as "X1_Y1_X2_Y2" with
	// coordinates from 0 to 1 relative to the picture, e.g. "0.1945_0_1_0.5236".
	PicCrop2351 string `json:"pic_crop_235_1,omitempty"`
	PicCrop11   string `json:"pic_crop_1_1,omitempty"`

	ImageInfo   *ArticleImageInfo   `json:"image_info,omitempty"`   // newspic: the pictures
	CoverInfo   *ArticleCoverInfo   `json:"cover_info,omitempty"`   // newspic: crops of the cover (the first picture)
	ProductInfo *ArticleProductInfo `json:"product_info,omitempty"` // newspic: a product card at the end

	URL       string `json:"url,omitempty"`        // answer only: the article's temporary or permanent link
	ThumbURL  string `json:"thumb_url,omitempty"`  // answer only: the cover's URL
	IsDeleted bool   `json:"is_deleted,omitempty"` // answer only: a published article that was deleted
}

// ArticleImageInfo lists the pictures of a newspic article, at most MaxNewsPicImages.
type ArticleImageInfo struct {
	ImageList []ArticleImage `json:"image_list"`
}

// ArticleImage is one picture of a newspic article: a permanent image material.
type ArticleImage struct {
	ImageMediaID string `json:"image_media_id"`
}

// ArticleCoverInfo holds the crops of a newspic article's cover.
type ArticleCoverInfo struct {
	CropPercentList []ArticleCrop `json:"crop_percent_list"`
}

// ArticleCrop is one crop of a cover: Ratio "1_1", "16_9" or "2.35_1", and the corners as
// fractions of the picture's width and height, from 0 to 1.
type ArticleCrop struct {
	Ratio string `json:"ratio"`
	X1    string `json:"x1"`
	Y1    string `json:"y1"`
	X2    string `json:"x2"`
	Y2    string `json:"y2"`
}

// ArticleProductInfo puts a product card at the end of a newspic article.
type ArticleProductInfo struct {
	FooterProductInfo ArticleFooterProduct `json:"footer_product_info"`
}

// ArticleFooterProduct names the product of the card by the product_key WeChat's product
// card API returns.
type ArticleFooterProduct struct {
	ProductKey string `json:"product_key"`
}

const pathDraftAdd = "/cgi-bin/draft/add"

// Validate reports the first documented limit a breaks (an empty or too long title, a news
// article without its cover, too many pictures, ...), naming the field and the limit. The
// error matches ErrInvalidRequest. AddDraft and UpdateDraft call it for every article.
func (a *DraftArticle) Validate() error { return a.validate(pathDraftAdd, "") }

func (a *DraftArticle) validate(path, where string) error {
	bad := func(format string, args ...any) error {
		return invalidf(path, where+format, args...)
	}
	runes := utf8.RuneCountInString
	switch {
	case a.ArticleType != "" && a.ArticleType != ArticleTypeNews && a.ArticleType != ArticleTypeNewsPic:
		return bad("article_type %q is neither news nor newspic", a.ArticleType)
	case strings.TrimSpace(a.Title) == "":
		return bad("empty title")
	case runes(a.Title) > MaxArticleTitleRunes:
		return bad("title has %d characters, more than %d", runes(a.Title), MaxArticleTitleRunes)
	case runes(a.Author) > MaxArticleAuthorRunes:
		return bad("author has %d characters, more than %d", runes(a.Author), MaxArticleAuthorRunes)
	case runes(a.Digest) > MaxArticleDigestRunes:
		return bad("digest has %d characters, more than %d", runes(a.Digest), MaxArticleDigestRunes)
	case strings.TrimSpace(a.Content) == "":
		return bad("empty content")
	case len(a.Content) >= MaxArticleContentBytes:
		return bad("content has %d bytes, must be less than 1 MB", len(a.Content))
	case runes(a.Content) >= MaxArticleContentRunes:
		return bad("content has %d characters, must be less than %d", runes(a.Content), MaxArticleContentRunes)
	case len(a.ContentSourceURL) > MaxArticleSourceURLBytes:
		return bad("content_source_url has %d bytes, more than %d", len(a.ContentSourceURL), MaxArticleSourceURLBytes)
	case a.NeedOpenComment != 0 && a.NeedOpenComment != 1:
		return bad("need_open_comment must be 0 or 1, got %d", a.NeedOpenComment)
	case a.OnlyFansCanComment != 0 && a.OnlyFansCanComment != 1:
		return bad("only_fans_can_comment must be 0 or 1, got %d", a.OnlyFansCanComment)
	case len(a.ThumbMediaID) > MaxArticleMediaIDBytes:
		return bad("thumb_media_id longer than %d bytes", MaxArticleMediaIDBytes)
	}
	for _, c := range []struct{ name, v string }{{"pic_crop_235_1", a.PicCrop2351}, {"pic_crop_1_1", a.PicCrop11}} {
		if c.v != "" && !validCrop(c.v) {
			return bad("%s %q is not X1_Y1_X2_Y2 with coordinates from 0 to 1", c.name, c.v)
		}
	}
	if a.ArticleType == ArticleTypeNewsPic {
		return a.validateNewsPic(bad)
	}
	if a.ThumbMediaID == "" {
		return bad("a news article needs thumb_media_id (its cover)")
	}
	return nil
}

func (a *DraftArticle) validateNewsPic(bad func(string, ...any) error) error {
	if a.ImageInfo == nil || len(a.ImageInfo.ImageList) == 0 {
		return bad("a newspic article needs at least one picture in image_info.image_list")
	}
	if n := len(a.ImageInfo.ImageList); n > MaxNewsPicImages {
		return bad("image_info.image_list has %d pictures, more than %d", n, MaxNewsPicImages)
	}
	for i, img := range a.ImageInfo.ImageList {
		if img.ImageMediaID == "" || len(img.ImageMediaID) > MaxArticleMediaIDBytes {
			return bad("image_info.image_list[%d].image_media_id empty or longer than %d bytes", i, MaxArticleMediaIDBytes)
		}
	}
	if a.CoverInfo != nil {
		for i, c := range a.CoverInfo.CropPercentList {
			if c.Ratio != "1_1" && c.Ratio != "16_9" && c.Ratio != "2.35_1" {
				return bad("cover_info.crop_percent_list[%d].ratio %q is not 1_1, 16_9 or 2.35_1", i, c.Ratio)
			}
			if !validCrop(c.X1 + "_" + c.Y1 + "_" + c.X2 + "_" + c.Y2) {
				return bad("cover_info.crop_percent_list[%d] has coordinates outside 0 to 1", i)
			}
		}
	}
	if a.ProductInfo != nil && a.ProductInfo.FooterProductInfo.ProductKey == "" {
		return bad("product_info.footer_product_info without product_key")
	}
	return nil
}

// validCrop reports whether s is "X1_Y1_X2_Y2" with numbers from 0 to 1 and X1 < X2, Y1 < Y2.
func validCrop(s string) bool {
	parts := strings.Split(s, "_")
	if len(parts) != articlePicCropCoordinates {
		return false
	}
	var v [articlePicCropCoordinates]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return false
		}
		v[i] = f
	}
	return v[0] < v[2] && v[1] < v[3]
}

func validateArticles(path string, articles []DraftArticle) error {
	if len(articles) == 0 {
		return invalidf(path, "no articles")
	}
	if len(articles) > MaxDraftArticles {
		return invalidf(path, "%d articles, more than %d", len(articles), MaxDraftArticles)
	}
	for i := range articles {
		if err := articles[i].validate(path, "articles["+strconv.Itoa(i)+"]: "); err != nil {
			return err
		}
	}
	return nil
}

// AddDraft adds a draft of one or more articles (at most MaxDraftArticles) to the draft box
// and returns its media_id, which SubmitPublish publishes. Every article is validated first.
//
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add.html
func (c *Client) AddDraft(ctx context.Context, articles ...DraftArticle) (mediaID string, err error) {
	if err := validateArticles(pathDraftAdd, articles); err != nil {
		return "", err
	}
	in := struct {
		Articles []DraftArticle `json:"articles"`
	}{articles}
	var out struct {
		MediaID string `json:"media_id"`
	}
	if err := c.postJSON(ctx, pathDraftAdd, nil, &in, &out); err != nil {
		return "", err
	}
	return out.MediaID, nil
}

// GetDraft returns the articles of the draft mediaID.
//
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_getdraft.html
func (c *Client) GetDraft(ctx context.Context, mediaID string) ([]DraftArticle, error) {
	const path = "/cgi-bin/draft/get"
	if mediaID == "" {
		return nil, invalidf(path, "empty media_id")
	}
	var out struct {
		NewsItem []DraftArticle `json:"news_item"`
	}
	if err := c.postJSON(ctx, path, nil, &mediaIDBody{mediaID}, &out); err != nil {
		return nil, err
	}
	return out.NewsItem, nil
}

// UpdateDraft replaces the article at index (from 0) of the draft mediaID.
//
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_update.html
func (c *Client) UpdateDraft(ctx context.Context, mediaID string, index int, article DraftArticle) error {
	const path = "/cgi-bin/draft/update"
	switch {
	case mediaID == "":
		return invalidf(path, "empty media_id")
	case index < 0 || index >= MaxDraftArticles:
		return invalidf(path, "index %d outside 0 to %d", index, MaxDraftArticles-1)
	}
	if err := article.validate(path, "articles: "); err != nil {
		return err
	}
	in := struct {
		MediaID  string       `json:"media_id"`
		Index    int          `json:"index"`
		Articles DraftArticle `json:"articles"`
	}{mediaID, index, article}
	return c.postJSON(ctx, path, nil, &in, nil)
}

// DeleteDraft deletes the draft mediaID. WeChat cannot restore it.
//
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_delete.html
func (c *Client) DeleteDraft(ctx context.Context, mediaID string) error {
	const path = "/cgi-bin/draft/delete"
	if mediaID == "" {
		return invalidf(path, "empty media_id")
	}
	return c.postJSON(ctx, path, nil, &mediaIDBody{mediaID}, nil)
}

// CountDrafts returns the number of drafts in the draft box.
//
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_count.html
func (c *Client) CountDrafts(ctx context.Context) (int, error) {
	var out struct {
		TotalCount int `json:"total_count"`
	}
	err := c.getJSON(ctx, "/cgi-bin/draft/count", nil, &out)
	return out.TotalCount, err
}

// DraftItem is one draft of a DraftList.
type DraftItem struct {
	MediaID string `json:"media_id"`
	Content struct {
		NewsItem []DraftArticle `json:"news_item"`
	} `json:"content"`
	UpdateTime int64 `json:"update_time"` // unix seconds
}

// DraftList is one page of the draft box, newest first.
type DraftList struct {
	TotalCount int         `json:"total_count"` // drafts in the box
	ItemCount  int         `json:"item_count"`  // drafts on this page
	Item       []DraftItem `json:"item"`
}

// pageRequest is the body of draft/batchget and freepublish/batchget.
type pageRequest struct {
	Offset    int `json:"offset"`
	Count     int `json:"count"`
	NoContent int `json:"no_content"`
}

func newPageRequest(path string, offset, count int, noContent bool) (pageRequest, error) {
	if offset < 0 {
		return pageRequest{}, invalidf(path, "negative offset %d", offset)
	}
	if count < 1 || count > MaxDraftListCount {
		return pageRequest{}, invalidf(path, "count %d outside 1 to %d", count, MaxDraftListCount)
	}
	in := pageRequest{Offset: offset, Count: count}
	if noContent {
		in.NoContent = 1
	}
	return in, nil
}

// ListDrafts returns count drafts (1 to MaxDraftListCount) from offset, newest first; with
// noContent the articles come without their content, which keeps the answer small.
//
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_batchget.html
func (c *Client) ListDrafts(ctx context.Context, offset, count int, noContent bool) (*DraftList, error) {
	return batchGetPage[DraftList](ctx, c, "/cgi-bin/draft/batchget", offset, count, noContent)
}

// batchGetPage reads a page of draft/batchget or freepublish/batchget into a new T.
func batchGetPage[T any](ctx context.Context, c *Client, path string, offset, count int, noContent bool) (*T, error) {
	in, err := newPageRequest(path, offset, count, noContent)
	if err != nil {
		return nil, err
	}
	var out T
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

const pathDraftSwitch = "/cgi-bin/draft/switch"

// CheckDraftSwitch reports whether the account's draft box (草稿箱) is switched on, without
// changing it.
//
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_switch.html
func (c *Client) CheckDraftSwitch(ctx context.Context) (open bool, err error) {
	return c.draftSwitch(ctx, url.Values{"checkonly": {"1"}})
}

// SwitchDraft switches the account's draft box on and reports that it is. WeChat cannot
// switch it off again.
//
// https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_switch.html
func (c *Client) SwitchDraft(ctx context.Context) (open bool, err error) {
	return c.draftSwitch(ctx, nil)
}

func (c *Client) draftSwitch(ctx context.Context, q url.Values) (bool, error) {
	var out struct {
		IsOpen int `json:"is_open"`
	}
	if err := c.postJSON(ctx, pathDraftSwitch, q, nil, &out); err != nil {
		return false, err
	}
	return out.IsOpen == 1, nil
}

// EachDraft calls fn with every page of the draft box (MaxDraftListCount drafts a page,
// newest first) until the box ends, fn returns an error, or ctx is done. Drafts added or
// deleted during the walk shift the pages, as WeChat pages by offset.
func (c *Client) EachDraft(ctx context.Context, noContent bool, fn func(drafts []DraftItem) error) error {
	return eachOffsetPage(func(offset int) ([]DraftItem, int, error) {
		page, err := c.ListDrafts(ctx, offset, MaxDraftListCount, noContent)
		if err != nil {
			return nil, 0, err
		}
		return page.Item, page.TotalCount, nil
	}, fn)
}

// eachOffsetPage walks a list paged by offset: list reads the page at offset and reports
// the total; fn gets every non-empty page. The walk ends on an empty page, at the total, or
// at the first error of either.
func eachOffsetPage[T any](list func(offset int) (items []T, total int, err error), fn func([]T) error) error {
	for offset := 0; ; {
		items, total, err := list(offset)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		if err := fn(items); err != nil {
			return err
		}
		offset += len(items)
		if offset >= total {
			return nil
		}
	}
}

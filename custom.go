package offiaccount

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// invalidf returns an error wrapping ErrInvalidRequest that names the API path.
func invalidf(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidRequest, path, fmt.Sprintf(format, args...))
}

// WeChat errcodes of the customer-service message API (客服消息).
const (
	// CodeArticleCountLimit: a news message with more articles than allowed (one today).
	CodeArticleCountLimit = 45008
	// CodeResponseOutOfTime: the user's last interaction is older than the 48-hour window
	// (回复时间超过限制); only template or subscription messages reach the user now.
	CodeResponseOutOfTime = 45015
	// CodeResponseCountLimit: the messages allowed after the user's last action are used up
	// (客服接口下行条数超过上限).
	CodeResponseCountLimit = 45047
)

// CustomMsgType is the msgtype of a customer-service message (客服消息).
type CustomMsgType string

// Customer-service message types. The comment names the CustomMessage field each one needs.
const (
	CustomMsgText            CustomMsgType = "text"            // Text
	CustomMsgImage           CustomMsgType = "image"           // Image
	CustomMsgVoice           CustomMsgType = "voice"           // Voice
	CustomMsgVideo           CustomMsgType = "video"           // Video
	CustomMsgMusic           CustomMsgType = "music"           // Music
	CustomMsgNews            CustomMsgType = "news"            // News: an article linking out
	CustomMsgMPNews          CustomMsgType = "mpnews"          // MPNews: a news material; legacy, use CustomMsgMPNewsArticle
	CustomMsgMPNewsArticle   CustomMsgType = "mpnewsarticle"   // MPNewsArticle: a published article
	CustomMsgMenu            CustomMsgType = "msgmenu"         // Menu: choices the user taps
	CustomMsgWXCard          CustomMsgType = "wxcard"          // WXCard: a card or coupon
	CustomMsgMiniProgramPage CustomMsgType = "miniprogrampage" // MiniProgramPage: a mini program card
)

// MaxCustomNewsArticles is how many articles a news customer-service message may carry.
const MaxCustomNewsArticles = 1

// CustomMessage is a customer-service message (客服消息) in WeChat's JSON shape: the account
// may send it to a user within 48 hours of the user's last message (5 messages), or within a
// minute of a menu click, a follow or a QR scan (3 messages). Build one with CustomText,
// CustomImage, … and send it with [Client.SendCustomMessage]. Exactly the field that MsgType
// names is set.
type CustomMessage struct {
	ToUser          string                    `json:"touser"` // the user's openid
	MsgType         CustomMsgType             `json:"msgtype"`
	Text            *CustomTextContent        `json:"text,omitempty"`
	Image           *CustomMediaContent       `json:"image,omitempty"`
	Voice           *CustomMediaContent       `json:"voice,omitempty"`
	Video           *CustomVideoContent       `json:"video,omitempty"`
	Music           *CustomMusicContent       `json:"music,omitempty"`
	News            *CustomNewsContent        `json:"news,omitempty"`
	MPNews          *CustomMediaContent       `json:"mpnews,omitempty"`
	MPNewsArticle   *CustomArticleIDContent   `json:"mpnewsarticle,omitempty"`
	Menu            *CustomMenuContent        `json:"msgmenu,omitempty"`
	WXCard          *CustomCardContent        `json:"wxcard,omitempty"`
	MiniProgramPage *CustomMiniProgramContent `json:"miniprogrampage,omitempty"`
	// CustomService sends the message as one customer-service staff account (客服帐号)
	// instead of the account itself; see WithKFAccount.
	CustomService *CustomServiceAccount `json:"customservice,omitempty"`
}

// CustomTextContent is the body of a text message. Content may hold links written as
// <a href="…">…</a> and mini program links with data-miniprogram-appid/-path attributes.
type CustomTextContent struct {
	Content string `json:"content"`
}

// CustomMediaContent names a media file by its media_id: a temporary media file for image
// and voice, a news material (永久图文素材) for mpnews.
type CustomMediaContent struct {
	MediaID string `json:"media_id"`
}

// CustomVideoContent is the body of a video message.
type CustomVideoContent struct {
	MediaID      string `json:"media_id"`
	ThumbMediaID string `json:"thumb_media_id,omitempty"`
	Title        string `json:"title,omitempty"`
	Description  string `json:"description,omitempty"`
}

// CustomMusicContent is the body of a music message.
type CustomMusicContent struct {
	Title        string `json:"title,omitempty"`
	Description  string `json:"description,omitempty"`
	MusicURL     string `json:"musicurl"`
	HQMusicURL   string `json:"hqmusicurl,omitempty"` // played on Wi-Fi instead of MusicURL
	ThumbMediaID string `json:"thumb_media_id"`
}

// CustomNewsContent is the body of a news message: articles that open external links.
type CustomNewsContent struct {
	Articles []CustomArticle `json:"articles"`
}

// CustomArticle is one article of a news message.
type CustomArticle struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
	PicURL      string `json:"picurl,omitempty"` // JPG or PNG; 360×200 shows best
}

// CustomArticleIDContent names an article published through the publishing API (发布).
type CustomArticleIDContent struct {
	ArticleID string `json:"article_id"`
}

// CustomMenuContent is the body of a menu message (菜单消息): the user taps one item, and
// WeChat sends the item's text back as a text message carrying bizmsgmenuid = the item's ID.
type CustomMenuContent struct {
	HeadContent string           `json:"head_content,omitempty"`
	List        []CustomMenuItem `json:"list"`
	TailContent string           `json:"tail_content,omitempty"`
}

// CustomMenuItem is one choice of a menu message.
type CustomMenuItem struct {
	ID      string `json:"id"`
	Content string `json:"content"`
}

// CustomCardContent names a card or coupon (卡券) to send.
type CustomCardContent struct {
	CardID string `json:"card_id"`
}

// CustomMiniProgramContent is the body of a mini program card; the mini program must be
// linked to the account.
type CustomMiniProgramContent struct {
	Title        string `json:"title"`
	AppID        string `json:"appid"`
	PagePath     string `json:"pagepath"`
	ThumbMediaID string `json:"thumb_media_id"` // 520×416 shows best
}

// CustomServiceAccount names the staff account (kf_account, such as "kf2001@gh_…") that
// appears as the message's sender.
type CustomServiceAccount struct {
	KFAccount string `json:"kf_account"`
}

// CustomText returns a text message for the user openID.
func CustomText(openID, text string) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgText, Text: &CustomTextContent{Content: text}}
}

// CustomImage returns an image message showing the image media file mediaID.
func CustomImage(openID, mediaID string) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgImage, Image: &CustomMediaContent{MediaID: mediaID}}
}

// CustomVoice returns a voice message playing the voice media file mediaID.
func CustomVoice(openID, mediaID string) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgVoice, Voice: &CustomMediaContent{MediaID: mediaID}}
}

// CustomVideo returns a video message.
func CustomVideo(openID string, v CustomVideoContent) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgVideo, Video: &v}
}

// CustomMusic returns a music message.
func CustomMusic(openID string, m CustomMusicContent) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgMusic, Music: &m}
}

// CustomNews returns a news message with one article that opens an external link.
func CustomNews(openID string, a CustomArticle) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgNews, News: &CustomNewsContent{Articles: []CustomArticle{a}}}
}

// CustomMPNews returns a message showing the news material mediaID (图文素材).
//
// Deprecated: news materials gave way to the draft box (material/add_news answers 45106), and
// customer-service messages take published articles: use [CustomMPNewsArticle] with the
// article_id.
func CustomMPNews(openID, mediaID string) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgMPNews, MPNews: &CustomMediaContent{MediaID: mediaID}}
}

// CustomMPNewsArticle returns a message showing the published article articleID.
func CustomMPNewsArticle(openID, articleID string) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgMPNewsArticle, MPNewsArticle: &CustomArticleIDContent{ArticleID: articleID}}
}

// CustomMenu returns a menu message offering the given items.
func CustomMenu(openID, head string, items []CustomMenuItem, tail string) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgMenu,
		Menu: &CustomMenuContent{HeadContent: head, List: items, TailContent: tail}}
}

// CustomCard returns a message carrying the card or coupon cardID.
func CustomCard(openID, cardID string) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgWXCard, WXCard: &CustomCardContent{CardID: cardID}}
}

// CustomMiniProgramPage returns a mini program card.
func CustomMiniProgramPage(openID string, p CustomMiniProgramContent) CustomMessage {
	return CustomMessage{ToUser: openID, MsgType: CustomMsgMiniProgramPage, MiniProgramPage: &p}
}

// WithKFAccount returns a copy of m sent as the staff account kfAccount (客服帐号).
func (m CustomMessage) WithKFAccount(kfAccount string) CustomMessage {
	m.CustomService = &CustomServiceAccount{KFAccount: kfAccount}
	return m
}

const pathCustomSend = "/cgi-bin/message/custom/send"

// Validate reports the first of WeChat's rules the message breaks: no recipient, an unknown
// type, a body missing or not matching MsgType, required fields empty, too many articles.
// The error matches ErrInvalidRequest.
func (m *CustomMessage) Validate() error {
	bad := func(format string, args ...any) error { return invalidf(pathCustomSend, format, args...) }
	if m.ToUser == "" {
		return bad("empty touser")
	}
	set := 0
	for _, isSet := range [...]bool{m.Text != nil, m.Image != nil, m.Voice != nil, m.Video != nil,
		m.Music != nil, m.News != nil, m.MPNews != nil, m.MPNewsArticle != nil, m.Menu != nil,
		m.WXCard != nil, m.MiniProgramPage != nil} {
		if isSet {
			set++
		}
	}
	if set != 1 {
		return bad("a %s message needs exactly one body, has %d", m.MsgType, set)
	}
	var missing bool
	switch m.MsgType {
	case CustomMsgText:
		missing = m.Text == nil || m.Text.Content == "" || !utf8.ValidString(m.Text.Content)
	case CustomMsgImage:
		missing = m.Image == nil || m.Image.MediaID == ""
	case CustomMsgVoice:
		missing = m.Voice == nil || m.Voice.MediaID == ""
	case CustomMsgVideo:
		missing = m.Video == nil || m.Video.MediaID == ""
	case CustomMsgMusic:
		missing = m.Music == nil || m.Music.MusicURL == "" || m.Music.ThumbMediaID == ""
	case CustomMsgNews:
		if m.News != nil && len(m.News.Articles) > MaxCustomNewsArticles {
			return bad("news message with %d articles, at most %d", len(m.News.Articles), MaxCustomNewsArticles)
		}
		missing = m.News == nil || len(m.News.Articles) == 0
	case CustomMsgMPNews:
		missing = m.MPNews == nil || m.MPNews.MediaID == ""
	case CustomMsgMPNewsArticle:
		missing = m.MPNewsArticle == nil || m.MPNewsArticle.ArticleID == ""
	case CustomMsgMenu:
		missing = m.Menu == nil || len(m.Menu.List) == 0
		for i, it := range m.menuItems() {
			if it.ID == "" || it.Content == "" {
				return bad("msgmenu list[%d] needs id and content", i)
			}
		}
	case CustomMsgWXCard:
		missing = m.WXCard == nil || m.WXCard.CardID == ""
	case CustomMsgMiniProgramPage:
		p := m.MiniProgramPage
		missing = p == nil || p.AppID == "" || p.PagePath == "" || p.ThumbMediaID == ""
	default:
		return bad("unknown msgtype %q", m.MsgType)
	}
	if missing {
		return bad("%s message without its required content", m.MsgType)
	}
	if m.CustomService != nil && m.CustomService.KFAccount == "" {
		return bad("empty customservice.kf_account")
	}
	return nil
}

func (m *CustomMessage) menuItems() []CustomMenuItem {
	if m.Menu == nil {
		return nil
	}
	return m.Menu.List
}

// SendCustomMessage sends a customer-service message. It is never repeated after a network
// error (the user might get it twice); errcode 45015 ([CodeResponseOutOfTime]) means the
// 48-hour window is closed, 45047 ([CodeResponseCountLimit]) that its messages are used up.
//
// https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage.html
func (c *Client) SendCustomMessage(ctx context.Context, m CustomMessage) error {
	if err := m.Validate(); err != nil {
		return err
	}
	return c.postJSON(ctx, pathCustomSend, nil, &m, nil)
}

// SendCustomText sends the text message text to the user openID: the usual way to answer a
// user after the 5 seconds of a passive reply, or with more than one message.
func (c *Client) SendCustomText(ctx context.Context, openID, text string) error {
	return c.SendCustomMessage(ctx, CustomText(openID, text))
}

// SetTyping shows ("正在输入") or hides the typing indicator in the user's chat with the
// account while an answer is prepared. WeChat accepts it only within 30 seconds of an
// exchange with the user (errcode 45080) and shows it for 15 seconds, during which it may not
// be set again (45081); sending a message hides it.
//
// https://developers.weixin.qq.com/doc/service/api/customer/message/api_typing.html
func (c *Client) SetTyping(ctx context.Context, openID string, typing bool) error {
	const path = "/cgi-bin/message/custom/typing"
	if openID == "" {
		return invalidf(path, "empty touser")
	}
	cmd := "CancelTyping"
	if typing {
		cmd = "Typing"
	}
	in := struct {
		ToUser  string `json:"touser"`
		Command string `json:"command"`
	}{openID, cmd}
	return c.postJSON(ctx, path, nil, &in, nil)
}

// DeliverLate wraps a callback function so that its reply reaches the user even when it is
// ready too late for a passive reply: when fn returns after its context's deadline (WeChat has
// stopped waiting and the Handler has answered "success"), the reply is sent as a
// customer-service message (客服消息) instead, with a context detached from the callback and
// bounded by DefaultHTTPTimeout. Replies with no customer-service equivalent (transfer to
// customer service) are dropped then. A send failure is returned, so the Handler logs it.
//
// Use it for slow work such as calls to other services:
//
//	h.HandleText(client.DeliverLate(answerWithSearch))
func (c *Client) DeliverLate(fn HandlerFunc) HandlerFunc {
	return func(ctx context.Context, m *Message) (Reply, error) {
		r, err := fn(ctx, m)
		if err != nil || r == nil || ctx.Err() == nil {
			return r, err
		}
		cm, ok := customFromReply(m.FromUserName, r)
		if !ok {
			return nil, nil
		}
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultHTTPTimeout)
		defer cancel()
		if err := c.SendCustomMessage(sendCtx, cm); err != nil {
			return nil, fmt.Errorf("offiaccount: delivering a late reply: %w", err)
		}
		return nil, nil
	}
}

// customFromReply turns a passive reply into the customer-service message that carries the
// same content.
func customFromReply(openID string, r Reply) (CustomMessage, bool) {
	switch p := r.(type) { // pointers to the reply types are Replies too
	case *TextReply:
		r = derefReply(p)
	case *ImageReply:
		r = derefReply(p)
	case *VoiceReply:
		r = derefReply(p)
	case *VideoReply:
		r = derefReply(p)
	case *MusicReply:
		r = derefReply(p)
	case *NewsReply:
		r = derefReply(p)
	}
	switch r := r.(type) {
	case TextReply:
		return CustomText(openID, r.Content), true
	case ImageReply:
		return CustomImage(openID, r.MediaID), true
	case VoiceReply:
		return CustomVoice(openID, r.MediaID), true
	case VideoReply:
		return CustomVideo(openID, CustomVideoContent{MediaID: r.MediaID, Title: r.Title, Description: r.Description}), true
	case MusicReply:
		return CustomMusic(openID, CustomMusicContent(r)), true
	case NewsReply:
		if len(r.Articles) == 0 {
			return CustomMessage{}, false
		}
		a := r.Articles[0]
		return CustomNews(openID, CustomArticle{Title: a.Title, Description: a.Description, URL: a.URL, PicURL: a.PicURL}), true
	}
	return CustomMessage{}, false
}

// derefReply returns *p as a Reply, or nil for a nil pointer.
func derefReply[T Reply](p *T) Reply {
	if p == nil {
		return nil
	}
	return *p
}

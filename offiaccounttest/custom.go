package offiaccounttest

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// Customer-service messages (客服消息).

// Limits of customer-service messages.
const (
	// CustomWindow is how long after a user's last interaction the account may write to the
	// user; see User.LastInteraction.
	CustomWindow = 48 * time.Hour
	// CustomWindowMessages is how many messages the account may send in one window.
	CustomWindowMessages = 5
	maxNewsArticles      = 1
)

// SentMessage is a customer-service message the platform accepted.
type SentMessage struct {
	ToUser    string
	MsgType   string          // "text", "image", …
	Content   string          // the text of a text message
	KFAccount string          // the staff account it was sent as, if any
	Raw       json.RawMessage // the request body as received
	Time      time.Time       // on the fake clock
}

// messageState is an account's messages and templates (custom.go and template.go).
type messageState struct {
	custom     []SentMessage
	windowSent map[string]int  // messages sent in the user's current window
	typing     map[string]bool // users shown "正在输入"

	templates []TemplateRecord
	sent      []SentTemplate
	nextMsgID int64
	industry  [2]int
}

func newMessageState() messageState {
	return messageState{windowSent: make(map[string]int), typing: make(map[string]bool), nextMsgID: firstMsgID}
}

// SentMessages returns the customer-service messages appID sent, oldest first.
func (p *Platform) SentMessages(appID string) []SentMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	out := slices.Clone(a.messages.custom)
	for i := range out {
		out[i].Raw = bytes.Clone(out[i].Raw)
	}
	return out
}

// Typing reports whether appID shows the typing indicator (正在输入) to openID: set by
// custom/typing, cleared by CancelTyping and by the next message to the user.
func (p *Platform) Typing(appID, openID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	return ok && a.messages.typing[openID]
}

// recipientLocked checks that openID is a user who can receive the account's messages:
// known (40003), following (43004), not blacklisted (blocked, or 43019 when zero).
func (a *account) recipientLocked(openID string, blocked int) (UserRecord, int) {
	u, ok := a.users[openID]
	switch {
	case openID == "" || !ok:
		return UserRecord{}, codeInvalidOpenID
	case u.Unsubscribed:
		return UserRecord{}, codeRequireSubscribe
	case u.Blacklisted && blocked != 0:
		return UserRecord{}, blocked
	case u.Blacklisted:
		return UserRecord{}, codeRequireUnblock
	}
	return u, 0
}

type mediaRef struct {
	MediaID      string `json:"media_id"`
	ThumbMediaID string `json:"thumb_media_id"`
}

// customBody is a customer-service message as the platform reads it.
type customBody struct {
	ToUser  string `json:"touser"`
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Image  *mediaRef `json:"image"`
	Voice  *mediaRef `json:"voice"`
	Video  *mediaRef `json:"video"`
	MPNews *mediaRef `json:"mpnews"`
	Music  *struct {
		MusicURL     string `json:"musicurl"`
		ThumbMediaID string `json:"thumb_media_id"`
	} `json:"music"`
	News *struct {
		Articles []struct {
			Title string `json:"title"`
			URL   string `json:"url"`
		} `json:"articles"`
	} `json:"news"`
	MPNewsArticle *struct {
		ArticleID string `json:"article_id"`
	} `json:"mpnewsarticle"`
	MsgMenu *struct {
		List []struct {
			ID      string `json:"id"`
			Content string `json:"content"`
		} `json:"list"`
	} `json:"msgmenu"`
	WXCard *struct {
		CardID string `json:"card_id"`
	} `json:"wxcard"`
	MiniProgramPage *struct {
		AppID        string `json:"appid"`
		PagePath     string `json:"pagepath"`
		ThumbMediaID string `json:"thumb_media_id"`
	} `json:"miniprogrampage"`
	CustomService *struct {
		KFAccount string `json:"kf_account"`
	} `json:"customservice"`
}

// checkLocked returns WeChat's code for a message body that does not fit its msgtype.
// Image, voice and video messages must name a media file the account has.
func (m *customBody) checkLocked(p *Platform, a *account) int {
	media := func(ref *mediaRef) int {
		if ref == nil || !a.media.knowsLocked(ref.MediaID, p.now) {
			return codeInvalidMediaID
		}
		return 0
	}
	switch m.MsgType {
	case "text":
		if m.Text == nil || m.Text.Content == "" {
			return codeEmptyContent
		}
	case "image":
		return media(m.Image)
	case "voice":
		return media(m.Voice)
	case "video":
		return media(m.Video)
	case "mpnews":
		if m.MPNews == nil || m.MPNews.MediaID == "" {
			return codeInvalidMediaID
		}
	case "music":
		if m.Music == nil || m.Music.MusicURL == "" {
			return codeEmptyContent
		}
		if m.Music.ThumbMediaID == "" {
			return codeInvalidMediaID
		}
	case "news":
		if m.News == nil || len(m.News.Articles) == 0 {
			return codeEmptyNews
		}
		if len(m.News.Articles) > maxNewsArticles {
			return codeArticleLimit
		}
	case "mpnewsarticle":
		if m.MPNewsArticle == nil || m.MPNewsArticle.ArticleID == "" {
			return codeInvalidArgs
		}
	case "msgmenu":
		if m.MsgMenu == nil || len(m.MsgMenu.List) == 0 {
			return codeInvalidArgs
		}
		for _, it := range m.MsgMenu.List {
			if it.ID == "" || it.Content == "" {
				return codeInvalidArgs
			}
		}
	case "wxcard":
		if m.WXCard == nil || m.WXCard.CardID == "" {
			return codeInvalidArgs
		}
	case "miniprogrampage":
		mp := m.MiniProgramPage
		if mp == nil || mp.AppID == "" || mp.PagePath == "" {
			return codeInvalidArgs
		}
		if mp.ThumbMediaID == "" {
			return codeInvalidMediaID
		}
	default:
		return codeInvalidMsgType
	}
	return 0
}

// handleCustomSend is POST /cgi-bin/message/custom/send. The recipient must be a follower
// the account knows (40003, 43004, 43019), the body must fit msgtype (40008, 44004, 40007,
// 44003, 45008, …), and a user with a LastInteraction gets WeChat's window (45015, 45047).
// https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage.html
func (p *Platform) handleCustomSend(r *request) (any, int) {
	var in customBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	u, code := a.recipientLocked(in.ToUser, 0)
	if code != 0 {
		return nil, code
	}
	if code := in.checkLocked(p, a); code != 0 {
		return nil, code
	}
	if !u.LastInteraction.IsZero() {
		if p.now.Sub(u.LastInteraction) > CustomWindow {
			return nil, codeResponseOutOfTime
		}
		if a.messages.windowSent[u.OpenID] >= CustomWindowMessages {
			return nil, codeResponseCountLimit
		}
		a.messages.windowSent[u.OpenID]++
	}
	m := SentMessage{ToUser: in.ToUser, MsgType: in.MsgType, Raw: bytes.Clone(r.body), Time: p.now}
	if in.Text != nil {
		m.Content = in.Text.Content
	}
	if in.CustomService != nil {
		m.KFAccount = in.CustomService.KFAccount
	}
	a.messages.custom = append(a.messages.custom, m)
	delete(a.messages.typing, in.ToUser)
	return okBody, 0
}

// handleTyping is POST /cgi-bin/message/custom/typing {"touser":…,"command":"Typing"} (or
// "CancelTyping").
// https://developers.weixin.qq.com/doc/service/api/customer/message/api_typing.html
func (p *Platform) handleTyping(r *request) (any, int) {
	var in struct {
		ToUser  string `json:"touser"`
		Command string `json:"command"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	if _, code := r.acct.recipientLocked(in.ToUser, 0); code != 0 {
		return nil, code
	}
	switch in.Command {
	case "Typing":
		r.acct.messages.typing[in.ToUser] = true
	case "CancelTyping":
		delete(r.acct.messages.typing, in.ToUser)
	default:
		return nil, codeInvalidArgs
	}
	return okBody, 0
}

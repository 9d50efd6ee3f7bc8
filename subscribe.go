package offiaccount

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Subscribe notifications (订阅通知): notices a user agreed to receive, by accepting a
// template in a subscription popup (subscribe_msg_popup_event). The account picks templates
// from WeChat's public library by category, title (tid) and keywords (kid), and sends them
// with SendSubscribeMessage. A one-time subscription (一次性订阅) allows one notice per
// acceptance; without one WeChat answers 43101 (ErrUserRefused).

// WeChat errcodes of subscribe notifications.
const (
	CodeSubscribeDataInvalid    = 47003  // a data value breaks its keyword's rule; errmsg names it
	CodeSubscribeInvalidPage    = 41030  // page is not a page of the mini program
	CodeSubscribeAccountBanned  = 200011 // the account may not manage templates
	CodeSubscribeTemplateLimit  = 200012 // the account holds as many templates as allowed
	CodeSubscribeTemplateBanned = 200013 // the library template is banned
	CodeSubscribeInvalidTID     = 200014 // tid unknown
	CodeSubscribeInvalidKidList = 200020 // kidList wrong for the tid
	CodeSubscribeInvalidScene   = 200021 // sceneDesc empty or too long
)

// Limits of subscribe-notification templates, checked before a request leaves.
const (
	MaxSubscribeTemplateTitlesLimit = 30 // titles per getpubtemplatetitles page
	MinSubscribeKeywords            = 2  // fewest keywords (kidList) a template is built of
	MaxSubscribeKeywords            = 5  // most keywords a template is built of
	MaxSubscribeSceneDescRunes      = 15 // characters of sceneDesc
)

// SubscribeTemplateType says how often a subscription lets the account send.
type SubscribeTemplateType int

// Template types.
const (
	SubscribeTemplateOnce     SubscribeTemplateType = 2 // 一次性订阅: one notice per acceptance
	SubscribeTemplateLongTerm SubscribeTemplateType = 3 // 长期订阅: notices until the user rejects
)

// SubscribeCategory is a category (类目) of the account; library titles are picked by it.
type SubscribeCategory struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// SubscribeTemplateTitle is a template title of the public library.
type SubscribeTemplateTitle struct {
	TID        int                   `json:"tid"`
	Title      string                `json:"title"`
	Type       SubscribeTemplateType `json:"type"`
	CategoryID string                `json:"-"` // categoryId, a number or a string on the wire
}

// UnmarshalJSON reads categoryId whether WeChat sends it as a number or a string.
func (t *SubscribeTemplateTitle) UnmarshalJSON(data []byte) error {
	type plain SubscribeTemplateTitle
	var v struct {
		plain
		CategoryID json.RawMessage `json:"categoryId"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*t = SubscribeTemplateTitle(v.plain)
	if id := string(v.CategoryID); id != "null" {
		t.CategoryID = strings.Trim(id, `"`)
	}
	return nil
}

// SubscribeTemplateTitles is one page of library titles and the count of all of them.
type SubscribeTemplateTitles struct {
	Count  int                      `json:"count"`
	Titles []SubscribeTemplateTitle `json:"data"`
}

// SubscribeKeyword is a keyword of a library title. Rule is the keyword's kind (thing,
// time, amount, …); the data key of the keyword is Rule followed by KID, like "thing2".
type SubscribeKeyword struct {
	KID     int    `json:"kid"`
	Name    string `json:"name"`
	Example string `json:"example"`
	Rule    string `json:"rule"`
}

// SubscribeTemplate is a template the account added (私有模板).
type SubscribeTemplate struct {
	PriTmplID string                `json:"priTmplId"` // the template_id to send with
	Title     string                `json:"title"`
	Content   string                `json:"content"` // like "物品：{{thing1.DATA}}\n时间：{{time2.DATA}}"
	Example   string                `json:"example"`
	Type      SubscribeTemplateType `json:"type"`
}

// ListSubscribeCategories returns the account's categories (getcategory).
//
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_getcategory.html
func (c *Client) ListSubscribeCategories(ctx context.Context) ([]SubscribeCategory, error) {
	var out struct {
		Data []SubscribeCategory `json:"data"`
	}
	if err := c.getJSON(ctx, "/wxaapi/newtmpl/getcategory", nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// ListSubscribeTemplateTitles returns a page of the library titles of the categories
// categoryIDs (getpubtemplatetitles): limit (1 to 30) titles from the start-th.
//
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_getpubtemplatetitles.html
func (c *Client) ListSubscribeTemplateTitles(ctx context.Context, categoryIDs []int, start, limit int) (*SubscribeTemplateTitles, error) {
	const path = "/wxaapi/newtmpl/getpubtemplatetitles"
	switch {
	case len(categoryIDs) == 0:
		return nil, invalidf(path, "no category ids")
	case start < 0:
		return nil, invalidf(path, "start %d is negative", start)
	case limit < 1 || limit > MaxSubscribeTemplateTitlesLimit:
		return nil, invalidf(path, "limit %d is outside 1..%d", limit, MaxSubscribeTemplateTitlesLimit)
	}
	ids := make([]string, len(categoryIDs))
	for i, id := range categoryIDs {
		if id <= 0 {
			return nil, invalidf(path, "category id %d is not positive", id)
		}
		ids[i] = strconv.Itoa(id)
	}
	q := url.Values{"ids": {strings.Join(ids, ",")}, "start": {strconv.Itoa(start)}, "limit": {strconv.Itoa(limit)}}
	var out SubscribeTemplateTitles
	if err := c.getJSON(ctx, path, q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSubscribeTemplateKeywords returns the keywords of the library title tid
// (getpubtemplatekeywords).
//
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_getpubtemplatekeywords.html
func (c *Client) ListSubscribeTemplateKeywords(ctx context.Context, tid int) ([]SubscribeKeyword, error) {
	const path = "/wxaapi/newtmpl/getpubtemplatekeywords"
	if tid <= 0 {
		return nil, invalidf(path, "tid %d is not positive", tid)
	}
	var out struct {
		Data []SubscribeKeyword `json:"data"`
	}
	if err := c.getJSON(ctx, path, url.Values{"tid": {strconv.Itoa(tid)}}, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// AddSubscribeTemplate adds the library title tid to the account, built of the keywords
// kidList in that order (2 to 5, no repeats; none for the titles 10000001 to 19999999,
// whose keywords are fixed), for the service described by sceneDesc (up to 15
// characters). It returns the template's id (priTmplId), the template_id to send with.
//
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_addtemplate.html
func (c *Client) AddSubscribeTemplate(ctx context.Context, tid int, kidList []int, sceneDesc string) (priTmplID string, err error) {
	const path = "/wxaapi/newtmpl/addtemplate"
	fixed := tid >= 10000001 && tid <= 19999999
	switch n := utf8.RuneCountInString(sceneDesc); {
	case tid <= 0:
		return "", invalidf(path, "tid %d is not positive", tid)
	case fixed && len(kidList) > 0:
		return "", invalidf(path, "tid %d has fixed keywords: kidList must be empty", tid)
	case !fixed && (len(kidList) < MinSubscribeKeywords || len(kidList) > MaxSubscribeKeywords):
		return "", invalidf(path, "kidList holds %d keywords, WeChat takes %d to %d", len(kidList), MinSubscribeKeywords, MaxSubscribeKeywords)
	case n == 0:
		return "", invalidf(path, "empty sceneDesc")
	case n > MaxSubscribeSceneDescRunes || !utf8.ValidString(sceneDesc):
		return "", invalidf(path, "sceneDesc is %d characters, the limit is %d", n, MaxSubscribeSceneDescRunes)
	}
	seen := make(map[int]bool, len(kidList))
	for _, k := range kidList {
		if k <= 0 || seen[k] {
			return "", invalidf(path, "kidList: keyword %d is repeated or not positive", k)
		}
		seen[k] = true
	}
	in := struct {
		TID       string `json:"tid"`
		KidList   []int  `json:"kidList"`
		SceneDesc string `json:"sceneDesc"`
	}{strconv.Itoa(tid), kidList, sceneDesc}
	if in.KidList == nil {
		in.KidList = []int{}
	}
	var out struct {
		PriTmplID string `json:"priTmplId"`
	}
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return "", err
	}
	return out.PriTmplID, nil
}

// DeleteSubscribeTemplate removes the template priTmplID from the account (deltemplate).
//
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_delwxanewtemplate.html
func (c *Client) DeleteSubscribeTemplate(ctx context.Context, priTmplID string) error {
	const path = "/wxaapi/newtmpl/deltemplate"
	if priTmplID == "" {
		return invalidf(path, "empty priTmplId")
	}
	in := struct {
		PriTmplID string `json:"priTmplId"`
	}{priTmplID}
	return c.postJSON(ctx, path, nil, &in, nil)
}

// ListSubscribeTemplates returns the templates the account added (gettemplate).
//
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_gettemplate.html
func (c *Client) ListSubscribeTemplates(ctx context.Context) ([]SubscribeTemplate, error) {
	var out struct {
		Data []SubscribeTemplate `json:"data"`
	}
	if err := c.getJSON(ctx, "/wxaapi/newtmpl/gettemplate", nil, &out); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// SubscribeMessage is a subscribe notification in WeChat's JSON shape. Page is the web page
// the notice opens; MiniProgram, when set, opens a mini program page instead.
type SubscribeMessage struct {
	ToUser      string                   `json:"touser"` // the user's openid
	TemplateID  string                   `json:"template_id"`
	Page        string                   `json:"page,omitempty"`
	MiniProgram *SubscribeMiniProgram    `json:"miniprogram,omitempty"`
	Data        map[string]SubscribeData `json:"data"` // keyed by the template's keys, like "thing1"
	// MiniProgramState (developer, trial or formal) and Lang (zh_CN, en_US, zh_HK, zh_TW) are
	// listed by the current documentation; WeChat's defaults are formal and zh_CN.
	MiniProgramState string `json:"miniprogram_state,omitempty"`
	Lang             string `json:"lang,omitempty"`
}

// SubscribeMiniProgram is the mini program a subscribe notification opens.
type SubscribeMiniProgram struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath,omitempty"`
}

// SubscribeData is the value of one key of a subscribe notification.
type SubscribeData struct {
	Value string `json:"value"`
}

// SubscribeValues turns key → value pairs into subscribe-notification data.
func SubscribeValues(values map[string]string) map[string]SubscribeData {
	data := make(map[string]SubscribeData, len(values))
	for k, v := range values {
		data[k] = SubscribeData{Value: v}
	}
	return data
}

const pathSubscribeSend = "/cgi-bin/message/subscribe/bizsend"

// Validate reports a notification WeChat would refuse for sure: no recipient, template or
// data, a mini program without its AppID, or a value that breaks the rule of its key's
// kind (see ValidateSubscribeValue). The error matches ErrInvalidRequest and names the key,
// the kind and the rule.
func (m *SubscribeMessage) Validate() error {
	switch {
	case m.ToUser == "":
		return invalidf(pathSubscribeSend, "empty touser")
	case m.TemplateID == "":
		return invalidf(pathSubscribeSend, "empty template_id")
	case m.MiniProgram != nil && m.MiniProgram.AppID == "":
		return invalidf(pathSubscribeSend, "miniprogram without appid")
	case len(m.Data) == 0:
		return invalidf(pathSubscribeSend, "empty data")
	}
	for _, k := range sortedKeys(m.Data) {
		if err := ValidateSubscribeValue(k, m.Data[k].Value); err != nil {
			return err
		}
	}
	return nil
}

// SendSubscribeMessage sends a subscribe notification (bizsend) and returns its msgid when
// WeChat's answer carries one (the documented answer has only errcode and errmsg, so it may be
// 0); the subscribe_msg_sent_event reporting the delivery carries the msgid. WeChat answers 43101
// (ErrUserRefused) when the user has no acceptance of the template left, and 47003 when a
// value breaks its rule; Validate catches the second before sending.
//
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_sendnewsubscribemsg.html
func (c *Client) SendSubscribeMessage(ctx context.Context, m SubscribeMessage) (msgID int64, err error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	var out struct {
		MsgID int64 `json:"msgid"`
	}
	if err := c.postJSON(ctx, pathSubscribeSend, nil, &m, &out); err != nil {
		return 0, err
	}
	return out.MsgID, nil
}

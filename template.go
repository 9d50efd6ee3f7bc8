package offiaccount

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Template messages (模板消息): notices built from a template the account picked from
// WeChat's template library, sent to a follower at any time (no 48-hour window), and the
// management of those templates and of the account's industries.
//
// Since 2023-05-04 WeChat shows template messages without the first and remark fields, strips
// colours and emoji, and shows at most 20 characters of a keyword value, on one line; new
// templates come from the category library (类目模板) with their keyword names.

// WeChat errcodes of the template-message API.
const (
	CodeInvalidTemplateID  = 40037 // template_id unknown to the account
	CodeInvalidKeywordName = 40246 // keyword_name_list empty or not in the library template
	CodeTemplateBanned     = 43116 // the template was banned for abuse
)

// TemplateMessage is a template message in WeChat's JSON shape. URL and MiniProgram are
// optional; when both are set, WeChat opens the mini program and falls back to URL on clients
// that cannot.
type TemplateMessage struct {
	ToUser      string                  `json:"touser"` // the follower's openid
	TemplateID  string                  `json:"template_id"`
	URL         string                  `json:"url,omitempty"`
	MiniProgram *TemplateMiniProgram    `json:"miniprogram,omitempty"`
	Data        map[string]TemplateData `json:"data"` // keyed by the template's keyword names, e.g. "thing1"
	// ClientMsgID (防重入id, up to 64 characters) makes a retry safe for a while: WeChat
	// sends one message per OpenID and ClientMsgID within 10 minutes. Past 10 minutes, or to
	// another OpenID, the same id sends again.
	ClientMsgID string `json:"client_msg_id,omitempty"`
}

// TemplateMiniProgram is the mini program a template message opens.
type TemplateMiniProgram struct {
	AppID    string `json:"appid"`
	PagePath string `json:"pagepath,omitempty"` // path with query, e.g. "index?foo=bar"
}

// TemplateData is the value of one keyword of a template message: at most
// MaxTemplateValueRunes characters, without line breaks. WeChat strips Color since
// 2023-05-04; the field remains for the wire format.
type TemplateData struct {
	Value string `json:"value"`
	Color string `json:"color,omitempty"` // like "#173177"; ignored by WeChat
}

// MaxTemplateValueRunes is the most characters WeChat shows of one keyword value of a
// template message (2023 rules); [TemplateMessage.Validate] refuses longer values rather
// than have them cut.
const MaxTemplateValueRunes = 20

// TemplateValues turns keyword → value pairs into template data without colours.
func TemplateValues(values map[string]string) map[string]TemplateData {
	data := make(map[string]TemplateData, len(values))
	for k, v := range values {
		data[k] = TemplateData{Value: v}
	}
	return data
}

const pathTemplateSend = "/cgi-bin/message/template/send"

// Validate reports a message WeChat would refuse or not show as written: no recipient, no
// template, a mini program without its AppID, a client_msg_id over 64 characters, and,
// under the 2023 rules, a "first" or "remark" field (no longer shown), a value of more than
// MaxTemplateValueRunes characters or with a line break. The error matches
// ErrInvalidRequest and names the field.
func (m *TemplateMessage) Validate() error {
	switch {
	case m.ToUser == "":
		return invalidf(pathTemplateSend, "empty touser")
	case m.TemplateID == "":
		return invalidf(pathTemplateSend, "empty template_id")
	case m.MiniProgram != nil && m.MiniProgram.AppID == "":
		return invalidf(pathTemplateSend, "miniprogram without appid")
	case len(m.ClientMsgID) > 64:
		return invalidf(pathTemplateSend, "client_msg_id longer than 64 bytes")
	}
	keys := make([]string, 0, len(m.Data))
	for k := range m.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the same message always names the same field
	for _, k := range keys {
		v := m.Data[k].Value
		switch {
		case k == "first" || k == "remark":
			return invalidf(pathTemplateSend, "data.%s: WeChat no longer shows first and remark (2023 rules)", k)
		case utf8.RuneCountInString(v) > MaxTemplateValueRunes:
			return invalidf(pathTemplateSend, "data.%s: %d characters, at most %d", k, utf8.RuneCountInString(v), MaxTemplateValueRunes)
		case strings.ContainsAny(v, "\r\n\u2028\u2029"):
			return invalidf(pathTemplateSend, "data.%s: line breaks are not allowed", k)
		}
	}
	return nil
}

// SendTemplateMessage sends a template message and returns its msgid. WeChat reports the
// delivery later with a TEMPLATESENDJOBFINISH event whose MsgID is this msgid and whose
// Status is "success", "failed:user block" or "failed: system failed". The call is not
// repeated after a network error; set ClientMsgID to make a retry of your own safe.
//
// https://developers.weixin.qq.com/doc/service/api/notify/template/api_sendtemplatemessage.html
func (c *Client) SendTemplateMessage(ctx context.Context, m TemplateMessage) (msgID int64, err error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	if m.Data == nil {
		m.Data = map[string]TemplateData{} // WeChat wants the object even when empty
	}
	var out struct {
		MsgID int64 `json:"msgid"`
	}
	if err := c.postJSON(ctx, pathTemplateSend, nil, &m, &out); err != nil {
		return 0, err
	}
	return out.MsgID, nil
}

// Template is one template of the account's private template list.
type Template struct {
	TemplateID      string `json:"template_id"`
	Title           string `json:"title"`
	PrimaryIndustry string `json:"primary_industry"` // first-class industry
	DeputyIndustry  string `json:"deputy_industry"`  // second-class industry
	Content         string `json:"content"`          // e.g. "商品：{{thing1.DATA}}\n金额：{{amount2.DATA}}"
	Example         string `json:"example"`
}

// ListTemplates returns the templates the account has added (get_all_private_template).
//
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
func (c *Client) ListTemplates(ctx context.Context) ([]Template, error) {
	var out struct {
		TemplateList []Template `json:"template_list"`
	}
	if err := c.getJSON(ctx, "/cgi-bin/template/get_all_private_template", nil, &out); err != nil {
		return nil, err
	}
	return out.TemplateList, nil
}

// AddTemplate adds the library template shortID to the account and returns its template_id.
// New templates come from the category library (类目模板): shortID is numeric and
// keywordNames names the keywords to use, in order (WeChat answers 40246 without them, so an
// empty list is refused locally). "TM00015"-like industry ids remain for older templates.
//
// https://developers.weixin.qq.com/doc/service/api/notify/template/api_addtemplate.html
func (c *Client) AddTemplate(ctx context.Context, shortID string, keywordNames ...string) (templateID string, err error) {
	const path = "/cgi-bin/template/api_add_template"
	if shortID == "" {
		return "", invalidf(path, "empty template_id_short")
	}
	if shortID[0] >= '0' && shortID[0] <= '9' && len(keywordNames) == 0 {
		return "", invalidf(path, "category template %s without keyword_name_list", shortID)
	}
	in := struct {
		ShortID      string   `json:"template_id_short"`
		KeywordNames []string `json:"keyword_name_list,omitempty"`
	}{shortID, keywordNames}
	var out struct {
		TemplateID string `json:"template_id"`
	}
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return "", err
	}
	return out.TemplateID, nil
}

// DeleteTemplate removes the template templateID from the account.
//
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
func (c *Client) DeleteTemplate(ctx context.Context, templateID string) error {
	const path = "/cgi-bin/template/del_private_template"
	if templateID == "" {
		return invalidf(path, "empty template_id")
	}
	in := struct {
		TemplateID string `json:"template_id"`
	}{templateID}
	return c.postJSON(ctx, path, nil, &in, nil)
}

// IndustryClass is an industry as WeChat names it: a first class and a second class.
type IndustryClass struct {
	FirstClass  string `json:"first_class"`
	SecondClass string `json:"second_class"`
}

// Industry is the account's pair of industries (所属行业); templates are picked from them.
type Industry struct {
	Primary   IndustryClass `json:"primary_industry"`
	Secondary IndustryClass `json:"secondary_industry"`
}

// GetIndustry returns the account's industries.
//
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
func (c *Client) GetIndustry(ctx context.Context) (*Industry, error) {
	var out Industry
	if err := c.getJSON(ctx, "/cgi-bin/template/get_industry", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetIndustry sets the account's two industries by WeChat's industry numbers (1 for
// IT科技/互联网|电子商务, …, see the industry table of the documentation). WeChat allows one
// change a month.
//
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
func (c *Client) SetIndustry(ctx context.Context, primary, secondary int) error {
	const path = "/cgi-bin/template/api_set_industry"
	if primary <= 0 || secondary <= 0 {
		return invalidf(path, "industry numbers must be positive, got %d and %d", primary, secondary)
	}
	in := struct {
		ID1 string `json:"industry_id1"`
		ID2 string `json:"industry_id2"`
	}{strconv.Itoa(primary), strconv.Itoa(secondary)}
	return c.postJSON(ctx, path, nil, &in, nil)
}

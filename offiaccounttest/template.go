package offiaccounttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Template messages (模板消息) and the account's templates and industries.

const (
	maxTemplates       = 25        // private templates an account may hold
	firstMsgID   int64 = 200228332 // msgids of template messages start after this
)

// ClientMsgIDWindow is how long a template send's client_msg_id stops a repeat to the same
// OpenID: WeChat promises 10 minutes and nothing after.
const ClientMsgIDWindow = 10 * time.Minute

// TemplateRecord is one template of an account's private template list.
type TemplateRecord struct {
	TemplateID      string `json:"template_id"`
	Title           string `json:"title"`
	PrimaryIndustry string `json:"primary_industry"`
	DeputyIndustry  string `json:"deputy_industry"`
	Content         string `json:"content"` // like "{{thing1.DATA}}\n金额：{{amount2.DATA}}"
	Example         string `json:"example"`
}

// SentTemplate is a template message the platform accepted.
type SentTemplate struct {
	MsgID       int64 // the msgid the send returned; TEMPLATESENDJOBFINISH carries it
	ToUser      string
	TemplateID  string
	URL         string
	ClientMsgID string
	Data        map[string]string // keyword → value
	Raw         json.RawMessage   // the request body as received
	Time        time.Time         // on the fake clock
}

// AddTemplate gives appID a private template, as if picked in the admin page, and returns
// its template_id (t.TemplateID, or a new one when empty). It returns "" for an unknown
// account.
func (p *Platform) AddTemplate(appID string, t TemplateRecord) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return ""
	}
	if t.TemplateID == "" {
		t.TemplateID = randomString(32)
	}
	a.messages.templates = append(a.messages.templates, t)
	return t.TemplateID
}

// Templates returns the private templates of appID, oldest first.
func (p *Platform) Templates(appID string) []TemplateRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		return slices.Clone(a.messages.templates)
	}
	return nil
}

// SentTemplates returns the template messages appID sent, oldest first.
func (p *Platform) SentTemplates(appID string) []SentTemplate {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	out := slices.Clone(a.messages.sent)
	for i := range out {
		out[i].Raw = bytes.Clone(out[i].Raw)
		out[i].Data = cloneMap(out[i].Data)
	}
	return out
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (a *account) templateIndex(id string) int {
	return slices.IndexFunc(a.messages.templates, func(t TemplateRecord) bool { return t.TemplateID == id })
}

// handleTemplateSend is POST /cgi-bin/message/template/send: the template must be the
// account's (40037) and the user a follower (40003, 43004; 43101 when blacklisted). A
// client_msg_id already used for the same OpenID within ClientMsgIDWindow returns the first
// send's msgid and sends nothing; to another OpenID or later, it sends again. As on WeChat
// since 2023-05-04, first and remark are dropped.
// https://developers.weixin.qq.com/doc/service/api/notify/template/api_sendtemplatemessage.html
func (p *Platform) handleTemplateSend(r *request) (any, int) {
	var in struct {
		ToUser      string `json:"touser"`
		TemplateID  string `json:"template_id"`
		URL         string `json:"url"`
		ClientMsgID string `json:"client_msg_id"`
		Data        map[string]struct {
			Value string `json:"value"`
		} `json:"data"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	if _, code := a.recipientLocked(in.ToUser, codeTemplateRefused); code != 0 {
		return nil, code
	}
	if in.TemplateID == "" || a.templateIndex(in.TemplateID) < 0 {
		return nil, codeInvalidTemplateID
	}
	type answer struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
		MsgID   int64  `json:"msgid"`
	}
	if in.ClientMsgID != "" {
		for i := len(a.messages.sent) - 1; i >= 0; i-- {
			s := a.messages.sent[i]
			if p.now.Sub(s.Time) >= ClientMsgIDWindow {
				break // older sends cannot match
			}
			if s.ClientMsgID == in.ClientMsgID && s.ToUser == in.ToUser {
				return answer{Errmsg: "ok", MsgID: s.MsgID}, 0
			}
		}
	}
	a.messages.nextMsgID++
	s := SentTemplate{MsgID: a.messages.nextMsgID, ToUser: in.ToUser, TemplateID: in.TemplateID,
		URL: in.URL, ClientMsgID: in.ClientMsgID, Data: make(map[string]string, len(in.Data)),
		Raw: bytes.Clone(r.body), Time: p.now}
	for k, v := range in.Data {
		if k == "first" || k == "remark" {
			continue // dropped since 2023-05-04
		}
		s.Data[k] = v.Value
	}
	a.messages.sent = append(a.messages.sent, s)
	return answer{Errmsg: "ok", MsgID: s.MsgID}, 0
}

// handleListTemplates is GET /cgi-bin/template/get_all_private_template.
func (p *Platform) handleListTemplates(r *request) (any, int) {
	list := slices.Clone(r.acct.messages.templates)
	if list == nil {
		list = []TemplateRecord{}
	}
	return struct {
		TemplateList []TemplateRecord `json:"template_list"`
	}{list}, 0
}

// libraryID matches the short ids of WeChat's template library: "TM00015" or "OPENTM…" for
// industry templates, digits for category templates (类目模板).
var libraryID = regexp.MustCompile(`^(?:(?:OPEN)?TM\d{5,}|\d{1,10})$`)

// handleAddTemplate is POST /cgi-bin/template/api_add_template: any well-formed library
// id is found; category templates need keyword_name_list (40246); 25 templates at most.
// https://developers.weixin.qq.com/doc/service/api/notify/template/api_addtemplate.html
func (p *Platform) handleAddTemplate(r *request) (any, int) {
	var in struct {
		ShortID      string   `json:"template_id_short"`
		KeywordNames []string `json:"keyword_name_list"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	if !libraryID.MatchString(in.ShortID) {
		return nil, codeInvalidTemplateID
	}
	a := r.acct
	if len(a.messages.templates) >= maxTemplates {
		return nil, codeTemplateLimit
	}
	t := TemplateRecord{TemplateID: randomString(32), Title: "模板 " + in.ShortID}
	if in.ShortID[0] >= '0' && in.ShortID[0] <= '9' {
		if len(in.KeywordNames) == 0 || slices.Contains(in.KeywordNames, "") {
			return nil, codeInvalidKeywordName
		}
		var b strings.Builder
		for i, k := range in.KeywordNames {
			fmt.Fprintf(&b, "%s：{{thing%d.DATA}}\n", k, i+1)
		}
		t.Content = b.String()
	} else {
		t.Content = "关键词：{{keyword1.DATA}}" // first and remark are gone since 2023
	}
	if name, ok := industries[a.messages.industry[0]]; ok {
		t.PrimaryIndustry, t.DeputyIndustry = name[0], name[1]
	}
	a.messages.templates = append(a.messages.templates, t)
	return struct {
		Errcode    int    `json:"errcode"`
		Errmsg     string `json:"errmsg"`
		TemplateID string `json:"template_id"`
	}{Errmsg: "ok", TemplateID: t.TemplateID}, 0
}

// handleDelTemplate is POST /cgi-bin/template/del_private_template {"template_id":…}.
func (p *Platform) handleDelTemplate(r *request) (any, int) {
	var in struct {
		TemplateID string `json:"template_id"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	i := r.acct.templateIndex(in.TemplateID)
	if in.TemplateID == "" || i < 0 {
		return nil, codeInvalidTemplateID
	}
	r.acct.messages.templates = slices.Delete(r.acct.messages.templates, i, i+1)
	return okBody, 0
}

type industryClass struct {
	FirstClass  string `json:"first_class"`
	SecondClass string `json:"second_class"`
}

func industryOf(id int) industryClass {
	n := industries[id]
	return industryClass{FirstClass: n[0], SecondClass: n[1]}
}

// handleGetIndustry is GET /cgi-bin/template/get_industry: the industries last set, with
// empty names before any.
func (p *Platform) handleGetIndustry(r *request) (any, int) {
	ids := r.acct.messages.industry
	return struct {
		Primary   industryClass `json:"primary_industry"`
		Secondary industryClass `json:"secondary_industry"`
	}{industryOf(ids[0]), industryOf(ids[1])}, 0
}

// handleSetIndustry is POST /cgi-bin/template/api_set_industry with industry numbers 1…41
// given as strings or numbers (40102 otherwise).
func (p *Platform) handleSetIndustry(r *request) (any, int) {
	var in struct {
		ID1 json.RawMessage `json:"industry_id1"`
		ID2 json.RawMessage `json:"industry_id2"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	var ids [2]int
	for i, raw := range []json.RawMessage{in.ID1, in.ID2} {
		n, err := strconv.Atoi(strings.Trim(string(raw), `"`))
		if _, ok := industries[n]; err != nil || !ok {
			return nil, codeInvalidIndustry
		}
		ids[i] = n
	}
	r.acct.messages.industry = ids
	return okBody, 0
}

// industries is WeChat's industry table of template messages: number → first and second
// class.
var industries = map[int][2]string{
	1: {"IT科技", "互联网|电子商务"}, 2: {"IT科技", "IT软件与服务"}, 3: {"IT科技", "IT硬件与设备"},
	4: {"IT科技", "电子技术"}, 5: {"IT科技", "通信与运营商"}, 6: {"IT科技", "网络游戏"},
	7: {"金融业", "银行"}, 8: {"金融业", "基金理财信托"}, 9: {"金融业", "保险"},
	10: {"餐饮", "餐饮"}, 11: {"酒店旅游", "酒店"}, 12: {"酒店旅游", "旅游"},
	13: {"运输与仓储", "快递"}, 14: {"运输与仓储", "物流"}, 15: {"运输与仓储", "仓储"},
	16: {"教育", "培训"}, 17: {"教育", "院校"}, 18: {"政府与公共事业", "学术科研"},
	19: {"政府与公共事业", "交警"}, 20: {"政府与公共事业", "博物馆"},
	21: {"政府与公共事业", "公共事业|非盈利机构"}, 22: {"医药护理", "医药医疗"},
	23: {"医药护理", "护理美容"}, 24: {"医药护理", "保健与卫生"}, 25: {"交通工具", "汽车相关"},
	26: {"交通工具", "摩托车相关"}, 27: {"交通工具", "火车相关"}, 28: {"交通工具", "飞机相关"},
	29: {"房地产", "建筑"}, 30: {"房地产", "物业"}, 31: {"消费品", "消费品"},
	32: {"商业服务", "法律"}, 33: {"商业服务", "会展"}, 34: {"商业服务", "中介服务"},
	35: {"商业服务", "认证"}, 36: {"商业服务", "审计"}, 37: {"文体娱乐", "传媒"},
	38: {"文体娱乐", "体育"}, 39: {"文体娱乐", "娱乐休闲"}, 40: {"印刷", "印刷"},
	41: {"其它", "其它"},
}

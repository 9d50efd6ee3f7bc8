package offiaccounttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Subscribe notifications (订阅通知): templates picked from a small built-in public
// library, users who accept or reject them (played with AcceptSubscription and
// RejectSubscription, pushed as subscribe_msg_popup_event and subscribe_msg_change_event),
// and bizsend, which needs an acceptance and reports each send with
// subscribe_msg_sent_event.

const (
	// SubscribeSentDelay is how long after a bizsend its subscribe_msg_sent_event is due.
	SubscribeSentDelay = time.Second
	// MaxSubscribeTemplates is how many templates an account may add (200012 beyond).
	MaxSubscribeTemplates = 25

	firstSubscribeMsgID int64 = 1700827132819554304
)

// Errcodes of the subscribe-notification APIs.
const (
	codeSubscribeTmplLimit = 200012
	codeSubscribeBadTID    = 200014
	codeSubscribeBadStart  = 200016
	codeSubscribeBadLimit  = 200017
	codeSubscribeNoIDs     = 200018
	codeSubscribeBadIDs    = 200019
	codeSubscribeBadKids   = 200020
	codeSubscribeBadScene  = 200021
)

// SubscribeLibraryCategory is a category of the built-in public template library.
type SubscribeLibraryCategory struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// SubscribeLibraryTitle is a title (tid) of the built-in library with its keywords.
type SubscribeLibraryTitle struct {
	TID        int
	Title      string
	Type       int // 2 one-time (一次性订阅), 3 long-term (长期订阅)
	CategoryID int
	Keywords   []SubscribeLibraryKeyword
}

// SubscribeLibraryKeyword is a keyword (kid) of a library title; its data key is Rule
// followed by KID, like "thing1".
type SubscribeLibraryKeyword struct {
	KID     int    `json:"kid"`
	Name    string `json:"name"`
	Example string `json:"example"`
	Rule    string `json:"rule"`
}

// SubscribeLibrary returns the public template library every account of the platform
// sees: two categories, and titles of both types with keywords of the common kinds.
func SubscribeLibrary() ([]SubscribeLibraryCategory, []SubscribeLibraryTitle) {
	titles := slices.Clone(subscribeLibrary.Titles)
	for i := range titles {
		titles[i].Keywords = slices.Clone(titles[i].Keywords)
	}
	return slices.Clone(subscribeLibrary.Categories), titles
}

var subscribeLibrary = struct {
	Categories []SubscribeLibraryCategory
	Titles     []SubscribeLibraryTitle
}{
	Categories: []SubscribeLibraryCategory{{ID: 307, Name: "快递、物流"}, {ID: 616, Name: "公交"}},
	Titles: []SubscribeLibraryTitle{
		{TID: 1001, Title: "订单发货通知", Type: 2, CategoryID: 307, Keywords: []SubscribeLibraryKeyword{
			{KID: 1, Name: "商品名称", Example: "羽绒服", Rule: "thing"},
			{KID: 2, Name: "订单编号", Example: "SF1234567890", Rule: "character_string"},
			{KID: 3, Name: "发货时间", Example: "2019年10月1日 15:01", Rule: "time"},
			{KID: 4, Name: "订单金额", Example: "¥99.00", Rule: "amount"},
			{KID: 5, Name: "物流状态", Example: "已发货", Rule: "phrase"},
			{KID: 6, Name: "快递员电话", Example: "+86-0766-66888866", Rule: "phone_number"},
		}},
		{TID: 1002, Title: "到站提醒", Type: 2, CategoryID: 616, Keywords: []SubscribeLibraryKeyword{
			{KID: 1, Name: "线路", Example: "12路", Rule: "thing"},
			{KID: 2, Name: "到站时间", Example: "15:01", Rule: "time"},
			{KID: 3, Name: "车牌号", Example: "粤A8Z888", Rule: "car_number"},
			{KID: 4, Name: "剩余站数", Example: "3", Rule: "number"},
		}},
		{TID: 1003, Title: "物流进度提醒", Type: 3, CategoryID: 307, Keywords: []SubscribeLibraryKeyword{
			{KID: 1, Name: "快递单号", Example: "SF1234567890", Rule: "character_string"},
			{KID: 2, Name: "收件人", Example: "张三", Rule: "name"},
			{KID: 3, Name: "预计送达", Example: "2019年10月2日", Rule: "date"},
		}},
	},
}

// SubscribeTemplateRecord is a template an account added.
type SubscribeTemplateRecord struct {
	PriTmplID string
	TID       int
	Title     string
	Type      int
	KIDs      []int
	Keys      []string // the data keys, like "thing1", in template order
	SceneDesc string
	Content   string
	Example   string
}

// SubscribeMessageRecord is a subscribe notification the platform accepted.
type SubscribeMessageRecord struct {
	MsgID      int64 // the msgid bizsend returned, carried by subscribe_msg_sent_event
	ToUser     string
	TemplateID string
	Page       string
	Data       map[string]string // key → value
	Raw        json.RawMessage   // the request body as received
	Time       time.Time         // on the fake clock
}

// subscribeState is an account's templates, users' acceptances and sent notifications.
type subscribeState struct {
	templates []SubscribeTemplateRecord
	accepted  map[string]int // openid + " " + priTmplId → sends left (-1: long-term)
	sent      []SubscribeMessageRecord
	nextMsgID int64
}

func (s *subscribeState) init() {
	if s.accepted == nil {
		s.accepted = make(map[string]int)
		s.nextMsgID = firstSubscribeMsgID
	}
}

func subscribeTitle(tid int) (SubscribeLibraryTitle, bool) {
	i := slices.IndexFunc(subscribeLibrary.Titles, func(t SubscribeLibraryTitle) bool { return t.TID == tid })
	if i < 0 {
		return SubscribeLibraryTitle{}, false
	}
	return subscribeLibrary.Titles[i], true
}

func (a *account) subscribeTemplateLocked(id string) int {
	return slices.IndexFunc(a.subs.templates, func(t SubscribeTemplateRecord) bool { return t.PriTmplID == id })
}

// SubscribeTemplates returns the templates appID added, oldest first.
func (p *Platform) SubscribeTemplates(appID string) []SubscribeTemplateRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	out := slices.Clone(a.subs.templates)
	for i := range out {
		out[i].KIDs, out[i].Keys = slices.Clone(out[i].KIDs), slices.Clone(out[i].Keys)
	}
	return out
}

// SentSubscribeMessages returns the subscribe notifications appID sent, oldest first.
func (p *Platform) SentSubscribeMessages(appID string) []SubscribeMessageRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	out := slices.Clone(a.subs.sent)
	for i := range out {
		out[i].Data, out[i].Raw = cloneMap(out[i].Data), bytes.Clone(out[i].Raw)
	}
	return out
}

// ErrUnknown is returned by the platform's scripting methods for an account, user or
// template it does not know.
var ErrUnknown = errors.New("offiaccounttest: unknown account, user or template")

// AcceptSubscription plays openID answering a subscription popup of appID (from an
// article, PopupScene 2) by accepting templateIDs: one bizsend of a one-time template is
// allowed per acceptance, any number of a long-term one. The subscribe_msg_popup_event,
// with one List item per template, is due at once and is pushed before it returns when an
// event sender is set.
func (p *Platform) AcceptSubscription(appID, openID string, templateIDs ...string) error {
	if len(templateIDs) == 0 {
		return fmt.Errorf("%w: no template to accept", ErrUnknown)
	}
	return p.answerSubscription(appID, openID, templateIDs, true)
}

// RejectSubscription plays openID turning templateID of appID off in the notification
// settings: the acceptances left are dropped (bizsend gets 43101) and a
// subscribe_msg_change_event is pushed.
func (p *Platform) RejectSubscription(appID, openID, templateID string) error {
	return p.answerSubscription(appID, openID, []string{templateID}, false)
}

func (p *Platform) answerSubscription(appID, openID string, templateIDs []string, accept bool) error {
	p.mu.Lock()
	a, ok := p.accounts[appID]
	if ok {
		_, ok = a.users[openID]
	}
	for _, id := range templateIDs {
		if !ok || a.subscribeTemplateLocked(id) < 0 {
			p.mu.Unlock()
			return fmt.Errorf("%w: %s, %s, %s", ErrUnknown, appID, openID, id)
		}
	}
	a.subs.init()
	var list []Field
	for _, id := range templateIDs {
		key := openID + " " + id
		item := []Field{{Name: "TemplateId", Value: id}}
		switch {
		case !accept:
			delete(a.subs.accepted, key)
			item = append(item, Field{Name: "SubscribeStatusString", Value: "reject"})
		case a.subs.templates[a.subscribeTemplateLocked(id)].Type == 3:
			a.subs.accepted[key] = -1
			fallthrough
		default:
			if a.subs.accepted[key] >= 0 {
				a.subs.accepted[key]++
			}
			item = append(item, Field{Name: "SubscribeStatusString", Value: "accept"},
				Field{Name: "PopupScene", Value: "2", Number: true})
		}
		list = append(list, Field{Name: "List", Children: item})
	}
	m := Event(openID, "subscribe_msg_popup_event", "", Field{Name: "SubscribeMsgPopupEvent", Children: list})
	if !accept {
		m = Event(openID, "subscribe_msg_change_event", "", Field{Name: "SubscribeMsgChangeEvent", Children: list})
	}
	p.scheduleEventLocked(p.now, m)
	p.mu.Unlock()
	p.flushEvents()
	return nil
}

// handleSubscribeCategories is GET /wxaapi/newtmpl/getcategory: the library's categories.
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_getcategory.html
func (p *Platform) handleSubscribeCategories(r *request) (any, int) {
	return struct {
		Errcode int                        `json:"errcode"`
		Errmsg  string                     `json:"errmsg"`
		Data    []SubscribeLibraryCategory `json:"data"`
	}{Errmsg: "ok", Data: subscribeLibrary.Categories}, 0
}

// handleSubscribeTitles is GET /wxaapi/newtmpl/getpubtemplatetitles?ids=&start=&limit=:
// ids comma-joined, quoted or not (200018, 200019); start ≥ 0 (200016); limit 1..30
// (200017).
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_getpubtemplatetitles.html
func (p *Platform) handleSubscribeTitles(r *request) (any, int) {
	ids := strings.Trim(r.get("ids"), `"`)
	if ids == "" {
		return p.notifyFailLocked(r, codeSubscribeNoIDs, ""), 0
	}
	var cats []int
	for _, s := range strings.Split(ids, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return p.notifyFailLocked(r, codeSubscribeBadIDs, ""), 0
		}
		cats = append(cats, n)
	}
	start, err := strconv.Atoi(r.get("start"))
	if err != nil || start < 0 {
		return p.notifyFailLocked(r, codeSubscribeBadStart, ""), 0
	}
	limit, err := strconv.Atoi(r.get("limit"))
	if err != nil || limit < 1 || limit > 30 {
		return p.notifyFailLocked(r, codeSubscribeBadLimit, ""), 0
	}
	type title struct {
		TID        int    `json:"tid"`
		Title      string `json:"title"`
		Type       int    `json:"type"`
		CategoryID string `json:"categoryId"`
	}
	all := []title{}
	for _, t := range subscribeLibrary.Titles {
		if slices.Contains(cats, t.CategoryID) {
			all = append(all, title{t.TID, t.Title, t.Type, strconv.Itoa(t.CategoryID)})
		}
	}
	page := all[min(start, len(all)):min(start+limit, len(all))]
	return struct {
		Errcode int     `json:"errcode"`
		Errmsg  string  `json:"errmsg"`
		Count   int     `json:"count"`
		Data    []title `json:"data"`
	}{Errmsg: "ok", Count: len(all), Data: page}, 0
}

// handleSubscribeKeywords is GET /wxaapi/newtmpl/getpubtemplatekeywords?tid= (200014).
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_getpubtemplatekeywords.html
func (p *Platform) handleSubscribeKeywords(r *request) (any, int) {
	tid, _ := strconv.Atoi(r.get("tid"))
	t, ok := subscribeTitle(tid)
	if !ok {
		return p.notifyFailLocked(r, codeSubscribeBadTID, ""), 0
	}
	return struct {
		Errcode int                       `json:"errcode"`
		Errmsg  string                    `json:"errmsg"`
		Count   int                       `json:"count"`
		Data    []SubscribeLibraryKeyword `json:"data"`
	}{Errmsg: "ok", Count: len(t.Keywords), Data: t.Keywords}, 0
}

// handleSubscribeAddTemplate is POST /wxaapi/newtmpl/addtemplate {tid, kidList,
// sceneDesc}: a library tid (200014), 2 to 5 distinct keywords of it (200020), a
// sceneDesc of 1 to 15 characters (200021), 25 templates at most (200012).
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_addtemplate.html
func (p *Platform) handleSubscribeAddTemplate(r *request) (any, int) {
	var in struct {
		TID       json.RawMessage `json:"tid"`
		KidList   []int           `json:"kidList"`
		SceneDesc string          `json:"sceneDesc"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	tid, _ := strconv.Atoi(strings.Trim(string(in.TID), `"`))
	t, ok := subscribeTitle(tid)
	if !ok {
		return p.notifyFailLocked(r, codeSubscribeBadTID, ""), 0
	}
	if len(in.KidList) < 2 || len(in.KidList) > 5 {
		return p.notifyFailLocked(r, codeSubscribeBadKids, ""), 0
	}
	rec := SubscribeTemplateRecord{PriTmplID: randomString(32), TID: tid, Title: t.Title, Type: t.Type,
		KIDs: slices.Clone(in.KidList), SceneDesc: in.SceneDesc}
	var content, example strings.Builder
	for _, kid := range in.KidList {
		i := slices.IndexFunc(t.Keywords, func(k SubscribeLibraryKeyword) bool { return k.KID == kid })
		if i < 0 || slices.Contains(rec.KIDs[:len(rec.Keys)], kid) {
			return p.notifyFailLocked(r, codeSubscribeBadKids, ""), 0
		}
		k := t.Keywords[i]
		key := k.Rule + strconv.Itoa(k.KID)
		rec.Keys = append(rec.Keys, key)
		fmt.Fprintf(&content, "%s:{{%s.DATA}}\n", k.Name, key)
		fmt.Fprintf(&example, "%s:%s\n", k.Name, k.Example)
	}
	rec.Content, rec.Example = content.String(), example.String()
	if n := utf8.RuneCountInString(in.SceneDesc); n == 0 || n > 15 {
		return p.notifyFailLocked(r, codeSubscribeBadScene, ""), 0
	}
	a := r.acct
	if len(a.subs.templates) >= MaxSubscribeTemplates {
		return p.notifyFailLocked(r, codeSubscribeTmplLimit, ""), 0
	}
	a.subs.templates = append(a.subs.templates, rec)
	return struct {
		Errcode   int    `json:"errcode"`
		Errmsg    string `json:"errmsg"`
		PriTmplID string `json:"priTmplId"`
	}{Errmsg: "ok", PriTmplID: rec.PriTmplID}, 0
}

// handleSubscribeDelTemplate is POST /wxaapi/newtmpl/deltemplate {priTmplId} (40037 for
// an unknown one); users' acceptances of it go with it.
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_deletetemplate.html
func (p *Platform) handleSubscribeDelTemplate(r *request) (any, int) {
	var in struct {
		PriTmplID string `json:"priTmplId"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	i := a.subscribeTemplateLocked(in.PriTmplID)
	if in.PriTmplID == "" || i < 0 {
		return nil, codeInvalidTemplateID
	}
	a.subs.templates = slices.Delete(a.subs.templates, i, i+1)
	for k := range a.subs.accepted {
		if strings.HasSuffix(k, " "+in.PriTmplID) {
			delete(a.subs.accepted, k)
		}
	}
	return okBody, 0
}

// handleSubscribeTemplates is GET /wxaapi/newtmpl/gettemplate: the account's templates.
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_gettemplate.html
func (p *Platform) handleSubscribeTemplates(r *request) (any, int) {
	type tmpl struct {
		PriTmplID string `json:"priTmplId"`
		Title     string `json:"title"`
		Content   string `json:"content"`
		Example   string `json:"example"`
		Type      int    `json:"type"`
	}
	list := []tmpl{}
	for _, t := range r.acct.subs.templates {
		list = append(list, tmpl{t.PriTmplID, t.Title, t.Content, t.Example, t.Type})
	}
	return struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
		Data    []tmpl `json:"data"`
	}{Errmsg: "ok", Data: list}, 0
}

// subscribeValueRules are the fake's checks of a value by kind: a length in characters and
// a character set; the SDK's own validator is stricter and is not reused here.
var subscribeValueRules = map[string]struct {
	max int
	re  *regexp.Regexp
}{
	"thing":            {20, nil},
	"number":           {32, regexp.MustCompile(`^\d+(\.\d+)?$`)},
	"letter":           {32, regexp.MustCompile(`^[A-Za-z]+$`)},
	"symbol":           {5, nil},
	"character_string": {32, regexp.MustCompile(`^[\x20-\x7e]+$`)},
	"time":             {0, regexp.MustCompile(`\d{1,2}:\d{2}`)},
	"date":             {0, regexp.MustCompile(`\d`)},
	"amount":           {0, regexp.MustCompile(`^\p{Sc}?\d{1,10}(\.\d+)?元?$`)},
	"phone_number":     {17, regexp.MustCompile(`^[\d+\-() ]+$`)},
	"car_number":       {8, nil},
	"name":             {20, nil},
	"phrase":           {5, regexp.MustCompile(`^\p{Han}+$`)},
}

// subscribeValueOK applies the fake's rule for key's kind to v.
func subscribeValueOK(key, v string) bool {
	if v == "" || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return false
	}
	kind := strings.TrimRight(key, "0123456789")
	rule, ok := subscribeValueRules[kind]
	if !ok {
		return true
	}
	n := utf8.RuneCountInString(v)
	if kind == "name" && strings.IndexFunc(v, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
		rule.max = 10
	}
	return (rule.max == 0 || n <= rule.max) && (rule.re == nil || rule.re.MatchString(v))
}

// handleSubscribeSend is POST /cgi-bin/message/subscribe/bizsend: the template must be the
// account's (40037), the user known (40003) and holding an acceptance of the template
// (43101; a one-time acceptance is used up by the send), and data must give every key of the
// template a value that fits its kind (47003, naming the key). A subscribe_msg_sent_event
// follows SubscribeSentDelay later.
// https://developers.weixin.qq.com/doc/service/api/notify/notify/api_sendnewsubscribemsg.html
func (p *Platform) handleSubscribeSend(r *request) (any, int) {
	var in struct {
		ToUser     string `json:"touser"`
		TemplateID string `json:"template_id"`
		Page       string `json:"page"`
		Data       map[string]struct {
			Value json.RawMessage `json:"value"`
		} `json:"data"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	a.subs.init()
	i := a.subscribeTemplateLocked(in.TemplateID)
	if in.TemplateID == "" || i < 0 {
		return nil, codeInvalidTemplateID
	}
	if _, ok := a.users[in.ToUser]; !ok || in.ToUser == "" {
		return nil, codeInvalidOpenID
	}
	data := make(map[string]string, len(in.Data))
	for _, key := range a.subs.templates[i].Keys {
		var v string
		d, ok := in.Data[key]
		if ok && json.Unmarshal(d.Value, &v) != nil {
			v = strings.Trim(string(d.Value), `"`) // a number given bare
		}
		if !ok || !subscribeValueOK(key, v) {
			return p.notifyFailLocked(r, codeArgInvalid, "data."+key+".value invalid"), 0
		}
		data[key] = v
	}
	key := in.ToUser + " " + in.TemplateID
	left := a.subs.accepted[key]
	if left == 0 {
		return nil, codeTemplateRefused
	}
	if left > 0 {
		a.subs.accepted[key] = left - 1
	}
	a.subs.nextMsgID++
	rec := SubscribeMessageRecord{MsgID: a.subs.nextMsgID, ToUser: in.ToUser, TemplateID: in.TemplateID,
		Page: in.Page, Data: data, Raw: bytes.Clone(r.body), Time: p.now}
	a.subs.sent = append(a.subs.sent, rec)
	p.scheduleEventLocked(p.now.Add(SubscribeSentDelay), Event(in.ToUser, "subscribe_msg_sent_event", "",
		Field{Name: "SubscribeMsgSentEvent", Children: []Field{{Name: "List", Children: []Field{
			{Name: "TemplateId", Value: in.TemplateID},
			{Name: "MsgID", Value: strconv.FormatInt(rec.MsgID, 10), Number: true},
			{Name: "ErrorCode", Value: "0", Number: true},
			{Name: "ErrorStatus", Value: "success"},
		}}}}))
	return struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
		MsgID   int64  `json:"msgid"`
	}{Errmsg: "ok", MsgID: rec.MsgID}, 0
}

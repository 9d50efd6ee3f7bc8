package offiaccount

// Events with nested elements: the typed ones (PUBLISHJOBFINISH, the subscribe-notification
// events, MASSSENDJOBFINISH's copyright check), and XMLElement, the general way to read a
// nested element this package has no field for.

// SubscribeMsgItem is one List element of a subscribe_msg_popup_event,
// subscribe_msg_change_event or subscribe_msg_sent_event: one template of the
// subscribe notification (订阅通知) the event is about.
type SubscribeMsgItem struct {
	TemplateID string // TemplateId
	// SubscribeStatusString is SubscribeStatusAccept or SubscribeStatusReject (popup and
	// change events).
	SubscribeStatusString SubscribeStatus
	// PopupScene is where the popup appeared (popup events): 1 an H5 page, 2 an article;
	// 0 in mini programs.
	PopupScene int
	// MsgID, ErrorCode and ErrorStatus report a sent notification (sent events): ErrorCode
	// 0 and ErrorStatus "success", or the reason it was not delivered.
	MsgID       int64
	ErrorCode   int
	ErrorStatus string
}

// SubscribeStatus is the user's answer to a subscribe notification template
// (SubscribeStatusString).
type SubscribeStatus string

// Values of SubscribeMsgItem.SubscribeStatusString.
const (
	SubscribeStatusAccept SubscribeStatus = "accept" // the user agreed (同意)
	SubscribeStatusReject SubscribeStatus = "reject" // the user declined or turned it off (取消)
)

// CopyrightCheckResult is the originality check of a mass send (MASSSENDJOBFINISH).
type CopyrightCheckResult struct {
	Count      int
	ResultList []CopyrightCheckItem
	// CheckState: 1 not judged a reprint, sent; 2 judged a reprint that may be sent;
	// 3 judged a reprint that may not be sent.
	CheckState int
}

// CopyrightCheckItem is the originality check of one article of a mass send.
type CopyrightCheckItem struct {
	ArticleIdx            int // from 1
	UserDeclareState      int
	AuditState            int
	OriginalArticleURL    string // OriginalArticleUrl
	OriginalArticleType   int
	CanReprint            bool
	NeedReplaceContent    bool
	NeedShowReprintSource bool
}

// ArticleURLResult lists the URLs of a mass send's articles (MASSSENDJOBFINISH).
type ArticleURLResult struct {
	Count      int
	ResultList []ArticleURLItem
}

// ArticleURLItem is the URL of one article of a mass send.
type ArticleURLItem struct {
	ArticleIdx int    // from 1
	ArticleURL string // ArticleUrl
}

// fillPublishEventInfo reads PublishEventInfo: publish_id, publish_status, article_id,
// article_detail{count, item{idx, article_url}} and repeated fail_idx elements.
func (m *Message) fillPublishEventInfo(nodes []xmlNode, parent int) error {
	j := new(PublishJob)
	m.PublishEventInfo = j
	return children(nodes, parent, func(i int) error {
		var err error
		v := nodes[i].value
		switch nodes[i].name {
		case "publish_id":
			j.PublishID = trimXMLSpace(v)
		case "publish_status":
			var s int
			s, err = parseSmallIntField("PublishEventInfo.publish_status", v)
			j.PublishStatus = PublishStatus(s)
		case "article_id":
			j.ArticleID = v
		case "fail_idx":
			var idx int
			idx, err = parseSmallIntField("PublishEventInfo.fail_idx", v)
			j.FailIdx = append(j.FailIdx, idx)
		case "article_detail":
			err = children(nodes, i, func(k int) error {
				switch nodes[k].name {
				case "count":
					var err error
					j.ArticleDetail.Count, err = parseSmallIntField("article_detail.count", nodes[k].value)
					return err
				case "item":
					var it PublishArticleItem
					err := children(nodes, k, func(l int) error {
						var err error
						switch nodes[l].name {
						case "idx":
							it.Idx, err = parseSmallIntField("article_detail.item.idx", nodes[l].value)
						case "article_url":
							it.ArticleURL = nodes[l].value
						}
						return err
					})
					j.ArticleDetail.Item = append(j.ArticleDetail.Item, it)
					return err
				}
				return nil
			})
		}
		return err
	})
}

// fillSubscribeMsgList reads the List elements of the three subscribe-notification events.
func (m *Message) fillSubscribeMsgList(nodes []xmlNode, parent int) error {
	return children(nodes, parent, func(i int) error {
		if nodes[i].name != "List" {
			return nil
		}
		var it SubscribeMsgItem
		err := children(nodes, i, func(k int) error {
			var err error
			v := nodes[k].value
			switch nodes[k].name {
			case "TemplateId":
				it.TemplateID = v
			case "SubscribeStatusString":
				it.SubscribeStatusString = SubscribeStatus(v)
			case "PopupScene":
				it.PopupScene, err = parseSmallIntField("List.PopupScene", v)
			case "MsgID", "MsgId":
				it.MsgID, err = parseIntField("List.MsgID", v)
			case "ErrorCode":
				it.ErrorCode, err = parseSmallIntField("List.ErrorCode", v)
			case "ErrorStatus":
				it.ErrorStatus = v
			}
			return err
		})
		m.SubscribeMsgList = append(m.SubscribeMsgList, it)
		return err
	})
}

// resultItems calls fn for each item of the ResultList child of nodes[parent].
func resultItems(nodes []xmlNode, parent int, fn func(item int) error) error {
	return children(nodes, parent, func(i int) error {
		if nodes[i].name != "ResultList" {
			return nil
		}
		return children(nodes, i, func(k int) error {
			if nodes[k].name != "item" {
				return nil
			}
			return fn(k)
		})
	})
}

func (m *Message) fillCopyrightCheckResult(nodes []xmlNode, parent int) error {
	r := new(CopyrightCheckResult)
	m.CopyrightCheckResult = r
	err := children(nodes, parent, func(i int) error {
		var err error
		switch nodes[i].name {
		case "Count":
			r.Count, err = parseSmallIntField("CopyrightCheckResult.Count", nodes[i].value)
		case "CheckState":
			r.CheckState, err = parseSmallIntField("CopyrightCheckResult.CheckState", nodes[i].value)
		}
		return err
	})
	if err != nil {
		return err
	}
	return resultItems(nodes, parent, func(item int) error {
		var it CopyrightCheckItem
		err := children(nodes, item, func(k int) error {
			v := nodes[k].value
			name := nodes[k].name
			var num *int   // a number field
			var flag *bool // a 0/1 field
			switch name {
			case "OriginalArticleUrl":
				it.OriginalArticleURL = v
				return nil
			case "ArticleIdx":
				num = &it.ArticleIdx
			case "UserDeclareState":
				num = &it.UserDeclareState
			case "AuditState":
				num = &it.AuditState
			case "OriginalArticleType":
				num = &it.OriginalArticleType
			case "CanReprint":
				flag = &it.CanReprint
			case "NeedReplaceContent":
				flag = &it.NeedReplaceContent
			case "NeedShowReprintSource":
				flag = &it.NeedShowReprintSource
			default:
				return nil
			}
			n, err := parseSmallIntField("CopyrightCheckResult.item."+name, v)
			if num != nil {
				*num = n
			} else {
				*flag = n != 0
			}
			return err
		})
		r.ResultList = append(r.ResultList, it)
		return err
	})
}

func (m *Message) fillArticleURLResult(nodes []xmlNode, parent int) error {
	r := new(ArticleURLResult)
	m.ArticleURLResult = r
	err := children(nodes, parent, func(i int) error {
		if nodes[i].name != "Count" {
			return nil
		}
		var err error
		r.Count, err = parseSmallIntField("ArticleUrlResult.Count", nodes[i].value)
		return err
	})
	if err != nil {
		return err
	}
	return resultItems(nodes, parent, func(item int) error {
		var it ArticleURLItem
		err := children(nodes, item, func(k int) error {
			var err error
			switch nodes[k].name {
			case "ArticleIdx":
				it.ArticleIdx, err = parseSmallIntField("ArticleUrlResult.item.ArticleIdx", nodes[k].value)
			case "ArticleUrl":
				it.ArticleURL = nodes[k].value
			}
			return err
		})
		r.ResultList = append(r.ResultList, it)
		return err
	})
}

func trimXMLSpace(s string) string {
	for len(s) > 0 && isXMLSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isXMLSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// XMLElement is one element of a message's XML document, with its children: the general
// way to read nested elements of an event this package has no field for. Get one with
// Message.Element or Message.Elements.
type XMLElement struct {
	Name     string
	Text     string // character data of an element without children, CDATA unwrapped
	Children []XMLElement
}

// Element returns the first element reached by path, a list of element names below the
// element, and whether there is one. With no path it returns e itself.
func (e XMLElement) Element(path ...string) (XMLElement, bool) {
	if len(path) == 0 {
		return e, true
	}
	for _, c := range e.Children {
		if c.Name == path[0] {
			if found, ok := c.Element(path[1:]...); ok {
				return found, true
			}
		}
	}
	return XMLElement{}, false
}

// Elements returns every element reached by path below e, in document order: all the
// items of a list, for example.
func (e XMLElement) Elements(path ...string) []XMLElement {
	if len(path) == 0 {
		return []XMLElement{e}
	}
	var out []XMLElement
	for _, c := range e.Children {
		if c.Name == path[0] {
			out = append(out, c.Elements(path[1:]...)...)
		}
	}
	return out
}

// TextOf returns the text of the first element reached by path below e, and whether there
// is one.
func (e XMLElement) TextOf(path ...string) (string, bool) {
	found, ok := e.Element(path...)
	return found.Text, ok
}

// Element returns the first element of Raw reached by path, a list of element names that
// starts below the root <xml>, and whether there is one. Read a list of an event the
// package has no field for with Elements, for example
//
//	for _, item := range m.Elements("CopyrightCheckResult", "ResultList", "item") {
//		idx, _ := item.TextOf("ArticleIdx")
//		…
//	}
//
// Each call decodes Raw again; the typed fields cost nothing extra.
func (m *Message) Element(path ...string) (XMLElement, bool) {
	root, ok := m.rootElement()
	if !ok || len(path) == 0 {
		return XMLElement{}, false
	}
	return root.Element(path...)
}

// Elements returns every element of Raw reached by path (starting below the root <xml>),
// in document order; nil when there is none.
func (m *Message) Elements(path ...string) []XMLElement {
	root, ok := m.rootElement()
	if !ok || len(path) == 0 {
		return nil
	}
	return root.Elements(path...)
}

// rootElement decodes Raw into a tree.
func (m *Message) rootElement() (XMLElement, bool) {
	p := getXMLParser()
	defer putXMLParser(p)
	if p.parse(string(m.Raw)) != nil {
		return XMLElement{}, false
	}
	return buildElement(p.nodes, 0), true
}

// buildElement copies nodes[i] and its descendants into an XMLElement. Nodes are in
// document order, so the children of i follow it.
func buildElement(nodes []xmlNode, i int) XMLElement {
	e := XMLElement{Name: nodes[i].name}
	if nodes[i].leaf {
		e.Text = nodes[i].value
		return e
	}
	_ = children(nodes, i, func(k int) error {
		e.Children = append(e.Children, buildElement(nodes, k))
		return nil
	})
	return e
}

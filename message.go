package offiaccount

import (
	"fmt"
	"strconv"
	"strings"
)

// MsgType names the kind of a message WeChat pushes to the callback URL, or
// of a passive reply (消息类型, the MsgType element).
type MsgType string

// Message types WeChat pushes. See
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
const (
	MsgTypeText       MsgType = "text"
	MsgTypeImage      MsgType = "image"
	MsgTypeVoice      MsgType = "voice"
	MsgTypeVideo      MsgType = "video"
	MsgTypeShortVideo MsgType = "shortvideo"
	MsgTypeLocation   MsgType = "location"
	MsgTypeLink       MsgType = "link"
	MsgTypeEvent      MsgType = "event"
)

// Reply-only message types (被动回复).
const (
	MsgTypeMusic                   MsgType = "music"
	MsgTypeNews                    MsgType = "news"
	MsgTypeTransferCustomerService MsgType = "transfer_customer_service"
)

// EventType names an event (the Event element of a message whose MsgType is
// "event"). WeChat spells them in mixed case; the constants hold the exact
// spelling.
type EventType string

// Events WeChat pushes. See
// https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
// and https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Custom_Menu_Push_Events.html
const (
	EventSubscribe   EventType = "subscribe"   // user followed the account (关注), maybe through a QR code
	EventUnsubscribe EventType = "unsubscribe" // user unfollowed (取消关注)
	EventScan        EventType = "SCAN"        // a follower scanned a parametric QR code
	EventLocation    EventType = "LOCATION"    // location report (上报地理位置)
	EventClick       EventType = "CLICK"       // click menu button
	EventView        EventType = "VIEW"        // view (link) menu button

	EventViewMiniprogram  EventType = "view_miniprogram"   // mini program menu button
	EventScancodePush     EventType = "scancode_push"      // 扫码推事件
	EventScancodeWaitmsg  EventType = "scancode_waitmsg"   // 扫码推事件且弹出"消息接收中"
	EventPicSysphoto      EventType = "pic_sysphoto"       // 系统拍照发图
	EventPicPhotoOrAlbum  EventType = "pic_photo_or_album" // 拍照或者相册发图
	EventPicWeixin        EventType = "pic_weixin"         // 微信相册发图
	EventLocationSelect   EventType = "location_select"    // 地理位置选择器
	EventTemplateSendDone EventType = "TEMPLATESENDJOBFINISH"
	EventMassSendDone     EventType = "MASSSENDJOBFINISH"

	EventPublishJobFinish   EventType = "PUBLISHJOBFINISH"           // publish job done (发布结果): PublishEventInfo
	EventSubscribeMsgPopup  EventType = "subscribe_msg_popup_event"  // user answered a subscribe popup: SubscribeMsgList
	EventSubscribeMsgChange EventType = "subscribe_msg_change_event" // user rejected notifications later: SubscribeMsgList
	EventSubscribeMsgSent   EventType = "subscribe_msg_sent_event"   // subscribe notification delivery: SubscribeMsgList
)

// Message is one message or event pushed by WeChat, decoded from its XML.
//
// Fields are named after WeChat's elements (Location_X becomes LocationX,
// PicUrl becomes PicURL, MsgId and MsgID become MsgID). A field WeChat did not
// send is the zero value. Elements this type does not know reach the user
// through Field, Element and Raw, so new message and event types never get lost.
type Message struct {
	ToUserName   string  // the account's original id (gh_…)
	FromUserName string  // the sender's OpenID
	CreateTime   int64   // unix seconds
	MsgType      MsgType // message type
	MsgID        int64   // MsgId (messages) or MsgID (job-finish events)

	// text
	Content   string
	MsgDataID string // MsgDataId: set when the message comes from an article
	Idx       string // Idx: which article of a multi-article message, from 1

	// image, voice, video, shortvideo
	PicURL       string // PicUrl
	MediaID      string // MediaId
	Format       string // voice format, e.g. amr or speex
	Recognition  string // voice recognition result, when enabled
	ThumbMediaID string // ThumbMediaId

	// location
	LocationX float64 // Location_X: latitude
	LocationY float64 // Location_Y: longitude
	Scale     int     // map zoom
	Label     string  // place description

	// link
	Title       string
	Description string
	URL         string // Url

	// events
	Event     EventType
	EventKey  string // button key, QR scene (qrscene_ prefixed on subscribe), URL or page path
	Ticket    string // QR code ticket
	Latitude  float64
	Longitude float64
	Precision float64
	MenuID    string // MenuId: the conditional menu's id, on VIEW and view_miniprogram

	// customer-service session events (kf_events.go)
	KFAccount     string // KfAccount: the staff of kf_create_session and kf_close_session
	FromKFAccount string // FromKfAccount: the staff kf_switch_session moved the session from
	ToKFAccount   string // ToKfAccount: the staff kf_switch_session moved the session to

	ScanCodeInfo     ScanCodeInfo     // scancode_push, scancode_waitmsg
	SendPicsInfo     SendPicsInfo     // pic_sysphoto, pic_photo_or_album, pic_weixin
	SendLocationInfo SendLocationInfo // location_select

	// TEMPLATESENDJOBFINISH and MASSSENDJOBFINISH
	Status      string
	TotalCount  int
	FilterCount int
	SentCount   int
	ErrorCount  int

	// Nested elements of newer events (events.go); nil unless the event carries them.
	// Read any other nested element with Element and Elements.
	PublishEventInfo     *PublishJob           // PUBLISHJOBFINISH
	SubscribeMsgList     []SubscribeMsgItem    // List items of the subscribe_msg_* events
	CopyrightCheckResult *CopyrightCheckResult // MASSSENDJOBFINISH
	ArticleURLResult     *ArticleURLResult     // MASSSENDJOBFINISH: ArticleUrlResult

	// Raw is the XML document as WeChat sent it (decrypted in safe mode).
	// Decode elements this type lacks with Field, or with encoding/xml into
	// a struct of your own. The Handler's Messages share Raw's memory with their
	// string fields: read it, copy it, but do not write to it.
	Raw []byte
}

// ScanCodeInfo is the result of a scancode_push or scancode_waitmsg menu
// button (扫描信息).
type ScanCodeInfo struct {
	ScanType   string // usually "qrcode"
	ScanResult string // the scanned text
}

// SendPicsInfo lists the pictures a user sent through a pic_* menu button
// (发送的图片信息).
type SendPicsInfo struct {
	Count   int
	PicList []SendPicsItem
}

// SendPicsItem is one picture of SendPicsInfo.
type SendPicsItem struct {
	PicMd5Sum string
}

// SendLocationInfo is the place a user chose through a location_select menu
// button (发送的位置信息).
type SendLocationInfo struct {
	LocationX float64 // Location_X
	LocationY float64 // Location_Y
	Scale     int
	Label     string
	Poiname   string // POI name, may be empty
}

// qrScenePrefix prefixes the EventKey of a subscribe event sent through a
// parametric QR code.
const qrScenePrefix = "qrscene_"

// SceneID returns the scene of the parametric QR code behind a subscribe or
// SCAN event, without the qrscene_ prefix WeChat puts on subscribe events,
// or "" for any other message.
func (m *Message) SceneID() string {
	switch m.Event {
	case EventSubscribe:
		if strings.HasPrefix(m.EventKey, qrScenePrefix) {
			return m.EventKey[len(qrScenePrefix):]
		}
	case EventScan:
		return m.EventKey
	}
	return ""
}

// Field returns the text of the first top-level element with the given name
// in Raw, such as a field of an event this package has no type for. ok is
// false when there is no such element.
func (m *Message) Field(name string) (value string, ok bool) {
	p := getXMLParser()
	defer putXMLParser(p)
	if p.parse(string(m.Raw)) != nil {
		return "", false
	}
	for _, n := range p.nodes {
		if n.depth == 1 && n.name == name {
			return n.value, true
		}
	}
	return "", false
}

// ParseMessage decodes a plaintext WeChat message or event document (the
// body of a plaintext callback, or the decrypted content of a safe-mode
// one). It rejects documents with DOCTYPE or entity declarations, deep
// nesting, or malformed numbers in numeric fields; errors wrap
// ErrMalformedMessage. The returned message keeps its own copy of data in
// Raw.
func ParseMessage(data []byte) (*Message, error) {
	m := new(Message)
	if err := parseMessageInto(m, string(data)); err != nil {
		return nil, err
	}
	m.Raw = append([]byte(nil), data...)
	return m, nil
}

// parseMessageInto fills m from doc, leaving Raw alone. Field values are
// substrings of doc, so a typical message costs no allocation here.
func parseMessageInto(m *Message, doc string) error {
	// The fast path sets the fields as it goes and keeps the first error, which the full
	// decoder would also return (it decodes the whole document first, then fills in order).
	var ferr error
	if scanFlat(doc, func(name, value string, _ int) {
		if ferr == nil {
			ferr = m.setField(name, value)
		}
	}) {
		return ferr
	}
	*m = Message{Raw: m.Raw} // what the fast path set before it gave up
	p := getXMLParser()
	defer putXMLParser(p)
	if err := p.parse(doc); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedMessage, err)
	}
	return m.fill(p.nodes)
}

// fill copies the decoded elements into m's fields.
func (m *Message) fill(nodes []xmlNode) error {
	for i := 1; i < len(nodes); i++ {
		n := &nodes[i]
		if n.depth != 1 {
			continue
		}
		var err error
		switch n.name {
		case "ScanCodeInfo":
			err = m.fillScanCodeInfo(nodes, i)
		case "SendPicsInfo":
			err = m.fillSendPicsInfo(nodes, i)
		case "SendLocationInfo":
			err = m.fillSendLocationInfo(nodes, i)
		case "PublishEventInfo":
			err = m.fillPublishEventInfo(nodes, i)
		case "SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent", "SubscribeMsgSentEvent":
			err = m.fillSubscribeMsgList(nodes, i)
		case "CopyrightCheckResult":
			err = m.fillCopyrightCheckResult(nodes, i)
		case "ArticleUrlResult":
			err = m.fillArticleURLResult(nodes, i)
		default:
			err = m.setField(n.name, n.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// setField sets the field of a leaf element at depth 1; elements it does not know are
// ignored.
func (m *Message) setField(name, v string) (err error) {
	switch name {
	case "ToUserName":
		m.ToUserName = v
	case "FromUserName":
		m.FromUserName = v
	case "CreateTime":
		m.CreateTime, err = parseIntField(name, v)
	case "MsgType":
		m.MsgType = MsgType(v)
	case "MsgId", "MsgID":
		m.MsgID, err = parseIntField(name, v)
	case "Content":
		m.Content = v
	case "MsgDataId":
		m.MsgDataID = v
	case "Idx":
		m.Idx = v
	case "PicUrl":
		m.PicURL = v
	case "MediaId":
		m.MediaID = v
	case "Format":
		m.Format = v
	case "Recognition":
		m.Recognition = v
	case "ThumbMediaId":
		m.ThumbMediaID = v
	case "Location_X":
		m.LocationX, err = parseFloatField(name, v)
	case "Location_Y":
		m.LocationY, err = parseFloatField(name, v)
	case "Scale":
		m.Scale, err = parseSmallIntField(name, v)
	case "Label":
		m.Label = v
	case "Title":
		m.Title = v
	case "Description":
		m.Description = v
	case "Url":
		m.URL = v
	case "Event":
		m.Event = EventType(v)
	case "EventKey":
		m.EventKey = v
	case "Ticket":
		m.Ticket = v
	case "Latitude":
		m.Latitude, err = parseFloatField(name, v)
	case "Longitude":
		m.Longitude, err = parseFloatField(name, v)
	case "Precision":
		m.Precision, err = parseFloatField(name, v)
	case "MenuId", "MenuID":
		m.MenuID = v
	case "KfAccount":
		m.KFAccount = v
	case "FromKfAccount":
		m.FromKFAccount = v
	case "ToKfAccount":
		m.ToKFAccount = v
	case "Status":
		m.Status = v
	case "TotalCount":
		m.TotalCount, err = parseSmallIntField(name, v)
	case "FilterCount":
		m.FilterCount, err = parseSmallIntField(name, v)
	case "SentCount":
		m.SentCount, err = parseSmallIntField(name, v)
	case "ErrorCount":
		m.ErrorCount, err = parseSmallIntField(name, v)
	}
	return err
}

// children calls fn for each node whose parent is nodes[parent]. Children
// follow their parent in document order, so the scan stops at the first node
// that is not a descendant.
func children(nodes []xmlNode, parent int, fn func(i int) error) error {
	d := nodes[parent].depth
	for i := parent + 1; i < len(nodes) && nodes[i].depth > d; i++ {
		if int(nodes[i].parent) == parent {
			if err := fn(i); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Message) fillScanCodeInfo(nodes []xmlNode, parent int) error {
	return children(nodes, parent, func(i int) error {
		switch nodes[i].name {
		case "ScanType":
			m.ScanCodeInfo.ScanType = nodes[i].value
		case "ScanResult":
			m.ScanCodeInfo.ScanResult = nodes[i].value
		}
		return nil
	})
}

func (m *Message) fillSendPicsInfo(nodes []xmlNode, parent int) error {
	return children(nodes, parent, func(i int) error {
		switch nodes[i].name {
		case "Count":
			var err error
			m.SendPicsInfo.Count, err = parseSmallIntField("SendPicsInfo.Count", nodes[i].value)
			return err
		case "PicList":
			return children(nodes, i, func(j int) error {
				if nodes[j].name != "item" {
					return nil
				}
				var item SendPicsItem
				_ = children(nodes, j, func(k int) error {
					if nodes[k].name == "PicMd5Sum" {
						item.PicMd5Sum = nodes[k].value
					}
					return nil
				})
				m.SendPicsInfo.PicList = append(m.SendPicsInfo.PicList, item)
				return nil
			})
		}
		return nil
	})
}

func (m *Message) fillSendLocationInfo(nodes []xmlNode, parent int) error {
	loc := &m.SendLocationInfo
	return children(nodes, parent, func(i int) error {
		var err error
		name, v := nodes[i].name, nodes[i].value
		switch name {
		case "Location_X":
			loc.LocationX, err = parseFloatField("SendLocationInfo.Location_X", v)
		case "Location_Y":
			loc.LocationY, err = parseFloatField("SendLocationInfo.Location_Y", v)
		case "Scale":
			loc.Scale, err = parseSmallIntField("SendLocationInfo.Scale", v)
		case "Label":
			loc.Label = v
		case "Poiname":
			loc.Poiname = v
		}
		return err
	})
}

// Numeric fields: WeChat writes plain decimal numbers, sometimes with white
// space around them in pretty-printed documents. An empty element is zero.

func parseIntField(name, v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fieldError(name, v)
	}
	return n, nil
}

func parseSmallIntField(name, v string) (int, error) {
	n, err := parseIntField(name, v)
	if err != nil {
		return 0, err
	}
	if n < -1<<31 || n > 1<<31-1 {
		return 0, fieldError(name, v)
	}
	return int(n), nil
}

func parseFloatField(name, v string) (float64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != f || f > 1e300 || f < -1e300 { // reject NaN and Inf spellings
		return 0, fieldError(name, v)
	}
	return f, nil
}

func fieldError(name, v string) error {
	if len(v) > 32 {
		v = v[:32] + "…"
	}
	return fmt.Errorf("%w: element %s is not a number: %q", ErrMalformedMessage, name, v)
}

package offiaccount

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fixtures in testdata/messages are written after the examples of
// WeChat's documentation (接收普通消息, 接收事件推送, 自定义菜单事件推送,
// 模板消息, 群发), with realistic ids, in the shapes WeChat sends: one element
// per line, text in CDATA, numbers bare.
func TestParseMessageEveryType(t *testing.T) {
	t.Parallel()
	common := func(mt MsgType) Message {
		return Message{ToUserName: "gh_0123456789ab", FromUserName: "oUser1234567890abcdefghijklm", CreateTime: 1348831860, MsgType: mt}
	}
	with := func(m Message, f func(*Message)) Message { f(&m); return m }

	tests := []struct {
		file string
		want Message
	}{
		{"text.xml", with(common(MsgTypeText), func(m *Message) {
			m.Content, m.MsgID = "this is a test", 1234567890123456
		})},
		{"text_from_article.xml", with(common(MsgTypeText), func(m *Message) {
			m.Content, m.MsgID, m.MsgDataID, m.Idx = "评论 <b>&", 1234567890123457, "2247483649", "1"
		})},
		{"image.xml", with(common(MsgTypeImage), func(m *Message) {
			m.PicURL, m.MediaID, m.MsgID = "http://mmbiz.qpic.cn/mmbiz_jpg/abc/0", "media_id_image", 1234567890123458
		})},
		{"voice.xml", with(common(MsgTypeVoice), func(m *Message) {
			m.MediaID, m.Format, m.MsgID, m.Recognition = "media_id_voice", "amr", 1234567890123459, "腾讯微信团队"
		})},
		{"video.xml", with(common(MsgTypeVideo), func(m *Message) {
			m.MediaID, m.ThumbMediaID, m.MsgID = "media_id_video", "thumb_media_id", 1234567890123460
		})},
		{"shortvideo.xml", with(common(MsgTypeShortVideo), func(m *Message) {
			m.MediaID, m.ThumbMediaID, m.MsgID = "media_id_short", "thumb_media_id", 1234567890123461
		})},
		{"location.xml", with(common(MsgTypeLocation), func(m *Message) {
			m.LocationX, m.LocationY, m.Scale, m.Label, m.MsgID = 23.134521, 113.358803, 20, "位置信息", 1234567890123462
		})},
		{"link.xml", with(common(MsgTypeLink), func(m *Message) {
			m.Title, m.Description, m.URL, m.MsgID = "公众平台官网链接", "公众平台官网链接", "https://mp.weixin.qq.com/", 1234567890123463
		})},
		{"subscribe.xml", with(common(MsgTypeEvent), func(m *Message) { m.Event = EventSubscribe })},
		{"subscribe_qrscene.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey, m.Ticket = EventSubscribe, "qrscene_123123", "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw=="
		})},
		{"unsubscribe.xml", with(common(MsgTypeEvent), func(m *Message) { m.Event = EventUnsubscribe })},
		{"scan.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey, m.Ticket = EventScan, "123123", "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw=="
		})},
		{"location_event.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.Latitude, m.Longitude, m.Precision = EventLocation, 23.137466, 113.352425, 119.385040
		})},
		{"click.xml", with(common(MsgTypeEvent), func(m *Message) { m.Event, m.EventKey = EventClick, "V1001_TODAY_MUSIC" })},
		{"view.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey, m.MenuID = EventView, "https://www.qq.com/", "208379533"
		})},
		{"view_miniprogram.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey, m.MenuID = EventViewMiniprogram, "pages/index/index", "MENUID"
		})},
		{"scancode_push.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey = EventScancodePush, "6"
			m.ScanCodeInfo = ScanCodeInfo{ScanType: "qrcode", ScanResult: "1"}
		})},
		{"scancode_waitmsg.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey = EventScancodeWaitmsg, "6"
			m.ScanCodeInfo = ScanCodeInfo{ScanType: "qrcode", ScanResult: "2"}
		})},
		{"pic_sysphoto.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey = EventPicSysphoto, "6"
			m.SendPicsInfo = SendPicsInfo{Count: 1, PicList: []SendPicsItem{{PicMd5Sum: "1b5f7c23b5bf75682a53e7b6d163e185"}}}
		})},
		{"pic_photo_or_album.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey = EventPicPhotoOrAlbum, "6"
			m.SendPicsInfo = SendPicsInfo{Count: 2, PicList: []SendPicsItem{
				{PicMd5Sum: "5a75aaca956d97be686719218f275c6b"}, {PicMd5Sum: "8c1a0c0d9e7f0b9cb2c46b44e5b7a0e1"},
			}}
		})},
		{"pic_weixin.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey = EventPicWeixin, "6"
			m.SendPicsInfo = SendPicsInfo{Count: 1, PicList: []SendPicsItem{{PicMd5Sum: "5a75aaca956d97be686719218f275c6b"}}}
		})},
		{"location_select.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.EventKey = EventLocationSelect, "6"
			m.SendLocationInfo = SendLocationInfo{LocationX: 23, LocationY: 113, Scale: 15, Label: " 广州市海珠区客村艺苑路 106号", Poiname: ""}
		})},
		{"templatesendjobfinish.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.MsgID, m.Status = EventTemplateSendDone, 200163836, "success"
		})},
		{"masssendjobfinish.xml", with(common(MsgTypeEvent), func(m *Message) {
			m.Event, m.MsgID, m.Status = EventMassSendDone, 1988, "sendsuccess"
			m.TotalCount, m.FilterCount, m.SentCount, m.ErrorCount = 100, 80, 75, 5
			m.CopyrightCheckResult = &CopyrightCheckResult{CheckState: 1}
			m.ArticleURLResult = &ArticleURLResult{Count: 1, ResultList: []ArticleURLItem{{ArticleIdx: 1, ArticleURL: "https://mp.weixin.qq.com/s/abc"}}}
		})},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", "messages", tc.file))
			require.NoError(t, err)
			m, err := ParseMessage(data)
			require.NoError(t, err)
			assert.Equal(t, data, m.Raw)
			got := *m
			got.Raw = nil
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseMessageKeepsUnknownTypesAndFields(t *testing.T) {
	t.Parallel()
	data := []byte(`<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>` +
		`<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
		`<Event><![CDATA[subscribe_msg_popup_event]]></Event>` +
		`<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[tpl]]></TemplateId>` +
		`<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent>` +
		`<BrandNewField><![CDATA[a &amp; b]]></BrandNewField><Escaped>x &amp; y</Escaped></xml>`)
	m, err := ParseMessage(data)
	require.NoError(t, err)
	assert.Equal(t, EventType("subscribe_msg_popup_event"), m.Event)
	v, ok := m.Field("BrandNewField")
	assert.True(t, ok)
	assert.Equal(t, "a &amp; b", v, "CDATA is literal")
	v, ok = m.Field("Escaped")
	assert.True(t, ok)
	assert.Equal(t, "x & y", v)
	_, ok = m.Field("Missing")
	assert.False(t, ok)
	_, ok = m.Field("TemplateId")
	assert.False(t, ok, "Field looks at top-level elements only")
	assert.Contains(t, string(m.Raw), "<PopupScene>2</PopupScene>")

	// Raw is the caller's data, copied.
	data[6] = 'X'
	assert.Equal(t, byte('T'), m.Raw[6])
}

func TestMessageSceneID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event EventType
		key   string
		want  string
	}{
		{EventSubscribe, "qrscene_123123", "123123"},
		{EventSubscribe, "qrscene_str_scene", "str_scene"},
		{EventSubscribe, "", ""},
		{EventScan, "123123", "123123"},
		{EventClick, "qrscene_1", ""},
	}
	for _, tc := range tests {
		m := &Message{MsgType: MsgTypeEvent, Event: tc.event, EventKey: tc.key}
		assert.Equal(t, tc.want, m.SceneID(), "%s %q", tc.event, tc.key)
	}
}

func TestParseMessageRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
	}{
		{"empty", ""},
		{"not xml", "hello"},
		{"unclosed", "<xml><Content>hi</Content>"},
		{"mismatched", "<xml><Content>hi</MsgType></xml>"},
		{"doctype", `<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>`},
		{"entity declaration inside", `<xml><!ENTITY a "b"></xml>`},
		{"external entity", `<!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml/>`},
		{"unknown entity", "<xml><Content>&nbsp;</Content></xml>"},
		{"two roots", "<xml></xml><xml></xml>"},
		{"bad CreateTime", "<xml><CreateTime>soon</CreateTime></xml>"},
		{"bad MsgId", "<xml><MsgId>12a</MsgId></xml>"},
		{"MsgId overflow", "<xml><MsgId>99999999999999999999</MsgId></xml>"},
		{"bad Location_X", "<xml><Location_X>north</Location_X></xml>"},
		{"NaN latitude", "<xml><Latitude>NaN</Latitude></xml>"},
		{"bad Count", "<xml><SendPicsInfo><Count>x</Count></SendPicsInfo></xml>"},
		{"deep", "<xml>" + strings.Repeat("<a>", 20) + strings.Repeat("</a>", 20) + "</xml>"},
		{"control character", "<xml><Content>a\x01b</Content></xml>"},
		{"invalid UTF-8", "<xml><Content>a\xffb</Content></xml>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseMessage([]byte(tc.doc))
			require.Error(t, err)
			assert.Nil(t, m)
			assert.True(t, errors.Is(err, ErrMalformedMessage), "%v", err)
		})
	}
}

func TestParseMessageNumbersWithSpaceAndEmpty(t *testing.T) {
	t.Parallel()
	m, err := ParseMessage([]byte("<xml>\n <CreateTime> 1348831860\n</CreateTime>\n <Scale></Scale>\n <MsgId/>\n</xml>"))
	require.NoError(t, err)
	assert.Equal(t, int64(1348831860), m.CreateTime)
	assert.Zero(t, m.Scale)
	assert.Zero(t, m.MsgID)
}

func FuzzParseMessage(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "messages"))
	require.NoError(f, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "messages", e.Name()))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("<xml><SendPicsInfo><PicList><item/><item><PicMd5Sum>x</PicMd5Sum></item></PicList></SendPicsInfo></xml>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data)
		if err != nil {
			if m != nil || !errors.Is(err, ErrMalformedMessage) {
				t.Fatalf("error %v with message %v", err, m)
			}
			return
		}
		if string(m.Raw) != string(data) {
			t.Fatal("Raw differs from the input")
		}
	})
}

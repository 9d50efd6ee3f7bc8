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

func parseFixture(t *testing.T, name string) *Message {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "messages", name))
	require.NoError(t, err)
	m, err := ParseMessage(data)
	require.NoError(t, err)
	return m
}

// The fixtures are the examples of WeChat's documentation pages for each event.
func TestParsePublishJobFinish(t *testing.T) {
	t.Parallel()
	m := parseFixture(t, "publishjobfinish.xml")
	assert.Equal(t, EventPublishJobFinish, m.Event)
	require.NotNil(t, m.PublishEventInfo)
	assert.Equal(t, &PublishJob{
		PublishID:     "2247503051",
		PublishStatus: PublishStatusPublished,
		ArticleID:     "b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4",
		ArticleDetail: PublishArticleDetail{Count: 1, Item: []PublishArticleItem{{Idx: 1, ArticleURL: "ARTICLE_URL"}}},
	}, m.PublishEventInfo)
	assert.NoError(t, m.PublishEventInfo.Err())
	assert.Nil(t, m.SubscribeMsgList)
	assert.Nil(t, m.CopyrightCheckResult)

	m = parseFixture(t, "publishjobfinish_failed.xml")
	require.NotNil(t, m.PublishEventInfo)
	assert.Equal(t, PublishStatusOriginalFailed, m.PublishEventInfo.PublishStatus)
	assert.Equal(t, []int{1, 2}, m.PublishEventInfo.FailIdx, "fail_idx repeats directly under PublishEventInfo")
	assert.Empty(t, m.PublishEventInfo.ArticleID)
	err := m.PublishEventInfo.Err()
	assert.ErrorIs(t, err, ErrPublishFailed)
	assert.ErrorIs(t, err, ErrPublishOriginalCheckFailed)
	assert.NotErrorIs(t, err, ErrPublishAuditFailed)
	assert.Contains(t, err.Error(), "2247503051")
	assert.Contains(t, err.Error(), "[1 2]")
}

func TestParseSubscribeMsgEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		event EventType
		want  []SubscribeMsgItem
	}{
		{"subscribe_msg_popup_event.xml", EventSubscribeMsgPopup, []SubscribeMsgItem{
			{TemplateID: "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", SubscribeStatusString: SubscribeStatusAccept, PopupScene: 2},
			{TemplateID: "9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI", SubscribeStatusString: SubscribeStatusReject, PopupScene: 2},
		}},
		{"subscribe_msg_change_event.xml", EventSubscribeMsgChange, []SubscribeMsgItem{
			{TemplateID: "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", SubscribeStatusString: SubscribeStatusReject},
		}},
		{"subscribe_msg_sent_event.xml", EventSubscribeMsgSent, []SubscribeMsgItem{
			{TemplateID: "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc", MsgID: 1700827132819554304, ErrorStatus: "success"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			m := parseFixture(t, tc.file)
			assert.Equal(t, tc.event, m.Event)
			assert.Equal(t, tc.want, m.SubscribeMsgList)
			assert.Nil(t, m.PublishEventInfo)
		})
	}
}

func TestParseMassSendCopyrightCheck(t *testing.T) {
	t.Parallel()
	m := parseFixture(t, "masssendjobfinish_copyright.xml")
	assert.Equal(t, EventMassSendDone, m.Event)
	assert.Equal(t, int64(1000001625), m.MsgID)
	assert.Equal(t, "err(30003)", m.Status)
	item := func(idx int, url string) CopyrightCheckItem {
		return CopyrightCheckItem{ArticleIdx: idx, AuditState: 2, OriginalArticleURL: url, OriginalArticleType: 1,
			CanReprint: true, NeedReplaceContent: true, NeedShowReprintSource: true}
	}
	assert.Equal(t, &CopyrightCheckResult{Count: 2, CheckState: 2,
		ResultList: []CopyrightCheckItem{item(1, "Url_1"), item(2, "Url_2")}}, m.CopyrightCheckResult)
	assert.Nil(t, m.ArticleURLResult, "this example has no ArticleUrlResult")
}

func TestParseNestedEventsRejectBadNumbers(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`<PublishEventInfo><publish_status>x</publish_status></PublishEventInfo>`,
		`<PublishEventInfo><fail_idx>1.5</fail_idx></PublishEventInfo>`,
		`<PublishEventInfo><article_detail><item><idx>one</idx></item></article_detail></PublishEventInfo>`,
		`<PublishEventInfo><article_detail><count>9999999999</count></article_detail></PublishEventInfo>`,
		`<SubscribeMsgSentEvent><List><MsgID>12a</MsgID></List></SubscribeMsgSentEvent>`,
		`<SubscribeMsgPopupEvent><List><PopupScene>H5</PopupScene></List></SubscribeMsgPopupEvent>`,
		`<CopyrightCheckResult><ResultList><item><CanReprint>yes</CanReprint></item></ResultList></CopyrightCheckResult>`,
		`<CopyrightCheckResult><CheckState>?</CheckState></CopyrightCheckResult>`,
		`<ArticleUrlResult><ResultList><item><ArticleIdx>-</ArticleIdx></item></ResultList></ArticleUrlResult>`,
	} {
		m, err := ParseMessage([]byte("<xml><MsgType>event</MsgType>" + body + "</xml>"))
		assert.Nil(t, m, body)
		assert.ErrorIs(t, err, ErrMalformedMessage, body)
	}
}

func TestParseNestedEventsTolerateMissingAndUnknownElements(t *testing.T) {
	t.Parallel()
	m, err := ParseMessage([]byte(`<xml><Event>PUBLISHJOBFINISH</Event><PublishEventInfo>
		<publish_id> 7 </publish_id><new_field>x</new_field><article_detail><item><idx>1</idx><extra/></item><item/></article_detail>
		</PublishEventInfo><SubscribeMsgSentEvent><Other/><List/></SubscribeMsgSentEvent></xml>`))
	require.NoError(t, err)
	assert.Equal(t, "7", m.PublishEventInfo.PublishID)
	assert.Equal(t, []PublishArticleItem{{Idx: 1}, {}}, m.PublishEventInfo.ArticleDetail.Item)
	assert.Equal(t, []SubscribeMsgItem{{}}, m.SubscribeMsgList)
}

func TestMessageElement(t *testing.T) {
	t.Parallel()
	m := parseFixture(t, "masssendjobfinish_copyright.xml")

	// Any nested element, typed by this package or not.
	items := m.Elements("CopyrightCheckResult", "ResultList", "item")
	require.Len(t, items, 2)
	url, ok := items[1].TextOf("OriginalArticleUrl")
	assert.True(t, ok)
	assert.Equal(t, "Url_2", url)
	_, ok = items[1].TextOf("Missing")
	assert.False(t, ok)

	state, ok := m.Element("CopyrightCheckResult", "CheckState")
	require.True(t, ok)
	assert.Equal(t, XMLElement{Name: "CheckState", Text: "2"}, state)

	// Top-level leaves work like Field.
	ev, ok := m.Element("Event")
	assert.True(t, ok)
	assert.Equal(t, "MASSSENDJOBFINISH", ev.Text)

	// A list element with children has no Text of its own.
	list, ok := m.Element("CopyrightCheckResult", "ResultList")
	require.True(t, ok)
	assert.Empty(t, list.Text)
	assert.Len(t, list.Children, 2)
	self, ok := list.Element()
	assert.True(t, ok)
	assert.Equal(t, list, self)

	_, ok = m.Element("CopyrightCheckResult", "Nope")
	assert.False(t, ok)
	_, ok = m.Element()
	assert.False(t, ok, "an empty path names nothing below the root")
	assert.Nil(t, m.Elements("Nope", "item"))
	assert.Nil(t, m.Elements())

	// The first match on a path that several elements share is the first that goes all the way.
	m2, err := ParseMessage([]byte(`<xml><A><B>1</B></A><A><C>2</C></A></xml>`))
	require.NoError(t, err)
	c, ok := m2.Element("A", "C")
	assert.True(t, ok)
	assert.Equal(t, "2", c.Text)
	assert.Len(t, m2.Elements("A"), 2)

	// A Message without a well-formed Raw has no elements.
	broken := &Message{Raw: []byte("<xml><A>")}
	_, ok = broken.Element("A")
	assert.False(t, ok)
	assert.Nil(t, broken.Elements("A"))
}

func TestMessageElementDecodesEntitiesAndCDATA(t *testing.T) {
	t.Parallel()
	m, err := ParseMessage([]byte(`<xml><Info><Name>a &amp; b</Name><Raw><![CDATA[<x>]]></Raw></Info></xml>`))
	require.NoError(t, err)
	n, _ := m.Element("Info", "Name")
	r, _ := m.Element("Info", "Raw")
	assert.Equal(t, "a & b", n.Text)
	assert.Equal(t, "<x>", r.Text)
}

func TestPublishStatusNamesAndErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status                   PublishStatus
		name                     string
		failed                   bool
		original, audit, removed bool
	}{
		{PublishStatusPublished, "published", false, false, false, false},
		{PublishStatusPublishing, "publishing", false, false, false, false},
		{PublishStatusOriginalFailed, "originality check failed", true, true, false, false},
		{PublishStatusFailed, "failed", true, false, false, false},
		{PublishStatusAuditFailed, "audit failed", true, false, true, false},
		{PublishStatusDeleted, "deleted", true, false, false, true},
		{PublishStatusBanned, "banned", true, false, false, true},
		{PublishStatus(9), "PublishStatus(9)", true, false, false, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.name, tc.status.String())
		err := (&PublishJob{PublishID: "p1", PublishStatus: tc.status}).Err()
		assert.Equal(t, tc.failed, err != nil, tc.name)
		assert.Equal(t, tc.failed, errors.Is(err, ErrPublishFailed), tc.name)
		assert.Equal(t, tc.original, errors.Is(err, ErrPublishOriginalCheckFailed), tc.name)
		assert.Equal(t, tc.audit, errors.Is(err, ErrPublishAuditFailed), tc.name)
		assert.Equal(t, tc.removed, errors.Is(err, ErrPublishRemoved), tc.name)
		if err != nil {
			var pe *PublishError
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, tc.status, pe.Status)
			assert.True(t, strings.HasPrefix(err.Error(), "offiaccount: publish job p1: "))
		}
	}
	var nilJob *PublishJob
	assert.NoError(t, nilJob.Err())
}

// FuzzMessageElement checks that the typed nested fields and the general element tree
// never panic and agree with each other on any document ParseMessage accepts.
func FuzzMessageElement(f *testing.F) {
	for _, name := range []string{"publishjobfinish.xml", "publishjobfinish_failed.xml", "subscribe_msg_popup_event.xml",
		"subscribe_msg_sent_event.xml", "masssendjobfinish_copyright.xml", "masssendjobfinish.xml"} {
		data, err := os.ReadFile(filepath.Join("testdata", "messages", name))
		require.NoError(f, err)
		f.Add(data, "CopyrightCheckResult/ResultList/item")
	}
	f.Add([]byte("<xml><PublishEventInfo><article_detail><item/></article_detail></PublishEventInfo></xml>"), "PublishEventInfo/article_detail/item")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		m, err := ParseMessage(data)
		if err != nil {
			return
		}
		parts := strings.Split(path, "/")
		all := m.Elements(parts...)
		first, ok := m.Element(parts...)
		if ok != (len(all) > 0) {
			t.Fatalf("Element found %v, Elements found %d", ok, len(all))
		}
		if ok && first.Name != all[0].Name {
			t.Fatalf("Element %q, Elements[0] %q", first.Name, all[0].Name)
		}
		if info := m.PublishEventInfo; info != nil {
			if n := len(m.Elements("PublishEventInfo", "article_detail", "item")); n != len(info.ArticleDetail.Item) && len(m.Elements("PublishEventInfo")) == 1 {
				t.Fatalf("%d article_detail items typed, %d in the tree", len(info.ArticleDetail.Item), n)
			}
		}
		if r := m.CopyrightCheckResult; r != nil && len(m.Elements("CopyrightCheckResult")) == 1 {
			if n := len(m.Elements("CopyrightCheckResult", "ResultList", "item")); n != len(r.ResultList) {
				t.Fatalf("%d copyright items typed, %d in the tree", len(r.ResultList), n)
			}
		}
	})
}

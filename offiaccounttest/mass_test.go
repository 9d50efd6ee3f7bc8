package offiaccounttest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// eventRecorder keeps the messages a callback Handler received, as the SDK parsed them.
type eventRecorder struct{ msgs []*offiaccount.Message }

// names lists the events received, in order.
func (r *eventRecorder) names() []offiaccount.EventType {
	var out []offiaccount.EventType
	for _, m := range r.msgs {
		out = append(out, m.Event)
	}
	return out
}

// last returns the last message of event e received, failing the test if there is none.
func (r *eventRecorder) last(t *testing.T, e offiaccount.EventType) *offiaccount.Message {
	t.Helper()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].Event == e {
			return r.msgs[i]
		}
	}
	require.Failf(t, "event not received", "%s", e)
	return nil
}

// recordEvents installs a callback Handler that records every event it receives.
func recordEvents(t *testing.T, p *offiaccounttest.Platform) *eventRecorder {
	t.Helper()
	h, err := offiaccount.NewHandler("eventtoken")
	require.NoError(t, err)
	rec := new(eventRecorder)
	h.HandleDefault(func(_ context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		rec.msgs = append(rec.msgs, m)
		return nil, nil
	})
	p.SetEventSender(&offiaccounttest.Sender{Handler: h, Token: "eventtoken"})
	return rec
}

// pushedXML returns the plaintext XML of the pushed events named event.
func pushedXML(p *offiaccounttest.Platform, event offiaccount.EventType) []string {
	var out []string
	for _, e := range p.PushedEvents() {
		if e.Exchange != nil && strings.Contains(string(e.Exchange.Request), "<Event><![CDATA["+string(event)+"]]></Event>") {
			out = append(out, string(e.Exchange.Request))
		}
	}
	return out
}

func TestFakeMassSendPushesJobFinish(t *testing.T) {
	p, c := newSDK(t)
	ctx := context.Background()
	for i := range 3 {
		p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: fmt.Sprint("o-mass-", i)})
	}
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-gone", Unsubscribed: true})
	events := recordEvents(t, p)

	m := offiaccount.MassMPNews("media-1")
	m.ClientMsgID = "newsletter-42"
	job, err := c.SendMassToAll(ctx, m)
	require.NoError(t, err)
	assert.NotZero(t, job.MsgID)
	assert.NotZero(t, job.MsgDataID)

	st, err := c.GetMassStatus(ctx, job.MsgID)
	require.NoError(t, err)
	assert.Equal(t, offiaccount.MassStatusSending, st)
	assert.Equal(t, 1, p.PendingEvents())

	p.Advance(offiaccounttest.MassJobDuration)
	assert.Equal(t, []offiaccount.EventType{offiaccount.EventMassSendDone}, events.names())
	xmls := pushedXML(p, offiaccount.EventMassSendDone)
	require.Len(t, xmls, 1)
	x := xmls[0]
	for _, want := range []string{
		"<FromUserName><![CDATA[mphelper]]></FromUserName>",
		fmt.Sprintf("<MsgID>%d</MsgID>", job.MsgID),
		"<Status><![CDATA[send success]]></Status>",
		"<TotalCount>4</TotalCount>", "<FilterCount>3</FilterCount>",
		"<SentCount>3</SentCount>", "<ErrorCount>0</ErrorCount>",
		"<CopyrightCheckResult><Count>0</Count><ResultList></ResultList><CheckState>1</CheckState></CopyrightCheckResult>",
		fmt.Sprintf("<ArticleUrlResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx><ArticleUrl><![CDATA[https://mp.weixin.qq.com/s/%d]]></ArticleUrl></item></ResultList></ArticleUrlResult>", job.MsgDataID),
	} {
		assert.Contains(t, x, want)
	}
	// The SDK reads the same event into its typed fields.
	done := events.last(t, offiaccount.EventMassSendDone)
	assert.Equal(t, "mphelper", done.FromUserName)
	assert.Equal(t, job.MsgID, done.MsgID)
	assert.Equal(t, "send success", done.Status)
	assert.Equal(t, []int{4, 3, 3, 0}, []int{done.TotalCount, done.FilterCount, done.SentCount, done.ErrorCount})
	assert.Equal(t, &offiaccount.CopyrightCheckResult{CheckState: 1}, done.CopyrightCheckResult)
	assert.Equal(t, &offiaccount.ArticleURLResult{Count: 1, ResultList: []offiaccount.ArticleURLItem{
		{ArticleIdx: 1, ArticleURL: fmt.Sprintf("https://mp.weixin.qq.com/s/%d", job.MsgDataID)}}}, done.ArticleURLResult)

	st, err = c.GetMassStatus(ctx, job.MsgID)
	require.NoError(t, err)
	assert.Equal(t, offiaccount.MassStatusSendSuccess, st)

	// The same clientmsgid within 24 hours: 45065 with the first msg_id, nothing sent.
	p.Advance(23 * time.Hour)
	_, err = c.SendMassToAll(ctx, m)
	var dup *offiaccount.MassDuplicateError
	require.True(t, errors.As(err, &dup), "got %v", err)
	assert.Equal(t, job.MsgID, dup.MsgID)
	assert.ErrorIs(t, err, offiaccount.ErrMassDuplicate)
	requireCode(t, err, offiaccount.CodeMassClientMsgIDExists)
	assert.Len(t, p.MassJobs(sdkAppID), 1)
	assert.Zero(t, p.PendingEvents())

	// After the window it is a new send.
	p.Advance(time.Hour)
	again, err := c.SendMassToAll(ctx, m)
	require.NoError(t, err)
	assert.NotEqual(t, job.MsgID, again.MsgID)

	// Delete the first send's article.
	require.NoError(t, c.DeleteMass(ctx, offiaccount.DeleteMassRequest{MsgID: job.MsgID}))
	st, err = c.GetMassStatus(ctx, job.MsgID)
	require.NoError(t, err)
	assert.Equal(t, offiaccount.MassStatusDelete, st)
	require.NoError(t, c.DeleteMass(ctx, offiaccount.DeleteMassRequest{URL: fmt.Sprintf("https://mp.weixin.qq.com/s/%d", again.MsgDataID), ArticleIdx: 1}))
	requireCode(t, c.DeleteMass(ctx, offiaccount.DeleteMassRequest{MsgID: 12345}), 40059)
}

func TestFakeMassSendToTagAndList(t *testing.T) {
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-a"})
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-b"})
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-c", Blacklisted: true})
	tag, err := c.CreateTag(ctx, "VIP")
	require.NoError(t, err)
	require.NoError(t, c.TagUsers(ctx, tag.ID, []string{"o-a", "o-c"}))

	job, err := c.SendMassToTag(ctx, tag.ID, offiaccount.MassText("hello VIPs"))
	require.NoError(t, err)
	assert.Zero(t, job.MsgDataID, "only articles and images have a msg_data_id")
	_, err = c.SendMassToTag(ctx, 9999, offiaccount.MassText("x"))
	requireCode(t, err, 45159)

	list, err := c.SendMass(ctx, []string{"o-a", "o-b", "o-unknown"}, offiaccount.MassCard("card-1"))
	require.NoError(t, err)

	p.Advance(offiaccounttest.MassJobDuration)
	jobs := p.MassJobs(sdkAppID)
	require.Len(t, jobs, 2)
	assert.Equal(t, tag.ID, jobs[0].TagID)
	assert.Equal(t, []int{2, 1, 1}, []int{jobs[0].TotalCount, jobs[0].FilterCount, jobs[0].SentCount}, "the blacklisted user is filtered")
	assert.Equal(t, list.MsgID, jobs[1].MsgID)
	assert.Equal(t, []int{3, 2, 2}, []int{jobs[1].TotalCount, jobs[1].FilterCount, jobs[1].SentCount})
	assert.Equal(t, "wxcard", jobs[1].MsgType)
	events := p.PushedEvents()
	require.Len(t, events, 2)
	assert.Contains(t, string(events[1].Message.XML()), "<ArticleUrlResult><Count>0</Count><ResultList></ResultList></ArticleUrlResult>")

	// The list bounds, checked by the fake itself (the SDK refuses them before sending).
	tok := token(t, c)
	code, _ := rawCall(t, p, http.MethodPost, "/cgi-bin/message/mass/send", url.Values{"access_token": {tok}}, "",
		[]byte(`{"touser":["o-a"],"msgtype":"text","text":{"content":"x"}}`))
	assert.Equal(t, 40130, code)
	code, _ = rawCall(t, p, http.MethodPost, "/cgi-bin/message/mass/send", url.Values{"access_token": {tok}}, "",
		[]byte(`{"touser":["o-a","o-b"],"msgtype":"text","text":{"content":"x"},"clientmsgid":"`+strings.Repeat("k", 65)+`"}`))
	assert.Equal(t, 45067, code)
	code, _ = rawCall(t, p, http.MethodPost, "/cgi-bin/message/mass/sendall", url.Values{"access_token": {tok}}, "",
		[]byte(`{"filter":{"is_to_all":true},"msgtype":"news","news":{}}`))
	assert.Equal(t, 40008, code)
	code, _ = rawCall(t, p, http.MethodPost, "/cgi-bin/message/mass/sendall", url.Values{"access_token": {tok}}, "",
		[]byte(`{"filter":{"is_to_all":true},"msgtype":"text","text":{"content":""}}`))
	assert.Equal(t, 44004, code)
}

func TestFakeMassReprint(t *testing.T) {
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-a"})
	p.MarkMassReprint(sdkAppID, "copied", true)
	p.MarkMassReprint(sdkAppID, "forbidden", false)

	stop, err := c.SendMassToAll(ctx, offiaccount.MassMPNews("copied"))
	require.NoError(t, err)
	m := offiaccount.MassMPNews("copied")
	m.SendIgnoreReprint = true
	goOn, err := c.SendMassToAll(ctx, m)
	require.NoError(t, err)
	m = offiaccount.MassMPNews("forbidden")
	m.SendIgnoreReprint = true
	refused, err := c.SendMassToAll(ctx, m)
	require.NoError(t, err)

	p.Advance(offiaccounttest.MassJobDuration)
	xmls := pushedXML(p, offiaccount.EventMassSendDone)
	require.Len(t, xmls, 0, "no event sender: nothing was posted")
	events := p.PushedEvents()
	require.Len(t, events, 3)
	want := map[int64][2]string{
		stop.MsgID:    {"err(30003)", "<CanReprint>1</CanReprint>"},
		goOn.MsgID:    {"send success", "<CheckState>2</CheckState>"},
		refused.MsgID: {"err(30002)", "<CanReprint>0</CanReprint>"},
	}
	for _, e := range events {
		x := string(e.Message.XML())
		var id int64
		_, err := fmt.Sscanf(x[strings.Index(x, "<MsgID>"):], "<MsgID>%d</MsgID>", &id)
		require.NoError(t, err)
		w := want[id]
		assert.Contains(t, x, "<Status><![CDATA["+w[0]+"]]></Status>")
		assert.Contains(t, x, w[1])
		assert.Contains(t, x, "<OriginalArticleUrl><![CDATA[https://mp.weixin.qq.com/s/original-")

		// The SDK reads the nested results the fake wrote.
		m, err := offiaccount.ParseMessage(e.Message.XML())
		require.NoError(t, err)
		assert.Equal(t, offiaccount.EventMassSendDone, m.Event)
		assert.Equal(t, id, m.MsgID)
		assert.Equal(t, w[0], m.Status)
		cr := m.CopyrightCheckResult
		require.NotNil(t, cr)
		require.Len(t, cr.ResultList, 1)
		assert.Equal(t, 1, cr.Count)
		item := cr.ResultList[0]
		assert.Equal(t, 1, item.ArticleIdx)
		assert.Equal(t, 2, item.AuditState)
		assert.Equal(t, 1, item.OriginalArticleType)
		assert.True(t, strings.HasPrefix(item.OriginalArticleURL, "https://mp.weixin.qq.com/s/original-"))
		assert.Equal(t, id != refused.MsgID, item.CanReprint)
		assert.True(t, item.NeedReplaceContent)
		assert.True(t, item.NeedShowReprintSource)
		wantState := map[int64]int{stop.MsgID: 3, goOn.MsgID: 2, refused.MsgID: 3}[id]
		assert.Equal(t, wantState, cr.CheckState)
		require.NotNil(t, m.ArticleURLResult)
		assert.Equal(t, id == goOn.MsgID, m.ArticleURLResult.Count == 1, "only the send that went out has article URLs")
	}
	st, err := c.GetMassStatus(ctx, stop.MsgID)
	require.NoError(t, err)
	assert.Equal(t, offiaccount.MassStatusSendFail, st)
}

func TestFakeMassPreviewAndSpeed(t *testing.T) {
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-a"})

	job, err := c.PreviewMass(ctx, "o-a", offiaccount.MassText("draft look"))
	require.NoError(t, err)
	assert.NotZero(t, job.MsgID)
	_, err = c.PreviewMassToWXName(ctx, "someone", offiaccount.MassText("draft look"))
	require.NoError(t, err)
	_, err = c.PreviewMass(ctx, "o-nobody", offiaccount.MassText("x"))
	requireCode(t, err, 40003)
	assert.Zero(t, p.PendingEvents(), "a preview has no job event")
	jobs := p.MassJobs(sdkAppID)
	require.Len(t, jobs, 2)
	assert.Equal(t, []string{"o-a"}, jobs[0].ToUsers)
	assert.True(t, jobs[0].Preview)
	assert.Equal(t, "someone", jobs[1].ToWXName)
	_, err = c.GetMassStatus(ctx, job.MsgID)
	requireCode(t, err, 40059)
	_, err = c.PreviewMass(ctx, "o-a", offiaccount.MassImages(offiaccount.MassImageContent{MediaIDs: []string{"img-1"}}))
	require.NoError(t, err, "a preview's image goes as image.media_id")
	_, err = c.PreviewMass(ctx, "o-a", offiaccount.MassMusic("song"))
	require.NoError(t, err)

	for i := 4; i < offiaccounttest.MassPreviewDailyLimit; i++ {
		_, err = c.PreviewMassToWXName(ctx, "someone", offiaccount.MassText("x"))
		require.NoError(t, err)
	}
	_, err = c.PreviewMassToWXName(ctx, "someone", offiaccount.MassText("x"))
	requireCode(t, err, 45009)

	sp, err := c.GetMassSpeed(ctx)
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.MassSpeed{Speed: 0, RealSpeed: 80}, sp)
	require.NoError(t, c.SetMassSpeed(ctx, 4))
	sp, err = c.GetMassSpeed(ctx)
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.MassSpeed{Speed: 4, RealSpeed: 10}, sp)
	tok := url.Values{"access_token": {token(t, c)}}
	code, _ := rawCall(t, p, http.MethodPost, "/cgi-bin/message/mass/speed/set", tok, "", []byte(`{"speed":5}`))
	assert.Equal(t, 45083, code)
	code, _ = rawCall(t, p, http.MethodPost, "/cgi-bin/message/mass/speed/set", tok, "", []byte(`{}`))
	assert.Equal(t, 45084, code)
}

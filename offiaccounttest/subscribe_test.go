package offiaccounttest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// addShippingTemplate adds the library's 订单发货通知 with 商品名称, 发货时间 and 订单金额.
func addShippingTemplate(t *testing.T, c *offiaccount.Client) string {
	t.Helper()
	id, err := c.AddSubscribeTemplate(context.Background(), 1001, []int{1, 3, 4}, "发货后通知买家")
	require.NoError(t, err)
	return id
}

func shippingNotice(openID, templateID string) offiaccount.SubscribeMessage {
	return offiaccount.SubscribeMessage{ToUser: openID, TemplateID: templateID, Page: "https://example.com/order/42",
		Data: offiaccount.SubscribeValues(map[string]string{"thing1": "羽绒服", "time3": "2024年6月1日 10:30", "amount4": "¥399.00"})}
}

func TestFakeSubscribeLibrary(t *testing.T) {
	p, c := newSDK(t)
	ctx := context.Background()

	cats, err := c.ListSubscribeCategories(ctx)
	require.NoError(t, err)
	libCats, libTitles := offiaccounttest.SubscribeLibrary()
	require.Len(t, cats, len(libCats))
	assert.Equal(t, libCats[0].Name, cats[0].Name)
	require.Len(t, libTitles, 3)
	libTitles[0].Keywords[0].Rule = "changed"
	_, again := offiaccounttest.SubscribeLibrary()
	assert.Equal(t, "thing", again[0].Keywords[0].Rule, "the library is returned as a copy")
	titles, err := c.ListSubscribeTemplateTitles(ctx, []int{307}, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, 2, titles.Count)
	require.Len(t, titles.Titles, 1)
	assert.Equal(t, offiaccount.SubscribeTemplateTitle{TID: 1001, Title: "订单发货通知", Type: offiaccount.SubscribeTemplateOnce, CategoryID: "307"}, titles.Titles[0])
	titles, err = c.ListSubscribeTemplateTitles(ctx, []int{307, 616}, 1, 30)
	require.NoError(t, err)
	assert.Equal(t, 3, titles.Count)
	assert.Len(t, titles.Titles, 2)

	kws, err := c.ListSubscribeTemplateKeywords(ctx, 1002)
	require.NoError(t, err)
	require.Len(t, kws, 4)
	assert.Equal(t, offiaccount.SubscribeKeyword{KID: 3, Name: "车牌号", Example: "粤A8Z888", Rule: "car_number"}, kws[2])
	_, err = c.ListSubscribeTemplateKeywords(ctx, 4242)
	requireCode(t, err, offiaccount.CodeSubscribeInvalidTID)

	id := addShippingTemplate(t, c)
	list, err := c.ListSubscribeTemplates(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, id, list[0].PriTmplID)
	assert.Equal(t, "商品名称:{{thing1.DATA}}\n发货时间:{{time3.DATA}}\n订单金额:{{amount4.DATA}}\n", list[0].Content)
	recs := p.SubscribeTemplates(sdkAppID)
	require.Len(t, recs, 1)
	assert.Equal(t, []string{"thing1", "time3", "amount4"}, recs[0].Keys)

	_, err = c.AddSubscribeTemplate(ctx, 4242, []int{1, 2}, "x")
	requireCode(t, err, offiaccount.CodeSubscribeInvalidTID)
	_, err = c.AddSubscribeTemplate(ctx, 1001, []int{1, 99}, "x")
	requireCode(t, err, offiaccount.CodeSubscribeInvalidKidList)

	// Limits the SDK checks first, checked again by the fake.
	tok := url.Values{"access_token": {token(t, c)}}
	for body, want := range map[string]int{
		`{"tid":"1001","kidList":[1,1],"sceneDesc":"x"}`:                             offiaccount.CodeSubscribeInvalidKidList,
		`{"tid":"1001","kidList":[1],"sceneDesc":"x"}`:                               offiaccount.CodeSubscribeInvalidKidList,
		`{"tid":1001,"kidList":[1,2],"sceneDesc":""}`:                                offiaccount.CodeSubscribeInvalidScene,
		`{"tid":1001,"kidList":[1,2],"sceneDesc":"` + strings.Repeat("场", 16) + `"}`: offiaccount.CodeSubscribeInvalidScene,
	} {
		code, _ := rawCall(t, p, http.MethodPost, "/wxaapi/newtmpl/addtemplate", tok, "", []byte(body))
		assert.Equal(t, want, code, body)
	}
	for q, want := range map[string]int{
		"ids=&start=0&limit=1":       200018,
		"ids=a&start=0&limit=1":      200019,
		`ids="307"&start=-1&limit=1`: 200016,
		`ids="307"&start=0&limit=31`: 200017,
	} {
		v, _ := url.ParseQuery(q)
		v.Set("access_token", tok.Get("access_token"))
		code, _ := rawCall(t, p, http.MethodGet, "/wxaapi/newtmpl/getpubtemplatetitles", v, "", nil)
		assert.Equal(t, want, code, q)
	}
	v := url.Values{"access_token": tok["access_token"], "ids": {`"307,616"`}, "start": {"0"}, "limit": {"30"}}
	code, out := rawCall(t, p, http.MethodGet, "/wxaapi/newtmpl/getpubtemplatetitles", v, "", nil)
	assert.Zero(t, code, "ids in quotes, as the documentation's URL shows them")
	assert.EqualValues(t, 3, out["count"])

	for i := 1; i < offiaccounttest.MaxSubscribeTemplates; i++ {
		addShippingTemplate(t, c)
	}
	_, err = c.AddSubscribeTemplate(ctx, 1001, []int{1, 2}, "x")
	requireCode(t, err, offiaccount.CodeSubscribeTemplateLimit)

	require.NoError(t, c.DeleteSubscribeTemplate(ctx, id))
	requireCode(t, c.DeleteSubscribeTemplate(ctx, id), offiaccount.CodeInvalidTemplateID)
}

func TestFakeSubscribeNeedsAcceptance(t *testing.T) {
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-buyer"})
	events := recordEvents(t, p)
	id := addShippingTemplate(t, c)

	_, err := c.SendSubscribeMessage(ctx, shippingNotice("o-buyer", id))
	requireCode(t, err, offiaccount.CodeUserRefused)
	assert.True(t, errors.Is(err, offiaccount.ErrUserRefused))

	require.NoError(t, p.AcceptSubscription(sdkAppID, "o-buyer", id))
	assert.Equal(t, []offiaccount.EventType{offiaccount.EventSubscribeMsgPopup}, events.names(), "the popup event is pushed at once")
	popup := pushedXML(p, offiaccount.EventSubscribeMsgPopup)
	require.Len(t, popup, 1)
	assert.Contains(t, popup[0], "<FromUserName><![CDATA[o-buyer]]></FromUserName>")
	assert.Contains(t, popup[0], "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA["+id+
		"]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent>")
	got := events.last(t, offiaccount.EventSubscribeMsgPopup)
	assert.Equal(t, "o-buyer", got.FromUserName)
	assert.Equal(t, []offiaccount.SubscribeMsgItem{{TemplateID: id, SubscribeStatusString: offiaccount.SubscribeStatusAccept, PopupScene: 2}},
		got.SubscribeMsgList, "the SDK reads the fake's XML")

	msgID, err := c.SendSubscribeMessage(ctx, shippingNotice("o-buyer", id))
	require.NoError(t, err)
	assert.NotZero(t, msgID)
	sent := p.SentSubscribeMessages(sdkAppID)
	require.Len(t, sent, 1)
	assert.Equal(t, map[string]string{"thing1": "羽绒服", "time3": "2024年6月1日 10:30", "amount4": "¥399.00"}, sent[0].Data)
	assert.Equal(t, msgID, sent[0].MsgID)
	assert.Equal(t, "https://example.com/order/42", sent[0].Page)

	// The sent event follows on the fake clock.
	assert.Equal(t, 1, p.PendingEvents())
	p.Advance(offiaccounttest.SubscribeSentDelay)
	assert.Equal(t, []offiaccount.EventType{offiaccount.EventSubscribeMsgPopup, offiaccount.EventSubscribeMsgSent}, events.names())
	sentXML := pushedXML(p, offiaccount.EventSubscribeMsgSent)
	require.Len(t, sentXML, 1)
	assert.Contains(t, sentXML[0], fmt.Sprintf("<SubscribeMsgSentEvent><List><TemplateId><![CDATA[%s]]></TemplateId><MsgID>%d</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent>", id, msgID))
	assert.Equal(t, []offiaccount.SubscribeMsgItem{{TemplateID: id, MsgID: msgID, ErrorStatus: "success"}},
		events.last(t, offiaccount.EventSubscribeMsgSent).SubscribeMsgList)

	// A one-time acceptance is used up.
	_, err = c.SendSubscribeMessage(ctx, shippingNotice("o-buyer", id))
	requireCode(t, err, offiaccount.CodeUserRefused)

	// Two acceptances, then a rejection in the settings drops both.
	require.NoError(t, p.AcceptSubscription(sdkAppID, "o-buyer", id))
	require.NoError(t, p.AcceptSubscription(sdkAppID, "o-buyer", id))
	require.NoError(t, p.RejectSubscription(sdkAppID, "o-buyer", id))
	change := pushedXML(p, offiaccount.EventSubscribeMsgChange)
	require.Len(t, change, 1)
	assert.Contains(t, change[0], "<SubscribeMsgChangeEvent><List><TemplateId><![CDATA["+id+
		"]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List></SubscribeMsgChangeEvent>")
	assert.Equal(t, []offiaccount.SubscribeMsgItem{{TemplateID: id, SubscribeStatusString: offiaccount.SubscribeStatusReject}},
		events.last(t, offiaccount.EventSubscribeMsgChange).SubscribeMsgList)
	_, err = c.SendSubscribeMessage(ctx, shippingNotice("o-buyer", id))
	requireCode(t, err, offiaccount.CodeUserRefused)

	require.ErrorIs(t, p.AcceptSubscription(sdkAppID, "o-nobody", id), offiaccounttest.ErrUnknown)
	require.ErrorIs(t, p.AcceptSubscription(sdkAppID, "o-buyer"), offiaccounttest.ErrUnknown)
	require.ErrorIs(t, p.AcceptSubscription(sdkAppID, "o-buyer", "no-such-template"), offiaccounttest.ErrUnknown)
	require.ErrorIs(t, p.RejectSubscription("wx-none", "o-buyer", id), offiaccounttest.ErrUnknown)
}

func TestFakeSubscribeLongTermAndData(t *testing.T) {
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-buyer"})
	events := recordEvents(t, p)
	id, err := c.AddSubscribeTemplate(ctx, 1003, []int{1, 2, 3}, "物流进度")
	require.NoError(t, err)
	once := addShippingTemplate(t, c)
	require.NoError(t, p.AcceptSubscription(sdkAppID, "o-buyer", id, once), "one popup, two templates")
	popup := pushedXML(p, offiaccount.EventSubscribeMsgPopup)
	require.Len(t, popup, 1)
	assert.Contains(t, popup[0], "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA["+id+"]]></TemplateId>"+
		"<SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"+
		"<List><TemplateId><![CDATA["+once+"]]></TemplateId>")
	assert.Equal(t, []offiaccount.SubscribeMsgItem{
		{TemplateID: id, SubscribeStatusString: offiaccount.SubscribeStatusAccept, PopupScene: 2},
		{TemplateID: once, SubscribeStatusString: offiaccount.SubscribeStatusAccept, PopupScene: 2},
	}, events.last(t, offiaccount.EventSubscribeMsgPopup).SubscribeMsgList, "one event, a List item each")
	_, err = c.SendSubscribeMessage(ctx, shippingNotice("o-buyer", once))
	require.NoError(t, err)
	notice := offiaccount.SubscribeMessage{ToUser: "o-buyer", TemplateID: id,
		Data: offiaccount.SubscribeValues(map[string]string{"character_string1": "SF1234567890", "name2": "张三", "date3": "2024年6月2日"})}
	for range 3 {
		_, err := c.SendSubscribeMessage(ctx, notice)
		require.NoError(t, err, "a long-term subscription is not used up")
	}

	_, err = c.SendSubscribeMessage(ctx, offiaccount.SubscribeMessage{ToUser: "o-nobody", TemplateID: id, Data: notice.Data})
	requireCode(t, err, 40003)
	_, err = c.SendSubscribeMessage(ctx, offiaccount.SubscribeMessage{ToUser: "o-buyer", TemplateID: "unknown", Data: notice.Data})
	requireCode(t, err, offiaccount.CodeInvalidTemplateID)

	// Values the fake refuses with 47003, naming the key (sent raw: the SDK refuses them
	// itself before sending).
	tok := url.Values{"access_token": {token(t, c)}}
	for data, key := range map[string]string{
		`{"character_string1":{"value":"SF1"},"name2":{"value":"张三"}}`:                                        "date3",
		`{"character_string1":{"value":"顺丰1"},"name2":{"value":"张三"},"date3":{"value":"2024年6月2日"}}`:          "character_string1",
		`{"character_string1":{"value":"SF1"},"name2":{"value":"欧阳娜娜娜娜娜娜娜娜娜"},"date3":{"value":"2024年6月2日"}}`: "name2",
		`{"character_string1":{"value":"SF1"},"name2":{"value":"张三"},"date3":{"value":""}}`:                   "date3",
	} {
		code, out := rawCall(t, p, http.MethodPost, "/cgi-bin/message/subscribe/bizsend", tok, "",
			[]byte(`{"touser":"o-buyer","template_id":"`+id+`","data":`+data+`}`))
		assert.Equal(t, offiaccount.CodeSubscribeDataInvalid, code, data)
		assert.Contains(t, out["errmsg"], "data."+key+".value invalid")
	}
	assert.Len(t, p.SentSubscribeMessages(sdkAppID), 4)
}

// A test plays the user accepting a subscribe-notification template: the popup event
// reaches the bot, the bot's notice goes out, and the sent event follows on the fake clock.
func ExamplePlatform_AcceptSubscription() {
	const appID, secret = "wx0123456789abcdef", "app-secret"
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(appID, secret))
	defer p.Close()
	p.AddUser(appID, offiaccounttest.UserRecord{OpenID: "o-buyer"})

	bot, err := offiaccount.NewHandler("botToken")
	if err != nil {
		fmt.Println(err)
		return
	}
	bot.HandleDefault(func(_ context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		fmt.Println("bot got", m.Event, "from", m.FromUserName)
		return nil, nil
	})
	p.SetEventSender(&offiaccounttest.Sender{Handler: bot, Token: "botToken"})

	client, _ := offiaccount.NewClient(appID, secret, offiaccount.WithClientBaseURL(p.URL()), offiaccount.WithClientHTTPClient(p.Client()))
	ctx := context.Background()
	tmpl, _ := client.AddSubscribeTemplate(ctx, 1001, []int{1, 3}, "发货通知")
	notice := offiaccount.SubscribeMessage{ToUser: "o-buyer", TemplateID: tmpl,
		Data: offiaccount.SubscribeValues(map[string]string{"thing1": "羽绒服", "time3": "15:01"})}

	_, err = client.SendSubscribeMessage(ctx, notice)
	fmt.Println("before accepting:", errors.Is(err, offiaccount.ErrUserRefused))

	_ = p.AcceptSubscription(appID, "o-buyer", tmpl)
	_, err = client.SendSubscribeMessage(ctx, notice)
	fmt.Println("after accepting:", err)
	p.Advance(offiaccounttest.SubscribeSentDelay)
	// Output:
	// before accepting: true
	// bot got subscribe_msg_popup_event from o-buyer
	// after accepting: <nil>
	// bot got subscribe_msg_sent_event from o-buyer
}

// FuzzNotifyAPIBodies sends arbitrary bodies and queries to the mass-send and
// subscribe-notification APIs: the platform answers WeChat-shaped JSON, never panics, and
// keeps WeChat's limits in its state.
func FuzzNotifyAPIBodies(f *testing.F) {
	for _, s := range [][2]string{
		{"/cgi-bin/message/mass/sendall", `{"filter":{"is_to_all":false,"tag_id":2},"msgtype":"mpnews","mpnews":{"media_id":"m"},"clientmsgid":"c"}`},
		{"/cgi-bin/message/mass/send", `{"touser":["o1","o2"],"msgtype":"image","images":{"media_ids":["a"]}}`},
		{"/cgi-bin/message/mass/preview", `{"towxname":"w","msgtype":"text","text":{"content":"x"}}`},
		{"/cgi-bin/message/mass/get", `{"msg_id":"1000000001"}`},
		{"/cgi-bin/message/mass/delete", `{"msg_id":0,"url":"https://mp.weixin.qq.com/s/2247480001"}`},
		{"/cgi-bin/message/mass/speed/set", `{"speed":4}`},
		{"/wxaapi/newtmpl/getpubtemplatetitles?ids=%22307,616%22&start=0&limit=30", ``},
		{"/wxaapi/newtmpl/getpubtemplatekeywords?tid=1001", ``},
		{"/wxaapi/newtmpl/addtemplate", `{"tid":"1001","kidList":[1,2],"sceneDesc":"s"}`},
		{"/wxaapi/newtmpl/deltemplate", `{"priTmplId":"x"}`},
		{"/cgi-bin/message/subscribe/bizsend", `{"touser":"o1","template_id":"t","data":{"thing1":{"value":1}}}`},
	} {
		f.Add(s[0], s[1])
	}
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(sdkAppID, sdkSecret), offiaccounttest.WithPlatformNow(sdkStart))
	defer p.Close()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o1"})
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o2"})

	f.Fuzz(func(t *testing.T, target, body string) {
		path, query, _ := strings.Cut(target, "?")
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.Path, req.URL.RawQuery = path, query+"&access_token="+p.IssueToken(sdkAppID)
		p.ServeHTTP(rec, req)
		if rec.Code == http.StatusNotFound {
			return
		}
		var answer map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("%s answered non-JSON %q", path, rec.Body.String())
		}
		if n := len(p.SubscribeTemplates(sdkAppID)); n > offiaccounttest.MaxSubscribeTemplates {
			t.Fatalf("%d subscribe templates", n)
		}
		for _, j := range p.MassJobs(sdkAppID) {
			if len(j.ClientMsgID) > 64 || (strings.HasSuffix(j.Path, "/send") && (len(j.ToUsers) < 2 || len(j.ToUsers) > 10000)) {
				t.Fatalf("mass job beyond WeChat's limits: %+v", j)
			}
		}
	})
}

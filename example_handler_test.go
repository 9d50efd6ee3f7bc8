package offiaccount_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wxgo/offiaccount"
)

func ExampleHandler() {
	h, err := offiaccount.NewHandler("myToken2024")
	if err != nil {
		panic(err)
	}
	h.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.TextReply{Content: "you said: " + m.Content}, nil
	})
	h.HandleEvent(offiaccount.EventSubscribe, func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.TextReply{Content: "welcome"}, nil
	})
	mux := http.NewServeMux()
	mux.Handle("/wechat", h)

	// Play WeChat: a signed POST with a text message.
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	q := url.Values{"signature": {offiaccount.Signature("myToken2024", ts, "42")}, "timestamp": {ts}, "nonce": {"42"}}
	body := `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>` +
		`<CreateTime>` + ts + `</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>1</MsgId></xml>`
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/wechat?"+q.Encode(), strings.NewReader(body)))

	reply, err := offiaccount.ParseMessage(w.Body.Bytes())
	if err != nil {
		panic(err)
	}
	fmt.Println(w.Code, reply.MsgType, reply.ToUserName, reply.Content)
	// Output: 200 text oUser you said: hi
}

func ExampleParseMessage() {
	m, err := offiaccount.ParseMessage([]byte(`<xml>
  <ToUserName><![CDATA[gh_account]]></ToUserName>
  <FromUserName><![CDATA[oUser]]></FromUserName>
  <CreateTime>1700000000</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[subscribe]]></Event>
  <EventKey><![CDATA[qrscene_spring_promo]]></EventKey>
  <Ticket><![CDATA[TICKET]]></Ticket>
  <NewField>kept</NewField>
</xml>`))
	if err != nil {
		panic(err)
	}
	extra, _ := m.Field("NewField")
	fmt.Println(m.MsgType, m.Event, m.SceneID(), extra)
	// Output: event subscribe spring_promo kept
}

func ExampleAppendReply() {
	reply := offiaccount.NewsReply{Articles: []offiaccount.Article{{
		Title: "Spring sale", Description: "20% off", PicURL: "https://example.com/p.jpg", URL: "https://example.com/sale",
	}}}
	fmt.Println(string(offiaccount.AppendReply(nil, reply, "oUser", "gh_account", 1700000000)))
	// Output: <xml><ToUserName><![CDATA[oUser]]></ToUserName><FromUserName><![CDATA[gh_account]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount><Articles><item><Title><![CDATA[Spring sale]]></Title><Description><![CDATA[20% off]]></Description><PicUrl><![CDATA[https://example.com/p.jpg]]></PicUrl><Url><![CDATA[https://example.com/sale]]></Url></item></Articles></xml>
}

func ExampleAppendCDATA() {
	fmt.Println(string(offiaccount.AppendCDATA(nil, "a]]>b\x00")))
	// Output: <![CDATA[a]]]]><![CDATA[>b]]>
}

func ExampleHandler_Use() {
	h, err := offiaccount.NewHandler("myToken2024")
	if err != nil {
		panic(err)
	}
	// Middleware wraps every routed function: here, a log line per message.
	h.Use(func(next offiaccount.HandlerFunc) offiaccount.HandlerFunc {
		return func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
			reply, err := next(ctx, m)
			fmt.Printf("handled %s %s: err=%v\n", m.MsgType, m.Event, err)
			return reply, err
		}
	})
	h.HandleEventKey("V1001_GOOD", func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.TextReply{Content: "thanks!"}, nil
	})
	// Dispatch runs the route without HTTP, for tests of your own.
	reply, _ := h.Dispatch(context.Background(), &offiaccount.Message{
		MsgType: offiaccount.MsgTypeEvent, Event: offiaccount.EventClick, EventKey: "V1001_GOOD",
	})
	fmt.Println(reply.(offiaccount.TextReply).Content)
	// Output:
	// handled event CLICK: err=<nil>
	// thanks!
}

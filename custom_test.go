package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSendCustomMessageBodies(t *testing.T) {
	t.Parallel()
	const u = "oUSER"
	tests := []struct {
		name string
		msg  CustomMessage
		want string // WeChat's documented request body
	}{
		{"text", CustomText(u, `see <a href="https://x.example/?a=1&b=2">here</a>`),
			`{"touser":"oUSER","msgtype":"text","text":{"content":"see <a href=\"https://x.example/?a=1&b=2\">here</a>"}}`},
		{"image", CustomImage(u, "MID"), `{"touser":"oUSER","msgtype":"image","image":{"media_id":"MID"}}`},
		{"voice", CustomVoice(u, "MID"), `{"touser":"oUSER","msgtype":"voice","voice":{"media_id":"MID"}}`},
		{"video", CustomVideo(u, CustomVideoContent{MediaID: "MID", ThumbMediaID: "TID", Title: "T", Description: "D"}),
			`{"touser":"oUSER","msgtype":"video","video":{"media_id":"MID","thumb_media_id":"TID","title":"T","description":"D"}}`},
		{"music", CustomMusic(u, CustomMusicContent{Title: "T", Description: "D", MusicURL: "http://m", HQMusicURL: "http://hq", ThumbMediaID: "TID"}),
			`{"touser":"oUSER","msgtype":"music","music":{"title":"T","description":"D","musicurl":"http://m","hqmusicurl":"http://hq","thumb_media_id":"TID"}}`},
		{"news", CustomNews(u, CustomArticle{Title: "Happy Day", Description: "Is Really A Happy Day", URL: "http://u", PicURL: "http://p"}),
			`{"touser":"oUSER","msgtype":"news","news":{"articles":[{"title":"Happy Day","description":"Is Really A Happy Day","url":"http://u","picurl":"http://p"}]}}`},
		{"mpnews", CustomMPNews(u, "MID"), `{"touser":"oUSER","msgtype":"mpnews","mpnews":{"media_id":"MID"}}`},
		{"mpnewsarticle", CustomMPNewsArticle(u, "AID"), `{"touser":"oUSER","msgtype":"mpnewsarticle","mpnewsarticle":{"article_id":"AID"}}`},
		{"msgmenu", CustomMenu(u, "您对本次服务是否满意呢?", []CustomMenuItem{{ID: "101", Content: "满意"}, {ID: "102", Content: "不满意"}}, "欢迎再次光临"),
			`{"touser":"oUSER","msgtype":"msgmenu","msgmenu":{"head_content":"您对本次服务是否满意呢?","list":[{"id":"101","content":"满意"},{"id":"102","content":"不满意"}],"tail_content":"欢迎再次光临"}}`},
		{"wxcard", CustomCard(u, "CARD"), `{"touser":"oUSER","msgtype":"wxcard","wxcard":{"card_id":"CARD"}}`},
		{"miniprogrampage", CustomMiniProgramPage(u, CustomMiniProgramContent{Title: "T", AppID: "wxMP", PagePath: "pages/index?x=1", ThumbMediaID: "TID"}),
			`{"touser":"oUSER","msgtype":"miniprogrampage","miniprogrampage":{"title":"T","appid":"wxMP","pagepath":"pages/index?x=1","thumb_media_id":"TID"}}`},
		{"as staff account", CustomText(u, "hi").WithKFAccount("kf2001@gh_test"),
			`{"touser":"oUSER","msgtype":"text","text":{"content":"hi"},"customservice":{"kf_account":"kf2001@gh_test"}}`},
	}
	// WeChat wants URLs and Chinese text as they are, not \u-escaped.
	raw := map[string][]string{
		"text":    {`<a href=\"https://x.example/?a=1&b=2\">`},
		"msgmenu": {"您对本次服务是否满意呢?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			n := expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/custom/send",
				body: tt.want, raw: raw[tt.name], answer: `{"errcode":0,"errmsg":"ok"}`})
			require.NoError(t, c.SendCustomMessage(context.Background(), tt.msg))
			assert.EqualValues(t, 1, n.Load())
		})
	}
}

func TestSendCustomMessageInvalid(t *testing.T) {
	t.Parallel()
	long := CustomNews("o", CustomArticle{Title: "a", URL: "u"})
	long.News.Articles = append(long.News.Articles, CustomArticle{Title: "b", URL: "u"})
	twoBodies := CustomText("o", "x")
	twoBodies.Image = &CustomMediaContent{MediaID: "m"}
	tests := map[string]CustomMessage{
		"no recipient":       CustomText("", "x"),
		"empty text":         CustomText("o", ""),
		"invalid utf-8":      CustomText("o", "\xff"),
		"empty media":        CustomImage("o", ""),
		"two articles":       long,
		"two bodies":         twoBodies,
		"no body":            {ToUser: "o", MsgType: CustomMsgVoice},
		"body of other type": {ToUser: "o", MsgType: CustomMsgVoice, Image: &CustomMediaContent{MediaID: "m"}},
		"unknown type":       {ToUser: "o", MsgType: "hologram", Text: &CustomTextContent{Content: "x"}},
		"menu item w/o id":   CustomMenu("o", "", []CustomMenuItem{{Content: "yes"}}, ""),
		"empty menu":         CustomMenu("o", "h", nil, "t"),
		"music w/o thumb":    CustomMusic("o", CustomMusicContent{MusicURL: "http://m"}),
		"mini w/o appid":     CustomMiniProgramPage("o", CustomMiniProgramContent{PagePath: "p", ThumbMediaID: "t"}),
		"empty kf account":   CustomText("o", "x").WithKFAccount(""),
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			err := c.SendCustomMessage(context.Background(), m)
			require.ErrorIs(t, err, ErrInvalidRequest)
			noCalls(t, mt)
		})
	}
}

func TestSendCustomMessageErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/custom/send",
		body:   `{"touser":"o","msgtype":"text","text":{"content":"late"}}`,
		answer: `{"errcode":45015,"errmsg":"response out of time limit or subscription is canceled rid: 6555-abc"}`})
	err := c.SendCustomText(context.Background(), "o", "late")
	requireAPIError(t, err, CodeResponseOutOfTime, "/cgi-bin/message/custom/send")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "6555-abc", apiErr.RID)
}

func TestSendCustomMessageNotRetriedAfterNetworkError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	calls := 0
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/message/custom/send", func(*http.Request) (*http.Response, error) {
		calls++
		return nil, errors.New("connection reset")
	})
	err := c.SendCustomText(context.Background(), "o", "once")
	require.Error(t, err)
	assert.Equal(t, 1, calls, "a message must not be sent twice")
	assert.NotContains(t, err.Error(), testToken)
}

func TestSendCustomMessageTokenRefresh(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/stable_token",
		httpmock.NewStringResponder(200, `{"access_token":"OLD","expires_in":7200}`).
			Then(httpmock.NewStringResponder(200, `{"access_token":"NEW","expires_in":7200}`)))
	var tokens []string
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/message/custom/send", func(r *http.Request) (*http.Response, error) {
		tok := r.URL.Query().Get("access_token")
		tokens = append(tokens, tok)
		if tok == "OLD" {
			return httpmock.NewStringResponse(200, `{"errcode":40001,"errmsg":"invalid credential"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"errcode":0,"errmsg":"ok"}`), nil
	})
	require.NoError(t, c.SendCustomText(context.Background(), "o", "hi"))
	assert.Equal(t, []string{"OLD", "NEW"}, tokens, "a rejected token is replaced and the send repeated once")
}

func TestSetTyping(t *testing.T) {
	t.Parallel()
	for _, typing := range []bool{true, false} {
		c, mt := newMockClient(t)
		cmd := map[bool]string{true: "Typing", false: "CancelTyping"}[typing]
		n := expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/custom/typing",
			body: `{"touser":"oUSER","command":"` + cmd + `"}`, answer: `{"errcode":0,"errmsg":"ok"}`})
		require.NoError(t, c.SetTyping(context.Background(), "oUSER", typing))
		assert.EqualValues(t, 1, n.Load())
	}
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/custom/typing",
		body: `{"touser":"oUSER","command":"Typing"}`, answer: `{"errcode":45081,"errmsg":"already typing"}`})
	requireAPIError(t, c.SetTyping(context.Background(), "oUSER", true), 45081, "/cgi-bin/message/custom/typing")
	require.ErrorIs(t, c.SetTyping(context.Background(), "", true), ErrInvalidRequest)
}

func ExampleClient_SendCustomMessage() {
	client, done := newExampleServer(map[string]string{
		"/cgi-bin/message/custom/send": `{"errcode":0,"errmsg":"ok"}`,
	})
	defer done()
	ctx := context.Background()

	msg := CustomMenu("oUSER", "Did we help?", []CustomMenuItem{
		{ID: "yes", Content: "Yes"},
		{ID: "no", Content: "No"},
	}, "")
	if err := client.SendCustomMessage(ctx, msg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent", msg.MsgType)

	// A message without its content never leaves the process.
	err := client.SendCustomMessage(ctx, CustomImage("oUSER", ""))
	fmt.Println(errors.Is(err, ErrInvalidRequest))
	// Output:
	// sent msgmenu
	// true
}

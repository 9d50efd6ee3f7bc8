package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSendTemplateMessage(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	n := expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/template/send",
		body: `{"touser":"OPENID","template_id":"ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
			"url":"http://weixin.qq.com/download?a=1&b=2",
			"miniprogram":{"appid":"xiaochengxuappid12345","pagepath":"index?foo=bar"},
			"client_msg_id":"order-42",
			"data":{"keyword1":{"value":"巧克力"},"keyword2":{"value":"39.8元","color":"#173177"}}}`,
		answer: `{"errcode":0,"errmsg":"ok","msgid":200228332}`})
	id, err := c.SendTemplateMessage(context.Background(), TemplateMessage{
		ToUser:      "OPENID",
		TemplateID:  "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
		URL:         "http://weixin.qq.com/download?a=1&b=2",
		MiniProgram: &TemplateMiniProgram{AppID: "xiaochengxuappid12345", PagePath: "index?foo=bar"},
		ClientMsgID: "order-42",
		Data: map[string]TemplateData{
			"keyword1": {Value: "巧克力"},
			"keyword2": {Value: "39.8元", Color: "#173177"},
		},
	})
	require.NoError(t, err)
	assert.Equal(t, int64(200228332), id)
	assert.EqualValues(t, 1, n.Load())
}

func TestSendTemplateMessageMinimal(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/template/send",
		body:   `{"touser":"o","template_id":"T","data":{}}`,
		answer: `{"errcode":0,"errmsg":"ok","msgid":1}`})
	id, err := c.SendTemplateMessage(context.Background(), TemplateMessage{ToUser: "o", TemplateID: "T"})
	require.NoError(t, err)
	assert.Equal(t, int64(1), id)
}

func TestSendTemplateMessageRejected(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/template/send",
		body:   `{"touser":"o","template_id":"T","data":{"k":{"value":"v"}}}`,
		answer: `{"errcode":40037,"errmsg":"invalid template_id"}`})
	_, err := c.SendTemplateMessage(context.Background(), TemplateMessage{ToUser: "o", TemplateID: "T",
		Data: TemplateValues(map[string]string{"k": "v"})})
	requireAPIError(t, err, CodeInvalidTemplateID, "/cgi-bin/message/template/send")

	for name, m := range map[string]TemplateMessage{
		"no user":        {TemplateID: "T"},
		"no template":    {ToUser: "o"},
		"mini w/o appid": {ToUser: "o", TemplateID: "T", MiniProgram: &TemplateMiniProgram{PagePath: "p"}},
		"long msg id":    {ToUser: "o", TemplateID: "T", ClientMsgID: string(make([]byte, 65))},
	} {
		_, err := c.SendTemplateMessage(context.Background(), m)
		require.ErrorIs(t, err, ErrInvalidRequest, name)
	}
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+testAPI+"/cgi-bin/message/template/send"])
}

// The 2023-05-04 rules: no first or remark, at most 20 characters per value, one line.
func TestTemplateMessage2023Rules(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	msg := func(k, v string) TemplateMessage {
		return TemplateMessage{ToUser: "o", TemplateID: "T", Data: TemplateValues(map[string]string{"thing1": "ok", k: v})}
	}
	for name, tc := range map[string]struct {
		m    TemplateMessage
		want string
	}{
		"first":        {msg("first", "您好"), "data.first"},
		"remark":       {msg("remark", "谢谢"), "data.remark"},
		"21 chinese":   {msg("thing2", strings.Repeat("字", 21)), "data.thing2: 21 characters, at most 20"},
		"21 ascii":     {msg("character_string3", strings.Repeat("a", 21)), "data.character_string3"},
		"newline":      {msg("thing4", "a\nb"), "data.thing4: line breaks"},
		"carriage ret": {msg("thing4", "a\rb"), "data.thing4: line breaks"},
	} {
		m := tc.m
		err := m.Validate()
		require.ErrorIs(t, err, ErrInvalidRequest, name)
		assert.Contains(t, err.Error(), tc.want, name)
		_, err = c.SendTemplateMessage(context.Background(), tc.m)
		require.ErrorIs(t, err, ErrInvalidRequest, name)
	}
	noCalls(t, mt)
	ok := msg("thing2", strings.Repeat("字", 20))
	require.NoError(t, ok.Validate(), "20 characters are fine")
}

func TestAddCategoryTemplateNeedsKeywords(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	_, err := c.AddTemplate(context.Background(), "47123")
	require.ErrorIs(t, err, ErrInvalidRequest)
	noCalls(t, mt)
}

func TestListTemplates(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/template/get_all_private_template",
		answer: `{"template_list":[{"template_id":"iPk5sOIt5X_flOVKn5GrTFpncEYTojx6ddbt8WYoV5s",
			"title":"领取奖金提醒","primary_industry":"IT科技","deputy_industry":"互联网|电子商务",
			"content":"{ {result.DATA} }\n\n领奖金额:{ {withdrawMoney.DATA} }\n",
			"example":"您已提交领奖申请\n\n领奖金额:xxxx元\n"}]}`})
	list, err := c.ListTemplates(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, Template{TemplateID: "iPk5sOIt5X_flOVKn5GrTFpncEYTojx6ddbt8WYoV5s", Title: "领取奖金提醒",
		PrimaryIndustry: "IT科技", DeputyIndustry: "互联网|电子商务",
		Content: "{ {result.DATA} }\n\n领奖金额:{ {withdrawMoney.DATA} }\n", Example: "您已提交领奖申请\n\n领奖金额:xxxx元\n"}, list[0])
}

func TestAddAndDeleteTemplate(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/template/api_add_template",
		body:   `{"template_id_short":"47123","keyword_name_list":["时间","地点","金额"]}`,
		answer: `{"errcode":0,"errmsg":"ok","template_id":"Doclyl5uP7Aciu-qZ7mJNPtWkbkYnWBWVja26EGbNyk"}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/template/del_private_template",
		body: `{"template_id":"Doclyl5uP7Aciu-qZ7mJNPtWkbkYnWBWVja26EGbNyk"}`, answer: `{"errcode":0,"errmsg":"ok"}`})
	ctx := context.Background()
	id, err := c.AddTemplate(ctx, "47123", "时间", "地点", "金额")
	require.NoError(t, err)
	assert.Equal(t, "Doclyl5uP7Aciu-qZ7mJNPtWkbkYnWBWVja26EGbNyk", id)
	require.NoError(t, c.DeleteTemplate(ctx, id))

	_, err = c.AddTemplate(ctx, "")
	require.ErrorIs(t, err, ErrInvalidRequest)
	require.ErrorIs(t, c.DeleteTemplate(ctx, ""), ErrInvalidRequest)
}

func TestAddIndustryTemplateOmitsKeywords(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/template/api_add_template",
		body: `{"template_id_short":"TM00015"}`, answer: `{"errcode":40246,"errmsg":"keyword name invalid"}`})
	_, err := c.AddTemplate(context.Background(), "TM00015")
	requireAPIError(t, err, CodeInvalidKeywordName, "/cgi-bin/template/api_add_template")
}

func TestIndustry(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/template/api_set_industry",
		body: `{"industry_id1":"1","industry_id2":"4"}`, answer: `{"errcode":0,"errmsg":"ok"}`})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/template/get_industry",
		answer: `{"primary_industry":{"first_class":"运输与仓储","second_class":"快递"},
			"secondary_industry":{"first_class":"IT科技","second_class":"互联网|电子商务"}}`})
	ctx := context.Background()
	require.NoError(t, c.SetIndustry(ctx, 1, 4))
	ind, err := c.GetIndustry(ctx)
	require.NoError(t, err)
	assert.Equal(t, &Industry{
		Primary:   IndustryClass{FirstClass: "运输与仓储", SecondClass: "快递"},
		Secondary: IndustryClass{FirstClass: "IT科技", SecondClass: "互联网|电子商务"},
	}, ind)
	require.ErrorIs(t, c.SetIndustry(ctx, 0, 4), ErrInvalidRequest)
}

func ExampleClient_SendTemplateMessage() {
	client, done := newExampleServer(map[string]string{
		"/cgi-bin/message/template/send": `{"errcode":0,"errmsg":"ok","msgid":200228332}`,
	})
	defer done()

	msgID, err := client.SendTemplateMessage(context.Background(), TemplateMessage{
		ToUser:      "oUSER",
		TemplateID:  "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY",
		URL:         "https://shop.example.com/orders/42",
		ClientMsgID: "order-42-shipped",
		Data: TemplateValues(map[string]string{
			"thing1":  "Chocolate",
			"amount2": "39.80",
		}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Keep msgID: the TEMPLATESENDJOBFINISH event with this MsgID tells whether it arrived.
	fmt.Println("msgid", msgID)

	_, err = client.SendTemplateMessage(context.Background(), TemplateMessage{ToUser: "oUSER"})
	fmt.Println(errors.Is(err, ErrInvalidRequest))
	// Output:
	// msgid 200228332
	// true
}

func TestSendTemplateMessageNotRetriedAfterNetworkError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	calls := 0
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/message/template/send", func(*http.Request) (*http.Response, error) {
		calls++
		return nil, errors.New("connection reset by peer")
	})
	_, err := c.SendTemplateMessage(context.Background(), TemplateMessage{ToUser: "o", TemplateID: "T"})
	require.Error(t, err)
	assert.Equal(t, 1, calls, "a template message must not be sent twice")
	assert.NotContains(t, err.Error(), testToken)
}

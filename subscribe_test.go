package offiaccount

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubscribeLibraryAPIs(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()

	expect(t, mt, apiCall{method: http.MethodGet, path: "/wxaapi/newtmpl/getcategory",
		answer: `{"errcode":0,"errmsg":"ok","data":[{"id":616,"name":"公交"},{"id":627,"name":"其他"}]}`})
	cats, err := c.ListSubscribeCategories(ctx)
	require.NoError(t, err)
	assert.Equal(t, []SubscribeCategory{{616, "公交"}, {627, "其他"}}, cats)

	expect(t, mt, apiCall{method: http.MethodGet, path: "/wxaapi/newtmpl/getpubtemplatetitles",
		query: map[string]string{"ids": "2,616", "start": "0", "limit": "1"},
		answer: `{"errcode":0,"errmsg":"ok","count":55,"data":[{"tid":99,"title":"付款成功通知","type":2,"categoryId":"616"},
			{"tid":100,"title":"到站提醒","type":3,"categoryId":616},{"tid":101,"title":"无类目","type":2,"categoryId":null}]}`})
	titles, err := c.ListSubscribeTemplateTitles(ctx, []int{2, 616}, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, 55, titles.Count)
	assert.Equal(t, []SubscribeTemplateTitle{
		{TID: 99, Title: "付款成功通知", Type: SubscribeTemplateOnce, CategoryID: "616"},
		{TID: 100, Title: "到站提醒", Type: SubscribeTemplateLongTerm, CategoryID: "616"},
		{TID: 101, Title: "无类目", Type: SubscribeTemplateOnce},
	}, titles.Titles)

	expect(t, mt, apiCall{method: http.MethodGet, path: "/wxaapi/newtmpl/getpubtemplatekeywords",
		query:  map[string]string{"tid": "99"},
		answer: `{"count":1,"data":[{"kid":1,"name":"物品名称","example":"名称","rule":"thing"}],"errcode":0,"errmsg":"ok"}`})
	kws, err := c.ListSubscribeTemplateKeywords(ctx, 99)
	require.NoError(t, err)
	assert.Equal(t, []SubscribeKeyword{{KID: 1, Name: "物品名称", Example: "名称", Rule: "thing"}}, kws)

	expect(t, mt, apiCall{method: http.MethodPost, path: "/wxaapi/newtmpl/addtemplate",
		body:   `{"tid":"401","kidList":[1,2],"sceneDesc":"测试数据"}`,
		answer: `{"errcode":0,"errmsg":"ok","priTmplId":"9Aw5ZV1j9xdWTFEkqCpZ7mIBbSC34khK55OtzUPl0rU"}`})
	id, err := c.AddSubscribeTemplate(ctx, 401, []int{1, 2}, "测试数据")
	require.NoError(t, err)
	assert.Equal(t, "9Aw5ZV1j9xdWTFEkqCpZ7mIBbSC34khK55OtzUPl0rU", id)

	expect(t, mt, apiCall{method: http.MethodPost, path: "/wxaapi/newtmpl/addtemplate",
		body:   `{"tid":"10000003","kidList":[],"sceneDesc":"预约"}`,
		answer: `{"errcode":0,"errmsg":"ok","priTmplId":"fixed"}`})
	_, err = c.AddSubscribeTemplate(ctx, 10000003, nil, "预约")
	require.NoError(t, err, "titles with fixed keywords take an empty kidList")

	expect(t, mt, apiCall{method: http.MethodGet, path: "/wxaapi/newtmpl/gettemplate",
		answer: `{"errcode":0,"errmsg":"ok","data":[{"priTmplId":"9Aw5","title":"报名结果通知",
			"content":"会议时间:{{date2.DATA}}\n会议地点:{{thing1.DATA}}\n","example":"会议时间:2016年8月8日\n会议地点:TIT会议室\n","type":2}]}`})
	list, err := c.ListSubscribeTemplates(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "9Aw5", list[0].PriTmplID)
	assert.Equal(t, SubscribeTemplateOnce, list[0].Type)

	expect(t, mt, apiCall{method: http.MethodPost, path: "/wxaapi/newtmpl/deltemplate",
		body: `{"priTmplId":"9Aw5"}`, answer: `{"errcode":0,"errmsg":"ok"}`})
	require.NoError(t, c.DeleteSubscribeTemplate(ctx, "9Aw5"))
}

func TestSubscribeLibraryRejectedLocally(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"no categories":    func() error { _, err := c.ListSubscribeTemplateTitles(ctx, nil, 0, 10); return err },
		"bad category":     func() error { _, err := c.ListSubscribeTemplateTitles(ctx, []int{0}, 0, 10); return err },
		"negative start":   func() error { _, err := c.ListSubscribeTemplateTitles(ctx, []int{2}, -1, 10); return err },
		"limit 0":          func() error { _, err := c.ListSubscribeTemplateTitles(ctx, []int{2}, 0, 0); return err },
		"limit 31":         func() error { _, err := c.ListSubscribeTemplateTitles(ctx, []int{2}, 0, 31); return err },
		"keywords of 0":    func() error { _, err := c.ListSubscribeTemplateKeywords(ctx, 0); return err },
		"tid 0":            func() error { _, err := c.AddSubscribeTemplate(ctx, 0, []int{1, 2}, "x"); return err },
		"one keyword":      func() error { _, err := c.AddSubscribeTemplate(ctx, 1, []int{1}, "x"); return err },
		"six keywords":     func() error { _, err := c.AddSubscribeTemplate(ctx, 1, []int{1, 2, 3, 4, 5, 6}, "x"); return err },
		"repeated keyword": func() error { _, err := c.AddSubscribeTemplate(ctx, 1, []int{1, 1}, "x"); return err },
		"fixed with kids":  func() error { _, err := c.AddSubscribeTemplate(ctx, 10000001, []int{1, 2}, "x"); return err },
		"no scene":         func() error { _, err := c.AddSubscribeTemplate(ctx, 1, []int{1, 2}, ""); return err },
		"16-char scene": func() error {
			_, err := c.AddSubscribeTemplate(ctx, 1, []int{1, 2}, strings.Repeat("场", 16))
			return err
		},
		"delete empty":      func() error { return c.DeleteSubscribeTemplate(ctx, "") },
		"send without user": func() error { _, err := c.SendSubscribeMessage(ctx, SubscribeMessage{TemplateID: "T"}); return err },
	} {
		require.ErrorIs(t, call(), ErrInvalidRequest, name)
	}
	noCalls(t, mt)
}

func TestSendSubscribeMessage(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/subscribe/bizsend",
		body: `{"touser":"OPENID","template_id":"TEMPLATEID","page":"https://mp.weixin.qq.com",
			"miniprogram":{"appid":"wxd45c635d754dbf59","pagepath":"index?foo=bar"},
			"data":{"name1":{"value":"广州腾讯科技有限公司"},"thing8":{"value":"广州腾讯科技有限公司"},"time7":{"value":"2019年8月8日"}}}`,
		answer: `{"errcode":0,"errmsg":"ok","msgid":1988810812324364291}`})
	id, err := c.SendSubscribeMessage(ctx, SubscribeMessage{ToUser: "OPENID", TemplateID: "TEMPLATEID",
		Page:        "https://mp.weixin.qq.com",
		MiniProgram: &SubscribeMiniProgram{AppID: "wxd45c635d754dbf59", PagePath: "index?foo=bar"},
		Data: SubscribeValues(map[string]string{
			"name1": "广州腾讯科技有限公司", "thing8": "广州腾讯科技有限公司", "time7": "2019年8月8日"}),
	})
	require.NoError(t, err, "the documentation's example passes; its time7 is a date alone")
	assert.Equal(t, int64(1988810812324364291), id)

	_, err = c.SendSubscribeMessage(ctx, SubscribeMessage{ToUser: "OPENID", TemplateID: "TEMPLATEID",
		Data: SubscribeValues(map[string]string{"name1": "R2D2", "time7": "3pm"})})
	require.ErrorIs(t, err, ErrInvalidRequest)
	require.ErrorContains(t, err, `"name1" (kind name)`, "the first bad key, in key order, is named")

	c, mt = newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/subscribe/bizsend",
		body:   `{"touser":"OPENID","template_id":"T","data":{"phrase3":{"value":"审核通过"},"date2":{"value":"2019-12-25 09:42"}}}`,
		answer: `{"errcode":0,"errmsg":"ok","msgid":1988810812324364291}`})
	_, err = c.SendSubscribeMessage(ctx, SubscribeMessage{ToUser: "OPENID", TemplateID: "T",
		Data: SubscribeValues(map[string]string{"phrase3": "审核通过", "date2": "2019-12-25 09:42"})})
	require.NoError(t, err)

	c, mt = newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/subscribe/bizsend",
		body:   `{"touser":"OPENID","template_id":"T","data":{"phrase3":{"value":"审核通过"}}}`,
		answer: `{"errcode":43101,"errmsg":"user refuse to accept the msg rid: 6472dfd0-536f4e2c-16f28abc"}`})
	_, err = c.SendSubscribeMessage(ctx, SubscribeMessage{ToUser: "OPENID", TemplateID: "T",
		Data: SubscribeValues(map[string]string{"phrase3": "审核通过"})})
	requireAPIError(t, err, CodeUserRefused, "/cgi-bin/message/subscribe/bizsend")
	assert.True(t, errors.Is(err, ErrUserRefused))
	assert.False(t, errors.Is(err, ErrBusy))
}

func TestSubscribeMessageValidate(t *testing.T) {
	t.Parallel()
	ok := SubscribeValues(map[string]string{"thing1": "x"})
	for name, m := range map[string]SubscribeMessage{
		"no user":     {TemplateID: "T", Data: ok},
		"no template": {ToUser: "o", Data: ok},
		"no data":     {ToUser: "o", TemplateID: "T"},
		"mini no app": {ToUser: "o", TemplateID: "T", Data: ok, MiniProgram: &SubscribeMiniProgram{PagePath: "p"}},
		"empty key":   {ToUser: "o", TemplateID: "T", Data: SubscribeValues(map[string]string{"": "x"})},
		"bad value":   {ToUser: "o", TemplateID: "T", Data: SubscribeValues(map[string]string{"number1": "x"})},
	} {
		require.ErrorIs(t, m.Validate(), ErrInvalidRequest, name)
	}
	m := SubscribeMessage{ToUser: "o", TemplateID: "T", Data: ok}
	require.NoError(t, m.Validate())
}

// TestValidateSubscribeValue holds the rules of WeChat's value table, kind by kind.
func TestValidateSubscribeValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		key, value string
		ok         bool
	}{
		// thing: ≤ 20 characters of anything printable.
		{"thing1", "羽绒服 XL 码，蓝色！", true},
		{"thing1", strings.Repeat("字", 20), true},
		{"thing1", strings.Repeat("字", 21), false},
		{"thing1", strings.Repeat("a", 21), false},
		{"thing1", "two\nlines", false},
		{"thing12", "", false},
		// number: digits, optional decimals, ≤ 32.
		{"number2", "1234", true},
		{"number2", "12.50", true},
		{"number2", strings.Repeat("9", 32), true},
		{"number2", strings.Repeat("9", 33), false},
		{"number2", "-3", false},
		{"number2", "1e5", false},
		{"number2", "1.", false},
		{"number2", "一", false},
		// letter: ≤ 32 letters.
		{"letter3", "abcXYZ", true},
		{"letter3", strings.Repeat("a", 33), false},
		{"letter3", "abc1", false},
		{"letter3", "ab c", false},
		// symbol: ≤ 5 symbols, no letters, digits or Chinese.
		{"symbol4", "%#&", true},
		{"symbol4", "¥$€!?", true},
		{"symbol4", "%%%%%%", false},
		{"symbol4", "%a", false},
		{"symbol4", "%1", false},
		{"symbol4", "%中", false},
		// character_string: ≤ 32 digits, letters, symbols; no Chinese.
		{"character_string5", "SF-1234_abc/99", true},
		{"character_string5", strings.Repeat("x", 32), true},
		{"character_string5", strings.Repeat("x", 33), false},
		{"character_string5", "订单123", false},
		// time: 24-hour time, optionally after a date, or a range with "~".
		{"time6", "15:01", true},
		{"time6", "15:01:59", true},
		{"time6", "9:05", true},
		{"time6", "2019年10月1日 15:01", true},
		{"time6", "2019年10月1日15:01", true},
		{"time6", "2019-10-01 15:01", true},
		{"time6", "15:01~16:30", true},
		{"time6", "2019年10月1日 15:01 ~ 2019年10月1日 17:00", true},
		{"time6", "24:00", false},
		{"time6", "15:60", false},
		{"time6", "2019年10月1日", true}, // the bizsend documentation's own example
		{"time6", "15:01~16:30~17:00", false},
		{"time6", "3pm", false},
		// date: a date in one of the listed forms, optionally with a time, or a range.
		{"date7", "2019年10月1日", true},
		{"date7", "2019年10月1日 15:01", true},
		{"date7", "2019年10月", true},
		{"date7", "10月1日", true},
		{"date7", "2018-01-01", true},
		{"date7", "2018/01/01", true},
		{"date7", "2018.01.01", true},
		{"date7", "2018-01", true},
		{"date7", "01-01", true},
		{"date7", "2018-01-01 08:00", true},
		{"date7", "2019-12-25 09:42", true},
		{"date7", "2018-01-01~2018-01-07", true},
		{"date7", "2018-13-01", false},
		{"date7", "2018-01-32", false},
		{"date7", "2018-01-0108:00", false},
		{"date7", "15:01", false},
		{"date7", "tomorrow", false},
		{"date7", "2018-01-01 25:00", false},
		// amount: a currency symbol, ≤ 10 digits, decimals, an optional 元.
		{"amount8", "¥100.50", true},
		{"amount8", "$99", true},
		{"amount8", "100.00元", true},
		{"amount8", "￥1234567890", true},
		{"amount8", "¥12345678901", false},
		{"amount8", "¥¥1", false},
		{"amount8", "一百元", false},
		{"amount8", "¥-1", false},
		// phone_number: ≤ 17 digits and symbols.
		{"phone_number9", "+86-0766-66888866", true},
		{"phone_number9", "13800138000", true},
		{"phone_number9", "+86-0766-668888661", false},
		{"phone_number9", "call 110", false},
		// car_number: ≤ 8, Chinese only first and last.
		{"car_number10", "粤A8Z888挂", true},
		{"car_number10", "粤A12345", true},
		{"car_number10", "AB12345", true},
		{"car_number10", "粤A8Z8888挂", false},
		{"car_number10", "粤A8中888", false},
		{"car_number10", "粤A-12345", false},
		// name: ≤ 10 Chinese, or ≤ 20 letters/symbols; a mix counts as Chinese.
		{"name11", "张三", true},
		{"name11", "欧阳娜娜娜娜娜娜娜娜", true},
		{"name11", "欧阳娜娜娜娜娜娜娜娜娜", false},
		{"name11", "John Smith-Jones", true},
		{"name11", strings.Repeat("a", 20), true},
		{"name11", strings.Repeat("a", 21), false},
		{"name11", "张三Tom", true},
		{"name11", "张三Tomabcdefgh", false},
		{"name11", "R2D2", false},
		// phrase: ≤ 5 Chinese characters.
		{"phrase12", "配送中", true},
		{"phrase12", "审核已通过了", false},
		{"phrase12", "OK", false},
		{"phrase12", "配送 中", false},
		// Kinds this package does not know get the common checks only; keys need a kind.
		{"enum13", "anything at all, of any length whatsoever", true},
		{"enum13", "bad\x00", false},
		{"thing1", "\xff", false},
		{"", "x", false},
	}
	for _, tc := range cases {
		err := ValidateSubscribeValue(tc.key, tc.value)
		if tc.ok {
			assert.NoError(t, err, "%s=%q", tc.key, tc.value)
			continue
		}
		if assert.Error(t, err, "%s=%q", tc.key, tc.value) {
			assert.ErrorIs(t, err, ErrInvalidRequest)
			if kind := SubscribeValueKind(tc.key); kind != "" && kind != "enum" {
				assert.Contains(t, err.Error(), `"`+tc.key+`" (kind `+kind+`)`, "the error names key and kind")
			}
		}
	}
}

func TestSubscribeValueKind(t *testing.T) {
	t.Parallel()
	for key, kind := range map[string]string{
		"thing1": "thing", "character_string12": "character_string", "phone_number3": "phone_number",
		"time": "", "1": "", "Thing1": "", "thing1.DATA": "",
	} {
		assert.Equal(t, kind, SubscribeValueKind(key), key)
	}
}

func TestSubscribeValueErrorNamesRule(t *testing.T) {
	t.Parallel()
	err := ValidateSubscribeValue("thing3", strings.Repeat("货", 25))
	require.EqualError(t, err, `offiaccount: invalid request: /cgi-bin/message/subscribe/bizsend: data "thing3" (kind thing): at most 20 characters, got 25`)
}

func FuzzValidateSubscribeValue(f *testing.F) {
	for _, s := range [][2]string{
		{"thing1", "羽绒服"}, {"time2", "2019年10月1日 15:01~16:00"}, {"date3", "2018-01-01"},
		{"amount4", "¥100.50元"}, {"car_number5", "粤A8Z888挂"}, {"name6", "张三Tom"},
		{"phrase7", "配送中"}, {"number8", "1.5"}, {"symbol9", "%"}, {"x", "\xff"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		err := ValidateSubscribeValue(key, value)
		if err == nil {
			// Whatever passes is non-empty UTF-8 within the longest limit of its kind.
			if value == "" || !utf8.ValidString(value) || key == "" {
				t.Fatalf("accepted %q=%q", key, value)
			}
			if limit, ok := map[string]int{"thing": 20, "number": 32, "letter": 32, "symbol": 5,
				"character_string": 32, "phone_number": 17, "car_number": 8, "name": 20, "phrase": 5,
			}[SubscribeValueKind(key)]; ok && utf8.RuneCountInString(value) > limit {
				t.Fatalf("accepted %q=%q over %d characters", key, value, limit)
			}
			return
		}
		if !errors.Is(err, ErrInvalidRequest) {
			t.Fatalf("error %v does not match ErrInvalidRequest", err)
		}
	})
}

// A shipping notice: the values are checked by their keys' kinds before anything is sent,
// and a user without a subscription left is reported as ErrUserRefused.
func ExampleClient_SendSubscribeMessage() {
	client, done := newExampleServer(map[string]string{
		"/cgi-bin/message/subscribe/bizsend": `{"errcode":43101,"errmsg":"user refuse to accept the msg rid: 6472dfd0-536f4e2c-16f28abc"}`,
	})
	defer done()
	ctx := context.Background()

	notice := SubscribeMessage{ToUser: "o-buyer", TemplateID: "priTmplId-of-the-template",
		Page: "https://example.com/orders/42",
		Data: SubscribeValues(map[string]string{
			"thing1":  "羽绒服（加厚款，藏青色，XL 码，含收纳袋）",
			"time3":   "2026年11月30日 15:01",
			"amount4": "¥399.00",
		})}
	_, err := client.SendSubscribeMessage(ctx, notice)
	fmt.Println(err)

	notice.Data["thing1"] = SubscribeData{Value: "羽绒服"}
	_, err = client.SendSubscribeMessage(ctx, notice)
	fmt.Println(errors.Is(err, ErrUserRefused))
	// Output:
	// offiaccount: invalid request: /cgi-bin/message/subscribe/bizsend: data "thing1" (kind thing): at most 20 characters, got 22
	// true
}

// FuzzNotifyAnswers feeds arbitrary answers to the decoders of this API group: library
// titles (categoryId as a number or a string) and the msg_id of a 45065 answer. They never
// panic, and a msg_id that reads back is the digits the answer holds.
func FuzzNotifyAnswers(f *testing.F) {
	f.Add(`{"count":1,"data":[{"tid":99,"title":"t","type":2,"categoryId":"616"}]}`)
	f.Add(`{"errcode":45065,"errmsg":"clientmsgid exist","msg_id":"123"}`)
	f.Add(`{"msg_id":1e3,"data":[{"categoryId":{}}]}`)
	f.Add(`{"msg_id":-5}`)
	f.Fuzz(func(t *testing.T, answer string) {
		var page SubscribeTemplateTitles
		_ = json.Unmarshal([]byte(answer), &page)
		if id := earlierMsgID([]byte(answer)); id < 0 {
			t.Fatalf("negative msg_id %d from %q", id, answer)
		}
	})
}

package offiaccounttest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestTemplateManagement(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()

	require.NoError(t, c.SetIndustry(ctx, 1, 4))
	ind, err := c.GetIndustry(ctx)
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.Industry{
		Primary:   offiaccount.IndustryClass{FirstClass: "IT科技", SecondClass: "互联网|电子商务"},
		Secondary: offiaccount.IndustryClass{FirstClass: "IT科技", SecondClass: "电子技术"},
	}, ind)
	requireCode(t, c.SetIndustry(ctx, 42, 1), 40102)

	id, err := c.AddTemplate(ctx, "TM00015")
	require.NoError(t, err)
	require.NotEmpty(t, id)
	_, err = c.AddTemplate(ctx, "1234") // a category template needs its keywords
	require.ErrorIs(t, err, offiaccount.ErrInvalidRequest, "refused before it is sent")
	assert.Equal(t, offiaccount.CodeInvalidKeywordName, rawPost(t, p, c, "/cgi-bin/template/api_add_template", `{"template_id_short":"1234"}`))
	id2, err := c.AddTemplate(ctx, "1234", "物品名称", "金额")
	require.NoError(t, err)
	_, err = c.AddTemplate(ctx, "no such template")
	requireCode(t, err, offiaccount.CodeInvalidTemplateID)

	list, err := c.ListTemplates(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, id, list[0].TemplateID)
	assert.Equal(t, "IT科技", list[0].PrimaryIndustry)
	assert.Equal(t, id2, list[1].TemplateID)
	assert.Contains(t, list[1].Content, "物品名称：{{thing1.DATA}}")
	assert.Len(t, p.Templates(sdkAppID), 2)

	require.NoError(t, c.DeleteTemplate(ctx, id))
	requireCode(t, c.DeleteTemplate(ctx, id), offiaccount.CodeInvalidTemplateID)
	list, err = c.ListTemplates(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, id2, list[0].TemplateID)
}

func TestTemplateLimit(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	for i := range 24 {
		p.AddTemplate(sdkAppID, offiaccounttest.TemplateRecord{Title: fmt.Sprint("t", i)})
	}
	_, err := c.AddTemplate(context.Background(), "TM00001")
	require.NoError(t, err, "the 25th fits")
	_, err = c.AddTemplate(context.Background(), "TM00002")
	requireCode(t, err, 45026)
}

func TestTemplateSend(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-alice"})
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-blocked", Blacklisted: true})
	tpl := p.AddTemplate(sdkAppID, offiaccounttest.TemplateRecord{Title: "发货通知", Content: "{{thing1.DATA}}"})

	msg := offiaccount.TemplateMessage{ToUser: "o-alice", TemplateID: tpl, URL: "https://shop.example/1",
		Data: offiaccount.TemplateValues(map[string]string{"thing1": "巧克力"})}
	first, err := c.SendTemplateMessage(ctx, msg)
	require.NoError(t, err)
	second, err := c.SendTemplateMessage(ctx, msg)
	require.NoError(t, err)
	assert.Positive(t, first)
	assert.Greater(t, second, first, "each send gets its own msgid")

	msg.ClientMsgID = "order-1"
	third, err := c.SendTemplateMessage(ctx, msg)
	require.NoError(t, err)
	again, err := c.SendTemplateMessage(ctx, msg)
	require.NoError(t, err)
	assert.Equal(t, third, again, "one message per client_msg_id")

	// The same id to another user, or after 10 minutes, sends again.
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-bob"})
	toBob := msg
	toBob.ToUser = "o-bob"
	bob, err := c.SendTemplateMessage(ctx, toBob)
	require.NoError(t, err)
	assert.NotEqual(t, third, bob, "client_msg_id is per OpenID")
	p.Advance(offiaccounttest.ClientMsgIDWindow)
	later, err := c.SendTemplateMessage(ctx, msg)
	require.NoError(t, err)
	assert.Greater(t, later, bob, "past WeChat's 10 minutes the id no longer dedupes")
	assert.Equal(t, 10*time.Minute, offiaccounttest.ClientMsgIDWindow)

	// first and remark are dropped (sent raw: the SDK refuses them).
	assert.Zero(t, rawPost(t, p, c, "/cgi-bin/message/template/send", `{"touser":"o-alice","template_id":"`+tpl+
		`","data":{"first":{"value":"您好"},"thing1":{"value":"x"},"remark":{"value":"谢谢"}}}`))
	last := p.SentTemplates(sdkAppID)
	assert.Equal(t, map[string]string{"thing1": "x"}, last[len(last)-1].Data)

	sent := p.SentTemplates(sdkAppID)
	require.Len(t, sent, 6)
	assert.Equal(t, first, sent[0].MsgID)
	assert.Equal(t, "o-alice", sent[0].ToUser)
	assert.Equal(t, tpl, sent[0].TemplateID)
	assert.Equal(t, "https://shop.example/1", sent[0].URL)
	assert.Equal(t, map[string]string{"thing1": "巧克力"}, sent[0].Data)
	assert.Equal(t, "order-1", sent[2].ClientMsgID)
	assert.Contains(t, string(sent[0].Raw), `"template_id":"`+tpl+`"`)

	_, err = c.SendTemplateMessage(ctx, offiaccount.TemplateMessage{ToUser: "o-alice", TemplateID: "unknown"})
	requireCode(t, err, offiaccount.CodeInvalidTemplateID)
	_, err = c.SendTemplateMessage(ctx, offiaccount.TemplateMessage{ToUser: "o-nobody", TemplateID: tpl})
	requireCode(t, err, 40003)
	_, err = c.SendTemplateMessage(ctx, offiaccount.TemplateMessage{ToUser: "o-blocked", TemplateID: tpl})
	requireCode(t, err, offiaccount.CodeUserRefused)
	assert.Len(t, p.SentTemplates(sdkAppID), 6)
}

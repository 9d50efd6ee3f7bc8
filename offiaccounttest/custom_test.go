package offiaccounttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestCustomSendRecordsMessages(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-alice"})

	require.NoError(t, c.SendCustomText(ctx, "o-alice", "你好 <b>&</b>"))
	img := p.AddMedia(sdkAppID, "image", "cat.png", []byte("png"))
	require.NoError(t, c.SendCustomMessage(ctx, offiaccount.CustomImage("o-alice", img).WithKFAccount("kf1@gh_x")))

	sent := p.SentMessages(sdkAppID)
	require.Len(t, sent, 2)
	assert.Equal(t, "o-alice", sent[0].ToUser)
	assert.Equal(t, "text", sent[0].MsgType)
	assert.Equal(t, "你好 <b>&</b>", sent[0].Content)
	assert.Contains(t, string(sent[0].Raw), `"content":"你好 <b>&</b>"`, "the SDK sends no HTML escapes")
	assert.Equal(t, sdkStart, sent[0].Time)
	assert.Equal(t, "image", sent[1].MsgType)
	assert.Equal(t, "kf1@gh_x", sent[1].KFAccount)

	sent[0].Raw[0] = 'X' // the platform's record is a copy
	assert.Equal(t, byte('{'), p.SentMessages(sdkAppID)[0].Raw[0])
}

func TestCustomSendRecipient(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-gone", Unsubscribed: true})
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-blocked", Blacklisted: true})

	requireCode(t, c.SendCustomText(ctx, "o-nobody", "hi"), 40003)
	requireCode(t, c.SendCustomText(ctx, "o-gone", "hi"), 43004)
	requireCode(t, c.SendCustomText(ctx, "o-blocked", "hi"), 43019)
	requireCode(t, c.SendCustomMessage(ctx, offiaccount.CustomImage("o-blocked", "x")), 43019)
	assert.Empty(t, p.SentMessages(sdkAppID))
}

// The platform's own checks, for bodies the SDK would refuse to send.
func TestCustomSendValidation(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-alice"})
	voice := p.AddMedia(sdkAppID, "voice", "v.amr", []byte("amr"))
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"touser":"o-alice","msgtype":"sms","text":{"content":"x"}}`, 40008},
		{`{"touser":"o-alice","text":{"content":"x"}}`, 40008},
		{`{"touser":"o-alice","msgtype":"text","text":{"content":""}}`, 44004},
		{`{"touser":"o-alice","msgtype":"text"}`, 44004},
		{`{"touser":"o-alice","msgtype":"image","image":{"media_id":"nope"}}`, 40007},
		{`{"touser":"o-alice","msgtype":"voice","voice":{"media_id":"` + voice + `"}}`, 0},
		{`{"touser":"o-alice","msgtype":"news","news":{"articles":[]}}`, 44003},
		{`{"touser":"o-alice","msgtype":"news","news":{"articles":[{"title":"a","url":"u"},{"title":"b","url":"u"}]}}`, 45008},
		{`{"touser":"o-alice","msgtype":"music","music":{"musicurl":"http://m","thumb_media_id":""}}`, 40007},
		{`{"touser":"o-alice","msgtype":"msgmenu","msgmenu":{"list":[{"id":"1","content":""}]}}`, 40097},
		{`{"touser":"o-alice","msgtype":"miniprogrampage","miniprogrampage":{"appid":"wxa","pagepath":"p","thumb_media_id":"t"}}`, 0},
		{`{"touser":"","msgtype":"text","text":{"content":"x"}}`, 40003},
		{`not json`, 47001},
		{``, 44002},
	} {
		assert.Equal(t, tc.code, rawPost(t, p, c, "/cgi-bin/message/custom/send", tc.body), tc.body)
	}
	assert.Len(t, p.SentMessages(sdkAppID), 2)
}

func TestCustomSendWindow(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-alice", LastInteraction: sdkStart.Add(-47 * time.Hour)})

	for i := range offiaccounttest.CustomWindowMessages {
		require.NoError(t, c.SendCustomText(ctx, "o-alice", "msg"), "message %d", i)
	}
	err := c.SendCustomText(ctx, "o-alice", "one too many")
	requireCode(t, err, offiaccount.CodeResponseCountLimit)

	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-alice", LastInteraction: p.Now()}) // the user writes again
	require.NoError(t, c.SendCustomText(ctx, "o-alice", "new window"))
	p.Advance(offiaccounttest.CustomWindow + time.Second)
	requireCode(t, c.SendCustomText(ctx, "o-alice", "too late"), offiaccount.CodeResponseOutOfTime)
	assert.Len(t, p.SentMessages(sdkAppID), offiaccounttest.CustomWindowMessages+1)
}

func TestCustomTyping(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-alice"})

	require.NoError(t, c.SetTyping(ctx, "o-alice", true))
	assert.True(t, p.Typing(sdkAppID, "o-alice"))
	require.NoError(t, c.SendCustomText(ctx, "o-alice", "done"))
	assert.False(t, p.Typing(sdkAppID, "o-alice"), "a message hides the indicator")

	require.NoError(t, c.SetTyping(ctx, "o-alice", true))
	require.NoError(t, c.SetTyping(ctx, "o-alice", false))
	assert.False(t, p.Typing(sdkAppID, "o-alice"))

	requireCode(t, c.SetTyping(ctx, "o-nobody", true), 40003)
	assert.Equal(t, 40097, rawPost(t, p, c, "/cgi-bin/message/custom/typing", `{"touser":"o-alice","command":"Dance"}`))
}

package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSendMassToAllAndTag(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()

	// The documented request of sendall for an article, to everyone.
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/sendall",
		body: `{"filter":{"is_to_all":true},"mpnews":{"media_id":"123dsdajkasd231jhksad"},
			"msgtype":"mpnews","send_ignore_reprint":0,"clientmsgid":"send-2026-11-30"}`,
		answer: `{"errcode":0,"errmsg":"send job submission success","msg_id":34182,"msg_data_id":206227730}`})
	m := MassMPNews("123dsdajkasd231jhksad")
	m.ClientMsgID = "send-2026-11-30"
	job, err := c.SendMassToAll(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, &MassJob{MsgID: 34182, MsgDataID: 206227730}, job)

	// To a tag, with send_ignore_reprint set: tag_id 0 is a real tag and must be sent.
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/sendall",
		body:   `{"filter":{"is_to_all":false,"tag_id":0},"mpnews":{"media_id":"M"},"msgtype":"mpnews","send_ignore_reprint":1}`,
		answer: `{"errcode":0,"errmsg":"send job submission success","msg_id":34183,"msg_data_id":206227731}`})
	m = MassMPNews("M")
	m.SendIgnoreReprint = true
	job, err = c.SendMassToTag(ctx, 0, m)
	require.NoError(t, err)
	assert.Equal(t, int64(34183), job.MsgID)
}

func TestMassMessageKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		msg  MassMessage
		body string // the JSON after "touser"
	}{
		{"text", MassText("CONTENT"), `"msgtype":"text","text":{"content":"CONTENT"}`},
		{"voice", MassVoice("V"), `"msgtype":"voice","voice":{"media_id":"V"}`},
		{"images", MassImages(MassImageContent{MediaIDs: []string{"a", "b"}, Recommend: "xxx", NeedOpenComment: 1, OnlyFansCanComment: 0}),
			`"msgtype":"image","images":{"media_ids":["a","b"],"recommend":"xxx","need_open_comment":1}`},
		{"mpvideo", MassMPVideo(MassVideoContent{MediaID: "VID", Title: "TITLE", Description: "DESCRIPTION"}),
			`"msgtype":"mpvideo","mpvideo":{"media_id":"VID","title":"TITLE","description":"DESCRIPTION"}`},
		{"wxcard", MassCard("123dsdajkasd231jhksad"), `"msgtype":"wxcard","wxcard":{"card_id":"123dsdajkasd231jhksad"}`},
		{"mpnews", MassMPNews("N"), `"msgtype":"mpnews","mpnews":{"media_id":"N"},"send_ignore_reprint":0`},
		{"music", MassMusic("MU"), `"msgtype":"music","music":{"media_id":"MU"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/send",
				body:   `{"touser":["OPENID1","OPENID2"],` + tc.body + `}`,
				answer: `{"errcode":0,"errmsg":"send job submission success","msg_id":34182}`})
			job, err := c.SendMass(context.Background(), []string{"OPENID1", "OPENID2", "OPENID1"}, tc.msg)
			require.NoError(t, err)
			assert.Equal(t, &MassJob{MsgID: 34182}, job)
		})
	}
}

func TestSendMassRejectedLocally(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	many := make([]string, MaxMassOpenIDs+1)
	for i := range many {
		many[i] = fmt.Sprint("o", i)
	}
	for name, call := range map[string]func() error{
		"one openid":       func() error { _, err := c.SendMass(ctx, []string{"a", "a"}, MassText("x")); return err },
		"too many openids": func() error { _, err := c.SendMass(ctx, many, MassText("x")); return err },
		"empty openid":     func() error { _, err := c.SendMass(ctx, []string{"a", ""}, MassText("x")); return err },
		"no msgtype":       func() error { _, err := c.SendMassToAll(ctx, MassMessage{}); return err },
		"unknown msgtype":  func() error { _, err := c.SendMassToAll(ctx, MassMessage{MsgType: "news"}); return err },
		"body missing":     func() error { _, err := c.SendMassToAll(ctx, MassMessage{MsgType: MassMsgTypeText}); return err },
		"wrong body": func() error {
			_, err := c.SendMassToAll(ctx, MassMessage{MsgType: MassMsgTypeVoice, Text: &MassTextContent{"x"}})
			return err
		},
		"empty media": func() error { _, err := c.SendMassToAll(ctx, MassMPNews("")); return err },
		"empty image id": func() error {
			_, err := c.SendMassToAll(ctx, MassImages(MassImageContent{MediaIDs: []string{"a", ""}}))
			return err
		},
		"no images":         func() error { _, err := c.SendMassToAll(ctx, MassImages(MassImageContent{})); return err },
		"negative tag":      func() error { _, err := c.SendMassToTag(ctx, -1, MassText("x")); return err },
		"preview no user":   func() error { _, err := c.PreviewMass(ctx, "", MassText("x")); return err },
		"preview no wxname": func() error { _, err := c.PreviewMassToWXName(ctx, "", MassText("x")); return err },
		"long clientmsgid": func() error {
			m := MassText("x")
			m.ClientMsgID = strings.Repeat("k", MaxMassClientMsgIDBytes+1)
			_, err := c.SendMassToAll(ctx, m)
			return err
		},
		"status of 0":     func() error { _, err := c.GetMassStatus(ctx, 0); return err },
		"delete nothing":  func() error { return c.DeleteMass(ctx, DeleteMassRequest{}) },
		"delete negative": func() error { return c.DeleteMass(ctx, DeleteMassRequest{MsgID: 1, ArticleIdx: -1}) },
		"speed 5":         func() error { return c.SetMassSpeed(ctx, 5) },
		"speed -1":        func() error { return c.SetMassSpeed(ctx, -1) },
	} {
		err := call()
		require.ErrorIs(t, err, ErrInvalidRequest, name)
	}
	noCalls(t, mt)

	// 64 bytes of clientmsgid are allowed; 10000 OpenIDs too.
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/send",
		body:   `{"touser":["` + strings.Join(many[:MaxMassOpenIDs], `","`) + `"],"msgtype":"text","text":{"content":"x"},"clientmsgid":"` + strings.Repeat("k", 64) + `"}`,
		answer: `{"errcode":0,"errmsg":"ok","msg_id":1}`})
	m := MassText("x")
	m.ClientMsgID = strings.Repeat("k", 64)
	_, err := c.SendMass(ctx, many[:MaxMassOpenIDs], m)
	require.NoError(t, err)
}

func TestSendMassDuplicateClientMsgID(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{
		`{"errcode":45065,"errmsg":"clientmsgid exist rid: 6789-abc","msg_id":123456}`,
		`{"errcode":45065,"errmsg":"clientmsgid exist","msg_id":"123456"}`,
	} {
		c, mt := newMockClient(t)
		n := expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/sendall",
			body:   `{"filter":{"is_to_all":true},"msgtype":"text","text":{"content":"hi"},"clientmsgid":"id-1"}`,
			answer: answer})
		m := MassText("hi")
		m.ClientMsgID = "id-1"
		job, err := c.SendMassToAll(context.Background(), m)
		assert.Nil(t, job)
		require.ErrorIs(t, err, ErrMassDuplicate)
		var dup *MassDuplicateError
		require.True(t, errors.As(err, &dup))
		assert.Equal(t, int64(123456), dup.MsgID)
		requireAPIError(t, err, CodeMassClientMsgIDExists, "/cgi-bin/message/mass/sendall")
		assert.Contains(t, err.Error(), "earlier msg_id 123456")
		assert.EqualValues(t, 1, n.Load(), "never resent")
	}

	// Other errors stay plain *APIError values.
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/send",
		body:   `{"touser":["a","b"],"msgtype":"text","text":{"content":"hi"}}`,
		answer: `{"errcode":40130,"errmsg":"invalid openid list size, at least two openid"}`})
	_, err := c.SendMass(context.Background(), []string{"a", "b"}, MassText("hi"))
	requireAPIError(t, err, 40130, "/cgi-bin/message/mass/send")
	assert.False(t, errors.Is(err, ErrMassDuplicate))
}

func TestPreviewMass(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/preview",
		body:   `{"touser":"OPENID","msgtype":"text","text":{"content":"CONTENT"}}`,
		answer: `{"errcode":0,"errmsg":"preview success","msg_id":34182}`})
	m := MassText("CONTENT")
	m.ClientMsgID = "not-for-preview"
	job, err := c.PreviewMass(ctx, "OPENID", m)
	require.NoError(t, err)
	assert.Equal(t, int64(34182), job.MsgID)

	c, mt = newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/preview",
		body:   `{"towxname":"示例的微信号","msgtype":"mpnews","mpnews":{"media_id":"M"},"send_ignore_reprint":0}`,
		answer: `{"errcode":0,"errmsg":"preview success","msg_id":34183}`})
	_, err = c.PreviewMassToWXName(ctx, "示例的微信号", MassMPNews("M"))
	require.NoError(t, err)

	// A preview shows one image, named by "image", not "images".
	c, mt = newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/preview",
		body:   `{"touser":"OPENID","msgtype":"image","image":{"media_id":"IMG"}}`,
		answer: `{"errcode":0,"errmsg":"preview success","msg_id":34184}`})
	_, err = c.PreviewMass(ctx, "OPENID", MassImages(MassImageContent{MediaIDs: []string{"IMG"}, Recommend: "r"}))
	require.NoError(t, err)
	_, err = c.PreviewMass(ctx, "OPENID", MassImages(MassImageContent{MediaIDs: []string{"a", "b"}}))
	require.ErrorIs(t, err, ErrInvalidRequest)
}

func TestMassStatusDeleteSpeed(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/get",
		body: `{"msg_id":"201053012"}`, answer: `{"msg_id":201053012,"msg_status":"SEND_SUCCESS"}`})
	st, err := c.GetMassStatus(ctx, 201053012)
	require.NoError(t, err)
	assert.Equal(t, MassStatusSendSuccess, st)

	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/delete",
		body: `{"msg_id":30124,"article_idx":2}`, answer: `{"errcode":0,"errmsg":"ok"}`})
	require.NoError(t, c.DeleteMass(ctx, DeleteMassRequest{MsgID: 30124, ArticleIdx: 2}))

	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/speed/get",
		answer: `{"speed":3,"realspeed":15}`})
	sp, err := c.GetMassSpeed(ctx)
	require.NoError(t, err)
	assert.Equal(t, &MassSpeed{Speed: 3, RealSpeed: 15}, sp)

	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/message/mass/speed/set",
		body: `{"speed":1}`, answer: `{"errcode":0,"errmsg":""}`})
	require.NoError(t, c.SetMassSpeed(ctx, 1))
}

func TestMassTokenRetry(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var calls int
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/message/mass/sendall", func(*http.Request) (*http.Response, error) {
		calls++
		if calls == 1 {
			return httpmock.NewStringResponse(200, `{"errcode":40001,"errmsg":"invalid credential"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"errcode":0,"errmsg":"ok","msg_id":7}`), nil
	})
	job, err := c.SendMassToAll(context.Background(), MassText("x"))
	require.NoError(t, err)
	assert.Equal(t, int64(7), job.MsgID)
	assert.Equal(t, 2, calls, "a rejected token is refreshed and the send repeated once")

	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/message/mass/send", func(*http.Request) (*http.Response, error) {
		return httpmock.NewStringResponse(200, `<html>502</html>`), nil
	})
	_, err = c.SendMass(context.Background(), []string{"a", "b"}, MassText("x"))
	require.ErrorIs(t, err, ErrBadResponse)
}

// A newsletter goes to every follower once: the clientmsgid makes a retry after a timeout
// safe, and a repeat names the send that already went out instead of sending twice.
func ExampleClient_SendMassToAll() {
	client, done := newExampleServer(map[string]string{
		"/cgi-bin/message/mass/sendall": `{"errcode":45065,"errmsg":"clientmsgid exist","msg_id":1000000001}`,
	})
	defer done()

	m := MassMPNews("draft-media-id")
	m.ClientMsgID = "newsletter-2026-48"
	job, err := client.SendMassToAll(context.Background(), m)
	var dup *MassDuplicateError
	switch {
	case errors.As(err, &dup):
		fmt.Println("already sent as msg_id", dup.MsgID, errors.Is(err, ErrMassDuplicate))
	case err != nil:
		fmt.Println("send failed:", err)
	default:
		fmt.Println("job", job.MsgID)
	}
	// Output:
	// already sent as msg_id 1000000001 true
}

// Sending to a list needs at least two OpenIDs; the SDK says so before any request.
func ExampleClient_SendMass() {
	client, done := newExampleServer(nil)
	defer done()
	_, err := client.SendMass(context.Background(), []string{"o-only-one"}, MassText("hi"))
	fmt.Println(errors.Is(err, ErrInvalidRequest))
	fmt.Println(err)
	// Output:
	// true
	// offiaccount: invalid request: /cgi-bin/message/mass/send: touser holds 1 distinct OpenIDs, WeChat takes 2 to 10000
}

// A MassDuplicateError built without its *APIError (in a caller's own test, say) still
// describes itself and answers errors.Is without panicking.
func TestMassDuplicateErrorWithoutAPIError(t *testing.T) {
	t.Parallel()
	err := error(&MassDuplicateError{MsgID: 42})
	assert.NotPanics(t, func() {
		assert.Contains(t, err.Error(), "earlier msg_id 42")
		assert.True(t, errors.Is(err, ErrMassDuplicate))
		assert.False(t, errors.Is(err, ErrBusy))
		var apiErr *APIError
		assert.False(t, errors.As(err, &apiErr))
	})
}

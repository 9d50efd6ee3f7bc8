package offiaccount

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKFAccountRequests(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ok := `{"errcode":0,"errmsg":"ok"}`
	expect(t, mt, apiCall{method: http.MethodPost, path: "/customservice/kfaccount/add",
		body: `{"kf_account":"test1@gh_test","nickname":"客服1"}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/customservice/kfaccount/update",
		body: `{"kf_account":"test1@gh_test","nickname":"客服2"}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/customservice/kfaccount/del",
		body: `{"kf_account":"test1@gh_test"}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/customservice/kfaccount/inviteworker",
		body: `{"kf_account":"test1@gh_test","invite_wx":"wx_alice"}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/customservice/getkflist",
		answer: `{"kf_list":[{"kf_account":"test1@gh_test","kf_headimgurl":"http://h","kf_id":"1001","kf_nick":"n","kf_wx":"wx_a"},
			{"kf_account":"test2@gh_test","kf_id":1002,"kf_nick":"m","invite_wx":"wx_b","invite_expire_time":123456789,"invite_status":"waiting"}]}`})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/customservice/getonlinekflist",
		answer: `{"kf_online_list":[{"kf_account":"test1@gh_test","status":1,"kf_id":"1001","accepted_case":2}]}`})
	ctx := context.Background()

	require.NoError(t, c.AddKFAccount(ctx, "test1@gh_test", "客服1"))
	require.NoError(t, c.UpdateKFAccount(ctx, "test1@gh_test", "客服2"))
	require.NoError(t, c.DeleteKFAccount(ctx, "test1@gh_test"))
	require.NoError(t, c.InviteKFWorker(ctx, "test1@gh_test", "wx_alice"))
	list, err := c.ListKFAccounts(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "1001", list[0].ID.String())
	assert.Equal(t, "1002", list[1].ID.String(), "a numeric kf_id decodes too")
	assert.Equal(t, "waiting", list[1].InviteStatus)
	online, err := c.ListOnlineKFAccounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, []KFOnline{{Account: "test1@gh_test", Status: 1, ID: "1001", AcceptedCase: 2}}, online)
}

func TestKFSessionRequests(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ok := `{"errcode":0,"errmsg":"ok"}`
	expect(t, mt, apiCall{method: http.MethodPost, path: "/customservice/kfsession/create",
		body: `{"kf_account":"a@gh","openid":"oU"}`, answer: ok})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/customservice/kfsession/close",
		body: `{"kf_account":"a@gh","openid":"oU"}`, answer: `{"errcode":65413,"errmsg":"no session"}`})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/customservice/kfsession/getsession",
		query: map[string]string{"openid": "oU"}, answer: `{"createtime":123456789,"kf_account":"a@gh"}`})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/customservice/kfsession/getsessionlist",
		query: map[string]string{"kf_account": "a@gh"}, answer: `{"sessionlist":[{"createtime":1,"openid":"oU"}]}`})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/customservice/kfsession/getwaitcase",
		answer: `{"count":150,"waitcaselist":[{"latest_time":7,"openid":"oW"}]}`})
	ctx := context.Background()

	require.NoError(t, c.CreateKFSession(ctx, "a@gh", "oU"))
	requireAPIError(t, c.CloseKFSession(ctx, "a@gh", "oU"), CodeKFNoSession, "/customservice/kfsession/close")
	s, err := c.GetKFSession(ctx, "oU")
	require.NoError(t, err)
	assert.Equal(t, &KFSession{Account: "a@gh", OpenID: "oU", CreateTime: 123456789}, s)
	ss, err := c.ListKFSessions(ctx, "a@gh")
	require.NoError(t, err)
	assert.Equal(t, []KFSession{{Account: "a@gh", OpenID: "oU", CreateTime: 1}}, ss)
	w, err := c.ListKFWaitCases(ctx)
	require.NoError(t, err)
	assert.Equal(t, &KFWaitCaseList{Count: 150, Cases: []KFWaitCase{{OpenID: "oW", LatestTime: 7}}}, w)
}

func TestKFMsgRecordPaging(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	start := time.Unix(1700000000, 0)
	end := start.Add(24 * time.Hour)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/customservice/msgrecord/getmsglist",
		body:   `{"starttime":1700000000,"endtime":1700086400,"msgid":1,"number":10000}`,
		answer: `{"recordlist":[{"openid":"oU","opercode":2002,"text":"hi","time":1700000001,"worker":"a@gh"}],"number":1,"msgid":2}`})
	var got []KFMsgRecord
	require.NoError(t, c.EachKFMsgRecord(context.Background(), start, end, func(r []KFMsgRecord) error {
		got = append(got, r...)
		return nil
	}))
	assert.Equal(t, []KFMsgRecord{{OpenID: "oU", OperCode: 2002, Text: "hi", Time: 1700000001, Worker: "a@gh"}}, got)
}

// EachKFMsgRecord stops at the first error, WeChat's or fn's, and returns it.
func TestEachKFMsgRecordStopsOnError(t *testing.T) {
	t.Parallel()
	start := time.Unix(1700000000, 0)
	end := start.Add(time.Hour)
	const path = "/customservice/msgrecord/getmsglist"

	c, mt := newMockClient(t)
	n := expect(t, mt, apiCall{method: http.MethodPost, path: path,
		body:   `{"starttime":1700000000,"endtime":1700003600,"msgid":1,"number":10000}`,
		answer: `{"errcode":65416,"errmsg":"param invalid, please check hint"}`})
	err := c.EachKFMsgRecord(context.Background(), start, end, func([]KFMsgRecord) error {
		t.Error("fn called without records")
		return nil
	})
	requireAPIError(t, err, CodeKFInvalidQuery, path)
	assert.EqualValues(t, 1, n.Load())

	c, mt = newMockClient(t)
	recs := strings.Repeat(`{"openid":"oU","opercode":2002,"text":"hi","time":1700000001,"worker":"a@gh"},`, MaxKFMsgRecordNumber)
	n = expect(t, mt, apiCall{method: http.MethodPost, path: path,
		body:   `{"starttime":1700000000,"endtime":1700003600,"msgid":1,"number":10000}`,
		answer: `{"recordlist":[` + strings.TrimSuffix(recs, ",") + `],"number":10000,"msgid":10001}`})
	stop := errors.New("stop")
	calls := 0
	err = c.EachKFMsgRecord(context.Background(), start, end, func(r []KFMsgRecord) error {
		calls++
		assert.Len(t, r, MaxKFMsgRecordNumber)
		return stop
	})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 1, calls)
	assert.EqualValues(t, 1, n.Load(), "a full page would go on, but fn's error ends the walk")
}

func TestKFValidatesLocally(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	t0 := time.Unix(1700000000, 0)
	page := func(start, end time.Time, id int64, n int) error {
		_, err := c.ListKFMsgRecords(ctx, start, end, id, n)
		return err
	}
	for name, err := range map[string]error{
		"no @":            c.AddKFAccount(ctx, "test1", "n"),
		"empty prefix":    c.AddKFAccount(ctx, "@gh", "n"),
		"prefix 11":       c.AddKFAccount(ctx, "abcdefghijk@gh", "n"),
		"prefix chinese":  c.AddKFAccount(ctx, "客服@gh", "n"),
		"two @":           c.AddKFAccount(ctx, "a@b@c", "n"),
		"suffix 31":       c.AddKFAccount(ctx, "a@"+strings.Repeat("g", 31), "n"),
		"nickname 17":     c.AddKFAccount(ctx, "a@gh", strings.Repeat("客", 17)),
		"nickname empty":  c.UpdateKFAccount(ctx, "a@gh", ""),
		"delete bad":      c.DeleteKFAccount(ctx, "a"),
		"invite empty":    c.InviteKFWorker(ctx, "a@gh", ""),
		"head not jpg":    c.UploadKFHeadImage(ctx, "a@gh", "a.png", bytes.NewReader([]byte("x"))),
		"head over 5MB":   c.UploadKFHeadImage(ctx, "a@gh", "a.jpg", bytes.NewReader(make([]byte, 5<<20+1))),
		"session no user": c.CreateKFSession(ctx, "a@gh", ""),
		"get no user":     func() error { _, err := c.GetKFSession(ctx, ""); return err }(),
		"range 24h+1s":    page(t0, t0.Add(24*time.Hour+time.Second), 1, 10),
		"range reversed":  page(t0, t0.Add(-time.Second), 1, 10),
		"msgid 0":         page(t0, t0.Add(time.Hour), 0, 10),
		"number 10001":    page(t0, t0.Add(time.Hour), 1, 10001),
		"number 0":        page(t0, t0.Add(time.Hour), 1, 0),
	} {
		assert.ErrorIs(t, err, ErrInvalidRequest, name)
	}
	require.NoError(t, validKFAccount("p", "abcdefghij@"+strings.Repeat("g", 30)), "10 and 30 characters are fine")
	noCalls(t, mt)
}

func TestKFEvents(t *testing.T) {
	t.Parallel()
	m, err := ParseMessage([]byte(`<xml><ToUserName>gh</ToUserName><FromUserName>oU</FromUserName><CreateTime>1</CreateTime>` +
		`<MsgType>event</MsgType><Event>kf_switch_session</Event><FromKfAccount>a@gh</FromKfAccount><ToKfAccount>b@gh</ToKfAccount></xml>`))
	require.NoError(t, err)
	assert.Equal(t, EventKFSwitchSession, m.Event)
	assert.Equal(t, "a@gh", m.FromKFAccount)
	assert.Equal(t, "b@gh", m.ToKFAccount)
	assert.Equal(t, "", m.KFAccount)
	m, err = ParseMessage([]byte(`<xml><ToUserName>gh</ToUserName><FromUserName>oU</FromUserName><CreateTime>1</CreateTime>` +
		`<MsgType>event</MsgType><Event>kf_create_session</Event><KfAccount><![CDATA[a@gh]]></KfAccount></xml>`))
	require.NoError(t, err)
	assert.Equal(t, EventKFCreateSession, m.Event)
	assert.Equal(t, "a@gh", m.KFAccount)
}

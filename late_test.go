package offiaccount

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSourceIPFilter(t *testing.T) {
	t.Parallel()
	allowed := netip.MustParseAddr("101.226.62.77")
	allowed6 := netip.MustParseAddr("2001:db8::7")
	var calls atomic.Int32
	h := newTestHandler(t, WithHandlerSourceIPFilter(func(a netip.Addr) bool { return a == allowed || a == allowed6 }))
	h.HandleText(func(ctx context.Context, m *Message) (Reply, error) {
		calls.Add(1)
		return echo(ctx, m)
	})
	cases := []struct {
		remote string
		want   int
	}{
		{"101.226.62.77:443", http.StatusOK},
		{"[::ffff:101.226.62.77]:443", http.StatusOK}, // IPv4-mapped form of the same address
		{"192.0.2.1:1234", http.StatusForbidden},
		{"[2001:db8::1]:80", http.StatusForbidden},
		{"not-an-address", http.StatusForbidden},
		// A real-IP middleware leaves a bare address, without a port.
		{"101.226.62.77", http.StatusOK},
		{"::ffff:101.226.62.77", http.StatusOK},
		{"2001:db8::7", http.StatusOK},
		{"[2001:db8::7]", http.StatusOK},
		{"[2001:db8::7]:443", http.StatusOK},
		{"2001:db8::1", http.StatusForbidden},
		{"192.0.2.1", http.StatusForbidden},
		{"", http.StatusForbidden},
		{"101.226.62.77:", http.StatusForbidden},
	}
	for i, tc := range cases {
		r := newSender(nil).post(t, textMsg(int64(500+i), "hi"))
		r.RemoteAddr = tc.remote
		assert.Equal(t, tc.want, serve(h, r).Code, tc.remote)
	}
	assert.Equal(t, int32(7), calls.Load(), "the function runs only for allowed sources")

	// Verification is filtered too.
	r := httptest.NewRequest(http.MethodGet, "/wechat?echostr=x", nil)
	assert.Equal(t, http.StatusForbidden, serve(h, r).Code)

	_, err := NewHandler(cbToken, WithHandlerSourceIPFilter(nil))
	assert.Error(t, err)
}

func TestWatchCallbackIPs(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, DefaultBaseURL+"/cgi-bin/getcallbackip",
		httpmock.NewStringResponder(200, `{"ip_list":["101.226.62.77"]}`).Times(1).
			Then(httpmock.NewStringResponder(200, `{"errcode":-1,"errmsg":"system error"}`)).
			Then(httpmock.NewStringResponder(200, `{"ip_list":["106.55.206.0/24"]}`)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	allow, err := c.WatchCallbackIPs(ctx, 5*time.Millisecond)
	require.NoError(t, err)
	assert.True(t, allow(netip.MustParseAddr("101.226.62.77")))
	assert.False(t, allow(netip.MustParseAddr("106.55.206.9")))
	// The failed refresh keeps the first list; the next one replaces it.
	require.Eventually(t, func() bool { return allow(netip.MustParseAddr("106.55.206.9")) }, 2*time.Second, 5*time.Millisecond)
	assert.False(t, allow(netip.MustParseAddr("101.226.62.77")))
	cancel()

	bad, mt2 := newMockClient(t)
	mt2.RegisterResponder(http.MethodGet, DefaultBaseURL+"/cgi-bin/getcallbackip",
		httpmock.NewStringResponder(200, `{"errcode":40164,"errmsg":"invalid ip"}`))
	_, err = bad.WatchCallbackIPs(context.Background(), time.Minute)
	assert.ErrorIs(t, err, ErrIPNotWhitelisted)
	_, err = bad.WatchCallbackIPs(context.Background(), 0)
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

func TestDeliverLate(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	sends := expect(t, mt, apiCall{
		method: http.MethodPost, path: "/cgi-bin/message/custom/send",
		body:   `{"touser":"oUser","msgtype":"text","text":{"content":"slow answer"}}`,
		answer: `{"errcode":0,"errmsg":"ok"}`,
	})
	slow := c.DeliverLate(func(ctx context.Context, m *Message) (Reply, error) {
		<-ctx.Done() // the work outlives WeChat's window
		return &TextReply{Content: "slow answer"}, nil
	})
	fast := c.DeliverLate(func(ctx context.Context, m *Message) (Reply, error) {
		return TextReply{Content: "fast"}, nil
	})
	m := &Message{FromUserName: "oUser", MsgType: MsgTypeText}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	r, err := slow(ctx, m)
	require.NoError(t, err)
	assert.Nil(t, r, "a late reply is not given to the Handler")
	assert.Equal(t, int32(1), sends.Load(), "it went out as a customer-service message")

	r, err = fast(context.Background(), m)
	require.NoError(t, err)
	assert.Equal(t, TextReply{Content: "fast"}, r, "in time: the passive reply")
	assert.Equal(t, int32(1), sends.Load())

	// A failed send is reported, so the Handler logs it.
	mt.RegisterResponder(http.MethodPost, DefaultBaseURL+"/cgi-bin/message/custom/send",
		httpmock.NewStringResponder(200, `{"errcode":45015,"errmsg":"response out of time limit"}`))
	_, err = slow(ctx, m)
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 45015, apiErr.Code)
	assert.True(t, strings.Contains(err.Error(), "late reply"))
}

func TestCustomFromReplyCoversEveryContentReply(t *testing.T) {
	t.Parallel()
	cases := []struct {
		r    Reply
		want CustomMsgType
	}{
		{TextReply{Content: "t"}, CustomMsgText},
		{ImageReply{MediaID: "m"}, CustomMsgImage},
		{VoiceReply{MediaID: "m"}, CustomMsgVoice},
		{VideoReply{MediaID: "m", Title: "v"}, CustomMsgVideo},
		{&MusicReply{MusicURL: "u", ThumbMediaID: "t"}, CustomMsgMusic},
		{NewsReply{Articles: []Article{{Title: "a", URL: "https://a.example"}}}, CustomMsgNews},
	}
	for _, tc := range cases {
		cm, ok := customFromReply("oUser", tc.r)
		require.True(t, ok, "%T", tc.r)
		assert.Equal(t, tc.want, cm.MsgType, "%T", tc.r)
		assert.Equal(t, "oUser", cm.ToUser)
	}
	for _, r := range []Reply{TransferCustomerServiceReply{}, NewsReply{}, (*TextReply)(nil)} {
		_, ok := customFromReply("oUser", r)
		assert.False(t, ok, "%T has no customer-service form", r)
	}
}

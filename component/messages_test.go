package component

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// messageEnv serves a MessageServer at /wechat/{appid}/callback.
func messageEnv(t *testing.T, e *env, setup SetupFunc, opts ...MessageServerOption) (*httptest.Server, string) {
	t.Helper()
	ms, err := NewMessageServer(e.platform, setup, opts...)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/wechat/{appid}/callback", ms)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, srv.URL + "/wechat/$APPID$/callback"
}

func sender(t *testing.T, e *env, acct, url string) *offiaccounttest.Sender {
	t.Helper()
	s, err := e.fake.ComponentSender(testAppID, acct, url)
	require.NoError(t, err)
	return s
}

func TestMessageServerRoutesPerAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var setups, runs atomic.Int32
	_, url := messageEnv(t, e, func(appID string, h *offiaccount.Handler) error {
		setups.Add(1)
		h.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
			runs.Add(1)
			return offiaccount.TextReply{Content: AuthorizerAppID(ctx) + "/" + appID + ":" + m.Content}, nil
		})
		return nil
	}, WithMessageServerMaxHandlers(1))
	ctx := context.Background()
	for _, acct := range []string{"wx9d731d7919069772", "wx0c66736dd234e625", "wx9d731d7919069772"} {
		ex, err := sender(t, e, acct, url).Send(ctx, offiaccounttest.Text("user-1", "hello"))
		require.NoError(t, err)
		require.NotNil(t, ex.Reply)
		assert.Equal(t, acct+"/"+acct+":hello", ex.Reply.Content)
		assert.Equal(t, "gh_"+acct, ex.Reply.FromUserName)
	}
	assert.Equal(t, int32(3), setups.Load(), "one Handler at a time: rebuilt after eviction")

	// WeChat's retry of one message runs the function once, across Handler rebuilds.
	s := sender(t, e, "wx53d6dad10d2c70af", url)
	m := offiaccounttest.Text("user-2", "once")
	m.MsgID = 42
	before := runs.Load()
	for i := 0; i < 2; i++ {
		ex, err := s.Send(ctx, m)
		require.NoError(t, err)
		assert.Equal(t, "wx53d6dad10d2c70af/wx53d6dad10d2c70af:once", ex.Reply.Content)
	}
	assert.Equal(t, before+1, runs.Load())
}

func TestMessageServerRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv, url := messageEnv(t, e, func(string, *offiaccount.Handler) error { return nil })
	ctx := context.Background()

	bad := sender(t, e, "wx9d731d7919069772", url)
	bad.Token = "wrongtoken"
	bad.Attempts = 1
	ex, err := bad.Send(ctx, offiaccounttest.Text("u", "x"))
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, ex.Status)

	plain := sender(t, e, "wx9d731d7919069772", url)
	plain.Mode = offiaccounttest.ModePlaintext
	plain.Attempts = 1
	ex, err = plain.Send(ctx, offiaccounttest.Text("u", "x"))
	require.Error(t, err)
	assert.Equal(t, http.StatusForbidden, ex.Status)

	resp, err := http.Post(srv.URL+"/wechat/not-an-appid!/callback", "text/xml", strings.NewReader("<xml/>"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	_, err = NewMessageServer(e.platform, nil)
	assert.Error(t, err)
	_, err = NewMessageServer(e.platform, func(string, *offiaccount.Handler) error { return nil }, nil)
	assert.Error(t, err)
	_, err = NewMessageServer(e.platform, func(string, *offiaccount.Handler) error { return nil }, WithMessageServerAppID(nil))
	assert.ErrorContains(t, err, "WithMessageServerAppID: nil function")
}

func TestReleaseCheck(t *testing.T) {
	t.Parallel()
	const testAcct = "wx570bc396a51b8ff8"
	e := newEnv(t, WithPlatformManualQueryAuth())
	e.start(t)
	_, url := messageEnv(t, e, func(appID string, h *offiaccount.Handler) error {
		h.HandleText(func(context.Context, *offiaccount.Message) (offiaccount.Reply, error) {
			return offiaccount.TextReply{Content: "ordinary"}, nil
		})
		return nil
	}, WithMessageServerReleaseCheck())
	ctx := context.Background()
	code, err := e.fake.AuthorizeAccount(testAppID, testAcct)
	require.NoError(t, err)
	e.fake.AddUser(testAcct, offiaccounttest.UserRecord{OpenID: "openid-test"})
	s := sender(t, e, testAcct, url)

	ex, err := s.Send(ctx, offiaccounttest.Text("openid-test", ReleaseCheckText))
	require.NoError(t, err)
	require.NotNil(t, ex.Reply)
	assert.Equal(t, "TESTCOMPONENT_MSG_TYPE_TEXT_callback", ex.Reply.Content)

	ex, err = s.Send(ctx, offiaccounttest.Text("openid-test", "QUERY_AUTH_CODE:"+code))
	require.NoError(t, err)
	assert.Nil(t, ex.Reply, "answered without a passive reply")
	require.Eventually(t, func() bool {
		for _, m := range e.fake.SentMessages(testAcct) {
			if m.ToUser == "openid-test" && m.Content == code+"_from_api" {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)

	ex, err = s.Send(ctx, offiaccounttest.Text("openid-test", "hi"))
	require.NoError(t, err)
	assert.Equal(t, "ordinary", ex.Reply.Content)

	// Other accounts are not answered by the check.
	const other = "wxec4f81b80096357f"
	ex, err = sender(t, e, other, url).Send(ctx, offiaccounttest.Text("u", ReleaseCheckText))
	require.NoError(t, err)
	assert.Equal(t, "ordinary", ex.Reply.Content)
}

// Unsigned requests naming random AppIDs get 403 and build no Handler, so they cannot push the
// accounts in use out of the bounded cache.
func TestMessageServerBuildsHandlersOnlyForSignedRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	built := 0
	ms, err := NewMessageServer(e.platform, func(string, *offiaccount.Handler) error {
		built++
		return nil
	})
	require.NoError(t, err)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	for i := 0; i < 50; i++ {
		appID := fmt.Sprintf("wx%016x", 0xbad000+i)
		for _, q := range []string{
			"",
			"timestamp=" + ts + "&nonce=n&signature=0000",
			"timestamp=1&nonce=n&signature=" + offiaccount.Signature(testToken, "1", "n"),
		} {
			w := httptest.NewRecorder()
			ms.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/wechat/"+appID+"/callback?"+q, strings.NewReader("<xml/>")))
			assert.Equal(t, http.StatusForbidden, w.Code)
		}
	}
	assert.Zero(t, built, "no Handler is built for an unsigned request")

	// A request with WeChat's query signature gets its account's Handler.
	w := httptest.NewRecorder()
	q := "timestamp=" + ts + "&nonce=n&signature=" + offiaccount.Signature(testToken, ts, "n") + "&encrypt_type=aes&msg_signature=00"
	ms.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/wechat/wx0000000000bad0ff/callback?"+q, strings.NewReader("<xml><Encrypt>x</Encrypt></xml>")))
	assert.Equal(t, 1, built)
	assert.Equal(t, http.StatusForbidden, w.Code, "the Handler then refuses the bad msg_signature")
}

package component

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
)

// sealEvent builds a push the way WeChat does: inner XML encrypted for appID, signed.
func sealEvent(t testing.TB, appID, token, inner string, ts int64) (query string, body []byte) {
	t.Helper()
	c, err := offiaccount.NewMessageCrypter(appID, testAESKey)
	require.NoError(t, err)
	enc, err := c.Encrypt([]byte(inner))
	require.NoError(t, err)
	tss := strconv.FormatInt(ts, 10)
	q := url.Values{"timestamp": {tss}, "nonce": {"n1"}, "encrypt_type": {"aes"},
		"msg_signature": {offiaccount.MsgSignature(token, tss, "n1", enc)}, "signature": {offiaccount.Signature(token, tss, "n1")}}
	return q.Encode(), []byte("<xml><AppId><![CDATA[" + appID + "]]></AppId><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>")
}

func ticketXML(appID, ticket string) string {
	return "<xml><AppId><![CDATA[" + appID + "]]></AppId><CreateTime>1700000000</CreateTime>" +
		"<InfoType><![CDATA[component_verify_ticket]]></InfoType><ComponentVerifyTicket><![CDATA[" + ticket + "]]></ComponentVerifyTicket></xml>"
}

func TestAuthEventHandlerAnswers(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	p, err := NewPlatform(testAppID, testSecret, testToken, testAESKey, withPlatformNow(func() time.Time { return now }),
		WithPlatformMaxBodyBytes(4096))
	require.NoError(t, err)
	h := p.AuthEventHandler()
	goodQ, goodBody := sealEvent(t, testAppID, testToken, ticketXML(testAppID, "T1"), now.Unix())
	otherQ, otherBody := sealEvent(t, "wx8cd2484cd7b21ec8", testToken, ticketXML("wx8cd2484cd7b21ec8", "T2"), now.Unix())
	innerQ, innerBody := sealEvent(t, testAppID, testToken, ticketXML("wx8cd2484cd7b21ec8", "T3"), now.Unix())
	junkQ, junkBody := sealEvent(t, testAppID, testToken, "<xml><AppId>x", now.Unix())
	oldQ, oldBody := sealEvent(t, testAppID, testToken, ticketXML(testAppID, "T4"), now.Add(-6*time.Minute).Unix())
	plainQ := strings.Replace(goodQ, "encrypt_type=aes", "encrypt_type=raw", 1)
	badSigQ := strings.Replace(goodQ, "msg_signature=", "msg_signature=00", 1)

	for _, tc := range []struct {
		name   string
		method string
		query  string
		body   []byte
		want   int
	}{
		{"get", http.MethodGet, goodQ, nil, http.StatusMethodNotAllowed},
		{"plaintext", http.MethodPost, plainQ, goodBody, http.StatusForbidden},
		{"bad signature", http.MethodPost, badSigQ, goodBody, http.StatusForbidden},
		{"old timestamp", http.MethodPost, oldQ, oldBody, http.StatusForbidden},
		{"malformed query", http.MethodPost, "timestamp=%zz", goodBody, http.StatusBadRequest},
		{"too large", http.MethodPost, goodQ, bytes.Repeat([]byte("x"), 5000), http.StatusRequestEntityTooLarge},
		{"malformed xml", http.MethodPost, goodQ, []byte("<xml><Encrypt>"), http.StatusBadRequest},
		{"missing encrypt", http.MethodPost, goodQ, []byte("<xml></xml>"), http.StatusBadRequest},
		{"other appid", http.MethodPost, otherQ, otherBody, http.StatusForbidden},
		{"other appid inside", http.MethodPost, innerQ, innerBody, http.StatusForbidden},
		{"malformed event", http.MethodPost, junkQ, junkBody, http.StatusBadRequest},
		{"good", http.MethodPost, goodQ, goodBody, http.StatusOK},
	} {
		r := httptest.NewRequest(tc.method, "/auth?"+tc.query, bytes.NewReader(tc.body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, tc.want, w.Code, tc.name)
		if tc.want == http.StatusOK {
			assert.Equal(t, "success", w.Body.String())
		}
	}
	got, err := p.VerifyTicket(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "T1", got, "only the good push is stored")
}

func TestAuthEventFunctionPanicStillSuccess(t *testing.T) {
	t.Parallel()
	p, err := NewPlatform(testAppID, testSecret, testToken, testAESKey)
	require.NoError(t, err)
	p.HandleAuthEvent(InfoTypeVerifyTicket, func(context.Context, *AuthEvent) error { panic("boom") })
	p.HandleAuthEvent(InfoTypeVerifyTicket, nil)
	q, body := sealEvent(t, testAppID, testToken, ticketXML(testAppID, "T9"), time.Now().Unix())
	w := httptest.NewRecorder()
	p.AuthEventHandler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/?"+q, bytes.NewReader(body)))
	assert.Equal(t, "success", w.Body.String())
}

func TestParseAuthEvent(t *testing.T) {
	t.Parallel()
	ev, err := ParseAuthEvent([]byte(`<xml><AppId>wxc</AppId><CreateTime>1413192760</CreateTime><InfoType>authorized</InfoType>
<AuthorizerAppid>wxa</AuthorizerAppid><AuthorizationCode>code</AuthorizationCode><AuthorizationCodeExpiredTime>1413196360</AuthorizationCodeExpiredTime>
<PreAuthCode>pre</PreAuthCode></xml>`))
	require.NoError(t, err)
	assert.Equal(t, AuthEvent{AppID: "wxc", CreateTime: 1413192760, InfoType: InfoTypeAuthorized, AuthorizerAppID: "wxa",
		AuthorizationCode: "code", AuthorizationCodeExpiredTime: 1413196360, PreAuthCode: "pre"}, *ev)
	for _, bad := range []string{"", "<xml>", "<xml><AppId>a</AppId></xml>", "<xml><InfoType>x</InfoType></xml>"} {
		_, err := ParseAuthEvent([]byte(bad))
		assert.ErrorIs(t, err, offiaccount.ErrMalformedMessage, bad)
	}
}

func FuzzParseAuthEvent(f *testing.F) {
	f.Add([]byte(ticketXML(testAppID, "T")))
	f.Add([]byte("<xml><AppId>a</AppId><InfoType>unauthorized</InfoType></xml>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseAuthEvent(b)
		if err == nil && (ev.InfoType == "" || ev.AppID == "") {
			t.Fatal("accepted an event without InfoType or AppId")
		}
	})
}

func TestAuthEventReplayIgnored(t *testing.T) {
	t.Parallel()
	p, err := NewPlatform(testAppID, testSecret, testToken, testAESKey)
	require.NoError(t, err)
	var runs atomic.Int32
	p.HandleAuthEvent(InfoTypeUnauthorized, func(context.Context, *AuthEvent) error {
		runs.Add(1)
		return nil
	})
	inner := "<xml><AppId><![CDATA[" + testAppID + "]]></AppId><CreateTime>" + strconv.FormatInt(time.Now().Unix(), 10) +
		"</CreateTime><InfoType><![CDATA[unauthorized]]></InfoType><AuthorizerAppid><![CDATA[wx0000000000000a11]]></AuthorizerAppid></xml>"
	q, body := sealEvent(t, testAppID, testToken, inner, time.Now().Unix())
	for i := 0; i < 3; i++ { // the push, then two captured copies of it within the window
		w := httptest.NewRecorder()
		p.AuthEventHandler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/?"+q, bytes.NewReader(body)))
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, "success", w.Body.String())
	}
	assert.Equal(t, int32(1), runs.Load(), "a replayed event is answered but not acted on again")

	// The same event sealed afresh (WeChat's retry) is the same event.
	q2, body2 := sealEvent(t, testAppID, testToken, inner, time.Now().Unix())
	w := httptest.NewRecorder()
	p.AuthEventHandler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/?"+q2, bytes.NewReader(body2)))
	assert.Equal(t, "success", w.Body.String())
	assert.Equal(t, int32(1), runs.Load())

	_, err = NewPlatform(testAppID, testSecret, testToken, testAESKey, WithPlatformDedupeStore(nil))
	require.Error(t, err)
}

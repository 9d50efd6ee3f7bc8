package offiaccount

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	cbToken = "testToken123"
	testNow = 1700000000
)

// sender builds callback requests the way WeChat does.
type sender struct {
	token   string
	crypter *MessageCrypter // nil: plaintext mode
	compat  bool            // compatible mode: plaintext fields beside Encrypt
	now     int64
	nonce   string
}

func newSender(c *MessageCrypter) *sender {
	return &sender{token: cbToken, crypter: c, now: testNow, nonce: "n0nce"}
}

func (s *sender) query(body string) url.Values {
	ts := strconv.FormatInt(s.now, 10)
	q := url.Values{
		"signature": {Signature(s.token, ts, s.nonce)},
		"timestamp": {ts},
		"nonce":     {s.nonce},
		"openid":    {"oUser"},
	}
	if s.crypter != nil {
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", MsgSignature(s.token, ts, s.nonce, body))
	}
	return q
}

// post returns a request carrying doc, encrypted in safe mode.
func (s *sender) post(t testing.TB, doc string) *http.Request {
	t.Helper()
	body := doc
	var q url.Values
	if s.crypter != nil {
		enc, err := s.crypter.Encrypt([]byte(doc))
		require.NoError(t, err)
		extra := ""
		if s.compat {
			// compatible mode carries the plaintext fields too
			extra = strings.TrimSuffix(strings.TrimPrefix(doc, "<xml>"), "</xml>")
		}
		body = "<xml><ToUserName><![CDATA[gh_account]]></ToUserName>" + extra + "<Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
		q = s.query(enc)
	} else {
		q = s.query(body)
	}
	return httptest.NewRequest(http.MethodPost, "/wechat?"+q.Encode(), strings.NewReader(body))
}

func textMsg(id int64, content string) string {
	return "<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>" +
		"<CreateTime>" + strconv.Itoa(testNow) + "</CreateTime><MsgType><![CDATA[text]]></MsgType>" +
		"<Content>" + string(AppendCDATA(nil, content)) + "</Content><MsgId>" + strconv.FormatInt(id, 10) + "</MsgId></xml>"
}

func newTestHandler(t testing.TB, opts ...HandlerOption) *Handler {
	t.Helper()
	h, err := NewHandler(cbToken, opts...)
	require.NoError(t, err)
	h.now = func() time.Time { return time.Unix(testNow, 0) }
	return h
}

func echo(_ context.Context, m *Message) (Reply, error) {
	return TextReply{Content: "echo: " + m.Content}, nil
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerVerify(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	good := func() url.Values {
		ts := strconv.Itoa(testNow)
		return url.Values{"signature": {Signature(cbToken, ts, "abc")}, "timestamp": {ts}, "nonce": {"abc"}, "echostr": {"5837397520665436492"}}
	}
	w := serve(h, httptest.NewRequest(http.MethodGet, "/wechat?"+good().Encode(), nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "5837397520665436492", w.Body.String())
	assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))

	tests := []struct {
		name   string
		mutate func(url.Values)
		code   int
	}{
		{"wrong signature", func(q url.Values) { q.Set("signature", Signature("other", q.Get("timestamp"), "abc")) }, 403},
		{"missing signature", func(q url.Values) { q.Del("signature") }, 403},
		{"uppercase hex is the same signature", func(q url.Values) { q.Set("signature", strings.ToUpper(q.Get("signature"))) }, 200},
		{"missing echostr", func(q url.Values) { q.Del("echostr") }, 400},
		{"old timestamp", func(q url.Values) {
			ts := strconv.Itoa(testNow - 301)
			q.Set("timestamp", ts)
			q.Set("signature", Signature(cbToken, ts, "abc"))
		}, 403},
		{"future timestamp", func(q url.Values) {
			ts := strconv.Itoa(testNow + 301)
			q.Set("timestamp", ts)
			q.Set("signature", Signature(cbToken, ts, "abc"))
		}, 403},
		{"timestamp at window edge", func(q url.Values) {
			ts := strconv.Itoa(testNow - 300)
			q.Set("timestamp", ts)
			q.Set("signature", Signature(cbToken, ts, "abc"))
		}, 200},
		{"non-numeric timestamp", func(q url.Values) {
			q.Set("timestamp", "yesterday")
			q.Set("signature", Signature(cbToken, "yesterday", "abc"))
		}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := good()
			tc.mutate(q)
			w := serve(h, httptest.NewRequest(http.MethodGet, "/wechat?"+q.Encode(), nil))
			assert.Equal(t, tc.code, w.Code)
			if tc.code != 200 {
				assert.NotContains(t, w.Body.String(), "5837397520665436492")
			}
		})
	}
}

func TestHandlerTimestampWindowOption(t *testing.T) {
	t.Parallel()
	ts := strconv.Itoa(testNow - 3600)
	q := url.Values{"signature": {Signature(cbToken, ts, "n")}, "timestamp": {ts}, "nonce": {"n"}, "echostr": {"e"}}
	for _, tc := range []struct {
		window time.Duration
		code   int
	}{{0, 200}, {2 * time.Hour, 200}, {time.Minute, 403}} {
		h := newTestHandler(t, WithHandlerTimestampWindow(tc.window))
		w := serve(h, httptest.NewRequest(http.MethodGet, "/wechat?"+q.Encode(), nil))
		assert.Equal(t, tc.code, w.Code, "window %v", tc.window)
	}
}

func TestHandlerPlaintextRoundTrip(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	h.HandleText(echo)
	w := serve(h, newSender(nil).post(t, textMsg(1, "hello ]]> <world>")))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/xml; charset=utf-8", w.Header().Get("Content-Type"))
	r := decodeWireReply(t, w.Body.Bytes())
	assert.Equal(t, "oUser", r.ToUserName)
	assert.Equal(t, "gh_account", r.FromUserName)
	assert.Equal(t, int64(testNow), r.CreateTime)
	assert.Equal(t, "text", r.MsgType)
	assert.Equal(t, "echo: hello ]]> <world>", r.Content)
}

// openReply checks the signature of an encrypted reply and decrypts it.
func openReply(t *testing.T, c *MessageCrypter, body []byte) wireReply {
	t.Helper()
	var env struct {
		XMLName                                 xml.Name `xml:"xml"`
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	require.NoError(t, xml.Unmarshal(body, &env), "%s", body)
	require.NotEmpty(t, env.Nonce)
	assert.Equal(t, strconv.Itoa(testNow), env.TimeStamp)
	assert.True(t, CheckMsgSignature(env.MsgSignature, cbToken, env.TimeStamp, env.Nonce, env.Encrypt), "reply signature")
	plain, err := c.Decrypt(env.Encrypt)
	require.NoError(t, err)
	return decodeWireReply(t, plain)
}

func TestHandlerSafeAndCompatibleModes(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	for _, compat := range []bool{false, true} {
		h := newTestHandler(t, WithHandlerCrypter(c))
		var got *Message
		h.HandleText(func(ctx context.Context, m *Message) (Reply, error) {
			got = m
			return echo(ctx, m)
		})
		s := newSender(c)
		s.compat = compat
		w := serve(h, s.post(t, textMsg(2, "加密")))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		r := openReply(t, c, w.Body.Bytes())
		assert.Equal(t, "echo: 加密", r.Content)
		assert.Equal(t, "oUser", r.ToUserName)
		assert.Equal(t, textMsg(2, "加密"), string(got.Raw), "Raw is the decrypted document")
	}
}

func TestHandlerOfficialSample(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sampleAppID, sampleAESKey)
	h, err := NewHandler(sampleToken, WithHandlerCrypter(c))
	require.NoError(t, err)
	h.now = func() time.Time { return time.Unix(1409735669, 0) }
	var got *Message
	h.HandleText(func(_ context.Context, m *Message) (Reply, error) { got = m; return nil, nil })
	q := url.Values{"timestamp": {sampleTimestamp}, "nonce": {sampleNonce}, "encrypt_type": {"aes"}, "msg_signature": {sampleMsgSignature}}
	body := "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[" + sampleEncrypt + "]]></Encrypt></xml>"
	w := serve(h, httptest.NewRequest(http.MethodPost, "/?"+q.Encode(), strings.NewReader(body)))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "success", w.Body.String())
	require.NotNil(t, got)
	assert.Equal(t, "abcdteT", got.Content)
	assert.Equal(t, int64(6054768590064713728), got.MsgID)
	assert.Equal(t, samplePlainXML, string(got.Raw))
}

func TestHandlerRejections(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	other := mustCrypter(t, "wx0e7e0a990000000f", sampleAESKey)
	plain := newSender(nil)
	safe := newSender(c)
	tests := []struct {
		name string
		opts []HandlerOption
		req  func(t *testing.T) *http.Request
		code int
	}{
		{"PUT", nil, func(t *testing.T) *http.Request {
			r := plain.post(t, textMsg(1, "x"))
			r.Method = http.MethodPut
			return r
		}, 405},
		{"missing signature", nil, func(t *testing.T) *http.Request {
			r := plain.post(t, textMsg(1, "x"))
			q := r.URL.Query()
			q.Del("signature")
			r.URL.RawQuery = q.Encode()
			return r
		}, 403},
		{"wrong signature", nil, func(t *testing.T) *http.Request {
			s := *plain
			s.token = "wrongToken"
			return s.post(t, textMsg(1, "x"))
		}, 403},
		{"truncated signature", nil, func(t *testing.T) *http.Request {
			r := plain.post(t, textMsg(1, "x"))
			q := r.URL.Query()
			q.Set("signature", q.Get("signature")[:39])
			r.URL.RawQuery = q.Encode()
			return r
		}, 403},
		{"stale timestamp", nil, func(t *testing.T) *http.Request {
			s := *plain
			s.now = testNow - 3600
			return s.post(t, textMsg(1, "x"))
		}, 403},
		{"body over the cap", []HandlerOption{WithHandlerMaxBodyBytes(100)}, func(t *testing.T) *http.Request {
			return plain.post(t, textMsg(1, strings.Repeat("x", 200)))
		}, 413},
		{"body over the cap, no length", []HandlerOption{WithHandlerMaxBodyBytes(100)}, func(t *testing.T) *http.Request {
			r := plain.post(t, textMsg(1, strings.Repeat("x", 200)))
			r.ContentLength = -1
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader(textMsg(1, strings.Repeat("x", 200)))))
			return r
		}, 413},
		{"default cap is 1 MiB", nil, func(t *testing.T) *http.Request {
			return plain.post(t, textMsg(1, strings.Repeat("x", 1<<20)))
		}, 413},
		{"malformed XML", nil, func(t *testing.T) *http.Request { return plain.post(t, "<xml><Content>") }, 400},
		{"DOCTYPE", nil, func(t *testing.T) *http.Request {
			return plain.post(t, `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>`)
		}, 400},
		{"plaintext to a safe-mode-only handler", []HandlerOption{WithHandlerCrypter(c), WithHandlerSafeModeOnly()}, func(t *testing.T) *http.Request {
			return plain.post(t, textMsg(1, "x"))
		}, 403},
		{"wrong msg_signature", []HandlerOption{WithHandlerCrypter(c)}, func(t *testing.T) *http.Request {
			r := safe.post(t, textMsg(1, "x"))
			q := r.URL.Query()
			q.Set("msg_signature", MsgSignature(cbToken, q.Get("timestamp"), q.Get("nonce"), "other"))
			r.URL.RawQuery = q.Encode()
			return r
		}, 403},
		{"missing msg_signature", []HandlerOption{WithHandlerCrypter(c)}, func(t *testing.T) *http.Request {
			r := safe.post(t, textMsg(1, "x"))
			q := r.URL.Query()
			q.Del("msg_signature")
			r.URL.RawQuery = q.Encode()
			return r
		}, 403},
		{"sealed for another AppID", []HandlerOption{WithHandlerCrypter(c)}, func(t *testing.T) *http.Request {
			return newSender(other).post(t, textMsg(1, "x"))
		}, 403},
		{"no Encrypt element", []HandlerOption{WithHandlerCrypter(c)}, func(t *testing.T) *http.Request {
			r := safe.post(t, textMsg(1, "x"))
			r.Body = io.NopCloser(strings.NewReader(textMsg(1, "x")))
			r.ContentLength = int64(len(textMsg(1, "x")))
			return r
		}, 400},
		{"garbage Encrypt, correctly signed", []HandlerOption{WithHandlerCrypter(c)}, func(t *testing.T) *http.Request {
			body := "<xml><Encrypt>!!notbase64!!</Encrypt></xml>"
			q := safe.query("!!notbase64!!")
			return httptest.NewRequest(http.MethodPost, "/?"+q.Encode(), strings.NewReader(body))
		}, 400},
		{"encrypted but no key configured", nil, func(t *testing.T) *http.Request { return safe.post(t, textMsg(1, "x")) }, 400},
		{"unknown encrypt_type", nil, func(t *testing.T) *http.Request {
			r := plain.post(t, textMsg(1, "x"))
			r.URL.RawQuery += "&encrypt_type=des"
			return r
		}, 400},
		{"bad MsgId", nil, func(t *testing.T) *http.Request {
			return plain.post(t, strings.Replace(textMsg(1, "x"), "<MsgId>1<", "<MsgId>x<", 1))
		}, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newTestHandler(t, tc.opts...)
			called := false
			h.HandleDefault(func(context.Context, *Message) (Reply, error) { called = true; return nil, nil })
			w := serve(h, tc.req(t))
			assert.Equal(t, tc.code, w.Code, w.Body.String())
			assert.False(t, called, "the function must not run")
			if tc.code == 405 {
				assert.Equal(t, "GET, POST", w.Header().Get("Allow"))
			}
		})
	}
}

func TestNewHandlerValidates(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{"", "ab", strings.Repeat("a", 33), "has space", "符号abc"} {
		_, err := NewHandler(tok)
		require.Error(t, err, "%q", tok)
		if tok != "" {
			assert.NotContains(t, err.Error(), tok, "the token is a secret")
		}
	}
	bad := []HandlerOption{
		WithHandlerSafeModeOnly(),
		WithHandlerEncodingAESKey("wx1", "short"),
		WithHandlerCrypter(nil),
		WithHandlerMaxBodyBytes(0),
		WithHandlerTimestampWindow(-time.Second),
		WithHandlerDedupeTTL(0),
		WithHandlerRetryTiming(RetryTiming{AttemptTimeout: time.Second, Margin: 2 * time.Second}),
		WithHandlerLogger(nil),
	}
	for i, opt := range bad {
		_, err := NewHandler(cbToken, opt)
		assert.Error(t, err, "option %d", i)
	}
	_, err := NewHandler(cbToken, WithHandlerEncodingAESKey(sample2AppID, sampleAESKey), WithHandlerSafeModeOnly())
	assert.NoError(t, err)
}

func TestHandlerRouting(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	named := func(name string) HandlerFunc {
		return func(context.Context, *Message) (Reply, error) { return TextReply{Content: name}, nil }
	}
	h.HandleText(named("text"))
	h.HandleMsg(MsgTypeImage, named("image"))
	h.HandleEvent(EventSubscribe, named("subscribe"))
	h.HandleEvent(EventClick, named("click"))
	h.HandleEventKey("BTN_EXACT", named("key"))
	h.HandleEventKeyPrefix("BTN_", named("prefix short"))
	h.HandleEventKeyPrefix("BTN_LONG_", named("prefix long"))
	h.HandleEventKeyPrefix("qrscene_", named("scene"))
	h.HandleMsg(MsgTypeEvent, named("any event"))
	var order []string
	var mu sync.Mutex
	mw := func(name string) Middleware {
		return func(next HandlerFunc) HandlerFunc {
			return func(ctx context.Context, m *Message) (Reply, error) {
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
				return next(ctx, m)
			}
		}
	}
	h.Use(mw("outer"), mw("inner"))

	tests := []struct {
		m    Message
		want string
	}{
		{Message{MsgType: MsgTypeText}, "text"},
		{Message{MsgType: MsgTypeImage}, "image"},
		{Message{MsgType: MsgTypeVoice}, ""},
		{Message{MsgType: MsgTypeEvent, Event: EventSubscribe}, "subscribe"},
		{Message{MsgType: MsgTypeEvent, Event: EventSubscribe, EventKey: "qrscene_42"}, "scene"},
		{Message{MsgType: MsgTypeEvent, Event: EventClick, EventKey: "OTHER"}, "click"},
		{Message{MsgType: MsgTypeEvent, Event: EventClick, EventKey: "BTN_EXACT"}, "key"},
		{Message{MsgType: MsgTypeEvent, Event: EventClick, EventKey: "BTN_X"}, "prefix short"},
		{Message{MsgType: MsgTypeEvent, Event: EventClick, EventKey: "BTN_LONG_X"}, "prefix long"},
		{Message{MsgType: MsgTypeEvent, Event: EventScancodePush, EventKey: "BTN_EXACT"}, "key"},
		{Message{MsgType: MsgTypeEvent, Event: EventUnsubscribe}, "any event"},
		{Message{MsgType: MsgTypeText, EventKey: "BTN_EXACT"}, "text"},
	}
	for _, tc := range tests {
		rep, err := h.Dispatch(context.Background(), &tc.m)
		require.NoError(t, err)
		if tc.want == "" {
			assert.Nil(t, rep, "%+v", tc.m)
			continue
		}
		assert.Equal(t, TextReply{Content: tc.want}, rep, "%+v", tc.m)
	}
	mu.Lock()
	assert.Equal(t, []string{"outer", "inner", "outer", "inner"}, order[:4])
	mu.Unlock()

	h.HandleDefault(named("default"))
	rep, _ := h.Dispatch(context.Background(), &Message{MsgType: MsgTypeVoice})
	assert.Equal(t, TextReply{Content: "default"}, rep)
	assert.Panics(t, func() { h.HandleText(nil) })
	assert.Panics(t, func() { h.Use(nil) })
}

func TestHandlerNoRouteAnswersSuccess(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	w := serve(h, newSender(nil).post(t, textMsg(3, "x")))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "success", w.Body.String())
}

func TestHandlerUnknownTypeReachesDefault(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	doc := "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>" +
		"<MsgType>hologram</MsgType><Depth>3</Depth></xml>"
	var got *Message
	h.HandleDefault(func(_ context.Context, m *Message) (Reply, error) { got = m; return nil, nil })
	w := serve(h, newSender(nil).post(t, doc))
	assert.Equal(t, http.StatusOK, w.Code)
	require.NotNil(t, got)
	assert.Equal(t, MsgType("hologram"), got.MsgType)
	v, ok := got.Field("Depth")
	assert.True(t, ok)
	assert.Equal(t, "3", v)
}

// syncBuffer is a concurrency-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHandlerRecoversPanicsAndErrorsWithoutLeakingSecrets(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	var logs syncBuffer
	h := newTestHandler(t, WithHandlerCrypter(c), WithHandlerLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	h.HandleText(func(_ context.Context, m *Message) (Reply, error) {
		if m.Content == "panic" {
			panic("boom")
		}
		return nil, errors.New("database down")
	})
	h.HandleMsg(MsgTypeImage, func(context.Context, *Message) (Reply, error) {
		var r *TextReply // a typed nil: encoding it panics
		return r, nil
	})
	for i, doc := range []string{textMsg(10, "panic"), textMsg(11, "error"),
		strings.Replace(textMsg(12, ""), "[text]", "[image]", 1)} {
		w := serve(h, newSender(c).post(t, doc))
		assert.Equal(t, http.StatusOK, w.Code, "case %d", i)
		assert.Equal(t, "success", w.Body.String(), "case %d", i)
	}
	// And a few rejections, which are logged at debug level.
	s := newSender(c)
	s.token = "wrongToken"
	serve(h, s.post(t, textMsg(13, "x")))
	serve(h, httptest.NewRequest(http.MethodGet, "/?echostr=x", nil))

	out := logs.String()
	assert.Contains(t, out, "boom")
	assert.Contains(t, out, "database down")
	assert.Contains(t, out, "invalid msg_signature")
	for _, secret := range []string{cbToken, sampleAESKey, "panic\"", "oUser"} {
		assert.NotContains(t, out, secret)
	}
}

func TestHandlerDedupeConcurrentRetries(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	h := newTestHandler(t, WithHandlerCrypter(c))
	var calls atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	h.HandleText(func(ctx context.Context, m *Message) (Reply, error) {
		if calls.Add(1) == 1 {
			close(started)
		}
		<-release
		return TextReply{Content: "once"}, nil
	})
	s := newSender(c)
	const retries = 4
	bodies := make([][]byte, retries+1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		bodies[0] = serve(h, s.post(t, textMsg(77, "hi"))).Body.Bytes()
	}()
	<-started
	for i := 1; i <= retries; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Retries carry a fresh encryption of the same message.
			bodies[i] = serve(h, s.post(t, textMsg(77, "hi"))).Body.Bytes()
		}()
	}
	time.Sleep(20 * time.Millisecond) // let the retries reach Wait
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
	first := openReply(t, c, bodies[0])
	assert.Equal(t, "once", first.Content)
	for i, b := range bodies {
		// Each answer is sealed afresh (new nonce), around the very same reply.
		assert.Equal(t, first, openReply(t, c, b), "attempt %d gets the same reply", i)
	}
	// A retry after the function finished gets the same reply again.
	assert.Equal(t, first, openReply(t, c, serve(h, s.post(t, textMsg(77, "hi"))).Body.Bytes()))
	// Another message runs the function again.
	serve(h, s.post(t, textMsg(78, "hi")))
	assert.Equal(t, int32(2), calls.Load())
}

func TestHandlerDedupesEventsBySenderTimeAndEvent(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	var calls atomic.Int32
	h.HandleEvent(EventSubscribe, func(context.Context, *Message) (Reply, error) {
		calls.Add(1)
		return TextReply{Content: "welcome"}, nil
	})
	ev := func(from string, at int) string {
		return "<xml><ToUserName>gh</ToUserName><FromUserName>" + from + "</FromUserName><CreateTime>" + strconv.Itoa(at) +
			"</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>"
	}
	s := newSender(nil)
	for _, doc := range []string{ev("a", 1), ev("a", 1), ev("b", 1), ev("a", 2), ev("a", 1)} {
		w := serve(h, s.post(t, doc))
		assert.Equal(t, "welcome", decodeWireReply(t, w.Body.Bytes()).Content)
	}
	assert.Equal(t, int32(3), calls.Load())
}

func TestHandlerWithoutDedupe(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, WithHandlerDedupeStore(nil))
	var calls atomic.Int32
	h.HandleText(func(ctx context.Context, m *Message) (Reply, error) {
		calls.Add(1)
		dl, ok := ctx.Deadline()
		assert.True(t, ok)
		assert.Equal(t, time.Unix(testNow, 0).Add(4*time.Second), dl, "one attempt minus the margin")
		return echo(ctx, m)
	})
	for i := 0; i < 2; i++ {
		serve(h, newSender(nil).post(t, textMsg(5, "x")))
	}
	assert.Equal(t, int32(2), calls.Load())
}

// failingDedupeStore fails every call, as a shared store can.
type failingDedupeStore struct{}

func (failingDedupeStore) Claim(context.Context, string, time.Time, time.Duration) (DedupeRecord, bool, error) {
	return DedupeRecord{}, false, errors.New("store down")
}
func (failingDedupeStore) Complete(context.Context, string, []byte, time.Duration, time.Duration) error {
	return errors.New("store down")
}
func (failingDedupeStore) Wait(context.Context, string) ([]byte, error) {
	return nil, errors.New("store down")
}

func TestHandlerStoreFailureFailsOpen(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := newTestHandler(t, WithHandlerDedupeStore(failingDedupeStore{}), WithHandlerLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	h.HandleText(echo)
	w := serve(h, newSender(nil).post(t, textMsg(6, "x")))
	assert.Equal(t, "echo: x", decodeWireReply(t, w.Body.Bytes()).Content)
	assert.Contains(t, logs.String(), "store down")
}

// wechatClient behaves like WeChat: it hangs up after one attempt's timeout.
type wechatAttempt struct {
	body  string
	code  int
	err   error
	took  time.Duration
	start time.Time
}

func attempt(t *testing.T, srv *httptest.Server, timeout time.Duration, s *sender, doc string) wechatAttempt {
	t.Helper()
	r := s.post(t, doc)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/?"+r.URL.RawQuery, r.Body)
	require.NoError(t, err)
	c := &http.Client{Timeout: timeout}
	start := time.Now()
	resp, err := c.Do(req)
	a := wechatAttempt{err: err, start: start}
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a.body, a.code = string(b), resp.StatusCode
	}
	a.took = time.Since(start)
	return a
}

func realClockHandler(t *testing.T, timing RetryTiming) (*Handler, *sender) {
	t.Helper()
	h, err := NewHandler(cbToken, WithHandlerRetryTiming(timing))
	require.NoError(t, err)
	s := newSender(nil)
	s.now = time.Now().Unix()
	return h, s
}

// A reply ready after the first attempt timed out reaches the user through
// the second attempt, and the function runs once.
func TestHandlerSlowReplyGoesOutThroughARetry(t *testing.T) {
	t.Parallel()
	// The reply is ready 1.4 s after the first attempt: in the middle of the second attempt,
	// with 600 ms to spare before that attempt gives up, for a busy machine under -race.
	timing := RetryTiming{Attempts: 3, AttemptTimeout: time.Second, Margin: 300 * time.Millisecond}
	h, s := realClockHandler(t, timing)
	var calls atomic.Int32
	h.HandleText(func(ctx context.Context, m *Message) (Reply, error) {
		calls.Add(1)
		time.Sleep(1400 * time.Millisecond)
		return TextReply{Content: "late but here"}, nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	first := attempt(t, srv, timing.AttemptTimeout, s, textMsg(100, "slow"))
	require.Error(t, first.err, "the first attempt times out, as WeChat's would")
	second := attempt(t, srv, timing.AttemptTimeout, s, textMsg(100, "slow"))
	require.NoError(t, second.err)
	assert.Equal(t, http.StatusOK, second.code)
	assert.Equal(t, "late but here", decodeWireReply(t, []byte(second.body)).Content)
	assert.Equal(t, int32(1), calls.Load())
}

// When the function is still not done on the last attempt, the handler
// answers "success" before WeChat gives up, and the function's context ends
// when no attempt can carry the reply any more.
func TestHandlerLastAttemptAnswersSuccessInTime(t *testing.T) {
	t.Parallel()
	// The last attempt is answered AttemptTimeout-Margin after it arrives; a Margin of half
	// the timeout leaves half a second for a busy machine (with -race) to get the answer to
	// the client in time, and half a timeout of arrival jitter before an attempt is taken for
	// another.
	timing := RetryTiming{Attempts: 3, AttemptTimeout: time.Second, Margin: 500 * time.Millisecond}
	h, s := realClockHandler(t, timing)
	// The handler's own clock: its first reading is the first attempt's arrival, which the
	// function's deadline counts from.
	var firstOnce sync.Once
	var first time.Time
	h.now = func() time.Time {
		now := time.Now()
		firstOnce.Do(func() { first = now })
		return now
	}
	deadline := make(chan time.Time, 1)
	done := make(chan struct{})
	release := make(chan struct{})
	h.HandleText(func(ctx context.Context, m *Message) (Reply, error) {
		dl, _ := ctx.Deadline()
		deadline <- dl
		<-ctx.Done()
		close(done)
		<-release // a function that ignores its context
		return TextReply{Content: "too late"}, nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(release) // before srv.Close, which waits for the handler

	a1 := attempt(t, srv, timing.AttemptTimeout, s, textMsg(101, "stuck"))
	a2 := attempt(t, srv, timing.AttemptTimeout, s, textMsg(101, "stuck"))
	a3 := attempt(t, srv, timing.AttemptTimeout, s, textMsg(101, "stuck"))
	assert.Error(t, a1.err)
	assert.Error(t, a2.err)
	require.NoError(t, a3.err, "the last attempt is answered before WeChat's timeout")
	assert.Equal(t, http.StatusOK, a3.code)
	assert.Equal(t, "success", a3.body)
	assert.Less(t, a3.took, timing.AttemptTimeout)

	dl := <-deadline // sent after the first attempt arrived, so first is set
	want := first.Add(time.Duration(timing.Attempts)*timing.AttemptTimeout - timing.Margin)
	assert.WithinDuration(t, want, dl, time.Millisecond, "the function's deadline: when the last attempt gives up")
	assert.False(t, first.Before(a1.start), "the handler's clock started with the first attempt")
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the function's context never ended")
	}
}

// A retry arriving in time for a fast function needs no waiting at all.
func TestHandlerRetryWaitsForRunningFunction(t *testing.T) {
	t.Parallel()
	timing := RetryTiming{Attempts: 3, AttemptTimeout: 2 * time.Second, Margin: 500 * time.Millisecond}
	h, s := realClockHandler(t, timing)
	release := make(chan struct{})
	h.HandleText(func(ctx context.Context, m *Message) (Reply, error) {
		<-release
		return TextReply{Content: "shared"}, nil
	})
	first := make(chan *httptest.ResponseRecorder)
	go func() { first <- serve(h, s.post(t, textMsg(102, "x"))) }()
	time.Sleep(20 * time.Millisecond)
	second := make(chan *httptest.ResponseRecorder)
	go func() { second <- serve(h, s.post(t, textMsg(102, "x"))) }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	b1, b2 := (<-first).Body.String(), (<-second).Body.String()
	assert.Equal(t, b1, b2)
	assert.Equal(t, "shared", decodeWireReply(t, []byte(b2)).Content)
}

// FuzzHandler: whatever the query and body, the handler answers without
// panicking and without a 5xx.
func FuzzHandler(f *testing.F) {
	c, err := NewMessageCrypter(sample2AppID, sampleAESKey)
	require.NoError(f, err)
	plain := newSender(nil)
	safe := newSender(c)
	for _, doc := range []string{textMsg(1, "hi"), "<xml/>", "<!DOCTYPE x><xml/>", "", "<xml><Encrypt>abc</Encrypt></xml>"} {
		r := plain.post(f, doc)
		f.Add(uint8(0), r.URL.RawQuery, []byte(doc))
		r = safe.post(f, doc)
		b, _ := io.ReadAll(r.Body)
		f.Add(uint8(1), r.URL.RawQuery, b)
	}
	f.Add(uint8(2), "signature=%zz&timestamp=1&echostr=x", []byte{})
	f.Add(uint8(3), "encrypt_type=aes&msg_signature=&timestamp=", []byte("<xml>"))
	h, err := NewHandler(cbToken, WithHandlerCrypter(c), WithHandlerMaxBodyBytes(4096))
	require.NoError(f, err)
	h.now = func() time.Time { return time.Unix(testNow, 0) }
	h.HandleDefault(func(_ context.Context, m *Message) (Reply, error) {
		return TextReply{Content: m.Content + string(m.Raw)}, nil
	})
	methods := []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodHead}
	f.Fuzz(func(t *testing.T, method uint8, query string, body []byte) {
		r := httptest.NewRequest(methods[int(method)%len(methods)], "/", bytes.NewReader(body))
		r.URL.RawQuery = query
		w := serve(h, r)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q %q", w.Code, query, body)
		}
	})
}

// A replayed reply is sealed for the request it answers: a message first seen in plaintext
// and then encrypted (a mode switch in the admin page between attempts) gets an encrypted reply.
func TestHandlerReplayMatchesRequestMode(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	h := newTestHandler(t, WithHandlerCrypter(c))
	var calls atomic.Int32
	h.HandleText(func(context.Context, *Message) (Reply, error) {
		calls.Add(1)
		return TextReply{Content: "same"}, nil
	})
	plainBody := serve(h, newSender(nil).post(t, textMsg(91, "hi"))).Body.Bytes()
	assert.Equal(t, "same", decodeWireReply(t, plainBody).Content)
	sealedBody := serve(h, newSender(c).post(t, textMsg(91, "hi"))).Body.Bytes()
	assert.Equal(t, "same", openReply(t, c, sealedBody).Content)
	assert.Equal(t, int32(1), calls.Load())
}

// doneDedupeStore answers every Claim with a completed record holding reply.
type doneDedupeStore struct{ reply []byte }

func (s doneDedupeStore) Claim(context.Context, string, time.Time, time.Duration) (DedupeRecord, bool, error) {
	return DedupeRecord{FirstSeen: time.Unix(testNow, 0), Done: true, Reply: s.reply}, false, nil
}
func (doneDedupeStore) Complete(context.Context, string, []byte, time.Duration, time.Duration) error {
	return nil
}
func (s doneDedupeStore) Wait(context.Context, string) ([]byte, error) { return s.reply, nil }

// A stored reply without a known mode byte (written by an older version into a shared store
// during a rolling upgrade, or by a store that altered it) is answered "success" in either
// mode: never cut by one byte and sealed, never unsealed.
func TestHandlerStoredReplyWithUnknownModeAnswersSuccess(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	old := []byte("<xml><ToUserName><![CDATA[oUser]]></ToUserName><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>")
	for _, reply := range [][]byte{old, []byte("X" + string(old))} {
		h := newTestHandler(t, WithHandlerCrypter(c), WithHandlerDedupeStore(doneDedupeStore{reply}))
		h.HandleText(func(context.Context, *Message) (Reply, error) {
			t.Error("the function ran for a completed record")
			return nil, nil
		})
		assert.Equal(t, "success", serve(h, newSender(c).post(t, textMsg(92, "hi"))).Body.String())
		assert.Equal(t, "success", serve(h, newSender(nil).post(t, textMsg(92, "hi"))).Body.String())
	}
	// The two modes the Handler writes are answered as before.
	sealed := append([]byte{replySealed}, old...)
	h := newTestHandler(t, WithHandlerCrypter(c), WithHandlerDedupeStore(doneDedupeStore{sealed}))
	assert.Equal(t, "hi", openReply(t, c, serve(h, newSender(c).post(t, textMsg(93, "hi"))).Body.Bytes()).Content)
	assert.Equal(t, "success", serve(h, newSender(nil).post(t, textMsg(93, "hi"))).Body.String())
}

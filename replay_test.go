package offiaccount

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// captured is a callback request as an eavesdropper keeps it: URL and body.
type captured struct{ query, body string }

func capture(t *testing.T, r *http.Request) captured {
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return captured{r.URL.RawQuery, string(body)}
}

func (c captured) replay(h http.Handler) *httptest.ResponseRecorder {
	return serve(h, httptest.NewRequest(http.MethodPost, "/wechat?"+c.query, strings.NewReader(c.body)))
}

// clockedHandler is a Handler whose clock, and its default store's, the test moves.
func clockedHandler(t *testing.T, opts ...HandlerOption) (*Handler, *storeClock) {
	h := newTestHandler(t, opts...)
	clock := &storeClock{t: time.Unix(testNow, 0)}
	h.now = clock.Now
	h.store.(*MemoryDedupeStore).now = clock.Now
	return h, clock
}

// A captured request replayed while its timestamp still passes the window check never runs
// the function again, whatever the dedupe TTL (issue: the record used to live one minute, the
// window five).
func TestHandlerNoReplayWhileTimestampPasses(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	for _, tc := range []struct {
		name  string
		opts  []HandlerOption
		ahead int64 // how far the request's timestamp is ahead of our clock (WeChat's clock skew)
	}{
		{"safe default TTL", []HandlerOption{WithHandlerCrypter(c), WithHandlerSafeModeOnly()}, 0},
		{"safe short TTL", []HandlerOption{WithHandlerCrypter(c), WithHandlerSafeModeOnly(), WithHandlerDedupeTTL(time.Second)}, 0},
		{"safe timestamp ahead", []HandlerOption{WithHandlerCrypter(c), WithHandlerSafeModeOnly()}, 240},
		{"plaintext", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, clock := clockedHandler(t, tc.opts...)
			var calls atomic.Int32
			h.HandleText(func(context.Context, *Message) (Reply, error) {
				return TextReply{Content: fmt.Sprintf("transfer done #%d", calls.Add(1))}, nil
			})
			s := newSender(nil)
			if tc.opts != nil {
				s = newSender(c)
			}
			s.now = testNow + tc.ahead
			req := capture(t, s.post(t, textMsg(4242, "transfer 100 to bob")))
			content := func(w *httptest.ResponseRecorder) string {
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				if w.Body.String() == "success" {
					return "success"
				}
				if s.crypter != nil {
					var env struct{ Encrypt string }
					require.NoError(t, xml.Unmarshal(w.Body.Bytes(), &env))
					plain, err := c.Decrypt(env.Encrypt)
					require.NoError(t, err)
					return decodeWireReply(t, plain).Content
				}
				return decodeWireReply(t, w.Body.Bytes()).Content
			}
			assert.Equal(t, "transfer done #1", content(req.replay(h)))
			for _, at := range []time.Duration{5 * time.Second, 62 * time.Second, 4 * time.Minute, 5*time.Minute + time.Duration(tc.ahead)*time.Second} {
				clock.t = time.Unix(testNow, 0).Add(at)
				got := content(req.replay(h))
				assert.Contains(t, []string{"transfer done #1", "success"}, got, "replayed %v later", at)
				assert.Equal(t, int32(1), calls.Load(), "replayed %v later: the function ran again", at)
			}
			clock.Advance(time.Second)
			assert.Equal(t, http.StatusForbidden, req.replay(h).Code, "past the window the timestamp check refuses it")
			assert.Equal(t, int32(1), calls.Load())
		})
	}
}

// In compatible mode a plaintext request never receives the reply kept for an encrypted
// one, and does not run the function again.
func TestHandlerCompatiblePlaintextNeverGetsSealedReply(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	h := newTestHandler(t, WithHandlerCrypter(c))
	var calls atomic.Int32
	release := make(chan struct{})
	h.HandleText(func(_ context.Context, m *Message) (Reply, error) {
		calls.Add(1)
		if m.MsgID == 92 {
			<-release
		}
		return TextReply{Content: "balance: 1,234.56"}, nil
	})
	sealed := serve(h, newSender(c).post(t, textMsg(91, "balance?")))
	require.Equal(t, "balance: 1,234.56", openReply(t, c, sealed.Body.Bytes()).Content)

	w := serve(h, newSender(nil).post(t, textMsg(91, "balance?")))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "success", w.Body.String(), "a plaintext request got the sealed reply's content")
	assert.Equal(t, int32(1), calls.Load(), "the function ran again")

	// The same while the encrypted request's function still runs.
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(h, newSender(c).post(t, textMsg(92, "balance?")))
	}()
	require.Eventually(t, func() bool { return calls.Load() == 2 }, 5*time.Second, time.Millisecond)
	plain := make(chan *httptest.ResponseRecorder)
	go func() { plain <- serve(h, newSender(nil).post(t, textMsg(92, "balance?"))) }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	w = <-plain
	<-done
	assert.Equal(t, "success", w.Body.String())
	assert.Equal(t, int32(2), calls.Load())
}

// Events are told apart by every field that differs, while a retry (the same document again)
// still matches.
func TestHandlerDedupesEventsByEveryField(t *testing.T) {
	t.Parallel()
	ev := func(event, extra string) string {
		return "<xml><ToUserName>gh</ToUserName><FromUserName>oUser</FromUserName><CreateTime>" + strconv.Itoa(testNow) +
			"</CreateTime><MsgType>event</MsgType><Event>" + event + "</Event>" + extra + "</xml>"
	}
	cases := []struct{ name, a, b string }{
		{"CLICK keys", ev("CLICK", "<EventKey>BUY</EventKey>"), ev("CLICK", "<EventKey>SELL</EventKey>")},
		{"SCAN tickets", ev("SCAN", "<EventKey>7</EventKey><Ticket>T1</Ticket>"), ev("SCAN", "<EventKey>7</EventKey><Ticket>T2</Ticket>")},
		{"job-finish MsgID", ev("TEMPLATESENDJOBFINISH", "<MsgID>1</MsgID><Status>success</Status>"), ev("TEMPLATESENDJOBFINISH", "<MsgID>2</MsgID><Status>success</Status>")},
		{"scan results", ev("scancode_push", "<EventKey>S</EventKey><ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>a</ScanResult></ScanCodeInfo>"),
			ev("scancode_push", "<EventKey>S</EventKey><ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>b</ScanResult></ScanCodeInfo>")},
		{"locations", ev("LOCATION", "<Latitude>23.1</Latitude><Longitude>113.3</Longitude><Precision>65</Precision>"),
			ev("LOCATION", "<Latitude>23.2</Latitude><Longitude>113.3</Longitude><Precision>65</Precision>")},
		{"key prefix is not a key", ev("CLICK", "<EventKey>1</EventKey><Ticket>2</Ticket>"), ev("CLICK", "<EventKey>1|t12</EventKey>")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newTestHandler(t)
			var calls atomic.Int32
			h.HandleMsg(MsgTypeEvent, func(_ context.Context, m *Message) (Reply, error) {
				return TextReply{Content: strconv.Itoa(int(calls.Add(1)))}, nil
			})
			s := newSender(nil)
			got := func(doc string) string { return decodeWireReply(t, serve(h, s.post(t, doc)).Body.Bytes()).Content }
			assert.Equal(t, "1", got(tc.a))
			assert.Equal(t, "2", got(tc.b), "a different event in the same second was taken for a retry")
			assert.Equal(t, "1", got(tc.a), "a retry of the first event")
			assert.Equal(t, "2", got(tc.b), "a retry of the second event")
			assert.Equal(t, int32(2), calls.Load())
		})
	}
}

func TestHandlerNilOptionAndZeroValue(t *testing.T) {
	t.Parallel()
	_, err := NewHandler(cbToken, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nil option")

	var zero Handler
	w := serve(&zero, newSender(nil).post(t, textMsg(1, "hi")))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.Contains(t, w.Body.String(), "NewHandler")
	reply, err := zero.Dispatch(context.Background(), &Message{MsgType: MsgTypeText})
	assert.NoError(t, err)
	assert.Nil(t, reply)
	zero.HandleText(echo)
	reply, err = zero.Dispatch(context.Background(), &Message{MsgType: MsgTypeText, Content: "x"})
	assert.NoError(t, err)
	assert.Equal(t, TextReply{Content: "echo: x"}, reply)
}

// Rejections that mean misconfiguration reach an Info-level log as one Warn line per cause
// and minute, with a hint and the count of the lines held back; no secret, OpenID or
// content is logged.
func TestHandlerLogsMisconfigurationRateLimited(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	const otherKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	wrongToken := newSender(nil)
	wrongToken.token = "wrongToken99"
	cases := []struct {
		name   string
		opts   []HandlerOption
		sender *sender
		cause  []string // the first that appears must be logged (a wrong key may also look like another AppID)
		hint   string
	}{
		{"wrong token", nil, wrongToken, []string{"invalid signature"}, "Token"},
		{"wrong token, safe mode", []HandlerOption{WithHandlerCrypter(c)}, &sender{token: "wrongToken99", crypter: c, now: testNow, nonce: "n"}, []string{"invalid msg_signature"}, "Token"},
		{"another AppID", []HandlerOption{WithHandlerEncodingAESKey("wx0123456789abcdef", sampleAESKey)}, newSender(c), []string{"message for another AppID"}, "AppID"},
		{"wrong key", []HandlerOption{WithHandlerEncodingAESKey(sample2AppID, otherKey)}, newSender(c), []string{"undecryptable Encrypt", "message for another AppID"}, "WithHandlerEncodingAESKey"},
		{"no key", nil, newSender(c), []string{"no EncodingAESKey"}, "WithHandlerEncodingAESKey"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			opts := append([]HandlerOption{WithHandlerLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))}, tc.opts...)
			h, clock := clockedHandler(t, opts...)
			h.HandleText(echo)
			req := capture(t, tc.sender.post(t, textMsg(7, "my secret content")))
			for i := 0; i < 200; i++ {
				w := req.replay(h)
				require.GreaterOrEqual(t, w.Code, 400)
				require.Less(t, w.Code, 500)
			}
			out := logs.String()
			lines := strings.Split(strings.TrimSpace(out), "\n")
			require.Len(t, lines, 1, "200 rejections, one line: %s", out)
			assert.Contains(t, lines[0], "level=WARN")
			assert.Contains(t, lines[0], tc.hint)
			assert.Contains(t, lines[0], "suppressed=0")
			found := false
			for _, cause := range tc.cause {
				found = found || strings.Contains(lines[0], cause)
			}
			assert.True(t, found, "%q names none of %q", lines[0], tc.cause)

			clock.Advance(61 * time.Second)
			req.replay(h)
			lines = strings.Split(strings.TrimSpace(logs.String()), "\n")
			require.Len(t, lines, 2)
			assert.Contains(t, lines[1], "suppressed=199", "the next line counts the rejections held back")
			for _, secret := range []string{cbToken, "wrongToken99", sampleAESKey, otherKey, "oUser", "my secret content"} {
				assert.NotContains(t, logs.String(), secret)
			}
		})
	}
}

// An echo bot flooded with large messages keeps its heap within the store's byte bound
// (issue: 600 messages of 1 MB grew it by 576 MiB, the bound was in entries only).
func TestHandlerEchoFloodStaysWithinByteBound(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 30 MB of messages")
	}
	const bound = 8 << 20
	st, err := NewMemoryDedupeStore(WithMemoryDedupeStoreMaxBytes(bound))
	require.NoError(t, err)
	h := newTestHandler(t, WithHandlerDedupeStore(st))
	h.HandleText(echo)
	content := strings.Repeat("长", 100<<10/3)
	s := newSender(nil)
	reqs := make([]captured, 300)
	for i := range reqs {
		reqs[i] = capture(t, s.post(t, textMsg(int64(9_000_000+i), content)))
	}
	before := heapInUse()
	for _, r := range reqs {
		w := r.replay(h)
		require.Equal(t, http.StatusOK, w.Code)
		require.Greater(t, w.Body.Len(), 100<<10-10)
	}
	grew := heapInUse() - before
	t.Logf("heap grew %d KiB for 300 replies of 100 KiB; bound %d KiB", grew>>10, bound>>10)
	assert.Less(t, grew, int64(bound)+(2<<20))
	assert.LessOrEqual(t, st.Bytes(), int64(bound))
	assert.Equal(t, 300, st.Len(), "every message is still remembered")
	runtime.KeepAlive(reqs)
}

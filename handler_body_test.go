package offiaccount

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBufClass(t *testing.T) {
	tests := []struct{ n, class int }{
		{0, 0}, {1, 0}, {4096, 0}, {4097, 1}, {8192, 1}, {8193, 2},
		{1 << 20, 8}, {1<<20 + 1, 9}, {2 << 20, 9}, {2<<20 + 1, -1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.class, bufClass(tt.n), "bufClass(%d)", tt.n)
	}
}

func TestBufPoolSizes(t *testing.T) {
	for _, n := range []int{1, 4096, 5000, 700 << 10, 2 << 20, 3 << 20} {
		b := getBufSize(n)
		assert.GreaterOrEqual(t, cap(*b), n, "getBufSize(%d)", n)
		assert.Zero(t, len(*b))
		*b = append(*b, "x"...)
		putBuf(b)
	}
	// A buffer grown past the largest class is not kept; one below the smallest neither.
	big := make([]byte, 10, 3<<20)
	putBuf(&big)
	small := make([]byte, 10, 100)
	putBuf(&small)
	for i := 0; i < 4; i++ {
		got := getBufSize(2 << 20)
		assert.LessOrEqual(t, cap(*got), 2<<20, "a 3 MiB buffer came back from the pool")
	}
}

// A small announced body one byte over the cap, whose last read also reports EOF, is still
// too large.
func TestReadRequestBodySmallOverCap(t *testing.T) {
	h := newTestHandler(t, WithHandlerMaxBodyBytes(1000))
	for _, n := range []int{1000, 1001} {
		r := httptest.NewRequest(http.MethodPost, "/wechat", io.NopCloser(iotest.DataErrReader(strings.NewReader(strings.Repeat("x", n)))))
		r.ContentLength = 1000
		body, _, err := h.readRequestBody(r, true)
		if n > 1000 {
			assert.ErrorIs(t, err, errBodyTooLarge)
			continue
		}
		require.NoError(t, err)
		assert.Len(t, body, n)
	}
}

// lyingRequest carries body but announces contentLength.
func lyingRequest(body string, contentLength int64) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/wechat", io.NopCloser(strings.NewReader(body)))
	r.ContentLength = contentLength
	return r
}

func TestReadRequestBody(t *testing.T) {
	h := newTestHandler(t, WithHandlerMaxBodyBytes(64<<10))
	long := strings.Repeat("0123456789", 6000) // 60,000 bytes
	tests := []struct {
		name  string
		body  string
		cl    int64
		owned bool
		err   error
	}{
		{"announced", "<xml/>", 6, true, nil},
		{"announced, pooled", "<xml/>", 6, false, nil},
		{"unknown length", long, -1, true, nil},
		{"unknown length, pooled", long, -1, false, nil},
		{"shorter than announced", "<xml/>", 600, true, nil},
		{"longer than announced", long, 10, true, nil},
		{"longer than announced, pooled", long, 10, false, nil},
		{"over the cap, unannounced", long + long, -1, true, errBodyTooLarge},
		{"over the cap, announced small", long + long, 10, false, errBodyTooLarge},
		{"over the cap, announced small, owned", long + long, 10, true, errBodyTooLarge},
		{"announced exactly the small-body size", strings.Repeat("x", 1<<minBufShift-1), 1<<minBufShift - 1, true, nil},
		{"empty", "", 0, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, pooled, err := h.readRequestBody(lyingRequest(tt.body, tt.cl), tt.owned)
			if pooled != nil {
				defer putBuf(pooled)
			}
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.body, string(body))
			assert.Equal(t, tt.owned, pooled == nil, "owned bodies are not pooled")
			if tt.owned {
				assert.Equal(t, len(body), cap(body), "an owned body, which becomes Raw, has no spare room to append into")
			}
		})
	}
}

// The Message's strings share Raw: they must stay right after the request's buffers go
// back to the pool and serve other requests.
func TestMessageOutlivesPooledBuffers(t *testing.T) {
	for _, mode := range []string{"plain", "safe"} {
		t.Run(mode, func(t *testing.T) {
			var c *MessageCrypter
			opts := []HandlerOption{WithHandlerDedupeStore(nil)}
			if mode == "safe" {
				c = mustCrypter(t, sample2AppID, sampleAESKey)
				opts = append(opts, WithHandlerCrypter(c))
			}
			h := newTestHandler(t, opts...)
			var kept []*Message
			h.HandleText(func(_ context.Context, m *Message) (Reply, error) {
				kept = append(kept, m)
				return nil, nil
			})
			s := newSender(c)
			for i := 0; i < 50; i++ {
				w := serve(h, s.post(t, textMsg(int64(i+1), strings.Repeat("内容", i*100))))
				require.Equal(t, http.StatusOK, w.Code)
			}
			for i, m := range kept {
				assert.Equal(t, strings.Repeat("内容", i*100), m.Content)
				assert.Equal(t, "oUser", m.FromUserName)
				assert.Contains(t, string(m.Raw), "<MsgId>"+strconv.Itoa(i+1)+"</MsgId>")
			}
		})
	}
}

// Large messages: the reply is right, and a message allocates at most three times its body
// (issue 18's bound), buffers being sized once and pooled.
func TestHandlerLargeMessage(t *testing.T) {
	content := strings.Repeat("你好，公众号! hello <b>&</b> 42", 500<<10/38)
	for _, mode := range []string{"plain", "safe"} {
		t.Run(mode, func(t *testing.T) {
			var c *MessageCrypter
			opts := []HandlerOption{}
			if mode == "safe" {
				c = mustCrypter(t, sample2AppID, sampleAESKey)
				opts = append(opts, WithHandlerCrypter(c))
			}
			h := newTestHandler(t, opts...)
			h.HandleText(func(_ context.Context, m *Message) (Reply, error) {
				return TextReply{Content: m.Content}, nil
			})
			s := newSender(c)
			const n = 8
			reqs := make([]*http.Request, n+1)
			bodies := make([][]byte, n+1)
			for i := range reqs {
				r := s.post(t, textMsg(int64(i+1), content))
				b, err := io.ReadAll(r.Body)
				require.NoError(t, err)
				bodies[i], reqs[i] = b, r
			}
			rec := httptest.NewRecorder()
			rec.Body.Grow(1 << 20)
			run := func(i int) {
				rec.Body.Reset()
				reqs[i].Body = io.NopCloser(bytes.NewReader(bodies[i]))
				reqs[i].ContentLength = int64(len(bodies[i]))
				h.ServeHTTP(rec, reqs[i])
			}
			run(n) // warm the pools
			require.Equal(t, http.StatusOK, rec.Code)
			reply := rec.Body.Bytes()
			if c != nil {
				var env struct{ Encrypt string }
				require.NoError(t, xml.Unmarshal(reply, &env))
				var err error
				reply, err = c.Decrypt(env.Encrypt)
				require.NoError(t, err)
			}
			assert.Equal(t, content, decodeWireReply(t, reply).Content)

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := 0; i < n; i++ {
				run(i)
			}
			runtime.ReadMemStats(&after)
			perMsg := float64(after.TotalAlloc-before.TotalAlloc) / n
			t.Logf("%s: %.0f bytes allocated per message of %d body bytes (%.2f×)", mode, perMsg, len(bodies[0]), perMsg/float64(len(bodies[0])))
			if !raceEnabled {
				assert.LessOrEqual(t, perMsg, 3*float64(len(bodies[0])))
			}
		})
	}
}

func TestCheckedText(t *testing.T) {
	doc := []byte("<xml><Content><![CDATA[" + strings.Repeat("你好 hello ", 10) + "]]></Content></xml>")
	s := bytesString(doc)
	start := strings.Index(s, "你")
	end := strings.Index(s, "]]>")
	assert.True(t, checkedText(doc, s[start:end]), "the whole value")
	assert.True(t, checkedText(doc, s[start+3:end]), "from the second character")
	assert.False(t, checkedText(doc, s[start+1:end]), "cut inside a character at the start")
	assert.False(t, checkedText(doc, s[start:end-8]), "cut inside a character at the end")
	assert.False(t, checkedText(doc, strings.Clone(s[start:end])), "a copy is not in the document")
	assert.False(t, checkedText(doc, s[start:start+10]), "too short to bother")
	assert.False(t, checkedText(nil, s[start:end]))
	other := bytes.Clone(doc)
	assert.False(t, checkedText(other, s[start:end]), "another document")
}

// Echoed text goes out unchecked only when it is a piece of the message; anything else is
// escaped as before.
func TestHandlerEchoesLongText(t *testing.T) {
	long := strings.Repeat("长文本 with ]] and > and \t tabs ", 20)
	tests := []struct {
		name  string
		reply func(m *Message) string
		want  string
	}{
		{"echo", func(m *Message) string { return m.Content }, long},
		{"a piece cut at a character", func(m *Message) string { return m.Content[3:] }, long[3:]},
		{"ends with brackets", func(m *Message) string { return m.Content[:strings.LastIndex(m.Content, "]]")+2] }, long[:strings.LastIndex(long, "]]")+2]},
		{"a piece cut inside a character", func(m *Message) string { return m.Content[1:] }, "\uFFFD\uFFFD" + long[3:]},
		{"own text with ]]>", func(m *Message) string { return m.Content + "]]>" + m.Content }, long + "]]>" + long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newTestHandler(t)
			h.HandleText(func(_ context.Context, m *Message) (Reply, error) {
				return TextReply{Content: tt.reply(m)}, nil
			})
			w := serve(h, newSender(nil).post(t, textMsg(1, long)))
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tt.want, decodeWireReply(t, w.Body.Bytes()).Content)
		})
	}
}

// trickle yields a few bytes and then fails, as a client that announced a large body and
// stalls (or hangs up) does.
type trickle struct{ n int }

func (r *trickle) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := min(len(p), r.n)
	for i := range p[:n] {
		p[i] = 'x'
	}
	r.n -= n
	return n, nil
}

// The memory a request's body takes follows the bytes that arrived, not the Content-Length
// it announced: a client that announces 1 MiB and sends a few bytes (a stalled upload, or a
// flood of them, which needs no valid signature in safe mode) does not make the Handler
// commit a megabyte per request.
func TestHandlerBodyMemoryFollowsArrivingBytes(t *testing.T) {
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	h := newTestHandler(t, WithHandlerCrypter(c))
	h.HandleText(echo)
	for _, mode := range []string{"plain", "safe"} {
		q := newSender(nil).query("")
		if mode == "safe" {
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", strings.Repeat("0", 40))
		}
		runtime.GC()
		runtime.GC() // empty the buffer pools
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < 4; i++ {
			r := httptest.NewRequest(http.MethodPost, "/wechat?"+q.Encode(), io.NopCloser(&trickle{n: 100}))
			r.ContentLength = DefaultMaxBodyBytes
			assert.Equal(t, http.StatusBadRequest, serve(h, r).Code, mode)
		}
		runtime.ReadMemStats(&after)
		perRequest := (after.TotalAlloc - before.TotalAlloc) / 4
		assert.Less(t, perRequest, uint64(128<<10), "%s: %d bytes allocated for a request that sent 100 body bytes", mode, perRequest)
	}
}

// readOwned at the edges of its chunks and of its final buffer, with honest and lying
// Content-Lengths and readers that return little at a time or fail.
func TestReadOwned(t *testing.T) {
	const limit = 1 << 20
	var sizes []int
	for _, n := range []int{0, 1, 4095, maxPresize, 2 * maxPresize, 4 * maxPresize, 512 << 10} {
		sizes = append(sizes, max(n-1, 0), n, n+1)
	}
	errBoom := errors.New("boom")
	for _, n := range sizes {
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i*7 + i>>9)
		}
		for _, hint := range []int{1 << minBufShift, n + 1, n/2 + 1, 2*n + 1, n + maxPresize} {
			// A hint that is not an announced size (Content-Length absent), and one that is.
			for _, rd := range []string{"whole", "one byte", "half", "whole, announced", "half, announced"} {
				announced := strings.HasSuffix(rd, ", announced")
				var r io.Reader = bytes.NewReader(body)
				switch rd {
				case "one byte":
					if n > 3*maxPresize {
						continue // slow, and nothing more to learn
					}
					r = iotest.OneByteReader(r)
				case "half", "half, announced":
					r = iotest.HalfReader(r)
				}
				got, fits, err := readOwned(r, hint, announced, limit)
				require.NoError(t, err, "n=%d hint=%d %s", n, hint, rd)
				require.True(t, fits)
				require.True(t, bytes.Equal(body, got), "n=%d hint=%d %s", n, hint, rd)
				assert.Equal(t, len(got), cap(got), "no spare capacity")
			}
		}
		if n > 0 {
			got, fits, err := readOwned(iotest.DataErrReader(io.MultiReader(bytes.NewReader(body), iotest.ErrReader(errBoom))), n+1, true, limit)
			assert.ErrorIs(t, err, errBoom, "n=%d", n)
			assert.True(t, fits)
			assert.True(t, bytes.Equal(body, got), "what arrived before the error, n=%d", n)
			_, fits, _ = readOwned(bytes.NewReader(body), n+1, true, int64(n-1))
			assert.False(t, fits, "over the limit, n=%d", n)
		}
	}
}

func BenchmarkReadOwned(b *testing.B) {
	body := bytes.Repeat([]byte("你好，公众号! hello <b>&</b> 42"), 500<<10/38)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	r := bytes.NewReader(body)
	for i := 0; i < b.N; i++ {
		r.Reset(body)
		if _, _, err := readOwned(r, len(body)+1, true, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

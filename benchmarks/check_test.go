package benchmarks

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
)

// textXML builds a text reply by hand, independently of every peer.
func textXML(to, from string, created int64, msgType, content string) string {
	return "<xml><ToUserName><![CDATA[" + to + "]]></ToUserName><FromUserName><![CDATA[" + from +
		"]]></FromUserName><CreateTime>" + strconv.FormatInt(created, 10) + "</CreateTime><MsgType><![CDATA[" +
		msgType + "]]></MsgType><Content><![CDATA[" + content + "]]></Content></xml>"
}

// sealed wraps inner as a safe-mode reply encrypted with crypter and signed with token.
func sealed(t *testing.T, crypter *offiaccount.MessageCrypter, token, inner, ts string) string {
	t.Helper()
	enc, err := crypter.Encrypt([]byte(inner))
	require.NoError(t, err)
	return "<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt><MsgSignature><![CDATA[" +
		offiaccount.MsgSignature(token, ts, "n0nce", enc) + "]]></MsgSignature><TimeStamp>" + ts +
		"</TimeStamp><Nonce><![CDATA[n0nce]]></Nonce></xml>"
}

func TestCheckAcceptsCorrectReplies(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	now := time.Now().Unix()
	good := textXML(User, Account, now, "text", Content)
	ours, err := offiaccount.NewMessageCrypter(AppID, EncodingAESKey)
	require.NoError(t, err)

	assert.NoError(t, fx.Check(Verify, 200, []byte(EchoStr)))
	assert.NoError(t, fx.Check(Plain, 200, []byte(good)))
	assert.NoError(t, fx.Check(Plain, 200, []byte("<xml>\n <ToUserName>"+User+"</ToUserName>\n <FromUserName>"+Account+
		"</FromUserName><CreateTime>"+strconv.FormatInt(now, 10)+"</CreateTime><MsgType>text</MsgType><Content>"+
		strings.NewReplacer("<", "&lt;", "&", "&amp;").Replace(Content)+"</Content></xml>")), "entity-escaped text is as good as CDATA")
	assert.NoError(t, fx.Check(Safe, 200, []byte(sealed(t, ours, Token, good, strconv.FormatInt(now, 10)))))
}

func TestCheckRejectsWrongReplies(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	now := time.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	good := textXML(User, Account, now, "text", Content)
	ours, err := offiaccount.NewMessageCrypter(AppID, EncodingAESKey)
	require.NoError(t, err)
	otherApp, err := offiaccount.NewMessageCrypter("wx0000000000000000", EncodingAESKey)
	require.NoError(t, err)
	otherKey, err := offiaccount.NewMessageCrypter(AppID, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	require.NoError(t, err)

	tests := []struct {
		name   string
		c      Case
		status int
		body   string
	}{
		{"verify: forbidden", Verify, 403, EchoStr},
		{"verify: trailing newline", Verify, 200, EchoStr + "\n"},
		{"verify: XML around echostr", Verify, 200, "<xml>" + EchoStr + "</xml>"},
		{"verify: empty", Verify, 200, ""},
		{"plain: success instead of a reply", Plain, 200, "success"},
		{"plain: empty", Plain, 200, ""},
		{"plain: server error", Plain, 500, good},
		{"plain: To and From swapped", Plain, 200, textXML(Account, User, now, "text", Content)},
		{"plain: wrong content", Plain, 200, textXML(User, Account, now, "text", Content+" ")},
		{"plain: content lost its markup", Plain, 200, textXML(User, Account, now, "text", "你好，公众号! hello & 42")},
		{"plain: news instead of text", Plain, 200, textXML(User, Account, now, "news", Content)},
		{"plain: CreateTime in milliseconds", Plain, 200, textXML(User, Account, now*1000, "text", Content)},
		{"plain: CreateTime zero", Plain, 200, textXML(User, Account, 0, "text", Content)},
		{"plain: wrong root", Plain, 200, strings.ReplaceAll(good, "xml>", "reply>")},
		{"plain: truncated", Plain, 200, good[:len(good)-10]},
		{"safe: plaintext reply to an encrypted request", Safe, 200, good},
		{"safe: success", Safe, 200, "success"},
		{"safe: signed with another token", Safe, 200, sealed(t, ours, "otherToken", good, ts)},
		{"safe: sealed for another AppID", Safe, 200, sealed(t, otherApp, Token, good, ts)},
		{"safe: sealed with another key", Safe, 200, sealed(t, otherKey, Token, good, ts)},
		{"safe: right seal, wrong content", Safe, 200, sealed(t, ours, Token, textXML(User, Account, now, "text", "hi"), ts)},
		{"safe: stale timestamp", Safe, 200, sealed(t, ours, Token, good, "1400000000")},
		{"safe: signature tampered", Safe, 200, strings.Replace(sealed(t, ours, Token, good, ts), "<MsgSignature><![CDATA[", "<MsgSignature><![CDATA[0", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fx.Check(tt.c, tt.status, []byte(tt.body))
			assert.ErrorIs(t, err, ErrWrongReply)
		})
	}
}

// lying wraps a correct handler and spoils its reply, the way a buggy peer would.
type lying struct {
	h     http.Handler
	spoil func(string) string
}

func (l lying) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, r)
	w.WriteHeader(rec.Code)
	_, _ = w.Write([]byte(l.spoil(rec.Body.String())))
}

// TestBenchHarnessFailsWrongPeer runs the benchmark harness itself on peers that answer
// wrongly: each must fail, not be timed.
func TestBenchHarnessFailsWrongPeer(t *testing.T) {
	t.Parallel()
	fx := newFixture(t)
	floor, err := NewFloor(Token, AppID, EncodingAESKey)
	require.NoError(t, err)
	plainFloor, err := NewFloor(Token, AppID, EncodingAESKey)
	require.NoError(t, err)
	liars := map[Case]http.Handler{
		Verify: lying{floor, func(s string) string { return s + "\n" }},
		// " 42" is in the content only: a timestamp may hold "42" too.
		Plain: lying{floor, func(s string) string { return strings.Replace(s, " 42", " 43", 1) }},
		// Answers a safe-mode request in plaintext: right content, wrong protocol.
		Safe: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "encrypt_type=aes", "encrypt_type=raw", 1)
			plainFloor.ServeHTTP(w, r)
		}),
	}
	for c, h := range liars {
		err := runChecked(fx, c, h, 64)
		assert.ErrorIs(t, err, ErrWrongReply, "case %s", c)
	}
	for _, c := range Cases {
		assert.NoError(t, runChecked(fx, c, floor, 64), "case %s", c)
	}
}

func TestPeersAnswerCorrectly(t *testing.T) {
	fx := newFixture(t)
	for _, p := range handlerPeers(t) {
		for _, c := range Cases {
			t.Run(p.name+"/"+string(c), func(t *testing.T) {
				if p.err != nil {
					t.Skip(p.err)
				}
				rec := httptest.NewRecorder()
				p.h.ServeHTTP(rec, fx.HTTPRequest(c, 0))
				require.NoError(t, fx.Check(c, rec.Code, rec.Body.Bytes()))
				// Again through the benchmark's reused request and writer.
				require.NoError(t, runChecked(fx, c, p.h, 3))
			})
		}
	}
}

// TestPeersRejectForgedRequests makes sure no peer is fast because it skips a check: a
// request whose signature (or msg_signature, or ciphertext) is wrong must not be answered.
func TestPeersRejectForgedRequests(t *testing.T) {
	fx := newFixture(t)
	ts, err := strconv.ParseInt(fx.Timestamp, 10, 64)
	require.NoError(t, err)
	otherTS := strconv.FormatInt(ts-1, 10)
	forge := map[string]func(r *http.Request){
		"signature": func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "signature=", "signature=0", 1)
		},
		// A handler that trusts encrypt_type=aes to mean "msg_signature checks it all" must
		// still check GETs, and POSTs that carry no msg_signature.
		"signature+aes": func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "signature=", "signature=0", 1) + "&encrypt_type=aes"
		},
		"timestamp": func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "timestamp="+fx.Timestamp, "timestamp="+otherTS, 1)
		},
	}
	for _, p := range handlerPeers(t) {
		for _, c := range Cases {
			for what, f := range forge {
				if c == Safe && (what == "signature" || what == "signature+aes") {
					// msg_signature signs all that signature does, and the body: a handler
					// may check msg_signature alone (offiaccount and the floor do).
					continue
				}
				t.Run(p.name+"/"+string(c)+"/"+what, func(t *testing.T) {
					if p.err != nil {
						t.Skip(p.err)
					}
					r := fx.HTTPRequest(c, 0)
					f(r)
					rec := httptest.NewRecorder()
					p.h.ServeHTTP(rec, r)
					assert.Error(t, fx.Check(c, rec.Code, rec.Body.Bytes()))
					assert.NotEqual(t, http.StatusOK, rec.Code)
				})
			}
		}
		t.Run(p.name+"/safe/msg_signature", func(t *testing.T) {
			if p.err != nil {
				t.Skip(p.err)
			}
			r := fx.HTTPRequest(Safe, 0)
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "msg_signature=", "msg_signature=0", 1)
			rec := httptest.NewRecorder()
			p.h.ServeHTTP(rec, r)
			assert.NotEqual(t, http.StatusOK, rec.Code)
		})
	}
}

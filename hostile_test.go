package offiaccount_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
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

	"github.com/wxgo/offiaccount"
)

// The callback URL is public: anyone can POST anything to it. This suite
// sends the Handler what an attacker, a broken proxy or a confused client
// would, in each of the three message modes, and checks the status, whether
// the user's function ran, that nothing secret was logged, and that no
// request panics or answers 5xx.

// hmode is the message mode (消息加解密方式) a Handler is set up for.
type hmode int

const (
	plainMode  hmode = iota // 明文模式: Handler without a key
	compatMode              // 兼容模式: Handler with a key; requests carry plain fields and Encrypt
	safeMode                // 安全模式: Handler with a key and WithHandlerSafeModeOnly
)

var allModes = []hmode{plainMode, compatMode, safeMode}

func (m hmode) String() string { return [...]string{"plain", "compat", "safe"}[m] }

func (m hmode) encrypted() bool { return m != plainMode }

// msgIDs keeps MsgIds unique across cases, so dedupe never links two cases.
var msgIDs atomic.Int64

func init() { msgIDs.Store(24_000_000_000_000_000) }

// hostileDoc is a valid text message with a fresh MsgId; body goes inside
// Content's CDATA verbatim.
func hostileDoc(content string) []byte {
	return []byte("<xml><ToUserName><![CDATA[gh_harden]]></ToUserName><FromUserName><![CDATA[oAttacker]]></FromUserName>" +
		"<CreateTime>" + strconv.FormatInt(time.Now().Unix(), 10) + "</CreateTime><MsgType><![CDATA[text]]></MsgType>" +
		"<Content><![CDATA[" + content + "]]></Content><MsgId>" + strconv.FormatInt(msgIDs.Add(1), 10) + "</MsgId></xml>")
}

// docWith is a text message whose elements after MsgType are raw XML.
func docWith(raw string) []byte {
	return []byte("<xml><ToUserName><![CDATA[gh_harden]]></ToUserName><FromUserName><![CDATA[oAttacker]]></FromUserName>" +
		"<CreateTime>" + strconv.FormatInt(time.Now().Unix(), 10) + "</CreateTime><MsgType><![CDATA[text]]></MsgType>" +
		raw + "</xml>")
}

// wire is one request under construction. pre-mutators change what gets
// signed; post-mutators change the signed request.
type wire struct {
	mode      hmode
	method    string
	token     string // signs the request
	ts, nonce string
	doc       []byte                      // the plaintext message
	seal      *offiaccount.MessageCrypter // encrypts doc in compat and safe mode
	enc       string                      // the Encrypt text; set to skip sealing doc
	plainReq  bool                        // send doc in plaintext whatever the mode
	envelope  func(enc string) []byte     // builds the body around enc; default per mode

	query    url.Values // set after signing
	rawQuery *string    // replaces query.Encode() when set
	body     []byte
	reader   io.Reader // replaces body when set (no Content-Length)
}

type hostileEnv struct {
	crypter, oldKey, otherApp, unknownKey *offiaccount.MessageCrypter
}

func newHostileEnv(t testing.TB) *hostileEnv {
	mk := func(appID, key string) *offiaccount.MessageCrypter {
		c, err := offiaccount.NewMessageCrypter(appID, key)
		require.NoError(t, err)
		return c
	}
	return &hostileEnv{
		crypter:    mk(hardAppID, hardAESKey),
		oldKey:     mk(hardAppID, hardOldAESKey),
		otherApp:   mk(otherAppID, hardAESKey),
		unknownKey: mk(hardAppID, otherAESKey),
	}
}

func cdata(s string) string { return "<![CDATA[" + s + "]]>" }

// build signs and assembles the request.
func (e *hostileEnv) build(t testing.TB, m hmode, pre, post func(*wire)) *http.Request {
	t.Helper()
	w := &wire{
		mode: m, method: http.MethodPost, token: hardToken,
		ts: strconv.FormatInt(time.Now().Unix(), 10), nonce: strconv.FormatInt(msgIDs.Add(1)%1e9, 10),
		doc: hostileDoc("hello"), seal: e.crypter,
	}
	if pre != nil {
		pre(w)
	}
	w.query = url.Values{
		"signature": {offiaccount.Signature(w.token, w.ts, w.nonce)},
		"timestamp": {w.ts}, "nonce": {w.nonce}, "openid": {"oAttacker"},
	}
	w.body = w.doc
	if m.encrypted() && !w.plainReq {
		if w.enc == "" {
			enc, err := w.seal.Encrypt(w.doc)
			require.NoError(t, err)
			w.enc = enc
		}
		w.query.Set("encrypt_type", "aes")
		w.query.Set("msg_signature", offiaccount.MsgSignature(w.token, w.ts, w.nonce, w.enc))
		switch {
		case w.envelope != nil:
			w.body = w.envelope(w.enc)
		case m == compatMode && bytes.Contains(w.doc, []byte("<xml>")) && bytes.HasSuffix(w.doc, []byte("</xml>")):
			// the plaintext fields beside Encrypt, as WeChat sends them
			inner := w.doc[bytes.Index(w.doc, []byte("<xml>"))+5 : len(w.doc)-6]
			w.body = []byte("<xml>" + string(inner) + "<Encrypt>" + cdata(w.enc) + "</Encrypt></xml>")
		default:
			w.body = []byte("<xml><ToUserName>" + cdata("gh_harden") + "</ToUserName><Encrypt>" + cdata(w.enc) + "</Encrypt></xml>")
		}
	}
	if post != nil {
		post(w)
	}
	q := w.query.Encode()
	if w.rawQuery != nil {
		q = *w.rawQuery
	}
	var rd io.Reader = bytes.NewReader(w.body)
	if w.reader != nil {
		rd = w.reader
	}
	r := httptest.NewRequest(w.method, "/wechat?"+q, rd)
	r.Header.Set("Content-Type", "text/xml")
	return r
}

// sigParam is the query parameter that authenticates a POST in mode m.
func sigParam(m hmode) string {
	if m.encrypted() {
		return "msg_signature"
	}
	return "signature"
}

// rawSeal encrypts plain (whole AES blocks, padding included) with key the
// way WeChat does, without any of MessageCrypter's checks, so that the
// suite can send malformed ciphertexts.
func rawSeal(t testing.TB, encodingAESKey string, plain []byte) string {
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	require.NoError(t, err)
	require.Zero(t, len(plain)%aes.BlockSize)
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

// frame lays out random(16) || len || msg || appID, with declared as the
// length field, and pads it with pad bytes of value padVal (pad 0: correct
// PKCS#7 padding to 32 bytes).
func frame(msg []byte, appID string, declared uint32, padVal byte, pad int) []byte {
	b := make([]byte, 16, 16+4+len(msg)+len(appID)+32)
	_, _ = rand.Read(b)
	b = binary.BigEndian.AppendUint32(b, declared)
	b = append(b, msg...)
	b = append(b, appID...)
	if pad == 0 {
		n := 32 - len(b)%32
		return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
	}
	return append(b, bytes.Repeat([]byte{padVal}, pad)...)
}

type outcome struct {
	status int
	calls  int
}

type hostileCase struct {
	name  string
	modes []hmode // nil: all three
	// reqs builds the requests of the case, sent in order; the outcome is
	// checked on the last one.
	reqs func(t testing.TB, e *hostileEnv, m hmode) []*http.Request
	want outcome
	in   map[hmode]outcome // per-mode exceptions to want
	// sameBody: every response of the case has the same body.
	sameBody bool
	// check inspects the last response and the messages the function saw.
	check func(t *testing.T, m hmode, w *httptest.ResponseRecorder, seen []*offiaccount.Message)
	// fn replaces the user's function (default: reply with a text echo).
	fn offiaccount.HandlerFunc
}

// one is a case made of a single request.
func one(pre, post func(*wire)) func(testing.TB, *hostileEnv, hmode) []*http.Request {
	return func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
		return []*http.Request{e.build(t, m, pre, post)}
	}
}

// withDoc sends doc (sealed in compat and safe mode).
func withDoc(doc []byte) func(*wire) { return func(w *wire) { w.doc = doc } }

// withEnc sends enc as the Encrypt text, signed.
func withEnc(enc string) func(*wire) { return func(w *wire) { w.enc = enc } }

func get(q func(ts, nonce string) url.Values) func(testing.TB, *hostileEnv, hmode) []*http.Request {
	return func(t testing.TB, _ *hostileEnv, _ hmode) []*http.Request {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		return []*http.Request{httptest.NewRequest(http.MethodGet, "/wechat?"+q(ts, "77665").Encode(), nil)}
	}
}

func verifyQuery(token, ts, nonce, echo string) url.Values {
	return url.Values{"signature": {offiaccount.Signature(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
}

var (
	ok200      = outcome{200, 1}
	forbidden  = outcome{403, 0}
	badRequest = outcome{400, 0}
	tooLarge   = outcome{413, 0}
	notAllowed = outcome{405, 0}
	encrypted  = []hmode{compatMode, safeMode}
)

func hostileCases() []hostileCase {
	stale := func(d time.Duration) func(*wire) {
		return func(w *wire) { w.ts = strconv.FormatInt(time.Now().Add(d).Unix(), 10) }
	}
	setTS := func(ts string) func(*wire) { return func(w *wire) { w.ts = ts } }
	big := strings.Repeat("A", 10<<20)
	deep := strings.Repeat("<a>", 20000) + strings.Repeat("</a>", 20000)
	return []hostileCase{
		// --- query parameters
		{name: "no query at all", reqs: one(nil, func(w *wire) { s := ""; w.rawQuery = &s }), want: forbidden},
		{name: "signature missing", reqs: one(nil, func(w *wire) { w.query.Del(sigParam(w.mode)) }), want: forbidden},
		{name: "both signatures missing", reqs: one(nil, func(w *wire) { w.query.Del("signature"); w.query.Del("msg_signature") }), want: forbidden},
		{name: "timestamp missing", reqs: one(nil, func(w *wire) { w.query.Del("timestamp") }), want: forbidden},
		{name: "nonce missing", reqs: one(nil, func(w *wire) { w.query.Del("nonce") }), want: forbidden},
		{name: "signature duplicated, forged one first", reqs: one(nil, func(w *wire) {
			p := sigParam(w.mode)
			w.query[p] = []string{strings.Repeat("0", 40), w.query.Get(p)}
		}), want: forbidden},
		{name: "signature duplicated, genuine one first", reqs: one(nil, func(w *wire) {
			p := sigParam(w.mode)
			w.query[p] = []string{w.query.Get(p), strings.Repeat("0", 40)}
		}), want: ok200},
		{name: "timestamp duplicated, stale one first", reqs: one(nil, func(w *wire) {
			w.query["timestamp"] = []string{"1400000000", w.query.Get("timestamp")}
		}), want: forbidden},
		{name: "oversized signature (64 KiB)", reqs: one(nil, func(w *wire) { w.query.Set(sigParam(w.mode), strings.Repeat("f", 64<<10)) }), want: forbidden},
		{name: "oversized timestamp (10,000 digits), signed", reqs: one(setTS(strings.Repeat("9", 10000)), nil), want: forbidden},
		{name: "oversized nonce (64 KiB), signed", reqs: one(func(w *wire) { w.nonce = strings.Repeat("n", 64<<10) }, nil), want: ok200},
		{name: "malformed percent escape", reqs: one(nil, func(w *wire) {
			s := "signature=%zz&msg_signature=%zz&" + w.query.Encode()
			w.rawQuery = &s
		}), want: badRequest},
		{name: "unknown encrypt_type", reqs: one(nil, func(w *wire) { w.query.Set("encrypt_type", "des") }), want: badRequest},
		{name: "signature wrong by one hex digit", reqs: one(nil, func(w *wire) {
			p := sigParam(w.mode)
			s := []byte(w.query.Get(p))
			s[17] = "0123456789abcdef"[(strings.IndexByte("0123456789abcdef", s[17])+1)%16]
			w.query.Set(p, string(s))
		}), want: forbidden},
		{name: "signature one digit short", reqs: one(nil, func(w *wire) { p := sigParam(w.mode); w.query.Set(p, w.query.Get(p)[:39]) }), want: forbidden},
		{name: "signed with another account's token", reqs: one(func(w *wire) { w.token = "someoneElsesToken9" }, nil), want: forbidden},
		{name: "msg_signature of another Encrypt", modes: encrypted, reqs: func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
			other, err := e.crypter.Encrypt(hostileDoc("other"))
			require.NoError(t, err)
			return []*http.Request{e.build(t, m, nil, func(w *wire) {
				w.query.Set("msg_signature", offiaccount.MsgSignature(w.token, w.ts, w.nonce, other))
			})}
		}, want: forbidden},
		{name: "valid plain signature, no msg_signature", modes: encrypted, reqs: one(nil, func(w *wire) { w.query.Del("msg_signature") }), want: forbidden},
		{name: "downgrade: plaintext request", reqs: one(func(w *wire) { w.plainReq = true }, nil),
			want: ok200, in: map[hmode]outcome{safeMode: forbidden}},
		{name: "encrypt_type stripped from a sealed request", modes: encrypted, reqs: one(nil, func(w *wire) {
			w.query.Del("encrypt_type")
			w.query.Del("msg_signature")
		}), want: ok200, in: map[hmode]outcome{safeMode: forbidden}},
		// WeChat's plaintext signature covers the query, not the body: whoever
		// sees one signed URL can post any body with it for the rest of the
		// timestamp window. Only WithHandlerSafeModeOnly closes that door.
		{name: "captured query reused with a forged plaintext body", reqs: func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
			var captured url.Values
			first := e.build(t, m, nil, func(w *wire) { captured = w.query })
			captured.Del("encrypt_type")
			captured.Del("msg_signature")
			forged := httptest.NewRequest(http.MethodPost, "/wechat?"+captured.Encode(), bytes.NewReader(hostileDoc("forged")))
			return []*http.Request{first, forged}
		}, want: outcome{200, 2}, in: map[hmode]outcome{safeMode: {403, 1}}},
		{name: "encrypt_type=aes without a key configured", modes: []hmode{plainMode}, reqs: one(nil, func(w *wire) {
			w.query.Set("encrypt_type", "aes")
			w.query.Set("msg_signature", strings.Repeat("0", 40))
		}), want: badRequest},

		// --- timestamps and replays
		{name: "stale timestamp (301 s)", reqs: one(stale(-301*time.Second), nil), want: forbidden},
		{name: "future timestamp (301 s)", reqs: one(stale(301*time.Second), nil), want: forbidden},
		{name: "timestamp 4 minutes old", reqs: one(stale(-4*time.Minute), nil), want: ok200},
		{name: "timestamp not a number, signed", reqs: one(setTS("yesterday"), nil), want: forbidden},
		{name: "timestamp overflows int64, signed", reqs: one(setTS("99999999999999999999"), nil), want: forbidden},
		{name: "timestamp is the smallest int64, signed", reqs: one(setTS("-9223372036854775808"), nil), want: forbidden},
		{name: "negative timestamp, signed", reqs: one(setTS("-1"), nil), want: forbidden},
		{name: "replayed request, byte for byte", reqs: func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
			var saved *wire
			r1 := e.build(t, m, nil, func(w *wire) { saved = w })
			r2 := httptest.NewRequest(http.MethodPost, r1.URL.String(), bytes.NewReader(saved.body))
			return []*http.Request{r1, r2}
		}, want: ok200, sameBody: true},
		{name: "replayed with a fresh signature (WeChat's retry)", reqs: func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
			doc := hostileDoc("retry me")
			return []*http.Request{e.build(t, m, withDoc(doc), nil), e.build(t, m, withDoc(doc), nil), e.build(t, m, withDoc(doc), nil)}
		}, want: ok200, sameBody: true},

		// --- methods and verification
		{name: "PUT", reqs: one(func(w *wire) { w.method = http.MethodPut }, nil), want: notAllowed},
		{name: "DELETE", reqs: one(func(w *wire) { w.method = http.MethodDelete }, nil), want: notAllowed},
		{name: "HEAD", reqs: one(func(w *wire) { w.method = http.MethodHead }, nil), want: notAllowed},
		{name: "made-up method", reqs: one(func(w *wire) { w.method = "BREW" }, nil), want: notAllowed},
		{name: "verify: genuine", reqs: get(func(ts, n string) url.Values { return verifyQuery(hardToken, ts, n, "8843914423") }),
			want: outcome{200, 0}, check: func(t *testing.T, _ hmode, w *httptest.ResponseRecorder, _ []*offiaccount.Message) {
				assert.Equal(t, "8843914423", w.Body.String())
			}},
		{name: "verify: markup in echostr goes out as inert text", reqs: get(func(ts, n string) url.Values {
			return verifyQuery(hardToken, ts, n, "<script>alert(1)</script>")
		}), want: outcome{200, 0}, check: func(t *testing.T, _ hmode, w *httptest.ResponseRecorder, _ []*offiaccount.Message) {
			assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
		}},
		{name: "verify: another token", reqs: get(func(ts, n string) url.Values { return verifyQuery("someoneElsesToken9", ts, n, "1") }), want: forbidden},
		{name: "verify: no echostr", reqs: get(func(ts, n string) url.Values { return verifyQuery(hardToken, ts, n, "") }), want: badRequest},
		{name: "verify: echostr of 64 KiB", reqs: get(func(ts, n string) url.Values { return verifyQuery(hardToken, ts, n, strings.Repeat("e", 64<<10)) }), want: badRequest},
		{name: "verify: stale timestamp", reqs: get(func(_, n string) url.Values { return verifyQuery(hardToken, "1400000000", n, "1") }), want: forbidden},

		// --- bodies
		{name: "empty body", reqs: one(nil, func(w *wire) { w.body = nil }), want: badRequest},
		{name: "10 MB body with Content-Length", reqs: one(nil, func(w *wire) { w.body = []byte(big) }), want: tooLarge},
		{name: "10 MB body, chunked", reqs: one(nil, func(w *wire) { w.reader = io.MultiReader(strings.NewReader(big)) }), want: tooLarge},
		{name: "10 MB message inside a signed envelope", reqs: one(withDoc(hostileDoc(big)), nil), want: tooLarge},
		{name: "body cut in half", reqs: one(nil, func(w *wire) { w.body = w.body[:len(w.body)/2] }), want: badRequest},
		{name: "message cut in half", reqs: one(func(w *wire) { w.doc = w.doc[:len(w.doc)/2] }, nil), want: badRequest},
		{name: "billion laughs", reqs: one(withDoc([]byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">`+
			`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>`+
			`<xml><ToUserName>gh_harden</ToUserName><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>`)), nil), want: badRequest},
		{name: "external entity", reqs: one(withDoc([]byte(`<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`+
			`<xml><ToUserName>gh_harden</ToUserName><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>`)), nil), want: badRequest},
		{name: "undeclared entity reference", reqs: one(withDoc(docWith("<Content>&xxe;</Content>")), nil), want: badRequest},
		{name: "20,000 nested elements", reqs: one(withDoc(docWith(deep)), nil), want: badRequest},
		{name: "5,000 sibling elements", reqs: one(withDoc(docWith(strings.Repeat("<a/>", 5000))), nil), want: badRequest},
		{name: "unknown element nested 4 deep is delivered", reqs: one(withDoc(docWith("<New><Deeper><Deepest>x</Deepest></Deeper></New><MsgId>"+strconv.FormatInt(msgIDs.Add(1), 10)+"</MsgId>")), nil),
			want: ok200, check: func(t *testing.T, _ hmode, _ *httptest.ResponseRecorder, seen []*offiaccount.Message) {
				require.Len(t, seen, 1)
				assert.Contains(t, string(seen[0].Raw), "<Deepest>x</Deepest>")
			}},
		{name: "invalid UTF-8", reqs: one(withDoc(hostileDoc("caf\xe9 \xff\xfe")), nil), want: badRequest},
		{name: "NUL byte", reqs: one(withDoc(hostileDoc("a\x00b")), nil), want: badRequest},
		{name: "escape control character", reqs: one(withDoc(hostileDoc("\x1b[2J")), nil), want: badRequest},
		{name: "character reference to NUL", reqs: one(withDoc(docWith("<Content>&#0;</Content>")), nil), want: badRequest},
		{name: "]]> split across CDATA sections", reqs: one(withDoc(hostileDoc("a]]]]><![CDATA[>b")), nil), want: ok200,
			check: func(t *testing.T, _ hmode, _ *httptest.ResponseRecorder, seen []*offiaccount.Message) {
				require.Len(t, seen, 1)
				assert.Equal(t, "a]]>b", seen[0].Content)
			}},
		{name: "bare ]]> in text", reqs: one(withDoc(docWith("<Content>a]]>b</Content>")), nil), want: badRequest},
		{name: "duplicate MsgId and Content", reqs: one(withDoc(docWith("<Content>one</Content><Content>two</Content><MsgId>"+
			strconv.FormatInt(msgIDs.Add(1), 10)+"</MsgId><MsgId>"+strconv.FormatInt(msgIDs.Add(1), 10)+"</MsgId>")), nil),
			want: ok200},
		{name: "two root elements", reqs: one(func(w *wire) { w.doc = append(w.doc, "<xml></xml>"...) }, nil), want: badRequest},
		{name: "declared GBK encoding", reqs: one(func(w *wire) { w.doc = append([]byte(`<?xml version="1.0" encoding="GBK"?>`), w.doc...) }, nil), want: badRequest},
		{name: "byte order mark and XML declaration", reqs: one(func(w *wire) {
			w.doc = append([]byte("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), w.doc...)
		}, nil), want: ok200},
		{name: "namespaced element", reqs: one(withDoc(docWith("<x:Content xmlns:x='urn:x'>a</x:Content>")), nil), want: badRequest},
		{name: "CreateTime not a number", reqs: one(withDoc([]byte("<xml><ToUserName>gh_harden</ToUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>")), nil), want: badRequest},
		{name: "MsgId overflows int64", reqs: one(withDoc(docWith("<Content>x</Content><MsgId>99999999999999999999</MsgId>")), nil), want: badRequest},
		{name: "Location_X is NaN", reqs: one(withDoc([]byte("<xml><ToUserName>gh_harden</ToUserName><MsgType>location</MsgType><Location_X>NaN</Location_X><MsgId>5</MsgId></xml>")), nil), want: badRequest},
		{name: "unknown MsgType is delivered", reqs: one(withDoc([]byte("<xml><ToUserName>gh_harden</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>hologram</MsgType><MsgId>"+
			strconv.FormatInt(msgIDs.Add(1), 10)+"</MsgId></xml>")), nil), want: ok200},

		// --- the Encrypt element (compat and safe mode)
		{name: "Encrypt missing", modes: encrypted, reqs: one(nil, func(w *wire) { w.body = []byte("<xml><ToUserName>gh_harden</ToUserName></xml>") }), want: badRequest},
		{name: "Encrypt empty, signed", modes: encrypted, reqs: one(func(w *wire) { w.envelope = func(string) []byte { return []byte("<xml><Encrypt></Encrypt></xml>") } }, func(w *wire) {
			w.query.Set("msg_signature", offiaccount.MsgSignature(w.token, w.ts, w.nonce, ""))
		}), want: badRequest},
		{name: "Encrypt nested below the root", modes: encrypted, reqs: one(func(w *wire) {
			w.envelope = func(enc string) []byte { return []byte("<xml><Wrap><Encrypt>" + enc + "</Encrypt></Wrap></xml>") }
		}, nil), want: badRequest},
		{name: "two Encrypt elements, forged one first", modes: encrypted, reqs: func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
			forged := rawSeal(t, otherAESKey, frame([]byte("<xml/>"), hardAppID, 6, 0, 0))
			return []*http.Request{e.build(t, m, func(w *wire) {
				w.envelope = func(enc string) []byte {
					return []byte("<xml><Encrypt>" + forged + "</Encrypt><Encrypt>" + enc + "</Encrypt></xml>")
				}
			}, nil)}
		}, want: forbidden},
		{name: "bad base64, signed", modes: encrypted, reqs: one(withEnc("!!not*base64!!"), nil), want: badRequest},
		{name: "base64 with a NUL inside, signed", modes: encrypted, reqs: func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
			enc, err := e.crypter.Encrypt(hostileDoc("x"))
			require.NoError(t, err)
			return []*http.Request{e.build(t, m, withEnc(enc[:20]+"\x00"+enc[20:]), nil)}
		}, want: badRequest},
		{name: "ciphertext not a multiple of 16, signed", modes: encrypted, reqs: one(withEnc(base64.StdEncoding.EncodeToString(make([]byte, 20))), nil), want: badRequest},
		{name: "one block of zeros, signed", modes: encrypted, reqs: one(withEnc(base64.StdEncoding.EncodeToString(make([]byte, 16))), nil), want: badRequest},
		{name: "padding bytes disagree, signed", modes: encrypted, want: badRequest},
		{name: "padding value 0, signed", modes: encrypted, want: badRequest},
		{name: "padding value 33, signed", modes: encrypted, want: badRequest},
		{name: "declared length past the end, signed", modes: encrypted, want: badRequest},
		{name: "declared length 4 GiB, signed", modes: encrypted, want: badRequest},
		{name: "frame shorter than its header, signed", modes: encrypted, want: badRequest},
		{name: "another account's AppID, signed", modes: encrypted, want: forbidden},
		{name: "previous EncodingAESKey", modes: encrypted, want: ok200},
		{name: "unknown EncodingAESKey, signed", modes: encrypted, want: badRequest},

		// --- the user's function
		{name: "function panics", want: outcome{200, 1}, fn: func(context.Context, *offiaccount.Message) (offiaccount.Reply, error) {
			panic("boom")
		}, check: func(t *testing.T, _ hmode, w *httptest.ResponseRecorder, _ []*offiaccount.Message) {
			assert.Equal(t, "success", w.Body.String())
		}},
		{name: "function returns an error", want: outcome{200, 1}, fn: func(context.Context, *offiaccount.Message) (offiaccount.Reply, error) {
			return nil, errors.New("upstream failed")
		}, check: func(t *testing.T, _ hmode, w *httptest.ResponseRecorder, _ []*offiaccount.Message) {
			assert.Equal(t, "success", w.Body.String())
		}},
		{name: "reply text with ]]>, NUL and escapes stays valid XML", want: ok200,
			fn: func(context.Context, *offiaccount.Message) (offiaccount.Reply, error) {
				return offiaccount.TextReply{Content: "a]]>b\x00c\x1bd<e>&f"}, nil
			},
			check: func(t *testing.T, m hmode, w *httptest.ResponseRecorder, _ []*offiaccount.Message) {
				body := w.Body.Bytes()
				if m.encrypted() {
					body = openReply(t, body)
				}
				var r struct{ Content string }
				require.NoError(t, xml.Unmarshal(body, &r), "%s", body)
				assert.Equal(t, "a]]>bcd<e>&f", r.Content)
			}},
	}
}

// openReply checks and decrypts an encrypted reply.
func openReply(t *testing.T, body []byte) []byte {
	t.Helper()
	var env struct{ Encrypt, MsgSignature, TimeStamp, Nonce string }
	require.NoError(t, xml.Unmarshal(body, &env), "%s", body)
	require.True(t, offiaccount.CheckMsgSignature(env.MsgSignature, hardToken, env.TimeStamp, env.Nonce, env.Encrypt), "reply signature")
	c, err := offiaccount.NewMessageCrypter(hardAppID, hardAESKey)
	require.NoError(t, err)
	plain, err := c.Decrypt(env.Encrypt)
	require.NoError(t, err)
	return plain
}

// modeOptions configures a Handler for mode m.
func modeOptions(m hmode) []offiaccount.HandlerOption {
	switch m {
	case compatMode:
		return []offiaccount.HandlerOption{offiaccount.WithHandlerEncodingAESKey(hardAppID, hardAESKey, hardOldAESKey)}
	case safeMode:
		return []offiaccount.HandlerOption{offiaccount.WithHandlerEncodingAESKey(hardAppID, hardAESKey, hardOldAESKey), offiaccount.WithHandlerSafeModeOnly()}
	}
	return nil
}

// newModeHandler returns the Handler of mode m, its log, and what its
// default function saw.
func newModeHandler(t testing.TB, m hmode, fn offiaccount.HandlerFunc, extra ...offiaccount.HandlerOption) (*offiaccount.Handler, *syncBuffer, func() []*offiaccount.Message) {
	logger, logs := testLogger(t)
	opts := append(modeOptions(m), offiaccount.WithHandlerLogger(logger))
	h, err := offiaccount.NewHandler(hardToken, append(opts, extra...)...)
	require.NoError(t, err)
	var mu sync.Mutex
	var seen []*offiaccount.Message
	if fn == nil {
		fn = func(_ context.Context, msg *offiaccount.Message) (offiaccount.Reply, error) {
			return offiaccount.TextReply{Content: "echo " + strconv.FormatInt(msg.MsgID, 10)}, nil
		}
	}
	h.HandleDefault(func(ctx context.Context, msg *offiaccount.Message) (offiaccount.Reply, error) {
		mu.Lock()
		seen = append(seen, msg)
		mu.Unlock()
		return fn(ctx, msg)
	})
	return h, logs, func() []*offiaccount.Message {
		mu.Lock()
		defer mu.Unlock()
		return append([]*offiaccount.Message(nil), seen...)
	}
}

// serveSafely runs one request and reports a panic instead of crashing.
func serveSafely(h http.Handler, r *http.Request) (w *httptest.ResponseRecorder, panicked any) {
	w = httptest.NewRecorder()
	defer func() { panicked = recover() }()
	h.ServeHTTP(w, r)
	return w, nil
}

func TestHostileRequests(t *testing.T) {
	t.Parallel()
	env := newHostileEnv(t)
	cases := hostileCases()
	fillCryptoCases(cases)
	require.GreaterOrEqual(t, len(cases), 40)
	names := map[string]bool{}
	for _, tc := range cases {
		require.False(t, names[tc.name], "duplicate case %q", tc.name)
		names[tc.name] = true
		modes := tc.modes
		if modes == nil {
			modes = allModes
		}
		for _, m := range modes {
			t.Run(m.String()+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				want := tc.want
				if o, ok := tc.in[m]; ok {
					want = o
				}
				h, logs, seen := newModeHandler(t, m, tc.fn)
				build := tc.reqs
				if build == nil {
					build = one(nil, nil) // an authentic text message
				}
				reqs := build(t, env, m)
				require.NotEmpty(t, reqs)
				var bodies []string
				var last *httptest.ResponseRecorder
				for i, r := range reqs {
					w, p := serveSafely(h, r)
					require.Nil(t, p, "request %d panicked", i)
					assert.Less(t, w.Code, 500, "request %d answered %d %q", i, w.Code, w.Body.String())
					bodies = append(bodies, w.Body.String())
					last = w
				}
				assert.Equal(t, want.status, last.Code, "body %q; log:\n%s", last.Body.String(), logs.String())
				assert.Len(t, seen(), want.calls, "times the user's function ran")
				if tc.sameBody {
					// Encrypted answers are sealed afresh each time: compare what they carry.
					open := func(b string) string {
						if m.encrypted() && strings.Contains(b, "<Encrypt>") {
							return string(openReply(t, []byte(b)))
						}
						return b
					}
					for _, b := range bodies[1:] {
						assert.Equal(t, open(bodies[0]), open(b), "a replay gets the first answer")
					}
					assert.NotEqual(t, "success", bodies[0])
				}
				if want.status == 200 && want.calls > 0 && tc.fn == nil {
					assert.NotEqual(t, "success", last.Body.String(), "the echo reply went out")
				}
				if tc.check != nil {
					tc.check(t, m, last, seen())
				}
				assertNoSecret(t, "response body", last.Body.String())
			})
		}
	}
}

// fillCryptoCases gives the ciphertext cases their requests: each needs a
// hand-made frame.
func fillCryptoCases(cases []hostileCase) {
	sealed := func(key string, mk func() []byte) func(testing.TB, *hostileEnv, hmode) []*http.Request {
		return func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
			return []*http.Request{e.build(t, m, withEnc(rawSeal(t, key, mk())), nil)}
		}
	}
	for i := range cases {
		tc := &cases[i]
		doc := func() []byte { return hostileDoc("x") }
		switch tc.name {
		case "padding bytes disagree, signed":
			tc.reqs = sealed(hardAESKey, func() []byte {
				d := doc()
				if (16+4+len(d)+len(hardAppID))%32 == 31 {
					d = append(d, ' ') // one byte of padding cannot disagree: make it 32
				}
				f := frame(d, hardAppID, uint32(len(d)), 0, 0)
				f[len(f)-2] ^= 0x01
				return f
			})
		case "padding value 0, signed":
			tc.reqs = sealed(hardAESKey, func() []byte {
				d := doc()
				f := frame(d, hardAppID, uint32(len(d)), 0, 0)
				f[len(f)-1] = 0
				return f
			})
		case "padding value 33, signed":
			tc.reqs = sealed(hardAESKey, func() []byte {
				d := doc()
				b := frame(d, hardAppID, uint32(len(d)), 0, 0)
				n := int(b[len(b)-1])
				b = b[:len(b)-n]
				// pad to a multiple of 32 with 1 to 32 bytes, then make the value 33
				return append(b, bytes.Repeat([]byte{33}, n)...)
			})
		case "declared length past the end, signed":
			tc.reqs = sealed(hardAESKey, func() []byte { d := doc(); return frame(d, hardAppID, uint32(len(d)+len(hardAppID)+1), 0, 0) })
		case "declared length 4 GiB, signed":
			tc.reqs = sealed(hardAESKey, func() []byte { return frame(doc(), hardAppID, 0xFFFFFFFF, 0, 0) })
		case "frame shorter than its header, signed":
			tc.reqs = sealed(hardAESKey, func() []byte { return bytes.Repeat([]byte{16}, 32)[:32] })
		case "another account's AppID, signed":
			tc.reqs = func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
				return []*http.Request{e.build(t, m, func(w *wire) { w.seal = e.otherApp }, nil)}
			}
		case "previous EncodingAESKey":
			tc.reqs = func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
				return []*http.Request{e.build(t, m, func(w *wire) { w.seal = e.oldKey }, nil)}
			}
		case "unknown EncodingAESKey, signed":
			tc.reqs = func(t testing.TB, e *hostileEnv, m hmode) []*http.Request {
				return []*http.Request{e.build(t, m, func(w *wire) { w.seal = e.unknownKey }, nil)}
			}
		}
	}
}

// FuzzHandlerHostile sends random bodies and queries, authentic or not, to the
// Handler in each mode: it must never panic, never answer 5xx, and never run
// the user's function for a request that fails its checks.
func FuzzHandlerHostile(f *testing.F) {
	env := newHostileEnv(f)
	f.Add(uint8(0), uint8(0), "", []byte(nil))
	f.Add(uint8(1), uint8(1), "", hostileDoc("hi"))
	f.Add(uint8(2), uint8(1), "", hostileDoc("hi"))
	f.Add(uint8(0), uint8(1), "", []byte("<xml><MsgType>event</MsgType><Event>subscribe</Event></xml>"))
	f.Add(uint8(1), uint8(2), "", []byte("<xml><Encrypt>AAAA</Encrypt></xml>"))
	f.Add(uint8(2), uint8(0), "signature=a&timestamp=1&nonce=2&encrypt_type=aes&msg_signature=b", []byte("<xml/>"))
	f.Add(uint8(0), uint8(3), "echostr=1&signature=x", []byte(nil))
	f.Add(uint8(1), uint8(1), "", docWith(strings.Repeat("<a>", 20)+strings.Repeat("</a>", 20)))
	handlers := make([]*offiaccount.Handler, 3)
	var calls atomic.Int64
	leaks := &leakWriter{}
	logger := slog.New(slog.NewTextHandler(leaks, &slog.HandlerOptions{Level: slog.LevelDebug}))
	for i, m := range allModes {
		opts := append(modeOptions(m), offiaccount.WithHandlerLogger(logger), offiaccount.WithHandlerMaxBodyBytes(64<<10))
		h, err := offiaccount.NewHandler(hardToken, opts...)
		require.NoError(f, err)
		h.HandleDefault(func(context.Context, *offiaccount.Message) (offiaccount.Reply, error) {
			calls.Add(1)
			return offiaccount.TextReply{Content: "ok"}, nil
		})
		handlers[i] = h
	}
	f.Fuzz(func(t *testing.T, mode, how uint8, rawQuery string, body []byte) {
		m := allModes[int(mode)%3]
		h := handlers[m]
		var r *http.Request
		signed := false
		switch how % 4 {
		case 0: // the query as given, the body as given
			u := &url.URL{Path: "/wechat", RawQuery: rawQuery}
			r = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			r.URL = u
		case 1: // body as the message, sealed and signed as WeChat would
			if len(body) > 32<<10 {
				return
			}
			r = env.build(t, m, withDoc(body), nil)
			signed = true
		case 2: // body as the Encrypt text, signed
			r = env.build(t, m, withEnc(string(body)), nil)
			signed = true
		case 3: // verification with the query as given
			r = httptest.NewRequest(http.MethodGet, "/", nil)
			r.URL = &url.URL{Path: "/wechat", RawQuery: rawQuery}
		}
		before := calls.Load()
		w, p := serveSafely(h, r)
		if p != nil {
			t.Fatalf("panic: %v", p)
		}
		if w.Code >= 500 {
			t.Fatalf("answered %d %q", w.Code, w.Body.String())
		}
		ran := calls.Load() != before
		if ran && w.Code != 200 {
			t.Fatalf("function ran but the request was answered %d", w.Code)
		}
		if ran && !signed {
			t.Fatalf("function ran for an unsigned request (query %q)", rawQuery)
		}
		if leaked := leaks.found.Load(); leaked != nil {
			t.Fatalf("log holds %v", *leaked)
		}
	})
}

// leakWriter checks each log record for secrets without keeping it, for
// long runs (fuzzing, load).
type leakWriter struct{ found atomic.Pointer[[]string] }

func (w *leakWriter) Write(p []byte) (int, error) {
	if leaked := suiteLogs.leaks(string(p)); len(leaked) > 0 {
		w.found.CompareAndSwap(nil, &leaked)
	}
	return len(p), nil
}

// A replay of a message whose function is still running, from a client that
// stays connected past the moment WeChat would have hung up, must not get a
// 5xx either.
func TestHostileReplayWhileFunctionRuns(t *testing.T) {
	t.Parallel()
	env := newHostileEnv(t)
	for _, m := range allModes {
		release := make(chan struct{})
		h, _, seen := newModeHandler(t, m, func(ctx context.Context, _ *offiaccount.Message) (offiaccount.Reply, error) {
			<-release
			return offiaccount.TextReply{Content: "late"}, nil
		}, offiaccount.WithHandlerRetryTiming(offiaccount.RetryTiming{Attempts: 3, AttemptTimeout: 100 * time.Millisecond, Margin: 20 * time.Millisecond}))
		doc := hostileDoc("slow")
		first := env.build(t, m, withDoc(doc), nil)
		done := make(chan *httptest.ResponseRecorder)
		go func() { w, _ := serveSafely(h, first); done <- w }()
		for len(seen()) == 0 {
			time.Sleep(time.Millisecond)
		}
		w, p := serveSafely(h, env.build(t, m, withDoc(doc), nil))
		close(release)
		<-done
		require.Nil(t, p)
		assert.Less(t, w.Code, 500, "%s: replay answered %d %q", m, w.Code, w.Body.String())
	}
}

package benchmarks

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/wxgo/offiaccount"
)

// The account every peer is configured with. AppID and EncodingAESKey are the sample values
// of WeChat's message encryption documentation.
const (
	Token          = "benchToken2024"
	AppID          = "wx5823bf96d3bd56c7"
	AppSecret      = "benchAppSecret0123456789abcdef01"
	EncodingAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	Account        = "gh_3f1e8b7a9c2d"                // the account's original id (ToUserName)
	User           = "oBench_9v7PzQ1xY2w3E4r5T6y7U8i" // the sender's openid
	Content        = "你好，公众号! hello <b>&</b> 42"      // one text message in, echoed back out
	MsgID          = 23581321345589144                // the first message's MsgId; variant i has MsgID+i
	Nonce          = "1320562132"
	EchoStr        = "5838479218127813673"
	Path           = "/wechat"
)

// Case is one kind of callback request.
type Case string

// The three callbacks every peer answers.
const (
	Verify Case = "verify" // GET URL verification: answer echostr
	Plain  Case = "plain"  // POST plaintext text message: answer a plaintext text reply
	Safe   Case = "safe"   // POST safe-mode (AES) text message: answer an encrypted, signed reply
)

// Cases lists the cases in the order results are shown.
var Cases = []Case{Verify, Plain, Safe}

// Request is one callback request as WeChat would send it, kept as bytes so that every peer
// gets exactly the same input.
type Request struct {
	Method      string
	Target      string // path and query
	ContentType string // empty for GET
	Body        []byte
}

// Variants is how many distinct messages a Fixture holds per POST case for tests and as
// templates. They differ only in MsgId (same length, same content). The benchmarks do not
// cycle them: they ask [Fixture.NewRequest] for a message with a MsgId never sent before,
// because a handler that dedupes WeChat's retries by MsgId, as offiaccount does by default,
// would otherwise answer from its store.
const Variants = 1024

// Fixture holds the requests of one benchmark run, built once, and checks replies.
type Fixture struct {
	Timestamp string
	// Content is the text of every message and of the reply expected.
	Content string
	// Requests holds, per case, the variants to send in turn: one request for Verify;
	// Variants messages for Plain (MsgId MsgID+i) and for Safe (MsgId MsgID+Variants+i)
	// (fewer for large contents).
	Requests map[Case][]Request
	crypter  *offiaccount.MessageCrypter
	now      func() time.Time
	sig      string
	nextID   atomic.Int64 // the next fresh MsgId
}

// Request returns the i-th request of case c, cycling through its variants.
func (f *Fixture) Request(c Case, i int) Request {
	v := f.Requests[c]
	return v[i%len(v)]
}

// NewFixture builds the requests with timestamp now, as WeChat would send them at that time,
// each carrying the text Content.
// Build one per benchmark function and share it between peers: the requests are then
// byte-identical for all of them, and fresh enough for handlers that check the timestamp.
func NewFixture(now time.Time) (*Fixture, error) {
	return buildFixture(now, Content, Variants)
}

// NewSizedFixture is NewFixture for messages whose text is contentBytes long (Content
// repeated, cut at a character boundary). Large contents get fewer stored variants.
func NewSizedFixture(now time.Time, contentBytes int) (*Fixture, error) {
	return buildFixture(now, SizedContent(contentBytes), max(4, min(Variants, (8<<20)/(contentBytes+1))))
}

// SizedContent is Content repeated to n bytes, cut at a character boundary.
func SizedContent(n int) string {
	s := strings.Repeat(Content, n/len(Content)+1)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func buildFixture(now time.Time, content string, variants int) (*Fixture, error) {
	c, err := offiaccount.NewMessageCrypter(AppID, EncodingAESKey)
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	fx := &Fixture{
		Timestamp: ts,
		Content:   content,
		crypter:   c,
		now:       time.Now,
		sig:       offiaccount.Signature(Token, ts, Nonce),
		Requests: map[Case][]Request{
			Verify: {{Method: http.MethodGet, Target: query("signature", offiaccount.Signature(Token, ts, Nonce), "echostr", EchoStr, "timestamp", ts, "nonce", Nonce)}},
		},
	}
	fx.nextID.Store(MsgID + 2*Variants)
	for i := 0; i < variants; i++ {
		// The safe-mode messages are other messages (other MsgIds) than the plaintext ones:
		// one handler serves both cases in a run, and a message arrives in one mode only.
		for _, m := range []struct {
			c  Case
			id int64
		}{{Plain, MsgID + int64(i)}, {Safe, MsgID + Variants + int64(i)}} {
			rq, err := fx.request(m.c, m.id)
			if err != nil {
				return nil, err
			}
			fx.Requests[m.c] = append(fx.Requests[m.c], rq)
		}
	}
	return fx, nil
}

// NewRequest returns a request of case c (Plain or Safe) carrying a message whose MsgId this
// fixture has never used, as every new message from WeChat has; Verify has no message and
// returns the fixture's one request.
func (f *Fixture) NewRequest(c Case) (Request, error) {
	if c == Verify {
		return f.Requests[Verify][0], nil
	}
	return f.request(c, f.nextID.Add(1))
}

func query(kv ...string) string {
	var b strings.Builder
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[i] + "=" + url.QueryEscape(kv[i+1]))
	}
	return Path + "?" + b.String()
}

// request builds the request of case c for the message msgID.
func (f *Fixture) request(c Case, msgID int64) (Request, error) {
	ts := f.Timestamp
	msg := textMessageXML(ts, msgID, f.Content)
	if c == Plain {
		return Request{Method: http.MethodPost, ContentType: "text/xml", Body: msg,
			Target: query("signature", f.sig, "timestamp", ts, "nonce", Nonce, "openid", User)}, nil
	}
	enc, err := f.crypter.Encrypt(msg)
	if err != nil {
		return Request{}, err
	}
	body := []byte("<xml>\n<ToUserName><![CDATA[" + Account + "]]></ToUserName>\n<Encrypt><![CDATA[" + enc + "]]></Encrypt>\n</xml>")
	msgSig := offiaccount.MsgSignature(Token, ts, Nonce, enc)
	return Request{Method: http.MethodPost, ContentType: "text/xml", Body: body,
		Target: query("signature", f.sig, "timestamp", ts, "nonce", Nonce, "openid", User, "encrypt_type", "aes", "msg_signature", msgSig)}, nil
}

// textMessageXML is a text message as WeChat posts it: CDATA values, one element a line.
func textMessageXML(ts string, msgID int64, content string) []byte {
	return []byte("<xml>\n" +
		"<ToUserName><![CDATA[" + Account + "]]></ToUserName>\n" +
		"<FromUserName><![CDATA[" + User + "]]></FromUserName>\n" +
		"<CreateTime>" + ts + "</CreateTime>\n" +
		"<MsgType><![CDATA[text]]></MsgType>\n" +
		"<Content><![CDATA[" + content + "]]></Content>\n" +
		"<MsgId>" + strconv.FormatInt(msgID, 10) + "</MsgId>\n" +
		"</xml>")
}

// HTTPRequest returns a new *http.Request for the i-th request of c, as a server would hand
// it to a handler. Each call returns an independent request with its own body reader.
func (f *Fixture) HTTPRequest(c Case, i int) *http.Request {
	return NewHTTPRequest(f.Request(c, i))
}

// NewHTTPRequest returns rq as a server would hand it to a handler, with its own body reader.
func NewHTTPRequest(rq Request) *http.Request {
	var body io.Reader
	if rq.Body != nil {
		body = bytes.NewReader(rq.Body)
	}
	r, err := http.NewRequest(rq.Method, "http://127.0.0.1"+rq.Target, body)
	if err != nil {
		panic(err) // the fixture's own constant target: a bug here, not input
	}
	r.RequestURI = rq.Target
	r.RemoteAddr = "127.0.0.1:40000"
	if rq.ContentType != "" {
		r.Header.Set("Content-Type", rq.ContentType)
	}
	return r
}

// ErrWrongReply is wrapped by every error of [Fixture.Check].
var ErrWrongReply = errors.New("benchmarks: wrong reply")

// textReply is a passive text reply; the checker decodes it with encoding/xml, independently
// of every peer's encoder.
type textReply struct {
	XMLName      xml.Name
	ToUserName   string
	FromUserName string
	CreateTime   string
	MsgType      string
	Content      string
}

type encryptedReply struct {
	XMLName      xml.Name
	Encrypt      string
	MsgSignature string
	TimeStamp    string
	Nonce        string
}

// Check reports whether status and body are a correct answer to the request of case c:
// the echostr for Verify; a text reply to the sender, from the account, echoing Content, for
// Plain; and for Safe the same reply encrypted for AppID and signed with MsgSignature, which
// Check verifies and decrypts with offiaccount's MessageCrypter.
func (f *Fixture) Check(c Case, status int, body []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("%w: %s: status %d, body %.80q", ErrWrongReply, c, status, body)
	}
	switch c {
	case Verify:
		if string(body) != EchoStr {
			return fmt.Errorf("%w: verify: body %.80q, want the echostr %q exactly", ErrWrongReply, body, EchoStr)
		}
		return nil
	case Plain:
		return f.checkText(body)
	case Safe:
		var env encryptedReply
		if err := xml.Unmarshal(body, &env); err != nil {
			return fmt.Errorf("%w: safe: not XML: %v", ErrWrongReply, err)
		}
		if env.XMLName.Local != "xml" || env.Encrypt == "" || env.TimeStamp == "" || env.Nonce == "" {
			return fmt.Errorf("%w: safe: want <xml> with Encrypt, MsgSignature, TimeStamp, Nonce; got %.200q", ErrWrongReply, body)
		}
		if err := f.checkTime(env.TimeStamp); err != nil {
			return fmt.Errorf("%w: safe: TimeStamp: %v", ErrWrongReply, err)
		}
		if !offiaccount.CheckMsgSignature(env.MsgSignature, Token, env.TimeStamp, env.Nonce, env.Encrypt) {
			return fmt.Errorf("%w: safe: MsgSignature %q does not sign the reply", ErrWrongReply, env.MsgSignature)
		}
		inner, err := f.crypter.Decrypt(env.Encrypt)
		if err != nil {
			return fmt.Errorf("%w: safe: cannot decrypt the reply: %v", ErrWrongReply, err)
		}
		return f.checkText(inner)
	}
	return fmt.Errorf("%w: unknown case %q", ErrWrongReply, c)
}

func (f *Fixture) checkText(doc []byte) error {
	var r textReply
	if err := xml.Unmarshal(doc, &r); err != nil {
		return fmt.Errorf("%w: reply is not XML: %v: %.200q", ErrWrongReply, err, doc)
	}
	switch {
	case r.XMLName.Local != "xml":
		return fmt.Errorf("%w: root element <%s>, want <xml>", ErrWrongReply, r.XMLName.Local)
	case r.MsgType != "text":
		return fmt.Errorf("%w: MsgType %q, want text: %.200q", ErrWrongReply, r.MsgType, doc)
	case r.ToUserName != User:
		return fmt.Errorf("%w: ToUserName %q, want the sender %q", ErrWrongReply, r.ToUserName, User)
	case r.FromUserName != Account:
		return fmt.Errorf("%w: FromUserName %q, want the account %q", ErrWrongReply, r.FromUserName, Account)
	case r.Content != f.Content:
		return fmt.Errorf("%w: Content %.80q, want %.80q", ErrWrongReply, r.Content, f.Content)
	}
	if err := f.checkTime(r.CreateTime); err != nil {
		return fmt.Errorf("%w: CreateTime: %v", ErrWrongReply, err)
	}
	return nil
}

// checkTime accepts a unix time within an hour of now: a reply stamped in another epoch
// (milliseconds, zero) is wrong.
func (f *Fixture) checkTime(s string) error {
	t, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a unix time", s)
	}
	if d := f.now().Unix() - t; d > 3600 || d < -3600 {
		return fmt.Errorf("%d is %d s away from now", t, d)
	}
	return nil
}

package offiaccounttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wxgo/offiaccount"
)

// Mode is how WeChat delivers messages to the server, as set in the admin page
// (消息加解密方式).
type Mode int

const (
	ModePlaintext  Mode = iota // 明文模式: plain XML, no encryption
	ModeCompatible             // 兼容模式: plain fields and an Encrypt element side by side
	ModeSafe                   // 安全模式: only the Encrypt element
)

// String names the mode as the admin page does, in English.
func (m Mode) String() string {
	switch m {
	case ModePlaintext:
		return "plaintext"
	case ModeCompatible:
		return "compatible"
	case ModeSafe:
		return "safe"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Sender plays WeChat toward a callback server: it builds a message or event, signs it,
// encrypts it when the mode asks for it, posts it with WeChat's timeout and retries, then
// checks the reply's signature and XML, decrypts it and decodes it. Set the fields, then
// call [Sender.Verify] or [Sender.Send]. A Sender is safe for concurrent use once set up.
type Sender struct {
	// Target is the callback URL, such as http://localhost:8080/wechat. Ignored when Handler is set.
	Target string
	// Handler, when set, receives the requests in process, with no network.
	Handler http.Handler
	// Token is the server configuration Token (令牌).
	Token string
	// Mode selects plaintext, compatible or safe delivery.
	Mode Mode
	// AppID and EncodingAESKey seal messages in compatible and safe mode.
	AppID, EncodingAESKey string
	// Account is the account's original id (原始ID, gh_…) used as ToUserName when a message
	// leaves it empty. Default "gh_offiaccounttest".
	Account string
	// AttemptTimeout is how long WeChat waits for each attempt. Default 5 s.
	AttemptTimeout time.Duration
	// Attempts is how many times WeChat tries before giving up. Default 3.
	Attempts int
	// HTTPClient sends the requests to Target. Default: a client without a timeout of its
	// own (AttemptTimeout bounds each attempt).
	HTTPClient *http.Client
	// Now is the clock for CreateTime and timestamp. Default time.Now.
	Now func() time.Time

	msgID atomic.Int64
}

// UserMessage is a message or event as WeChat posts it: the common fields and the rest in
// document order. Build one with [Text], [Image], [Location], [Link], [Event], [Subscribe],
// [Scan], [Click] or [View], or by hand for types this package has no helper for.
type UserMessage struct {
	ToUserName   string // default Sender.Account
	FromUserName string // the user's openid
	CreateTime   int64  // default: the Sender's clock
	MsgType      string
	MsgID        int64   // for messages (not events); 0 picks the next id
	Fields       []Field // everything after MsgType, in order
}

// Field is one element of a message: a text value, a number, or nested elements.
type Field struct {
	Name     string
	Value    string
	Number   bool    // write Value bare instead of in CDATA
	Children []Field // nested elements; Value is ignored when set
}

// Text is a text message (文本消息) from openID.
func Text(openID, content string) UserMessage {
	return UserMessage{FromUserName: openID, MsgType: "text", Fields: []Field{{Name: "Content", Value: content}}}
}

// Image is an image message (图片消息).
func Image(openID, picURL, mediaID string) UserMessage {
	return UserMessage{FromUserName: openID, MsgType: "image", Fields: []Field{{Name: "PicUrl", Value: picURL}, {Name: "MediaId", Value: mediaID}}}
}

// Location is a location message (地理位置消息): latitude x, longitude y.
func Location(openID string, x, y float64, scale int, label string) UserMessage {
	return UserMessage{FromUserName: openID, MsgType: "location", Fields: []Field{
		{Name: "Location_X", Value: strconv.FormatFloat(x, 'f', -1, 64), Number: true},
		{Name: "Location_Y", Value: strconv.FormatFloat(y, 'f', -1, 64), Number: true},
		{Name: "Scale", Value: strconv.Itoa(scale), Number: true},
		{Name: "Label", Value: label},
	}}
}

// Link is a link message (链接消息).
func Link(openID, title, description, link string) UserMessage {
	return UserMessage{FromUserName: openID, MsgType: "link", Fields: []Field{{Name: "Title", Value: title}, {Name: "Description", Value: description}, {Name: "Url", Value: link}}}
}

// Event is an event push (事件推送) named event, with an EventKey when key is not empty and
// any further fields.
func Event(openID, event, key string, more ...Field) UserMessage {
	fields := []Field{{Name: "Event", Value: event}}
	if key != "" {
		fields = append(fields, Field{Name: "EventKey", Value: key})
	}
	return UserMessage{FromUserName: openID, MsgType: "event", Fields: append(fields, more...)}
}

// Subscribe is a follow event; with a scene it is a follow through a parametric QR code
// (EventKey qrscene_<scene> and its Ticket).
func Subscribe(openID, scene string) UserMessage {
	if scene == "" {
		return Event(openID, "subscribe", "")
	}
	return Event(openID, "subscribe", "qrscene_"+scene, Field{Name: "Ticket", Value: "TICKET_" + scene})
}

// Scan is the SCAN event of a follower scanning a parametric QR code.
func Scan(openID, scene string) UserMessage {
	return Event(openID, "SCAN", scene, Field{Name: "Ticket", Value: "TICKET_" + scene})
}

// Click is the CLICK event of a menu button with the given key.
func Click(openID, key string) UserMessage { return Event(openID, "CLICK", key) }

// View is the VIEW event of a menu link.
func View(openID, link string) UserMessage { return Event(openID, "VIEW", link) }

// IsEvent reports whether m is an event push.
func (m UserMessage) IsEvent() bool { return m.MsgType == "event" }

// XML renders the message as WeChat writes it.
func (m UserMessage) XML() []byte {
	var b bytes.Buffer
	b.WriteString("<xml>")
	writeFields(&b, []Field{
		{Name: "ToUserName", Value: m.ToUserName},
		{Name: "FromUserName", Value: m.FromUserName},
		{Name: "CreateTime", Value: strconv.FormatInt(m.CreateTime, 10), Number: true},
		{Name: "MsgType", Value: m.MsgType},
	})
	writeFields(&b, m.Fields)
	if !m.IsEvent() && m.MsgID != 0 {
		writeFields(&b, []Field{{Name: "MsgId", Value: strconv.FormatInt(m.MsgID, 10), Number: true}})
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

func writeFields(b *bytes.Buffer, fields []Field) {
	for _, f := range fields {
		b.WriteString("<" + f.Name + ">")
		switch {
		case f.Children != nil:
			writeFields(b, f.Children)
		case f.Number:
			xml.EscapeText(b, []byte(f.Value))
		default:
			writeCDATA(b, f.Value)
		}
		b.WriteString("</" + f.Name + ">")
	}
}

// writeCDATA splits "]]>" across two sections so any text survives.
func writeCDATA(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}

// Exchange is one delivery: what was sent, what came back and how many attempts it took.
type Exchange struct {
	Message  UserMessage    // the message as sent, defaults filled in
	Request  []byte         // the message's plaintext XML
	Body     []byte         // the HTTP body posted (the sealed envelope in safe mode)
	Query    url.Values     // signature, timestamp, nonce, openid, and encrypt_type/msg_signature
	Attempts int            // attempts made, 1 to Sender.Attempts
	Status   int            // HTTP status of the answered attempt
	Raw      []byte         // the answer's body as received
	ReplyXML []byte         // the reply's plaintext XML; empty for "success" or an empty answer
	Reply    *ReceivedReply // the decoded reply; nil when the server chose not to reply
}

// ReceivedReply is a passive reply (被动回复) as the user's WeChat would receive it.
type ReceivedReply struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	Image        struct {
		MediaID string `xml:"MediaId"`
	} `xml:"Image"`
	Voice struct {
		MediaID string `xml:"MediaId"`
	} `xml:"Voice"`
	Video struct {
		MediaID     string `xml:"MediaId"`
		Title       string `xml:"Title"`
		Description string `xml:"Description"`
	} `xml:"Video"`
	Music struct {
		Title        string `xml:"Title"`
		Description  string `xml:"Description"`
		MusicURL     string `xml:"MusicUrl"`
		HQMusicURL   string `xml:"HQMusicUrl"`
		ThumbMediaID string `xml:"ThumbMediaId"`
	} `xml:"Music"`
	ArticleCount int `xml:"ArticleCount"`
	Articles     []struct {
		Title       string `xml:"Title"`
		Description string `xml:"Description"`
		PicURL      string `xml:"PicUrl"`
		URL         string `xml:"Url"`
	} `xml:"Articles>item"`
}

// Errors a Sender reports about the server under test.
var (
	// ErrNoAnswer: every attempt timed out or failed; a user would see
	// "该公众号暂时无法提供服务，请稍后再试".
	ErrNoAnswer = errors.New("offiaccounttest: server did not answer within WeChat's attempts")
	// ErrBadReply: the answer is not a reply WeChat would accept (status, XML, signature,
	// encryption, or addressing).
	ErrBadReply = errors.New("offiaccounttest: invalid reply")
)

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) crypter() (*offiaccount.MessageCrypter, error) {
	return offiaccount.NewMessageCrypter(s.AppID, s.EncodingAESKey)
}

// Verify plays the URL verification (验证服务器地址): a signed GET with a random echostr,
// which the server must echo exactly.
func (s *Sender) Verify(ctx context.Context) error {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce, echo := randomDigits(10), randomDigits(19)
	q := url.Values{
		"signature": {offiaccount.Signature(s.Token, ts, nonce)},
		"timestamp": {ts}, "nonce": {nonce}, "echostr": {echo},
	}
	status, body, _, err := s.attempt(ctx, http.MethodGet, q, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK || string(body) != echo {
		return fmt.Errorf("%w: verification answered %d %q, want 200 %q", ErrBadReply, status, truncate(body), echo)
	}
	return nil
}

// Send delivers m the way WeChat does and returns the exchange. Defaults are filled in m
// (ToUserName, CreateTime, MsgId). The error wraps ErrNoAnswer or ErrBadReply when the
// server misbehaves as WeChat would see it.
func (s *Sender) Send(ctx context.Context, m UserMessage) (*Exchange, error) {
	if m.ToUserName == "" {
		m.ToUserName = s.Account
		if m.ToUserName == "" {
			m.ToUserName = "gh_offiaccounttest"
		}
	}
	now := s.now()
	if m.CreateTime == 0 {
		m.CreateTime = now.Unix()
	}
	if !m.IsEvent() && m.MsgID == 0 {
		m.MsgID = now.UnixNano()/1000 + s.msgID.Add(1)
	}
	plain := m.XML()
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := randomDigits(10)
	q := url.Values{
		"signature": {offiaccount.Signature(s.Token, ts, nonce)},
		"timestamp": {ts}, "nonce": {nonce}, "openid": {m.FromUserName},
	}
	body := plain
	var crypter *offiaccount.MessageCrypter
	if s.Mode != ModePlaintext {
		var err error
		if crypter, err = s.crypter(); err != nil {
			return nil, err
		}
		enc, err := crypter.Encrypt(plain)
		if err != nil {
			return nil, err
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", offiaccount.MsgSignature(s.Token, ts, nonce, enc))
		var b bytes.Buffer
		if s.Mode == ModeCompatible {
			b.Write(plain[:len(plain)-len("</xml>")])
		} else {
			b.WriteString("<xml><ToUserName>")
			writeCDATA(&b, m.ToUserName)
			b.WriteString("</ToUserName>")
		}
		b.WriteString("<Encrypt>")
		writeCDATA(&b, enc)
		b.WriteString("</Encrypt></xml>")
		body = b.Bytes()
	}
	ex := &Exchange{Message: m, Request: plain, Body: body, Query: q}
	status, raw, attempts, err := s.attempt(ctx, http.MethodPost, q, body)
	ex.Attempts, ex.Status, ex.Raw = attempts, status, raw
	if err != nil {
		return ex, err
	}
	if status != http.StatusOK {
		return ex, fmt.Errorf("%w: HTTP status %d", ErrBadReply, status)
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "success" {
		return ex, nil
	}
	replyXML, err := s.openReply(crypter, trimmed)
	if err != nil {
		return ex, err
	}
	ex.ReplyXML = replyXML
	var r ReceivedReply
	if err := xml.Unmarshal(replyXML, &r); err != nil {
		return ex, fmt.Errorf("%w: reply is not XML: %v", ErrBadReply, err)
	}
	if r.ToUserName != m.FromUserName || r.FromUserName != m.ToUserName || r.MsgType == "" || r.CreateTime == 0 {
		return ex, fmt.Errorf("%w: reply addressed %q→%q type %q, want %q→%q", ErrBadReply, r.FromUserName, r.ToUserName, r.MsgType, m.ToUserName, m.FromUserName)
	}
	ex.Reply = &r
	return ex, nil
}

// envelope is an encrypted passive reply.
type envelope struct {
	Encrypt      string `xml:"Encrypt"`
	MsgSignature string `xml:"MsgSignature"`
	TimeStamp    string `xml:"TimeStamp"`
	Nonce        string `xml:"Nonce"`
}

// openReply checks and opens an encrypted reply; in plaintext mode the reply is the XML.
func (s *Sender) openReply(crypter *offiaccount.MessageCrypter, raw []byte) ([]byte, error) {
	if crypter == nil {
		return raw, nil
	}
	var env envelope
	if err := xml.Unmarshal(raw, &env); err != nil {
		return nil, fmt.Errorf("%w: reply is not XML: %v", ErrBadReply, err)
	}
	if env.Encrypt == "" {
		if s.Mode == ModeCompatible {
			return raw, nil // compatible mode accepts a plaintext reply
		}
		return nil, fmt.Errorf("%w: safe-mode reply without Encrypt", ErrBadReply)
	}
	if !offiaccount.CheckMsgSignature(env.MsgSignature, s.Token, env.TimeStamp, env.Nonce, env.Encrypt) {
		return nil, fmt.Errorf("%w: reply MsgSignature does not verify", ErrBadReply)
	}
	plain, err := crypter.Decrypt(env.Encrypt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReply, err)
	}
	return plain, nil
}

// attempt sends the request up to Attempts times, each bounded by AttemptTimeout, and
// returns the first answer. Like WeChat, it tries again only when no answer came.
func (s *Sender) attempt(ctx context.Context, method string, q url.Values, body []byte) (status int, raw []byte, attempts int, err error) {
	n := s.Attempts
	if n <= 0 {
		n = 3
	}
	timeout := s.AttemptTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	var lastErr error
	for attempts = 1; attempts <= n; attempts++ {
		status, raw, err = s.roundTrip(ctx, timeout, method, q, body)
		if err == nil {
			return status, raw, attempts, nil
		}
		if ctx.Err() != nil {
			return 0, nil, attempts, ctx.Err()
		}
		lastErr = err
	}
	return 0, nil, n, fmt.Errorf("%w: %d attempts, last: %v", ErrNoAnswer, n, lastErr)
}

func (s *Sender) roundTrip(ctx context.Context, timeout time.Duration, method string, q url.Values, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	target := s.Target
	if s.Handler != nil {
		target = "http://callback.test/"
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return 0, nil, fmt.Errorf("offiaccounttest: Sender.Target %q is not a URL", target)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/xml")
	}
	req.Header.Set("User-Agent", "Mozilla/4.0 (offiaccounttest)")
	hc := s.HTTPClient
	switch {
	case s.Handler != nil:
		hc = &http.Client{Transport: handlerTransport{s.Handler}}
	case hc == nil:
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, raw, nil
}

// handlerTransport serves requests with an http.Handler in process. It stops waiting when
// the request's context ends, as a client whose connection times out would; the handler
// keeps its own recorder and finishes on its own.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	done := make(chan *http.Response, 1)
	go func() {
		rec := httptest.NewRecorder()
		r := req.Clone(req.Context())
		r.RemoteAddr = "127.0.0.1:40000"
		r.RequestURI = req.URL.RequestURI()
		t.h.ServeHTTP(rec, r)
		done <- rec.Result()
	}()
	select {
	case resp := <-done:
		return resp, nil
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
}

func randomDigits(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return strings.Repeat("7", n)
	}
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

func truncate(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "…"
	}
	return string(b)
}

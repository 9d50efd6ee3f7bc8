package offiaccounttest

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
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
)

const (
	sToken  = "sender-token"
	sAppID  = "wx2c2769f8efd9abc2"
	sAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

type inbound struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	Event        string `xml:"Event"`
	EventKey     string `xml:"EventKey"`
	Encrypt      string `xml:"Encrypt"`
	MsgID        int64  `xml:"MsgId"`
}

// bot is a minimal, independent callback server written with encoding/xml, so the Sender is
// tested against the protocol rather than against the SDK's own handler.
type bot struct {
	token   string
	crypter *offiaccount.MessageCrypter
	reply   func(in inbound) string // the reply's inner fields; "" answers success
	delay   func(n int32) time.Duration
	calls   atomic.Int32
	tamper  bool // sign replies with a wrong signature
	swap    bool // address the reply back to the account instead of the user
}

func (b *bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := b.calls.Add(1)
	if b.delay != nil {
		select {
		case <-time.After(b.delay(n)):
		case <-r.Context().Done():
			return
		}
	}
	q := r.URL.Query()
	if !offiaccount.CheckSignature(q.Get("signature"), b.token, q.Get("timestamp"), q.Get("nonce")) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	if r.Method == http.MethodGet {
		io.WriteString(w, q.Get("echostr"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	var in inbound
	if err := xml.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if q.Get("encrypt_type") == "aes" {
		if !offiaccount.CheckMsgSignature(q.Get("msg_signature"), b.token, q.Get("timestamp"), q.Get("nonce"), in.Encrypt) {
			http.Error(w, "bad msg_signature", http.StatusForbidden)
			return
		}
		plain, err := b.crypter.Decrypt(in.Encrypt)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in = inbound{}
		if err := xml.Unmarshal(plain, &in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	inner := b.reply(in)
	if inner == "" {
		io.WriteString(w, "success")
		return
	}
	if b.swap {
		in.FromUserName, in.ToUserName = in.ToUserName, in.FromUserName
	}
	out := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime>%s</xml>", in.FromUserName, in.ToUserName, time.Now().Unix(), inner)
	if q.Get("encrypt_type") != "aes" {
		io.WriteString(w, out)
		return
	}
	enc, _ := b.crypter.Encrypt([]byte(out))
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), "98765"
	sig := offiaccount.MsgSignature(b.token, ts, nonce, enc)
	if b.tamper {
		sig = offiaccount.MsgSignature("other-token", ts, nonce, enc)
	}
	fmt.Fprintf(w, "<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature><TimeStamp>%s</TimeStamp><Nonce><![CDATA[%s]]></Nonce></xml>", enc, sig, ts, nonce)
}

func newBot(t *testing.T) *bot {
	c, err := offiaccount.NewMessageCrypter(sAppID, sAESKey)
	require.NoError(t, err)
	return &bot{token: sToken, crypter: c, reply: func(in inbound) string {
		switch in.MsgType {
		case "text":
			return "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[echo: " + strings.ReplaceAll(in.Content, "]]>", "]]]]><![CDATA[>") + "]]></Content>"
		case "event":
			return "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + in.Event + " " + in.EventKey + "]]></Content>"
		}
		return ""
	}}
}

func TestSenderModes(t *testing.T) {
	t.Parallel()
	for _, mode := range []Mode{ModePlaintext, ModeCompatible, ModeSafe} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			b := newBot(t)
			srv := httptest.NewServer(b)
			defer srv.Close()
			s := &Sender{Target: srv.URL, Token: sToken, Mode: mode, AppID: sAppID, EncodingAESKey: sAESKey}
			require.NoError(t, s.Verify(context.Background()))

			ex, err := s.Send(context.Background(), Text("oUser1", "hello ]]> <world> & 你好"))
			require.NoError(t, err)
			require.NotNil(t, ex.Reply)
			assert.Equal(t, "echo: hello ]]> <world> & 你好", ex.Reply.Content)
			assert.Equal(t, "oUser1", ex.Reply.ToUserName)
			assert.Equal(t, "gh_offiaccounttest", ex.Reply.FromUserName)
			assert.Equal(t, 1, ex.Attempts)
			assert.NotZero(t, ex.Message.MsgID)
			if mode == ModeSafe {
				assert.NotContains(t, string(ex.Body), "hello", "safe mode sends only ciphertext")
				assert.Equal(t, "aes", ex.Query.Get("encrypt_type"))
			}
			if mode == ModeCompatible {
				assert.Contains(t, string(ex.Body), "<Encrypt>")
				assert.Contains(t, string(ex.Body), "<Content>")
			}

			ex, err = s.Send(context.Background(), Click("oUser1", "V1001_GOOD"))
			require.NoError(t, err)
			assert.Equal(t, "CLICK V1001_GOOD", ex.Reply.Content)

			ex, err = s.Send(context.Background(), Image("oUser1", "http://pic", "MEDIA"))
			require.NoError(t, err)
			assert.Nil(t, ex.Reply, "success means no reply")
			assert.Equal(t, "success", string(ex.Raw))
		})
	}
}

func TestSenderInProcessHandler(t *testing.T) {
	t.Parallel()
	s := &Sender{Handler: newBot(t), Token: sToken, Mode: ModeSafe, AppID: sAppID, EncodingAESKey: sAESKey}
	require.NoError(t, s.Verify(context.Background()))
	ex, err := s.Send(context.Background(), Subscribe("oUser2", "promo42"))
	require.NoError(t, err)
	assert.Equal(t, "subscribe qrscene_promo42", ex.Reply.Content)
	assert.Contains(t, string(ex.Request), "<Ticket><![CDATA[TICKET_promo42]]></Ticket>")
	assert.NotContains(t, string(ex.Request), "<MsgId>", "events carry no MsgId")
}

func TestSenderRetriesLikeWeChat(t *testing.T) {
	t.Parallel()
	b := newBot(t)
	b.delay = func(n int32) time.Duration {
		if n == 1 {
			return time.Second // first attempt misses the window
		}
		return 0
	}
	s := &Sender{Handler: b, Token: sToken, AttemptTimeout: 50 * time.Millisecond}
	ex, err := s.Send(context.Background(), Text("oUser3", "slow"))
	require.NoError(t, err)
	assert.Equal(t, 2, ex.Attempts)
	assert.Equal(t, "echo: slow", ex.Reply.Content)

	b2 := newBot(t)
	b2.delay = func(int32) time.Duration { return time.Second }
	s2 := &Sender{Handler: b2, Token: sToken, AttemptTimeout: 20 * time.Millisecond}
	ex, err = s2.Send(context.Background(), Text("oUser3", "never"))
	assert.ErrorIs(t, err, ErrNoAnswer)
	assert.Equal(t, 3, ex.Attempts)
	assert.Equal(t, int32(3), b2.calls.Load())
}

func TestSenderRejectsBadReplies(t *testing.T) {
	t.Parallel()
	cases := map[string]func(b *bot){
		"tampered signature": func(b *bot) { b.tamper = true },
		"misaddressed":       func(b *bot) { b.swap = true },
		"not xml": func(b *bot) {
			b.reply = func(inbound) string { return "<MsgType><![CDATA[text]]" }
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			b := newBot(t)
			mutate(b)
			s := &Sender{Handler: b, Token: sToken, Mode: ModeSafe, AppID: sAppID, EncodingAESKey: sAESKey}
			_, err := s.Send(context.Background(), Text("oUser4", "x"))
			assert.ErrorIs(t, err, ErrBadReply)
		})
	}
	// A server with another token fails verification and every send.
	b := newBot(t)
	s := &Sender{Handler: b, Token: "wrong", Mode: ModePlaintext}
	assert.ErrorIs(t, s.Verify(context.Background()), ErrBadReply)
	_, err := s.Send(context.Background(), Text("oUser4", "x"))
	assert.ErrorIs(t, err, ErrBadReply)
}

func TestMessageXMLIsWellFormed(t *testing.T) {
	t.Parallel()
	m := Location("oUser5", 23.134521, 113.358803, 20, "位置 ]]> <信息>")
	m.ToUserName, m.CreateTime, m.MsgID = "gh_x", 1700000000, 42
	var got struct {
		X     float64 `xml:"Location_X"`
		Y     float64 `xml:"Location_Y"`
		Scale int     `xml:"Scale"`
		Label string  `xml:"Label"`
		MsgID int64   `xml:"MsgId"`
	}
	require.NoError(t, xml.Unmarshal(m.XML(), &got))
	assert.Equal(t, 23.134521, got.X)
	assert.Equal(t, 113.358803, got.Y)
	assert.Equal(t, 20, got.Scale)
	assert.Equal(t, "位置 ]]> <信息>", got.Label)
	assert.Equal(t, int64(42), got.MsgID)
}

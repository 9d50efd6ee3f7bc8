package offiaccount

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireReply is the passive reply format of WeChat's documentation, decoded
// with encoding/xml so that the encoder is checked by an independent decoder.
type wireReply struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string
	FromUserName string
	CreateTime   int64
	MsgType      string
	Content      string
	Image        struct{ MediaId string }
	Voice        struct{ MediaId string }
	Video        struct{ MediaId, Title, Description string }
	Music        struct{ Title, Description, MusicUrl, HQMusicUrl, ThumbMediaId string }
	ArticleCount int
	Articles     struct {
		Item []struct{ Title, Description, PicUrl, Url string } `xml:"item"`
	}
	TransInfo struct{ KfAccount string }
}

func decodeWireReply(t *testing.T, b []byte) wireReply {
	t.Helper()
	var w wireReply
	require.NoError(t, xml.Unmarshal(b, &w), "%s", b)
	return w
}

func TestAppendReplyEveryType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reply Reply
		check func(t *testing.T, w wireReply)
	}{
		{TextReply{Content: "你好 <b>&</b> ]]> done"}, func(t *testing.T, w wireReply) {
			assert.Equal(t, "text", w.MsgType)
			assert.Equal(t, "你好 <b>&</b> ]]> done", w.Content)
		}},
		{ImageReply{MediaID: "img_1"}, func(t *testing.T, w wireReply) {
			assert.Equal(t, "image", w.MsgType)
			assert.Equal(t, "img_1", w.Image.MediaId)
		}},
		{VoiceReply{MediaID: "voice_1"}, func(t *testing.T, w wireReply) {
			assert.Equal(t, "voice", w.MsgType)
			assert.Equal(t, "voice_1", w.Voice.MediaId)
		}},
		{VideoReply{MediaID: "v", Title: "标题", Description: "d"}, func(t *testing.T, w wireReply) {
			assert.Equal(t, "video", w.MsgType)
			assert.Equal(t, "v", w.Video.MediaId)
			assert.Equal(t, "标题", w.Video.Title)
			assert.Equal(t, "d", w.Video.Description)
		}},
		{MusicReply{Title: "t", Description: "d", MusicURL: "http://m/1.mp3", HQMusicURL: "http://m/1hq.mp3", ThumbMediaID: "th"}, func(t *testing.T, w wireReply) {
			assert.Equal(t, "music", w.MsgType)
			assert.Equal(t, "t", w.Music.Title)
			assert.Equal(t, "d", w.Music.Description)
			assert.Equal(t, "http://m/1.mp3", w.Music.MusicUrl)
			assert.Equal(t, "http://m/1hq.mp3", w.Music.HQMusicUrl)
			assert.Equal(t, "th", w.Music.ThumbMediaId)
		}},
		{NewsReply{Articles: []Article{{Title: "a&b", Description: "d", PicURL: "http://p/1.jpg", URL: "http://u/?a=1&b=2"}}}, func(t *testing.T, w wireReply) {
			assert.Equal(t, "news", w.MsgType)
			assert.Equal(t, 1, w.ArticleCount)
			require.Len(t, w.Articles.Item, 1)
			assert.Equal(t, "a&b", w.Articles.Item[0].Title)
			assert.Equal(t, "d", w.Articles.Item[0].Description)
			assert.Equal(t, "http://p/1.jpg", w.Articles.Item[0].PicUrl)
			assert.Equal(t, "http://u/?a=1&b=2", w.Articles.Item[0].Url)
		}},
		{TransferCustomerServiceReply{}, func(t *testing.T, w wireReply) {
			assert.Equal(t, "transfer_customer_service", w.MsgType)
			assert.Empty(t, w.TransInfo.KfAccount)
		}},
		{TransferCustomerServiceReply{KfAccount: "test1@test"}, func(t *testing.T, w wireReply) {
			assert.Equal(t, "transfer_customer_service", w.MsgType)
			assert.Equal(t, "test1@test", w.TransInfo.KfAccount)
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.reply.ReplyType()), func(t *testing.T) {
			t.Parallel()
			b := AppendReply([]byte("prefix"), tc.reply, "oUser", "gh_account", 1700000000)
			require.True(t, strings.HasPrefix(string(b), "prefix<xml>"))
			b = b[len("prefix"):]
			w := decodeWireReply(t, b)
			assert.Equal(t, "oUser", w.ToUserName)
			assert.Equal(t, "gh_account", w.FromUserName)
			assert.Equal(t, int64(1700000000), w.CreateTime)
			tc.check(t, w)
			// Our own decoder reads it back too.
			m, err := ParseMessage(b)
			require.NoError(t, err)
			assert.Equal(t, MsgType(w.MsgType), m.MsgType)
		})
	}
}

// The text reply as WeChat documents it, byte for byte.
func TestAppendReplyGolden(t *testing.T) {
	t.Parallel()
	got := AppendReply(nil, TextReply{Content: "你好"}, "toUser", "fromUser", 12345678)
	want := "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>" +
		"<CreateTime>12345678</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>"
	assert.Equal(t, want, string(got))
}

func TestAppendCDATA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, wire, decoded string
	}{
		{"plain", "<![CDATA[plain]]>", "plain"},
		{"", "<![CDATA[]]>", ""},
		{"a]]>b", "<![CDATA[a]]]]><![CDATA[>b]]>", "a]]>b"},
		{"]]>]]>", "<![CDATA[]]]]><![CDATA[>]]]]><![CDATA[>]]>", "]]>]]>"},
		{"]]]>", "<![CDATA[]]]]]><![CDATA[>]]>", "]]]>"},
		{"tab\tnl\n", "<![CDATA[tab\tnl\n]]>", "tab\tnl\n"},
		{"bell\x07nul\x00esc\x1b", "<![CDATA[bellnulesc]]>", "bellnulesc"},
		{"bad\xffutf8", "<![CDATA[bad\uFFFDutf8]]>", "bad\uFFFDutf8"},
		{"non\uFFFEchar\uFFFF", "<![CDATA[nonchar]]>", "nonchar"},
		{"emoji 😀 中文", "<![CDATA[emoji 😀 中文]]>", "emoji 😀 中文"},
	}
	for _, tc := range tests {
		got := string(AppendCDATA(nil, tc.in))
		assert.Equal(t, tc.wire, got, "%q", tc.in)
		var v struct {
			C string `xml:",chardata"`
		}
		require.NoError(t, xml.Unmarshal([]byte("<a>"+got+"</a>"), &v), "%q", got)
		assert.Equal(t, tc.decoded, v.C)
	}
}

// FuzzAppendCDATA: any content yields well-formed XML that decodes back to
// the content minus what XML cannot carry.
func FuzzAppendCDATA(f *testing.F) {
	for _, s := range []string{"", "a]]>b", "]]]]>>", "\x00\x01\r\n", "\xff\xfe", "\uFFFE", "中文😀", "<![CDATA[x]]>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc := AppendReply(nil, TextReply{Content: s}, "to", "from", 1)
		var w wireReply
		if err := xml.Unmarshal(doc, &w); err != nil {
			t.Fatalf("reply for %q is not XML: %v\n%s", s, err, doc)
		}
		want := expectedCDATA(s)
		if w.Content != want {
			t.Fatalf("content %q came back as %q, want %q", s, w.Content, want)
		}
		m, err := ParseMessage(doc)
		if err != nil {
			t.Fatalf("our decoder rejects our reply: %v", err)
		}
		if m.Content != want {
			t.Fatalf("our decoder read %q, want %q", m.Content, want)
		}
	})
}

// expectedCDATA is what an XML parser reads back from AppendCDATA(s):
// invalid UTF-8 replaced, forbidden characters dropped, line ends normalised.
func expectedCDATA(s string) string {
	var b strings.Builder
	for _, r := range s { // each invalid byte decodes as U+FFFD
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF {
			b.WriteRune(r)
		}
	}
	out := strings.ReplaceAll(b.String(), "\r\n", "\n")
	return strings.ReplaceAll(out, "\r", "\n")
}

func TestSealReplyOpensAndVerifies(t *testing.T) {
	t.Parallel()
	c := mustCrypter(t, sample2AppID, sampleAESKey)
	plain := AppendReply(nil, TextReply{Content: "hi"}, "o", "gh", 1)
	sealed, err := SealReply([]byte("x"), c, "tok123", plain, "1700000000", "nonce42")
	require.NoError(t, err)
	require.Equal(t, byte('x'), sealed[0])
	var env struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	require.NoError(t, xml.Unmarshal(sealed[1:], &env))
	assert.Equal(t, "1700000000", env.TimeStamp)
	assert.Equal(t, "nonce42", env.Nonce)
	assert.Equal(t, MsgSignature("tok123", "1700000000", "nonce42", env.Encrypt), env.MsgSignature)
	got, err := c.Decrypt(env.Encrypt)
	require.NoError(t, err)
	assert.Equal(t, plain, got)
}

func TestAppendMsgSignatureMatchesMsgSignature(t *testing.T) {
	t.Parallel()
	cases := [][4]string{
		{sampleToken, sampleTimestamp, sampleNonce, sampleEncrypt},
		{"b", "a", "c", "a"},
		{"", "", "", ""},
		{"zz", "z", "zzz", "y"},
	}
	for _, c := range cases {
		got := appendMsgSignature([]byte("keep"), c[0], []byte(c[1]), []byte(c[2]), []byte(c[3]))
		assert.Equal(t, "keep"+MsgSignature(c[0], c[1], c[2], c[3]), string(got))
	}
	assert.Equal(t, sampleMsgSignature, string(appendMsgSignature(nil, sampleToken, []byte(sampleTimestamp), []byte(sampleNonce), []byte(sampleEncrypt))))
}

func TestRandomNonce(t *testing.T) {
	t.Parallel()
	var a, b [16]byte
	randomNonce(&a)
	randomNonce(&b)
	assert.NotEqual(t, a, b)
	for _, c := range a {
		assert.True(t, 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
	}
	assert.True(t, utf8.Valid(a[:]))
	seen := map[byte]bool{}
	for i := 0; i < 1000; i++ {
		randomNonce(&a)
		for _, c := range a {
			seen[c] = true
		}
	}
	assert.Len(t, seen, 62, "every letter and digit turns up")
}

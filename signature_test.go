package offiaccount

import (
	"crypto/sha1"
	"encoding/hex"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refSHA1 is the protocol's definition, written the slow obvious way.
func refSHA1(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	d := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(d[:])
}

func TestSignatureMatchesDefinition(t *testing.T) {
	t.Parallel()
	cases := []struct{ token, ts, nonce string }{
		{"pamtest", "1409304348", "xxxxxx"},
		{"a", "b", "c"},
		{"c", "b", "a"},
		{"", "", ""},
		{"token", "1700000000", "1700000000"},
		{"Z", "a", "0"},
		{strings.Repeat("k", 2000), "1", "2"}, // larger than the stack buffer
	}
	for _, tc := range cases {
		want := refSHA1(tc.token, tc.ts, tc.nonce)
		assert.Equal(t, want, Signature(tc.token, tc.ts, tc.nonce))
		assert.True(t, CheckSignature(want, tc.token, tc.ts, tc.nonce))
		assert.True(t, CheckSignature(strings.ToUpper(want), tc.token, tc.ts, tc.nonce), "upper-case hex")
	}
}

func TestMsgSignatureOfficialSample(t *testing.T) {
	t.Parallel()
	// WeChat's message-encryption sample: token, timestamp, nonce, Encrypt → msg_signature.
	got := MsgSignature(sampleToken, sampleTimestamp, sampleNonce, sampleEncrypt)
	assert.Equal(t, sampleMsgSignature, got)
	assert.True(t, CheckMsgSignature(sampleMsgSignature, sampleToken, sampleTimestamp, sampleNonce, sampleEncrypt))
	assert.Equal(t, refSHA1("x", "y", "z", "w"), MsgSignature("x", "y", "z", "w"))
}

func TestCheckSignatureRejects(t *testing.T) {
	t.Parallel()
	good := Signature("tok", "1700000000", "nonce")
	flip := []byte(good)
	if flip[7] == '0' {
		flip[7] = '1'
	} else {
		flip[7] = '0'
	}
	cases := map[string]string{
		"empty":           "",
		"one digit off":   string(flip),
		"truncated":       good[:39],
		"too long":        good + "0",
		"non-hex":         "g" + good[1:],
		"other token":     Signature("tok2", "1700000000", "nonce"),
		"spaces":          " " + good[1:],
		"msg signature":   MsgSignature("tok", "1700000000", "nonce", "x"),
		"sha1 of nothing": refSHA1(),
	}
	for name, sig := range cases {
		assert.False(t, CheckSignature(sig, "tok", "1700000000", "nonce"), name)
	}
	assert.False(t, CheckMsgSignature(good, "tok", "1700000000", "nonce", "enc"))
}

func TestJSSDKSignature(t *testing.T) {
	t.Parallel()
	const ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
	cases := []struct{ name, url, want string }{
		{"official example", "http://mp.weixin.qq.com?params=value", "0f9de62fce790f9a083d5c99e95740ceb90c27ed"},
		{"fragment stripped", "http://mp.weixin.qq.com?params=value#/page?x=1", "0f9de62fce790f9a083d5c99e95740ceb90c27ed"},
		{"empty fragment", "http://mp.weixin.qq.com?params=value#", "0f9de62fce790f9a083d5c99e95740ceb90c27ed"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, JSSDKSignature(ticket, "Wm3WZYTPz0wzccnW", 1414587457, tc.url), tc.name)
	}
	// Values go in raw, never URL-escaped.
	raw := "jsapi_ticket=t&noncestr=n&timestamp=1&url=https://a.example/p?q=a b&c=中"
	d := sha1.Sum([]byte(raw))
	assert.Equal(t, hex.EncodeToString(d[:]), JSSDKSignature("t", "n", 1, "https://a.example/p?q=a b&c=中"))
}

func TestCardSignature(t *testing.T) {
	t.Parallel()
	vals := []string{"ticket", "1700000000", "card_id", "nonce", "openid"}
	orig := append([]string(nil), vals...)
	assert.Equal(t, refSHA1(vals...), CardSignature(vals...))
	require.Equal(t, orig, vals, "caller's slice must not be reordered")
	assert.Equal(t, CardSignature("b", "a"), CardSignature("a", "b"))
	assert.Equal(t, refSHA1(), CardSignature())
}

func FuzzCheckSignature(f *testing.F) {
	f.Add("tok", "1700000000", "nonce", "")
	f.Add("", "", "", "da39a3ee5e6b4b0d3255bfef95601890afd80709")
	f.Add("a", "b", "c", "ZZZZ")
	f.Fuzz(func(t *testing.T, token, ts, nonce, sig string) {
		want := refSHA1(token, ts, nonce)
		if !CheckSignature(want, token, ts, nonce) {
			t.Fatalf("own signature rejected")
		}
		if CheckSignature(sig, token, ts, nonce) != strings.EqualFold(sig, want) {
			t.Fatalf("CheckSignature(%q) disagrees with the definition", sig)
		}
		if CheckMsgSignature(sig, token, ts, nonce, sig) != strings.EqualFold(sig, refSHA1(token, ts, nonce, sig)) {
			t.Fatalf("CheckMsgSignature(%q) disagrees with the definition", sig)
		}
	})
}

func BenchmarkCheckSignature(b *testing.B) {
	sig := Signature("token", "1700000000", "123456789")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !CheckSignature(sig, "token", "1700000000", "123456789") {
			b.Fatal("rejected")
		}
	}
}

package offiaccount

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// WeChat's published message-encryption sample values.
const (
	sampleAESKey       = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	sampleToken        = "spamtest"
	sampleAppID        = "wx2c2769f8efd9abc2"
	sampleTimestamp    = "1409735669"
	sampleNonce        = "1320562132"
	sampleMsgSignature = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
	sampleEncrypt      = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
	samplePlainXML     = "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>"

	// Encryption sample of WeChat's Java SDK: fixed random prefix, known ciphertexts.
	sample2AppID  = "wxb11529c136998cb6"
	sample2Random = "aaaabbbbccccdddd"
)

func mustCrypter(t testing.TB, appID, key string, prev ...string) *MessageCrypter {
	t.Helper()
	m, err := NewMessageCrypter(appID, key, prev...)
	require.NoError(t, err)
	return m
}

func TestDecryptOfficialSample(t *testing.T) {
	t.Parallel()
	m := mustCrypter(t, sampleAppID, sampleAESKey)
	got, err := m.Decrypt(sampleEncrypt)
	require.NoError(t, err)
	assert.Equal(t, samplePlainXML, string(got))
}

func TestEncryptOfficialSampleFixedPrefix(t *testing.T) {
	t.Parallel()
	m := mustCrypter(t, sample2AppID, sampleAESKey)
	var random [16]byte
	copy(random[:], sample2Random)
	cases := []struct{ msg, want string }{
		{"我是中文abcd123", "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="},
		{
			"<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>",
			"jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb",
		},
	}
	for _, tc := range cases {
		got := string(m.appendEncrypt(nil, random, []byte(tc.msg)))
		assert.Equal(t, tc.want, got)
		back, err := m.Decrypt(got)
		require.NoError(t, err)
		assert.Equal(t, tc.msg, string(back))
	}
}

func TestNewMessageCrypterRejectsBadKeys(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"empty":        "",
		"42 chars":     sampleAESKey[:42],
		"44 chars":     sampleAESKey + "A",
		"with padding": sampleAESKey[:42] + "=",
		"non-base64":   "!" + sampleAESKey[1:],
		"url alphabet": "-" + sampleAESKey[1:],
		"space":        " " + sampleAESKey[1:],
	}
	for name, key := range cases {
		_, err := NewMessageCrypter(sampleAppID, key)
		assert.ErrorIs(t, err, ErrInvalidAESKey, name)
	}
	_, err := NewMessageCrypter(sampleAppID, sampleAESKey, "short")
	assert.ErrorIs(t, err, ErrInvalidAESKey, "a bad previous key fails too")
	_, err = NewMessageCrypter("", sampleAESKey)
	assert.Error(t, err)
}

// sealRaw encrypts an arbitrary plaintext (a multiple of 16 bytes) under the sample key, so
// tests can build every malformed message.
func sealRaw(t *testing.T, plaintext []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(sampleAESKey + "=")
	require.NoError(t, err)
	block, err := aes.NewCipher(key)
	require.NoError(t, err)
	require.Zero(t, len(plaintext)%aes.BlockSize)
	ct := make([]byte, len(plaintext))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(ct, plaintext)
	return base64.StdEncoding.EncodeToString(ct)
}

// frame builds random || len || msg || appID, with the declared length given separately.
func frame(declared uint32, msg, appID string) []byte {
	b := make([]byte, 16, 64)
	b = binary.BigEndian.AppendUint32(b, declared)
	b = append(b, msg...)
	return append(b, appID...)
}

func pkcs7(b []byte, pad int) []byte {
	return append(b, bytes.Repeat([]byte{byte(pad)}, pad)...)
}

func TestDecryptFailureModes(t *testing.T) {
	t.Parallel()
	m := mustCrypter(t, sampleAppID, sampleAESKey)
	ok := frame(5, "hello", sampleAppID) // 16+4+5+18 = 43 bytes
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"not base64", "!!!not base64!!!", ErrInvalidBase64},
		{"url-safe base64", strings.ReplaceAll(strings.ReplaceAll(sampleEncrypt, "+", "-"), "/", "_"), ErrInvalidBase64},
		{"empty", "", ErrInvalidBlockSize},
		{"15 bytes", base64.StdEncoding.EncodeToString(make([]byte, 15)), ErrInvalidBlockSize},
		{"33 bytes", base64.StdEncoding.EncodeToString(make([]byte, 33)), ErrInvalidBlockSize},
		{"pad value 0", sealRaw(t, append(ok[:43:43], make([]byte, 21)...)), ErrInvalidPadding},
		{"pad value 33", sealRaw(t, append(frame(5, "hello", sampleAppID)[:31], bytes.Repeat([]byte{33}, 33)...)), ErrInvalidPadding},
		{"pad bytes differ", sealRaw(t, append(frame(5, "hello", sampleAppID), 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 21, 20, 21)), ErrInvalidPadding},
		{"pad longer than message", sealRaw(t, bytes.Repeat([]byte{32}, 16)), ErrInvalidPadding},
		{"shorter than header", sealRaw(t, pkcs7(make([]byte, 19), 13)), ErrInvalidLength},
		{"declared length past end", sealRaw(t, pkcs7(frame(1000, "hello", sampleAppID), 21)), ErrInvalidLength},
		{"declared length max uint32", sealRaw(t, pkcs7(frame(0xFFFFFFFF, "hello", sampleAppID), 21)), ErrInvalidLength},
		{"other AppID", sealRaw(t, pkcs7(frame(5, "hello", "wx0000000000000000"), 21)), ErrAppIDMismatch},
		{"AppID missing", sealRaw(t, pkcs7(frame(5, "hello", ""), 7)), ErrAppIDMismatch},
		{"length eats AppID", sealRaw(t, pkcs7(frame(23, "hello", sampleAppID), 21)), ErrAppIDMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Decrypt(tc.in)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, tc.want)
			for _, other := range []error{ErrInvalidBase64, ErrInvalidBlockSize, ErrInvalidPadding, ErrInvalidLength, ErrAppIDMismatch} {
				if other != tc.want {
					assert.False(t, errors.Is(err, other), "error must be distinct from %v", other)
				}
			}
		})
	}
	// The well-formed frame itself decrypts: the cases above fail for their one defect.
	got, err := m.Decrypt(sealRaw(t, pkcs7(frame(5, "hello", sampleAppID), 21)))
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
}

func TestDecryptWithPreviousKey(t *testing.T) {
	t.Parallel()
	const newKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
	old := mustCrypter(t, sampleAppID, sampleAESKey)
	cur := mustCrypter(t, sampleAppID, newKey, sampleAESKey)

	fromOld, err := old.Encrypt([]byte("sent before the key change"))
	require.NoError(t, err)
	got, err := cur.Decrypt(fromOld)
	require.NoError(t, err)
	assert.Equal(t, "sent before the key change", string(got))

	// Replies are sealed with the new key only.
	reply, err := cur.Encrypt([]byte("reply"))
	require.NoError(t, err)
	_, err = old.Decrypt(reply)
	assert.Error(t, err)
	onlyNew := mustCrypter(t, sampleAppID, newKey)
	got, err = onlyNew.Decrypt(reply)
	require.NoError(t, err)
	assert.Equal(t, "reply", string(got))

	// Without the previous key the old message is refused.
	_, err = onlyNew.Decrypt(fromOld)
	assert.Error(t, err)
	// The ciphertext is not modified by trying several keys.
	in := []byte(fromOld)
	_, err = cur.DecryptBytes(in)
	require.NoError(t, err)
	assert.Equal(t, fromOld, string(in))
}

func TestEncryptRoundTrip(t *testing.T) {
	t.Parallel()
	m := mustCrypter(t, sampleAppID, sampleAESKey)
	rng := rand.New(rand.NewSource(1))
	msgs := [][]byte{
		{},
		{'x'},
		bytes.Repeat([]byte{'a'}, 32),
		bytes.Repeat([]byte{'b'}, 12), // 16+4+12 = 32: the frame fills whole blocks before the AppID
		bytes.Repeat([]byte{'c'}, 14), // frame + AppID = 52 ... checks a pad of 12
		[]byte("😀 emoji 表情 " + strings.Repeat("多字节", 100)),
		{0xff, 0xfe, 0x00, 0xc3, 0x28}, // not UTF-8
	}
	for i := 0; i < 200; i++ {
		b := make([]byte, rng.Intn(5000))
		rng.Read(b)
		msgs = append(msgs, b)
	}
	seen := map[string]bool{}
	for _, msg := range msgs {
		enc, err := m.Encrypt(msg)
		require.NoError(t, err)
		raw, err := base64.StdEncoding.DecodeString(enc)
		require.NoError(t, err)
		assert.Zero(t, len(raw)%padBlock, "padded to 32-byte blocks")
		assert.False(t, seen[enc], "random prefix makes every ciphertext differ")
		seen[enc] = true
		got, err := m.Decrypt(enc)
		require.NoError(t, err)
		assert.Equal(t, msg, got)
	}
}

func TestCrypterKeepsKeysOutOfOutput(t *testing.T) {
	t.Parallel()
	m := mustCrypter(t, sampleAppID, sampleAESKey)
	assert.NotContains(t, m.String(), sampleAESKey)
	assert.NotContains(t, m.LogValue().String(), sampleAESKey)
	assert.Contains(t, m.String(), sampleAppID)
	assert.Equal(t, sampleAppID, m.AppID())
}

func FuzzDecrypt(f *testing.F) {
	m, err := NewMessageCrypter(sampleAppID, sampleAESKey, "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sampleEncrypt)
	f.Add("")
	f.Add("AAAA")
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add(sampleEncrypt[:len(sampleEncrypt)-4])
	f.Fuzz(func(t *testing.T, in string) {
		msg, err := m.Decrypt(in)
		if err != nil {
			if msg != nil {
				t.Fatal("message returned with an error")
			}
			return
		}
		// Whatever decrypts must survive a round trip.
		enc, err := m.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		back, err := m.Decrypt(enc)
		if err != nil || !bytes.Equal(back, msg) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

func BenchmarkDecrypt(b *testing.B) {
	m, _ := NewMessageCrypter(sampleAppID, sampleAESKey)
	in := []byte(sampleEncrypt)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := m.DecryptBytes(in); err != nil {
			b.Fatal(err)
		}
	}
}

// The EncodingAESKey errors say what to fix, count characters from 1 and never quote the key.
func TestNewMessageCrypterKeyErrorsSayWhatToFix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, want string
	}{
		{"trailing =", sampleAESKey + "=", "drop the trailing '='"},
		{"trailing space", sampleAESKey + " ", "has a trailing space"},
		{"trailing newline", sampleAESKey + "\n", "has a trailing newline"},
		{"leading tab", "\t" + sampleAESKey, "has a leading tab"},
		{"stray newline", sampleAESKey[:12] + "\n" + sampleAESKey[12:42], "character 13 (newline)"},
		{"first character", "-" + sampleAESKey[1:], "character 1 ('-')"},
		{"too short", sampleAESKey[:40], "want 43 characters, got 40"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewMessageCrypter(sampleAppID, tc.key)
			require.ErrorIs(t, err, ErrInvalidAESKey)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), sampleAESKey[:20], "the key never enters the error")
		})
	}
}

// checkAppID accepts what WeChat issues and rejects what it cannot have issued.
func TestAppIDValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		appID string
		want  string // "" when accepted, else a piece of the message
	}{
		{"wx2c2769f8efd9abc2", ""},
		{"wx0123456789abcdef", ""},
		{"", "empty AppID"},
		{"wx2c2769f8efd9abc2 ", "has a trailing space"},
		{"wx2c2769f8efd9abc2\n", "has a trailing newline"},
		{" wx2c2769f8efd9abc2", "has a leading space"},
		{"wx2c2769f8efd9abc", `"wx" and 16 lowercase hex digits`},
		{"wx2c2769f8efd9abc2a", "cannot be real"},
		{"WX2c2769f8efd9abc2", "cannot be real"},
		{"wx2C2769F8EFD9ABC2", "cannot be real"},
		{"wx2c2769f8efd9abcg", "cannot be real"},
		{"gh_10f6c3c3ac5a", "cannot be real"}, // the account's original ID, a common mix-up
	}
	for _, tc := range tests {
		for _, build := range []func() error{
			func() error { _, err := NewClient(tc.appID, testSecret); return err },
			func() error { _, err := NewMessageCrypter(tc.appID, sampleAESKey); return err },
		} {
			err := build()
			if tc.want == "" {
				assert.NoError(t, err, "%q", tc.appID)
				continue
			}
			require.ErrorIs(t, err, ErrInvalidAppID, "%q", tc.appID)
			assert.Contains(t, err.Error(), tc.want, "%q", tc.appID)
		}
	}
}

// An AppSecret with surrounding whitespace is rejected without being quoted.
func TestAppSecretValidation(t *testing.T) {
	t.Parallel()
	tests := []struct{ secret, want string }{
		{testSecret + " ", "AppSecret has a trailing space"},
		{testSecret + "\r\n", "AppSecret has a trailing newline"},
		{"\t" + testSecret, "AppSecret has a leading tab"},
		{testSecret[:5] + "\x00" + testSecret[5:], "control character U+0000 at character 6"},
	}
	for _, tc := range tests {
		_, err := NewClient(testAppID, tc.secret)
		require.ErrorIs(t, err, ErrInvalidAppSecret, "%q", tc.secret)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), testSecret[:8])
	}
}

func TestNewHandlerTokenErrorsSayWhatToFix(t *testing.T) {
	tests := []struct{ token, want string }{
		{"mytoken ", "has a trailing space"},
		{"\tmytoken", "has a leading tab"},
		{"my token", "space at character 3"},
		{"ab", "3 to 32 letters or digits"},
		{"token-with-dash", "3 to 32 letters or digits"},
	}
	for _, tc := range tests {
		_, err := NewHandler(tc.token)
		require.Error(t, err, "%q", tc.token)
		assert.ErrorIs(t, err, ErrInvalidToken, "%q", tc.token)
		assert.Contains(t, err.Error(), tc.want, "%q", tc.token)
		if len(strings.TrimSpace(tc.token)) > 3 {
			assert.NotContains(t, err.Error(), strings.TrimSpace(tc.token), "the error never quotes the Token")
		}
	}
	_, err := NewHandler("mytoken")
	require.NoError(t, err)
}

// A secret passed where the AppID goes (arguments swapped) is not quoted in the error that
// rejects it; a mistyped AppID still is.
func TestAppIDErrorDoesNotQuoteASwappedSecret(t *testing.T) {
	t.Parallel()
	secret := "0123456789abcdef0123456789abcdef" // an AppSecret's shape
	for _, build := range []func() error{
		func() error { _, err := NewClient(secret, testAppID); return err },
		func() error { _, err := NewClient(secret+"\n", testAppID); return err },
		func() error { _, err := NewMessageCrypter(sampleAESKey, testAppID); return err },
		func() error {
			_, err := NewHandler(cbToken, WithHandlerEncodingAESKey(sampleAESKey, testAppID))
			return err
		},
	} {
		err := build()
		require.ErrorIs(t, err, ErrInvalidAppID)
		assert.NotContains(t, err.Error(), secret)
		assert.NotContains(t, err.Error(), sampleAESKey)
		assert.NotContains(t, err.Error(), sampleAESKey[:20])
		assert.Contains(t, err.Error(), "not quoted")
	}
	_, err := NewClient("wx2c2769f8efd9abc", testSecret)
	assert.Contains(t, err.Error(), `"wx2c2769f8efd9abc"`, "a mistyped AppID is still quoted")
}

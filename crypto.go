package offiaccount

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	aesKeyEncodedLen = 43 // EncodingAESKey length in the admin page
	padBlock         = 32 // WeChat pads to 32 bytes, not the AES block size
	randomPrefixLen  = 16
)

// MessageCrypter encrypts and decrypts safe-mode (安全模式) messages of one account, as
// WeChat's message encryption scheme (消息加解密) specifies: AES-256-CBC with the key decoded
// from the EncodingAESKey, a random 16-byte prefix, a big-endian length, the message and the
// AppID, PKCS#7-padded to 32 bytes. Build it once and share it: it is safe for concurrent use.
type MessageCrypter struct {
	appID string
	keys  []cipherKey // keys[0] encrypts; every key is tried to decrypt
	rand  io.Reader
}

type cipherKey struct {
	block cipher.Block
	iv    [aes.BlockSize]byte
}

// NewMessageCrypter returns a MessageCrypter for the account appID and its current
// EncodingAESKey (43 characters). previousKeys are older EncodingAESKeys still accepted for
// decryption, so that changing the key in the admin page does not drop the messages WeChat
// encrypted with the old one in the meantime.
func NewMessageCrypter(appID, encodingAESKey string, previousKeys ...string) (*MessageCrypter, error) {
	if err := checkAppID("NewMessageCrypter", appID); err != nil {
		return nil, err
	}
	m := &MessageCrypter{appID: appID, rand: rand.Reader}
	for i, k := range append([]string{encodingAESKey}, previousKeys...) {
		ck, err := newCipherKey(k)
		if err != nil {
			if i > 0 {
				return nil, fmt.Errorf("previous key %d: %w", i, err)
			}
			return nil, err
		}
		m.keys = append(m.keys, ck)
	}
	return m, nil
}

func newCipherKey(encodingAESKey string) (cipherKey, error) {
	// The key itself never enters an error: only its length and positions.
	if ws := surroundingSpace(encodingAESKey); ws != "" {
		return cipherKey{}, fmt.Errorf("%w: it %s; copy the key again without surrounding whitespace", ErrInvalidAESKey, ws)
	}
	if len(encodingAESKey) == aesKeyEncodedLen+1 && encodingAESKey[aesKeyEncodedLen] == '=' {
		return cipherKey{}, fmt.Errorf("%w: want %d characters, got %d: drop the trailing '='", ErrInvalidAESKey, aesKeyEncodedLen, len(encodingAESKey))
	}
	for i := 0; i < len(encodingAESKey); i++ {
		c := encodingAESKey[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			r, _ := utf8.DecodeRuneInString(encodingAESKey[i:])
			return cipherKey{}, fmt.Errorf("%w: character %d (%s) is not in the base64 alphabet [A-Za-z0-9+/]",
				ErrInvalidAESKey, utf8.RuneCountInString(encodingAESKey[:i])+1, runeName(r))
		}
	}
	if len(encodingAESKey) != aesKeyEncodedLen {
		return cipherKey{}, fmt.Errorf("%w: want %d characters, got %d", ErrInvalidAESKey, aesKeyEncodedLen, len(encodingAESKey))
	}
	// Not StrictEncoding: the 43rd character carries two unused bits that WeChat's own sample
	// key sets.
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return cipherKey{}, ErrInvalidAESKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return cipherKey{}, fmt.Errorf("%w: %v", ErrInvalidAESKey, err)
	}
	ck := cipherKey{block: block}
	copy(ck.iv[:], key[:aes.BlockSize])
	return ck, nil
}

// AppID returns the account the crypter seals messages for.
func (m *MessageCrypter) AppID() string { return m.appID }

// LogValue keeps keys out of logs: only the AppID is shown.
func (m *MessageCrypter) LogValue() slog.Value {
	return slog.GroupValue(slog.String("appid", m.appID), slog.String("encoding_aes_key", "[REDACTED]"))
}

// String keeps keys out of fmt output.
func (m *MessageCrypter) String() string {
	return "MessageCrypter{AppID: " + m.appID + ", EncodingAESKey: [REDACTED]}"
}

// GoString keeps keys out of %#v, which would otherwise print the IV: half of the AES key.
func (m *MessageCrypter) GoString() string { return m.String() }

// Encrypt seals msg with a fresh random prefix and returns the base64 text that goes in an
// <Encrypt> element.
func (m *MessageCrypter) Encrypt(msg []byte) (string, error) {
	b, err := m.AppendEncrypt(nil, msg)
	return string(b), err
}

// AppendEncrypt is [MessageCrypter.Encrypt] appending the base64 text to dst, for callers
// that reuse buffers. The padded plaintext is laid out and encrypted in a pooled buffer, so a
// caller whose dst has room allocates nothing.
func (m *MessageCrypter) AppendEncrypt(dst, msg []byte) ([]byte, error) {
	bp := getBufSize(m.paddedLen(len(msg)))
	defer putBuf(bp)
	buf := (*bp)[:m.paddedLen(len(msg))]
	if _, err := io.ReadFull(m.rand, buf[:randomPrefixLen]); err != nil {
		return dst, fmt.Errorf("offiaccount: reading random prefix: %w", err)
	}
	m.sealBlocks(buf, msg)
	return base64.StdEncoding.AppendEncode(dst, buf), nil
}

// appendEncrypt is AppendEncrypt with a given random prefix, for tests.
func (m *MessageCrypter) appendEncrypt(dst []byte, random [randomPrefixLen]byte, msg []byte) []byte {
	buf := make([]byte, m.paddedLen(len(msg)))
	copy(buf, random[:])
	m.sealBlocks(buf, msg)
	return base64.StdEncoding.AppendEncode(dst, buf)
}

// paddedLen is the length of the padded plaintext of a message of msgLen bytes.
func (m *MessageCrypter) paddedLen(msgLen int) int {
	n := randomPrefixLen + 4 + msgLen + len(m.appID)
	return n + padBlock - n%padBlock // 1..32 bytes of padding, a whole block when n is aligned
}

// sealBlocks fills buf (paddedLen long, random prefix already in place) with the length, the
// message, the AppID and the padding, and encrypts it in place.
func (m *MessageCrypter) sealBlocks(buf, msg []byte) {
	n := randomPrefixLen + 4 + len(msg) + len(m.appID)
	binary.BigEndian.PutUint32(buf[randomPrefixLen:], uint32(len(msg)))
	copy(buf[randomPrefixLen+4:], msg)
	copy(buf[randomPrefixLen+4+len(msg):], m.appID)
	pad := byte(len(buf) - n)
	for i := n; i < len(buf); i++ {
		buf[i] = pad
	}
	m.keys[0].cbcEncrypt(buf)
}

// cbcEncrypt encrypts buf (whole blocks) in place in CBC mode. It works block by block
// instead of through cipher.NewCBCEncrypter, which allocates on every call.
func (k *cipherKey) cbcEncrypt(buf []byte) {
	prev := k.iv[:]
	for i := 0; i+aes.BlockSize <= len(buf); i += aes.BlockSize {
		b := buf[i : i+aes.BlockSize]
		subtle.XORBytes(b, b, prev)
		k.block.Encrypt(b, b)
		prev = b
	}
}

// cbcDecrypt decrypts src (whole blocks) into dst, which may be src itself, in CBC mode. It
// goes from the last block to the first, so that in place each block's predecessor is still
// ciphertext when it is needed.
func (k *cipherKey) cbcDecrypt(dst, src []byte) {
	for i := len(src) - aes.BlockSize; i >= 0; i -= aes.BlockSize {
		d := dst[i : i+aes.BlockSize]
		k.block.Decrypt(d, src[i:i+aes.BlockSize])
		if i == 0 {
			subtle.XORBytes(d, d, k.iv[:])
		} else {
			subtle.XORBytes(d, d, src[i-aes.BlockSize:i])
		}
	}
}

// Decrypt opens the base64 text of an <Encrypt> element and returns the message (the inner
// XML). It checks the base64, the block size, the padding, the declared length and that the
// trailing AppID is this account's, and returns ErrInvalidBase64, ErrInvalidBlockSize,
// ErrInvalidPadding, ErrInvalidLength or ErrAppIDMismatch when one fails.
func (m *MessageCrypter) Decrypt(encrypted string) ([]byte, error) {
	return m.DecryptBytes([]byte(encrypted))
}

// DecryptBytes is [MessageCrypter.Decrypt] for a byte slice. encrypted is not modified.
func (m *MessageCrypter) DecryptBytes(encrypted []byte) ([]byte, error) {
	return m.decryptInto(nil, encrypted)
}

// decryptInto is DecryptBytes decoding and decrypting into buf when it has room
// (base64.StdEncoding.DecodedLen(len(encrypted)) bytes); the message returned is then a
// slice of buf.
func (m *MessageCrypter) decryptInto(buf, encrypted []byte) ([]byte, error) {
	n := base64.StdEncoding.DecodedLen(len(encrypted))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	ct := buf[:n]
	n, err := base64.StdEncoding.Decode(ct, encrypted)
	if err != nil {
		return nil, ErrInvalidBase64
	}
	ct = ct[:n]
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, ErrInvalidBlockSize
	}
	if len(m.keys) == 1 {
		return m.open(&m.keys[0], ct, ct)
	}
	pt := make([]byte, len(ct)) // only while an old key is still accepted
	var firstErr error
	for i := range m.keys {
		msg, err := m.open(&m.keys[i], pt, ct)
		if err == nil {
			return msg, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

// open decrypts ct into pt (which may be ct itself) and unwraps the message.
func (m *MessageCrypter) open(k *cipherKey, pt, ct []byte) ([]byte, error) {
	k.cbcDecrypt(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > padBlock || pad > len(pt) {
		return nil, ErrInvalidPadding
	}
	for _, b := range pt[len(pt)-pad:] {
		if int(b) != pad {
			return nil, ErrInvalidPadding
		}
	}
	body := pt[:len(pt)-pad]
	if len(body) < randomPrefixLen+4 {
		return nil, ErrInvalidLength
	}
	body = body[randomPrefixLen:]
	size := binary.BigEndian.Uint32(body)
	body = body[4:]
	if uint64(size) > uint64(len(body)) {
		return nil, ErrInvalidLength
	}
	msg, appID := body[:size:size], body[size:]
	if subtle.ConstantTimeCompare(appID, []byte(m.appID)) != 1 {
		return nil, ErrAppIDMismatch
	}
	return msg, nil
}

// appIDHexLen is the number of lowercase hex digits after "wx" in every real AppID, such as
// wx2c2769f8efd9abc2 (the sample of WeChat's message-encryption docs).
const appIDHexLen = 16

// checkAppID rejects an AppID that cannot be real, so that a typo or a stray space shows up
// when the program starts rather than as 403s or errcode 40013 later. AppIDs are not secret:
// the error quotes it.
func checkAppID(where, appID string) error {
	if appID == "" {
		return configErrorf(ErrInvalidAppID, "offiaccount: %s: empty AppID", where)
	}
	if ws := surroundingSpace(appID); ws != "" {
		return configErrorf(ErrInvalidAppID, "offiaccount: %s: AppID %s %s; copy it again without surrounding whitespace", where, quoteAppID(appID), ws)
	}
	ok := len(appID) == 2+appIDHexLen && strings.HasPrefix(appID, "wx")
	for i := 2; ok && i < len(appID); i++ {
		c := appID[i]
		ok = '0' <= c && c <= '9' || 'a' <= c && c <= 'f'
	}
	if !ok {
		return configErrorf(ErrInvalidAppID, "offiaccount: %s: AppID %s cannot be real: an AppID is \"wx\" and %d lowercase hex digits, such as wx2c2769f8efd9abc2 (admin page, 设置与开发 > 基本配置)",
			where, quoteAppID(appID), appIDHexLen)
	}
	return nil
}

// quoteAppID quotes a wrong AppID for an error when it looks like an attempt at one (or at
// the account's gh_ original ID). Anything else may be a secret passed in its place, such as
// the AppSecret or the EncodingAESKey with the arguments swapped: only its length is told.
func quoteAppID(appID string) string {
	v := strings.TrimSpace(appID)
	if len(v) <= 2+appIDHexLen+6 && (strings.HasPrefix(v, "wx") || strings.HasPrefix(v, "gh_")) {
		return strconv.Quote(appID)
	}
	return "of " + strconv.Itoa(utf8.RuneCountInString(appID)) + " characters (not quoted: is it a secret passed in its place? the AppID comes first)"
}

// checkSecretValue rejects a secret (AppSecret, callback Token) with surrounding whitespace,
// which WeChat never issues and copying from a page or a file often adds. The value itself
// never enters the error.
func checkSecretValue(sentinel error, where, what, v string) error {
	if ws := surroundingSpace(v); ws != "" {
		return configErrorf(sentinel, "offiaccount: %s: %s %s; copy it again without surrounding whitespace", where, what, ws)
	}
	for i, r := range v {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return configErrorf(sentinel, "offiaccount: %s: %s holds a %s at character %d", where, what, runeName(r), utf8.RuneCountInString(v[:i])+1)
		}
	}
	return nil
}

// surroundingSpace describes leading or trailing whitespace of v ("has a trailing space"),
// or returns "" when there is none.
func surroundingSpace(v string) string {
	if r, _ := utf8.DecodeLastRuneInString(v); unicode.IsSpace(r) {
		return "has a trailing " + runeName(r)
	}
	if r, _ := utf8.DecodeRuneInString(v); unicode.IsSpace(r) {
		return "has a leading " + runeName(r)
	}
	return ""
}

// runeName names a character for an error message without quoting secret text around it.
func runeName(r rune) string {
	switch r {
	case ' ':
		return "space"
	case '\n':
		return "newline"
	case '\r':
		return "carriage return"
	case '\t':
		return "tab"
	case '=':
		return "'='"
	}
	if unicode.IsSpace(r) {
		return fmt.Sprintf("whitespace U+%04X", r)
	}
	if unicode.IsControl(r) || !unicode.IsPrint(r) {
		return fmt.Sprintf("control character U+%04X", r)
	}
	if r < utf8.RuneSelf {
		return fmt.Sprintf("%q", r) // punctuation: not part of a valid key, so not a secret
	}
	return fmt.Sprintf("non-ASCII character U+%04X", r)
}

// configError is a constructor's message that also matches its sentinel with errors.Is.
type configError struct {
	kind error
	msg  string
}

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return e.kind }

func configErrorf(kind error, format string, args ...any) error {
	return &configError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

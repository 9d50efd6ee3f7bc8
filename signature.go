package offiaccount

import (
	"bytes"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Signature returns the signature WeChat puts in the `signature` query parameter of every
// callback: the hex SHA-1 of token, timestamp and nonce, sorted and joined without separator.
func Signature(token, timestamp, nonce string) string {
	d := sortedSHA1(token, timestamp, nonce, "", 3)
	return hexString(d)
}

// MsgSignature returns the `msg_signature` of a safe-mode (AES) message: like [Signature],
// with the message's Encrypt value as a fourth part.
func MsgSignature(token, timestamp, nonce, encrypt string) string {
	d := sortedSHA1(token, timestamp, nonce, encrypt, 4)
	return hexString(d)
}

// CheckSignature reports whether signature is the [Signature] of token, timestamp and nonce.
// The comparison takes constant time, so a caller cannot learn a valid signature byte by byte.
func CheckSignature(signature, token, timestamp, nonce string) bool {
	return checkDigest(signature, sortedSHA1(token, timestamp, nonce, "", 3))
}

// CheckMsgSignature reports whether msgSignature is the [MsgSignature] of the given values,
// in constant time.
func CheckMsgSignature(msgSignature, token, timestamp, nonce, encrypt string) bool {
	return checkDigest(msgSignature, sortedSHA1(token, timestamp, nonce, encrypt, 4))
}

// JSSDKSignature returns the signature a page passes to wx.config: the hex SHA-1 of
// "jsapi_ticket=…&noncestr=…&timestamp=…&url=…" with the values unescaped and the url cut at
// its first '#', as WeChat signs the page's address without its fragment.
//
// The arguments come in the order of WeChat's string1, like [SignJSConfig]'s.
func JSSDKSignature(ticket, nonceStr string, timestamp int64, url string) string {
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url = url[:i]
	}
	var stack [512]byte
	b := append(stack[:0], "jsapi_ticket="...)
	b = append(b, ticket...)
	b = append(b, "&noncestr="...)
	b = append(b, nonceStr...)
	b = append(b, "&timestamp="...)
	b = strconv.AppendInt(b, timestamp, 10)
	b = append(b, "&url="...)
	b = append(b, url...)
	return hexString(sha1.Sum(b))
}

// CardSignature returns the signature of the WeChat card (wx_card) JS APIs such as chooseCard
// and addCard: the hex SHA-1 of the values sorted lexicographically and joined without
// separator. The caller's slice is not reordered.
func CardSignature(values ...string) string {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	h := sha1.New()
	for _, v := range sorted {
		h.Write([]byte(v))
	}
	var d [sha1.Size]byte
	h.Sum(d[:0])
	return hexString(d)
}

// sortedSHA1 hashes the first n of a, b, c, d sorted and concatenated, without allocating:
// this runs on every callback.
func sortedSHA1(a, b, c, d string, n int) [sha1.Size]byte {
	return sortedSHA1Bytes(stringBytes(a), stringBytes(b), stringBytes(c), stringBytes(d), n)
}

// sortedSHA1Bytes is sortedSHA1 for byte slices.
func sortedSHA1Bytes(a, b, c, d []byte, n int) [sha1.Size]byte {
	parts := [4][]byte{a, b, c, d}
	p := parts[:n]
	// Insertion sort: at most four elements, and slices.Sort would make p escape.
	total := len(p[0])
	for i := 1; i < len(p); i++ {
		total += len(p[i])
		for j := i; j > 0 && bytes.Compare(p[j], p[j-1]) < 0; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	if total <= 1024 {
		var stack [1024]byte
		buf := stack[:0]
		for _, s := range p {
			buf = append(buf, s...)
		}
		return sha1.Sum(buf)
	}
	// A large Encrypt value (up to a megabyte) is hashed part by part, not joined first.
	st := sha1Pool.Get().(*sha1State)
	st.h.Reset()
	for _, s := range p {
		st.h.Write(s)
	}
	var sum [sha1.Size]byte
	copy(sum[:], st.h.Sum(st.sum[:0]))
	sha1Pool.Put(st)
	return sum
}

// sha1State is a reusable SHA-1 and room for its sum: sha1.New allocates, and a sum written
// into a local array through the hash.Hash interface would too.
type sha1State struct {
	h   hash.Hash
	sum [sha1.Size]byte
}

var sha1Pool = sync.Pool{New: func() any { return &sha1State{h: sha1.New()} }}

// stringBytes views s as bytes without copying, for functions that only read them.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

func hexString(d [sha1.Size]byte) string {
	var out [2 * sha1.Size]byte
	hex.Encode(out[:], d[:])
	return string(out[:])
}

// checkDigest compares a hex signature (either case) with a digest in constant time with
// respect to the digest.
func checkDigest(sig string, want [sha1.Size]byte) bool {
	if len(sig) != 2*sha1.Size {
		return false
	}
	var got [sha1.Size]byte
	ok := 1
	for i := range got {
		hi, ok1 := unhex(sig[2*i])
		lo, ok2 := unhex(sig[2*i+1])
		ok &= ok1 & ok2
		got[i] = hi<<4 | lo
	}
	return subtle.ConstantTimeCompare(got[:], want[:])&ok == 1
}

func unhex(c byte) (byte, int) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', 1
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, 1
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, 1
	}
	return 0, 0
}

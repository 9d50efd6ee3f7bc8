package benchmarks

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Floor is the hand-written standard-library callback handler the SDKs are measured
// against: signature check, query scan, body read, base64, AES-256-CBC, a minimal scan of
// WeChat's flat <xml> document, the text reply, its encryption and signature. It does what
// every correct handler must do and nothing else (no routing, no dedupe, no timestamp window,
// no typed messages), so it is a lower bound, not a product: it understands one CDATA
// section or one escaped text per element, which is what WeChat sends.
type Floor struct {
	token string
	appID string
	block cipher.Block
	iv    [aes.BlockSize]byte
	bufs  sync.Pool // *floorBufs
}

type floorBufs struct{ in, work, out, sig, scratch []byte }

const floorMaxBody = 1 << 20

var (
	floorXML  = []string{"text/xml; charset=utf-8"}
	floorText = []string{"text/plain; charset=utf-8"}
	nosniff   = []string{"nosniff"}
)

// NewFloor returns the floor handler for one account.
func NewFloor(token, appID, encodingAESKey string) (*Floor, error) {
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("benchmarks: floor: bad EncodingAESKey")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	f := &Floor{token: token, appID: appID, block: block}
	copy(f.iv[:], key)
	f.bufs.New = func() any {
		return &floorBufs{in: make([]byte, 0, 4096), work: make([]byte, 0, 4096), out: make([]byte, 0, 4096), sig: make([]byte, 0, 4096), scratch: make([]byte, 0, 4096)}
	}
	return f, nil
}

// ServeHTTP answers verification and text messages, in plaintext and safe mode.
func (f *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.RawQuery
	ts, nonce := queryParam(q, "timestamp"), queryParam(q, "nonce")
	b := f.bufs.Get().(*floorBufs)
	defer f.bufs.Put(b)
	// In safe mode msg_signature, checked once the body is read, signs the token, timestamp
	// and nonce as well as the ciphertext: signature adds nothing, so a minimal handler
	// skips it.
	safePost := r.Method == http.MethodPost && queryParam(q, "encrypt_type") == "aes"
	if !safePost && !checkHexSig(queryParam(q, "signature"), sha1Sorted(b, f.token, ts, nonce, nil)) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	switch r.Method {
	case http.MethodGet:
		h := w.Header()
		h["Content-Type"] = floorText
		h["X-Content-Type-Options"] = nosniff
		_, _ = io.WriteString(w, queryParam(q, "echostr"))
	case http.MethodPost:
		f.serveMessage(w, r, b, q, ts, nonce, safePost)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *Floor) serveMessage(w http.ResponseWriter, r *http.Request, b *floorBufs, q, ts, nonce string, safe bool) {
	body, err := readAllLimit(b.in[:0], r.Body, floorMaxBody)
	b.in = body[:0]
	if err != nil {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	msg := body
	if safe {
		enc, ok := xmlField(body, "Encrypt")
		if !ok || !checkHexSig(queryParam(q, "msg_signature"), sha1Sorted(b, f.token, ts, nonce, enc)) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if msg, ok = f.open(b, enc); !ok {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
	}
	from, ok1 := xmlField(msg, "FromUserName")
	to, ok2 := xmlField(msg, "ToUserName")
	typ, ok3 := xmlField(msg, "MsgType")
	if !ok1 || !ok2 || !ok3 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	h := w.Header()
	if string(typ) != "text" {
		h["Content-Type"] = floorText
		_, _ = io.WriteString(w, "success")
		return
	}
	content, _ := xmlField(msg, "Content")

	var nowBuf [20]byte
	now := strconv.AppendInt(nowBuf[:0], time.Now().Unix(), 10)
	out := b.out[:0]
	out = append(out, "<xml><ToUserName>"...)
	out = appendCDATA(out, from)
	out = append(out, "</ToUserName><FromUserName>"...)
	out = appendCDATA(out, to)
	out = append(out, "</FromUserName><CreateTime>"...)
	out = append(out, now...)
	out = append(out, "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>"...)
	out = appendCDATA(out, content)
	out = append(out, "</Content></xml>"...)
	b.out = out[:0]
	if safe {
		out = f.seal(b, out, now)
	}
	h["Content-Type"] = floorXML
	_, _ = w.Write(out)
}

// open decodes, decrypts and unwraps an <Encrypt> value into b.work, checking the padding,
// the declared length and the AppID.
func (f *Floor) open(b *floorBufs, enc []byte) ([]byte, bool) {
	ct := grow(b.work[:0], base64.StdEncoding.DecodedLen(len(enc)))
	b.work = ct[:0]
	n, err := base64.StdEncoding.Decode(ct, enc)
	if err != nil || n == 0 || n%aes.BlockSize != 0 {
		return nil, false
	}
	ct = ct[:n]
	cipher.NewCBCDecrypter(f.block, f.iv[:]).CryptBlocks(ct, ct)
	pad := int(ct[n-1])
	if pad < 1 || pad > 32 || pad > n {
		return nil, false
	}
	for _, c := range ct[n-pad:] {
		if int(c) != pad {
			return nil, false
		}
	}
	ct = ct[:n-pad]
	if len(ct) < 20 {
		return nil, false
	}
	size := binary.BigEndian.Uint32(ct[16:])
	ct = ct[20:]
	if uint64(size) > uint64(len(ct)) || string(ct[size:]) != f.appID {
		return nil, false
	}
	return ct[:size], true
}

// seal encrypts reply and wraps it in the signed envelope, stamped now with a fresh nonce.
func (f *Floor) seal(b *floorBufs, reply, now []byte) []byte {
	var rnd [24]byte
	_, _ = rand.Read(rnd[:])
	var nonce [10]byte
	for i := range nonce {
		nonce[i] = '0' + rnd[16+i%8]%10
	}
	n := 20 + len(reply) + len(f.appID)
	pad := 32 - n%32
	pt := grow(b.work[:0], n+pad)
	b.work = pt[:0]
	copy(pt, rnd[:16])
	binary.BigEndian.PutUint32(pt[16:], uint32(len(reply)))
	copy(pt[20:], reply)
	copy(pt[20+len(reply):], f.appID)
	for i := n; i < len(pt); i++ {
		pt[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(f.block, f.iv[:]).CryptBlocks(pt, pt)

	out := append(b.sig[:0], "<xml><Encrypt><![CDATA["...)
	start := len(out)
	out = base64.StdEncoding.AppendEncode(out, pt)
	enc := out[start:]
	d := sha1SortedBytes(b, []byte(f.token), now, nonce[:], enc)
	out = append(out, "]]></Encrypt><MsgSignature><![CDATA["...)
	out = hex.AppendEncode(out, d[:])
	out = append(out, "]]></MsgSignature><TimeStamp>"...)
	out = append(out, now...)
	out = append(out, "</TimeStamp><Nonce><![CDATA["...)
	out = append(out, nonce[:]...)
	out = append(out, "]]></Nonce></xml>"...)
	b.sig = out[:0]
	return out
}

// sha1Sorted is the raw SHA-1 of token, timestamp, nonce (and encrypt, when not nil), sorted
// and joined, as WeChat signs callbacks.
func sha1Sorted(b *floorBufs, token, ts, nonce string, encrypt []byte) [sha1.Size]byte {
	if encrypt == nil {
		return sha1SortedBytes(b, []byte(token), []byte(ts), []byte(nonce), nil)
	}
	return sha1SortedBytes(b, []byte(token), []byte(ts), []byte(nonce), encrypt)
}

// sha1SortedBytes hashes p0..p2, and p3 unless nil, sorted and joined in b.scratch.
func sha1SortedBytes(b *floorBufs, p0, p1, p2, p3 []byte) [sha1.Size]byte {
	parts := [4][]byte{p0, p1, p2, p3}
	p := parts[:3]
	if p3 != nil {
		p = parts[:4]
	}
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && bytes.Compare(p[j], p[j-1]) < 0; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
	buf := b.scratch[:0]
	for _, s := range p {
		buf = append(buf, s...)
	}
	b.scratch = buf[:0]
	return sha1.Sum(buf)
}

func checkHexSig(sig string, want [sha1.Size]byte) bool {
	var got [sha1.Size]byte
	if len(sig) != 2*sha1.Size {
		return false
	}
	if _, err := hex.Decode(got[:], []byte(sig)); err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// queryParam returns the first value of key in a raw query, unescaped, without building a
// url.Values map.
func queryParam(raw, key string) string {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != key {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			if u, err := url.QueryUnescape(v); err == nil {
				return u
			}
			return ""
		}
		return v
	}
	return ""
}

// xmlField returns the text of the first <name> element of a flat document: the CDATA
// section if it starts with one, else the text up to </name>, entities decoded.
func xmlField(doc []byte, name string) ([]byte, bool) {
	var open [64]byte
	tag := append(append(append(open[:0], '<'), name...), '>')
	i := bytes.Index(doc, tag)
	if i < 0 {
		return nil, false
	}
	rest := doc[i+len(tag):]
	if bytes.HasPrefix(rest, []byte("<![CDATA[")) {
		rest = rest[len("<![CDATA["):]
		j := bytes.Index(rest, []byte("]]>"))
		if j < 0 {
			return nil, false
		}
		return rest[:j], true
	}
	j := bytes.IndexByte(rest, '<')
	if j < 0 {
		return nil, false
	}
	v := rest[:j]
	if bytes.IndexByte(v, '&') >= 0 {
		v = []byte(html.UnescapeString(string(v)))
	}
	return v, true
}

// appendCDATA appends s as CDATA, splitting any "]]>" across two sections.
func appendCDATA(dst, s []byte) []byte {
	dst = append(dst, "<![CDATA["...)
	for {
		i := bytes.Index(s, []byte("]]>"))
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+2]...)
		dst = append(dst, "]]><![CDATA["...)
		s = s[i+2:]
	}
	dst = append(dst, s...)
	return append(dst, "]]>"...)
}

func readAllLimit(dst []byte, r io.Reader, limit int) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst) > limit {
			return dst, errors.New("body too large")
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

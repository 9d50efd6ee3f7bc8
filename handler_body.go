package offiaccount

// The byte path of a callback: the request body read into a buffer sized from Content-Length,
// the safe-mode envelope opened without copies, and the buffers every step borrows.

import (
	"bytes"
	"errors"
	"io"
	"math/bits"
	"net/http"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Buffers come from pools by power-of-two size class, from 4 KiB (a typical callback) to
// 2 MiB (a 1 MiB body's sealed reply). Larger buffers are not kept. A sync.Pool drops what
// sits idle across two garbage collections, so a burst of large messages does not hold its
// memory afterwards.
const (
	minBufShift = 12 // 4 KiB
	maxBufShift = 21 // 2 MiB
)

var bufPools [maxBufShift - minBufShift + 1]sync.Pool

// bufClass returns the class of the smallest pooled buffer holding n bytes, or -1 when n is
// too large to pool.
func bufClass(n int) int {
	if n <= 1<<minBufShift {
		return 0
	}
	c := bits.Len(uint(n-1)) - minBufShift
	if c >= len(bufPools) {
		return -1
	}
	return c
}

// getBufSize returns an empty buffer with room for n bytes.
func getBufSize(n int) *[]byte {
	c := bufClass(n)
	if c < 0 {
		b := make([]byte, 0, n)
		return &b
	}
	if b, ok := bufPools[c].Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1<<(minBufShift+c))
	return &b
}

// putBuf returns a buffer to the pool of the largest class it can serve; buffers grown past
// the largest class are dropped.
func putBuf(b *[]byte) {
	n := cap(*b)
	if n < 1<<minBufShift || n > 1<<maxBufShift {
		return
	}
	c := bits.Len(uint(n)) - 1 - minBufShift
	*b = (*b)[:0]
	bufPools[c].Put(b)
}

// maxPresize bounds the buffer a body is first read into, whatever Content-Length announces:
// memory follows the bytes that arrive, so that requests announcing large bodies and sending
// little (which need no valid signature in safe mode) cannot make the Handler commit a buffer
// each. Most callbacks fit in the first 4 KiB class anyway.
const maxPresize = 64 << 10

// readPooled reads at most limit bytes of r (one more reports false) into pooled buffers,
// starting with room for min(hint, maxPresize) bytes and doubling, up to hint when that is
// more than the buffer holds, while bytes keep coming. It returns the bytes read and the
// buffer that holds them, for putBuf.
func readPooled(r io.Reader, hint int, limit int64) (body []byte, bp *[]byte, fits bool, err error) {
	bp = getBufSize(min(max(hint, 1), maxPresize))
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			next := 2 * cap(buf)
			if hint > cap(buf) && hint < next {
				next = hint
			}
			nbp := getBufSize(next)
			nbuf := append((*nbp)[:0], buf...)
			putBuf(bp)
			bp, buf = nbp, nbuf
		}
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case int64(len(buf)) > limit:
			return buf, bp, false, nil
		case rerr == io.EOF:
			return buf, bp, true, nil
		case rerr != nil:
			return buf, bp, true, rerr
		}
	}
}

// errBodyTooLarge reports a body over the Handler's cap.
var errBodyTooLarge = errors.New("body too large")

// readRequestBody reads r's body into buffers sized from Content-Length when known, growing
// as bytes arrive. A plaintext body (owned) becomes the Message's Raw, so it ends in a buffer
// of its own, exactly its size (see readOwned); an encrypted one is only decoded, so it stays
// in a pooled buffer, returned as pooled for putBuf.
func (h *Handler) readRequestBody(r *http.Request, owned bool) (body []byte, pooled *[]byte, err error) {
	hint := 1 << minBufShift
	announced := r.ContentLength > 0 && r.ContentLength <= h.maxBody
	if announced {
		// One byte more than announced, so the read ends at EOF without growing.
		hint = int(r.ContentLength) + 1
	}
	if owned {
		body, fits, err := readOwned(r.Body, hint, announced, h.maxBody)
		if !fits {
			return nil, nil, errBodyTooLarge
		}
		return body, nil, err
	}
	body, bp, fits, err := readPooled(r.Body, hint, h.maxBody)
	if !fits {
		putBuf(bp)
		return nil, nil, errBodyTooLarge
	}
	return body, bp, err
}

// readOwned is readPooled for a body that needs a buffer of its own. A small body whose size
// was announced (hint is that size plus one) is read straight into a buffer of its own: no
// pooled chunk, no copy. Any other body is read into pooled chunks, each as large as all
// before it (the first min(hint, maxPresize)), so that memory follows the bytes that arrive
// and nothing is copied as the body grows, then joined once into a buffer of exactly the
// body's size, which the runtime need not clear first.
func readOwned(r io.Reader, hint int, announced bool, limit int64) (body []byte, fits bool, err error) {
	if announced && hint <= 1<<minBufShift {
		buf, eof, err := fill(make([]byte, 0, hint), r)
		if eof || err != nil {
			return buf[:len(buf):len(buf)], int64(len(buf)) <= limit, err
		}
		// Longer than announced: the rest as any other body.
		rest, fits, err := readOwned(r, 1<<minBufShift, false, limit-int64(len(buf)))
		if !fits {
			return nil, false, nil
		}
		body := append(buf, rest...)
		return body[:len(body):len(body)], true, err
	}
	var (
		pooled [48]*[]byte // from 4 KiB doubling: more than any int can hold
		chunks [48][]byte
		n      int
		total  int
	)
	defer func() {
		for _, bp := range pooled[:n] {
			putBuf(bp)
		}
	}()
	for {
		if n == len(chunks) {
			return nil, false, nil
		}
		bp := getBufSize(max(total, min(max(hint, 1), maxPresize)))
		buf, eof, rerr := fill((*bp)[:0], r)
		*bp = buf
		pooled[n], chunks[n] = bp, buf
		n++
		total += len(buf)
		switch {
		case int64(total) > limit:
			return nil, false, nil
		case eof || rerr != nil:
			if n == 1 {
				body = make([]byte, total) // with the copy, allocated without being cleared
				copy(body, buf)
				return body, true, rerr
			}
			return bytes.Join(chunks[:n], nil), true, rerr
		}
	}
}

// fill reads r into buf until buf is full, r ends (eof) or fails.
func fill(buf []byte, r io.Reader) (_ []byte, eof bool, err error) {
	for len(buf) < cap(buf) {
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rerr == io.EOF {
			return buf, true, nil
		}
		if rerr != nil {
			return buf, false, rerr
		}
	}
	return buf, false, nil
}

// bytesString views b as a string without copying. The caller must not modify b while the
// string, or any part of it, is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// readMessage reads the body of a message POST and decodes the message: the plaintext body,
// or the safe-mode envelope checked and opened. A non-zero code rejects the request.
func (h *Handler) readMessage(r *http.Request, q callbackQuery, encrypted bool, m *Message) (code int, reason string) {
	body, pooled, err := h.readRequestBody(r, !encrypted)
	if pooled != nil {
		defer putBuf(pooled)
	}
	switch {
	case errors.Is(err, errBodyTooLarge):
		return http.StatusRequestEntityTooLarge, "body too large"
	case err != nil:
		return http.StatusBadRequest, "reading body failed"
	}
	if encrypted {
		plain, code, reason := h.open(r, q, body)
		if code != 0 {
			return code, reason
		}
		m.Raw = plain
	} else {
		m.Raw = body
	}
	// The fields are substrings of Raw, which nothing writes to from here on: the document is
	// held once, not once as bytes and again as a string.
	if err := parseMessageInto(m, bytesString(m.Raw)); err != nil {
		return http.StatusBadRequest, "malformed message"
	}
	return 0, ""
}

// envelopeEncrypt returns the value of a safe-mode envelope's first Encrypt element ("" if
// there is none) and, when the value is a piece of body as it stands, that piece; ok is
// false for malformed XML. The strings point into body.
func envelopeEncrypt(body []byte) (enc string, ct []byte, ok bool) {
	doc := bytesString(body)
	if v, at, ok := flatEncrypt(doc); ok { // WeChat's envelopes, without a parser
		return v, body[at : at+len(v)], true
	}
	p := getXMLParser()
	defer putXMLParser(p)
	if err := p.parse(doc); err != nil {
		return "", nil, false
	}
	for i := range p.nodes {
		if n := &p.nodes[i]; n.depth == 1 && n.name == "Encrypt" {
			if n.start >= 0 {
				ct = body[n.start:n.end]
			}
			return n.value, ct, true
		}
	}
	return "", nil, true
}

// open checks and decrypts a safe-mode envelope. A non-zero code rejects it. The message
// returned is in a buffer of its own: it becomes the Message's Raw. Rejections that point at
// the configuration are logged as such here, where their cause is known.
func (h *Handler) open(r *http.Request, q callbackQuery, body []byte) (plain []byte, code int, reason string) {
	enc, ct, ok := envelopeEncrypt(body)
	if !ok {
		return nil, http.StatusBadRequest, "malformed XML"
	}
	if enc == "" {
		return nil, http.StatusBadRequest, "missing Encrypt"
	}
	if !CheckMsgSignature(q.msgSignature, h.token, q.timestamp, q.nonce, enc) {
		h.misconfigured(r, misconfigMsgSignature)
		return nil, http.StatusForbidden, "invalid msg_signature"
	}
	if ct == nil {
		ct = []byte(enc)
	}
	plain, err := h.crypter.DecryptBytes(ct) // a buffer of its own, which becomes Raw
	switch {
	case errors.Is(err, ErrAppIDMismatch):
		h.misconfigured(r, misconfigAppID)
		return nil, http.StatusForbidden, "message for another AppID"
	case err != nil:
		h.misconfigured(r, misconfigDecrypt)
		return nil, http.StatusBadRequest, "undecryptable Encrypt"
	}
	return plain, 0, ""
}

// Content-Type values of replies, shared (header values are never modified in place) so
// that setting them does not allocate.
var (
	contentTypeText = []string{"text/plain; charset=utf-8"}
	contentTypeXML  = []string{"application/xml; charset=utf-8"}
	headerNosniff   = []string{"nosniff"}
)

// replySizeHint guesses the size of r's document, so that a large reply is built in a buffer
// of the right size class instead of one grown by doubling.
func replySizeHint(r Reply, m *Message) int {
	n := 256 + len(m.FromUserName) + len(m.ToUserName)
	switch r := r.(type) {
	case TextReply:
		n += len(r.Content)
	case *TextReply:
		if r != nil {
			n += len(r.Content)
		}
	case NewsReply:
		for _, a := range r.Articles {
			n += 128 + len(a.Title) + len(a.Description) + len(a.PicURL) + len(a.URL)
		}
	}
	return n
}

// appendMessageReply is AppendReply answering m. A TextReply quoting a piece of m's own
// document, such as an echo of m.Content, skips the character check AppendCDATA does: the
// parser has checked those characters already, so a long text is checked once, not twice.
func appendMessageReply(dst []byte, r Reply, m *Message, createTime int64) []byte {
	if t, ok := r.(TextReply); ok && checkedText(m.Raw, t.Content) {
		dst = appendReplyHead(dst, MsgTypeText, m.FromUserName, m.ToUserName, createTime)
		dst = append(dst, "<Content><![CDATA["...)
		dst = append(dst, t.Content...)
		return append(dst, "]]></Content></xml>"...)
	}
	return AppendReply(dst, r, m.FromUserName, m.ToUserName, createTime)
}

// checkedText reports whether s lies in doc, a document the parser accepted, and starts and
// ends on character boundaries. Such a string is a piece of one element's undecoded value
// (the Message's strings that needed decoding are copies): valid UTF-8, only characters XML
// allows, and no "]]>", so it can go into one CDATA section as it is.
func checkedText(doc []byte, s string) bool {
	if len(s) < 64 || len(doc) == 0 {
		return false // not worth the check
	}
	base := uintptr(unsafe.Pointer(&doc[0]))
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	if p < base || p-base > uintptr(len(doc)) || uintptr(len(doc))-(p-base) < uintptr(len(s)) {
		return false
	}
	start := int(p - base)
	end := start + len(s)
	return utf8.RuneStart(doc[start]) && (end == len(doc) || utf8.RuneStart(doc[end]))
}

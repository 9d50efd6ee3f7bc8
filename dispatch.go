package offiaccount

// WeChat's retries: one run of the user's function per message, its reply replayed to every
// attempt, and the timing that gets a slow reply through before WeChat gives up.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// dedupeKey identifies a message across WeChat's retries: sender and MsgId
// for messages; for events, sender, time, event and every field that tells
// two events of one second apart (EventKey, Ticket, MsgID of job-finish
// events, the scan result, the pictures, the place...), so that two menu
// clicks in one second are two events while WeChat's retries of one event,
// which repeat every field, still match. The account id keeps accounts
// sharing a store apart.
func dedupeKey(m *Message) string {
	var stack [200]byte
	return string(appendDedupeKey(stack[:0], m))
}

// appendDedupeKey appends the dedupe key of m to b.
func appendDedupeKey(b []byte, m *Message) []byte {
	b = append(b, m.ToUserName...)
	if m.MsgType != MsgTypeEvent && m.MsgID != 0 {
		// The sender too: a caller who guesses MsgIds cannot fetch another
		// user's stored reply.
		b = append(b, "|m|"...)
		b = append(b, m.FromUserName...)
		b = append(b, '|')
		b = strconv.AppendInt(b, m.MsgID, 10)
		return b
	}
	b = append(b, "|e|"...)
	b = append(b, m.FromUserName...)
	b = append(b, '|')
	b = strconv.AppendInt(b, m.CreateTime, 10)
	b = append(b, '|')
	b = append(b, m.MsgType...)
	b = append(b, '|')
	b = append(b, m.Event...)
	if m.MsgID != 0 {
		b = append(b, '|')
		b = strconv.AppendInt(b, m.MsgID, 10)
	}
	// Variable-length fields go length-prefixed, so no two field lists
	// build one key.
	field := func(tag byte, v string) {
		if v != "" {
			b = append(b, '|', tag)
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, ':')
			b = append(b, v...)
		}
	}
	num := func(tag byte, v float64) {
		if v != 0 {
			b = append(b, '|', tag)
			b = strconv.AppendFloat(b, v, 'g', -1, 64)
		}
	}
	field('k', m.EventKey)
	field('t', m.Ticket)
	field('u', m.MenuID)
	num('a', m.Latitude)
	num('o', m.Longitude)
	num('p', m.Precision)
	field('s', m.ScanCodeInfo.ScanType)
	field('r', m.ScanCodeInfo.ScanResult)
	for _, p := range m.SendPicsInfo.PicList {
		field('i', p.PicMd5Sum)
	}
	if l := m.SendLocationInfo; l != (SendLocationInfo{}) {
		num('x', l.LocationX)
		num('y', l.LocationY)
		num('z', float64(l.Scale))
		field('l', l.Label)
		field('n', l.Poiname)
	}
	field('S', m.Status)
	if m.MsgType != MsgTypeEvent {
		// A message without MsgId (WeChat always sends one): its content.
		field('c', m.Content)
		field('d', m.MediaID)
	}
	return b
}

// A stored reply is a mode byte and the reply's plain XML. A reply stored
// for an encrypted request only ever goes out sealed: a plaintext request
// that matches its record (compatible mode accepts both) gets "success".
const (
	replyPlain  = 'P' // stored for a plaintext request; answers any request
	replySealed = 'S' // stored for an encrypted request; answers encrypted ones only
)

// replyMode is the mode byte of a reply stored for a request encrypted or not.
func replyMode(encrypted bool) byte {
	if encrypted {
		return replySealed
	}
	return replyPlain
}

// dedupeClockSkew is how long records outlive the timestamp window, for
// replicas (and WeChat) whose clocks differ from this server's.
const dedupeClockSkew = time.Minute

// recordTTL is how long a message must be remembered: until its request's
// timestamp ts can no longer pass the window check, plus the clock skew,
// and never less than the reply TTL.
func (h *Handler) recordTTL(ts int64, now time.Time) time.Duration {
	ttl := h.dedupeTTL
	if h.window > 0 {
		if d := time.Unix(ts, 0).Add(h.window + dedupeClockSkew).Sub(now); d > ttl {
			ttl = d
		}
	}
	return ttl
}

// dispatch runs the message's function once across WeChat's retries and
// replays of the request, and writes the reply. cb holds the message; ts is
// the request's timestamp.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, cb *callback, encrypted bool, arrived time.Time, ts int64) {
	t := h.timing
	m := &cb.msg
	mode := replyMode(encrypted)
	if h.store == nil {
		h.runOnce(w, r, cb, encrypted, arrived, arrived.Add(t.AttemptTimeout-t.Margin))
		return
	}
	d := h.dedupeRef(m)
	ttl := h.recordTTL(ts, arrived)
	rec, created, err := d.claim(r.Context(), arrived, ttl)
	if err != nil {
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "offiaccount: dedupe store failed; handling without dedupe",
			slog.String("op", "claim"), slog.String("error", err.Error()))
		h.runOnce(w, r, cb, encrypted, arrived, arrived.Add(t.AttemptTimeout-t.Margin))
		return
	}
	if created {
		// The first attempt runs the function. Its reply can go out through
		// any attempt until the last one gives up.
		// The function and the store's completion outlive the request if WeChat hangs up.
		base := context.WithoutCancel(r.Context())
		cb.ctx.init(base, arrived.Add(time.Duration(t.Attempts)*t.AttemptTimeout-t.Margin))
		var bp *[]byte
		body, end := h.run(&cb.ctx, m, mode, arrived, &bp)
		cb.ctx.end(context.Canceled)
		left := ttl - end.Sub(arrived)
		if err := d.complete(base, body, bp == nil, h.dedupeTTL, max(left, h.dedupeTTL), end); err != nil {
			h.logger.LogAttrs(r.Context(), slog.LevelWarn, "offiaccount: dedupe store failed",
				slog.String("op", "complete"), slog.String("error", err.Error()))
		}
		h.respondStored(r, w, body, encrypted, end)
		putReplyBuf(bp)
		return
	}
	if rec.Done {
		h.respondStored(r, w, rec.Reply, encrypted, arrived)
		return
	}
	// A retry while the first attempt's function still runs: wait for its
	// reply until WeChat gives up on this attempt. On the last attempt,
	// answer "success" just before that, so the user sees no error banner.
	elapsed := arrived.Sub(rec.FirstSeen)
	attempt := int((elapsed + t.AttemptTimeout/2) / t.AttemptTimeout) // 0-based
	isLast := attempt >= t.Attempts-1
	wait := t.AttemptTimeout + t.Margin // until WeChat has surely hung up
	if isLast {
		wait = t.AttemptTimeout - t.Margin
	}
	wait -= h.clock().Sub(arrived)
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	reply, err := d.wait(ctx)
	cancel()
	switch {
	case err == nil:
		h.respondStored(r, w, reply, encrypted, h.clock())
	case r.Context().Err() != nil:
		// WeChat hung up; nothing to answer.
	case isLast || errors.Is(err, ErrDedupeRecordNotFound):
		h.writeBody(w, nil)
	case errors.Is(err, context.DeadlineExceeded):
		// WeChat has given up on this attempt and will retry; a client that
		// is still here is not WeChat. It gets "no reply", never a 5xx.
		h.writeBody(w, nil)
	default:
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "offiaccount: dedupe store failed",
			slog.String("op", "wait"), slog.String("error", err.Error()))
		h.writeBody(w, nil)
	}
}

// runOnce runs the message's function without dedupe, until deadline at the latest, and
// writes its reply.
func (h *Handler) runOnce(w http.ResponseWriter, r *http.Request, cb *callback, encrypted bool, arrived, deadline time.Time) {
	mode := replyMode(encrypted)
	cb.ctx.init(context.WithoutCancel(r.Context()), deadline)
	var bp *[]byte
	body, end := h.run(&cb.ctx, &cb.msg, mode, arrived, &bp)
	cb.ctx.end(context.Canceled)
	h.respondStored(r, w, body, encrypted, end)
	putReplyBuf(bp)
}

// writeBody writes a response body; empty means "success".
func (h *Handler) writeBody(w http.ResponseWriter, body []byte) {
	hdr := w.Header()
	if len(body) == 0 {
		hdr["Content-Type"] = contentTypeText
		io.WriteString(w, "success")
		return
	}
	hdr["Content-Type"] = contentTypeXML
	w.Write(body)
}

// respondStored writes a stored reply (mode byte and plain XML, nil for
// "success") in the mode of the request.
func (h *Handler) respondStored(r *http.Request, w http.ResponseWriter, stored []byte, encrypted bool, now time.Time) {
	if len(stored) == 0 {
		h.writeBody(w, nil)
		return
	}
	switch {
	case stored[0] == replySealed && !encrypted:
		// Kept for an encrypted request: never unsealed.
		h.logger.LogAttrs(r.Context(), slog.LevelDebug, "offiaccount: plaintext request for a message answered encrypted; answering success")
		h.writeBody(w, nil)
		return
	case stored[0] != replyPlain && stored[0] != replySealed:
		// Not written by this version (an older one sharing the store, or a store that
		// altered it): of unknown origin, so neither unsealed nor cut and sealed.
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "offiaccount: stored reply without a known mode; answering success")
		h.writeBody(w, nil)
		return
	}
	h.respond(r.Context(), w, stored[1:], encrypted, now)
}

// run calls the message's function, recovering panics, and returns the
// reply as it is stored (mode, then plain XML; nil for "success") and the
// time the function returned. The reply is built in a pooled buffer that run
// sets *bp to; the caller puts it back (putReplyBuf) once done with body. A
// large reply for the built-in store is built in a buffer of its own instead,
// which the store then keeps without copying it (*bp stays nil).
func (h *Handler) run(ctx context.Context, m *Message, mode byte, arrived time.Time, bp **[]byte) (body []byte, end time.Time) {
	defer func() {
		if p := recover(); p != nil {
			end = h.since(arrived)
			h.logger.LogAttrs(ctx, slog.LevelError, "offiaccount: callback function panicked",
				slog.String("msg_type", string(m.MsgType)), slog.String("event", string(m.Event)),
				slog.String("panic", fmt.Sprint(p)))
			body = nil
		}
	}()
	reply, err := h.Dispatch(ctx, m)
	end = h.since(arrived)
	if err != nil {
		h.logger.LogAttrs(ctx, slog.LevelError, "offiaccount: callback function failed",
			slog.String("msg_type", string(m.MsgType)), slog.String("event", string(m.Event)),
			slog.String("error", err.Error()))
		return nil, end
	}
	if reply == nil {
		return nil, end
	}
	hint := replySizeHint(reply, m)
	if h.mem != nil && hint > memChunkSize/4 {
		plain := appendMessageReply(append(make([]byte, 0, hint), mode), reply, m, end.Unix())
		if len(plain) == 1 {
			return nil, end
		}
		return plain, end
	}
	*bp = getBufSize(hint)
	plain := appendMessageReply(append((**bp)[:0], mode), reply, m, end.Unix())
	**bp = plain[:0] // keeps the buffer if it grew
	if len(plain) == 1 {
		return nil, end
	}
	return plain, end
}

// putReplyBuf puts back the buffer run took, if it took one.
func putReplyBuf(bp *[]byte) {
	if bp != nil {
		putBuf(bp)
	}
}

// respond writes a reply's plain XML (nil for "success"), sealed and signed when the
// request was encrypted. Replies are kept plain in the dedupe store and sealed per answer,
// so a replay always matches the mode of the request it answers.
func (h *Handler) respond(ctx context.Context, w http.ResponseWriter, plain []byte, encrypted bool, now time.Time) {
	if len(plain) == 0 || !encrypted {
		h.writeBody(w, plain)
		return
	}
	// The timestamp and nonce live at the end of the pooled buffer: on the stack they would
	// escape through the hashing and cost two allocations.
	const scratch = 64
	bp := getBufSize(sealedLen(h.crypter, len(plain), 20, 16) + scratch)
	defer putBuf(bp)
	buf := (*bp)[:cap(*bp)]
	tail := buf[len(buf)-scratch:]
	ts := strconv.AppendInt(tail[:0:32], now.Unix(), 10)
	nonce := (*[16]byte)(tail[32:48])
	randomNonce(nonce)
	sealed, err := sealReply(buf[:0:len(buf)-scratch], h.crypter, h.token, plain, ts, nonce[:])
	if err != nil {
		h.logger.LogAttrs(ctx, slog.LevelError, "offiaccount: encrypting the reply failed", slog.String("error", err.Error()))
		h.writeBody(w, nil)
		return
	}
	if cap(sealed) > cap(*bp) {
		*bp = sealed[:0] // grown: keep the larger buffer
	}
	h.writeBody(w, sealed)
}

// randomNonce fills b with letters and digits. A nonce only needs to differ between
// replies: a byte of random bits per character, taken modulo the alphabet, is plenty, and two
// calls of the generator cost a tenth of one per character.
func randomNonce(b *[16]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for half := 0; half < 2; half++ {
		bits := rand.Uint64()
		for i := 0; i < 8; i++ {
			b[half*8+i] = alphabet[byte(bits)%byte(len(alphabet))]
			bits >>= 8
		}
	}
}

// lazyDeadline is a context with a deadline whose timer starts only when Done is first
// called. Most callback functions never wait on their context, and a timer per message was
// the largest single cost of the plaintext path. Err reports the deadline whether or not
// Done was called.
type lazyDeadline struct {
	context.Context // the parent, for Value; never cancelled (context.WithoutCancel)

	deadline time.Time
	mu       sync.Mutex
	done     chan struct{} // made by the first Done
	timer    *time.Timer
	err      error
}

// withLazyDeadline returns a child of parent, which must never be cancelled, that ends at
// deadline or when cancel is called.
func withLazyDeadline(parent context.Context, deadline time.Time) (context.Context, context.CancelFunc) {
	c := new(lazyDeadline)
	c.init(parent, deadline)
	return c, func() { c.end(context.Canceled) }
}

// init makes c a child of parent ending at deadline, in place: a callback's context is
// allocated with its Message (see callback).
func (c *lazyDeadline) init(parent context.Context, deadline time.Time) {
	c.Context, c.deadline = parent, deadline
}

// callback is what one message's handling allocates in one piece: the Message and the
// context its function runs in.
type callback struct {
	msg Message
	ctx lazyDeadline
}

func (c *lazyDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *lazyDeadline) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err == nil {
			if d := time.Until(c.deadline); d > 0 {
				c.timer = time.AfterFunc(d, func() { c.end(context.DeadlineExceeded) })
				return c.done
			}
			c.err = context.DeadlineExceeded
		}
		close(c.done)
	}
	return c.done
}

func (c *lazyDeadline) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !time.Now().Before(c.deadline) {
		c.endLocked(context.DeadlineExceeded)
	}
	return c.err
}

func (c *lazyDeadline) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLocked(err)
}

func (c *lazyDeadline) endLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.done != nil {
		close(c.done)
	}
}

// String names the context for debugging, as the context package's own types do.
func (c *lazyDeadline) String() string {
	return "offiaccount.callbackContext(" + c.deadline.String() + ")"
}

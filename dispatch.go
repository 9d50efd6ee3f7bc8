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
// for messages; sender, time and event (and MsgID, which job-finish events
// carry) for events. The account id keeps accounts sharing a store apart.
func dedupeKey(m *Message) string {
	var stack [160]byte
	b := append(stack[:0], m.ToUserName...)
	if m.MsgType != MsgTypeEvent && m.MsgID != 0 {
		// The sender too: a caller who guesses MsgIds cannot fetch another
		// user's stored reply.
		b = append(b, "|m|"...)
		b = append(b, m.FromUserName...)
		b = append(b, '|')
		b = strconv.AppendInt(b, m.MsgID, 10)
		return string(b)
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
	return string(b)
}

// dispatch runs the message's function once across WeChat's retries and
// writes the reply.
func (h *Handler) dispatch(w http.ResponseWriter, r *http.Request, m *Message, encrypted bool, arrived time.Time) {
	t := h.timing
	base := context.WithoutCancel(r.Context())
	if h.store == nil {
		ctx, cancel := withLazyDeadline(base, arrived.Add(t.AttemptTimeout-t.Margin))
		defer cancel()
		h.respond(r.Context(), w, h.run(ctx, m), encrypted)
		return
	}
	key := dedupeKey(m)
	rec, created, err := h.store.Claim(r.Context(), key, arrived, h.dedupeTTL)
	if err != nil {
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "offiaccount: dedupe store failed; handling without dedupe",
			slog.String("op", "claim"), slog.String("error", err.Error()))
		ctx, cancel := withLazyDeadline(base, arrived.Add(t.AttemptTimeout-t.Margin))
		defer cancel()
		h.respond(r.Context(), w, h.run(ctx, m), encrypted)
		return
	}
	if created {
		// The first attempt runs the function. Its reply can go out through
		// any attempt until the last one gives up.
		last := arrived.Add(time.Duration(t.Attempts)*t.AttemptTimeout - t.Margin)
		ctx, cancel := withLazyDeadline(base, last)
		body := h.run(ctx, m)
		cancel()
		if err := h.store.Complete(base, key, body, h.dedupeTTL); err != nil {
			h.logger.LogAttrs(r.Context(), slog.LevelWarn, "offiaccount: dedupe store failed",
				slog.String("op", "complete"), slog.String("error", err.Error()))
		}
		h.respond(r.Context(), w, body, encrypted)
		return
	}
	if rec.Done {
		h.respond(r.Context(), w, rec.Reply, encrypted)
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
	wait -= h.now().Sub(arrived)
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	reply, err := h.store.Wait(ctx, key)
	cancel()
	switch {
	case err == nil:
		h.respond(r.Context(), w, reply, encrypted)
	case r.Context().Err() != nil:
		// WeChat hung up; nothing to answer.
	case isLast || errors.Is(err, ErrDedupeRecordNotFound):
		h.respond(r.Context(), w, nil, encrypted)
	case errors.Is(err, context.DeadlineExceeded):
		// WeChat has given up on this attempt and will retry; a client that
		// is still here is not WeChat. It gets "no reply", never a 5xx.
		h.respond(r.Context(), w, nil, encrypted)
	default:
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "offiaccount: dedupe store failed",
			slog.String("op", "wait"), slog.String("error", err.Error()))
		h.respond(r.Context(), w, nil, encrypted)
	}
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

// run calls the message's function, recovering panics, and returns the
// reply's plain XML (nil for "success").
func (h *Handler) run(ctx context.Context, m *Message) (body []byte) {
	defer func() {
		if p := recover(); p != nil {
			h.logger.LogAttrs(ctx, slog.LevelError, "offiaccount: callback function panicked",
				slog.String("msg_type", string(m.MsgType)), slog.String("event", string(m.Event)),
				slog.String("panic", fmt.Sprint(p)))
			body = nil
		}
	}()
	reply, err := h.Dispatch(ctx, m)
	if err != nil {
		h.logger.LogAttrs(ctx, slog.LevelError, "offiaccount: callback function failed",
			slog.String("msg_type", string(m.MsgType)), slog.String("event", string(m.Event)),
			slog.String("error", err.Error()))
		return nil
	}
	if reply == nil {
		return nil
	}
	bp := getBufSize(replySizeHint(reply, m))
	defer putBuf(bp)
	plain := appendMessageReply((*bp)[:0], reply, m, h.now().Unix())
	*bp = plain[:0]
	return append([]byte(nil), plain...)
}

// respond writes a reply's plain XML (nil for "success"), sealed and signed when the
// request was encrypted. Replies are kept plain in the dedupe store and sealed per answer,
// so a replay always matches the mode of the request it answers.
func (h *Handler) respond(ctx context.Context, w http.ResponseWriter, plain []byte, encrypted bool) {
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
	ts := strconv.AppendInt(tail[:0:32], h.now().Unix(), 10)
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

// randomNonce fills b with letters and digits.
func randomNonce(b *[16]byte) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
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
	c := &lazyDeadline{Context: parent, deadline: deadline}
	return c, func() { c.end(context.Canceled) }
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

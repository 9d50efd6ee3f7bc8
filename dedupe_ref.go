package offiaccount

import (
	"context"
	"time"
)

// dedupeRef names one message in the handler's dedupe store. For any store it is the key's
// text. For a MemoryDedupeStore it is the key's hash and shard, computed once from a key
// built on the stack: the built-in store then needs neither the text nor a second hashing,
// and reads the time from the handler instead of the clock again.
type dedupeRef struct {
	h   *Handler
	key string // other stores
	mk  memKey // MemoryDedupeStore
	sh  *memShard
}

func (h *Handler) dedupeRef(m *Message) dedupeRef {
	if h.mem == nil {
		return dedupeRef{h: h, key: dedupeKey(m)}
	}
	var stack [200]byte
	mk, sh := h.mem.locateBytes(appendDedupeKey(stack[:0], m))
	return dedupeRef{h: h, mk: mk, sh: sh}
}

// memClock is the built-in store's clock at now: now itself when both the handler and the
// store read the real clock (the handler has just read it), else the store's own.
func (d *dedupeRef) memClock(now time.Time) int64 {
	if d.h.now == nil && d.h.mem.now == nil {
		return now.UnixNano()
	}
	return d.h.mem.clock()
}

func (d *dedupeRef) claim(ctx context.Context, now time.Time, ttl time.Duration) (DedupeRecord, bool, error) {
	if d.sh == nil {
		return d.h.store.Claim(ctx, d.key, now, ttl)
	}
	rec, created := d.h.mem.claim(d.mk, d.sh, now, d.memClock(now), ttl)
	return rec, created, nil
}

// complete records the reply; now is when the function returned. owned says the reply has
// a buffer of its own, which the built-in store may keep as it is; any other reply is in a
// buffer the handler reuses, so every store gets a copy of it.
func (d *dedupeRef) complete(ctx context.Context, reply []byte, owned bool, replyTTL, ttl time.Duration, now time.Time) error {
	if d.sh == nil {
		if reply != nil && !owned {
			reply = append([]byte(nil), reply...) // a store may keep what it is given
		}
		return d.h.store.Complete(ctx, d.key, reply, replyTTL, ttl)
	}
	d.h.mem.complete(d.mk, d.sh, reply, owned, replyTTL, ttl, d.memClock(now))
	return nil
}

func (d *dedupeRef) wait(ctx context.Context) ([]byte, error) {
	if d.sh == nil {
		return d.h.store.Wait(ctx, d.key)
	}
	return d.h.mem.wait(ctx, d.mk, d.sh)
}

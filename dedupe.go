package offiaccount

import (
	"context"
	"fmt"
	"time"
)

// DedupeStore remembers the messages a Handler is handling or has handled,
// so that WeChat's retries of one message (it tries three times, five seconds
// apart, when no answer comes) run the user's function once and all get its
// reply, and so that a captured request replayed while its timestamp is
// still accepted never runs the function again. The Handler uses one record
// per message key:
//
//  1. Claim: the first attempt creates a pending record; every later attempt
//     learns that the record exists and when it was created.
//  2. Complete: when the function returns, its owner stores the reply in the
//     record. A retry that finds a completed record answers with that reply
//     again, sealed afresh when the retry is encrypted.
//  3. Wait: a retry that finds a pending record waits for Complete.
//
// A record has two lifetimes: the reply is kept as long as a retry can ask
// for it (replyTTL of Complete, the Handler's WithHandlerDedupeTTL), and the record
// itself, without the reply, as long as a replay can pass the timestamp check
// (ttl). A store should drop the reply first and keep a small "done" record.
//
// A shared implementation (Redis, a database) lets a retry that lands on
// another replica get the first replica's reply: Claim maps to an atomic
// "set if absent with expiry" (SET key value NX PX ttl), Complete to a plain
// set with expiry plus a notification, Wait to polling or a subscription.
//
// Concurrency contract, which the Handler relies on:
//   - All methods are safe for concurrent use, also from several processes
//     when the store is shared.
//   - Claim is atomic: for one key, among all concurrent and later calls
//     until the record expires, exactly one returns created == true.
//   - After Complete(key, reply, replyTTL, ttl) returns, every Claim of key
//     returns a record with Done set and every Wait of key returns, until the
//     record expires; Reply is reply until replyTTL has passed (or the store
//     dropped it to bound its size), and empty after. Waits already blocked
//     return promptly (within tens of milliseconds for a remote store).
//   - Wait returns ErrDedupeRecordNotFound when the key has no record (it
//     expired or was evicted), and ctx.Err() when ctx ends first. It never
//     blocks past ctx's end.
//   - Records expire ttl after the Claim that created them, or after
//     Complete, which restarts the expiry. A store may evict records earlier
//     to bound its size, at the cost of a second run of the function.
//   - Reply slices are not modified by the store or by the Handler after
//     they have been handed over; an empty Reply means "no reply". The
//     Handler's replies are opaque bytes (a mode byte and the plain XML).
//   - The ctx given to Claim and Wait is the request's; Complete gets a
//     context that outlives the request, so a store must apply its own
//     timeout to network calls made in Complete.
type DedupeStore interface {
	// Claim creates a pending record for key with FirstSeen set to now, kept
	// for ttl, if there is none, and reports created == true. Otherwise it
	// returns the existing record and created == false.
	Claim(ctx context.Context, key string, now time.Time, ttl time.Duration) (rec DedupeRecord, created bool, err error)
	// Complete stores reply as the final response for key, creating the
	// record if it expired meanwhile. The reply is kept for replyTTL, the
	// record (without the reply) for ttl.
	Complete(ctx context.Context, key string, reply []byte, replyTTL, ttl time.Duration) error
	// Wait blocks until key is completed and returns its reply.
	Wait(ctx context.Context, key string) (reply []byte, err error)
}

// DedupeRecord is what a DedupeStore holds for one message.
type DedupeRecord struct {
	FirstSeen time.Time // when the first attempt arrived
	Done      bool      // the function has returned and Reply is final
	Reply     []byte    // the stored reply; empty means "no reply" or "no longer kept"
}

// Defaults of a MemoryDedupeStore. At 1,500 messages a second a Handler
// with the default timestamp window holds about 540,000 records (six
// minutes); a record costs about 130 bytes once its reply is gone, about
// 200 bytes more plus the reply while the reply is kept. The record bound
// leaves the byte bound room to be the one that binds: a store evicting
// records still inside the window lets replays through.
const (
	// DefaultDedupeEntries bounds the records a MemoryDedupeStore holds:
	// six minutes of 5,500 messages a second.
	DefaultDedupeEntries = 2_000_000
	// DefaultDedupeMaxBytes bounds the memory a MemoryDedupeStore holds:
	// records plus the replies it keeps for retries.
	DefaultDedupeMaxBytes = 256 << 20
)

// MemoryDedupeStoreOption configures a MemoryDedupeStore; see
// NewMemoryDedupeStore.
type MemoryDedupeStoreOption func(*MemoryDedupeStore) error

// WithMemoryDedupeStoreMaxEntries bounds the number of records held
// (default DefaultDedupeEntries). When it is reached the oldest records go
// first, and a replay of a message that was dropped runs the function again.
func WithMemoryDedupeStoreMaxEntries(n int) MemoryDedupeStoreOption {
	return func(s *MemoryDedupeStore) error {
		if n <= 0 {
			return fmt.Errorf("offiaccount: WithMemoryDedupeStoreMaxEntries: the bound must be positive, got %d", n)
		}
		s.maxEntries = n
		return nil
	}
}

// WithMemoryDedupeStoreMaxBytes bounds the memory held by records and kept
// replies (default DefaultDedupeMaxBytes; at least 64 KiB). When it is
// reached the oldest kept replies are dropped first (a retry of their
// message is answered "success"), then the oldest records. The store is
// split into up to 64 shards of at least 1 MiB each, bounded separately: a
// reply larger than half of one shard's share (2 MiB by default) is not kept
// (its record is), and the replies already kept stay.
func WithMemoryDedupeStoreMaxBytes(n int64) MemoryDedupeStoreOption {
	return func(s *MemoryDedupeStore) error {
		if n < 64<<10 {
			return fmt.Errorf("offiaccount: WithMemoryDedupeStoreMaxBytes: the bound must be at least 64 KiB, got %d", n)
		}
		s.maxBytes = n
		return nil
	}
}

package offiaccount

import (
	"context"
	"sync"
	"time"
)

// DedupeStore remembers the messages a Handler is handling or has handled,
// so that WeChat's retries of one message (it tries three times, five seconds
// apart, when no answer comes) run the user's function once and all get its
// reply. The Handler uses one record per message key:
//
//  1. Claim: the first attempt creates a pending record; every later attempt
//     learns that the record exists and when it was created.
//  2. Complete: when the function returns, its owner stores the reply's plain
//     XML in the record. A retry that finds a completed record answers with
//     that reply again, sealed afresh when the retry is encrypted.
//  3. Wait: a retry that finds a pending record waits for Complete.
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
//   - After Complete(key, body) returns, every Claim of key returns a record
//     with Done set and Reply equal to body, and every Wait of key returns
//     body, until the record expires; Waits already blocked return body
//     promptly (within tens of milliseconds for a remote store).
//   - Wait returns ErrDedupeRecordNotFound when the key has no record (it
//     expired or was evicted), and ctx.Err() when ctx ends first. It never
//     blocks past ctx's end.
//   - Records expire ttl after Claim or Complete. A store may evict records
//     earlier to bound its size, at the cost of a second run of the function.
//   - Reply slices are not modified by the store or by the Handler after
//     they have been handed over; an empty Reply means "no reply".
//   - The ctx given to Claim and Wait is the request's; Complete gets a
//     context that outlives the request, so a store must apply its own
//     timeout to network calls made in Complete.
type DedupeStore interface {
	// Claim creates a pending record for key with FirstSeen set to now, if
	// there is none, and reports created == true. Otherwise it returns the
	// existing record and created == false.
	Claim(ctx context.Context, key string, now time.Time, ttl time.Duration) (rec DedupeRecord, created bool, err error)
	// Complete stores reply as the final response for key, creating the
	// record if it expired meanwhile, and keeps it for ttl.
	Complete(ctx context.Context, key string, reply []byte, ttl time.Duration) error
	// Wait blocks until key is completed and returns its reply.
	Wait(ctx context.Context, key string) (reply []byte, err error)
}

// DedupeRecord is what a DedupeStore holds for one message.
type DedupeRecord struct {
	FirstSeen time.Time // when the first attempt arrived
	Done      bool      // the function has returned and Reply is final
	Reply     []byte    // the reply's plain XML; empty means "no reply"
}

// DefaultDedupeEntries bounds a MemoryDedupeStore created with a size of 0:
// a minute of 1,500 messages a second.
const DefaultDedupeEntries = 100_000

// MemoryDedupeStore is the in-process DedupeStore a Handler uses unless
// told otherwise. It holds at most a fixed number of records, dropping the
// oldest first, and wakes waiters without polling. It is enough for a single
// replica; replicas behind a load balancer need a shared store, because
// WeChat's retries can land on any of them.
type MemoryDedupeStore struct {
	mu      sync.Mutex
	entries map[string]*memEntry
	order   []memOrder // insertion order, oldest at head
	head    int
	max     int
	now     func() time.Time // test hook
}

type memEntry struct {
	rec     DedupeRecord
	expires time.Time
	wake    chan struct{} // made by the first waiter, closed by Complete or eviction
}

type memOrder struct {
	key string
	e   *memEntry
}

// NewMemoryDedupeStore returns an empty store holding at most maxEntries
// records (DefaultDedupeEntries if maxEntries <= 0).
func NewMemoryDedupeStore(maxEntries int) *MemoryDedupeStore {
	if maxEntries <= 0 {
		maxEntries = DefaultDedupeEntries
	}
	return &MemoryDedupeStore{entries: make(map[string]*memEntry), max: maxEntries, now: time.Now}
}

// Claim implements DedupeStore.
func (s *MemoryDedupeStore) Claim(_ context.Context, key string, now time.Time, ttl time.Duration) (DedupeRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clock := s.now()
	if e, ok := s.entries[key]; ok {
		if clock.Before(e.expires) {
			return e.rec, false, nil
		}
		if e.wake != nil { // expired while pending: release its waiters
			close(e.wake)
			e.wake = nil
		}
	}
	s.evict(clock)
	e := &memEntry{rec: DedupeRecord{FirstSeen: now}, expires: clock.Add(ttl)}
	s.insert(key, e)
	return e.rec, true, nil
}

// Complete implements DedupeStore.
func (s *MemoryDedupeStore) Complete(_ context.Context, key string, reply []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clock := s.now()
	e, ok := s.entries[key]
	if !ok {
		s.evict(clock)
		e = &memEntry{rec: DedupeRecord{FirstSeen: clock}}
		s.insert(key, e)
	}
	e.rec.Done = true
	e.rec.Reply = reply
	e.expires = clock.Add(ttl)
	if e.wake != nil {
		close(e.wake)
		e.wake = nil
	}
	return nil
}

// Wait implements DedupeStore.
func (s *MemoryDedupeStore) Wait(ctx context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	e, ok := s.entries[key]
	if !ok || !s.now().Before(e.expires) {
		s.mu.Unlock()
		return nil, ErrDedupeRecordNotFound
	}
	if e.rec.Done {
		s.mu.Unlock()
		return e.rec.Reply, nil
	}
	if e.wake == nil {
		e.wake = make(chan struct{})
	}
	wake := e.wake
	s.mu.Unlock()

	select {
	case <-wake:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !e.rec.Done {
		return nil, ErrDedupeRecordNotFound // evicted while pending
	}
	return e.rec.Reply, nil
}

// Len returns the number of records held, expired ones included until they
// are dropped.
func (s *MemoryDedupeStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// insert adds e under key; the caller holds s.mu and has made room.
func (s *MemoryDedupeStore) insert(key string, e *memEntry) {
	s.entries[key] = e
	s.order = append(s.order, memOrder{key: key, e: e})
}

// evict drops expired records from the head of the insertion order, and
// the oldest records while the store is full. The caller holds s.mu.
func (s *MemoryDedupeStore) evict(now time.Time) {
	for s.head < len(s.order) {
		o := s.order[s.head]
		cur, live := s.entries[o.key]
		live = live && cur == o.e
		if live && now.Before(o.e.expires) && len(s.entries) < s.max {
			break
		}
		s.order[s.head] = memOrder{}
		s.head++
		if live {
			delete(s.entries, o.key)
			if o.e.wake != nil {
				close(o.e.wake) // waiters see the record gone
				o.e.wake = nil
			}
		}
	}
	// Reclaim the consumed head of the queue once it dominates.
	if s.head > 64 && s.head*2 > len(s.order) {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order = s.order[:n]
		s.head = 0
	}
}

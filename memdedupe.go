package offiaccount

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryDedupeStore is the in-process DedupeStore a Handler uses unless
// told otherwise. It is bounded in records and in bytes (see
// NewMemoryDedupeStore), keeps a kept reply only for its reply TTL and then
// a compact record of about 130 bytes, frees expired records within a second
// without waiting for traffic, and is split into shards so that concurrent
// messages rarely share a lock. It wakes waiters without polling. It is
// enough for a single replica; replicas behind a load balancer need a shared
// store, because WeChat's retries can land on any of them.
//
// Keys are remembered by a 128-bit keyed hash (maphash, with a random seed
// per store), not by their text. The zero value is ready to use with the
// defaults. A store must not be copied after first use. While it holds
// records its sweep timer keeps it alive, so a dropped store is collected
// once its last record has expired.
type MemoryDedupeStore struct {
	maxEntries int
	maxBytes   int64

	once       sync.Once
	shards     []memShard
	shift      uint // a key's shard is its first hash >> shift
	seed1      maphash.Seed
	seed2      maphash.Seed
	perEntries int
	perBytes   int64

	sweepEvery time.Duration
	sweepArmed atomic.Bool
	sweepMu    sync.Mutex
	sweepTimer *time.Timer

	now func() time.Time // test hook; nil means time.Now
}

// Estimated memory of one record (table slot at the usual load factor plus
// its queue entry) and of one kept reply besides its bytes; measured by
// TestMemoryDedupeStoreBytesPerRecord.
const (
	memRecordCost = 128
	memReplyCost  = 96
)

// NewMemoryDedupeStore returns an empty store holding at most
// DefaultDedupeEntries records and DefaultDedupeMaxBytes bytes of records
// and replies, unless the options say otherwise.
func NewMemoryDedupeStore(opts ...MemoryDedupeStoreOption) (*MemoryDedupeStore, error) {
	s := &MemoryDedupeStore{}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("offiaccount: NewMemoryDedupeStore: nil option")
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	s.once.Do(s.init)
	return s, nil
}

func (s *MemoryDedupeStore) init() {
	if s.maxEntries <= 0 {
		s.maxEntries = DefaultDedupeEntries
	}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultDedupeMaxBytes
	}
	// Up to 64 shards, each with at least 256 records and 1 MiB.
	n := 1
	for n < 64 && s.maxEntries/(n*2) >= 256 && s.maxBytes/int64(n*2) >= 1<<20 {
		n *= 2
	}
	s.shards = make([]memShard, n)
	s.shift = 64
	for m := n; m > 1; m >>= 1 {
		s.shift--
	}
	s.seed1, s.seed2 = maphash.MakeSeed(), maphash.MakeSeed()
	s.perEntries = max(s.maxEntries/n, 1)
	s.perBytes = s.maxBytes / int64(n)
	if s.sweepEvery == 0 {
		s.sweepEvery = time.Second
	}
}

type memKey [2]uint64

// memRec is a record, free of pointers so that the garbage collector never
// scans the record table.
type memRec struct {
	first int64  // FirstSeen, Unix ns
	exp   int64  // expiry on the store's clock, Unix ns
	bits  uint64 // recUsed | recDone | recWaited | the kept reply's sequence number (0: none)
}

// Flags of memRec.bits, beside the sequence number of the kept reply in the
// shard's reply ring: 24 bytes a record rather than 32.
const (
	recDone   = 1 << 63 // the function has returned
	recWaited = 1 << 62 // the shard's waits map has a channel for the key
	recUsed   = 1 << 61 // the table slot holds a record (see memTable)
	recSeq    = recUsed - 1
)

func (r memRec) done() bool   { return r.bits&recDone != 0 }
func (r memRec) waited() bool { return r.bits&recWaited != 0 }
func (r memRec) seq() uint64  { return r.bits & recSeq }

type memShard struct {
	mu       sync.Mutex
	recs     memTable
	q        memQueue
	replies  memRing
	waits    map[memKey]chan struct{} // of pending records, made by Wait
	bytes    int64
	peakRecs int
	_        [64]byte // keep neighbouring shards' locks off one cache line
}

// locate hashes key and returns its shard, initialising a zero-value store.
func (s *MemoryDedupeStore) locate(key string) (memKey, *memShard) {
	s.once.Do(s.init)
	return s.shardOf(memKey{maphash.String(s.seed1, key), maphash.String(s.seed2, key)})
}

// locateBytes is locate for a key in bytes; it hashes them as locate hashes the same text.
func (s *MemoryDedupeStore) locateBytes(key []byte) (memKey, *memShard) {
	s.once.Do(s.init)
	return s.shardOf(memKey{maphash.Bytes(s.seed1, key), maphash.Bytes(s.seed2, key)})
}

func (s *MemoryDedupeStore) shardOf(k memKey) (memKey, *memShard) {
	if s.shift < 64 {
		return k, &s.shards[k[0]>>s.shift]
	}
	return k, &s.shards[0]
}

func (s *MemoryDedupeStore) clock() int64 {
	if s.now != nil {
		return s.now().UnixNano()
	}
	return time.Now().UnixNano()
}

// Claim implements DedupeStore.
func (s *MemoryDedupeStore) Claim(_ context.Context, key string, now time.Time, ttl time.Duration) (DedupeRecord, bool, error) {
	k, sh := s.locate(key)
	rec, created := s.claim(k, sh, now, s.clock(), ttl)
	return rec, created, nil
}

// claim is Claim of the record k in shard sh at clock, the store's time.
func (s *MemoryDedupeStore) claim(k memKey, sh *memShard, now time.Time, clock int64, ttl time.Duration) (DedupeRecord, bool) {
	sh.mu.Lock()
	old, had := sh.recs.get(k)
	if had && clock < old.exp {
		rec := DedupeRecord{FirstSeen: time.Unix(0, old.first), Done: old.done()}
		if old.done() {
			rec.Reply = sh.reply(old.seq(), clock)
		}
		sh.mu.Unlock()
		return rec, false
	}
	if had {
		sh.dropExtras(k, old) // of an expired record
	}
	sh.setRec(k, memRec{first: now.UnixNano(), exp: expiry(clock, ttl)}, old, had)
	s.bound(sh, clock)
	sh.mu.Unlock()
	s.armSweeper()
	return DedupeRecord{FirstSeen: now}, true
}

// Complete implements DedupeStore. The store keeps a copy of reply, so the caller may
// reuse its buffer.
func (s *MemoryDedupeStore) Complete(_ context.Context, key string, reply []byte, replyTTL, ttl time.Duration) error {
	k, sh := s.locate(key)
	s.complete(k, sh, reply, false, replyTTL, ttl, s.clock())
	return nil
}

// complete is Complete of the record k in shard sh at clock, the store's time. With owned
// set, the store may keep reply itself instead of a copy: the caller no longer uses it.
func (s *MemoryDedupeStore) complete(k memKey, sh *memShard, reply []byte, owned bool, replyTTL, ttl time.Duration, clock int64) {
	sh.mu.Lock()
	old, had := sh.recs.get(k)
	r := old
	if !had || r.exp <= clock {
		r = memRec{first: clock}
	}
	if had {
		sh.dropExtras(k, old) // waking waiters, who read the reply set here
	}
	r.bits = recDone
	r.exp = expiry(clock, ttl)
	// A reply larger than the shard's share is not kept: keeping it would only push out every
	// other reply of the shard, then itself.
	if len(reply) > 0 && replyTTL > 0 && memReplyCost+int64(len(reply)) <= s.perBytes/2 {
		seq, added := sh.replies.push(clock+int64(replyTTL), reply, owned)
		r.bits |= seq
		sh.bytes += memReplyCost + added
	}
	sh.setRec(k, r, old, had)
	s.bound(sh, 0) // expired records were dropped by the claim
	sh.mu.Unlock()
	s.armSweeper()
}

// Wait implements DedupeStore.
func (s *MemoryDedupeStore) Wait(ctx context.Context, key string) ([]byte, error) {
	k, sh := s.locate(key)
	return s.wait(ctx, k, sh)
}

// wait is Wait for the record k in shard sh.
func (s *MemoryDedupeStore) wait(ctx context.Context, k memKey, sh *memShard) ([]byte, error) {
	sh.mu.Lock()
	r, ok := sh.recs.get(k)
	clock := s.clock()
	if !ok || r.exp <= clock {
		sh.mu.Unlock()
		return nil, ErrDedupeRecordNotFound
	}
	if r.done() {
		reply := sh.reply(r.seq(), clock)
		sh.mu.Unlock()
		return reply, nil
	}
	if sh.waits == nil {
		sh.waits = make(map[memKey]chan struct{})
	}
	wake, ok := sh.waits[k]
	if !ok {
		wake = make(chan struct{})
		sh.waits[k] = wake
		r.bits |= recWaited
		sh.recs.put(k, r)
	}
	sh.mu.Unlock()

	select {
	case <-wake:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	clock = s.clock()
	if r, ok := sh.recs.get(k); ok && r.done() && clock < r.exp {
		return sh.reply(r.seq(), clock), nil
	}
	return nil, ErrDedupeRecordNotFound // expired or evicted while pending
}

// Lookup returns the record of key, if the store holds one, without
// creating it: for a store that falls back on this one (see redisstore).
func (s *MemoryDedupeStore) Lookup(key string) (DedupeRecord, bool) {
	k, sh := s.locate(key)
	clock := s.clock()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	r, ok := sh.recs.get(k)
	if !ok || r.exp <= clock {
		return DedupeRecord{}, false
	}
	rec := DedupeRecord{FirstSeen: time.Unix(0, r.first), Done: r.done()}
	if r.done() {
		rec.Reply = sh.reply(r.seq(), clock)
	}
	return rec, true
}

// Len returns the number of records held, expired ones included until they
// are swept.
func (s *MemoryDedupeStore) Len() int {
	s.once.Do(s.init)
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.recs.len()
		sh.mu.Unlock()
	}
	return n
}

// Bytes returns the estimated memory held by records and kept replies.
func (s *MemoryDedupeStore) Bytes() int64 {
	s.once.Do(s.init)
	var n int64
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.bytes
		sh.mu.Unlock()
	}
	return n
}

// expiry is when a record kept for ttl from clock expires, rounded up to a whole
// millisecond (the precision of Redis' PX): a Complete soon after its Claim, with the same
// expiry but for the microseconds in between, then leaves the record's place in the expiry
// queue alone instead of queueing it twice. (The handler's own calls need no rounding: it
// passes clocks and TTLs whose sums agree exactly.)
func expiry(clock int64, ttl time.Duration) int64 {
	const unit = int64(time.Millisecond)
	exp := clock + int64(ttl)
	if r := exp % unit; r > 0 {
		exp += unit - r
	} else if r < 0 {
		exp -= r
	}
	return exp
}

// reply returns the kept reply of sequence number seq, if it is still kept.
// The caller holds mu.
func (sh *memShard) reply(seq uint64, clock int64) []byte {
	if e := sh.replies.get(seq); e != nil && clock < e.exp {
		return e.reply[:len(e.reply):len(e.reply)] // no room for a reader to append into
	}
	return nil
}

// setRec stores r under k, where old was (if had), and queues its expiry.
// The caller holds mu.
func (sh *memShard) setRec(k memKey, r, old memRec, had bool) {
	sh.recs.put(k, r)
	if !had {
		sh.bytes += memRecordCost
		sh.peakRecs = max(sh.peakRecs, sh.recs.len())
	}
	if !had || old.exp != r.exp {
		sh.q.push(memQItem{k, r.exp})
	}
}

// dropExtras drops r's kept reply and releases its waiters. The caller
// holds mu.
func (sh *memShard) dropExtras(k memKey, r memRec) {
	if r.seq() != 0 {
		if e := sh.replies.get(r.seq()); e != nil && e.reply != nil {
			sh.bytes -= memReplyCost + sh.replies.release(e)
		}
	}
	if r.waited() {
		if ch, ok := sh.waits[k]; ok {
			close(ch)
			delete(sh.waits, k)
		}
	}
}

func (sh *memShard) removeRec(k memKey, r memRec) {
	sh.recs.del(k)
	sh.bytes -= memRecordCost
	sh.dropExtras(k, r)
}

// popRec removes the record at the head of the queue if it expired by
// clock (any record when clock is 0), skipping stale entries. It reports
// whether the queue had such a record.
func (sh *memShard) popRec(clock int64) bool {
	for {
		it, ok := sh.q.peek()
		if !ok || (clock != 0 && it.exp > clock) {
			return false
		}
		sh.q.pop()
		if r, ok := sh.recs.get(it.k); ok && r.exp == it.exp {
			sh.removeRec(it.k, r)
			return true
		}
	}
}

// popReply drops the oldest kept reply if it expired by clock (any when
// clock is 0), skipping dropped ones, and reports whether there was one.
func (sh *memShard) popReply(clock int64) bool {
	for sh.replies.n > 0 {
		e := &sh.replies.items[sh.replies.first&uint64(len(sh.replies.items)-1)]
		if e.reply == nil {
			sh.replies.pop()
			continue
		}
		if clock != 0 && e.exp > clock {
			return false
		}
		sh.bytes -= memReplyCost + sh.replies.release(e)
		sh.replies.pop()
		return true
	}
	return false
}

// bound drops a few entries expired by clock (none when clock is 0), then
// the oldest replies and records until the shard is within its bounds. The
// caller holds mu.
func (s *MemoryDedupeStore) bound(sh *memShard, clock int64) {
	if clock != 0 {
		for i := 0; i < 2 && sh.popRec(clock); i++ {
		}
		for i := 0; i < 2 && sh.popReply(clock); i++ {
		}
	}
	for sh.recs.len() > s.perEntries && sh.popRec(0) {
	}
	for sh.bytes > s.perBytes && (sh.popReply(0) || sh.popRec(0)) {
	}
}

// armSweeper makes sure a sweep is scheduled while the store holds records.
// The sweeper is a timer, not a goroutine: an idle, empty store holds none.
func (s *MemoryDedupeStore) armSweeper() {
	if s.sweepArmed.Load() || !s.sweepArmed.CompareAndSwap(false, true) {
		return
	}
	s.sweepMu.Lock()
	if s.sweepTimer == nil {
		s.sweepTimer = time.AfterFunc(s.sweepEvery, s.sweep)
	} else {
		s.sweepTimer.Reset(s.sweepEvery)
	}
	s.sweepMu.Unlock()
}

// sweep frees expired records and replies, shrinks tables emptied by a burst,
// and schedules itself again while anything is left.
func (s *MemoryDedupeStore) sweep() {
	left := 0
	for i := range s.shards {
		sh := &s.shards[i]
		for more := true; more; {
			sh.mu.Lock()
			clock := s.clock()
			n := 0
			for n < 4096 && (sh.popRec(clock) || sh.popReply(clock)) {
				n++
			}
			more = n == 4096
			if !more && sh.peakRecs > 4096 && sh.recs.len() < sh.peakRecs/4 {
				sh.shrink()
			}
			if !more {
				left += sh.recs.len() + sh.replies.n
			}
			sh.mu.Unlock()
		}
	}
	if left > 0 {
		s.sweepMu.Lock()
		s.sweepTimer.Reset(s.sweepEvery)
		s.sweepMu.Unlock()
		return
	}
	s.sweepArmed.Store(false)
	// A record added meanwhile saw the sweeper armed: look again.
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n := sh.recs.len() + sh.replies.n
		sh.mu.Unlock()
		if n > 0 {
			s.armSweeper()
			return
		}
	}
}

// shrink gives back the memory of a burst that has gone.
func (sh *memShard) shrink() {
	sh.recs.fit()
	sh.peakRecs = sh.recs.len()
}

package offiaccount

// The FIFOs behind MemoryDedupeStore: a shard's ring of kept replies and
// its queue of record expiries.

// memReply is a kept reply in a shard's ring of replies, which is in the
// order replies expire: keeping one costs no map entry, and dropping the
// oldest touches no cold memory.
type memReply struct {
	seq   uint64
	exp   int64
	reply []byte    // nil once dropped
	chunk *memChunk // holding reply; nil for a reply with its own allocation
}

// memChunk is a block that small replies are copied into one after another. It is written
// once and never reused, so a reply handed out stays valid however long its holder keeps
// it, and keeping a reply costs no allocation of its own. The shard counts a chunk's whole
// size until the last reply in it is dropped, so the byte bound holds whatever the replies'
// TTLs.
type memChunk struct {
	buf  []byte
	refs int // replies in the ring that point into buf
}

// memChunkSize is the size of a chunk; a reply over a quarter of it gets its own allocation.
const memChunkSize = 16 << 10

// memRing is a FIFO of memReply; the entry of sequence number s sits at
// s & (len(items)-1) while first <= s < first+n.
type memRing struct {
	items []memReply
	first uint64
	n     int
	chunk *memChunk // where the next small reply goes
}

// keep copies reply into memory the ring owns and returns the copy, its chunk (nil if it
// has an allocation of its own) and the bytes newly held. A large reply the caller gives
// up (owned) is kept as it is.
func (q *memRing) keep(reply []byte, owned bool) (kept []byte, c *memChunk, added int64) {
	if len(reply) > memChunkSize/4 {
		if !owned {
			reply = append([]byte(nil), reply...)
		}
		return reply, nil, int64(cap(reply))
	}
	if q.chunk == nil || cap(q.chunk.buf)-len(q.chunk.buf) < len(reply) {
		q.chunk = &memChunk{buf: make([]byte, 0, memChunkSize)}
		added = memChunkSize
	}
	c = q.chunk
	n := len(c.buf)
	c.buf = append(c.buf, reply...)
	c.refs++
	return c.buf[n:len(c.buf):len(c.buf)], c, added
}

// release drops e's reply and returns the bytes no longer held.
func (q *memRing) release(e *memReply) (freed int64) {
	if e.reply == nil {
		return 0
	}
	if e.chunk == nil {
		freed = int64(cap(e.reply))
	} else if e.chunk.refs--; e.chunk.refs == 0 {
		freed = memChunkSize
		if e.chunk == q.chunk {
			q.chunk = nil // a fresh one for the next reply
		}
	}
	e.reply, e.chunk = nil, nil
	return freed
}

func (q *memRing) get(seq uint64) *memReply {
	if seq < q.first || seq >= q.first+uint64(q.n) {
		return nil
	}
	e := &q.items[seq&uint64(len(q.items)-1)]
	if e.seq != seq {
		return nil
	}
	return e
}

// push keeps reply (see keep) until exp and returns its sequence number and the bytes
// newly held.
func (q *memRing) push(exp int64, reply []byte, owned bool) (uint64, int64) {
	if q.n == len(q.items) {
		q.resize(max(2*len(q.items), 16))
	}
	if q.first == 0 {
		q.first = 1 // 0 means "no reply"
	}
	seq := q.first + uint64(q.n)
	kept, c, added := q.keep(reply, owned)
	q.items[seq&uint64(len(q.items)-1)] = memReply{seq: seq, exp: exp, reply: kept, chunk: c}
	q.n++
	return seq, added
}

func (q *memRing) pop() {
	q.items[q.first&uint64(len(q.items)-1)] = memReply{}
	q.first++
	q.n--
	if len(q.items) > 4096 && q.n < len(q.items)/8 {
		q.resize(len(q.items) / 4) // give a drained burst's memory back
	}
}

func (q *memRing) resize(size int) {
	items := make([]memReply, size)
	for i := 0; i < q.n; i++ {
		s := q.first + uint64(i)
		items[s&uint64(size-1)] = q.items[s&uint64(len(q.items)-1)]
	}
	q.items = items
}

type memQItem struct {
	k   memKey
	exp int64 // the entry is current while its map value has this expiry
}

// memQueue is a FIFO of expiries, oldest at head: a ring buffer whose size
// is a power of two, so that a full store pushes and pops without copying.
type memQueue struct {
	items []memQItem
	head  int
	n     int
}

func (q *memQueue) len() int { return q.n }

func (q *memQueue) push(it memQItem) {
	if q.n == len(q.items) {
		q.resize(max(2*len(q.items), 16))
	}
	q.items[(q.head+q.n)&(len(q.items)-1)] = it
	q.n++
}

func (q *memQueue) peek() (memQItem, bool) {
	if q.n == 0 {
		return memQItem{}, false
	}
	return q.items[q.head], true
}

func (q *memQueue) pop() {
	q.head = (q.head + 1) & (len(q.items) - 1)
	q.n--
	if len(q.items) > 4096 && q.n < len(q.items)/8 {
		q.resize(len(q.items) / 4) // give a drained burst's memory back
	}
}

// resize moves the queue into a buffer of size (a power of two, > q.n).
func (q *memQueue) resize(size int) {
	items := make([]memQItem, size)
	for i := 0; i < q.n; i++ {
		items[i] = q.items[(q.head+i)&(len(q.items)-1)]
	}
	q.items, q.head = items, 0
}

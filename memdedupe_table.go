package offiaccount

// memTable is a shard's index of records: open addressing with linear probing in one flat
// array of slots. A new message's lookup touches one slot and its neighbours, where Go's map
// reads its directory, a table and a group first: at a million records each of those is a
// cache and TLB miss. Deletion shifts the following slots back, so no tombstones slow down
// later lookups and the table never needs rebuilding to stay fast.
type memTable struct {
	slots []memSlot // len is 0 or a power of two
	n     int
}

type memSlot struct {
	k memKey
	r memRec // r.bits&recUsed == 0: the slot is empty
}

const memTableMinSize = 16

// The table grows past 3/4 full: a lookup of a missing key, which every new message makes,
// then scans 8.5 slots on average at worst, 2.5 just after growing.
func memTableMaxLoad(size int) int { return size - size/4 }

func (t *memTable) len() int { return t.n }

// find returns the index of k's slot, or of the empty slot where k belongs.
func (t *memTable) find(k memKey) (int, bool) {
	mask := len(t.slots) - 1
	for i := int(k[1]) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.r.bits&recUsed == 0 {
			return i, false
		}
		if s.k == k {
			return i, true
		}
	}
}

func (t *memTable) get(k memKey) (memRec, bool) {
	if t.n == 0 {
		return memRec{}, false
	}
	i, ok := t.find(k)
	if !ok {
		return memRec{}, false
	}
	return t.slots[i].r, true
}

// put stores r under k and reports whether k is new.
func (t *memTable) put(k memKey, r memRec) bool {
	if t.n+1 > memTableMaxLoad(len(t.slots)) {
		t.resize(max(2*len(t.slots), memTableMinSize))
	}
	r.bits |= recUsed
	i, ok := t.find(k)
	t.slots[i] = memSlot{k, r}
	if !ok {
		t.n++
	}
	return !ok
}

// del removes k, moving back the slots after it that belong before the hole.
func (t *memTable) del(k memKey) {
	if t.n == 0 {
		return
	}
	i, ok := t.find(k)
	if !ok {
		return
	}
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j].r.bits&recUsed != 0; j = (j + 1) & mask {
		home := int(t.slots[j].k[1]) & mask
		if (i-home)&mask < (j-home)&mask { // the hole is between j's home and j
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = memSlot{}
	t.n--
}

// resize moves the records into a table of size slots (a power of two that holds them).
func (t *memTable) resize(size int) {
	old := t.slots
	t.slots = make([]memSlot, size)
	mask := size - 1
	for i := range old {
		if s := &old[i]; s.r.bits&recUsed != 0 {
			j := int(s.k[1]) & mask
			for t.slots[j].r.bits&recUsed != 0 {
				j = (j + 1) & mask
			}
			t.slots[j] = *s
		}
	}
}

// fit shrinks the table to the smallest size that holds its records.
func (t *memTable) fit() {
	size := memTableMinSize
	for memTableMaxLoad(size) < t.n {
		size *= 2
	}
	if size < len(t.slots) {
		t.resize(size)
	}
}

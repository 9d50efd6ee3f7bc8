package offiaccount

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memTable against a Go map under random puts and deletes, with keys crowded onto a few
// home slots so that probe runs wrap around the end of the table and deletions shift long
// runs back.
func TestMemTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, homes := range []uint64{1, 3, 64, 1 << 40} {
		var tab memTable
		ref := map[memKey]memRec{}
		key := func() memKey {
			// The low bits of k[1] pick the home slot; ^0 lands on the table's last slot.
			h := rng.Uint64N(homes)
			if h == 0 {
				h = ^uint64(0)
			}
			return memKey{rng.Uint64N(50), h}
		}
		for op := 0; op < 20_000; op++ {
			k := key()
			switch rng.IntN(3) {
			case 0, 1:
				r := memRec{first: int64(op), exp: int64(op) + 1, bits: rng.Uint64N(recSeq)}
				_, had := ref[k]
				assert.Equal(t, !had, tab.put(k, r))
				r.bits |= recUsed
				ref[k] = r
			case 2:
				tab.del(k)
				delete(ref, k)
			}
			if op%500 == 0 {
				tab.fit()
			}
		}
		require.Equal(t, len(ref), tab.len())
		for k, want := range ref {
			got, ok := tab.get(k)
			require.True(t, ok, "key %v lost (homes %d)", k, homes)
			require.Equal(t, want, got)
		}
		for i := 0; i < 1000; i++ {
			k := key()
			_, want := ref[k]
			_, got := tab.get(k)
			require.Equal(t, want, got)
		}
		assert.LessOrEqual(t, tab.len(), memTableMaxLoad(len(tab.slots)), "load bound kept")
	}
}

func TestMemTableEmpty(t *testing.T) {
	var tab memTable
	_, ok := tab.get(memKey{1, 2})
	assert.False(t, ok)
	tab.del(memKey{1, 2}) // nothing to delete: no panic
	tab.fit()
	assert.Zero(t, tab.len())
	assert.True(t, tab.put(memKey{1, 2}, memRec{exp: 1}))
	assert.False(t, tab.put(memKey{1, 2}, memRec{exp: 2}))
	r, ok := tab.get(memKey{1, 2})
	require.True(t, ok)
	assert.Equal(t, int64(2), r.exp)
	tab.del(memKey{1, 2})
	assert.Zero(t, tab.len())
	tab.fit()
	assert.Len(t, tab.slots, memTableMinSize)
}

func TestExpiryRoundsUp(t *testing.T) {
	const ms = 1_000_000
	for _, tc := range []struct{ clock, ttl, want int64 }{
		{0, ms, ms},
		{1, ms, 2 * ms},
		{ms - 1, 1, ms},
		{-ms - 1, 0, -ms},
		{-1, 0, 0},
		{5 * ms, 0, 5 * ms},
	} {
		assert.Equal(t, tc.want, expiry(tc.clock, time.Duration(tc.ttl)), "clock %d ttl %d", tc.clock, tc.ttl)
	}
}

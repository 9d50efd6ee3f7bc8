package offiaccount

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A chunk is counted whole from its first reply until its last is dropped.
func TestMemRingChunkAccounting(t *testing.T) {
	var q memRing
	var held int64
	push := func(n int) uint64 {
		seq, added := q.push(1, bytes.Repeat([]byte{'x'}, n))
		held += added
		return seq
	}
	a, b := push(100), push(200)
	assert.Equal(t, int64(memChunkSize), held, "two small replies share one chunk")
	big := push(memChunkSize/4 + 1)
	assert.Equal(t, int64(memChunkSize+memChunkSize/4+1), held, "a large reply is counted by its size")

	held -= q.release(q.get(a))
	assert.Equal(t, int64(memChunkSize+memChunkSize/4+1), held, "the chunk still holds b")
	held -= q.release(q.get(big))
	held -= q.release(q.get(b))
	assert.Zero(t, held)
	assert.Zero(t, q.release(q.get(b)), "a reply is released once")
}

// A reply handed out is never overwritten by later ones, however long it is held.
func TestMemRingRepliesWrittenOnce(t *testing.T) {
	s, err := NewMemoryDedupeStore()
	require.NoError(t, err)
	ctx := context.Background()
	var held [][]byte
	for i := 0; i < 2000; i++ {
		key := "k" + strconv.Itoa(i)
		_, _, _ = s.Claim(ctx, key, time.Now(), time.Minute)
		reply := []byte("reply number " + strconv.Itoa(i))
		require.NoError(t, s.Complete(ctx, key, reply, time.Minute, time.Minute))
		reply[0] = '!' // the caller reuses its buffer: the store kept a copy
		got, err := s.Wait(ctx, key)
		require.NoError(t, err)
		held = append(held, got)
	}
	for i, got := range held {
		assert.Equal(t, "reply number "+strconv.Itoa(i), string(got))
	}
}

package offiaccount

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A chunk is counted whole from its first reply until its last is dropped.
func TestMemRingChunkAccounting(t *testing.T) {
	var q memRing
	var held int64
	push := func(n int, owned bool) uint64 {
		seq, added := q.push(1, bytes.Repeat([]byte{'x'}, n), owned)
		held += added
		return seq
	}
	a, b := push(100, false), push(200, false)
	assert.Equal(t, int64(memChunkSize), held, "two small replies share one chunk")
	big := push(memChunkSize/4+1, false)
	bigHeld := held - memChunkSize
	assert.GreaterOrEqual(t, bigHeld, int64(memChunkSize/4+1), "a large reply is counted by its allocation")
	owned := push(memChunkSize, true)
	assert.Equal(t, int64(memChunkSize), held-memChunkSize-bigHeld, "an owned reply is kept as it is, counted by its capacity")
	held -= q.release(q.get(owned))

	held -= q.release(q.get(a))
	assert.Equal(t, memChunkSize+bigHeld, held, "the chunk still holds b")
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

// Replies of every size, small ones in chunks and large ones kept as the handler built
// them, are replayed byte for byte to WeChat's retries.
func TestHandlerReplaysRepliesOfEverySize(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	var calls int
	h.HandleText(func(_ context.Context, m *Message) (Reply, error) {
		calls++
		return TextReply{Content: m.Content}, nil
	})
	s := newSender(nil)
	for i, n := range []int{10, memChunkSize/4 - 300, memChunkSize / 4, memChunkSize, 300 << 10} {
		doc := textMsg(int64(7000+i), strings.Repeat("回复", n/6+1))
		first := serve(h, s.post(t, doc))
		require.Equal(t, http.StatusOK, first.Code)
		require.Contains(t, first.Body.String(), "回复回复")
		for retry := 0; retry < 2; retry++ {
			again := serve(h, s.post(t, doc))
			assert.Equal(t, first.Body.String(), again.Body.String(), "size %d, retry %d", n, retry)
		}
	}
	assert.Equal(t, 5, calls, "each message ran once")
}

// bulkyReply is a Reply of one's own, far larger than the handler can guess beforehand.
type bulkyReply struct{ fill byte }

func (bulkyReply) ReplyType() MsgType { return MsgTypeText }

func (r bulkyReply) AppendXMLFields(dst []byte) []byte {
	return appendElem(dst, "Content", strings.Repeat(string(rune(r.fill)), 20<<10))
}

// A reply that outgrew its pooled buffer is still copied by the store: the buffer goes back
// to the pool, and the next reply is built in it.
func TestHandlerKeepsOutgrownReplies(t *testing.T) {
	h := newTestHandler(t)
	h.HandleText(func(_ context.Context, m *Message) (Reply, error) { return bulkyReply{fill: 'a'}, nil })
	m := &Message{MsgType: MsgTypeText, ToUserName: "gh_account", FromUserName: "oUser", MsgID: 1}
	var bp *[]byte
	now := time.Now()
	body, end := h.run(context.Background(), m, replyPlain, now, &bp)
	require.NotNil(t, bp, "built in a pooled buffer: the size hint was small")
	d := h.dedupeRef(m)
	_, created, err := d.claim(context.Background(), now, time.Minute)
	require.NoError(t, err)
	require.True(t, created)
	require.NoError(t, d.complete(context.Background(), body, bp == nil, time.Minute, time.Minute, end))
	want := string(body)
	clear((*bp)[:cap(*bp)]) // the next reply built in the pooled buffer
	putReplyBuf(bp)
	got, err := d.wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, string(got), "the stored reply was overwritten")
}

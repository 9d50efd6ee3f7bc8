package benchmarks

import (
	"context"
	"strconv"
	"time"

	"github.com/wxgo/offiaccount"
)

// heldTTL keeps filled records alive for the whole benchmark.
const heldTTL = time.Hour

// FillDedupeStore claims and completes n messages in store, as the handler does for each
// message it answers, with keys shaped like the handler's (account, sender, MsgId) and no
// reply (a record whose reply can no longer be asked for). It uses the DedupeStore
// interface only, so it works with any store.
func FillDedupeStore(store offiaccount.DedupeStore, n int) error {
	ctx := context.Background()
	now := time.Now()
	b := make([]byte, 0, 96)
	for i := 0; i < n; i++ {
		b = append(b[:0], Account...)
		b = append(b, "|m|oFill_"...)
		b = strconv.AppendInt(b, int64(i%50_000), 36) // 50,000 senders
		b = append(b, '|')
		b = strconv.AppendInt(b, 9_000_000_000_000_000+int64(i), 10)
		key := string(b)
		if _, _, err := store.Claim(ctx, key, now, heldTTL); err != nil {
			return err
		}
		if err := store.Complete(ctx, key, nil, heldTTL, heldTTL); err != nil {
			return err
		}
	}
	return nil
}

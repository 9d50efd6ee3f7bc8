package component

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
)

// seededPlatform returns a Platform whose store already holds n authorizers' refresh and
// access tokens (as Redis would after other processes ran), and their AppIDs.
func seededPlatform(tb testing.TB, n int) (*Platform, []string) {
	tb.Helper()
	store := offiaccount.NewMemoryTokenStore()
	p, err := NewPlatform(testAppID, testSecret, testToken, testAESKey, WithPlatformTokenStore(store))
	require.NoError(tb, err)
	ctx := context.Background()
	ids := make([]string, n)
	exp := time.Now().Add(2 * time.Hour)
	for i := range ids {
		ids[i] = fmt.Sprintf("wx%016x", i)
		require.NoError(tb, p.SetRefreshToken(ctx, ids[i], "refresh"+ids[i]))
		require.NoError(tb, p.store.Set(ctx, ids[i]+kindAccess, "token"+ids[i], exp))
	}
	return p, ids
}

// TestWarmAuthorizerTokenAllocatesNothing: the lookup of the account's Client and its warm
// token read allocate nothing.
func TestWarmAuthorizerTokenAllocatesNothing(t *testing.T) {
	p, ids := seededPlatform(t, 1)
	ctx := context.Background()
	c, err := p.AuthorizerClient(ids[0])
	require.NoError(t, err)
	_, err = c.AccessToken(ctx)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() {
		c, _ := p.AuthorizerClient(ids[0])
		_, _ = c.AccessToken(ctx)
	})
	require.Zero(t, allocs)
}

// BenchmarkAuthorizerTokenWarm is the warm read of one authorizer's token: Client lookup
// plus AccessToken.
func BenchmarkAuthorizerTokenWarm(b *testing.B) {
	p, ids := seededPlatform(b, 1000)
	ctx := context.Background()
	for _, id := range ids {
		c, _ := p.AuthorizerClient(id)
		_, _ = c.AccessToken(ctx)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			c, _ := p.AuthorizerClient(ids[i%len(ids)])
			if _, err := c.AccessToken(ctx); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkAuthorizerMemory reports the heap one process spends per authorizer whose Client
// exists and holds a warm token (B/authorizer). The store's own memory is excluded, as it
// would live in Redis.
func BenchmarkAuthorizerMemory(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	var per float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p, ids := seededPlatform(b, n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		for _, id := range ids {
			c, err := p.AuthorizerClient(id)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.AccessToken(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		per = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(p)
	}
	b.ReportMetric(per, "B/authorizer")
}

package redisstore

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/component"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

const (
	compAppID  = "wx0f67034ab8becd32"
	compSecret = "fleetsecret"
	compToken  = "fleettoken"
	compAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

var _ component.DurableStore = (*TokenStore)(nil)

func TestSetDurableHasNoTTL(t *testing.T) {
	t.Parallel()
	srv := needRedis(t)
	rdb := newClient(t, srv)
	prefix := testPrefix(t)
	s := NewTokenStore(rdb, WithPrefix(prefix))
	ctx := context.Background()
	require.NoError(t, s.Set(ctx, "k", "old", time.Now().Add(time.Minute)))
	require.NoError(t, s.SetDurable(ctx, "k", "refresh@@@1"))
	ttl, err := rdb.PTTL(ctx, prefix+"k").Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl, "no TTL: volatile-* eviction cannot drop it")
	v, exp, err := s.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "refresh@@@1", v)
	assert.True(t, exp.After(time.Now().AddDate(200, 0, 0)))
	ok, err := s.CompareAndDelete(ctx, "k", "refresh@@@1")
	require.NoError(t, err)
	assert.True(t, ok)
}

// fleetSize is 500 accounts by default and 10,000 with OFFIACCOUNT_LONG=1.
func fleetSize() int {
	if os.Getenv("OFFIACCOUNT_LONG") == "1" {
		return 10000
	}
	return 500
}

// TestComponentFleet runs three independent platform processes (each its own Redis client,
// store and Platform) over one Redis and many authorized accounts, and counts what reaches
// the fake WeChat.
func TestComponentFleet(t *testing.T) {
	srv := needRedis(t)
	n := fleetSize()
	ctx := context.Background()
	fake := offiaccounttest.NewPlatform()
	t.Cleanup(fake.Close)
	require.NoError(t, fake.AddComponent(compAppID, compSecret, compToken, compAESKey))
	prefix := testPrefix(t)
	procs := make([]*component.Platform, 3)
	for i := range procs {
		p, err := component.NewPlatform(compAppID, compSecret, compToken, compAESKey,
			component.WithPlatformBaseURL(fake.URL()),
			component.WithPlatformTokenStore(NewTokenStore(newClient(t, srv), WithPrefix(prefix))))
		require.NoError(t, err)
		procs[i] = p
	}
	// Accounts authorize before the platform listens: it learns of them from WeChat's list.
	accts := make([]string, n)
	for i := range accts {
		accts[i] = fmt.Sprintf("wx%016x", 0xf1ee7000000+i)
		_, err := fake.AuthorizeAccount(compAppID, accts[i])
		require.NoError(t, err)
	}
	events := httptest.NewServer(procs[0].AuthEventHandler())
	t.Cleanup(events.Close)
	require.NoError(t, fake.SetComponentEventURL(compAppID, events.URL))
	restored, err := procs[1].RestoreRefreshTokens(ctx)
	require.NoError(t, err)
	require.Equal(t, n, restored)

	// Starting fetches nothing that is not used.
	for _, p := range procs {
		_, err := p.AuthorizerClient(accts[0])
		require.NoError(t, err)
	}
	assert.Zero(t, totalFetches(fake, accts), "creating Clients fetches no token")

	tokens := everyToken(t, procs, accts)
	for _, a := range accts {
		require.Equal(t, 1, fake.AuthorizerTokenFetches(compAppID, a), a)
	}
	for i, a := range accts {
		require.Equal(t, tokens[0][i], tokens[1][i], a)
		require.Equal(t, tokens[0][i], tokens[2][i], a)
	}
	assert.Equal(t, 1, fake.ComponentTokenFetches(compAppID))

	// A process that starts later reads tokens from Redis: nothing is fetched.
	late, err := component.NewPlatform(compAppID, compSecret, compToken, compAESKey,
		component.WithPlatformBaseURL(fake.URL()),
		component.WithPlatformTokenStore(NewTokenStore(newClient(t, srv), WithPrefix(prefix))))
	require.NoError(t, err)
	lc, err := late.AuthorizerClient(accts[3])
	require.NoError(t, err)
	lt, err := lc.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, tokens[0][3], lt)
	assert.Equal(t, n, totalFetches(fake, accts))
	assert.Equal(t, 1, fake.ComponentTokenFetches(compAppID))

	// A 40001 on one account refreshes that account alone.
	// The other processes then meet the 40001 too and take the new token from Redis.
	fake.InvalidateTokens(accts[7])
	for _, pi := range []int{2, 0, 1} {
		c, err := procs[pi].AuthorizerClient(accts[7])
		require.NoError(t, err)
		require.NoError(t, c.CreateMenu(ctx, offiaccount.NewMenu(offiaccount.ClickButton("Hi", "HI"))))
	}
	assert.Equal(t, 2, fake.AuthorizerTokenFetches(compAppID, accts[7]))
	assert.Equal(t, n+1, totalFetches(fake, accts))

	// The next expiry period: every account's token expires on WeChat's side (42001 on
	// the next call) and is fetched once more across the fleet.
	fake.Advance(offiaccounttest.TokenLifetime + time.Minute)
	callEvery(t, procs, accts)
	for i, a := range accts {
		want := 2
		if i == 7 {
			want = 3
		}
		require.Equal(t, want, fake.AuthorizerTokenFetches(compAppID, a), a)
	}
}

func totalFetches(fake *offiaccounttest.Platform, accts []string) int {
	n := 0
	for _, a := range accts {
		n += fake.AuthorizerTokenFetches(compAppID, a)
	}
	return n
}

// forEvery runs fn for every (process, account) pair, 16 goroutines per process, with the
// accounts in a different order in each process.
func forEvery(t *testing.T, procs []*component.Platform, accts []string, fn func(pi, ai int, c *offiaccount.Client)) {
	t.Helper()
	var wg sync.WaitGroup
	for pi, p := range procs {
		jobs := make(chan int)
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ai := range jobs {
					c, err := p.AuthorizerClient(accts[ai])
					if !assert.NoError(t, err) {
						continue
					}
					fn(pi, ai, c)
				}
			}()
		}
		go func(pi int) {
			for k := range accts {
				jobs <- order(pi, k, len(accts))
			}
			close(jobs)
		}(pi)
	}
	wg.Wait()
}

func everyToken(t *testing.T, procs []*component.Platform, accts []string) [][]string {
	out := make([][]string, len(procs))
	for i := range out {
		out[i] = make([]string, len(accts))
	}
	forEvery(t, procs, accts, func(pi, ai int, c *offiaccount.Client) {
		tok, err := c.AccessToken(context.Background())
		assert.NoError(t, err)
		out[pi][ai] = tok
	})
	return out
}

// callEvery makes one API call per (process, account): a call is what meets WeChat's 42001.
func callEvery(t *testing.T, procs []*component.Platform, accts []string) {
	forEvery(t, procs, accts, func(_, _ int, c *offiaccount.Client) {
		_, err := c.GetCallbackIPs(context.Background())
		assert.NoError(t, err)
	})
}

// order walks the accounts forward, backward and from the middle in the three processes.
func order(pi, k, n int) int {
	switch pi % 3 {
	case 1:
		return n - 1 - k
	case 2:
		return (k + n/2) % n
	}
	return k
}

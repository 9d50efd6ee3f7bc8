package offiaccount_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// Several Clients of one account (in production: several servers, with a store over Redis)
// share one access_token through one TokenStore, so they never invalidate each other's.
func ExampleWithClientTokenStore() {
	const appID, secret = "wx0123456789abcdef", "app-secret"
	platform := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(appID, secret))
	defer platform.Close()

	store := offiaccount.NewMemoryTokenStore()
	var clients []*offiaccount.Client
	for i := 0; i < 4; i++ {
		c, err := offiaccount.NewClient(appID, secret,
			offiaccount.WithClientBaseURL(platform.URL()),
			offiaccount.WithClientHTTPClient(platform.Client()),
			offiaccount.WithClientTokenStore(store))
		if err != nil {
			panic(err)
		}
		clients = append(clients, c)
	}

	var wg sync.WaitGroup
	tokens := make([]string, 100)
	for i := range tokens {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tok, err := clients[i%len(clients)].AccessToken(context.Background())
			if err != nil {
				panic(err)
			}
			tokens[i] = tok
		}(i)
	}
	wg.Wait()

	same := true
	for _, tok := range tokens {
		same = same && tok == tokens[0]
	}
	fmt.Println("one token for all:", same)
	fmt.Println("token fetches:", platform.TokenFetches(appID))
	// Output:
	// one token for all: true
	// token fetches: 1
}

// A central token service (中控服务器) hands out the tokens; the Client caches them and asks
// again only when they near expiry or WeChat rejects one.
func ExampleWithClientTokenSource() {
	calls := 0
	source := offiaccount.TokenSourceFunc(func(ctx context.Context, rejected string) (string, time.Duration, error) {
		calls++ // in production: an RPC to the central service, passing rejected along
		return fmt.Sprintf("TOKEN-FROM-SERVICE-%d", calls), 2 * time.Hour, nil
	})
	c, err := offiaccount.NewClient("wx0123456789abcdef", "unused-secret", offiaccount.WithClientTokenSource(source))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		tok, err := c.AccessToken(ctx)
		fmt.Println(tok, err)
	}
	// Output:
	// TOKEN-FROM-SERVICE-1 <nil>
	// TOKEN-FROM-SERVICE-1 <nil>
	// TOKEN-FROM-SERVICE-1 <nil>
}

// After WeChat rejects a token on a call the SDK does not wrap, hand it back: the Client drops
// it (unless another server already replaced it) and the next AccessToken gets a new one.
func ExampleClient_InvalidateAccessToken() {
	n := 0
	source := offiaccount.TokenSourceFunc(func(ctx context.Context, rejected string) (string, time.Duration, error) {
		n++
		return fmt.Sprintf("TOKEN-%d", n), 2 * time.Hour, nil
	})
	c, err := offiaccount.NewClient("wx0123456789abcdef", "unused-secret", offiaccount.WithClientTokenSource(source))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	tok, _ := c.AccessToken(ctx)
	fmt.Println(tok)
	// ... a raw call with tok answers errcode 40001 ...
	c.InvalidateAccessToken(ctx, tok)
	tok, _ = c.AccessToken(ctx)
	fmt.Println(tok)
	// Output:
	// TOKEN-1
	// TOKEN-2
}

// TestTokenCacheOnFakePlatform runs the cache against the fake platform's own token rules:
// tokens revoked under a running Client heal with one retry, and eight Clients sharing a
// store fetch once.
func TestTokenCacheOnFakePlatform(t *testing.T) {
	t.Parallel()
	const appID, secret = "wx0123456789abcdef", "app-secret"
	platform := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(appID, secret))
	defer platform.Close()
	store := offiaccount.NewMemoryTokenStore()
	var clients []*offiaccount.Client
	for i := 0; i < 8; i++ {
		c, err := offiaccount.NewClient(appID, secret,
			offiaccount.WithClientBaseURL(platform.URL()),
			offiaccount.WithClientHTTPClient(platform.Client()),
			offiaccount.WithClientTokenStore(store))
		require.NoError(t, err)
		clients = append(clients, c)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 400; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := clients[i%8].AccessToken(ctx)
			assert.NoError(t, err)
		}(i)
	}
	wg.Wait()
	require.Equal(t, 1, platform.TokenFetches(appID))
	tok, err := clients[0].AccessToken(ctx)
	require.NoError(t, err)
	require.Equal(t, platform.StableAccessToken(appID), tok)

	// Another party revokes every token: each Client heals on its next call, and the store
	// keeps the fleet at one new fetch.
	platform.InvalidateTokens(appID)
	for _, c := range clients {
		_, err := c.GetMenu(ctx)
		if err != nil {
			require.NotErrorIs(t, err, offiaccount.ErrTokenInvalid)
		}
	}
	assert.Equal(t, 2, platform.TokenFetches(appID))
}

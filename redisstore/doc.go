// Package redisstore shares an account's access_token, JS-SDK tickets and callback dedupe
// records through Redis, for accounts served by several processes (replicas behind a load
// balancer, rolling deploys). Without it each process fetches its own token, which retires
// the others' (errcode 40001), and a WeChat retry that lands on another replica runs the
// message's function a second time.
//
//	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"redis:6379"}})
//	client, err := offiaccount.NewClient(appID, appSecret, offiaccount.WithClientTokenStore(redisstore.NewTokenStore(rdb)))
//	handler, err := offiaccount.NewHandler(token, offiaccount.WithHandlerDedupeStore(redisstore.NewDedupeStore(rdb)))
//
// The stores take a [redis.UniversalClient], so a single server, Sentinel and Cluster all
// work: every operation touches exactly one key, so no hash tags are needed. Keys are the
// prefix (default "offiaccount:") followed by the SDK's own key, which starts with the
// account's AppID (tokens) or its original ID (dedupe records), so several accounts and
// other applications share one Redis safely. Values are never put in errors or logs.
//
// # When Redis is down
//
// The token store returns the error; the [offiaccount.Client] logs it and fetches the token
// itself, so API calls go on (each process then holds a token of its own until Redis is
// back). The dedupe store logs once and dedupes in process memory until Redis answers again,
// so a retry that reaches the same replica is still answered from the first attempt.
//
// # Timeouts
//
// Every Redis call is bounded by the store's timeout ([WithTimeout], default 2 seconds) and
// the caller's context. go-redis cuts a blocked socket read short at a context deadline only
// when the client's ContextTimeoutEnabled option is set; otherwise its ReadTimeout (default
// 3 seconds) bounds each call.
package redisstore

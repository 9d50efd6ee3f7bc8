package redisstore_test

import (
	"log"
	"net/http"

	"github.com/redis/go-redis/v9"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/redisstore"
)

// Every server of the account runs the same three lines: one Redis client, the token store
// for the API Client, the dedupe store for the callback Handler. (No Output: it needs a Redis.)
func Example() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"localhost:6379"}})
	client, err := offiaccount.NewClient("wx1234567890abcdef", "APPSECRET", offiaccount.WithClientTokenStore(redisstore.NewTokenStore(rdb)))
	if err != nil {
		log.Fatal(err)
	}
	handler, err := offiaccount.NewHandler("TOKEN", offiaccount.WithHandlerDedupeStore(redisstore.NewDedupeStore(rdb)))
	if err != nil {
		log.Fatal(err)
	}
	_ = client // client.AccessToken(ctx) and every API call now share one token across servers
	http.Handle("/wechat", handler)
}

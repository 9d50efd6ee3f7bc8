package benchmarks

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// sink keeps the compiler from dropping reads whose result is otherwise unused.
var sink string

// BenchmarkAccessTokenWarm measures a read of a cached access_token, serially and from
// every P at once. Each peer has its own explicit loop, so that every read is a direct call
// the compiler may inline, as in a user's code.
func BenchmarkAccessTokenWarm(b *testing.B) {
	ctx := context.Background()
	ts := NewTokenServer(0)
	defer ts.Close()
	undo := redirectSilenceper(ts.URL)
	defer undo()

	var floor FloorToken
	floor.Set(FakeToken)
	ours, err := NewOursClient(ts.URL, ts.Client())
	require.NoError(b, err)
	silenceper := NewSilenceper()
	for name, get := range map[string]func(context.Context) (string, error){
		"floor": floor.AccessToken, "ours": ours.AccessToken, "silenceper": silenceper.AccessToken,
	} {
		tok, err := get(ctx)
		require.NoError(b, err, name)
		require.Equal(b, FakeToken, tok, name)
	}
	fetched := ts.Requests()

	b.Run("mode=serial/sdk=floor", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			tok, err := floor.AccessToken(ctx)
			if err != nil || len(tok) == 0 {
				b.Fatal(tok, err)
			}
			sink = tok
		}
	})
	b.Run("mode=serial/sdk=ours", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			tok, err := ours.AccessToken(ctx)
			if err != nil || len(tok) == 0 {
				b.Fatal(tok, err)
			}
			sink = tok
		}
	})
	b.Run("mode=serial/sdk=silenceper", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			tok, err := silenceper.AccessToken(ctx)
			if err != nil || len(tok) == 0 {
				b.Fatal(tok, err)
			}
			sink = tok
		}
	})
	b.Run("mode=parallel/sdk=floor", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var last string
			for pb.Next() {
				tok, err := floor.AccessToken(ctx)
				if err != nil || len(tok) == 0 {
					panic("floor: empty token")
				}
				last = tok
			}
			sink = last
		})
	})
	b.Run("mode=parallel/sdk=ours", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var last string
			for pb.Next() {
				tok, err := ours.AccessToken(ctx)
				if err != nil || len(tok) == 0 {
					panic("ours: " + err.Error())
				}
				last = tok
			}
			sink = last
		})
	})
	b.Run("mode=parallel/sdk=silenceper", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var last string
			for pb.Next() {
				tok, err := silenceper.AccessToken(ctx)
				if err != nil || len(tok) == 0 {
					panic("silenceper: empty token")
				}
				last = tok
			}
			sink = last
		})
	})
	if n := ts.Requests(); n != fetched {
		b.Fatalf("warm reads went upstream: %d token requests, want %d", n, fetched)
	}
}

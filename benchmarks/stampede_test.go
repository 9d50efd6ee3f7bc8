package benchmarks

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stampedeCallers is how many goroutines ask a cold cache for the token at once.
const stampedeCallers = 1000

// stampedeDelay is how long the fake token endpoint takes to answer, long enough for every
// caller to arrive while the first fetch is out.
const stampedeDelay = 20 * time.Millisecond

// stampede releases callers goroutines at once on get and returns the tokens they got.
func stampede(callers int, get func(context.Context) (string, error)) ([]string, error) {
	ctx := context.Background()
	start := make(chan struct{})
	toks := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			toks[i], errs[i] = get(ctx)
		}(i)
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("caller %d: %w", i, err)
		}
	}
	return toks, nil
}

// tokenPeer builds a fresh, cold token reader of one SDK against the token server.
type tokenPeer struct {
	name string
	cold func(ts *TokenServer) (func(context.Context) (string, error), error)
	skip string
}

func tokenPeers() []tokenPeer {
	silenceperSkip := ""
	if raceEnabled {
		// cache.Memory.Get reads its map without the lock that Set takes: a data race the
		// detector reports as soon as a reader and the first Set overlap.
		silenceperSkip = "silenceper's cache.Memory races (unlocked map read in Get); run without -race"
	}
	return []tokenPeer{
		{name: "ours", cold: func(ts *TokenServer) (func(context.Context) (string, error), error) {
			c, err := NewOursClient(ts.URL, ts.Client())
			if err != nil {
				return nil, err
			}
			return c.AccessToken, nil
		}},
		{name: "silenceper", skip: silenceperSkip, cold: func(*TokenServer) (func(context.Context) (string, error), error) {
			return NewSilenceper().AccessToken, nil
		}},
	}
}

// TestStampede counts the token requests that reach WeChat when 1000 goroutines find the
// cache cold at once. Ours must send exactly one.
func TestStampede(t *testing.T) {
	for _, p := range tokenPeers() {
		t.Run(p.name, func(t *testing.T) {
			if p.skip != "" {
				t.Skip(p.skip)
			}
			ts := NewTokenServer(stampedeDelay)
			defer ts.Close()
			defer redirectSilenceper(ts.URL)()
			get, err := p.cold(ts)
			require.NoError(t, err)
			toks, err := stampede(stampedeCallers, get)
			require.NoError(t, err)
			for _, tok := range toks {
				require.Equal(t, FakeToken, tok)
			}
			t.Logf("%s: %d callers, %d upstream token requests", p.name, stampedeCallers, ts.Requests())
			if p.name == "ours" {
				assert.Equal(t, int64(1), ts.Requests(), "one fetch must serve every concurrent caller")
			} else {
				assert.GreaterOrEqual(t, ts.Requests(), int64(1))
			}
		})
	}
}

// BenchmarkStampede reports, per SDK, the upstream token requests of a 1000-caller stampede
// on a cold cache (metric upstream/op) and how long the stampede takes.
func BenchmarkStampede(b *testing.B) {
	for _, p := range tokenPeers() {
		b.Run("sdk="+p.name, func(b *testing.B) {
			if p.skip != "" {
				b.Skip(p.skip)
			}
			ts := NewTokenServer(stampedeDelay)
			defer ts.Close()
			defer redirectSilenceper(ts.URL)()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				get, err := p.cold(ts)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				toks, err := stampede(stampedeCallers, get)
				if err != nil {
					b.Fatal(err)
				}
				if toks[0] != FakeToken || toks[len(toks)-1] != FakeToken {
					b.Fatalf("wrong token %.20q", toks[0])
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(ts.Requests())/float64(b.N), "upstream/op")
		})
	}
}

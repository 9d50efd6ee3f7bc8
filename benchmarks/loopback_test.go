package benchmarks

import (
	"context"
	"flag"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	loopConc = flag.Int("loopback.conc", 16, "BenchmarkLoopback: requests in flight at once")
	loopMax  = flag.Duration("loopback.max", time.Minute, "BenchmarkLoopback: longest run of one sub-benchmark")
)

// BenchmarkLoopback serves each peer with net/http on 127.0.0.1 and drives it with a fixed
// number of concurrent keep-alive clients: b.N requests in all, -benchtime bounds the
// duration. It reports requests/s and the p50 and p99 latency seen by the client. Replies
// are checked: every status, the first body and every 256th in full.
func BenchmarkLoopback(b *testing.B) {
	fx := newFixture(b)
	for _, c := range Cases {
		for _, p := range handlerPeers(b) {
			b.Run("case="+string(c)+"/sdk="+p.name, func(b *testing.B) {
				if p.err != nil {
					b.Skip(p.err)
				}
				if p.setup != nil {
					defer p.setup()()
				}
				benchLoopback(b, fx, c, p.h)
			})
		}
	}
}

func benchLoopback(b *testing.B, fx *Fixture, c Case, h http.Handler) {
	srv, err := ServeLoopback(h)
	require.NoError(b, err)
	defer srv.Close()
	check := func(status int, body []byte) error { return fx.Check(c, status, body) }
	load := Load{URL: srv.URL, Requests: fx.Requests[c], Concurrency: *loopConc, MaxDuration: *loopMax, Check: check}
	if c != Verify {
		// Every message new, as in BenchmarkHandler: made before the timer starts.
		load.Requests = make([]Request, 0, b.N+4**loopConc)
		for len(load.Requests) < cap(load.Requests) {
			rq, err := fx.NewRequest(c)
			require.NoError(b, err)
			load.Requests = append(load.Requests, rq)
		}
	}

	warm := load
	warm.N, warm.CheckEvery = 4**loopConc, 1
	if c != Verify {
		load.Requests = load.Requests[warm.N:]
	}
	if _, err := warm.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	load.N, load.CheckEvery = b.N, 256
	b.ResetTimer()
	res, err := load.Run(context.Background())
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if res.Requests < b.N {
		b.Logf("stopped at -loopback.max=%v after %d of %d requests", *loopMax, res.Requests, b.N)
	}
	b.ReportMetric(res.RPS(), "req/s")
	b.ReportMetric(float64(res.P50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(res.P99.Nanoseconds()), "p99-ns")
}

// TestLoopback drives every peer over loopback HTTP with a few hundred checked requests.
func TestLoopback(t *testing.T) {
	fx := newFixture(t)
	for _, p := range handlerPeers(t) {
		for _, c := range Cases {
			t.Run(p.name+"/"+string(c), func(t *testing.T) {
				if p.err != nil {
					t.Skip(p.err)
				}
				srv, err := ServeLoopback(p.h)
				require.NoError(t, err)
				defer srv.Close()
				res, err := Load{
					URL: srv.URL, Requests: fx.Requests[c], N: 200, Concurrency: 8, MaxDuration: 30 * time.Second,
					Check: func(status int, body []byte) error { return fx.Check(c, status, body) }, CheckEvery: 1,
				}.Run(context.Background())
				require.NoError(t, err)
				require.Equal(t, 200, res.Requests)
				require.LessOrEqual(t, res.P50, res.P99)
			})
		}
	}
}

// TestLoadFailsWrongPeer: the load generator stops with the checker's error on a peer that
// answers wrongly over HTTP too.
func TestLoadFailsWrongPeer(t *testing.T) {
	fx := newFixture(t)
	floor, err := NewFloor(Token, AppID, EncodingAESKey)
	require.NoError(t, err)
	srv, err := ServeLoopback(lying{floor, func(s string) string { return s + " " }})
	require.NoError(t, err)
	defer srv.Close()
	_, err = Load{URL: srv.URL, Requests: fx.Requests[Verify], N: 50, Concurrency: 4,
		Check: func(status int, body []byte) error { return fx.Check(Verify, status, body) }, CheckEvery: 10}.Run(context.Background())
	require.ErrorIs(t, err, ErrWrongReply)
}

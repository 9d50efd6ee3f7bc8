package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Loopback is a real net/http server on 127.0.0.1 serving one handler.
type Loopback struct {
	URL string // http://127.0.0.1:port
	srv *http.Server
	ln  net.Listener
}

// ServeLoopback starts h on a free loopback port.
func ServeLoopback(h http.Handler) (*Loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &Loopback{URL: "http://" + ln.Addr().String(), srv: srv, ln: ln}, nil
}

// Close stops the server.
func (l *Loopback) Close() error { return l.srv.Close() }

// Load is one run of the load generator.
type Load struct {
	URL         string    // server root, e.g. Loopback.URL
	Requests    []Request // sent as they are, in turn
	N           int       // how many requests in all
	Concurrency int       // how many in flight at once (fixed)
	MaxDuration time.Duration
	// Check is applied to the first reply and to every CheckEvery-th after it; every reply's
	// status is checked.
	Check      func(status int, body []byte) error
	CheckEvery int
}

// LoadResult is what a Load measured.
type LoadResult struct {
	Requests int // completed
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// RPS is requests per second.
func (r LoadResult) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// Run sends l.Requests requests from l.Concurrency goroutines over keep-alive connections,
// stopping early at MaxDuration, and returns throughput and latency percentiles. The first
// wrong reply stops the run with an error.
func (l Load) Run(ctx context.Context) (LoadResult, error) {
	conc := max(1, min(l.Concurrency, l.N))
	tr := &http.Transport{
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	every := max(1, l.CheckEvery)
	if l.MaxDuration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.MaxDuration)
		defer cancel()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var next atomic.Int64
	lat := make([][]time.Duration, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf bytes.Buffer
			mine := make([]time.Duration, 0, l.N/conc+1)
			defer func() { lat[w] = mine }()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(l.N) {
					return
				}
				rq := l.Requests[i%int64(len(l.Requests))]
				var body io.Reader
				if rq.Body != nil {
					body = bytes.NewReader(rq.Body)
				}
				req, err := http.NewRequestWithContext(ctx, rq.Method, l.URL+rq.Target, body)
				if err != nil {
					cancel(err)
					return
				}
				if rq.ContentType != "" {
					req.Header.Set("Content-Type", rq.ContentType)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						cancel(err)
					}
					return
				}
				buf.Reset()
				_, err = buf.ReadFrom(resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				if err != nil {
					cancel(err)
					return
				}
				if resp.StatusCode != http.StatusOK {
					cancel(fmt.Errorf("request %d: status %d: %.80q", i, resp.StatusCode, buf.Bytes()))
					return
				}
				if l.Check != nil && i%int64(every) == 0 {
					if err := l.Check(resp.StatusCode, buf.Bytes()); err != nil {
						cancel(fmt.Errorf("request %d: %w", i, err))
						return
					}
				}
				mine = append(mine, d)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil && err != context.DeadlineExceeded {
		return LoadResult{}, err
	}
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return LoadResult{}, fmt.Errorf("no request completed")
	}
	slices.Sort(all)
	return LoadResult{Requests: len(all), Elapsed: elapsed, P50: percentile(all, 50), P99: percentile(all, 99)}, nil
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

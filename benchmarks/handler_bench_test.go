package benchmarks

import (
	"bytes"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkHandler measures one callback round trip in process: the request as a server
// hands it to the handler, the reply written to a reused ResponseWriter. Every message is
// new (a MsgId never sent before), as WeChat's are; case=retry measures WeChat's retries of
// messages already answered. Every peer gets the same bytes; the first reply and a sample of
// the others are checked in full, outside the timer, and every status inside it.
func BenchmarkHandler(b *testing.B) {
	fx := newFixture(b)
	for _, c := range append(Cases, Retry) {
		for _, p := range handlerPeers(b) {
			b.Run("case="+string(c)+"/sdk="+p.name, func(b *testing.B) {
				if p.err != nil {
					b.Skip(p.err)
				}
				if p.setup != nil {
					defer p.setup()()
				}
				benchHandler(b, fx, c, p.h)
			})
		}
	}
}

// Retry is the benchmark case of WeChat's retries: safe-mode messages each sent once before
// the timer runs, then again. A handler that dedupes answers them from its store; the others
// handle them again.
const Retry Case = "retry"

// messageSizes are the contents of BenchmarkSize, in bytes.
var messageSizes = []struct {
	name  string
	bytes int
}{{"100B", 100}, {"10KB", 10 << 10}, {"500KB", 500 << 10}}

// BenchmarkSize is BenchmarkHandler for text messages of 100 B, 10 KB and 500 KB, echoed
// back. It also reports the body size (body-B), so that B/op can be read per body byte.
func BenchmarkSize(b *testing.B) {
	for _, sz := range messageSizes {
		fx, err := NewSizedFixture(time.Now(), sz.bytes)
		require.NoError(b, err)
		for _, c := range []Case{Plain, Safe} {
			for _, p := range handlerPeers(b) {
				if p.name == "silenceper-debug" {
					continue
				}
				b.Run("size="+sz.name+"/case="+string(c)+"/sdk="+p.name, func(b *testing.B) {
					if p.err != nil {
						b.Skip(p.err)
					}
					benchHandler(b, fx, c, p.h)
					b.ReportMetric(float64(len(fx.Request(c, 0).Body)), "body-B")
				})
			}
		}
	}
}

// heldRecords are the store sizes of BenchmarkHeld.
var heldRecords = []struct {
	name string
	n    int
}{{"512", 512}, {"100k", 100_000}, {"1M", 1_000_000}}

// BenchmarkHeld measures ours with a dedupe store already holding 512, 100k or 1M records,
// as a busy account's does, against the floor (which remembers nothing). The store is
// filled outside the timer and dropped after its benchmark, so that no other benchmark
// pays for its memory.
func BenchmarkHeld(b *testing.B) {
	fx := newFixture(b)
	floor, err := NewFloor(Token, AppID, EncodingAESKey)
	require.NoError(b, err)
	for _, held := range heldRecords {
		for _, c := range []Case{Plain, Safe} {
			b.Run("held="+held.name+"/case="+string(c)+"/sdk=floor", func(b *testing.B) {
				benchHandler(b, fx, c, floor)
			})
			var ours http.Handler
			b.Run("held="+held.name+"/case="+string(c)+"/sdk=ours", func(b *testing.B) {
				if ours == nil {
					h, err := NewOursHolding(held.n)
					require.NoError(b, err)
					ours = h
				}
				benchHandler(b, fx, c, ours)
			})
			ours = nil
			runtime.GC()
		}
	}
}

// BenchmarkRecordMemory reports the heap a dedupe store holds per remembered message
// (B/record), filled with 100k records as BenchmarkHeld's are.
func BenchmarkRecordMemory(b *testing.B) {
	const n = 100_000
	b.Run("held=100k/sdk=ours", func(b *testing.B) {
		var perRecord float64
		for i := 0; i < b.N; i++ {
			before := heapInUse()
			store, err := NewOursDedupeStore(n)
			require.NoError(b, err)
			require.NoError(b, FillDedupeStore(store, n))
			perRecord = float64(heapInUse()-before) / n
			runtime.KeepAlive(store)
		}
		b.ReportMetric(perRecord, "B/record")
	})
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

const sampleEvery = 1 << 12

func benchHandler(b *testing.B, fx *Fixture, c Case, h http.Handler) {
	send := c
	if c == Retry {
		send = Safe
	}
	if err := runCheckedFresh(fx, send, h, 2); err != nil {
		b.Fatal(err)
	}
	rp, rec := fx.NewFreshReplayer(send, fx.Batch(send)), NewRecorder()
	refill := func() {
		if err := rp.Refill(); err != nil {
			b.Fatal(err)
		}
		if c == Retry {
			// The first attempt of each message, answered before the retries are timed.
			for i := 0; i < fx.Batch(send); i++ {
				rec.Reset()
				h.ServeHTTP(rec, rp.Next())
				if rec.Code != http.StatusOK {
					b.Fatalf("first attempt: status %d", rec.Code)
				}
			}
			rp.Rewind()
		}
	}
	if rp.Due() {
		refill()
	}
	var samples [][]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rp.Due() {
			b.StopTimer()
			refill()
			b.StartTimer()
		}
		rec.Reset()
		h.ServeHTTP(rec, rp.Next())
		if rec.Code != http.StatusOK {
			b.Fatalf("round %d: status %d: %.80q", i, rec.Code, rec.Body.Bytes())
		}
		if i%sampleEvery == 0 || i == b.N-1 {
			samples = append(samples, bytes.Clone(rec.Body.Bytes()))
		}
	}
	b.StopTimer()
	for _, s := range samples {
		if err := fx.Check(send, http.StatusOK, s); err != nil {
			b.Fatal(err)
		}
	}
}

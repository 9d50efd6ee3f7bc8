package benchmarks

import (
	"bytes"
	"net/http"
	"testing"
)

// BenchmarkHandler measures one callback round trip in process: the request as a server
// hands it to the handler, the reply written to a reused ResponseWriter. Every peer gets the
// same bytes; the first reply and a sample of the others are checked in full, outside the
// timer, and every status inside it.
func BenchmarkHandler(b *testing.B) {
	fx := newFixture(b)
	for _, c := range Cases {
		for _, p := range handlerPeers(b) {
			b.Run("case="+string(c)+"/sdk="+p.name, func(b *testing.B) {
				if p.err != nil {
					b.Skip(p.err)
				}
				benchHandler(b, fx, c, p.h)
			})
		}
	}
}

const sampleEvery = 1 << 12

func benchHandler(b *testing.B, fx *Fixture, c Case, h http.Handler) {
	if err := runChecked(fx, c, h, 2); err != nil {
		b.Fatal(err)
	}
	rp, rec := fx.NewReplayer(c), NewRecorder()
	var samples [][]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
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
		if err := fx.Check(c, http.StatusOK, s); err != nil {
			b.Fatal(err)
		}
	}
}

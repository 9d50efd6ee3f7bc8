package benchmarks

import (
	"bytes"
	"io"
	"net/http"
)

// Recorder is a reusable http.ResponseWriter for in-process benchmarks: unlike
// httptest.NewRecorder it allocates nothing per request once warm, so a benchmark measures
// the handler, not the harness. Every peer is measured through the same Recorder.
type Recorder struct {
	header http.Header
	Code   int
	Body   bytes.Buffer
	wrote  bool
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{header: make(http.Header), Code: http.StatusOK} }

// Reset empties the Recorder for the next request, keeping its memory.
func (r *Recorder) Reset() {
	clear(r.header)
	r.Code = http.StatusOK
	r.wrote = false
	r.Body.Reset()
}

// Header implements http.ResponseWriter.
func (r *Recorder) Header() http.Header { return r.header }

// WriteHeader implements http.ResponseWriter; like net/http, only the first call counts.
func (r *Recorder) WriteHeader(code int) {
	if !r.wrote {
		r.Code, r.wrote = code, true
	}
}

// Write implements http.ResponseWriter.
func (r *Recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.Body.Write(p)
}

// WriteString lets io.WriteString skip a conversion, as net/http's own writer does.
func (r *Recorder) WriteString(s string) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.Body.WriteString(s)
}

// Replayer hands a handler a case's requests in turn, the way a server would: each time a
// fresh *http.Request (shallow copy of a template, so nothing a handler caches on it, such as
// a parsed form, carries over) whose body reads the fixture's bytes.
type Replayer struct {
	fx     *Fixture
	c      Case
	tmpls  []*http.Request
	bodies [][]byte
	i      int
	fresh  int  // batch size of fresh messages; 0 cycles the fixture's variants
	due    bool // the batch is used up: Refill before Next
	rd     *bytes.Reader
	rc     io.ReadCloser // rd, kept as an interface once so Next does not allocate for it
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// NewReplayer returns a Replayer cycling through the fixture's variants of c.
func (f *Fixture) NewReplayer(c Case) *Replayer {
	p := f.newReplayer(c)
	for i, rq := range f.Requests[c] {
		p.tmpls = append(p.tmpls, f.HTTPRequest(c, i))
		p.bodies = append(p.bodies, rq.Body)
	}
	return p
}

// NewFreshReplayer returns a Replayer of messages never sent before (see
// [Fixture.NewRequest]), made batch at a time by Refill: call it, with the benchmark's timer
// stopped, whenever Due says so. For Verify it is NewReplayer.
func (f *Fixture) NewFreshReplayer(c Case, batch int) *Replayer {
	if c == Verify {
		return f.NewReplayer(c)
	}
	p := f.newReplayer(c)
	p.fresh, p.due = batch, true
	return p
}

func (f *Fixture) newReplayer(c Case) *Replayer {
	rd := bytes.NewReader(nil)
	return &Replayer{fx: f, c: c, rd: rd, rc: nopCloser{rd}}
}

// Due reports whether the batch of fresh messages is used up.
func (p *Replayer) Due() bool { return p.due }

// Refill makes the next batch of fresh messages.
func (p *Replayer) Refill() error {
	p.tmpls, p.bodies, p.i, p.due = p.tmpls[:0], p.bodies[:0], 0, false
	for len(p.tmpls) < p.fresh {
		rq, err := p.fx.NewRequest(p.c)
		if err != nil {
			return err
		}
		p.tmpls = append(p.tmpls, NewHTTPRequest(rq))
		p.bodies = append(p.bodies, rq.Body)
	}
	return nil
}

// Rewind starts the batch over, for sending each message again.
func (p *Replayer) Rewind() { p.i, p.due = 0, false }

// Next returns the next request.
func (p *Replayer) Next() *http.Request {
	i := p.i
	if p.i++; p.i == len(p.tmpls) {
		p.i = 0
		p.due = p.fresh > 0
	}
	r := new(http.Request)
	*r = *p.tmpls[i]
	if body := p.bodies[i]; body != nil {
		p.rd.Reset(body)
		r.Body = p.rc
		r.ContentLength = int64(len(body))
	}
	return r
}

// Batch returns how many fresh messages a Replayer of f should make at a time: up to
// Variants, and about 4 MiB of bodies.
func (f *Fixture) Batch(c Case) int {
	return max(4, min(Variants, (4<<20)/(len(f.Request(c, 0).Body)+1)))
}

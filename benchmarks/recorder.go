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
	tmpls  []*http.Request
	bodies [][]byte
	i      int
	rd     *bytes.Reader
	rc     io.ReadCloser // rd, kept as an interface once so Next does not allocate for it
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// NewReplayer returns a Replayer of c's requests.
func (f *Fixture) NewReplayer(c Case) *Replayer {
	rd := bytes.NewReader(nil)
	p := &Replayer{rd: rd, rc: nopCloser{rd}}
	for i, rq := range f.Requests[c] {
		p.tmpls = append(p.tmpls, f.HTTPRequest(c, i))
		p.bodies = append(p.bodies, rq.Body)
	}
	return p
}

// Next returns the next request.
func (p *Replayer) Next() *http.Request {
	i := p.i
	if p.i++; p.i == len(p.tmpls) {
		p.i = 0
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

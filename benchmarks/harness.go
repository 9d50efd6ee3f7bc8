package benchmarks

import (
	"net/http"
)

// runChecked serves c's request n times through a Replayer and a Recorder, as the
// benchmarks do, and checks every reply.
func runChecked(fx *Fixture, c Case, h http.Handler, n int) error {
	return check(fx, c, h, fx.NewReplayer(c), n)
}

// runCheckedFresh is runChecked with messages never sent before: a benchmark starts over
// several times (each b.N), and a store that dedupes may by then have dropped the reply of
// a message sent at an earlier start (it answers "success" then, rightly).
func runCheckedFresh(fx *Fixture, c Case, h http.Handler, n int) error {
	rp := fx.NewFreshReplayer(c, n)
	if rp.Due() {
		if err := rp.Refill(); err != nil {
			return err
		}
	}
	return check(fx, c, h, rp, n)
}

func check(fx *Fixture, c Case, h http.Handler, rp *Replayer, n int) error {
	rec := NewRecorder()
	for i := 0; i < n; i++ {
		rec.Reset()
		h.ServeHTTP(rec, rp.Next())
		if err := fx.Check(c, rec.Code, rec.Body.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

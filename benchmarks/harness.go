package benchmarks

import (
	"net/http"
)

// runChecked serves c's request n times through a Replayer and a Recorder, as the
// benchmarks do, and checks every reply.
func runChecked(fx *Fixture, c Case, h http.Handler, n int) error {
	rp, rec := fx.NewReplayer(c), NewRecorder()
	for i := 0; i < n; i++ {
		rec.Reset()
		h.ServeHTTP(rec, rp.Next())
		if err := fx.Check(c, rec.Code, rec.Body.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

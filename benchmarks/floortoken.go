package benchmarks

import (
	"context"
	"errors"
	"sync/atomic"
)

// FloorToken is the floor of a warm access_token read: one atomic load of an immutable
// entry, the least any lock-free cache can do.
type FloorToken struct {
	cur atomic.Pointer[string]
}

var errFloorCold = errors.New("benchmarks: floor token cache is cold")

// Set publishes a token.
func (f *FloorToken) Set(tok string) { f.cur.Store(&tok) }

// AccessToken returns the cached token.
func (f *FloorToken) AccessToken(_ context.Context) (string, error) {
	if p := f.cur.Load(); p != nil {
		return *p, nil
	}
	return "", errFloorCold
}

package benchmarks

import (
	"errors"
	"net/http"

	"github.com/wxgo/offiaccount"
)

// This file is the only one that knows offiaccount's handler and token APIs, so that the
// benchmarks compile while they change.

// errOursPending is returned while offiaccount has no callback Handler on main yet; the
// benchmarks skip "ours" with this message.
var errOursPending = errors.New("offiaccount.Handler is not on main yet: ours skipped")

// NewOurs returns offiaccount's callback handler for the benchmark account, answering a
// text message with its own content.
func NewOurs() (http.Handler, error) {
	return nil, errOursPending
}

// NewOursClient returns an offiaccount Client whose token endpoint is base (an httptest
// server standing in for api.weixin.qq.com).
func NewOursClient(base string, hc *http.Client) (*offiaccount.Client, error) {
	return offiaccount.New(AppID, AppSecret, offiaccount.WithBaseURL(base), offiaccount.WithHTTPClient(hc))
}

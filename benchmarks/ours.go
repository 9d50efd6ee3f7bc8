package benchmarks

import (
	"context"
	"fmt"
	"net/http"

	"github.com/wxgo/offiaccount"
)

// This file is the only one that knows offiaccount's handler and token APIs.

// NewOurs returns offiaccount's callback handler for the benchmark account, configured as
// the README tells users to: NewHandler with the account's key and nothing else, so the
// default dedupe store, timestamp window and body cap are all on. It answers a text message
// with its own content.
func NewOurs() (http.Handler, error) {
	return newOurs()
}

// NewOursHolding is NewOurs with a dedupe store that already holds records completed
// messages left behind, as a busy account's store does. The store is filled through the
// DedupeStore interface only.
func NewOursHolding(records int) (http.Handler, error) {
	store, err := NewOursDedupeStore(records)
	if err != nil {
		return nil, err
	}
	if err := FillDedupeStore(store, records); err != nil {
		return nil, err
	}
	return newOurs(offiaccount.WithHandlerDedupeStore(store))
}

// NewOursDedupeStore returns the dedupe store NewOursHolding uses, empty: the default one,
// which has room for n records and the benchmark's own messages besides (n up to half
// offiaccount.DefaultDedupeEntries), so that no record is evicted while it is measured.
func NewOursDedupeStore(n int) (offiaccount.DedupeStore, error) {
	if n > offiaccount.DefaultDedupeEntries/2 {
		return nil, fmt.Errorf("benchmarks: %d records would fill the default dedupe store", n)
	}
	return offiaccount.NewMemoryDedupeStore()
}

func newOurs(opts ...offiaccount.HandlerOption) (http.Handler, error) {
	h, err := offiaccount.NewHandler(Token, append([]offiaccount.HandlerOption{
		offiaccount.WithHandlerEncodingAESKey(AppID, EncodingAESKey)}, opts...)...)
	if err != nil {
		return nil, err
	}
	h.HandleText(func(_ context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.TextReply{Content: m.Content}, nil
	})
	return h, nil
}

// NewOursClient returns an offiaccount Client whose token endpoint is base (an httptest
// server standing in for api.weixin.qq.com).
func NewOursClient(base string, hc *http.Client) (*offiaccount.Client, error) {
	return offiaccount.NewClient(AppID, AppSecret, offiaccount.WithClientBaseURL(base), offiaccount.WithClientHTTPClient(hc))
}

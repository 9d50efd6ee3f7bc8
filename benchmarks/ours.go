package benchmarks

import (
	"context"
	"net/http"

	"github.com/wxgo/offiaccount"
)

// This file is the only one that knows offiaccount's handler and token APIs.

// oursDedupeEntries bounds ours' dedupe store below Variants: when the benchmarks cycle
// through the fixture's messages, each one's record has been evicted before it comes round
// again, so every request is a fresh message that is claimed, run, encoded and completed,
// as in production, never a replay answered from the store.
const oursDedupeEntries = Variants / 2

// NewOurs returns offiaccount's callback handler for the benchmark account, configured as
// a user would (dedupe, timestamp window, body cap all on), answering a text message with
// its own content.
func NewOurs() (http.Handler, error) {
	store, err := offiaccount.NewMemoryDedupeStore(offiaccount.WithMemoryDedupeStoreMaxEntries(oursDedupeEntries))
	if err != nil {
		return nil, err
	}
	h, err := offiaccount.NewHandler(Token,
		offiaccount.WithEncodingAESKey(AppID, EncodingAESKey),
		offiaccount.WithDedupeStore(store),
	)
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
	return offiaccount.New(AppID, AppSecret, offiaccount.WithBaseURL(base), offiaccount.WithHTTPClient(hc))
}

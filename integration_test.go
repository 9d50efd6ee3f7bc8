package offiaccount_test

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// The whole SDK against the fake platform and a Sender playing WeChat: a bot whose answers
// need the API (a menu, a customer-service message), token expiry and invalidation on the
// way, WeChat's retries, and a reply too slow for the passive window.
func TestIntegrationBotWithPlatform(t *testing.T) {
	const (
		appID, secret = "wx1e7e9a7100000001", "integration-secret"
		token, aesKey = "integrationToken", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		user          = "oIntegrationUser"
	)
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(appID, secret))
	defer p.Close()
	p.AddUser(appID, offiaccounttest.UserRecord{OpenID: user})
	client, err := offiaccount.NewClient(appID, secret, offiaccount.WithClientBaseURL(p.URL()))
	require.NoError(t, err)

	h, err := offiaccount.NewHandler(token, offiaccount.WithHandlerEncodingAESKey(appID, aesKey),
		offiaccount.WithHandlerRetryTiming(offiaccount.RetryTiming{Attempts: 3, AttemptTimeout: 300 * time.Millisecond, Margin: 100 * time.Millisecond}))
	require.NoError(t, err)
	var clicks, slowRuns atomic.Int32
	h.HandleEventKey("MENU_INFO", func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		clicks.Add(1)
		info, err := client.GetMenu(ctx) // an API call from inside a callback
		if err != nil {
			return nil, err
		}
		return offiaccount.TextReply{Content: "menu has " + info.Menu.Buttons[0].Name}, nil
	})
	h.HandleText(client.DeliverLate(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		slowRuns.Add(1)
		<-ctx.Done() // slower than WeChat's whole retry window
		return offiaccount.TextReply{Content: "late but delivered: " + m.Content}, nil
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	wechat := &offiaccounttest.Sender{Target: srv.URL, Token: token, Mode: offiaccounttest.ModeSafe,
		AppID: appID, EncodingAESKey: aesKey, AttemptTimeout: 300 * time.Millisecond}
	ctx := context.Background()

	require.NoError(t, client.CreateMenu(ctx, offiaccount.NewMenu(offiaccount.ClickButton("Info", "MENU_INFO"))))
	require.NoError(t, wechat.Verify(ctx))

	ex, err := wechat.Send(ctx, offiaccounttest.Click(user, "MENU_INFO"))
	require.NoError(t, err)
	assert.Equal(t, "menu has Info", ex.Reply.Content)
	fetches := p.TokenFetches(appID)
	assert.Equal(t, 1, fetches, "one token for the create and the callback's call")

	// Another process force-refreshed: the callback's API call recovers on its own.
	p.InvalidateTokens(appID)
	second := offiaccounttest.Click(user, "MENU_INFO")
	second.CreateTime = time.Now().Unix() + 1 // a new click, not a retry of the first
	ex, err = wechat.Send(ctx, second)
	require.NoError(t, err)
	assert.Equal(t, "menu has Info", ex.Reply.Content)
	assert.Equal(t, fetches+1, p.TokenFetches(appID))

	// A retry of the same click (same user, CreateTime, event) is answered without a rerun.
	again, err := wechat.Send(ctx, ex.Message)
	require.NoError(t, err)
	assert.Equal(t, ex.Reply.Content, again.Reply.Content)
	assert.Equal(t, int32(2), clicks.Load())

	// Too slow for every attempt: WeChat gets "success" (no error banner), and the answer
	// arrives as a customer-service message once it is ready.
	ex, err = wechat.Send(ctx, offiaccounttest.Text(user, "question"))
	require.NoError(t, err)
	assert.Nil(t, ex.Reply, "no passive reply")
	require.Eventually(t, func() bool { return len(p.SentMessages(appID)) == 1 }, 5*time.Second, 10*time.Millisecond)
	sent := p.SentMessages(appID)[0]
	assert.Equal(t, user, sent.ToUser)
	assert.Equal(t, "late but delivered: question", sent.Content)
	assert.Equal(t, int32(1), slowRuns.Load(), "the slow function ran once across WeChat's attempts")
}

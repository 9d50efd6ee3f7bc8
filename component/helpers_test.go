package component

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

const (
	testAppID  = "wx864bce915b6e284a"
	testSecret = "componentsecret"
	testToken  = "componenttoken"
	testAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// env is a fake WeChat with one component, and a Platform whose authorization-event URL is
// served by an httptest server the fake pushes to.
type env struct {
	fake     *offiaccounttest.Platform
	platform *Platform
	events   *httptest.Server
	store    offiaccount.TokenStore
}

func newEnv(t *testing.T, opts ...PlatformOption) *env {
	t.Helper()
	fake := offiaccounttest.NewPlatform()
	t.Cleanup(fake.Close)
	require.NoError(t, fake.AddComponent(testAppID, testSecret, testToken, testAESKey))
	store := offiaccount.NewMemoryTokenStore()
	e := &env{fake: fake, store: store}
	e.platform = e.newPlatform(t, opts...)
	e.events = httptest.NewServer(e.platform.AuthEventHandler())
	t.Cleanup(e.events.Close)
	return e
}

// newPlatform is another process of the same platform, sharing the store.
func (e *env) newPlatform(t *testing.T, opts ...PlatformOption) *Platform {
	t.Helper()
	all := append([]PlatformOption{WithPlatformBaseURL(e.fake.URL()), WithPlatformTokenStore(e.store)}, opts...)
	p, err := NewPlatform(testAppID, testSecret, testToken, testAESKey, all...)
	require.NoError(t, err)
	return p
}

// start makes the fake push tickets to the event URL (one at once).
func (e *env) start(t *testing.T) {
	t.Helper()
	require.NoError(t, e.fake.SetComponentEventURL(testAppID, e.events.URL))
}

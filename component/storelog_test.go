package component

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// echoingStore fails to set a key ending in failSuffix with an error that quotes the value,
// as a careless store wrapper might.
type echoingStore struct {
	*offiaccount.MemoryTokenStore
	mu         sync.Mutex
	failSuffix string
	refused    []string
}

func (s *echoingStore) Set(ctx context.Context, key, value string, expiry time.Time) error {
	s.mu.Lock()
	fail := s.failSuffix != "" && strings.HasSuffix(key, s.failSuffix)
	if fail {
		s.refused = append(s.refused, value)
	}
	s.mu.Unlock()
	if fail {
		return fmt.Errorf("store down: SET %s %s: %w", key, value, context.DeadlineExceeded)
	}
	return s.MemoryTokenStore.Set(ctx, key, value, expiry)
}

func (s *echoingStore) failOn(suffix string) {
	s.mu.Lock()
	s.failSuffix = suffix
	s.mu.Unlock()
}

func (s *echoingStore) refusedValues() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// echoingPlatform is a platform of fake over an echoingStore, logging into logs, with the
// fake pushing tickets to its event URL.
func echoingPlatform(t *testing.T, fake *offiaccounttest.Platform, store *echoingStore, logs *lockedBuf, opts ...PlatformOption) *Platform {
	t.Helper()
	p, err := NewPlatform(testAppID, testSecret, testToken, testAESKey, append([]PlatformOption{
		WithPlatformBaseURL(fake.URL()), WithPlatformTokenStore(store),
		WithPlatformLogger(slog.New(slog.NewTextHandler(logs, nil)))}, opts...)...)
	require.NoError(t, err)
	events := httptest.NewServer(p.AuthEventHandler())
	t.Cleanup(events.Close)
	require.NoError(t, fake.SetComponentEventURL(testAppID, events.URL))
	return p
}

func newFakeComponent(t *testing.T) *offiaccounttest.Platform {
	t.Helper()
	fake := offiaccounttest.NewPlatform()
	t.Cleanup(fake.Close)
	require.NoError(t, fake.AddComponent(testAppID, testSecret, testToken, testAESKey))
	return fake
}

// A store failure while keeping the access token from api_query_auth is logged without the
// token the store quoted.
func TestQueryAuthStoreErrorLogHasNoToken(t *testing.T) {
	t.Parallel()
	fake := newFakeComponent(t)
	store := &echoingStore{MemoryTokenStore: offiaccount.NewMemoryTokenStore(), failSuffix: kindAccess}
	logs := new(lockedBuf)
	echoingPlatform(t, fake, store, logs)

	_, err := fake.AuthorizeAccount(testAppID, "wx6d555f48b01796bf")
	require.NoError(t, err)

	refused := store.refusedValues()
	require.NotEmpty(t, refused, "the platform kept the authorizer access token")
	out := logs.String()
	assert.Contains(t, out, "component: token store failed")
	for _, tok := range refused {
		assert.NotContains(t, out, tok)
	}
}

// A store failure while keeping a rotated refresh token is logged without it.
func TestRotatedRefreshTokenStoreErrorLogHasNoToken(t *testing.T) {
	t.Parallel()
	fake := newFakeComponent(t)
	store := &echoingStore{MemoryTokenStore: offiaccount.NewMemoryTokenStore()}
	logs := new(lockedBuf)
	p := echoingPlatform(t, fake, store, logs)
	const acct = "wx662cb49bb43af689"
	_, err := fake.AuthorizeAccount(testAppID, acct)
	require.NoError(t, err)
	ctx := context.Background()
	_, err = store.CompareAndDelete(ctx, "component:"+testAppID+":"+acct+kindAccess,
		mustGetStore(t, store, "component:"+testAppID+":"+acct+kindAccess))
	require.NoError(t, err)
	store.failOn(kindRefresh)
	fake.FailNext("/cgi-bin/component/api_authorizer_token", 1, offiaccounttest.Fault{
		Body: `{"authorizer_access_token":"rotated-access","expires_in":7200,"authorizer_refresh_token":"rotated-refresh-secret"}`})
	c, err := p.AuthorizerClient(acct)
	require.NoError(t, err)
	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)
	assert.Equal(t, "rotated-access", tok)

	assert.Equal(t, []string{"rotated-refresh-secret"}, store.refusedValues())
	out := logs.String()
	assert.Contains(t, out, "component: storing a rotated refresh token failed")
	assert.NotContains(t, out, "rotated-refresh-secret")
}

func mustGetStore(t *testing.T, s offiaccount.TokenStore, key string) string {
	t.Helper()
	v, _, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	require.NotEmpty(t, v)
	return v
}

// A store failure while keeping the refresh token from api_query_auth comes back from
// QueryAuth without the token the store quoted, and still matches the store's own error.
func TestQueryAuthStoreErrorHasNoToken(t *testing.T) {
	t.Parallel()
	fake := newFakeComponent(t)
	store := &echoingStore{MemoryTokenStore: offiaccount.NewMemoryTokenStore(), failSuffix: kindRefresh}
	logs := new(lockedBuf)
	p := echoingPlatform(t, fake, store, logs, WithPlatformManualQueryAuth())
	code, err := fake.AuthorizeAccount(testAppID, "wx0c9b1d5f2a7e3b44")
	require.NoError(t, err)

	_, err = p.QueryAuth(context.Background(), code)
	require.Error(t, err)
	refused := store.refusedValues()
	require.Len(t, refused, 1, "the platform tried to keep the refresh token")
	assert.NotContains(t, err.Error(), refused[0])
	assert.Contains(t, err.Error(), "[REDACTED]")
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the store's own error still matches")
	var se *storeError
	require.True(t, errors.As(err, &se))
	assert.Nil(t, errors.Unwrap(se), "the unscrubbed error cannot be reached")
}

package offiaccount

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stalledStore is a TokenStore whose every call blocks until its context ends, like a
// store server that accepts the connection and never answers.
type stalledStore struct{ calls atomic.Int64 }

func (s *stalledStore) wait(ctx context.Context) error {
	s.calls.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

func (s *stalledStore) Get(ctx context.Context, _ string) (string, time.Time, error) {
	return "", time.Time{}, s.wait(ctx)
}
func (s *stalledStore) Set(ctx context.Context, _, _ string, _ time.Time) error { return s.wait(ctx) }
func (s *stalledStore) CompareAndDelete(ctx context.Context, _, _ string) (bool, error) {
	return false, s.wait(ctx)
}
func (s *stalledStore) TryLock(ctx context.Context, _, _ string, _ time.Duration) (bool, error) {
	return false, s.wait(ctx)
}
func (s *stalledStore) Unlock(ctx context.Context, _, _ string) error { return s.wait(ctx) }

// tcpStore is a TokenStore over a line protocol: each call dials addr, writes one line and
// reads one back, within ctx. Against a listener that never answers it stalls the way a
// network store does.
type tcpStore struct {
	addr  string
	calls atomic.Int64
}

func (s *tcpStore) roundTrip(ctx context.Context, line string) (string, error) {
	s.calls.Add(1)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := conn.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	return bufio.NewReader(conn).ReadString('\n')
}

func (s *tcpStore) Get(ctx context.Context, key string) (string, time.Time, error) {
	_, err := s.roundTrip(ctx, "GET "+key)
	return "", time.Time{}, err
}
func (s *tcpStore) Set(ctx context.Context, key, _ string, _ time.Time) error {
	_, err := s.roundTrip(ctx, "SET "+key)
	return err
}
func (s *tcpStore) CompareAndDelete(ctx context.Context, key, _ string) (bool, error) {
	_, err := s.roundTrip(ctx, "CAD "+key)
	return false, err
}
func (s *tcpStore) TryLock(ctx context.Context, key, _ string, _ time.Duration) (bool, error) {
	_, err := s.roundTrip(ctx, "LOCK "+key)
	return false, err
}
func (s *tcpStore) Unlock(ctx context.Context, key, _ string) error {
	_, err := s.roundTrip(ctx, "UNLOCK "+key)
	return err
}

// stalledListener accepts connections and never answers.
func stalledListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A stalled store costs one store timeout, then is skipped for the cool-off: a cold read and
// a 40001 retry each take about one timeout (they took two and three before the breaker).
func TestStalledTokenStoreCostsOneTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	stores := map[string]interface {
		TokenStore
		count() int64
	}{
		"blocking store":       &countingStalled{},
		"stalled TCP listener": &countingTCP{tcpStore{addr: stalledListener(t)}},
	}
	for name, store := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mt := httpmock.NewMockTransport()
			var fetched atomic.Int64
			mt.RegisterResponder(http.MethodPost, DefaultBaseURL+tokenPathStable, func(*http.Request) (*http.Response, error) {
				n := fetched.Add(1)
				return httpmock.NewStringResponse(200, `{"access_token":"TOKEN_`+strings.Repeat("x", int(n))+`","expires_in":7200}`), nil
			})
			var apiCalls atomic.Int64
			mt.RegisterResponder(http.MethodGet, DefaultBaseURL+"/cgi-bin/get_api_domain_ip", func(*http.Request) (*http.Response, error) {
				if apiCalls.Add(1) == 1 {
					return httpmock.NewStringResponse(200, `{"errcode":40001,"errmsg":"invalid credential"}`), nil
				}
				return httpmock.NewStringResponse(200, `{"ip_list":["1.2.3.4"]}`), nil
			})
			logger, logs := captureLogger()
			c, err := NewClient(testAppID, testSecret, WithClientHTTPClient(&http.Client{Transport: mt}), WithClientTokenStore(store),
				WithClientTokenStoreTimeout(timeout), WithClientLogger(logger))
			require.NoError(t, err)
			// Bounded, so that without a breaker the test fails instead of hanging.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()

			start := time.Now()
			_, err = c.AccessToken(ctx)
			require.NoError(t, err)
			cold := time.Since(start)
			assert.GreaterOrEqual(t, cold, timeout, "the first store call waited its timeout")
			assert.Less(t, cold, timeout*3/2, "cold read: one store timeout, not two")
			assert.EqualValues(t, 1, store.count(), "after the first timeout the store is skipped")

			start = time.Now()
			require.NoError(t, c.getJSON(ctx, "/cgi-bin/get_api_domain_ip", nil, nil))
			assert.Less(t, time.Since(start), timeout/2, "40001 retry within the cool-off: no store timeout at all")
			assert.EqualValues(t, 2, apiCalls.Load())
			assert.EqualValues(t, 1, store.count())
			assert.EqualValues(t, 2, fetched.Load(), "the rejected token was replaced")
			assert.Equal(t, 1, strings.Count(logs.String(), "working without it"), "the outage is logged once")
		})
	}
}

// After the cool-off one caller probes the store again: a 40001 retry then costs one timeout
// (the probe), not three; and a store that answers again is used again.
func TestTokenStoreBreakerProbesAfterCoolOff(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	store := &switchStore{MemoryTokenStore: NewMemoryTokenStore()}
	store.stalled.Store(true)
	c, mt := newMockClient(t, WithClientTokenStore(store), WithClientTokenStoreTimeout(timeout))
	c.tokens.store.(*storeBreaker).coolOff = 50 * time.Millisecond
	var apiCalls atomic.Int64
	mt.RegisterResponder(http.MethodGet, DefaultBaseURL+"/cgi-bin/get_api_domain_ip", func(*http.Request) (*http.Response, error) {
		if apiCalls.Add(1) == 1 {
			return httpmock.NewStringResponse(200, `{"errcode":40001,"errmsg":"invalid credential"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"ip_list":[]}`), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.AccessToken(ctx)
	require.NoError(t, err)
	time.Sleep(60 * time.Millisecond) // past the cool-off

	start := time.Now()
	require.NoError(t, c.getJSON(ctx, "/cgi-bin/get_api_domain_ip", nil, nil))
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, timeout, "one probe")
	assert.Less(t, took, timeout*3/2, "40001 retry: one store timeout, not three")

	store.stalled.Store(false)
	time.Sleep(60 * time.Millisecond)
	c.InvalidateAccessToken(ctx, "nothing") // a store call: the probe that finds it back
	tok, err := c.RefreshAccessToken(ctx)
	require.NoError(t, err)
	v, _, err := store.MemoryTokenStore.Get(ctx, testAppID+":"+credAccessToken)
	require.NoError(t, err)
	assert.Equal(t, tok, v, "the store is written again once it answers")
}

// switchStore is a MemoryTokenStore that stalls while stalled is set.
type switchStore struct {
	*MemoryTokenStore
	stalled atomic.Bool
}

func (s *switchStore) gate(ctx context.Context) error {
	if s.stalled.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (s *switchStore) Get(ctx context.Context, k string) (string, time.Time, error) {
	if err := s.gate(ctx); err != nil {
		return "", time.Time{}, err
	}
	return s.MemoryTokenStore.Get(ctx, k)
}
func (s *switchStore) Set(ctx context.Context, k, v string, e time.Time) error {
	if err := s.gate(ctx); err != nil {
		return err
	}
	return s.MemoryTokenStore.Set(ctx, k, v, e)
}
func (s *switchStore) CompareAndDelete(ctx context.Context, k, v string) (bool, error) {
	if err := s.gate(ctx); err != nil {
		return false, err
	}
	return s.MemoryTokenStore.CompareAndDelete(ctx, k, v)
}
func (s *switchStore) TryLock(ctx context.Context, k, o string, l time.Duration) (bool, error) {
	if err := s.gate(ctx); err != nil {
		return false, err
	}
	return s.MemoryTokenStore.TryLock(ctx, k, o, l)
}
func (s *switchStore) Unlock(ctx context.Context, k, o string) error {
	if err := s.gate(ctx); err != nil {
		return err
	}
	return s.MemoryTokenStore.Unlock(ctx, k, o)
}

type countingStalled struct{ stalledStore }

func (s *countingStalled) count() int64 { return s.calls.Load() }

type countingTCP struct{ tcpStore }

func (s *countingTCP) count() int64 { return s.calls.Load() }

func TestWithClientTokenStoreTimeoutValidates(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, -time.Second, time.Microsecond, 2 * time.Minute} {
		_, err := NewClient(testAppID, testSecret, WithClientTokenStoreTimeout(d))
		assert.Error(t, err, d)
	}
}

// captureLogger returns a Debug-level logger writing to the returned buffer.
func captureLogger() (*slog.Logger, *syncBuffer) {
	buf := new(syncBuffer)
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

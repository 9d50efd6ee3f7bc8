package offiaccount_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

const (
	foAppID  = "wxf0f0000000000001"
	foSecret = "failover-secret-0123456789"
)

// downURL returns the URL of a listener that was closed: connections to it are refused.
func downURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "http://" + addr
}

// stalledURL returns the URL of a listener that accepts connections and never answers.
func stalledURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(done)
				return
			}
			conns = append(conns, c) // read nothing, answer nothing
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

func foPlatform(t *testing.T) *offiaccounttest.Platform {
	t.Helper()
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(foAppID, foSecret))
	t.Cleanup(p.Close)
	return p
}

func foClient(t *testing.T, primary string, p *offiaccounttest.Platform, opts ...offiaccount.ClientOption) (*offiaccount.Client, *syncBuffer) {
	t.Helper()
	l, logs := testLogger(t)
	opts = append([]offiaccount.ClientOption{
		offiaccount.WithClientBaseURL(primary),
		offiaccount.WithClientHTTPClient(p.Client()),
		offiaccount.WithClientLogger(l),
	}, opts...)
	c, err := offiaccount.NewClient(foAppID, foSecret, opts...)
	require.NoError(t, err)
	return c, logs
}

// With the primary domain refusing connections, token fetches (POST with a body) and API
// calls go to the backup, and the Client says so in its log.
func TestFailoverWhenPrimaryRefuses(t *testing.T) {
	t.Parallel()
	backup := foPlatform(t)
	c, logs := foClient(t, downURL(t), backup, offiaccount.WithClientFailoverBaseURLs(downURL(t), backup.URL()))
	ctx := context.Background()

	tok, err := c.AccessToken(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, tok)
	require.NoError(t, c.CreateMenu(ctx, offiaccount.NewMenu(offiaccount.ClickButton("Hi", "HI"))))
	buttons, ok := backup.Menu(foAppID)
	require.True(t, ok, "the POST body reached the backup whole")
	require.Len(t, buttons, 1)
	assert.Equal(t, 1, backup.Calls("/cgi-bin/stable_token"))
	assert.Equal(t, 1, backup.Calls("/cgi-bin/menu/create"))
	assert.Equal(t, 2, strings.Count(logs.String(), "unreachable"), "the first request went past two refusing origins; the second straight to the backup that answered")
}

// After a failover the backup that answered is used first for a while, so an outage does not
// cost every request a failed connection; once the base URL answers again it is used again.
func TestFailoverSticksToTheBackupThatAnswered(t *testing.T) {
	t.Parallel()
	backup := foPlatform(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	primaryAddr := ln.Addr().String()
	require.NoError(t, ln.Close())

	var mu sync.Mutex
	dials := map[string]int{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dials[addr]++
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := offiaccount.NewClient(foAppID, foSecret, offiaccount.WithClientBaseURL("http://"+primaryAddr),
		offiaccount.WithClientFailoverBaseURLs(backup.URL()), offiaccount.WithClientHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, err := c.GetAPIDomainIPs(ctx)
		require.NoError(t, err)
	}
	mu.Lock()
	assert.Equal(t, 1, dials[primaryAddr], "only the first request tried the refusing base URL")
	mu.Unlock()
	assert.Equal(t, 3, backup.Calls("/cgi-bin/get_api_domain_ip"))
}

// Requests that may have reached the server, and requests whose context ended, never fail
// over; with failover off or a healthy primary the backup sees nothing.
func TestFailoverNeverRepeatsWhatMayHaveArrived(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		primary func(t *testing.T) string
		opts    func(backupURL string) []offiaccount.ClientOption
		ctx     func() (context.Context, context.CancelFunc)
		wantErr bool
	}{
		{
			name:    "timeout after connect",
			primary: stalledURL,
			opts: func(b string) []offiaccount.ClientOption {
				return []offiaccount.ClientOption{offiaccount.WithClientFailoverBaseURLs(b)}
			},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 300*time.Millisecond)
			},
			wantErr: true,
		},
		{
			name:    "context cancelled",
			primary: downURL,
			opts: func(b string) []offiaccount.ClientOption {
				return []offiaccount.ClientOption{offiaccount.WithClientFailoverBaseURLs(b)}
			},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			wantErr: true,
		},
		{
			name:    "failover turned off",
			primary: downURL,
			opts: func(string) []offiaccount.ClientOption {
				return []offiaccount.ClientOption{offiaccount.WithClientFailoverBaseURLs()}
			},
			wantErr: true,
		},
		{
			name:    "custom base URL: off by default",
			primary: downURL,
			opts:    func(string) []offiaccount.ClientOption { return nil },
			wantErr: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			backup := foPlatform(t)
			c, logs := foClient(t, tc.primary(t), backup, tc.opts(backup.URL())...)
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			_, err := c.AccessToken(ctx)
			assert.Equal(t, tc.wantErr, err != nil, "%v", err)
			assert.Zero(t, backup.Calls("/cgi-bin/stable_token"), "the backup saw nothing")
			assert.NotContains(t, logs.String(), "unreachable")
		})
	}

	t.Run("healthy primary", func(t *testing.T) {
		t.Parallel()
		primary, backup := foPlatform(t), foPlatform(t)
		c, _ := foClient(t, primary.URL(), primary, offiaccount.WithClientFailoverBaseURLs(backup.URL()))
		_, err := c.AccessToken(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 1, primary.Calls("/cgi-bin/stable_token"))
		assert.Zero(t, backup.Calls("/cgi-bin/stable_token"))
	})
}

// A backup that is down as well ends in the last origin's error, which names no secret.
func TestFailoverAllDown(t *testing.T) {
	t.Parallel()
	p := foPlatform(t)
	l, _ := testLogger(t)
	c, err := offiaccount.NewClient(foAppID, foSecret, offiaccount.WithClientBaseURL(downURL(t)),
		offiaccount.WithClientFailoverBaseURLs(downURL(t)), offiaccount.WithClientHTTPClient(p.Client()), offiaccount.WithClientLogger(l))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = c.AccessToken(ctx)
	require.Error(t, err)
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr), "the dial error is still visible: %v", err)
	assert.NotContains(t, err.Error(), foSecret)
}

func TestWithClientFailoverBaseURLsValidates(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "ftp://x", "api2.weixin.qq.com", "https://x/?a=b", "https://u:p@x"} {
		_, err := offiaccount.NewClient(foAppID, foSecret, offiaccount.WithClientFailoverBaseURLs(bad))
		assert.Error(t, err, bad)
	}
	_, err := offiaccount.NewClient(foAppID, foSecret, offiaccount.WithClientFailoverBaseURLs("https://api2.weixin.qq.com/"))
	assert.NoError(t, err)
}

// The Client sends a request to a backup domain when the main one refuses connections. Here
// the fake platform plays the backup and a closed port the main domain.
func ExampleWithClientFailoverBaseURLs() {
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount("wx2c2769f8efd9abc2", "app-secret"))
	defer p.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // the main domain refuses connections

	client, err := offiaccount.NewClient("wx2c2769f8efd9abc2", "app-secret",
		offiaccount.WithClientBaseURL(down),
		offiaccount.WithClientFailoverBaseURLs(p.URL()), // in production: leave the default
		offiaccount.WithClientHTTPClient(p.Client()))
	if err != nil {
		panic(err)
	}
	err = client.CreateMenu(context.Background(), offiaccount.NewMenu(offiaccount.ClickButton("Hello", "HELLO")))
	fmt.Println("error:", err)
	fmt.Println("menu/create calls on the backup:", p.Calls("/cgi-bin/menu/create"))
	// Output:
	// error: <nil>
	// menu/create calls on the backup: 1
}

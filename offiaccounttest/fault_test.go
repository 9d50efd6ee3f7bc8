package offiaccounttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultErrcode(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	p.FailNext("/cgi-bin/get_current_selfmenu_info", 2, Fault{Errcode: -1})
	p.FailNext("/cgi-bin/get_current_selfmenu_info", 1, Fault{Errcode: 45009, Errmsg: "custom text"})

	r := get(t, p, "/cgi-bin/get_current_selfmenu_info", url.Values{"access_token": {tok}})
	assert.Equal(t, -1, r.code())
	assert.True(t, strings.HasPrefix(r.str("errmsg"), "system error rid: "), r.raw)
	assert.Equal(t, -1, probe(t, p, tok))
	r = get(t, p, "/cgi-bin/get_current_selfmenu_info", url.Values{"access_token": {tok}})
	assert.Equal(t, 45009, r.code())
	assert.True(t, strings.HasPrefix(r.str("errmsg"), "custom text rid: "), r.raw)
	assert.Equal(t, 0, probe(t, p, tok), "faults are used up in order, then calls succeed")
	assert.Equal(t, 4, p.Calls("/cgi-bin/get_current_selfmenu_info"), "faulted calls are counted")
	assert.Equal(t, 1, p.Calls("/cgi-bin/token"))
	assert.Equal(t, 0, p.Calls("/cgi-bin/menu/get"))

	// A fault on the token endpoint is not a fetch.
	p.FailNext("/cgi-bin/token", 1, Fault{Errcode: 45011})
	q := url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}}
	r = get(t, p, "/cgi-bin/token", q)
	assert.Equal(t, 45011, r.code())
	assert.True(t, strings.HasPrefix(r.str("errmsg"), "api minute-quota reach limit"), r.raw)
	assert.Equal(t, 1, p.TokenFetches(testAppID))
	assert.Equal(t, 2, p.Calls("/cgi-bin/token"))
}

func TestFaultHTTPStatus(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	p.FailNext("/cgi-bin/token", 1, Fault{HTTPStatus: http.StatusBadGateway})
	q := url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}}
	r := get(t, p, "/cgi-bin/token", q)
	assert.Equal(t, http.StatusBadGateway, r.status)
	assert.Equal(t, "502 Bad Gateway\n", r.raw)
	assert.Equal(t, "text/plain; charset=utf-8", r.header.Get("Content-Type"))
	assert.Equal(t, 0, get(t, p, "/cgi-bin/token", q).code())
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	u := p.URL() + "/cgi-bin/get_current_selfmenu_info?access_token=" + tok

	// A delay longer than the client's deadline: the client gives up.
	p.FailNext("/cgi-bin/get_current_selfmenu_info", 1, Fault{Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	require.NoError(t, err)
	began := time.Now()
	resp, err := p.Client().Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(began), 2*time.Second, "the platform stops waiting when the client leaves")

	// A delay alone slows the answer down but answers normally.
	p.FailNext("/cgi-bin/get_current_selfmenu_info", 1, Fault{Delay: 30 * time.Millisecond})
	began = time.Now()
	assert.Equal(t, 0, probe(t, p, tok))
	assert.GreaterOrEqual(t, time.Since(began), 30*time.Millisecond)
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	p.FailNext("/cgi-bin/menu/create", 1, Fault{Drop: true})
	// POST is not retried by net/http's transport, so exactly one call reaches the platform.
	resp, err := p.Client().Post(p.URL()+"/cgi-bin/menu/create?access_token="+tok, "application/json", strings.NewReader(seedMenu))
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	assert.True(t, errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset"), err.Error())
	assert.Equal(t, 1, p.Calls("/cgi-bin/menu/create"))
	_, ok := p.Menu(testAppID)
	assert.False(t, ok, "a dropped call changes nothing")

	assert.Equal(t, 0, post(t, p, "/cgi-bin/menu/create", tok, seedMenu).code(), "the next call goes through")

	// Mounted behind a writer that cannot be hijacked, Drop aborts the handler instead.
	p.FailNext("/cgi-bin/token", 1, Fault{Drop: true})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() {
		p.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/cgi-bin/token", nil))
	})
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	const workers, rounds = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				if err := concurrentRound(p, w, i); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, workers*rounds, p.TokenFetches(testAppID))
	assert.Equal(t, workers*rounds, p.Calls("/cgi-bin/token"))
	assert.Equal(t, workers*rounds, p.Calls("/cgi-bin/menu/create"))
}

// concurrentRound fetches a token, uses it at once, and pokes at the accessors and faults.
func concurrentRound(p *Platform, w, i int) error {
	hc := p.Client()
	resp, err := hc.Get(p.URL() + "/cgi-bin/token?grant_type=client_credential&appid=" + testAppID + "&secret=" + testSecret)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok, _, _ := strings.Cut(strings.TrimPrefix(string(b), `{"access_token":"`), `"`)
	body := fmt.Sprintf(`{"button":[{"type":"click","name":"w%d","key":"r%d"}]}`, w, i)
	resp, err = hc.Post(p.URL()+"/cgi-bin/menu/create?access_token="+tok, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	// Within the overlap every fetched token works, however many others fetched since.
	if string(b) != `{"errcode":0,"errmsg":"ok"}` {
		return fmt.Errorf("worker %d round %d: %s", w, i, b)
	}
	p.Menu(testAppID)
	p.AccessToken(testAppID)
	p.Ticket(testAppID, TicketJSAPI)
	p.Calls("/cgi-bin/token")
	p.Advance(time.Millisecond)
	p.FailNext("/unused", 1, Fault{Errcode: -1})
	return nil
}

func TestCloseReleasesDelayedCalls(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	p.FailNext("/cgi-bin/token", 1, Fault{Delay: time.Minute})
	done := make(chan error, 1)
	go func() {
		resp, err := p.Client().Get(p.URL() + "/cgi-bin/token")
		if resp != nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return p.Calls("/cgi-bin/token") == 1 }, 5*time.Second, 5*time.Millisecond)
	began := time.Now()
	p.Close()
	assert.Less(t, time.Since(began), 5*time.Second)
	select {
	case err := <-done:
		assert.Error(t, err, "the delayed call is dropped, not answered")
	case <-time.After(5 * time.Second):
		t.Fatal("client still waiting after Close")
	}
}

func TestFaultBody(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	q := url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}}
	p.FailNext("/cgi-bin/token", 1, Fault{Body: `{"access_token":"tru`})
	p.FailNext("/cgi-bin/token", 1, Fault{HTTPStatus: http.StatusBadGateway, Body: "<html>bad gateway</html>"})

	raw := func() (int, string, string) {
		resp, err := p.Client().Get(p.URL() + "/cgi-bin/token?" + q.Encode())
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	status, ctype, body := raw()
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, `{"access_token":"tru`, body, "the body goes out byte for byte")
	assert.Equal(t, "application/json; encoding=utf-8", ctype)

	status, _, body = raw()
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Equal(t, "<html>bad gateway</html>", body, "Body replaces the status text")

	assert.Equal(t, 0, get(t, p, "/cgi-bin/token", q).code(), "faults are used up")
	assert.Equal(t, 1, p.TokenFetches(testAppID), "a faulted call issues no token")
}

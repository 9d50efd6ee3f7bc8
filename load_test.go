package offiaccount_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
)

// TestLoad pushes WeChat-shaped traffic through the Handler over loopback
// HTTP: 200,000 messages from 64 connections at once, with 5% of them
// retried the way WeChat retries a message, every tenth one sealed in safe
// mode, and dedupe on. Zero errors; every function runs exactly once per
// MsgId; every retry gets the first reply byte for byte (decrypted first in
// safe mode, where each answer is sealed afresh); and the heap after
// a forced GC stays flat between the first and the second half, because the
// dedupe store is bounded.
//
// It is opt-in, so that the default test command stays fast: it runs when
// OFFIACCOUNT_LONG=1 (what .ci/run sets) or when OFFIACCOUNT_LOAD_MESSAGES
// names a message count (to iterate quickly).
func TestLoad(t *testing.T) {
	if os.Getenv("OFFIACCOUNT_LONG") != "1" && os.Getenv("OFFIACCOUNT_LOAD_MESSAGES") == "" {
		t.Skip("load test is opt-in: set OFFIACCOUNT_LONG=1")
	}
	messages := 200_000
	if s := os.Getenv("OFFIACCOUNT_LOAD_MESSAGES"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		messages = n
	}
	const (
		concurrency = 64
		retryRate   = 0.05
		retryWindow = 2000 // WeChat retries within seconds: pick among the last messages sent
		storeSize   = 20_000
		baseID      = int64(25_000_000_000_000_000)
	)

	leaks := &leakWriter{}
	var warnings atomic.Int64
	logger := slog.New(countingHandler{slog.NewTextHandler(leaks, &slog.HandlerOptions{Level: slog.LevelDebug}), &warnings})
	store, err := offiaccount.NewMemoryDedupeStore(offiaccount.WithMemoryDedupeStoreMaxEntries(storeSize))
	require.NoError(t, err)
	h, err := offiaccount.NewHandler(hardToken,
		offiaccount.WithHandlerEncodingAESKey(hardAppID, hardAESKey),
		offiaccount.WithHandlerDedupeStore(store),
		offiaccount.WithHandlerLogger(logger))
	require.NoError(t, err)
	runs := make([]atomic.Int32, messages)
	h.HandleText(func(_ context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		runs[m.MsgID-baseID].Add(1)
		return offiaccount.TextReply{Content: "got " + m.Content}, nil
	})

	srv := httptest.NewServer(h)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	crypter, err := offiaccount.NewMessageCrypter(hardAppID, hardAESKey)
	require.NoError(t, err)

	// The plan: every message once, and 5% retries of recent ones.
	rng := rand.New(rand.NewPCG(10, 20))
	type job struct {
		idx   int
		retry bool
	}
	plan := make([]job, 0, messages+messages/16)
	retried := make([]bool, messages)
	for i := range messages {
		plan = append(plan, job{idx: i})
		if rng.Float64() < retryRate {
			j := max(0, i-rng.IntN(retryWindow))
			plan = append(plan, job{idx: j, retry: true})
			retried[j] = true
		}
	}

	var (
		errorsSeen atomic.Int64
		firstErr   atomic.Pointer[string]
		mismatches atomic.Int64
		answers    sync.Map // idx -> first answer, for retried messages
		sent       atomic.Int64
	)
	fail := func(format string, args ...any) {
		errorsSeen.Add(1)
		s := fmt.Sprintf(format, args...)
		firstErr.CompareAndSwap(nil, &s)
	}
	send := func(j job) {
		idx := j.idx
		now := time.Now().Unix()
		doc := "<xml><ToUserName><![CDATA[gh_load]]></ToUserName><FromUserName><![CDATA[oUser" + strconv.Itoa(idx%5000) +
			"]]></FromUserName><CreateTime>" + strconv.FormatInt(now, 10) + "</CreateTime><MsgType><![CDATA[text]]></MsgType>" +
			"<Content><![CDATA[message " + strconv.Itoa(idx) + "]]></Content><MsgId>" + strconv.FormatInt(baseID+int64(idx), 10) + "</MsgId></xml>"
		ts, nonce := strconv.FormatInt(now, 10), strconv.Itoa(rand.IntN(1e9))
		q := url.Values{"signature": {offiaccount.Signature(hardToken, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "openid": {"o"}}
		body := doc
		safe := idx%10 == 0
		if safe {
			enc, err := crypter.Encrypt([]byte(doc))
			if err != nil {
				fail("encrypt: %v", err)
				return
			}
			q.Set("encrypt_type", "aes")
			q.Set("msg_signature", offiaccount.MsgSignature(hardToken, ts, nonce, enc))
			body = "<xml><ToUserName><![CDATA[gh_load]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
		}
		resp, err := client.Post(srv.URL+"/wechat?"+q.Encode(), "text/xml", bytes.NewReader([]byte(body)))
		if err != nil {
			fail("message %d: %v", idx, err)
			return
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			fail("message %d: reading the answer: %v", idx, err)
			return
		case resp.StatusCode != http.StatusOK:
			fail("message %d: HTTP %d %q", idx, resp.StatusCode, got)
			return
		case safe && !bytes.Contains(got, []byte("<Encrypt>")), !safe && !bytes.Contains(got, []byte("message "+strconv.Itoa(idx)+"]]>")):
			fail("message %d: unexpected answer %q", idx, got)
			return
		}
		if retried[idx] {
			if safe {
				// Sealed afresh for each attempt: compare the reply inside.
				var env struct{ Encrypt string }
				if err := xml.Unmarshal(got, &env); err != nil {
					fail("message %d: %v", idx, err)
					return
				}
				if got, err = crypter.Decrypt(env.Encrypt); err != nil {
					fail("message %d: %v", idx, err)
					return
				}
			}
			if prev, loaded := answers.LoadOrStore(idx, string(got)); loaded && prev.(string) != string(got) {
				mismatches.Add(1)
			}
		}
		sent.Add(1)
	}
	run := func(jobs []job) {
		ch := make(chan job, concurrency)
		var wg sync.WaitGroup
		for range concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range ch {
					send(j)
				}
			}()
		}
		for _, j := range jobs {
			ch <- j
		}
		close(ch)
		wg.Wait()
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}

	start := time.Now()
	half := len(plan) / 2
	run(plan[:half])
	heapMid := heap()
	run(plan[half:])
	took := time.Since(start)
	heapEnd := heap()

	t.Logf("%d requests (%d messages, %d retries) in %v: %.0f req/s; heap after GC %.1f MiB at half time, %.1f MiB at the end; store holds %d",
		len(plan), messages, len(plan)-messages, took.Round(time.Millisecond), float64(len(plan))/took.Seconds(),
		float64(heapMid)/(1<<20), float64(heapEnd)/(1<<20), store.Len())
	if p := firstErr.Load(); p != nil {
		t.Errorf("first error: %s", *p)
	}
	assert.Zero(t, errorsSeen.Load(), "failed requests")
	assert.Equal(t, int64(len(plan)), sent.Load())
	assert.Zero(t, mismatches.Load(), "retries answered differently from the first attempt")
	assert.Zero(t, warnings.Load(), "warnings or errors logged")
	assert.Nil(t, leaks.found.Load(), "secrets logged")
	once := 0
	for i := range runs {
		if n := runs[i].Load(); n == 1 {
			once++
		} else if n != 1 {
			t.Errorf("message %d ran %d times", i, n)
			if i > 10 {
				break
			}
		}
	}
	assert.Equal(t, messages, once, "messages whose function ran exactly once")
	assert.LessOrEqual(t, store.Len(), storeSize, "the dedupe store is bounded")
	const headroom = 16 << 20
	assert.Less(t, heapEnd, heapMid+headroom, "the heap grows with traffic: %d → %d bytes", heapMid, heapEnd)
}

// countingHandler counts records at Warn and above.
type countingHandler struct {
	slog.Handler
	n *atomic.Int64
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

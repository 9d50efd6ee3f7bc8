package offiaccount_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// Secrets of the hardening suites. Every log line the suites produce goes to
// suiteLogs; TestMain fails the run if any registered secret shows up there.
const (
	hardToken     = "hardenToken4711"
	hardAppID     = "wx4a2d3e01bc0f0001"
	hardSecret    = "s3cr3tAppSecretForHardening0042x"
	hardAESKey    = "Hq9sXkT2bVw7LmN4pR8yZa1cD6fG3jK5oU0eWiQtYxE"
	hardOldAESKey = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
	otherAESKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	otherAppID    = "wx0e7e0cc0c0e70002"
)

// logSink collects log output from every logger the suites create, and the
// secrets that must never appear in it.
type logSink struct {
	mu      sync.Mutex
	out     bytes.Buffer
	secrets map[string]string // value -> name
}

var suiteLogs = newLogSink()

func newLogSink() *logSink {
	s := &logSink{secrets: make(map[string]string)}
	s.addSecret("callback token", hardToken)
	s.addSecret("AppSecret", hardSecret)
	s.addAESKey("EncodingAESKey", hardAESKey)
	s.addAESKey("previous EncodingAESKey", hardOldAESKey)
	return s
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

// addSecret registers value (e.g. an access_token handed out by the fake
// platform during a test).
func (s *logSink) addSecret(name, value string) {
	if len(value) < 6 {
		return // too short to search for without false alarms
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[value] = name
}

// addAESKey registers an EncodingAESKey in the forms it could leak in: as
// configured, and the raw key in hex, base64 and Go syntax.
func (s *logSink) addAESKey(name, encodingAESKey string) {
	s.addSecret(name, encodingAESKey)
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil {
		panic(err)
	}
	s.addSecret(name+" (hex)", hex.EncodeToString(key[:16]))
	s.addSecret(name+" (raw base64)", base64.StdEncoding.EncodeToString(key[:16]))
	s.addSecret(name+" (Go syntax)", strings.Trim(fmt.Sprintf("%#v", [16]byte(key[:16])), "[16]uint8"))
	s.addSecret(name+" (bytes)", fmt.Sprint(key[:16]))
}

// leaks lists the secrets found in out.
func (s *logSink) leaks(out string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []string
	for v, name := range s.secrets {
		if strings.Contains(out, v) {
			found = append(found, name)
		}
	}
	sort.Strings(found)
	return found
}

func (s *logSink) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testLogger returns a logger at Debug level writing to the returned buffer
// and to suiteLogs, and checks at the end of t that it logged no secret.
func testLogger(t testing.TB) (*slog.Logger, *syncBuffer) {
	buf := new(syncBuffer)
	l := slog.New(slog.NewTextHandler(io.MultiWriter(buf, suiteLogs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() { assertNoSecret(t, "log output", buf.String()) })
	return l, buf
}

func assertNoSecret(t testing.TB, what, out string) {
	t.Helper()
	if leaked := suiteLogs.leaks(out); len(leaked) > 0 {
		t.Errorf("%s holds secrets %v:\n%s", what, leaked, out)
	}
}

// TestMain greps everything the suites logged for every secret they used,
// and fails on goroutines left running once all tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		out := suiteLogs.all()
		if leaked := suiteLogs.leaks(out); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: captured log output (%d bytes) holds secrets: %v\n", len(out), leaked)
			code = 1
		}
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "FAIL: goroutines leaked by the tests: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// formats renders v every way a careless caller might log it.
func formats(v any) map[string]string {
	out := map[string]string{
		"%v":  fmt.Sprintf("%v", v),
		"%+v": fmt.Sprintf("%+v", v),
		"%#v": fmt.Sprintf("%#v", v),
		"%s":  fmt.Sprintf("%s", v),
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("x", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("x", "v", v)
	out["slog text"] = text.String()
	out["slog json"] = js.String()
	return out
}

func assertRedacted(t *testing.T, v any, mustShow string) {
	t.Helper()
	for verb, s := range formats(v) {
		assertNoSecret(t, fmt.Sprintf("%T formatted with %s", v, verb), s)
		if mustShow != "" && verb != "slog json" {
			assert.Contains(t, s, mustShow, "%T with %s still identifies the account", v, verb)
		}
	}
}

func TestSecretsClientRedacted(t *testing.T) {
	t.Parallel()
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(hardAppID, hardSecret))
	defer p.Close()
	c, err := offiaccount.NewClient(hardAppID, hardSecret, offiaccount.WithClientBaseURL(p.URL()), offiaccount.WithClientHTTPClient(p.Client()))
	require.NoError(t, err)
	tok, err := c.AccessToken(context.Background())
	require.NoError(t, err)
	suiteLogs.addSecret("access_token", tok)
	assertRedacted(t, c, hardAppID) // the cached token is inside now
}

func TestSecretsCrypterRedacted(t *testing.T) {
	t.Parallel()
	m, err := offiaccount.NewMessageCrypter(hardAppID, hardAESKey, hardOldAESKey)
	require.NoError(t, err)
	assertRedacted(t, m, hardAppID)
}

func TestSecretsUserTokenRedacted(t *testing.T) {
	t.Parallel()
	ut := offiaccount.UserToken{AccessToken: "webAccessTokenSecret01", RefreshToken: "webRefreshTokenSecret01", OpenID: "oUser1", Expiry: time.Unix(1700000000, 0)}
	suiteLogs.addSecret("web access_token", ut.AccessToken)
	suiteLogs.addSecret("refresh_token", ut.RefreshToken)
	assertRedacted(t, ut, "oUser1")
	assertRedacted(t, &ut, "oUser1")
}

func TestSecretsHandlerRedacted(t *testing.T) {
	t.Parallel()
	h, err := offiaccount.NewHandler(hardToken, offiaccount.WithHandlerEncodingAESKey(hardAppID, hardAESKey))
	require.NoError(t, err)
	assertRedacted(t, h, "")
}

func TestSecretsMemoryStoreRedacted(t *testing.T) {
	t.Parallel()
	s := offiaccount.NewMemoryTokenStore()
	require.NoError(t, s.Set(context.Background(), hardAppID+":access_token", "storedAccessTokenSecret", time.Now().Add(time.Hour)))
	suiteLogs.addSecret("stored access_token", "storedAccessTokenSecret")
	assertRedacted(t, s, "")
}

// The errors callers are likely to log carry no secret either.
func TestSecretsNotInErrors(t *testing.T) {
	t.Parallel()
	_, err := offiaccount.NewMessageCrypter(hardAppID, hardAESKey[:42]+"*")
	require.Error(t, err)
	assertNoSecret(t, "NewMessageCrypter error", err.Error())
	_, err = offiaccount.NewHandler(hardToken + "!")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), hardToken)
}

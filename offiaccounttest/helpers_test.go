package offiaccounttest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	testAppID  = "wx1234567890abcdef"
	testSecret = "0123456789abcdef0123456789abcdef"
)

// start is the fake clock's start in tests: 2024-06-01 10:00 in China.
var start = time.Date(2024, 6, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newTestPlatform(t *testing.T) *Platform {
	t.Helper()
	p := NewPlatform(WithPlatformAccount(testAppID, testSecret), WithPlatformNow(start))
	t.Cleanup(p.Close)
	return p
}

// reply is a decoded answer: the JSON object and the raw body.
type reply struct {
	status int
	header http.Header
	raw    string
	obj    map[string]any
}

func (r reply) code() int {
	if v, ok := r.obj["errcode"].(float64); ok {
		return int(v)
	}
	return 0
}

func (r reply) str(key string) string {
	s, _ := r.obj[key].(string)
	return s
}

func (r reply) num(key string) int64 {
	f, _ := r.obj[key].(float64)
	return int64(f)
}

var ridRE = regexp.MustCompile(` rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)

// do sends one request to the platform and decodes the answer.
func do(t *testing.T, p *Platform, method, path string, q url.Values, body string) reply {
	t.Helper()
	u := p.URL() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	resp, err := p.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(b, &out.obj), "body %s", b)
		if out.code() != 0 {
			require.Regexp(t, ridRE, out.str("errmsg"), "errors carry a rid")
		}
	}
	return out
}

func get(t *testing.T, p *Platform, path string, q url.Values) reply {
	t.Helper()
	return do(t, p, http.MethodGet, path, q, "")
}

func post(t *testing.T, p *Platform, path, token, body string) reply {
	t.Helper()
	return do(t, p, http.MethodPost, path, url.Values{"access_token": {token}}, body)
}

// fetchToken gets a token from /cgi-bin/token and fails the test on any error.
func fetchToken(t *testing.T, p *Platform) string {
	t.Helper()
	r := get(t, p, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {testAppID}, "secret": {testSecret}})
	require.Equal(t, 0, r.code(), r.raw)
	require.NotEmpty(t, r.str("access_token"))
	return r.str("access_token")
}

func stableToken(t *testing.T, p *Platform, force bool) reply {
	t.Helper()
	body, err := json.Marshal(map[string]any{"grant_type": "client_credential", "appid": testAppID, "secret": testSecret, "force_refresh": force})
	require.NoError(t, err)
	return do(t, p, http.MethodPost, "/cgi-bin/stable_token", nil, string(body))
}

// probe calls an endpoint that needs nothing but a token and returns its errcode:
// 0 when the token was accepted.
func probe(t *testing.T, p *Platform, token string) int {
	t.Helper()
	return get(t, p, "/cgi-bin/get_current_selfmenu_info", url.Values{"access_token": {token}}).code()
}

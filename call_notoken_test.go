package offiaccount

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// CallWithoutToken sends the query and body it is given and nothing else: no access_token
// is fetched or added, one access_token of the caller's own goes through, the answer decodes
// as with Call, and nothing is sent twice.
func TestCallWithoutToken(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/component/api_create_preauthcode", func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		q := r.URL.Query()
		assert.Equal(t, url.Values{"component_access_token": {"COMPONENT_TOKEN_1"}}, q)
		body, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"component_appid":"wx1"}`, string(body))
		return httpmock.NewStringResponse(200, `{"pre_auth_code":"PRE_1","expires_in":1800}`), nil
	})
	mt.RegisterResponder(http.MethodGet, testAPI+"/sns/auth", func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		assert.Equal(t, "USER_TOKEN_1", r.URL.Query().Get("access_token"), "the caller's access_token, not the account's")
		return httpmock.NewStringResponse(200, `{"errcode":40001,"errmsg":"invalid credential"}`), nil
	})
	ctx := context.Background()

	var out struct {
		Code string `json:"pre_auth_code"`
	}
	require.NoError(t, c.CallWithoutToken(ctx, http.MethodPost, "/cgi-bin/component/api_create_preauthcode",
		url.Values{"component_access_token": {"COMPONENT_TOKEN_1"}}, map[string]string{"component_appid": "wx1"}, &out))
	assert.Equal(t, "PRE_1", out.Code)

	err := c.CallWithoutToken(ctx, http.MethodGet, "/sns/auth", url.Values{"access_token": {"USER_TOKEN_1"}, "openid": {"o1"}}, nil, nil)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, CodeInvalidCredential, apiErr.Code)
	assert.Equal(t, int32(2), calls.Load(), "a rejected token is not retried: there is none to refresh")
	assert.Zero(t, mt.GetCallCountInfo()["POST "+testAPI+"/cgi-bin/stable_token"], "no access_token fetched")

	for _, bad := range []struct{ method, path string }{
		{http.MethodGet, "https://evil.example/cgi-bin/x"}, {http.MethodPost, "//evil.example/x"},
		{http.MethodPost, "/cgi-bin/x?component_access_token=1"}, {http.MethodPost, "/cgi-bin/../x"},
		{http.MethodPut, "/cgi-bin/x"},
	} {
		err := c.CallWithoutToken(ctx, bad.method, bad.path, nil, nil, nil)
		assert.ErrorIs(t, err, ErrInvalidRequest, "%s %s", bad.method, bad.path)
	}
	assert.ErrorIs(t, c.CallWithoutToken(ctx, http.MethodGet, "/sns/auth", nil, map[string]int{"a": 1}, nil), ErrInvalidRequest)
	assert.Equal(t, int32(2), calls.Load(), "refused calls send nothing")
}

// Every credential a third-party platform sends, by WeChat's name, in the query or at any
// depth of the JSON body, stays out of the error chain and the log lines, whatever the
// transport echoes: on a plain failure and through failover's warnings.
func TestCallWithoutTokenRedactsCredentialsByName(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"component_access_token":   "COMPONENTACCESS_0123456789",
		"component_appsecret":      "COMPONENTSECRET_0123456789",
		"component_verify_ticket":  "ticket@@@VERIFY_0123456789",
		"pre_auth_code":            "preauthcode@@@0123456789",
		"authorization_code":       "queryauthcode@@@0123456789",
		"authorizer_access_token":  "AUTHORIZERACCESS_0123456789",
		"authorizer_refresh_token": "refreshtoken@@@0123456789",
		"access_token":             "USERACCESS_0123456789",
	}
	var values []string
	for _, v := range secrets {
		values = append(values, v)
	}
	query := url.Values{"component_access_token": {secrets["component_access_token"]}, "access_token": {secrets["access_token"]}}
	body := map[string]any{
		"component_appid":         "wx1",
		"component_appsecret":     secrets["component_appsecret"],
		"component_verify_ticket": secrets["component_verify_ticket"],
		"authorization_code":      secrets["authorization_code"],
		"list": []any{map[string]any{
			"pre_auth_code":            secrets["pre_auth_code"],
			"authorizer_access_token":  secrets["authorizer_access_token"],
			"authorizer_refresh_token": secrets["authorizer_refresh_token"],
		}},
	}
	for _, tc := range []struct {
		name string
		wrap func(text string) error
	}{
		{"echo", func(s string) error { return &echoErr{s} }},
		{"dial, failover on", func(s string) error { return &net.OpError{Op: "dial", Net: "tcp", Err: &echoErr{s}} }},
	} {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var sent atomic.Int32
			rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				sent.Add(1)
				b, _ := io.ReadAll(r.Body)
				return nil, tc.wrap(fmt.Sprintf("proxy refused %s %s body=%s", r.Method, r.URL, b))
			})
			logs := new(syncBuffer)
			c, err := NewClient(testAppID, testSecret, WithClientHTTPClient(&http.Client{Transport: rt}),
				WithClientLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			require.NoError(t, err)
			err = c.CallWithoutToken(context.Background(), http.MethodPost, "/cgi-bin/component/x", query, body, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "proxy refused")
			assert.Contains(t, err.Error(), "wx1", "what is not secret stays readable")
			assertNoSecretInChain(t, err, values...)
			for _, v := range values {
				assert.NotContains(t, logs.String(), v)
				assert.NotContains(t, logs.String(), url.QueryEscape(v))
			}
			if strings.HasPrefix(tc.name, "dial") {
				assert.Equal(t, int32(1+len(DefaultFailoverBaseURLs)), sent.Load())
				assert.Contains(t, logs.String(), "trying another", "the failover warnings were checked")
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestJSONSecrets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     []string
	}{
		{"flat", `{"component_appid":"wx1","component_appsecret":"S1","component_verify_ticket":"T1"}`, []string{"S1", "T1"}},
		{"nested and in arrays", `{"a":{"authorization_code":"C1"},"l":[{"authorizer_refresh_token":"R1"},{"x":"authorizer_refresh_token"}]}`, []string{"C1", "R1"}},
		{"a secret name as a value is not a key", `{"k":"access_token","v":["code","ticket"]}`, nil},
		{"non-string values", `{"code":7,"ticket":null,"secret":{"code":"C2"},"access_token":["A1"]}`, []string{"C2"}},
		{"key after a container value", `{"x":{"y":[1,{"z":2}]},"pre_auth_code":"P1"}`, []string{"P1"}},
		{"cut short", `{"secret":"S2","code":"C3`, []string{"S2"}},
		{"not JSON", `secret=S3&code=C4`, nil},
		{"empty", ``, nil},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, jsonSecrets(strings.NewReader(tc.in)), tc.name)
	}
}

func TestTextSecrets(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		want     []string
	}{
		{"JSON answer", `earlier: {"component_access_token":"CAT123456","expires_in":7200}`, []string{"CAT123456"}},
		{"escaped JSON", `body="{\"authorization_code\":\"AC123456\",\"x\":\"y\"}"`, []string{"AC123456"}},
		{"spaces", `{"pre_auth_code" : "PAC123456"}`, []string{"PAC123456"}},
		{"query", `GET /x?appid=wx1&code=C123456&refresh_token=R123456 failed`, []string{"C123456", "R123456"}},
		{"query, longer name", `?component_verify_ticket=T123456&authorizer_refresh_token=RT123456`, []string{"T123456", "RT123456"}},
		{"already redacted", `?access_token=REDACTED&code=[REDACTED] {"ticket":"[REDACTED]"}`, nil},
		{"not a parameter", `errcode=40001 transcode=abcdefgh "component_appid":"wx1"`, nil},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, textSecrets(tc.in), tc.name)
	}
}

// The secret scanners read any text without panicking, and what they return is in it.
func FuzzSecretScan(f *testing.F) {
	f.Add(`{"a":[{"authorization_code":"C1\u00e9"}],"secret":"S2"}`)
	f.Add(`POST /x?component_access_token=T1&code=C5 body={\"ticket\":\"T2\"}`)
	f.Add(`{"code":{"code":["code"]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range textSecrets(s) {
			if !strings.Contains(s, v) {
				t.Fatalf("textSecrets(%q) returned %q, not in the text", s, v)
			}
		}
		_ = jsonSecrets(strings.NewReader(s))
	})
}

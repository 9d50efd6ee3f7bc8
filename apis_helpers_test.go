package offiaccount

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shared setup of the API-group tests (custom, template, user, qrcode, media, diag).

// testAPI is the origin the mock transport answers for (newMockClient is in client_test.go).
const testAPI = DefaultBaseURL

// apiCall is one expected request to the mock platform.
type apiCall struct {
	method string
	path   string
	query  map[string]string // expected query parameters besides access_token
	body   string            // expected JSON body, compared field by field; "" for none
	raw    []string          // substrings the body must hold byte for byte (escaping)
	answer string            // JSON answer
}

// expect registers a responder that checks the access_token, the query and the JSON body of
// the request (every field, in both directions) and answers call.answer. It returns a
// counter of the calls received.
func expect(t *testing.T, mt *httpmock.MockTransport, call apiCall) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	mt.RegisterResponder(call.method, testAPI+call.path, func(req *http.Request) (*http.Response, error) {
		n.Add(1)
		q := req.URL.Query()
		assert.Equal(t, testToken, q.Get("access_token"), "access_token of %s", call.path)
		for k, v := range call.query {
			assert.Equal(t, v, q.Get(k), "query %s of %s", k, call.path)
		}
		var got []byte
		if req.Body != nil {
			got, _ = io.ReadAll(req.Body)
		}
		if call.body == "" {
			assert.Empty(t, got, "body of %s", call.path)
		} else {
			assert.Equal(t, "application/json; charset=utf-8", req.Header.Get("Content-Type"))
			assert.JSONEq(t, call.body, string(got), "body of %s", call.path)
		}
		for _, sub := range call.raw {
			assert.Contains(t, string(got), sub, "raw body of %s", call.path)
		}
		return httpmock.NewStringResponse(200, call.answer), nil
	})
	return &n
}

// requireAPIError asserts that err is an *APIError with the given errcode and path.
func requireAPIError(t *testing.T, err error, code int, path string) {
	t.Helper()
	var apiErr *APIError
	require.True(t, errors.As(err, &apiErr), "want *APIError, got %T: %v", err, err)
	assert.Equal(t, code, apiErr.Code)
	assert.Equal(t, path, apiErr.Path)
	assert.NotContains(t, err.Error(), testToken)
}

// noCalls fails the test when the mock transport received any request to an API other
// than the token endpoint: used by tests of arguments rejected locally.
func noCalls(t *testing.T, mt *httpmock.MockTransport) {
	t.Helper()
	for k, n := range mt.GetCallCountInfo() {
		if n > 0 && !strings.Contains(k, "stable_token") {
			t.Errorf("unexpected request %s", k)
		}
	}
}

// newExampleServer starts an httptest server for Example functions: it answers the token
// endpoint and the given paths with fixed JSON answers.
func newExampleServer(answers map[string]string) (*Client, func()) {
	mux := http.NewServeMux()
	mux.HandleFunc("/cgi-bin/stable_token", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"access_token":"`+testToken+`","expires_in":7200}`)
	})
	for p, a := range answers {
		mux.HandleFunc(p, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, a) })
	}
	srv := httptest.NewServer(mux)
	c, err := NewClient(testAppID, "SECRET", WithClientBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	return c, srv.Close
}

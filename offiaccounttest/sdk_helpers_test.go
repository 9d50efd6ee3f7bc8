package offiaccounttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// The account of the SDK-driven tests: these tests use the real client against the fake,
// so they check the fake and that both sides agree on the protocol.
const (
	sdkAppID  = "wx0123456789abcdef"
	sdkSecret = "0123456789abcdef0123456789abcdef"
)

// sdkStart is the fake clock's start: 2024-06-01 10:00 in China.
var sdkStart = time.Date(2024, 6, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// newSDK starts a platform with one account and a client pointed at it.
func newSDK(t *testing.T, opts ...offiaccounttest.PlatformOption) (*offiaccounttest.Platform, *offiaccount.Client) {
	t.Helper()
	opts = append([]offiaccounttest.PlatformOption{offiaccounttest.WithPlatformAccount(sdkAppID, sdkSecret),
		offiaccounttest.WithPlatformNow(sdkStart)}, opts...)
	p := offiaccounttest.NewPlatform(opts...)
	t.Cleanup(p.Close)
	c, err := offiaccount.NewClient(sdkAppID, sdkSecret, offiaccount.WithClientBaseURL(p.URL()), offiaccount.WithClientHTTPClient(p.Client()))
	require.NoError(t, err)
	return p, c
}

// requireCode asserts that err is the *APIError with WeChat's errcode code and a rid.
func requireCode(t *testing.T, err error, code int) {
	t.Helper()
	var apiErr *offiaccount.APIError
	require.True(t, errors.As(err, &apiErr), "want errcode %d, got %v", code, err)
	require.Equal(t, code, apiErr.Code, "errmsg %q", apiErr.Message)
	require.NotEmpty(t, apiErr.RID)
}

// token returns the client's access_token, for the raw calls that the SDK would refuse to
// send (it validates its input first).
func token(t *testing.T, c *offiaccount.Client) string {
	t.Helper()
	tok, err := c.AccessToken(context.Background())
	require.NoError(t, err)
	return tok
}

// rawCall sends one request to the platform and returns the errcode and the JSON answer.
func rawCall(t *testing.T, p *offiaccounttest.Platform, method, path string, q url.Values, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, p.URL()+path+"?"+q.Encode(), bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := p.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out), "body %s", data)
	code, _ := out["errcode"].(float64)
	return int(code), out
}

// rawPost posts a JSON body with the client's token and returns the errcode.
func rawPost(t *testing.T, p *offiaccounttest.Platform, c *offiaccount.Client, path, body string) int {
	t.Helper()
	code, _ := rawCall(t, p, http.MethodPost, path, url.Values{"access_token": {token(t, c)}}, "application/json", []byte(body))
	return code
}

// multipartBody builds a form with the file data in field (when fileName is set).
func multipartBody(t *testing.T, field, fileName string, data []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if fileName != "" {
		fw, err := w.CreateFormFile(field, fileName)
		require.NoError(t, err)
		_, err = fw.Write(data)
		require.NoError(t, err)
	} else {
		require.NoError(t, w.WriteField(field, string(data)))
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), buf.Bytes()
}

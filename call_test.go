package offiaccount

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallGetAndPost(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/new/thing",
		query: map[string]string{"id": "7"}, answer: `{"errcode":0,"errmsg":"ok","name":"<b>"}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/new/set",
		body: `{"url":"https://x/?a=1&b=2"}`, raw: []string{`"https://x/?a=1&b=2"`},
		answer: `{"errcode":0,"errmsg":"ok","n":3}`})
	ctx := context.Background()

	var got struct{ Name string }
	require.NoError(t, c.Call(ctx, http.MethodGet, "/cgi-bin/new/thing", url.Values{"id": {"7"}}, nil, &got))
	assert.Equal(t, "<b>", got.Name)

	var n struct{ N int }
	require.NoError(t, c.Call(ctx, http.MethodPost, "/cgi-bin/new/set", nil, map[string]string{"url": "https://x/?a=1&b=2"}, &n))
	assert.Equal(t, 3, n.N)
	// A json.RawMessage goes as is; out may be nil.
	require.NoError(t, c.Call(ctx, http.MethodPost, "/cgi-bin/new/set", nil, json.RawMessage(`{"url":"https://x/?a=1&b=2"}`), nil))
}

func TestCallRetriesOnceOnTokenError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/new/set", func(*http.Request) (*http.Response, error) {
		if calls.Add(1) == 1 {
			return httpmock.NewStringResponse(200, `{"errcode":40001,"errmsg":"invalid credential"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"errcode":0,"errmsg":"ok"}`), nil
	})
	require.NoError(t, c.Call(context.Background(), http.MethodPost, "/cgi-bin/new/set", nil, map[string]int{"a": 1}, nil))
	assert.Equal(t, int32(2), calls.Load())
	// The first token was dropped and another fetched.
	assert.GreaterOrEqual(t, mt.GetCallCountInfo()["POST "+testAPI+"/cgi-bin/stable_token"], 2)
}

func TestCallAPIErrorAndRedaction(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testAPI+"/cgi-bin/new/busy",
		httpmock.NewStringResponder(200, `{"errcode":-1,"errmsg":"system error rid: 64eed8de-4cdaca9b-1be8f193"}`))
	mt.RegisterResponder(http.MethodGet, testAPI+"/cgi-bin/new/down",
		httpmock.NewErrorResponder(errors.New("connection reset by peer")))
	ctx := context.Background()

	err := c.Call(ctx, http.MethodGet, "/cgi-bin/new/busy", url.Values{"secret": {testSecret}}, nil, nil)
	requireAPIError(t, err, CodeBusy, "/cgi-bin/new/busy")
	assert.ErrorIs(t, err, ErrBusy)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "64eed8de-4cdaca9b-1be8f193", apiErr.RID)

	err = c.Call(ctx, http.MethodGet, "/cgi-bin/new/down", url.Values{"secret": {testSecret}, "code": {"OAUTHCODE"}}, nil, nil)
	require.Error(t, err)
	for _, secret := range []string{testToken, testSecret, "OAUTHCODE"} {
		assert.NotContains(t, err.Error(), secret)
		assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), secret)
	}
}

func TestCallRefusesPathsOffTheAPIOrigin(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	for _, p := range []string{
		"", "cgi-bin/user/info", "https://evil.example/cgi-bin/user/info", "http://api.weixin.qq.com/x",
		"//evil.example/steal", "/cgi-bin/x?access_token=1", "/cgi-bin/x#f", "/cgi-bin/../../x",
		"/cgi-bin/..", "/cgi-bin/./x", "/cgi-bin/x y", "/cgi-bin/x\n", "/cgi-bin/%2e%2e/x", `/cgi-bin\x`,
		"/@evil.example/x",
	} {
		err := c.Call(ctx, http.MethodGet, p, nil, nil, nil)
		if p == "/@evil.example/x" { // a path, not a host: stays on the API origin
			assert.NotErrorIs(t, err, ErrInvalidRequest, p)
			continue
		}
		assert.ErrorIs(t, err, ErrInvalidRequest, "path %q", p)
		assert.ErrorIs(t, c.CallUpload(ctx, p, nil, FormFile{Content: strings.NewReader("x")}, nil), ErrInvalidRequest, p)
		_, err = c.CallDownload(ctx, http.MethodGet, p, nil, nil)
		assert.ErrorIs(t, err, ErrInvalidRequest, p)
	}
	// The caller cannot put a token of its own in the query, nor send a GET body or use
	// another method.
	assert.ErrorIs(t, c.Call(ctx, http.MethodGet, "/cgi-bin/x", url.Values{"access_token": {"T"}}, nil, nil), ErrInvalidRequest)
	assert.ErrorIs(t, c.Call(ctx, http.MethodGet, "/cgi-bin/x", url.Values{"ACCESS_TOKEN": {"T"}}, nil, nil), ErrInvalidRequest)
	assert.ErrorIs(t, c.Call(ctx, http.MethodGet, "/cgi-bin/x", nil, map[string]int{}, nil), ErrInvalidRequest)
	assert.ErrorIs(t, c.Call(ctx, http.MethodDelete, "/cgi-bin/x", nil, nil, nil), ErrInvalidRequest)
	assert.ErrorIs(t, c.CallUpload(ctx, "/cgi-bin/x", nil, FormFile{}, nil), ErrInvalidRequest)
	for k, n := range mt.GetCallCountInfo() {
		if n > 0 && !strings.Contains(k, "@evil") && !strings.Contains(k, "stable_token") {
			t.Errorf("unexpected request %s", k)
		}
	}
}

func TestCallUpload(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var calls atomic.Int32
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/new/upload", func(req *http.Request) (*http.Response, error) {
		assert.Equal(t, testToken, req.URL.Query().Get("access_token"))
		assert.Equal(t, "v", req.URL.Query().Get("type"))
		_, params, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
		require.NoError(t, err)
		mr := multipart.NewReader(req.Body, params["boundary"])
		f, err := mr.ReadForm(1 << 20)
		require.NoError(t, err)
		assert.Equal(t, []string{"hello"}, f.Value["description"])
		fh := f.File["media"][0]
		assert.Equal(t, "a.jpg", fh.Filename)
		assert.Equal(t, "image/jpeg", fh.Header.Get("Content-Type"))
		rd, _ := fh.Open()
		b, _ := io.ReadAll(rd)
		assert.Equal(t, "JPEGDATA", string(b))
		if calls.Add(1) == 1 {
			return httpmock.NewStringResponse(200, `{"errcode":42001,"errmsg":"access_token expired"}`), nil
		}
		return httpmock.NewStringResponse(200, `{"media_id":"M1"}`), nil
	})
	var out struct {
		MediaID string `json:"media_id"`
	}
	err := c.CallUpload(context.Background(), "/cgi-bin/new/upload", url.Values{"type": {"v"}}, FormFile{
		FileName: "a.jpg", ContentType: "image/jpeg", Content: bytes.NewReader([]byte("JPEGDATA")),
		Fields: map[string]string{"description": "hello"},
	}, &out)
	require.NoError(t, err)
	assert.Equal(t, "M1", out.MediaID)
	assert.Equal(t, int32(2), calls.Load(), "a rewindable file is sent again with the new token")

	// Too large: refused before sending.
	err = c.CallUpload(context.Background(), "/cgi-bin/new/upload", nil, FormFile{Content: strings.NewReader("12345"), MaxBytes: 4}, nil)
	assert.ErrorIs(t, err, ErrInvalidRequest)
	assert.Equal(t, int32(2), calls.Load())
}

func TestCallDownload(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testAPI+"/cgi-bin/new/file", func(req *http.Request) (*http.Response, error) {
		resp := httpmock.NewBytesResponse(200, []byte{0xff, 0xd8, 0x01})
		resp.Header.Set("Content-Type", "image/jpeg")
		resp.Header.Set("Content-Disposition", `attachment; filename="x.jpg"`)
		return resp, nil
	})
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/new/json",
		httpmock.NewStringResponder(200, `{"video_url":"http://v"}`))
	mt.RegisterResponder(http.MethodPost, testAPI+"/cgi-bin/new/gone",
		httpmock.NewStringResponder(200, `{"errcode":40007,"errmsg":"invalid media_id"}`))
	ctx := context.Background()

	m, err := c.CallDownload(ctx, http.MethodGet, "/cgi-bin/new/file", url.Values{"media_id": {"M"}}, nil)
	require.NoError(t, err)
	b, err := io.ReadAll(m.Body)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	assert.Equal(t, []byte{0xff, 0xd8, 0x01}, b)
	assert.Equal(t, "x.jpg", m.FileName)

	m, err = c.CallDownload(ctx, http.MethodPost, "/cgi-bin/new/json", nil, map[string]string{"media_id": "M"})
	require.NoError(t, err)
	assert.Nil(t, m.Body)
	assert.JSONEq(t, `{"video_url":"http://v"}`, string(m.JSON))

	_, err = c.CallDownload(ctx, http.MethodPost, "/cgi-bin/new/gone", nil, map[string]string{"media_id": "M"})
	requireAPIError(t, err, 40007, "/cgi-bin/new/gone")
}

func FuzzCheckCallPath(f *testing.F) {
	for _, s := range []string{"/cgi-bin/x", "//h/x", "https://h/x", "/a/../b", "/a?b", "/%2e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkCallPath(http.MethodGet, p, nil) != nil {
			return
		}
		// Whatever passes stays on the base URL's host.
		u, err := url.Parse("https://api.weixin.qq.com" + p)
		if err != nil || u.Host != "api.weixin.qq.com" || u.RawQuery != "" || u.Fragment != "" ||
			strings.Contains(u.Path, "..") {
			t.Fatalf("accepted %q -> %v %v", p, u, err)
		}
	})
}

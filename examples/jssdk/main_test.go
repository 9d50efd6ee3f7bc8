package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
)

func TestPageFetchesItsConfig(t *testing.T) {
	base, stop, err := startFakeWeChat()
	require.NoError(t, err)
	defer stop()
	client, err := offiaccount.NewClient("wx2c2769f8efd9abc2", "fake-secret", offiaccount.WithClientBaseURL(base))
	require.NoError(t, err)
	h, err := newServer(client, []string{"127.0.0.1"})
	require.NoError(t, err)
	site := httptest.NewServer(h)
	defer site.Close()

	resp, err := http.Get(site.URL + "/")
	require.NoError(t, err)
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(html), "fetch('/wx/jsconfig?url=' + encodeURIComponent(here))")
	assert.Contains(t, string(html), "wx.config(body)")

	// What the page's script does: sign its own address, without the fragment.
	pageURL := site.URL + "/"
	resp, err = http.Get(site.URL + "/wx/jsconfig?url=" + url.QueryEscape(pageURL+"#top"))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var cfg offiaccount.JSConfig
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&cfg))
	assert.Equal(t, "wx2c2769f8efd9abc2", cfg.AppID)
	assert.Equal(t, offiaccount.JSSDKSignature("FAKE_jsapi_TICKET", cfg.NonceStr,
		cfg.Timestamp, pageURL), cfg.Signature)
	assert.True(t, strings.HasPrefix(cfg.JSAPIList[0], "update"))

	resp, err = http.Get(site.URL + "/wx/jsconfig?url=" + url.QueryEscape("https://elsewhere.example/"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

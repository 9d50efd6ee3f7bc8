package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
)

func TestWxsimAgainstAServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !offiaccount.CheckSignature(q.Get("signature"), "tok", q.Get("timestamp"), q.Get("nonce")) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.Method == http.MethodGet {
			io.WriteString(w, q.Get("echostr"))
			return
		}
		io.WriteString(w, "success")
	}))
	defer srv.Close()

	var out bytes.Buffer
	require.NoError(t, run([]string{"-url", srv.URL, "-token", "tok", "verify"}, &out))
	assert.Contains(t, out.String(), "echoed")

	out.Reset()
	require.NoError(t, run([]string{"-url", srv.URL, "-token", "tok", "text", "hello"}, &out))
	assert.Contains(t, out.String(), "<Content><![CDATA[hello]]></Content>")
	assert.Contains(t, out.String(), "no reply")

	assert.Error(t, run([]string{"-url", srv.URL, "-token", "wrong", "verify"}, &out))
	assert.Error(t, run([]string{"-url", srv.URL, "-token", "tok", "dance"}, &out))
	assert.Error(t, run([]string{"-url", srv.URL, "-token", "tok", "location", "x", "y"}, &out))
	assert.Error(t, run([]string{"-token", "tok", "verify"}, &out))
	assert.Error(t, run([]string{"-url", srv.URL, "-token", "tok", "-mode", "loud", "verify"}, &out))
}

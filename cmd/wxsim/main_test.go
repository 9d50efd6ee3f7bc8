package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestWxsimHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}, {"-url", "http://x", "-h"}} {
		var out bytes.Buffer
		require.NoError(t, run(args, &out), "%q asks for help: exit 0", args)
		text := out.String()
		for _, c := range commands {
			name := strings.Fields(c.synopsis)[0]
			assert.Contains(t, text, "\n  "+name+" ", "%q: usage lists %s", args, name)
			assert.Contains(t, text, c.example, "%q: usage has an example of %s", args, name)
		}
		assert.Contains(t, text, "-token", "flags are listed")
	}
	names := map[string]bool{}
	for _, c := range commands {
		names[strings.Fields(c.synopsis)[0]] = true
		require.True(t, strings.HasPrefix(c.example, "wxsim "), c.example)
	}
	for _, want := range []string{"verify", "text", "event", "click", "view", "location", "platform"} {
		assert.True(t, names[want], "usage documents %s", want)
	}

	var out bytes.Buffer
	require.NoError(t, run([]string{"platform", "-h"}, &out))
	assert.Contains(t, out.String(), "-addr")

	err := run([]string{"-bogus"}, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wxsim -h")
	assert.Error(t, run([]string{"platform", "-bogus"}, &out))
}

// Every example in the usage parses: the command exists and has its arguments (run against
// a server that accepts everything).
func TestWxsimUsageExamplesRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("echostr"))
			return
		}
		io.WriteString(w, "success")
	}))
	defer srv.Close()
	for _, c := range commands {
		args := splitExample(c.example)[1:]
		if args[0] == "platform" {
			continue // serves until killed
		}
		for i, a := range args {
			switch {
			case a == "-url":
				args[i+1] = srv.URL
			case a == "-appid":
				args[i+1] = "wx2c2769f8efd9abc2"
			case a == "-aeskey":
				args[i+1] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
			}
		}
		var out bytes.Buffer
		assert.NoError(t, run(args, &out), c.example)
	}
}

// splitExample splits a usage example into arguments, honouring double quotes.
func splitExample(s string) []string {
	var args []string
	for s != "" {
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, `"`) {
			end := strings.Index(s[1:], `"`) + 1
			args = append(args, s[1:end])
			s = s[end+1:]
			continue
		}
		field, rest, _ := strings.Cut(s, " ")
		args = append(args, field)
		s = rest
	}
	return args
}

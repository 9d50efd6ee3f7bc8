package offiaccount

// Secrets out of errors and logs. The Client knows every secret it handles (its AppSecret,
// the credentials in its cache, the secret parameters of the request at hand) and replaces
// each by value wherever a transport or a token source may have quoted it. A transport's
// error is never returned as it is: a copy with clean text takes its place, keeping only what
// callers test (the context and deadline sentinels, Timeout, a *url.Error's Op).

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"syscall"
)

// secretParams are the query parameters and JSON body fields whose values must never reach
// an error or a log: the account's and, for package component and CallWithoutToken, a
// third-party platform's credentials, as WeChat names them.
var secretParams = [...]string{"access_token", "secret", "appsecret", "refresh_token", "code", "ticket",
	"component_appsecret", "component_access_token", "component_verify_ticket", "pre_auth_code",
	"authorization_code", "authorizer_access_token", "authorizer_refresh_token"}

// maxSecretScan bounds how much of a request body is searched for secret fields.
const maxSecretScan = 1 << 20

func isSecretParam(name string) bool {
	for _, p := range secretParams {
		if p == name {
			return true
		}
	}
	return false
}

// jsonSecrets returns the string values of the secretParams fields of a JSON text, at any
// depth; a text that is not JSON (or is cut short) yields what was read before the fault.
func jsonSecrets(r io.Reader) []string {
	dec := json.NewDecoder(io.LimitReader(r, maxSecretScan))
	type level struct{ object, wantKey bool }
	var stack []level
	var out []string
	secretValue := false
	afterValue := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey {
			if key, ok := tok.(string); ok {
				secretValue = isSecretParam(key)
				stack[n-1].wantKey = false
				continue
			}
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				stack = append(stack, level{object: v == '{', wantKey: v == '{'})
			} else if len(stack) > 0 {
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			if secretValue {
				out = append(out, v)
			}
			afterValue()
		default:
			afterValue()
		}
		secretValue = false
	}
}

// secretInText finds the secretParams in a text as JSON fields ("name":"value", also with
// escaped quotes) and as query parameters (name=value): how a transport quotes a request or
// an earlier answer.
var secretInText = regexp.MustCompile(`(?:\\?"(` + strings.Join(secretParams[:], "|") + `)\\?"\s*:\s*\\?"([^"\\]+)` +
	`|(?:^|[?&\s"'(])(` + strings.Join(secretParams[:], "|") + `)=([^&\s"'#)]+))`)

// textSecrets returns the values of the secretParams a text quotes.
func textSecrets(text string) []string {
	var out []string
	for _, m := range secretInText.FindAllStringSubmatch(text, -1) {
		for _, v := range [...]string{m[2], m[4]} {
			if v != "" && !strings.Contains(v, "REDACTED") { // already replaced
				out = append(out, v)
			}
		}
	}
	return out
}

// requestSecrets returns the values of the secret fields of req's JSON body, read from a
// copy (GetBody); a streamed body is not read.
func requestSecrets(req *http.Request) []string {
	if req == nil || req.GetBody == nil || req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil
	}
	defer body.Close()
	return jsonSecrets(body)
}

// minSecretLen is the shortest value scrubbed from error text: shorter ones (test fixtures)
// would mangle ordinary words. Real secrets and tokens are 32 characters or more.
const minSecretLen = 6

// keptSentinels are the errors a cleaned error still matches with errors.Is when the
// original did: what callers of an HTTP client legitimately test.
var keptSentinels = [...]error{
	context.Canceled, context.DeadlineExceeded, os.ErrDeadlineExceeded,
	io.ErrUnexpectedEOF, net.ErrClosed, syscall.ECONNREFUSED, syscall.ECONNRESET,
}

// cleanError takes the place of an error that may quote a secret: its text with the secrets
// replaced, and the sentinels of keptSentinels the original matched. It does not unwrap: the
// original is gone.
type cleanError struct {
	msg string
	is  []error
}

func (e *cleanError) Error() string { return e.msg }

// Is matches the sentinels the original matched.
func (e *cleanError) Is(target error) bool {
	for _, s := range e.is {
		if s == target {
			return true
		}
	}
	return false
}

// cleanNetError is a cleanError for a net.Error, with its Timeout.
type cleanNetError struct {
	cleanError
	timeout bool
}

func (e *cleanNetError) Timeout() bool { return e.timeout }

// Temporary is part of net.Error; net/http's timeouts, the only temporary errors it
// reports, say true.
func (e *cleanNetError) Temporary() bool { return e.timeout }

// cleanErr returns a copy of err with clean text that holds no link to it. The shapes
// net/http's errors take stay what they are: a *url.Error keeps its Op, its URL stripped of
// secret parameters and a clean inner error; a *net.OpError (a failed dial, read or write)
// its Op, Net and addresses; a *net.DNSError its fields. Any other error becomes a
// cleanError. values, and the secret parameters of a *url.Error's URL, are replaced by value.
func cleanErr(err error, values []string) error {
	if err == nil {
		return nil
	}
	return cleanErrValues(err, append(values, textSecrets(err.Error())...))
}

func cleanErrValues(err error, values []string) error {
	switch e := err.(type) {
	case nil:
		return nil
	case *url.Error:
		if e.Err == nil {
			break
		}
		if u, perr := url.Parse(e.URL); perr == nil {
			q := u.Query()
			for _, p := range secretParams {
				values = append(values, q[p]...)
			}
		}
		return &url.Error{Op: e.Op, URL: replaceValues(redactURL(e.URL), values), Err: cleanErrValues(e.Err, values)}
	case *net.OpError:
		if e.Err == nil {
			break
		}
		return &net.OpError{Op: e.Op, Net: e.Net, Source: e.Source, Addr: e.Addr, Err: cleanErrValues(e.Err, values)}
	case *net.DNSError:
		if len(matchedSentinels(e)) > 0 {
			break // from Go 1.23 it may unwrap to a context error; keep that instead
		}
		return &net.DNSError{Err: replaceValues(e.Err, values), Name: e.Name, Server: e.Server,
			IsTimeout: e.IsTimeout, IsTemporary: e.IsTemporary, IsNotFound: e.IsNotFound}
	}
	ce := cleanError{msg: replaceValues(err.Error(), values), is: matchedSentinels(err)}
	var ne net.Error
	if errors.As(err, &ne) {
		return &cleanNetError{cleanError: ce, timeout: ne.Timeout()}
	}
	return &ce
}

// matchedSentinels lists the keptSentinels err matches.
func matchedSentinels(err error) []error {
	var out []error
	for _, s := range keptSentinels {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}

// cleanErr is the package's cleanErr with every secret the Client knows: its AppSecret, the
// secret parameters of query (access_token, code, refresh_token, ...), every credential in its
// cache, and extra. Every error of a transport goes through it before it is returned.
func (c *Client) cleanErr(err error, query url.Values, extra ...string) error {
	if err == nil {
		return nil
	}
	return cleanErr(err, c.knownSecrets(query, extra))
}

// scrub is cleanErr for errors that carry more than transport detail (a TokenSource's, which
// may wrap an *APIError): err itself when its text holds no secret, else its clean copy.
func (c *Client) scrub(err error, query url.Values, extra ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	values := append(c.knownSecrets(query, extra), textSecrets(msg)...)
	if replaceValues(msg, values) == msg {
		return err
	}
	return cleanErrValues(err, values)
}

func (c *Client) knownSecrets(query url.Values, extra []string) []string {
	values := append(append([]string(nil), extra...), c.appSecret)
	for _, p := range secretParams {
		values = append(values, query[p]...)
	}
	return c.tokens.knownValues(values)
}

// scrubText is scrub for a string.
func (c *Client) scrubText(s string, extra ...string) string {
	return replaceValues(s, c.tokens.knownValues(append(extra, c.appSecret)))
}

// replaceValues replaces each value (longest first, so that a token containing another is
// gone whole) and its query-escaped form with [REDACTED].
func replaceValues(s string, values []string) string {
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	for _, v := range values {
		if len(v) < minSecretLen {
			continue
		}
		s = strings.ReplaceAll(s, v, "[REDACTED]")
		if esc := url.QueryEscape(v); esc != v {
			s = strings.ReplaceAll(s, esc, "[REDACTED]")
		}
	}
	return s
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable URL]"
	}
	q := u.Query()
	changed := false
	for _, p := range secretParams {
		if q.Has(p) {
			q.Set(p, "REDACTED")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

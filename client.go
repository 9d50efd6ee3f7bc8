package offiaccount

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// DefaultBaseURL is WeChat's main API domain. When it cannot be reached the Client tries
// [DefaultFailoverBaseURLs] (see [WithClientFailoverBaseURLs]); pass one of those to
// [WithClientBaseURL] to prefer a nearer access point.
const DefaultBaseURL = "https://api.weixin.qq.com"

// DefaultHTTPTimeout bounds every API request when the caller does not bring an
// *http.Client of its own.
const DefaultHTTPTimeout = 10 * time.Second

// maxResponseBytes caps what is read of one API answer; WeChat's JSON answers are far smaller.
const maxResponseBytes = 8 << 20

// Client calls the WeChat Official Account API for one account (one AppID). It keeps the
// account's access_token and refreshes it when needed. A Client is safe for concurrent use
// by many goroutines; create one per account and share it.
type Client struct {
	appID      string
	appSecret  string
	httpClient *http.Client
	baseURL    string
	logger     *slog.Logger

	failover    []*url.URL // backup origins; see WithClientFailoverBaseURLs
	failoverSet bool

	tokens tokenCache
}

// ClientOption configures a [Client] in [NewClient].
type ClientOption func(*Client) error

// NewClient returns a Client for the account with the given AppID and AppSecret (开发者密码).
// The AppSecret may be empty only with [WithClientTokenSource], for processes that take their
// tokens from a central service and never hold the secret (web authorization then fails).
//
// NewClient rejects an AppID that cannot be real ("wx" and 16 lowercase hex digits) and an
// AppSecret with surrounding whitespace, with an error that says what to fix (and never
// quotes the secret); they match [ErrInvalidAppID] and [ErrInvalidAppSecret]. A nil option is
// an error too.
func NewClient(appID, appSecret string, opts ...ClientOption) (*Client, error) {
	if err := checkAppID("New", appID); err != nil {
		return nil, err
	}
	if err := checkSecretValue(ErrInvalidAppSecret, "New", "AppSecret", appSecret); err != nil {
		return nil, err
	}
	c := &Client{
		appID:      appID,
		appSecret:  appSecret,
		httpClient: &http.Client{Timeout: DefaultHTTPTimeout},
		baseURL:    DefaultBaseURL,
		logger:     slog.New(discardHandler{}),
	}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("offiaccount: NewClient: option %d is nil", i+1)
		}
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	if appSecret == "" && c.tokens.source == nil {
		return nil, errors.New("offiaccount: NewClient: empty AppSecret (allowed only with WithClientTokenSource)")
	}
	c.tokens.init(c)
	c.installTransport()
	return c, nil
}

// WithClientHTTPClient makes the Client send its requests through a copy of hc, for proxies,
// custom transports and tests. The copy is taken when New runs, so set hc up (including a
// mock transport) before calling New.
//
// The transport's errors never come back as they are, since their text may quote the
// request: a copy with every secret replaced takes their place. It keeps what callers test:
// errors.Is with context.Canceled, context.DeadlineExceeded and os.ErrDeadlineExceeded,
// net.Error's Timeout, and errors.As to *url.Error (its Op, a redacted URL), *net.OpError
// and *net.DNSError; errors.As to the transport's own error types finds nothing.
func WithClientHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("offiaccount: WithClientHTTPClient: nil client")
		}
		cp := *hc
		c.httpClient = &cp
		return nil
	}
}

// WithClientBaseURL sends API calls to another origin: one of WeChat's backup domains, a proxy, or
// a fake platform in tests. The URL must be absolute http(s) without query or fragment. Any
// origin other than WeChat's own domains turns the default failover off; see
// [WithClientFailoverBaseURLs].
func WithClientBaseURL(base string) ClientOption {
	return func(c *Client) error {
		if _, err := parseBaseURL(base); err != nil {
			return fmt.Errorf("offiaccount: WithClientBaseURL: %q is not an absolute http(s) URL", base)
		}
		c.baseURL = strings.TrimRight(base, "/")
		return nil
	}
}

// WithClientLogger makes the Client log through l. Nothing secret is ever logged. The default logs
// nothing.
func WithClientLogger(l *slog.Logger) ClientOption {
	return func(c *Client) error {
		if l == nil {
			return errors.New("offiaccount: WithClientLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// AppID returns the account's AppID.
func (c *Client) AppID() string { return c.appID }

// String keeps the AppSecret out of fmt output.
func (c *Client) String() string {
	return "offiaccount.Client{AppID: " + c.appID + ", AppSecret: [REDACTED]}"
}

// GoString keeps the AppSecret and the cached tokens out of %#v, which would otherwise print
// every field.
func (c *Client) GoString() string { return c.String() }

// LogValue keeps the AppSecret out of structured logs.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("appid", c.appID), slog.String("appsecret", "[REDACTED]"))
}

// getJSON calls a GET API with the account's access_token.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	return c.callWithToken(ctx, http.MethodGet, path, query, nil, out)
}

// postJSON calls a POST API with the account's access_token and a JSON body.
func (c *Client) postJSON(ctx context.Context, path string, query url.Values, in, out any) error {
	return c.callWithToken(ctx, http.MethodPost, path, query, in, out)
}

// callWithToken calls a JSON API with the account's access_token (see withToken).
func (c *Client) callWithToken(ctx context.Context, method, path string, query url.Values, in, out any) error {
	body, err := encodeBody(in)
	if err != nil {
		return fmt.Errorf("offiaccount: %s: encoding request: %w", path, err)
	}
	return c.withToken(ctx, path, query, nil, func(q url.Values) error {
		return c.do(ctx, method, path, q, body, out)
	})
}

// withToken runs send with query plus the account's access_token. When WeChat answers that
// the token is no longer valid, it drops the token from the cache and runs send exactly once
// more with a fresh one: WeChat rejected the first request before acting on it, so the repeat
// is safe for every API. rewind, when not nil, prepares a streamed body for the repeat and
// reports whether it could; when it cannot, the first error is returned.
func (c *Client) withToken(ctx context.Context, path string, query url.Values, rewind func() bool, send func(q url.Values) error) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.AccessToken(ctx)
		if err != nil {
			return err
		}
		q := make(url.Values, len(query)+1)
		for k, v := range query {
			q[k] = v
		}
		q.Set("access_token", tok)
		err = send(q)
		var apiErr *APIError
		if attempt > 0 || !errors.As(err, &apiErr) || !isTokenErrcode(apiErr.Code) {
			return err
		}
		c.invalidateToken(ctx, tok)
		if rewind != nil && !rewind() {
			return err
		}
		c.logger.LogAttrs(ctx, slog.LevelInfo, "offiaccount: access_token rejected, refreshing",
			slog.String("path", path), slog.Int("errcode", apiErr.Code))
	}
}

// doNoToken calls an API that takes no access_token of the account (token endpoints, web
// authorization).
func (c *Client) doNoToken(ctx context.Context, method, path string, query url.Values, in, out any) error {
	body, err := encodeBody(in)
	if err != nil {
		return fmt.Errorf("offiaccount: %s: encoding request: %w", path, err)
	}
	return c.do(ctx, method, path, query, body, out)
}

// encodeBody writes JSON the way WeChat wants it: no \u escapes for &, <, > (URLs in menus
// and messages) and non-ASCII text kept as UTF-8.
func encodeBody(in any) ([]byte, error) {
	if in == nil {
		return nil, nil
	}
	if raw, ok := in.(json.RawMessage); ok {
		return raw, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(in); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// apiStatus is the part every WeChat JSON answer may carry.
type apiStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// do sends one request and decodes the answer into out. It never retries.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body []byte, out any) error {
	u := c.baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	// failed wraps a transport error with every secret of the query and body gone from it.
	failed := func(stage string, err error) error {
		return fmt.Errorf("offiaccount: %s: %s%w", path, stage, c.cleanErr(err, query, jsonSecrets(bytes.NewReader(body))...))
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return failed("", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return failed("", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return failed("reading response: ", err)
	}
	if resp.StatusCode != http.StatusOK {
		return &StatusError{StatusCode: resp.StatusCode, Path: path}
	}
	if len(data) > maxResponseBytes {
		return fmt.Errorf("%w: %s: response larger than %d bytes", ErrBadResponse, path, maxResponseBytes)
	}
	return decodeAnswer(path, data, out)
}

// errorBodyReader is implemented by the out value of a call that needs more of an error
// answer than its errcode and errmsg (the msg_id of a mass send's 45065). decodeAnswer hands
// it the raw answer before returning the *APIError.
type errorBodyReader interface {
	readErrorBody(data []byte)
}

// decodeAnswer turns a WeChat JSON answer into an *APIError or into out.
func decodeAnswer(path string, data []byte, out any) error {
	var st apiStatus
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadResponse, path, err)
	}
	if st.ErrCode != 0 {
		if eb, ok := out.(errorBodyReader); ok {
			eb.readErrorBody(data)
		}
		return newAPIError(path, st.ErrCode, st.ErrMsg)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadResponse, path, err)
	}
	return nil
}

// discardHandler is slog's handler that drops everything (slog.DiscardHandler needs Go 1.24).
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

// isNil reports whether v is nil or an interface holding a nil pointer, func or map, which
// would panic at its first use.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Chan, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

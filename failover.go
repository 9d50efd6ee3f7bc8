package offiaccount

// The Client's own http.RoundTripper, wrapped around the one the caller brought: it fails
// over to WeChat's backup API domains when the main one cannot be reached, and scrubs
// secrets out of whatever the transport puts in its errors.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultFailoverBaseURLs are WeChat's backup API domains, tried in this order when
// [DefaultBaseURL] cannot be reached: the general disaster-recovery domain first, then the
// Shanghai, Shenzhen and Hong Kong access points.
// See https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Interface_field_description.html
var DefaultFailoverBaseURLs = []string{
	"https://api2.weixin.qq.com",
	"https://sh.api.weixin.qq.com",
	"https://sz.api.weixin.qq.com",
	"https://hk.api.weixin.qq.com",
}

// WithClientFailoverBaseURLs sets the origins tried, in order, when the base URL cannot be
// reached. A request is sent to the next one only when it surely never left: the host name
// did not resolve or the connection was refused or could not be made. A request that may
// have reached WeChat (a timeout or a reset after connecting, a cancelled context) is never
// repeated elsewhere, nor is a streamed upload that cannot be rewound. The origin that
// answered is then tried first for 30 seconds, so that an outage does not cost every request
// a failed connection; each switch is logged at Warn. With no arguments
// failover is off. The default is [DefaultFailoverBaseURLs] with [DefaultBaseURL];
// with another of WeChat's domains as base URL, the rest of them; with any other base URL (a
// proxy, a fake platform: see [WithClientBaseURL]) failover is off unless set here.
func WithClientFailoverBaseURLs(urls ...string) ClientOption {
	return func(c *Client) error {
		c.failover = c.failover[:0]
		c.failoverSet = true
		for _, raw := range urls {
			u, err := parseBaseURL(raw)
			if err != nil {
				return fmt.Errorf("offiaccount: WithClientFailoverBaseURLs: %q is not an absolute http(s) URL", raw)
			}
			c.failover = append(c.failover, u)
		}
		return nil
	}
}

// isWeChatOrigin reports whether base is DefaultBaseURL or one of DefaultFailoverBaseURLs.
func isWeChatOrigin(base string) bool {
	if base == DefaultBaseURL {
		return true
	}
	for _, b := range DefaultFailoverBaseURLs {
		if base == b {
			return true
		}
	}
	return false
}

// parseBaseURL checks an API origin: absolute http(s), no query or fragment.
func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("not an absolute http(s) URL")
	}
	return u, nil
}

// clientTransport is the RoundTripper of the Client's *http.Client.
type clientTransport struct {
	c       *Client
	base    http.RoundTripper // the caller's; nil means http.DefaultTransport at call time
	primary *url.URL
	backups []*url.URL
	all     []*url.URL // primary, then backups: the order while no backup is sticky
	sticky  atomic.Pointer[sticky]
}

// installTransport wraps the http.Client's transport once all options are applied.
func (c *Client) installTransport() {
	t := &clientTransport{c: c, base: c.httpClient.Transport}
	t.primary, _ = parseBaseURL(c.baseURL) // checked by WithClientBaseURL
	backups := c.failover
	if !c.failoverSet && t.primary != nil && isWeChatOrigin(c.baseURL) {
		// On one of WeChat's own domains, the others are the backups, in WeChat's order.
		for _, raw := range append([]string{DefaultBaseURL}, DefaultFailoverBaseURLs...) {
			if u, _ := parseBaseURL(raw); u.Host != t.primary.Host {
				backups = append(backups, u)
			}
		}
	}
	t.backups = backups
	t.all = append([]*url.URL{t.primary}, backups...)
	c.httpClient.Transport = t
}

func (t *clientTransport) rt() http.RoundTripper {
	if t.base != nil {
		return t.base
	}
	return http.DefaultTransport
}

// failoverStickiness is how long requests go straight to the backup that answered when the
// base URL could not be reached, so that an outage does not cost every request a failed
// connection first. After it the base URL is tried first again.
const failoverStickiness = 30 * time.Second

// sticky is the backup in use since the base URL failed, until a time.
type sticky struct {
	origin *url.URL
	until  time.Time
}

// RoundTrip sends req to the first origin in order, then, while the error shows that nothing
// left this machine, the same request to the next.
func (t *clientTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rewindable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if len(t.backups) == 0 || !rewindable || !sameOrigin(req.URL, t.primary) {
		resp, err := t.rt().RoundTrip(req)
		if err != nil {
			return nil, t.c.cleanErr(err, req.URL.Query(), requestSecrets(req)...)
		}
		return t.scrubResponse(resp, req), nil
	}
	ctx := req.Context()
	sentOriginal := false
	defer func() {
		if !sentOriginal && req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body it was given, sent or not
		}
	}()
	var err error
	for i, o := range t.order() {
		r := req
		if o != t.primary || sentOriginal {
			var ok bool
			if r, ok = retarget(req, t.primary, o); !ok {
				break
			}
		} else {
			sentOriginal = true
		}
		if i > 0 {
			t.c.logger.LogAttrs(ctx, slog.LevelWarn, "offiaccount: API domain unreachable, trying another",
				slog.String("to", o.Host), slog.String("error", t.c.scrub(err, req.URL.Query(), requestSecrets(req)...).Error()))
		}
		var resp *http.Response
		resp, err = t.rt().RoundTrip(r)
		if err == nil {
			t.settle(o, i > 0)
			return t.scrubResponse(resp, req), nil
		}
		if !neverLeft(ctx, err) {
			break
		}
	}
	return nil, t.c.cleanErr(err, req.URL.Query(), requestSecrets(req)...)
}

// order lists the origins to try: the base URL and then the backups, or, while a backup is
// sticky, that backup first.
func (t *clientTransport) order() []*url.URL {
	s := t.sticky.Load()
	if s == nil || !time.Now().Before(s.until) {
		return t.all
	}
	out := make([]*url.URL, 0, len(t.all))
	out = append(out, s.origin)
	for _, o := range t.all {
		if o != s.origin {
			out = append(out, o)
		}
	}
	return out
}

// settle records which origin answered: a backup reached after a failure becomes sticky;
// the base URL answering ends it.
func (t *clientTransport) settle(o *url.URL, afterFailure bool) {
	switch {
	case o == t.primary:
		if t.sticky.Load() != nil {
			t.sticky.Store(nil)
		}
	case afterFailure:
		t.sticky.Store(&sticky{origin: o, until: time.Now().Add(failoverStickiness)})
	}
}

// neverLeft reports whether err proves that the request was never sent: the name did not
// resolve, or no connection was made (refused, unreachable, dial timeout), and ctx is still
// alive. Anything after the connection was made may have reached the server.
func neverLeft(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func sameOrigin(u, base *url.URL) bool {
	return base != nil && u.Scheme == base.Scheme && u.Host == base.Host && strings.HasPrefix(u.Path, base.Path)
}

// retarget copies req for the origin to, keeping the path below from's, with a fresh body.
func retarget(req *http.Request, from, to *url.URL) (*http.Request, bool) {
	next := req.Clone(req.Context())
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return nil, false
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, false
		}
		next.Body = body
	}
	u := *req.URL
	u.Scheme, u.Host = to.Scheme, to.Host
	u.Path = to.Path + strings.TrimPrefix(req.URL.Path, from.Path)
	u.RawPath = ""
	next.URL = &u
	next.Host = to.Host
	return next, true
}

// scrubResponse makes the errors of reading the body as clean as the transport's.
func (t *clientTransport) scrubResponse(resp *http.Response, req *http.Request) *http.Response {
	if resp.Body != nil && resp.Body != http.NoBody {
		resp.Body = &scrubBody{ReadCloser: resp.Body, c: t.c, req: req}
	}
	return resp
}

type scrubBody struct {
	io.ReadCloser
	c   *Client
	req *http.Request // whose query and body are searched for secrets only on an error
}

func (b *scrubBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = b.c.cleanErr(err, b.req.URL.Query(), requestSecrets(b.req)...)
	}
	return n, err
}

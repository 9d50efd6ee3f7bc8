package offiaccounttest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Lifetimes and limits of the real platform, applied on the fake clock.
const (
	// TokenLifetime is the expires_in WeChat gives a fresh access_token.
	TokenLifetime = 7200 * time.Second
	// TokenOverlap is how long a superseded access_token keeps working: after
	// /cgi-bin/token issues a new token, and in stable_token's last minutes.
	TokenOverlap = 5 * time.Minute
	// TokenDailyLimit is the number of /cgi-bin/token calls an account may make a day.
	TokenDailyLimit = 2000
	// ForceRefreshDailyLimit is the number of stable_token force refreshes a day.
	ForceRefreshDailyLimit = 20
	// ForceRefreshInterval is the least time between two effective force refreshes;
	// a force refresh sooner than this returns the live token without refreshing it.
	ForceRefreshInterval = 30 * time.Second
	// TicketLifetime is the expires_in of a JS-SDK jsapi_ticket or wx_card api_ticket.
	TicketLifetime = 7200 * time.Second
	// AuthCodeLifetime is how long a web-authorization code can be exchanged.
	AuthCodeLifetime = 5 * time.Minute
	// RefreshTokenLifetime is how long a web-authorization refresh_token lasts.
	RefreshTokenLifetime = 30 * 24 * time.Hour

	maxBodyBytes = 1 << 20
)

// chinaTime is the zone in which WeChat's daily quotas reset (UTC+8, no DST).
var chinaTime = time.FixedZone("CST", 8*3600)

// Platform is a fake WeChat platform served on loopback. Create it with [NewPlatform] and
// stop it with [Platform.Close]. All methods are safe for concurrent use, including while
// requests are being served. Platform is also an [http.Handler], so the same fake can be
// mounted on any other server (for example on a fixed port).
type Platform struct {
	srv *httptest.Server

	mu            sync.Mutex
	now           time.Time
	accounts      map[string]*account // by appID
	tokens        map[string]*tokenInfo
	faults        map[string][]Fault
	calls         map[string]int
	codes         map[string]*authCode
	webTokens     map[string]*webToken // users' web access_tokens
	refreshTokens map[string]*webToken // users' refresh_tokens
	pageSize      int                  // openids per page of the user lists
	callbackIPs   []string             // getcallbackip's answer
	rids          ridLog               // failed calls, for /cgi-bin/openapi/rid/get
	comp          componentState       // third-party platforms (component.go)

	// Events the platform generates and pushes to a callback (push.go).
	eventSender *Sender
	pending     []pendingEvent
	pushed      []PushedEvent
	eventSeq    int

	closing   chan struct{} // closed by Close: ends pending Delay faults
	closeOnce sync.Once
}

// account is one official account's state on the platform.
type account struct {
	appID, secret string

	token  *tokenInfo // latest from /cgi-bin/token
	stable *tokenInfo // latest from /cgi-bin/stable_token

	fetches     int                // successful token answers, both endpoints
	tokenDay    map[string]int     // /cgi-bin/token calls per day
	forceDay    map[string]int     // effective force refreshes per day
	lastForce   time.Time          // last effective force refresh
	tickets     map[string]*ticket // by type
	menu        *storedMenu
	conditional []ConditionalMenuRecord
	nextMenuID  int64
	users       map[string]UserRecord
	userSeq     map[string]int64 // follow order of users, for the follower list

	// State of the other APIs, each kept by its own file.
	messages messageState   // custom.go, template.go
	tags     tagState       // tag.go
	qrcodes  []QRCodeRecord // qrcode.go
	media    mediaState     // media.go, material.go
	quota    quotaState     // diag.go
	mass     massState      // mass.go
	subs     subscribeState // subscribe.go

	publish *publishState // draft.go, freepublish.go; made on first use
	groups  *groupState   // kf.go, datacube.go, comment.go, shorten.go; made on first use
}

func newAccount(appID, secret string) *account {
	return &account{
		appID:    appID,
		secret:   secret,
		tokenDay: make(map[string]int),
		forceDay: make(map[string]int),
		tickets:  make(map[string]*ticket),
		users:    make(map[string]UserRecord),
		userSeq:  make(map[string]int64),
		messages: newMessageState(),
		tags:     newTagState(),
		media:    newMediaState(),
		quota:    newQuotaState(),
	}
}

// PlatformOption configures a Platform at construction.
type PlatformOption func(*Platform)

// WithPlatformAccount registers an official account (AppID and AppSecret) from the start.
func WithPlatformAccount(appID, secret string) PlatformOption {
	return func(p *Platform) { p.addAccountLocked(appID, secret) }
}

// WithPlatformNow sets the fake clock's starting time (default: the real time at construction).
func WithPlatformNow(t time.Time) PlatformOption {
	return func(p *Platform) { p.now = t }
}

// NewPlatform starts a fake platform on a loopback port. Point the client's base URL
// (normally https://api.weixin.qq.com) at [Platform.URL].
func NewPlatform(opts ...PlatformOption) *Platform {
	p := &Platform{
		now:           time.Now(),
		accounts:      make(map[string]*account),
		tokens:        make(map[string]*tokenInfo),
		faults:        make(map[string][]Fault),
		calls:         make(map[string]int),
		codes:         make(map[string]*authCode),
		webTokens:     make(map[string]*webToken),
		refreshTokens: make(map[string]*webToken),
		pageSize:      DefaultPageSize,
		callbackIPs:   defaultCallbackIPs(),
		closing:       make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	p.srv = httptest.NewServer(p)
	return p
}

// URL is the platform's base URL, like "http://127.0.0.1:41234", without a trailing slash.
func (p *Platform) URL() string { return p.srv.URL }

// Client returns an *http.Client set up for the platform's server.
func (p *Platform) Client() *http.Client { return p.srv.Client() }

// Close shuts the server down, blocking until all outstanding requests have completed;
// calls held back by a Delay fault are released (unanswered) at once.
func (p *Platform) Close() {
	p.closeOnce.Do(func() { close(p.closing) })
	p.srv.Close()
}

// AddAccount registers an official account, or changes the AppSecret of a known one.
func (p *Platform) AddAccount(appID, secret string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.addAccountLocked(appID, secret)
}

func (p *Platform) addAccountLocked(appID, secret string) {
	if a, ok := p.accounts[appID]; ok {
		a.secret = secret
		return
	}
	p.accounts[appID] = newAccount(appID, secret)
}

// Now reads the fake clock.
func (p *Platform) Now() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now
}

// SetNow sets the fake clock. Tokens, tickets, codes and daily quotas follow it, and
// generated events that became due are pushed before it returns (see
// [Platform.SetEventSender]).
func (p *Platform) SetNow(t time.Time) {
	p.mu.Lock()
	p.now = t
	p.mu.Unlock()
	p.flushEvents()
}

// Advance moves the fake clock forward by d, pushing the events that became due.
func (p *Platform) Advance(d time.Duration) {
	p.mu.Lock()
	p.now = p.now.Add(d)
	p.mu.Unlock()
	p.flushEvents()
}

// Fault describes how one call fails. Delay applies first (in real time, since it exists
// to trip the client's own timeouts), then the first of Drop, HTTPStatus, Body, Errcode that
// is set. A Fault with only a Delay slows the call down and then answers it normally.
type Fault struct {
	// Errcode answers {"errcode":Errcode,"errmsg":Errmsg} with HTTP 200, as WeChat does.
	Errcode int
	// Errmsg goes with Errcode; empty means WeChat's text for well-known codes.
	Errmsg string
	// HTTPStatus answers with this status and a short text body (e.g. 502 from a proxy), or
	// with Body when it is set.
	HTTPStatus int
	// Body answers HTTP 200 with exactly these bytes as JSON: malformed or truncated JSON,
	// an answer without the expected fields, an HTML error page behind a 200.
	Body string
	// Delay holds the answer back; the wait ends early if the client goes away.
	Delay time.Duration
	// Drop closes the connection without any answer.
	Drop bool
}

// FailNext makes the next n calls to path (like "/cgi-bin/menu/create") fail with f.
// Faults queue up: calling it twice fails n1 calls one way, then n2 the other.
func (p *Platform) FailNext(path string, n int, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.faults[path] = append(p.faults[path], f)
	}
}

// Calls counts the requests that reached path, failed ones included.
func (p *Platform) Calls(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[path]
}

// ServeHTTP answers one request as WeChat would.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	p.mu.Lock()
	p.calls[path]++
	var fault *Fault
	if q := p.faults[path]; len(q) > 0 {
		f := q[0]
		fault = &f
		if len(q) == 1 {
			delete(p.faults, path)
		} else {
			p.faults[path] = q[1:]
		}
	}
	p.mu.Unlock()

	if fault != nil && p.applyFault(w, r, *fault) {
		return
	}

	h, ok := routeFor(path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if h.method == http.MethodPost && r.Method != http.MethodPost {
		p.writeError(w, codeRequirePost)
		return
	}
	var body []byte
	if r.Body != nil {
		limit := h.maxBody
		if limit == 0 {
			limit = maxBodyBytes
		}
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			p.writeError(w, codeDataFormat)
			return
		}
		body = b
	}
	req := &request{q: r.URL.Query(), body: body, path: path,
		contentType: r.Header.Get("Content-Type"), remote: r.RemoteAddr}

	out := p.answer(h, req)
	if f, ok := out.(*fileAnswer); ok {
		f.write(w)
		return
	}
	writeJSON(w, out)
}

// answer runs an endpoint under the lock and returns the body to send: its result, or
// WeChat's error body. The body holds no reference to the platform's state.
func (p *Platform) answer(h route, req *request) any {
	p.mu.Lock()
	defer p.mu.Unlock()
	if h.needsToken {
		appID, code := p.checkTokenLocked(req.get("access_token"))
		if code != 0 {
			return p.errorBodyLocked(code)
		}
		req.acct = p.accounts[appID]
		if code := p.countCallLocked(req.acct, req.path); code != 0 {
			return p.failLocked(req, code)
		}
	}
	out, code := h.fn(p, req)
	if code != 0 {
		return p.failLocked(req, code)
	}
	return out
}

// applyFault plays f and reports whether the request has been answered.
func (p *Platform) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-p.closing:
			t.Stop()
			drop(w)
		}
	}
	switch {
	case f.Drop:
		drop(w)
	case f.HTTPStatus != 0:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(f.HTTPStatus)
		if f.Body != "" {
			io.WriteString(w, f.Body)
		} else {
			fmt.Fprintf(w, "%d %s\n", f.HTTPStatus, http.StatusText(f.HTTPStatus))
		}
		return true
	case f.Body != "":
		w.Header().Set("Content-Type", "application/json; encoding=utf-8")
		io.WriteString(w, f.Body)
		return true
	case f.Errcode != 0:
		msg := f.Errmsg
		if msg == "" {
			msg = errText(f.Errcode)
		}
		p.mu.Lock()
		rid := p.ridLocked()
		body := apiError{Code: f.Errcode, Msg: msg + " rid: " + rid}
		p.noteFaultLocked(r, rid, body)
		p.mu.Unlock()
		writeJSON(w, body)
		return true
	}
	return false
}

// drop closes the connection without an answer. It does not return.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
		}
	}
	// Ends the handler; net/http closes the stream if the hijack did not happen.
	panic(http.ErrAbortHandler)
}

// request is what an endpoint handler sees.
type request struct {
	q    map[string][]string
	body []byte
	acct *account // set when the route checks the access_token

	path        string
	contentType string // of the body: multipart uploads need its boundary
	remote      string // the caller's address, host:port
}

func (r *request) get(key string) string {
	if v := r.q[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// decode reads the JSON body into v, mapping failures to WeChat's codes.
func (r *request) decode(v any) int {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return codeEmptyPost
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		return codeDataFormat
	}
	return 0
}

type route struct {
	method     string // "" accepts any method
	needsToken bool
	maxBody    int64                                    // bytes of body accepted; 0 means maxBodyBytes
	fn         func(p *Platform, r *request) (any, int) // called with p.mu held
}

// routeFor maps a path to its endpoint.
func routeFor(path string) (route, bool) {
	post := http.MethodPost
	switch path {
	case "/cgi-bin/token":
		return route{fn: (*Platform).handleToken}, true
	case "/cgi-bin/stable_token":
		return route{method: post, fn: (*Platform).handleStableToken}, true
	case "/cgi-bin/menu/create":
		return route{method: post, needsToken: true, fn: (*Platform).handleMenuCreate}, true
	case "/cgi-bin/menu/get":
		return route{needsToken: true, fn: (*Platform).handleMenuGet}, true
	case "/cgi-bin/menu/delete":
		return route{needsToken: true, fn: (*Platform).handleMenuDelete}, true
	case "/cgi-bin/menu/addconditional":
		return route{method: post, needsToken: true, fn: (*Platform).handleAddConditional}, true
	case "/cgi-bin/menu/delconditional":
		return route{method: post, needsToken: true, fn: (*Platform).handleDelConditional}, true
	case "/cgi-bin/menu/trymatch":
		return route{method: post, needsToken: true, fn: (*Platform).handleTryMatch}, true
	case "/cgi-bin/get_current_selfmenu_info":
		return route{needsToken: true, fn: (*Platform).handleSelfMenuInfo}, true
	case "/cgi-bin/ticket/getticket":
		return route{needsToken: true, fn: (*Platform).handleGetTicket}, true
	case "/sns/oauth2/access_token":
		return route{fn: (*Platform).handleOAuthAccessToken}, true
	case "/sns/oauth2/refresh_token":
		return route{fn: (*Platform).handleOAuthRefresh}, true
	case "/sns/auth":
		return route{fn: (*Platform).handleSNSAuth}, true
	case "/sns/userinfo":
		return route{fn: (*Platform).handleSNSUserInfo}, true
	}
	if r, ok := componentRoute(path); ok {
		return r, true
	}
	return accountAPIRoute(path)
}

// apiError is WeChat's error body.
type apiError struct {
	Code int    `json:"errcode"`
	Msg  string `json:"errmsg"`
}

// okBody is the body of calls that return nothing but success.
var okBody = apiError{Code: 0, Msg: "ok"}

func (p *Platform) writeError(w http.ResponseWriter, code int) {
	p.mu.Lock()
	body := p.errorBodyLocked(code)
	p.mu.Unlock()
	writeJSON(w, body)
}

// errorBodyLocked is WeChat's error answer for code, with a fresh rid in errmsg.
func (p *Platform) errorBodyLocked(code int) apiError {
	return apiError{Code: code, Msg: errText(code) + " rid: " + p.ridLocked()}
}

// ridLocked makes a request id shaped like WeChat's: the unix time in hex, then two
// random 32-bit hex groups ("64eed8de-4cdaca9b-1be8f193").
func (p *Platform) ridLocked() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%08x-%08x-%08x", uint32(p.now.Unix()),
		binary.BigEndian.Uint32(b[:4]), binary.BigEndian.Uint32(b[4:]))
}

// writeJSON writes v the way WeChat does: HTTP 200, its content type, no HTML escaping.
func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "offiaccounttest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// randomString returns n random bytes in URL-safe base64, the alphabet of WeChat's tokens.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// day is the calendar day in China of t, the key of daily quotas.
func day(t time.Time) string { return t.In(chinaTime).Format("2006-01-02") }

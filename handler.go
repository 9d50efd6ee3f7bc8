package offiaccount

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Handler is the callback server (服务器配置的 URL) of one official account: a
// plain http.Handler to mount at the URL configured in the admin page, in any
// router. It answers WeChat's URL verification (GET) and every message and
// event (POST) in plaintext, compatible and safe mode, routes messages to the
// functions registered with HandleText, HandleEvent and the like, and writes
// their passive replies, encrypted and signed when the request was.
//
// Safety is on by default: signatures are checked in constant time (403),
// timestamps must be within five minutes (403), bodies are capped at 1 MiB
// (413), malformed XML is rejected (400), a panic in a function is logged and
// answered "success", and nothing secret is logged. WeChat's retries of one
// message run the function once and all get its reply (see DedupeStore), a
// captured request replayed while its timestamp is accepted never runs it
// again, and a reply that is ready within WeChat's whole retry window (about
// 15 s) still reaches the user. Rejections that point at a wrong Token, AppID
// or EncodingAESKey are logged at Warn with a hint, once a minute per cause.
//
// Create a Handler with NewHandler; the zero value answers every request 500.
//
// Register functions before serving; registering while serving is safe but a
// request sees either the old or the new set.
//
// See https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
type Handler struct {
	token       string
	crypter     *MessageCrypter
	safeOnly    bool
	maxBody     int64
	window      time.Duration
	store       DedupeStore
	storeSet    bool
	dedupeTTL   time.Duration
	timing      RetryTiming
	logger      *slog.Logger
	now         func() time.Time   // test hook; nil is time.Now (see clock)
	mem         *MemoryDedupeStore // store, when it is the built-in one
	maxEchoStr  int
	allowIP     func(netip.Addr) bool // nil: every source
	registerMu  sync.Mutex
	raw         routes                 // as registered, guarded by registerMu
	compiled    atomic.Pointer[routes] // raw with middleware applied, read lock-free
	middlewares []Middleware           // guarded by registerMu
	misconfig   [numMisconfigs]misconfigLog
}

// HandlerFunc handles one message or event. It returns the passive reply, or
// nil for none ("success"). ctx carries the request's values; its deadline is
// the last moment the reply can still reach the user passively, after which
// the function should give up or send its answer through the customer
// service API instead. A returned error is logged and answered "success".
type HandlerFunc func(ctx context.Context, m *Message) (Reply, error)

// Middleware wraps every HandlerFunc of a Handler, for logging, metrics,
// tracing or access control. See Handler.Use.
type Middleware func(next HandlerFunc) HandlerFunc

// HandlerOption configures a Handler; see NewHandler.
type HandlerOption func(*Handler) error

// RetryTiming describes how WeChat retries a message nobody answered, so that
// the Handler can carry a slow function's reply over the retries. The zero
// value of a field means its default.
type RetryTiming struct {
	// Attempts is how many times WeChat sends a message in all (3).
	Attempts int
	// AttemptTimeout is how long WeChat waits for each answer (5 s).
	AttemptTimeout time.Duration
	// Margin is how long before AttemptTimeout the last attempt is answered
	// "success" when the reply is not ready, so that the user never sees
	// "该公众号暂时无法提供服务" (1 s, covering network latency).
	Margin time.Duration
}

// Defaults of NewHandler.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultTimestampWindow = 5 * time.Minute
	DefaultDedupeTTL       = time.Minute
)

var defaultRetryTiming = RetryTiming{Attempts: 3, AttemptTimeout: 5 * time.Second, Margin: time.Second}

// NewHandler returns a Handler for the account whose admin page holds token
// (the Token of 服务器配置: 3 to 32 letters or digits). Safe mode needs
// WithHandlerEncodingAESKey or WithHandlerCrypter.
func NewHandler(token string, opts ...HandlerOption) (*Handler, error) {
	if err := checkSecretValue(ErrInvalidToken, "NewHandler", "the Token", token); err != nil {
		return nil, err
	}
	if len(token) < 3 || len(token) > 32 || strings.IndexFunc(token, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
	}) >= 0 {
		return nil, configErrorf(ErrInvalidToken, "offiaccount: NewHandler: the Token must be 3 to 32 letters or digits (服务器配置 > 令牌)")
	}
	h := &Handler{
		token:      token,
		maxBody:    DefaultMaxBodyBytes,
		window:     DefaultTimestampWindow,
		dedupeTTL:  DefaultDedupeTTL,
		timing:     defaultRetryTiming,
		logger:     slog.New(discardHandler{}),
		maxEchoStr: 1024,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("offiaccount: NewHandler: nil option")
		}
		if err := opt(h); err != nil {
			return nil, err
		}
	}
	if h.safeOnly && h.crypter == nil {
		return nil, errors.New("offiaccount: NewHandler: WithHandlerSafeModeOnly needs WithHandlerEncodingAESKey or WithHandlerCrypter")
	}
	if !h.storeSet {
		h.store = new(MemoryDedupeStore)
	}
	h.mem, _ = h.store.(*MemoryDedupeStore)
	if min := time.Duration(h.timing.Attempts) * h.timing.AttemptTimeout * 2; h.dedupeTTL < min {
		h.dedupeTTL = min
	}
	h.compiled.Store(&routes{})
	return h, nil
}

// WithHandlerEncodingAESKey turns on compatible and safe mode (兼容模式, 安全模式)
// with the account's AppID and EncodingAESKey; previous keys are still
// accepted for decryption while a key change propagates.
func WithHandlerEncodingAESKey(appID, encodingAESKey string, previousKeys ...string) HandlerOption {
	return func(h *Handler) error {
		c, err := NewMessageCrypter(appID, encodingAESKey, previousKeys...)
		if err != nil {
			return err
		}
		h.crypter = c
		return nil
	}
}

// WithHandlerCrypter is WithHandlerEncodingAESKey for a MessageCrypter built elsewhere.
func WithHandlerCrypter(c *MessageCrypter) HandlerOption {
	return func(h *Handler) error {
		if c == nil {
			return errors.New("offiaccount: WithHandlerCrypter: nil MessageCrypter")
		}
		h.crypter = c
		return nil
	}
}

// WithHandlerSafeModeOnly rejects plaintext requests (403), for accounts set to
// safe mode: a request without encryption then cannot come from WeChat.
func WithHandlerSafeModeOnly() HandlerOption {
	return func(h *Handler) error { h.safeOnly = true; return nil }
}

// WithHandlerMaxBodyBytes caps request bodies (default 1 MiB); larger ones get 413.
func WithHandlerMaxBodyBytes(n int64) HandlerOption {
	return func(h *Handler) error {
		if n <= 0 {
			return errors.New("offiaccount: WithHandlerMaxBodyBytes: the cap must be positive")
		}
		h.maxBody = n
		return nil
	}
}

// WithHandlerTimestampWindow sets how far a request's timestamp may be from the
// server's clock (default 5 minutes) before it is rejected as a replay (403).
// A window of 0 turns the check off.
func WithHandlerTimestampWindow(d time.Duration) HandlerOption {
	return func(h *Handler) error {
		if d < 0 {
			return errors.New("offiaccount: WithHandlerTimestampWindow: negative window")
		}
		h.window = d
		return nil
	}
}

// WithHandlerDedupeStore sets where messages are remembered to dedupe WeChat's
// retries: a shared store for several replicas (see DedupeStore). nil turns
// deduplication off: every attempt then runs the function, and a reply must
// be ready within one attempt.
func WithHandlerDedupeStore(s DedupeStore) HandlerOption {
	return func(h *Handler) error { h.store, h.storeSet = s, true; return nil }
}

// WithHandlerDedupeTTL sets how long a message's reply is kept for WeChat's retries
// (default 1 minute, and never less than twice WeChat's retry window). The
// message itself is remembered longer whatever the TTL, in a compact record
// without the reply: until its request's timestamp can no longer pass the
// timestamp window, plus a minute for clock skew, so that a captured request
// replayed inside the window never runs the function again (it is answered
// "success" once the reply is no longer kept). With the window off
// (WithHandlerTimestampWindow(0)) the TTL is all there is.
func WithHandlerDedupeTTL(d time.Duration) HandlerOption {
	return func(h *Handler) error {
		if d <= 0 {
			return errors.New("offiaccount: WithHandlerDedupeTTL: the TTL must be positive")
		}
		h.dedupeTTL = d
		return nil
	}
}

// WithHandlerRetryTiming changes the timing of WeChat's retries the Handler plans
// for (see RetryTiming); zero fields keep their defaults. Tests use short
// settings.
func WithHandlerRetryTiming(t RetryTiming) HandlerOption {
	return func(h *Handler) error {
		if t.Attempts == 0 {
			t.Attempts = defaultRetryTiming.Attempts
		}
		if t.AttemptTimeout == 0 {
			t.AttemptTimeout = defaultRetryTiming.AttemptTimeout
		}
		if t.Margin == 0 {
			t.Margin = defaultRetryTiming.Margin
		}
		if t.Attempts < 1 || t.AttemptTimeout < 0 || t.Margin < 0 || t.Margin >= t.AttemptTimeout {
			return errors.New("offiaccount: WithHandlerRetryTiming: need Attempts >= 1 and 0 <= Margin < AttemptTimeout")
		}
		h.timing = t
		return nil
	}
}

// WithHandlerLogger sets where the Handler logs rejected requests (Debug),
// rejections that point at a wrong Token, AppID or EncodingAESKey (Warn, with
// a hint, at most once a minute per cause), store failures (Warn) and failing
// functions (Error). Default: nowhere.
// Logs never hold the token, keys, or message content.
func WithHandlerLogger(l *slog.Logger) HandlerOption {
	return func(h *Handler) error {
		if l == nil {
			return errors.New("offiaccount: WithHandlerLogger: nil logger")
		}
		h.logger = l
		return nil
	}
}

// String keeps the Token and EncodingAESKey out of fmt output: only the AppID and the mode
// are shown.
func (h *Handler) String() string {
	mode := "plaintext"
	appID := ""
	if h.crypter != nil {
		mode, appID = "aes", h.crypter.AppID()
		if h.safeOnly {
			mode = "aes-only"
		}
	}
	return "offiaccount.Handler{AppID: " + appID + ", Mode: " + mode + ", Token: [REDACTED]}"
}

// GoString is String, for %#v.
func (h *Handler) GoString() string { return h.String() }

// LogValue keeps the Token and EncodingAESKey out of structured logs.
func (h *Handler) LogValue() slog.Value {
	appID := ""
	if h.crypter != nil {
		appID = h.crypter.AppID()
	}
	return slog.GroupValue(slog.String("appid", appID), slog.Bool("aes", h.crypter != nil),
		slog.String("token", "[REDACTED]"))
}

// ServeHTTP implements http.Handler. A Handler not made by NewHandler (the
// zero value) answers every request 500 and logs nothing: it has no Token.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.token == "" {
		http.Error(w, "offiaccount: Handler not created with NewHandler", http.StatusInternalServerError)
		return
	}
	if h.allowIP != nil {
		addr, ok := remoteIP(r.RemoteAddr)
		if !ok || !h.allowIP(addr) {
			h.reject(r, w, http.StatusForbidden, "source address not allowed")
			return
		}
	}
	switch r.Method {
	case http.MethodPost:
		h.serveMessage(w, r)
	case http.MethodGet:
		h.serveVerify(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		h.reject(r, w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// reject answers a request that cannot come from WeChat.
func (h *Handler) reject(r *http.Request, w http.ResponseWriter, code int, reason string) {
	h.logger.LogAttrs(r.Context(), slog.LevelDebug, "offiaccount: callback rejected",
		slog.Int("status", code), slog.String("reason", reason))
	http.Error(w, reason, code)
}

// callbackQuery holds the query parameters of a callback.
type callbackQuery struct {
	signature, timestamp, nonce, echostr, encryptType, msgSignature string
}

func parseCallbackQuery(raw string) (q callbackQuery, ok bool) {
	ok = true
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		var dst *string
		switch k {
		case "signature":
			dst = &q.signature
		case "timestamp":
			dst = &q.timestamp
		case "nonce":
			dst = &q.nonce
		case "echostr":
			dst = &q.echostr
		case "encrypt_type":
			dst = &q.encryptType
		case "msg_signature":
			dst = &q.msgSignature
		default:
			continue
		}
		if *dst != "" {
			continue // the first value wins, as with url.Values.Get
		}
		if strings.IndexByte(v, '%') >= 0 || strings.IndexByte(v, '+') >= 0 {
			u, err := url.QueryUnescape(v)
			if err != nil {
				ok = false
				continue
			}
			v = u
		}
		*dst = v
	}
	return q, ok
}

// checkTimestamp reports whether ts is a unix time within the window, and
// returns it.
func (h *Handler) checkTimestamp(ts string, now time.Time) (int64, bool) {
	if ts == "" {
		return 0, false
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, false
	}
	if h.window == 0 {
		return t, true
	}
	d := now.Unix() - t
	w := int64(h.window / time.Second)
	return t, -w <= d && d <= w
}

func (h *Handler) timestampOK(ts string) bool {
	_, ok := h.checkTimestamp(ts, h.clock())
	return ok
}

// serveVerify answers the URL verification of the admin page.
func (h *Handler) serveVerify(w http.ResponseWriter, r *http.Request) {
	q, ok := parseCallbackQuery(r.URL.RawQuery)
	switch {
	case !ok:
		h.reject(r, w, http.StatusBadRequest, "malformed query")
	case q.echostr == "":
		h.reject(r, w, http.StatusBadRequest, "missing echostr")
	case len(q.echostr) > h.maxEchoStr:
		h.reject(r, w, http.StatusBadRequest, "echostr too long")
	case !h.timestampOK(q.timestamp):
		h.reject(r, w, http.StatusForbidden, "timestamp missing or out of window")
	case !CheckSignature(q.signature, h.token, q.timestamp, q.nonce):
		h.misconfigured(r, misconfigSignature)
		h.reject(r, w, http.StatusForbidden, "invalid signature")
	default:
		hdr := w.Header()
		hdr["Content-Type"] = contentTypeText
		hdr["X-Content-Type-Options"] = headerNosniff
		io.WriteString(w, q.echostr)
	}
}

// serveMessage handles a message or event POST.
func (h *Handler) serveMessage(w http.ResponseWriter, r *http.Request) {
	arrived := h.clock()
	q, ok := parseCallbackQuery(r.URL.RawQuery)
	if !ok {
		h.reject(r, w, http.StatusBadRequest, "malformed query")
		return
	}
	ts, ok := h.checkTimestamp(q.timestamp, arrived)
	if !ok {
		h.reject(r, w, http.StatusForbidden, "timestamp missing or out of window")
		return
	}
	var encrypted bool
	switch q.encryptType {
	case "aes":
		encrypted = true
		if h.crypter == nil {
			h.misconfigured(r, misconfigNoKey)
			h.reject(r, w, http.StatusBadRequest, "encrypted request not configured")
			return
		}
		if q.msgSignature == "" {
			h.reject(r, w, http.StatusForbidden, "missing msg_signature")
			return
		}
	case "", "raw":
		if h.safeOnly {
			h.reject(r, w, http.StatusForbidden, "plaintext requests are not accepted")
			return
		}
		if !CheckSignature(q.signature, h.token, q.timestamp, q.nonce) {
			h.misconfigured(r, misconfigSignature)
			h.reject(r, w, http.StatusForbidden, "invalid signature")
			return
		}
	default:
		h.reject(r, w, http.StatusBadRequest, "unknown encrypt_type")
		return
	}
	if r.ContentLength > h.maxBody {
		h.reject(r, w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}

	cb := new(callback)
	if code, reason := h.readMessage(r, q, encrypted, &cb.msg); code != 0 {
		h.reject(r, w, code, reason)
		return
	}
	h.dispatch(w, r, cb, encrypted, arrived, ts)
}

// clock returns the time: the test hook's, or time.Now's.
func (h *Handler) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

// since returns the time now, given an earlier reading of clock: on the real clock,
// earlier plus the monotonic time elapsed, which reads one clock where time.Now reads
// two (each read costs about 50 ns on a virtual machine).
func (h *Handler) since(earlier time.Time) time.Time {
	if h.now != nil {
		return h.now()
	}
	return earlier.Add(time.Since(earlier))
}

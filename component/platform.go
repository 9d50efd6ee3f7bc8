package component

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wxgo/offiaccount"
)

// Lifetimes WeChat documents for the platform's credentials.
const (
	// VerifyTicketLifetime is how long a component_verify_ticket stays usable (12 hours).
	VerifyTicketLifetime = 12 * time.Hour
	// DefaultMaxClients bounds the authorizer Clients a Platform keeps in memory.
	DefaultMaxClients = 100000
)

// Store keys, under the platform's prefix "component:<ComponentAppID>:".
const (
	keyVerifyTicket = "component_verify_ticket"
	kindRefresh     = ":authorizer_refresh_token"
	kindAccess      = ":access_token"
)

// durableExpiry is the expiry given to values that must never expire (refresh tokens) in
// stores without [DurableStore]; it fits Unix nanoseconds.
var durableExpiry = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// DurableStore is implemented by a [offiaccount.TokenStore] that can keep a value with no
// expiry at all, out of reach of eviction policies that drop expiring keys first (Redis's
// volatile-*). redisstore.TokenStore implements it. Other stores get the value with an expiry
// in the year 2200.
type DurableStore interface {
	// SetDurable stores value under key with no expiry, replacing any value.
	SetDurable(ctx context.Context, key, value string) error
}

// Platform is a third-party platform (第三方平台) of the WeChat Open Platform: it receives the
// authorization events, keeps the component_access_token and the tokens of every account
// that authorized it, and gives an [*offiaccount.Client] per authorized account. A Platform
// is safe for concurrent use; create one per process and share it. Processes of one
// platform share its state through one [offiaccount.TokenStore] (WithPlatformTokenStore).
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/getting_started/how_to_read.html
type Platform struct {
	appID, appSecret string
	token            string
	crypter          *offiaccount.MessageCrypter
	hc               *http.Client
	baseURL          string
	logger           *slog.Logger
	store            prefixStore
	rawStore         offiaccount.TokenStore
	margin           time.Duration
	marginSet        bool
	maxBody          int64
	window           time.Duration
	maxClients       int
	now              func() time.Time

	tokenClient *offiaccount.Client // caches the component_access_token under "<ComponentAppID>:access_token"

	mu      sync.RWMutex
	clients map[string]*offiaccount.Client

	evMu     sync.RWMutex
	evFuncs  map[InfoType][]AuthEventFunc
	autoAuth bool
	events   offiaccount.DedupeStore // authorization events already acted on (replays)
}

// PlatformOption configures a [Platform] in [NewPlatform].
type PlatformOption func(*Platform) error

// NewPlatform returns the platform with the given component AppID and AppSecret and the
// message Token and EncodingAESKey (消息校验Token, 消息加解密Key) of its settings page.
func NewPlatform(appID, appSecret, token, encodingAESKey string, opts ...PlatformOption) (*Platform, error) {
	if appID == "" || appSecret == "" {
		return nil, errors.New("component: NewPlatform: empty AppID or AppSecret")
	}
	if len(token) < 3 || len(token) > 32 {
		return nil, errors.New("component: NewPlatform: the Token must be 3 to 32 characters")
	}
	crypter, err := offiaccount.NewMessageCrypter(appID, encodingAESKey)
	if err != nil {
		return nil, fmt.Errorf("component: NewPlatform: %w", err)
	}
	p := &Platform{
		appID: appID, appSecret: appSecret, token: token, crypter: crypter,
		hc:         &http.Client{Timeout: offiaccount.DefaultHTTPTimeout},
		baseURL:    offiaccount.DefaultBaseURL,
		logger:     slog.New(discard{}),
		maxBody:    offiaccount.DefaultMaxBodyBytes,
		window:     offiaccount.DefaultTimestampWindow,
		maxClients: DefaultMaxClients,
		now:        time.Now,
		clients:    make(map[string]*offiaccount.Client),
		evFuncs:    make(map[InfoType][]AuthEventFunc),
		autoAuth:   true,
	}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("component: NewPlatform: nil option")
		}
		if err := o(p); err != nil {
			return nil, err
		}
	}
	if p.rawStore == nil {
		p.rawStore = offiaccount.NewMemoryTokenStore()
	}
	if p.events == nil {
		if p.events, err = offiaccount.NewMemoryDedupeStore(offiaccount.WithMemoryDedupeStoreMaxEntries(100_000)); err != nil {
			return nil, err
		}
	}
	p.store = prefixStore{s: p.rawStore, prefix: "component:" + appID + ":"}
	p.tokenClient, err = offiaccount.NewClient(appID, "", p.clientOptions(offiaccount.TokenSourceFunc(p.fetchComponentToken))...)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// WithPlatformTokenStore keeps the verify ticket, the component_access_token and every
// authorizer's tokens in s, shared by every process of the platform (redisstore over Redis).
// Keys start with "component:<ComponentAppID>:". Default: a MemoryTokenStore of the Platform's own.
func WithPlatformTokenStore(s offiaccount.TokenStore) PlatformOption {
	return func(p *Platform) error {
		if s == nil {
			return errors.New("component: WithPlatformTokenStore: nil store")
		}
		p.rawStore = s
		return nil
	}
}

// WithPlatformDedupeStore remembers the authorization events already acted on in s, so that a
// captured event replayed within the timestamp window (an old "unauthorized" after the owner
// authorized again, say) is answered "success" and ignored. Give every process of the
// platform the same store (redisstore.DedupeStore) to stop replays sent to another process.
// Default: an in-memory store of the Platform's own.
func WithPlatformDedupeStore(s offiaccount.DedupeStore) PlatformOption {
	return func(p *Platform) error {
		if s == nil {
			return errors.New("component: WithPlatformDedupeStore: nil store")
		}
		p.events = s
		return nil
	}
}

// WithPlatformHTTPClient sends every request through a copy of hc.
func WithPlatformHTTPClient(hc *http.Client) PlatformOption {
	return func(p *Platform) error {
		if hc == nil {
			return errors.New("component: WithPlatformHTTPClient: nil client")
		}
		cp := *hc
		p.hc = &cp
		return nil
	}
}

// WithPlatformBaseURL sends API calls to another origin (a backup domain, a proxy, the fake
// platform of offiaccounttest).
func WithPlatformBaseURL(base string) PlatformOption {
	return func(p *Platform) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("component: WithPlatformBaseURL: %q is not an absolute http(s) URL", base)
		}
		p.baseURL = strings.TrimRight(base, "/")
		return nil
	}
}

// WithPlatformLogger logs through l; nothing secret is logged. The default logs nothing.
func WithPlatformLogger(l *slog.Logger) PlatformOption {
	return func(p *Platform) error {
		if l == nil {
			return errors.New("component: WithPlatformLogger: nil logger")
		}
		p.logger = l
		return nil
	}
}

// WithPlatformTokenRefreshMargin replaces the component and authorizer tokens d before they
// expire (default [offiaccount.DefaultTokenRefreshMargin]).
func WithPlatformTokenRefreshMargin(d time.Duration) PlatformOption {
	return func(p *Platform) error {
		if d < 0 || d > time.Hour {
			return fmt.Errorf("component: WithPlatformTokenRefreshMargin: %v is outside [0, 1h]", d)
		}
		p.margin, p.marginSet = d, true
		return nil
	}
}

// WithPlatformMaxBodyBytes caps the bodies of the authorization-event URL (default 1 MiB);
// larger ones get 413.
func WithPlatformMaxBodyBytes(n int64) PlatformOption {
	return func(p *Platform) error {
		if n <= 0 {
			return errors.New("component: WithPlatformMaxBodyBytes: not positive")
		}
		p.maxBody = n
		return nil
	}
}

// WithPlatformMaxClients bounds the authorizer Clients kept in memory (default
// [DefaultMaxClients]); past it an arbitrary one is dropped and rebuilt on its next use, its
// tokens still in the store.
func WithPlatformMaxClients(n int) PlatformOption {
	return func(p *Platform) error {
		if n <= 0 {
			return errors.New("component: WithPlatformMaxClients: not positive")
		}
		p.maxClients = n
		return nil
	}
}

// WithPlatformManualQueryAuth stops the Platform from calling api_query_auth on its own when
// an authorized or updateauthorized event arrives; the event functions then must call
// [Platform.QueryAuth] with the event's AuthorizationCode.
func WithPlatformManualQueryAuth() PlatformOption {
	return func(p *Platform) error { p.autoAuth = false; return nil }
}

// withPlatformNow replaces the clock of the event URL's timestamp check in tests.
func withPlatformNow(now func() time.Time) PlatformOption {
	return func(p *Platform) error { p.now = now; return nil }
}

// AppID returns the platform's component AppID.
func (p *Platform) AppID() string { return p.appID }

// String keeps the AppSecret, Token and key out of fmt output.
func (p *Platform) String() string {
	return "component.Platform{AppID: " + p.appID + ", AppSecret: [REDACTED]}"
}

// GoString is String, for %#v.
func (p *Platform) GoString() string { return p.String() }

// LogValue keeps the secrets out of structured logs.
func (p *Platform) LogValue() slog.Value {
	return slog.GroupValue(slog.String("component_appid", p.appID), slog.String("appsecret", "[REDACTED]"))
}

// clientOptions are the options of every Client the Platform builds.
func (p *Platform) clientOptions(src offiaccount.TokenSource) []offiaccount.ClientOption {
	opts := []offiaccount.ClientOption{
		offiaccount.WithClientTokenSource(src),
		offiaccount.WithClientTokenStore(p.store),
		offiaccount.WithClientBaseURL(p.baseURL),
		offiaccount.WithClientHTTPClient(p.hc),
		offiaccount.WithClientLogger(p.logger),
	}
	if p.marginSet {
		opts = append(opts, offiaccount.WithClientTokenRefreshMargin(p.margin))
	}
	return opts
}

// VerifyTicket returns the latest component_verify_ticket from the store, or "" when none
// has arrived (or the last one is older than 12 hours).
func (p *Platform) VerifyTicket(ctx context.Context) (string, error) {
	v, _, err := p.store.Get(ctx, keyVerifyTicket)
	return v, err
}

// SetVerifyTicket stores a ticket just received; the newest ticket replaces the one before
// and is kept 12 hours. The authorization-event URL calls it, and so may a process that
// receives tickets elsewhere.
func (p *Platform) SetVerifyTicket(ctx context.Context, ticket string) error {
	if ticket == "" {
		return fmt.Errorf("%w: empty verify ticket", ErrInvalidRequest)
	}
	return p.store.Set(ctx, keyVerifyTicket, ticket, time.Now().Add(VerifyTicketLifetime))
}

// ComponentAccessToken returns a valid component_access_token (第三方平台接口调用凭据): a warm
// read is one atomic load; otherwise it comes from the store or is fetched once for all
// processes under the store's lock. It fails with [ErrNoVerifyTicket] until the first ticket
// has arrived.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/ThirdParty/token/component_access_token.html
func (p *Platform) ComponentAccessToken(ctx context.Context) (string, error) {
	return p.tokenClient.AccessToken(ctx)
}

type componentTokenRequest struct {
	AppID  string `json:"component_appid"`
	Secret string `json:"component_appsecret"`
	Ticket string `json:"component_verify_ticket"`
}

type componentTokenAnswer struct {
	Token     string `json:"component_access_token"`
	ExpiresIn int64  `json:"expires_in"`
}

// fetchComponentToken is the TokenSource of tokenClient.
func (p *Platform) fetchComponentToken(ctx context.Context, _ string) (string, time.Duration, error) {
	ticket, err := p.VerifyTicket(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("component: reading the verify ticket: %w", err)
	}
	if ticket == "" {
		return "", 0, ErrNoVerifyTicket
	}
	var out componentTokenAnswer
	in := componentTokenRequest{AppID: p.appID, Secret: p.appSecret, Ticket: ticket}
	if err := p.post(ctx, "/cgi-bin/component/api_component_token", nil, in, &out); err != nil {
		return "", 0, err
	}
	if out.Token == "" || out.ExpiresIn <= 0 {
		return "", 0, fmt.Errorf("%w: api_component_token: no token in answer", offiaccount.ErrBadResponse)
	}
	return out.Token, time.Duration(out.ExpiresIn) * time.Second, nil
}

// call posts a component API with the component_access_token; when WeChat rejects the token
// (40001, 40014, 42001) it drops it everywhere (compare-and-delete) and tries once more.
func (p *Platform) call(ctx context.Context, path string, in, out any) error {
	for attempt := 0; ; attempt++ {
		tok, err := p.ComponentAccessToken(ctx)
		if err != nil {
			return err
		}
		err = p.post(ctx, path, url.Values{"component_access_token": {tok}}, in, out)
		if attempt == 0 && errors.Is(err, offiaccount.ErrTokenInvalid) {
			p.tokenClient.InvalidateAccessToken(ctx, tok)
			continue
		}
		return err
	}
}

// post sends one JSON request through the root package's call path (no access_token; the
// query and body credentials are redacted by name from any transport error) and never
// retries.
func (p *Platform) post(ctx context.Context, path string, q url.Values, in, out any) error {
	return p.tokenClient.CallWithoutToken(ctx, http.MethodPost, path, q, in, out)
}

// prefixStore puts the platform's keys under its own prefix so that one store serves many
// platforms and the accounts' own Clients without collisions.
type prefixStore struct {
	s      offiaccount.TokenStore
	prefix string
}

func (s prefixStore) Get(ctx context.Context, key string) (string, time.Time, error) {
	return s.s.Get(ctx, s.prefix+key)
}

func (s prefixStore) Set(ctx context.Context, key, value string, expiry time.Time) error {
	return scrubStoreErr(s.s.Set(ctx, s.prefix+key, value, expiry), value)
}

func (s prefixStore) CompareAndDelete(ctx context.Context, key, value string) (bool, error) {
	ok, err := s.s.CompareAndDelete(ctx, s.prefix+key, value)
	return ok, scrubStoreErr(err, value)
}

func (s prefixStore) TryLock(ctx context.Context, key, owner string, lease time.Duration) (bool, error) {
	return s.s.TryLock(ctx, s.prefix+key, owner, lease)
}

func (s prefixStore) Unlock(ctx context.Context, key, owner string) error {
	return s.s.Unlock(ctx, s.prefix+key, owner)
}

// setDurable keeps value without expiry where the store can.
func (s prefixStore) setDurable(ctx context.Context, key, value string) error {
	if d, ok := s.s.(DurableStore); ok {
		return scrubStoreErr(d.SetDurable(ctx, s.prefix+key, value), value)
	}
	return scrubStoreErr(s.s.Set(ctx, s.prefix+key, value, durableExpiry), value)
}

// scrubStoreErr hides the token a store was handed from its error, which a store may quote
// ("SET key value"), whether the error is returned or logged. errors.Is still answers for
// the store's own error (a timeout, say); errors.As cannot reach its unscrubbed text.
func scrubStoreErr(err error, value string) error {
	if err == nil || value == "" || !strings.Contains(err.Error(), value) {
		return err
	}
	return &storeError{msg: strings.ReplaceAll(err.Error(), value, "[REDACTED]"), err: err}
}

// storeError is a store's error with a token replaced in its text.
type storeError struct {
	msg string
	err error
}

func (e *storeError) Error() string        { return e.msg }
func (e *storeError) Is(target error) bool { return errors.Is(e.err, target) }

// discard is a slog handler that drops everything (slog.DiscardHandler needs Go 1.24).
type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }

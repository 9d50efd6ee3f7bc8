package component

// The message-and-event URL (消息与事件接收URL) of every authorized account: WeChat posts each
// account's messages to the URL configured with the $APPID$ placeholder, encrypted with the
// platform's Token and EncodingAESKey for the platform's AppID.

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wxgo/offiaccount"
)

// DefaultMaxHandlers bounds the per-account Handlers a MessageServer keeps.
const DefaultMaxHandlers = 10000

// The release check (全网发布接入检测) sends these texts to the test account.
const (
	ReleaseCheckText           = "TESTCOMPONENT_MSG_TYPE_TEXT"
	ReleaseCheckTextReply      = "TESTCOMPONENT_MSG_TYPE_TEXT_callback"
	ReleaseCheckQueryAuthCode  = "QUERY_AUTH_CODE:"
	ReleaseCheckAPIReplySuffix = "_from_api"
)

// ReleaseTestAppIDs are the accounts WeChat's release check uses (five groups, one picked at
// random per check): the test official accounts, then the test mini programs.
var ReleaseTestAppIDs = []string{
	"wx570bc396a51b8ff8", "wx9252c5e0bb1836fc", "wx8e1097c5bc82cde9", "wx14550af28c71a144", "wxa35b9c23cfe664eb",
	"wxd101a85aa106f53e", "wxc39235c15087f6f3", "wx7720d01d4b2a4500", "wx05d483572dcd5d8b", "wx5910277cae6fd970",
}

// SetupFunc registers the functions of one account's Handler: called once when the first
// message of authorizerAppID arrives (and again if the Handler was evicted). Register
// per-account functions by switching on authorizerAppID, shared ones unconditionally.
type SetupFunc func(authorizerAppID string, h *offiaccount.Handler) error

// MessageServer is the http.Handler of the message-and-event URL of every authorized
// account. It takes the account's AppID from the request (the $APPID$ path segment), and
// serves the request with that account's [offiaccount.Handler], created on first use with the
// platform's crypter in safe mode only and a dedupe store shared by all accounts: the same
// checks (403, 400, 413), dedupe, replies and timing as a single account's Handler.
type MessageServer struct {
	p         *Platform
	setup     SetupFunc
	opts      []offiaccount.HandlerOption
	appIDFrom func(*http.Request) string
	max       int
	release   map[string]bool
	timeout   time.Duration

	mu       sync.Mutex
	lru      *list.List // of *serverEntry, most recent first
	handlers map[string]*list.Element
}

type serverEntry struct {
	appID string
	h     *offiaccount.Handler
}

// MessageServerOption configures a [MessageServer].
type MessageServerOption func(*MessageServer) error

// NewMessageServer returns the message URL's handler for p's authorized accounts; setup
// registers each account's functions. Mount it at the path configured with $APPID$, for
// example "/wechat/{appid}/callback" on an http.ServeMux.
func NewMessageServer(p *Platform, setup SetupFunc, opts ...MessageServerOption) (*MessageServer, error) {
	if p == nil || setup == nil {
		return nil, errors.New("component: NewMessageServer: nil platform or setup")
	}
	s := &MessageServer{p: p, setup: setup, max: DefaultMaxHandlers, appIDFrom: appIDFromPath,
		timeout: 30 * time.Second, lru: list.New(), handlers: make(map[string]*list.Element)}
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("component: NewMessageServer: nil option")
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	// One store for all accounts: a Handler rebuilt after eviction still knows the retries.
	store, err := offiaccount.NewMemoryDedupeStore()
	if err != nil {
		return nil, err
	}
	s.opts = append([]offiaccount.HandlerOption{offiaccount.WithHandlerDedupeStore(store)}, s.opts...)
	if _, err := s.bareHandler(); err != nil { // a bad Token or option fails here, not per message
		return nil, err
	}
	return s, nil
}

// WithMessageServerHandlerOptions applies opts to every account's Handler (a shared
// DedupeStore over Redis, a logger, a timestamp window...). Safe mode and the platform's
// crypter are always set.
func WithMessageServerHandlerOptions(opts ...offiaccount.HandlerOption) MessageServerOption {
	return func(s *MessageServer) error {
		s.opts = append(s.opts, opts...)
		return nil
	}
}

// WithMessageServerAppID takes the account's AppID from a request with fn instead of the
// default: the "appid" path value of an http.ServeMux pattern, else the last path segment
// that starts with "wx".
func WithMessageServerAppID(fn func(r *http.Request) string) MessageServerOption {
	return func(s *MessageServer) error {
		if fn == nil {
			return errors.New("component: WithMessageServerAppID: nil function")
		}
		s.appIDFrom = fn
		return nil
	}
}

// WithMessageServerMaxHandlers bounds the Handlers kept (default [DefaultMaxHandlers]); the
// least recently used is dropped and rebuilt on its next message.
func WithMessageServerMaxHandlers(n int) MessageServerOption {
	return func(s *MessageServer) error {
		if n <= 0 {
			return errors.New("component: WithMessageServerMaxHandlers: not positive")
		}
		s.max = n
		return nil
	}
}

// WithMessageServerReleaseCheck answers WeChat's release check (全网发布) for the accounts
// appIDs (default [ReleaseTestAppIDs]): the text "TESTCOMPONENT_MSG_TYPE_TEXT" gets the reply
// "TESTCOMPONENT_MSG_TYPE_TEXT_callback"; "QUERY_AUTH_CODE:<code>" gets no reply, and then
// the code is exchanged (api_query_auth) and "<code>_from_api" sent to the user through the
// customer-service API. Other messages go to the registered functions.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/operation/thirdparty/releases_instructions.html
func WithMessageServerReleaseCheck(appIDs ...string) MessageServerOption {
	return func(s *MessageServer) error {
		if len(appIDs) == 0 {
			appIDs = ReleaseTestAppIDs
		}
		s.release = make(map[string]bool, len(appIDs))
		for _, id := range appIDs {
			s.release[id] = true
		}
		return nil
	}
}

type appIDKey struct{}

// AuthorizerAppID returns the AppID of the account a message was sent to, from the ctx
// of a function run by a MessageServer, or "".
func AuthorizerAppID(ctx context.Context) string {
	v, _ := ctx.Value(appIDKey{}).(string)
	return v
}

// appIDFromPath is the default AppID extractor.
func appIDFromPath(r *http.Request) string {
	if v := r.PathValue("appid"); v != "" {
		return v
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if strings.HasPrefix(segs[i], "wx") {
			return segs[i]
		}
	}
	return ""
}

func validAppID(s string) bool {
	if len(s) < 3 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// ServeHTTP implements http.Handler.
func (s *MessageServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	appID := s.appIDFrom(r)
	if !validAppID(appID) {
		http.Error(w, "unknown account", http.StatusNotFound)
		return
	}
	h, err := s.handler(appID, r)
	if errors.Is(err, errUnsigned) {
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	if err != nil {
		s.p.logger.LogAttrs(r.Context(), slog.LevelError, "component: building an account's Handler failed",
			slog.String("authorizer_appid", appID), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), appIDKey{}, appID)))
}

// errUnsigned: a request for an account without a Handler yet fails the query signature or
// the timestamp window, so none is built for it.
var errUnsigned = errors.New("component: request not signed by WeChat")

// handler returns the Handler of appID, creating it on first use. Only a request that
// carries WeChat's query signature within the timestamp window gets one built: the AppID in
// the path is not signed, and unsigned requests naming random AppIDs must not push the
// accounts in use out of the bounded cache. (The Handler then checks msg_signature.)
func (s *MessageServer) handler(appID string, r *http.Request) (*offiaccount.Handler, error) {
	s.mu.Lock()
	if el, ok := s.handlers[appID]; ok {
		s.lru.MoveToFront(el)
		s.mu.Unlock()
		return el.Value.(*serverEntry).h, nil
	}
	s.mu.Unlock()
	q := r.URL.Query()
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if !s.p.checkTimestamp(ts) || !offiaccount.CheckSignature(q.Get("signature"), s.p.token, ts, nonce) {
		return nil, errUnsigned
	}
	h, err := s.newHandler(appID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.handlers[appID]; ok { // built concurrently: keep the first
		return el.Value.(*serverEntry).h, nil
	}
	s.handlers[appID] = s.lru.PushFront(&serverEntry{appID: appID, h: h})
	for s.lru.Len() > s.max {
		old := s.lru.Remove(s.lru.Back()).(*serverEntry)
		delete(s.handlers, old.appID)
	}
	return h, nil
}

func (s *MessageServer) bareHandler() (*offiaccount.Handler, error) {
	opts := append(append([]offiaccount.HandlerOption{}, s.opts...),
		offiaccount.WithHandlerCrypter(s.p.crypter), offiaccount.WithHandlerSafeModeOnly())
	return offiaccount.NewHandler(s.p.token, opts...)
}

func (s *MessageServer) newHandler(appID string) (*offiaccount.Handler, error) {
	h, err := s.bareHandler()
	if err != nil {
		return nil, err
	}
	if s.release[appID] {
		// Every message then passes the check, even with no route of the user's.
		h.HandleDefault(func(context.Context, *offiaccount.Message) (offiaccount.Reply, error) { return nil, nil })
		h.Use(s.releaseCheck(appID))
	}
	if err := s.setup(appID, h); err != nil {
		return nil, err
	}
	return h, nil
}

// releaseCheck answers the two texts of the release check.
func (s *MessageServer) releaseCheck(appID string) offiaccount.Middleware {
	return func(next offiaccount.HandlerFunc) offiaccount.HandlerFunc {
		return func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
			if m.MsgType == offiaccount.MsgTypeText {
				switch {
				case m.Content == ReleaseCheckText:
					return offiaccount.TextReply{Content: ReleaseCheckTextReply}, nil
				case strings.HasPrefix(m.Content, ReleaseCheckQueryAuthCode):
					code := strings.TrimSpace(strings.TrimPrefix(m.Content, ReleaseCheckQueryAuthCode))
					go s.answerQueryAuthCode(appID, m.FromUserName, code)
					return nil, nil
				}
			}
			return next(ctx, m)
		}
	}
}

// answerQueryAuthCode exchanges the release check's code and sends "<code>_from_api".
func (s *MessageServer) answerQueryAuthCode(appID, openID, code string) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	err := func() error {
		if _, err := s.p.QueryAuth(ctx, code); err != nil {
			return err
		}
		c, err := s.p.AuthorizerClient(appID)
		if err != nil {
			return err
		}
		return c.SendCustomText(ctx, openID, code+ReleaseCheckAPIReplySuffix)
	}()
	if err != nil {
		s.p.logger.LogAttrs(ctx, slog.LevelError, "component: release check: answering QUERY_AUTH_CODE failed",
			slog.String("authorizer_appid", appID), slog.String("error", err.Error()))
	}
}

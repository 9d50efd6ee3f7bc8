package component

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wxgo/offiaccount"
)

// InfoType is the kind of a push to the authorization-event URL (授权事件接收URL).
type InfoType string

// The InfoTypes WeChat pushes.
const (
	InfoTypeVerifyTicket     InfoType = "component_verify_ticket" // every 10 minutes
	InfoTypeAuthorized       InfoType = "authorized"              // 授权成功
	InfoTypeUpdateAuthorized InfoType = "updateauthorized"        // 授权更新
	InfoTypeUnauthorized     InfoType = "unauthorized"            // 取消授权
)

// AuthEvent is one decrypted push of the authorization-event URL.
//
// See https://developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/2.0/api/Before_Develop/authorize_event.html
type AuthEvent struct {
	AppID                        string   `xml:"AppId"` // the platform's component AppID
	CreateTime                   int64    `xml:"CreateTime"`
	InfoType                     InfoType `xml:"InfoType"`
	ComponentVerifyTicket        string   `xml:"ComponentVerifyTicket"`
	AuthorizerAppID              string   `xml:"AuthorizerAppid"`
	AuthorizationCode            string   `xml:"AuthorizationCode"`
	AuthorizationCodeExpiredTime int64    `xml:"AuthorizationCodeExpiredTime"`
	PreAuthCode                  string   `xml:"PreAuthCode"`

	// Authorization is what api_query_auth returned for an authorized or updateauthorized
	// event, when the Platform exchanged the code itself (the default); nil otherwise.
	Authorization *Authorization `xml:"-"`
}

// String keeps the ticket and the codes out of fmt output.
func (e AuthEvent) String() string {
	return fmt.Sprintf("component.AuthEvent{InfoType: %s, AuthorizerAppID: %s, CreateTime: %d}", e.InfoType, e.AuthorizerAppID, e.CreateTime)
}

// GoString is String, for %#v.
func (e AuthEvent) GoString() string { return e.String() }

// LogValue keeps the ticket and the codes out of structured logs.
func (e AuthEvent) LogValue() slog.Value {
	return slog.GroupValue(slog.String("info_type", string(e.InfoType)), slog.String("authorizer_appid", e.AuthorizerAppID))
}

// AuthEventFunc handles one authorization event. An error is logged; WeChat is answered
// "success" regardless, since it does not retry these pushes usefully.
type AuthEventFunc func(ctx context.Context, e *AuthEvent) error

// HandleAuthEvent registers fn for pushes of type t (several may be registered; they run in
// order). The Platform has already acted on the event when fn runs: a ticket is stored; an
// authorization's code is exchanged and its tokens stored (unless
// WithPlatformManualQueryAuth); a revoked account's tokens are dropped.
func (p *Platform) HandleAuthEvent(t InfoType, fn AuthEventFunc) {
	if fn == nil {
		return
	}
	p.evMu.Lock()
	defer p.evMu.Unlock()
	p.evFuncs[t] = append(p.evFuncs[t], fn)
}

// ParseAuthEvent decodes the decrypted XML of an authorization event.
func ParseAuthEvent(plain []byte) (*AuthEvent, error) {
	var e AuthEvent
	if err := xml.Unmarshal(plain, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", offiaccount.ErrMalformedMessage, err)
	}
	if e.InfoType == "" || e.AppID == "" {
		return nil, fmt.Errorf("%w: no InfoType or AppId", offiaccount.ErrMalformedMessage)
	}
	return &e, nil
}

// envelope is the encrypted body WeChat posts.
type envelope struct {
	AppID   string `xml:"AppId"`
	Encrypt string `xml:"Encrypt"`
}

// AuthEventHandler returns the http.Handler of the authorization-event URL (授权事件接收URL).
// It accepts only safe-mode posts (the only mode WeChat uses there) and answers like
// [offiaccount.Handler]: 403 for a bad msg_signature, a timestamp out of 5 minutes, a
// plaintext post or another AppID; 400 for a malformed query, envelope or event; 413 for a
// body over the cap; 405 for other methods; "success" otherwise.
func (p *Platform) AuthEventHandler() http.Handler { return authEventHandler{p} }

type authEventHandler struct{ p *Platform }

func (h authEventHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := h.p
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		p.reject(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		p.reject(w, r, http.StatusBadRequest, "malformed query")
		return
	}
	ts, nonce, sig := q.Get("timestamp"), q.Get("nonce"), q.Get("msg_signature")
	if !p.checkTimestamp(ts) {
		p.reject(w, r, http.StatusForbidden, "timestamp missing or out of window")
		return
	}
	if q.Get("encrypt_type") != "aes" || sig == "" {
		p.reject(w, r, http.StatusForbidden, "plaintext requests are not accepted")
		return
	}
	if r.ContentLength > p.maxBody {
		p.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, p.maxBody+1))
	if err != nil {
		p.reject(w, r, http.StatusBadRequest, "reading body failed")
		return
	}
	if int64(len(body)) > p.maxBody {
		p.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	var env envelope
	if err := xml.Unmarshal(body, &env); err != nil {
		p.reject(w, r, http.StatusBadRequest, "malformed XML")
		return
	}
	if env.Encrypt == "" {
		p.reject(w, r, http.StatusBadRequest, "missing Encrypt")
		return
	}
	if !offiaccount.CheckMsgSignature(sig, p.token, ts, nonce, env.Encrypt) {
		p.reject(w, r, http.StatusForbidden, "invalid msg_signature")
		return
	}
	if env.AppID != "" && env.AppID != p.appID {
		p.reject(w, r, http.StatusForbidden, "message for another AppID")
		return
	}
	plain, err := p.crypter.Decrypt(env.Encrypt)
	switch {
	case errors.Is(err, offiaccount.ErrAppIDMismatch):
		p.reject(w, r, http.StatusForbidden, "message for another AppID")
		return
	case err != nil:
		p.reject(w, r, http.StatusBadRequest, "undecryptable Encrypt")
		return
	}
	ev, err := ParseAuthEvent(plain)
	if err != nil {
		p.reject(w, r, http.StatusBadRequest, "malformed event")
		return
	}
	if ev.AppID != p.appID {
		p.reject(w, r, http.StatusForbidden, "message for another AppID")
		return
	}
	if p.firstDelivery(r.Context(), plain) {
		p.onAuthEvent(r.Context(), ev)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "success")
}

// firstDelivery reports whether the event in plain has not been acted on yet, and remembers
// it for as long as a replay of its request could pass the timestamp check (plus a minute of
// clock skew). WeChat's own retries of an event are the same document, so they are skipped
// too. The key is a hash of the decrypted event: no ticket or code goes into the store. A
// failing store is logged and the event acted on, as the callback Handler does.
func (p *Platform) firstDelivery(ctx context.Context, plain []byte) bool {
	sum := sha256.Sum256(plain)
	key := "component:" + p.appID + ":event:" + hex.EncodeToString(sum[:16])
	ttl := p.window + time.Minute
	_, created, err := p.events.Claim(ctx, key, p.now(), ttl)
	if err != nil {
		p.logger.LogAttrs(ctx, slog.LevelWarn, "component: dedupe store failed; acting on the event anyway",
			slog.String("error", err.Error()))
		return true
	}
	if !created {
		p.logger.LogAttrs(ctx, slog.LevelDebug, "component: authorization event already acted on; answering success")
		return false
	}
	if err := p.events.Complete(ctx, key, nil, 0, ttl); err != nil {
		p.logger.LogAttrs(ctx, slog.LevelWarn, "component: dedupe store failed",
			slog.String("op", "complete"), slog.String("error", err.Error()))
	}
	return true
}

// onAuthEvent acts on an event, then runs the registered functions.
func (p *Platform) onAuthEvent(ctx context.Context, ev *AuthEvent) {
	var err error
	switch ev.InfoType {
	case InfoTypeVerifyTicket:
		err = p.SetVerifyTicket(ctx, ev.ComponentVerifyTicket)
	case InfoTypeAuthorized, InfoTypeUpdateAuthorized:
		if p.autoAuth && ev.AuthorizationCode != "" {
			ev.Authorization, err = p.QueryAuth(ctx, ev.AuthorizationCode)
		}
	case InfoTypeUnauthorized:
		err = p.forget(ctx, ev.AuthorizerAppID)
	}
	if err != nil {
		p.logger.LogAttrs(ctx, slog.LevelWarn, "component: acting on an authorization event failed",
			slog.String("info_type", string(ev.InfoType)), slog.String("authorizer_appid", ev.AuthorizerAppID),
			slog.String("error", err.Error()))
	}
	p.evMu.RLock()
	fns := p.evFuncs[ev.InfoType]
	p.evMu.RUnlock()
	for _, fn := range fns {
		if err := runEventFunc(ctx, fn, ev); err != nil {
			p.logger.LogAttrs(ctx, slog.LevelError, "component: authorization event function failed",
				slog.String("info_type", string(ev.InfoType)), slog.String("error", err.Error()))
		}
	}
}

// runEventFunc turns a panic into an error so that WeChat still gets "success".
func runEventFunc(ctx context.Context, fn AuthEventFunc, ev *AuthEvent) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("component: panic in event function: %v", r)
		}
	}()
	return fn(ctx, ev)
}

func (p *Platform) reject(w http.ResponseWriter, r *http.Request, code int, reason string) {
	p.logger.LogAttrs(r.Context(), slog.LevelDebug, "component: authorization event rejected",
		slog.Int("status", code), slog.String("reason", reason))
	http.Error(w, reason, code)
}

func (p *Platform) checkTimestamp(ts string) bool {
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := p.now().Unix() - t
	w := int64(p.window / time.Second)
	return -w <= d && d <= w
}

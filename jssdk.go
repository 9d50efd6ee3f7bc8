package offiaccount

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// JS-SDK (微信 JS-SDK): the wx.config object a page inside WeChat needs, the tickets that sign
// it, and the card (卡券) signatures of chooseCard and addCard.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html

// TicketType names a JS-SDK ticket kind, the `type` of /cgi-bin/ticket/getticket.
type TicketType string

// Ticket kinds.
const (
	// TicketJSAPI is the jsapi_ticket that signs wx.config.
	TicketJSAPI TicketType = "jsapi"
	// TicketCard is the card api_ticket (卡券 api_ticket) that signs chooseCard and addCard.
	TicketCard TicketType = "wx_card"
)

const (
	// maxPageURLLen bounds a URL we agree to sign; it arrives from browsers.
	maxPageURLLen = 8 << 10
	// nonceLen is the length of the nonceStr we generate (WeChat allows up to 32).
	nonceLen = 16
	// defaultTicketTTL is WeChat's documented ticket lifetime, used when expires_in is absent.
	defaultTicketTTL = 7200 * time.Second
	// maxTicketTTL caps a hostile or mistaken expires_in.
	maxTicketTTL = 24 * time.Hour
)

// JSConfig is the object a page passes to wx.config. Its JSON field names are wx.config's,
// so a handler can write it out as is. Debug, JSAPIList and OpenTagList are not signed:
// change them freely after signing.
type JSConfig struct {
	Debug       bool     `json:"debug,omitempty"`       // alert every JS-SDK call's result on the page
	AppID       string   `json:"appId"`                 // the account's AppID
	Timestamp   int64    `json:"timestamp"`             // Unix seconds the signature was made at
	NonceStr    string   `json:"nonceStr"`              // random string in the signature
	Signature   string   `json:"signature"`             // see JSSDKSignature
	JSAPIList   []string `json:"jsApiList"`             // JS APIs the page will call
	OpenTagList []string `json:"openTagList,omitempty"` // open tags such as wx-open-launch-weapp
}

// JSAPITicket returns the account's jsapi_ticket, from cache while it is fresh. Tickets are
// frequency-limited by WeChat: concurrent callers share one fetch.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#62
func (c *Client) JSAPITicket(ctx context.Context) (string, error) {
	return c.ticket(ctx, TicketJSAPI)
}

// CardTicket returns the account's card api_ticket (type wx_card), from cache while it is
// fresh. It is not the jsapi_ticket: it signs only the card JS APIs.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#54
func (c *Client) CardTicket(ctx context.Context) (string, error) {
	return c.ticket(ctx, TicketCard)
}

// fetchTicket asks WeChat for a new ticket of the given kind.
func (c *Client) fetchTicket(ctx context.Context, kind TicketType) (ticket string, expiresIn time.Duration, err error) {
	if kind != TicketJSAPI && kind != TicketCard {
		return "", 0, fmt.Errorf("offiaccount: unknown ticket type %q", kind)
	}
	var out struct {
		Ticket    string `json:"ticket"`
		ExpiresIn int64  `json:"expires_in"`
	}
	if err := c.getJSON(ctx, "/cgi-bin/ticket/getticket", url.Values{"type": {string(kind)}}, &out); err != nil {
		return "", 0, err
	}
	if out.Ticket == "" {
		return "", 0, fmt.Errorf("%w: getticket returned no ticket", ErrBadResponse)
	}
	ttl := defaultTicketTTL
	switch {
	case out.ExpiresIn >= int64(maxTicketTTL/time.Second):
		ttl = maxTicketTTL
	case out.ExpiresIn > 0:
		ttl = time.Duration(out.ExpiresIn) * time.Second
	}
	return out.Ticket, ttl, nil
}

// JSConfig signs pageURL for wx.config with the cached jsapi_ticket, a fresh nonceStr from
// crypto/rand and the current time. pageURL is the page's full address as the browser sees it
// (location.href); its #fragment is cut off before signing. The page's domain must be one of
// the account's JS interface safe domains (JS接口安全域名).
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#4
func (c *Client) JSConfig(ctx context.Context, pageURL string, apis ...string) (*JSConfig, error) {
	if _, err := parsePageURL(pageURL); err != nil {
		return nil, err // before any network call
	}
	ticket, err := c.JSAPITicket(ctx)
	if err != nil {
		return nil, err
	}
	nonce, err := newNonce(nonceLen)
	if err != nil {
		return nil, err
	}
	return SignJSConfig(c.appID, ticket, nonce, time.Now().Unix(), pageURL, apis...)
}

// SignJSConfig builds a wx.config object from a ticket you already hold. It is what
// [Client.JSConfig] does after fetching the ticket; use it with tickets from elsewhere or to
// check a signature in tests. The URL is validated like JSConfig's and signed without its
// #fragment. The arguments after appID come in the order of WeChat's string1, like
// [JSSDKSignature]'s.
func SignJSConfig(appID, ticket, nonceStr string, timestamp int64, pageURL string, apis ...string) (*JSConfig, error) {
	signed, err := parsePageURL(pageURL)
	if err != nil {
		return nil, err
	}
	if err := checkJSAPINames(apis); err != nil {
		return nil, err
	}
	list := make([]string, len(apis)) // never nil: wx.config wants [] rather than null
	copy(list, apis)
	return &JSConfig{
		AppID:     appID,
		Timestamp: timestamp,
		NonceStr:  nonceStr,
		Signature: JSSDKSignature(ticket, nonceStr, timestamp, signed),
		JSAPIList: list,
	}, nil
}

// parsePageURL checks that raw is an absolute http(s) URL with a host and returns the string
// to sign: raw itself, byte for byte, up to its first '#'. It is not re-encoded, because the
// signature must match what the page computes from location.href.
func parsePageURL(raw string) (string, error) {
	if len(raw) > maxPageURLLen {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidPageURL, maxPageURLLen)
	}
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		raw = raw[:i]
	}
	for i := 0; i < len(raw); i++ {
		if b := raw[i]; b <= ' ' || b == 0x7f {
			return "", fmt.Errorf("%w: contains a space or control character", ErrInvalidPageURL)
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: cannot parse", ErrInvalidPageURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%w: scheme must be http or https", ErrInvalidPageURL)
	}
	if u.Hostname() == "" || u.Opaque != "" {
		return "", fmt.Errorf("%w: not an absolute URL with a host", ErrInvalidPageURL)
	}
	return raw, nil
}

// checkJSAPINames rejects names that cannot be JS-SDK API names, so a typo such as an empty
// string or a comma-joined list fails here rather than silently in the page.
func checkJSAPINames(apis []string) error {
	for _, a := range apis {
		if a == "" {
			return errors.New("offiaccount: empty JS API name")
		}
		for i := 0; i < len(a); i++ {
			if b := a[i]; !isASCIIAlnum(b) && b != '_' && b != '-' {
				return fmt.Errorf("offiaccount: invalid JS API name %q", a)
			}
		}
	}
	return nil
}

func isASCIIAlnum(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

const nonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newNonce returns n characters drawn uniformly from [A-Za-z0-9] with crypto/rand.
func newNonce(n int) (string, error) {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("offiaccount: read random: %w", err)
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting larger bytes keeps every character equally likely.
			if b < 248 && len(out) < n {
				out = append(out, nonceAlphabet[b%62])
			}
		}
	}
	return string(out), nil
}

// JSConfigHandlerOptions configure [Client.JSConfigHandler].
type JSConfigHandlerOptions struct {
	// AllowedHosts lists the hosts whose pages may be signed, normally the account's JS
	// interface safe domains: "example.com" (any port), "example.com:8443" (that port only)
	// or "*.example.com" (any subdomain, not example.com itself). Required: the handler
	// refuses to be a signing service for arbitrary sites.
	AllowedHosts []string
	APIs         []string // jsApiList of every config served
	OpenTags     []string // openTagList of every config served
	Debug        bool     // sets debug in every config served
}

// jsConfigSigner is what the handler needs from a Client; tests give it a fake.
type jsConfigSigner interface {
	JSConfig(ctx context.Context, pageURL string, apis ...string) (*JSConfig, error)
}

type jsConfigHandler struct {
	signer jsConfigSigner
	hosts  []hostRule
	opts   JSConfigHandlerOptions
	logger *slog.Logger
}

// hostRule is one parsed entry of AllowedHosts.
type hostRule struct {
	name     string // lowercased host name, without "*."
	port     string // "" matches any port
	wildcard bool   // match subdomains of name, not name itself
}

func (r hostRule) match(u *url.URL) bool {
	name := strings.ToLower(u.Hostname())
	if r.port != "" && u.Port() != r.port {
		return false
	}
	if r.wildcard {
		return strings.HasSuffix(name, "."+r.name)
	}
	return name == r.name
}

// JSConfigHandler returns an http.Handler a page fetches its wx.config object from:
// GET ?url=<location.href> answers 200 with the [JSConfig] as JSON. Errors are JSON too,
// {"error":"…"}: 400 for a missing or invalid url, 403 for a host not in AllowedHosts, 405
// for a method other than GET or HEAD, 502 when the jsapi_ticket cannot be had. It returns an
// error when AllowedHosts is empty or holds something that is not a host.
func (c *Client) JSConfigHandler(opts JSConfigHandlerOptions) (http.Handler, error) {
	return newJSConfigHandler(c, opts, c.logger)
}

func newJSConfigHandler(s jsConfigSigner, opts JSConfigHandlerOptions, logger *slog.Logger) (*jsConfigHandler, error) {
	if len(opts.AllowedHosts) == 0 {
		return nil, errors.New("offiaccount: JSConfigHandler needs at least one allowed host")
	}
	if err := checkJSAPINames(opts.APIs); err != nil {
		return nil, err
	}
	h := &jsConfigHandler{signer: s, opts: opts, logger: logger}
	for _, e := range opts.AllowedHosts {
		rest, wildcard := strings.CutPrefix(strings.ToLower(strings.TrimSpace(e)), "*.")
		u, err := url.Parse("http://" + rest)
		if err != nil || u.Host != rest || u.Hostname() == "" || strings.ContainsAny(rest, "*[]") {
			return nil, fmt.Errorf("offiaccount: allowed host %q is not a host name", e)
		}
		h.hosts = append(h.hosts, hostRule{name: u.Hostname(), port: u.Port(), wildcard: wildcard})
	}
	return h, nil
}

func (h *jsConfigHandler) allowed(u *url.URL) bool {
	for _, r := range h.hosts {
		if r.match(u) {
			return true
		}
	}
	return false
}

func (h *jsConfigHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeJSONError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	raw := r.URL.Query()["url"]
	if len(raw) != 1 || raw[0] == "" {
		writeJSONError(w, http.StatusBadRequest, "exactly one url parameter is required")
		return
	}
	signed, err := parsePageURL(raw[0])
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	u, _ := url.Parse(signed) // parsePageURL parsed it already
	if !h.allowed(u) {
		writeJSONError(w, http.StatusForbidden, "host not allowed")
		return
	}
	cfg, err := h.signer.JSConfig(r.Context(), raw[0], h.opts.APIs...)
	if err != nil {
		h.logger.LogAttrs(r.Context(), slog.LevelError, "offiaccount: sign wx.config", slog.String("error", err.Error()))
		writeJSONError(w, http.StatusBadGateway, "jsapi_ticket unavailable")
		return
	}
	cfg.Debug = h.opts.Debug
	if len(h.opts.OpenTags) > 0 {
		cfg.OpenTagList = append([]string(nil), h.opts.OpenTags...)
	}
	writeJSON(w, http.StatusOK, cfg)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalNoEscape(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// ChooseCardParams selects the cards wx.chooseCard lists. All fields are optional.
type ChooseCardParams struct {
	ShopID   string // 门店 ID (location_id)
	CardType string // card type such as GROUPON or CASH; empty lists every type
	CardID   string // one card_id; empty lists every card
}

// ChooseCardConfig is the object passed to wx.chooseCard, with its JSON names.
type ChooseCardConfig struct {
	ShopID    string `json:"shopId"`
	CardType  string `json:"cardType"`
	CardID    string `json:"cardId"`
	Timestamp int64  `json:"timestamp"`
	NonceStr  string `json:"nonceStr"`
	SignType  string `json:"signType"` // always "SHA1"
	CardSign  string `json:"cardSign"`
}

// ChooseCardConfig signs a wx.chooseCard call with the card api_ticket: cardSign is the
// [CardSignature] of api_ticket, app_id, location_id, timestamp, nonce_str, card_id and
// card_type.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#53
func (c *Client) ChooseCardConfig(ctx context.Context, p ChooseCardParams) (*ChooseCardConfig, error) {
	ticket, err := c.CardTicket(ctx)
	if err != nil {
		return nil, err
	}
	nonce, err := newNonce(nonceLen)
	if err != nil {
		return nil, err
	}
	return signChooseCard(ticket, c.appID, nonce, time.Now().Unix(), p), nil
}

func signChooseCard(ticket, appID, nonce string, ts int64, p ChooseCardParams) *ChooseCardConfig {
	tss := strconv.FormatInt(ts, 10)
	return &ChooseCardConfig{
		ShopID:    p.ShopID,
		CardType:  p.CardType,
		CardID:    p.CardID,
		Timestamp: ts,
		NonceStr:  nonce,
		SignType:  "SHA1",
		CardSign:  CardSignature(ticket, appID, p.ShopID, tss, nonce, p.CardID, p.CardType),
	}
}

// CardExtParams are the merchant's optional parts of a card's cardExt for wx.addCard.
type CardExtParams struct {
	Code                string // custom code (自定义 code); required for use_custom_code cards
	OpenID              string // the only user who may take the card; required for bind_openid cards
	FixedBeginTimestamp int64  // actual start, Unix seconds, for DATE_TYPE_FIX_TERM cards
	OuterStr            string // channel tag reported back in card events
}

// CardExt is the extension a card carries in wx.addCard, with WeChat's JSON names. addCard
// takes it as a JSON string: see [AddCardItem].
type CardExt struct {
	Code                string `json:"code,omitempty"`
	OpenID              string `json:"openid,omitempty"`
	Timestamp           string `json:"timestamp"`
	NonceStr            string `json:"nonce_str"`
	FixedBeginTimestamp int64  `json:"fixed_begintimestamp,omitempty"`
	OuterStr            string `json:"outer_str,omitempty"`
	Signature           string `json:"signature"`
}

// AddCardItem is one entry of wx.addCard's cardList: the card_id and its cardExt, already
// encoded as the JSON string addCard expects.
type AddCardItem struct {
	CardID  string `json:"cardId"`
	CardExt string `json:"cardExt"`
}

// AddCardItem signs one card for wx.addCard with the card api_ticket: the signature is the
// [CardSignature] of api_ticket, timestamp, card_id, code, openid and nonce_str.
//
// WeChat docs: https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#54
func (c *Client) AddCardItem(ctx context.Context, cardID string, p CardExtParams) (*AddCardItem, error) {
	if cardID == "" {
		return nil, errors.New("offiaccount: addCard needs a card_id")
	}
	ticket, err := c.CardTicket(ctx)
	if err != nil {
		return nil, err
	}
	nonce, err := newNonce(nonceLen)
	if err != nil {
		return nil, err
	}
	ext := signCardExt(ticket, cardID, nonce, time.Now().Unix(), p)
	b, err := marshalNoEscape(ext)
	if err != nil {
		return nil, err
	}
	return &AddCardItem{CardID: cardID, CardExt: string(b)}, nil
}

func signCardExt(ticket, cardID, nonce string, ts int64, p CardExtParams) CardExt {
	tss := strconv.FormatInt(ts, 10)
	return CardExt{
		Code:                p.Code,
		OpenID:              p.OpenID,
		Timestamp:           tss,
		NonceStr:            nonce,
		FixedBeginTimestamp: p.FixedBeginTimestamp,
		OuterStr:            p.OuterStr,
		Signature:           CardSignature(ticket, tss, cardID, p.Code, p.OpenID, nonce),
	}
}

// marshalNoEscape encodes v as JSON without escaping <, > and & (WeChat wants them raw).
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ticket returns the cached ticket of kind. Tickets live in the same credential cache as the
// access_token: the same store (shared by every process of the account), refresh margin,
// lock and single flight.
func (c *Client) ticket(ctx context.Context, kind TicketType) (string, error) {
	return c.credential(ctx, "ticket:"+string(kind), func(ctx context.Context) (string, time.Duration, error) {
		return c.fetchTicket(ctx, kind)
	})
}

package offiaccounttest

// Component mode: the fake plays WeChat's Open Platform for third-party platforms
// (第三方平台). It pushes verify tickets to a platform's authorization-event URL on the fake
// clock, lets a test authorize accounts, issues and expires component and authorizer
// tokens, and serves every authorized account's APIs with its authorizer token.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wxgo/offiaccount"
)

// Component-mode lifetimes, on the fake clock.
const (
	// VerifyTicketInterval is how often a verify ticket is pushed.
	VerifyTicketInterval = 10 * time.Minute
	// VerifyTicketLifetime is how long a verify ticket is accepted by api_component_token.
	VerifyTicketLifetime = 12 * time.Hour
	// AuthorizationCodeLifetime is how long an authorization code can be exchanged.
	AuthorizationCodeLifetime = 10 * time.Minute
	// PreAuthCodeLifetime is the expires_in of a pre-authorization code.
	PreAuthCodeLifetime = 1800 * time.Second
)

// Errcodes of the component APIs.
const (
	codeComponentNotAuthorized = 61003 // component is not authorized by this account
	codeVerifyTicketExpired    = 61005
	codeVerifyTicketInvalid    = 61006 // component ticket is invalid
	codeAuthCodeInvalid        = 61009 // code is invalid
	codeRefreshTokenInvalid    = 61023 // refresh_token is invalid
)

// componentState holds every component (third-party platform) the fake knows.
type componentState struct {
	byAppID map[string]*componentRec
	tokens  map[string]*tokenInfo // component_access_tokens
	pushes  []ComponentPushRecord
}

// componentRec is one third-party platform.
type componentRec struct {
	appID, secret, token, aesKey string
	eventURL                     string
	crypter                      *offiaccount.MessageCrypter

	tickets    []ticketRec // newest last
	nextTicket time.Time
	preAuth    map[string]time.Time // pre_auth_code → expiry
	codes      map[string]*grantCode
	auths      map[string]*authorizerRec // by authorizer AppID
	order      []string                  // authorizer AppIDs in authorization order
	options    map[string]map[string]string
	fetches    map[string]int // api_authorizer_token answers per authorizer
	compFetch  int
}

type ticketRec struct {
	value string
	at    time.Time
}

type grantCode struct {
	authorizer string
	expires    time.Time
	used       bool
}

type authorizerRec struct {
	refreshToken string
	authTime     time.Time
	funcs        []int
}

// ComponentPushRecord is one push the fake made to an authorization-event URL, with its answer.
type ComponentPushRecord struct {
	InfoType string
	Status   int // HTTP status of the answer
	Body     string
	Err      error // transport error
}

func (p *Platform) componentsLocked() *componentState {
	if p.comp.byAppID == nil {
		p.comp.byAppID = make(map[string]*componentRec)
		p.comp.tokens = make(map[string]*tokenInfo)
	}
	return &p.comp
}

// AddComponent registers a third-party platform: its component AppID and AppSecret and the
// Token and EncodingAESKey with which its pushes and messages are encrypted.
func (p *Platform) AddComponent(appID, secret, token, encodingAESKey string) error {
	c, err := offiaccount.NewMessageCrypter(appID, encodingAESKey)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.componentsLocked().byAppID[appID] = &componentRec{
		appID: appID, secret: secret, token: token, aesKey: encodingAESKey, crypter: c,
		preAuth: make(map[string]time.Time), codes: make(map[string]*grantCode),
		auths: make(map[string]*authorizerRec), options: make(map[string]map[string]string),
		fetches: make(map[string]int),
	}
	return nil
}

// SetComponentEventURL makes the fake push to the platform's authorization-event URL: a
// verify ticket at once and then every 10 minutes of the fake clock (a jump of the clock over
// several intervals pushes only the newest), and the authorized and unauthorized events.
func (p *Platform) SetComponentEventURL(componentAppID, eventURL string) error {
	p.mu.Lock()
	c := p.componentsLocked().byAppID[componentAppID]
	if c != nil {
		c.eventURL = eventURL
		c.nextTicket = p.now
	}
	p.mu.Unlock()
	if c == nil {
		return fmt.Errorf("offiaccounttest: unknown component %s", componentAppID)
	}
	p.pushComponentTickets()
	return nil
}

// VerifyTicket returns the newest verify ticket issued to the platform, or "".
func (p *Platform) VerifyTicket(componentAppID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.componentsLocked().byAppID[componentAppID]; c != nil && len(c.tickets) > 0 {
		return c.tickets[len(c.tickets)-1].value
	}
	return ""
}

// IssueVerifyTicket creates a new verify ticket without pushing it, for tests that hand it
// to the platform themselves.
func (p *Platform) IssueVerifyTicket(componentAppID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.componentsLocked().byAppID[componentAppID]
	if c == nil {
		return ""
	}
	return c.newTicketLocked(p.now)
}

func (c *componentRec) newTicketLocked(now time.Time) string {
	t := "ticket@@@" + randomString(48)
	c.tickets = append(c.tickets, ticketRec{value: t, at: now})
	if len(c.tickets) > 2 {
		c.tickets = c.tickets[len(c.tickets)-2:]
	}
	return t
}

// ticketValidLocked: the newest ticket, or the one before it for one push interval (a
// platform that has not yet stored the newest), within 12 hours.
func (c *componentRec) ticketValidLocked(t string, now time.Time) int {
	for i := len(c.tickets) - 1; i >= 0; i-- {
		tr := c.tickets[i]
		if tr.value != t {
			continue
		}
		if !now.Before(tr.at.Add(VerifyTicketLifetime)) {
			return codeVerifyTicketExpired
		}
		if i < len(c.tickets)-1 && !now.Before(c.tickets[i+1].at.Add(VerifyTicketInterval)) {
			return codeVerifyTicketInvalid // stale
		}
		return 0
	}
	return codeVerifyTicketInvalid
}

// AuthorizeAccount makes the official account authorizerAppID authorize the platform, as
// its admin would on the authorization page, and returns the authorization code. The
// account is created on the fake if it does not exist. With an event URL set, the
// authorized event is pushed (and the platform may exchange the code itself).
func (p *Platform) AuthorizeAccount(componentAppID, authorizerAppID string) (string, error) {
	code, push, err := p.authorize(componentAppID, authorizerAppID)
	if err != nil {
		return "", err
	}
	if push != nil {
		push()
	}
	return code, nil
}

func (p *Platform) authorize(componentAppID, authorizerAppID string) (string, func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.componentsLocked().byAppID[componentAppID]
	if c == nil || authorizerAppID == "" {
		return "", nil, fmt.Errorf("offiaccounttest: unknown component %s or empty AppID", componentAppID)
	}
	if _, ok := p.accounts[authorizerAppID]; !ok {
		p.addAccountLocked(authorizerAppID, randomString(24))
	}
	info := "updateauthorized"
	a := c.auths[authorizerAppID]
	if a == nil {
		info = "authorized"
		a = &authorizerRec{refreshToken: "refreshtoken@@@" + randomString(32), funcs: []int{1, 2, 3, 4, 6, 7, 11}}
		c.auths[authorizerAppID] = a
		c.order = append(c.order, authorizerAppID)
	}
	a.authTime = p.now
	code := "queryauthcode@@@" + randomString(48)
	c.codes[code] = &grantCode{authorizer: authorizerAppID, expires: p.now.Add(AuthorizationCodeLifetime)}
	fields := []Field{
		{Name: "AuthorizerAppid", Value: authorizerAppID},
		{Name: "AuthorizationCode", Value: code},
		{Name: "AuthorizationCodeExpiredTime", Value: strconv.FormatInt(p.now.Add(AuthorizationCodeLifetime).Unix(), 10), Number: true},
		{Name: "PreAuthCode", Value: "preauthcode@@@" + randomString(24)},
	}
	return code, p.pushLater(c, info, fields), nil
}

// RevokeAuthorization cancels an account's authorization: its refresh token and authorizer
// tokens stop working and, with an event URL set, the unauthorized event is pushed.
func (p *Platform) RevokeAuthorization(componentAppID, authorizerAppID string) {
	p.mu.Lock()
	c := p.componentsLocked().byAppID[componentAppID]
	var push func()
	if c != nil && c.auths[authorizerAppID] != nil {
		delete(c.auths, authorizerAppID)
		for _, t := range p.tokens {
			if t.appID == authorizerAppID {
				t.shorten(p.now)
			}
		}
		push = p.pushLater(c, "unauthorized", []Field{{Name: "AuthorizerAppid", Value: authorizerAppID}})
	}
	p.mu.Unlock()
	if push != nil {
		push()
	}
}

// AuthorizerTokenFetches counts the api_authorizer_token answers for one account: a fleet
// that shares its cache keeps this at one per token lifetime.
func (p *Platform) AuthorizerTokenFetches(componentAppID, authorizerAppID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.componentsLocked().byAppID[componentAppID]; c != nil {
		return c.fetches[authorizerAppID]
	}
	return 0
}

// ComponentTokenFetches counts the api_component_token answers for the platform.
func (p *Platform) ComponentTokenFetches(componentAppID string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.componentsLocked().byAppID[componentAppID]; c != nil {
		return c.compFetch
	}
	return 0
}

// pushLater builds the push of one event, to run after p.mu is released; nil without URL.
func (p *Platform) pushLater(c *componentRec, infoType string, fields []Field) func() {
	if c.eventURL == "" {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("<xml><AppId><![CDATA[" + c.appID + "]]></AppId><CreateTime>")
	b.WriteString(strconv.FormatInt(p.now.Unix(), 10))
	b.WriteString("</CreateTime><InfoType><![CDATA[" + infoType + "]]></InfoType>")
	writeFields(&b, fields)
	b.WriteString("</xml>")
	inner := b.Bytes()
	eventURL, token, crypter, appID := c.eventURL, c.token, c.crypter, c.appID
	return func() { p.postComponentEvent(eventURL, token, appID, crypter, infoType, inner) }
}

// postComponentEvent posts one encrypted push, the way WeChat does, and records it.
func (p *Platform) postComponentEvent(eventURL, token, appID string, crypter *offiaccount.MessageCrypter, infoType string, inner []byte) {
	rec := ComponentPushRecord{InfoType: infoType}
	defer func() {
		p.mu.Lock()
		p.comp.pushes = append(p.comp.pushes, rec)
		p.mu.Unlock()
	}()
	enc, err := crypter.Encrypt(inner)
	if err != nil {
		rec.Err = err
		return
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10) // the receiver checks it against its own clock
	nonce := randomString(9)
	q := url.Values{
		"signature": {offiaccount.Signature(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce},
		"encrypt_type": {"aes"}, "msg_signature": {offiaccount.MsgSignature(token, ts, nonce, enc)},
	}
	body := "<xml><AppId><![CDATA[" + appID + "]]></AppId><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, eventURL+sep(eventURL)+q.Encode(), strings.NewReader(body))
	if err != nil {
		rec.Err = err
		return
	}
	req.Header.Set("Content-Type", "text/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		rec.Err = err
		return
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(http.MaxBytesReader(nil, resp.Body, 1<<16))
	rec.Status, rec.Body = resp.StatusCode, out.String()
	if resp.StatusCode != http.StatusOK || rec.Body != "success" {
		rec.Err = errors.New("offiaccounttest: the event URL did not answer success")
	}
}

// sep is what joins a query to u: "&" when u has one already.
func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// ComponentPushes returns every push made to authorization-event URLs so far, in order.
func (p *Platform) ComponentPushes() []ComponentPushRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ComponentPushRecord(nil), p.comp.pushes...)
}

// pushComponentTickets pushes the verify tickets that became due on the fake clock.
func (p *Platform) pushComponentTickets() {
	p.mu.Lock()
	var pushes []func()
	for _, c := range p.componentsLocked().byAppID {
		if c.eventURL == "" {
			continue
		}
		// Only the latest due ticket matters to the receiver: newest wins.
		due := false
		for !c.nextTicket.After(p.now) {
			c.nextTicket = c.nextTicket.Add(VerifyTicketInterval)
			due = true
		}
		if due {
			t := c.newTicketLocked(p.now)
			pushes = append(pushes, p.pushLater(c, "component_verify_ticket", []Field{{Name: "ComponentVerifyTicket", Value: t}}))
		}
	}
	p.mu.Unlock()
	for _, f := range pushes {
		f()
	}
}

// ComponentSender returns a Sender that posts messages of the authorized account
// authorizerAppID the way WeChat does for a third-party platform: in safe mode, sealed with
// the platform's Token, EncodingAESKey and component AppID, to messageURL with "$APPID$"
// replaced by the account's AppID.
func (p *Platform) ComponentSender(componentAppID, authorizerAppID, messageURL string) (*Sender, error) {
	p.mu.Lock()
	c := p.componentsLocked().byAppID[componentAppID]
	p.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("offiaccounttest: unknown component %s", componentAppID)
	}
	return &Sender{
		Target:         strings.ReplaceAll(messageURL, "$APPID$", authorizerAppID),
		Token:          c.token,
		Mode:           ModeSafe,
		AppID:          c.appID,
		EncodingAESKey: c.aesKey,
		Account:        "gh_" + authorizerAppID,
	}, nil
}

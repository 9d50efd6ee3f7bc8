package offiaccounttest

import "time"

// Ticket types of /cgi-bin/ticket/getticket.
const (
	TicketJSAPI  = "jsapi"   // jsapi_ticket, signs wx.config
	TicketWXCard = "wx_card" // api_ticket of the card JS API
)

type ticket struct {
	value   string
	expires time.Time
}

type ticketResponse struct {
	Errcode   int    `json:"errcode"`
	Errmsg    string `json:"errmsg"`
	Ticket    string `json:"ticket"`
	ExpiresIn int64  `json:"expires_in"`
}

// handleGetTicket is GET /cgi-bin/ticket/getticket?type=jsapi|wx_card. The same ticket
// comes back until it expires, with the seconds it has left.
// https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html
func (p *Platform) handleGetTicket(r *request) (any, int) {
	typ := r.get("type")
	if typ != TicketJSAPI && typ != TicketWXCard {
		return nil, codeInvalidArgs
	}
	t := p.ticketLocked(r.acct, typ)
	return ticketResponse{Errmsg: "ok", Ticket: t.value, ExpiresIn: int64(t.expires.Sub(p.now) / time.Second)}, 0
}

func (p *Platform) ticketLocked(a *account, typ string) *ticket {
	t := a.tickets[typ]
	if t == nil || !p.now.Before(t.expires) {
		// Shaped like the official example ticket: 86 URL-safe characters.
		t = &ticket{value: randomString(64), expires: p.now.Add(TicketLifetime)}
		a.tickets[typ] = t
	}
	return t
}

// Ticket returns the live ticket of type typ (TicketJSAPI or TicketWXCard) for appID,
// creating one if none is live, so a test can compute the JS-SDK signature it expects.
// It returns "" for an unknown account or type.
func (p *Platform) Ticket(appID, typ string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok || (typ != TicketJSAPI && typ != TicketWXCard) {
		return ""
	}
	return p.ticketLocked(a, typ).value
}

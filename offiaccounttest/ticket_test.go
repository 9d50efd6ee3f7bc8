package offiaccounttest

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetTicket(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	ticket := func(typ string) reply {
		return get(t, p, "/cgi-bin/ticket/getticket", url.Values{"access_token": {tok}, "type": {typ}})
	}
	tests := []struct {
		typ  string
		want int
	}{
		{TicketJSAPI, 0},
		{TicketWXCard, 0},
		{"", 40097},
		{"JSAPI", 40097},
	}
	for _, tt := range tests {
		t.Run("type="+tt.typ, func(t *testing.T) {
			r := ticket(tt.typ)
			assert.Equal(t, tt.want, r.code(), r.raw)
			if tt.want == 0 {
				assert.Regexp(t, `^\{"errcode":0,"errmsg":"ok","ticket":"[A-Za-z0-9_-]{86}","expires_in":7200\}$`, r.raw)
			}
		})
	}

	js := ticket(TicketJSAPI).str("ticket")
	card := ticket(TicketWXCard).str("ticket")
	assert.NotEqual(t, js, card, "the two types have their own tickets")
	assert.Equal(t, js, p.Ticket(testAppID, TicketJSAPI))
	assert.Equal(t, card, p.Ticket(testAppID, TicketWXCard))
	assert.Empty(t, p.Ticket(testAppID, "other"))
	assert.Empty(t, p.Ticket("wxnobody", TicketJSAPI))

	p.Advance(time.Hour)
	r := ticket(TicketJSAPI)
	assert.Equal(t, js, r.str("ticket"), "the same ticket while it lives")
	assert.Equal(t, int64(3600), r.num("expires_in"))

	p.Advance(time.Hour)
	tok = fetchToken(t, p) // the old access_token has expired by now
	r = ticket(TicketJSAPI)
	require.Equal(t, 0, r.code())
	assert.NotEqual(t, js, r.str("ticket"), "a new ticket after expiry")
	assert.Equal(t, int64(7200), r.num("expires_in"))

	assert.Equal(t, 41001, get(t, p, "/cgi-bin/ticket/getticket", url.Values{"type": {"jsapi"}}).code())
}

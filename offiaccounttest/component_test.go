package offiaccounttest

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/wxgo/offiaccount"
)

const (
	compAppID  = "wx932da8e8f0c80182"
	compSecret = "compsecret"
	compToken  = "comptoken"
	compAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

// eventSink is an authorization-event URL that checks and decrypts what the fake pushes.
type eventSink struct {
	mu     sync.Mutex
	events []map[string]string
}

func newEventSink(t *testing.T) (*eventSink, *httptest.Server) {
	s := &eventSink{}
	crypter, err := offiaccount.NewMessageCrypter(compAppID, compAESKey)
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		body, _ := io.ReadAll(r.Body)
		var env struct {
			AppID   string `xml:"AppId"`
			Encrypt string `xml:"Encrypt"`
		}
		if xml.Unmarshal(body, &env) != nil || q.Get("encrypt_type") != "aes" ||
			!offiaccount.CheckMsgSignature(q.Get("msg_signature"), compToken, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
			http.Error(w, "bad", http.StatusForbidden)
			return
		}
		plain, err := crypter.Decrypt(env.Encrypt)
		if err != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		var fields struct {
			Nodes []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		}
		require.NoError(t, xml.Unmarshal(plain, &fields))
		m := map[string]string{}
		for _, n := range fields.Nodes {
			m[n.XMLName.Local] = n.Value
		}
		s.mu.Lock()
		s.events = append(s.events, m)
		s.mu.Unlock()
		io.WriteString(w, "success")
	}))
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *eventSink) all() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]string(nil), s.events...)
}

func newComponentPlatform(t *testing.T) *Platform {
	p := newTestPlatform(t)
	require.NoError(t, p.AddComponent(compAppID, compSecret, compToken, compAESKey))
	return p
}

func componentToken(t *testing.T, p *Platform, ticket string) reply {
	t.Helper()
	return do(t, p, http.MethodPost, "/cgi-bin/component/api_component_token", nil,
		fmt.Sprintf(`{"component_appid":%q,"component_appsecret":%q,"component_verify_ticket":%q}`, compAppID, compSecret, ticket))
}

func compPost(t *testing.T, p *Platform, path, token, body string) reply {
	t.Helper()
	return do(t, p, http.MethodPost, path, url.Values{"component_access_token": {token}}, body)
}

func TestComponentTicketsPushedOnTheFakeClock(t *testing.T) {
	p := newComponentPlatform(t)
	sink, srv := newEventSink(t)
	require.NoError(t, p.SetComponentEventURL(compAppID, srv.URL))
	p.Advance(10 * time.Minute)
	p.Advance(10 * time.Minute)
	p.Advance(5 * time.Minute)
	evs := sink.all()
	require.Len(t, evs, 3, "at once, then every 10 minutes")
	p.Advance(time.Hour)
	require.Len(t, sink.all(), 4, "a jump of the clock pushes only the newest ticket")
	evs = sink.all()[:3]
	for _, ev := range evs {
		assert.Equal(t, "component_verify_ticket", ev["InfoType"])
		assert.Equal(t, compAppID, ev["AppId"])
	}
	assert.Equal(t, p.VerifyTicket(compAppID), sink.all()[3]["ComponentVerifyTicket"])
	for _, push := range p.ComponentPushes() {
		assert.NoError(t, push.Err)
	}
	assert.Error(t, p.SetComponentEventURL("wxedecc412be32ce30", srv.URL))
}

func TestComponentTokenTicketRules(t *testing.T) {
	p := newComponentPlatform(t)
	old := p.IssueVerifyTicket(compAppID)
	p.Advance(time.Minute)
	newest := p.IssueVerifyTicket(compAppID)
	assert.Equal(t, 0, componentToken(t, p, old).code(), "the previous ticket works for one interval")
	assert.Equal(t, 0, componentToken(t, p, newest).code())
	p.Advance(VerifyTicketInterval)
	assert.Equal(t, codeVerifyTicketInvalid, componentToken(t, p, old).code(), "stale")
	assert.Equal(t, codeVerifyTicketInvalid, componentToken(t, p, "made-up").code())
	p.Advance(VerifyTicketLifetime)
	assert.Equal(t, codeVerifyTicketExpired, componentToken(t, p, newest).code())
	r := do(t, p, http.MethodPost, "/cgi-bin/component/api_component_token", nil,
		fmt.Sprintf(`{"component_appid":%q,"component_appsecret":"wrong","component_verify_ticket":"x"}`, compAppID))
	assert.Equal(t, codeInvalidAppSecret, r.code())
	assert.Equal(t, 2, p.ComponentTokenFetches(compAppID))
}

func TestComponentAuthorizationLifecycle(t *testing.T) {
	p := newComponentPlatform(t)
	sink, srv := newEventSink(t)
	require.NoError(t, p.SetComponentEventURL(compAppID, srv.URL))
	tok := componentToken(t, p, p.VerifyTicket(compAppID)).str("component_access_token")
	require.NotEmpty(t, tok)
	const acct = "wxc83e079108603320"
	code, err := p.AuthorizeAccount(compAppID, acct)
	require.NoError(t, err)
	evs := sink.all()
	assert.Equal(t, "authorized", evs[len(evs)-1]["InfoType"])
	assert.Equal(t, code, evs[len(evs)-1]["AuthorizationCode"])

	body := fmt.Sprintf(`{"component_appid":%q,"authorization_code":%q}`, compAppID, code)
	r := compPost(t, p, "/cgi-bin/component/api_query_auth", tok, body)
	require.Equal(t, 0, r.code(), r.raw)
	info := r.obj["authorization_info"].(map[string]any)
	at, rt := info["authorizer_access_token"].(string), info["authorizer_refresh_token"].(string)
	assert.Equal(t, 0, probe(t, p, at), "an authorizer token works with the account APIs")
	assert.Equal(t, codeAuthCodeInvalid, compPost(t, p, "/cgi-bin/component/api_query_auth", tok, body).code(), "a code works once")

	refresh := fmt.Sprintf(`{"component_appid":%q,"authorizer_appid":%q,"authorizer_refresh_token":%q}`, compAppID, acct, rt)
	r = compPost(t, p, "/cgi-bin/component/api_authorizer_token", tok, refresh)
	require.Equal(t, 0, r.code(), r.raw)
	assert.Equal(t, rt, r.str("authorizer_refresh_token"))
	assert.Equal(t, 2, p.AuthorizerTokenFetches(compAppID, acct))
	at2 := r.str("authorizer_access_token")
	p.Advance(TokenLifetime)
	assert.Equal(t, codeTokenExpired, probe(t, p, at2))
	assert.Equal(t, codeTokenExpired, compPost(t, p, "/cgi-bin/component/api_authorizer_token", tok, refresh).code(), "component token expired too")

	tok = componentToken(t, p, p.VerifyTicket(compAppID)).str("component_access_token")
	list := compPost(t, p, "/cgi-bin/component/api_get_authorizer_list", tok, fmt.Sprintf(`{"component_appid":%q,"offset":0,"count":500}`, compAppID))
	assert.Equal(t, int64(1), list.num("total_count"))
	assert.Equal(t, codeInvalidArgs, compPost(t, p, "/cgi-bin/component/api_get_authorizer_list", tok,
		fmt.Sprintf(`{"component_appid":%q,"offset":0,"count":501}`, compAppID)).code())

	p.RevokeAuthorization(compAppID, acct)
	evs = sink.all()
	assert.Equal(t, "unauthorized", evs[len(evs)-1]["InfoType"])
	assert.Equal(t, codeComponentNotAuthorized, compPost(t, p, "/cgi-bin/component/api_authorizer_token", tok, refresh).code())
	assert.True(t, strings.HasPrefix(compPost(t, p, "/cgi-bin/component/api_create_preauthcode", "bad", `{}`).str("errmsg"), "invalid credential"))
}

// Setup mistakes are errors naming the component, and an event URL that does not answer
// "success" is recorded as a failed push.
func TestComponentSetupErrors(t *testing.T) {
	p := newComponentPlatform(t)
	assert.Error(t, p.AddComponent("wxedecc412be32ce30", compSecret, compToken, "short"), "EncodingAESKey is 43 characters")
	_, err := p.ComponentSender("wxedecc412be32ce30", "wxa", "http://x/$APPID$")
	assert.ErrorContains(t, err, "unknown component wxedecc412be32ce30")
	_, err = p.AuthorizeAccount("wxedecc412be32ce30", "wxa")
	assert.Error(t, err)

	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "fail")
	}))
	t.Cleanup(refuse.Close)
	require.NoError(t, p.SetComponentEventURL(compAppID, refuse.URL))
	pushes := p.ComponentPushes()
	require.Len(t, pushes, 1)
	assert.Equal(t, "component_verify_ticket", pushes[0].InfoType)
	assert.Equal(t, "fail", pushes[0].Body)
	assert.Error(t, pushes[0].Err)
}

// FuzzComponentAPIBodies sends arbitrary bodies to the component APIs: WeChat-shaped JSON,
// never a panic.
func FuzzComponentAPIBodies(f *testing.F) {
	for _, s := range [][2]string{
		{"/cgi-bin/component/api_query_auth", `{"component_appid":"` + compAppID + `","authorization_code":"x"}`},
		{"/cgi-bin/component/api_authorizer_token", `{"component_appid":"` + compAppID + `","authorizer_appid":"wxa","authorizer_refresh_token":"r"}`},
		{"/cgi-bin/component/api_get_authorizer_list", `{"component_appid":"` + compAppID + `","offset":-1,"count":5}`},
		{"/cgi-bin/component/api_set_authorizer_option", `{"component_appid":"` + compAppID + `","authorizer_appid":"wxa","option_name":"voice_recognize","option_value":"1"}`},
		{"/cgi-bin/component/api_component_token", `{"component_appid":"` + compAppID + `"}`},
	} {
		f.Add(s[0], s[1])
	}
	p := NewPlatform(WithPlatformNow(start))
	defer p.Close()
	if err := p.AddComponent(compAppID, compSecret, compToken, compAESKey); err != nil {
		f.Fatal(err)
	}
	if _, err := p.AuthorizeAccount(compAppID, "wxa"); err != nil {
		f.Fatal(err)
	}
	p.mu.Lock()
	tok := &tokenInfo{value: "COMP_fuzz", appID: compAppID, expires: start.Add(time.Hour)}
	p.componentsLocked().tokens[tok.value] = tok
	p.mu.Unlock()
	f.Fuzz(func(t *testing.T, path, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.Path, req.URL.RawQuery = path, "component_access_token=COMP_fuzz"
		p.ServeHTTP(rec, req)
		if rec.Code == http.StatusNotFound {
			return
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s answered non-JSON %q", path, rec.Body.String())
		}
	})
}

package offiaccounttest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxgo/offiaccount/offiaccounttest"
)

// callJSON sends a request with plain net/http and decodes the JSON answer: the fake
// platform works with any client.
func callJSON(method, u, body string) map[string]any {
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		panic(err)
	}
	return out
}

func Example() {
	const appID, secret = "wx0123456789abcdef", "app-secret"
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(appID, secret))
	defer p.Close()

	// Fetch an access_token as a client would, with p.URL() as the base URL.
	q := url.Values{"grant_type": {"client_credential"}, "appid": {appID}, "secret": {secret}}
	tok := callJSON("GET", p.URL()+"/cgi-bin/token?"+q.Encode(), "")
	token := tok["access_token"].(string)
	fmt.Println("expires_in:", tok["expires_in"], "issued:", token == p.AccessToken(appID))

	// Create a menu; the platform keeps it.
	menu := `{"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"}]}`
	res := callJSON("POST", p.URL()+"/cgi-bin/menu/create?access_token="+token, menu)
	buttons, _ := p.Menu(appID)
	fmt.Println("create:", res["errmsg"], "stored key:", buttons[0].Key)

	// WeChat's validation errors come back like the real ones.
	res = callJSON("POST", p.URL()+"/cgi-bin/menu/create?access_token="+token, `{"button":[]}`)
	fmt.Println("empty menu:", res["errcode"])

	// Inject a fault: the next call answers "system busy".
	p.FailNext("/cgi-bin/menu/get", 1, offiaccounttest.Fault{Errcode: -1})
	res = callJSON("GET", p.URL()+"/cgi-bin/menu/get?access_token="+token, "")
	fmt.Println("fault:", res["errcode"])

	// Two hours later on the fake clock, the token has expired.
	p.Advance(2 * time.Hour)
	res = callJSON("GET", p.URL()+"/cgi-bin/menu/get?access_token="+token, "")
	fmt.Println("after 2h:", res["errcode"])

	fmt.Println("calls to menu/get:", p.Calls("/cgi-bin/menu/get"), "token fetches:", p.TokenFetches(appID))
	// Output:
	// expires_in: 7200 issued: true
	// create: ok stored key: V1001_TODAY_MUSIC
	// empty menu: 40016
	// fault: -1
	// after 2h: 42001
	// calls to menu/get: 2 token fetches: 1
}

// A test plays a user who accepted the web-authorization page, then the code under test
// exchanges the code for the user's openid.
func ExamplePlatform_IssueAuthCode() {
	const appID, secret = "wx0123456789abcdef", "app-secret"
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(appID, secret))
	defer p.Close()

	code := p.IssueAuthCode(appID, "o-user-1", offiaccounttest.ScopeBase)
	q := url.Values{"appid": {appID}, "secret": {secret}, "code": {code}, "grant_type": {"authorization_code"}}
	res := callJSON("GET", p.URL()+"/sns/oauth2/access_token?"+q.Encode(), "")
	fmt.Println(res["openid"], res["scope"])

	res = callJSON("GET", p.URL()+"/sns/oauth2/access_token?"+q.Encode(), "")
	fmt.Println("again:", res["errcode"])
	// Output:
	// o-user-1 snsapi_base
	// again: 40163
}

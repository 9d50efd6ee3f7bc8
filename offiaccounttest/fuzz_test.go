package offiaccounttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzMenuBodies sends arbitrary bodies to the menu endpoints: the platform must answer
// WeChat-shaped JSON and never panic, and a menu it accepts must read back as valid.
func FuzzMenuBodies(f *testing.F) {
	f.Add("/cgi-bin/menu/create", seedMenu)
	f.Add("/cgi-bin/menu/create", `{"button":[{"name":"a","sub_button":[{"name":"b","sub_button":[]}]}]}`)
	f.Add("/cgi-bin/menu/addconditional", `{"button":[{"type":"click","name":"a","key":"k"}],"matchrule":{"tag_id":2}}`)
	f.Add("/cgi-bin/menu/addconditional", `{"button":[{"type":"click","name":"a","key":"k"}],"matchrule":{"tag_id":[1]}}`)
	f.Add("/cgi-bin/menu/delconditional", `{"menuid":208379534}`)
	f.Add("/cgi-bin/menu/trymatch", `{"user_id":"o1"}`)
	f.Add("/cgi-bin/stable_token", `{"grant_type":"client_credential","appid":"`+testAppID+`","secret":"`+testSecret+`","force_refresh":true}`)
	p := NewPlatform(WithPlatformAccount(testAppID, testSecret), WithPlatformNow(start))
	defer p.Close()
	p.AddUser(testAppID, UserRecord{OpenID: "o1", TagIDs: []int{2}})
	create := httptest.NewRecorder()
	p.ServeHTTP(create, httptest.NewRequest(http.MethodPost, "/cgi-bin/menu/create?access_token="+p.IssueToken(testAppID), strings.NewReader(seedMenu)))

	f.Fuzz(func(t *testing.T, path, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		tok := p.IssueToken(testAppID)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.Path, req.URL.RawQuery = path, "access_token="+tok
		p.ServeHTTP(rec, req)
		if rec.Code == http.StatusNotFound {
			return
		}
		var answer map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("%s answered non-JSON %q", path, rec.Body.String())
		}
		if path != "/cgi-bin/menu/create" || answer["errcode"] != float64(0) {
			return
		}
		buttons, ok := p.Menu(testAppID)
		if !ok {
			t.Fatal("accepted menu not stored")
		}
		if code := validateMenu(buttons); code != 0 {
			t.Fatalf("stored menu fails validation with %d", code)
		}
	})
}

// FuzzMatchRule decodes arbitrary match rules: an error or strings, never a panic.
func FuzzMatchRule(f *testing.F) {
	f.Add(`{"tag_id":"2","client_platform_type":1}`)
	f.Add(`{"sex":1.5e3,"country":"中国"}`)
	f.Add(`{"tag_id":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		var m MatchRuleRecord
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	})
}

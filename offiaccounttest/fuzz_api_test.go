package offiaccounttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAccountAPIBodies sends arbitrary bodies to the account APIs (messages, templates,
// users and tags, QR codes, media, diagnostics): the platform must answer WeChat-shaped
// JSON, or a file for downloads, never panic, and keep WeChat's limits in its state.
func FuzzAccountAPIBodies(f *testing.F) {
	const form = "multipart/form-data; boundary=XX"
	upload := "--XX\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.png\"\r\n\r\npng\r\n--XX--\r\n"
	for _, s := range [][3]string{
		{"/cgi-bin/message/custom/send", "", `{"touser":"o1","msgtype":"text","text":{"content":"hi"}}`},
		{"/cgi-bin/message/custom/send", "", `{"touser":"o1","msgtype":"news","news":{"articles":[{}]}}`},
		{"/cgi-bin/message/custom/typing", "", `{"touser":"o1","command":"Typing"}`},
		{"/cgi-bin/message/template/send", "", `{"touser":"o1","template_id":"tpl","data":{"a":{"value":"b"}},"client_msg_id":"c"}`},
		{"/cgi-bin/template/api_add_template", "", `{"template_id_short":"1234","keyword_name_list":["x"]}`},
		{"/cgi-bin/template/api_set_industry", "", `{"industry_id1":"1","industry_id2":4}`},
		{"/cgi-bin/user/info/batchget", "", `{"user_list":[{"openid":"o1"}]}`},
		{"/cgi-bin/user/info/updateremark", "", `{"openid":"o1","remark":"r"}`},
		{"/cgi-bin/tags/create", "", `{"tag":{"name":"t"}}`},
		{"/cgi-bin/tags/members/batchtagging", "", `{"openid_list":["o1"],"tagid":100}`},
		{"/cgi-bin/user/tag/get", "", `{"tagid":2,"next_openid":""}`},
		{"/cgi-bin/tags/members/getblacklist", "", ``},
		{"/cgi-bin/tags/members/batchblacklist", "", `{"openid_list":["o1"]}`},
		{"/cgi-bin/qrcode/create", "", `{"expire_seconds":-1,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":1}}}`},
		{"/cgi-bin/media/upload?type=image", form, upload},
		{"/cgi-bin/material/add_material?type=video", form, upload},
		{"/cgi-bin/material/batchget_material", "", `{"type":"image","offset":99,"count":20}`},
		{"/cgi-bin/openapi/quota/get", "", `{"cgi_path":"/cgi-bin/user/info"}`},
		{"/cgi-bin/openapi/rid/get", "", `{"rid":"00000000-00000000-00000000"}`},
	} {
		f.Add(s[0], s[1], s[2])
	}
	p := NewPlatform(WithPlatformAccount(testAppID, testSecret), WithPlatformNow(start), WithPlatformPageSize(2))
	defer p.Close()
	p.AddUser(testAppID, UserRecord{OpenID: "o1"})
	p.AddTemplate(testAppID, TemplateRecord{TemplateID: "tpl"})

	f.Fuzz(func(t *testing.T, target, contentType, body string) {
		path, query, _ := strings.Cut(target, "?")
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.Path, req.URL.RawQuery = path, query+"&access_token="+p.IssueToken(testAppID)
		req.Header.Set("Content-Type", contentType)
		p.ServeHTTP(rec, req)
		if rec.Code == http.StatusNotFound {
			return
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			if !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
				t.Fatalf("%s answered a non-JSON non-file %q", path, rec.Body.String())
			}
			return
		}
		var answer map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("%s answered non-JSON %q", path, rec.Body.String())
		}
		if n := len(p.Tags(testAppID)); n > maxTags+1 {
			t.Fatalf("%d tags", n)
		}
		if u, _ := p.User(testAppID, "o1"); len(u.TagIDs) > maxUserTags || len(u.Remark) > maxRemarkBytes {
			t.Fatalf("user beyond WeChat's limits: %+v", u)
		}
	})
}

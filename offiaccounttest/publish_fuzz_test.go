package offiaccounttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzPublishBodies sends arbitrary bodies to the draft and publishing APIs: the platform
// answers WeChat-shaped JSON, never panics, and keeps WeChat's limits in its state.
func FuzzPublishBodies(f *testing.F) {
	for _, s := range [][2]string{
		{"/cgi-bin/draft/add", `{"articles":[{"title":"t","content":"c","thumb_media_id":"THUMB"}]}`},
		{"/cgi-bin/draft/add", `{"articles":[{"article_type":"newspic","title":"t","content":"c","image_info":{"image_list":[{"image_media_id":"THUMB"}]}}]}`},
		{"/cgi-bin/draft/update", `{"media_id":"M","index":0,"articles":{"title":"t","content":"c","thumb_media_id":"THUMB"}}`},
		{"/cgi-bin/draft/get", `{"media_id":"M"}`},
		{"/cgi-bin/draft/delete", `{"media_id":"M"}`},
		{"/cgi-bin/draft/batchget", `{"offset":0,"count":20,"no_content":1}`},
		{"/cgi-bin/draft/switch?checkonly=1", ``},
		{"/cgi-bin/freepublish/submit", `{"media_id":"M"}`},
		{"/cgi-bin/freepublish/get", `{"publish_id":2247503051}`},
		{"/cgi-bin/freepublish/delete", `{"article_id":"A","index":1}`},
		{"/cgi-bin/freepublish/getarticle", `{"article_id":"A"}`},
		{"/cgi-bin/freepublish/batchget", `{"offset":0,"count":1}`},
	} {
		f.Add(s[0], s[1])
	}
	p := NewPlatform(WithPlatformAccount(testAppID, testSecret), WithPlatformNow(start))
	defer p.Close()
	thumb := p.addMaterialForTest(testAppID)

	f.Fuzz(func(t *testing.T, target, body string) {
		path, query, _ := strings.Cut(target, "?")
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		body = strings.ReplaceAll(body, "THUMB", thumb)
		if d := p.Drafts(testAppID); len(d) > 0 {
			body = strings.ReplaceAll(body, `"M"`, `"`+d[0].MediaID+`"`)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.Path, req.URL.RawQuery = path, query+"&access_token="+p.IssueToken(testAppID)
		p.ServeHTTP(rec, req)
		if rec.Code == http.StatusNotFound {
			return
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s answered %q", path, rec.Body.String())
		}
		p.Advance(time.Second)
		for _, d := range p.Drafts(testAppID) {
			if len(d.Articles) == 0 || len(d.Articles) > maxDraftArticles {
				t.Fatalf("a draft of %d articles was stored", len(d.Articles))
			}
			for _, a := range d.Articles {
				if len([]rune(a.Title)) > maxTitleRunes || a.Title == "" {
					t.Fatalf("title %q stored", a.Title)
				}
			}
		}
	})
}

// addMaterialForTest stores a permanent thumb for appID and returns its media_id.
func (p *Platform) addMaterialForTest(appID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.accounts[appID]
	f := &storedMedia{id: randomString(32), kind: "thumb", name: "t.jpg", data: []byte("jpg"), created: p.now}
	a.media.materials = append(a.media.materials, f)
	return f.id
}

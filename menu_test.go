package offiaccount

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const menuAPI = "https://api.weixin.qq.com"

// seedMenu is the seed example built with the constructors.
func seedMenu() Menu {
	return NewMenu(
		ClickButton("今日歌曲", "V1001_TODAY_MUSIC"),
		SubMenu("菜单",
			ViewButton("搜索", "http://www.soso.com/"),
			MiniProgramButton("wxa", "http://mp.weixin.qq.com", "wx286b93c14bbf93aa", "pages/lunar/index"),
			ClickButton("赞一下我们", "V1001_GOOD"),
		),
	)
}

func TestMenuSeedFixtureRoundTrip(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("testdata", "menu", "seed.json"))
	require.NoError(t, err)

	m, err := LoadMenuFile(filepath.Join("testdata", "menu", "seed.json"))
	require.NoError(t, err)
	require.Len(t, m.Buttons, 2)
	assert.Equal(t, Button{Type: "click", Name: "今日歌曲", Key: "V1001_TODAY_MUSIC"}, m.Buttons[0])
	parent := m.Buttons[1]
	assert.Equal(t, ButtonType(""), parent.Type)
	assert.Equal(t, "菜单", parent.Name)
	require.Len(t, parent.SubButtons, 3)
	assert.Equal(t, Button{Type: "view", Name: "搜索", URL: "http://www.soso.com/"}, parent.SubButtons[0])
	assert.Equal(t, Button{Type: "miniprogram", Name: "wxa", URL: "http://mp.weixin.qq.com",
		AppID: "wx286b93c14bbf93aa", PagePath: "pages/lunar/index"}, parent.SubButtons[1])
	assert.Equal(t, Button{Type: "click", Name: "赞一下我们", Key: "V1001_GOOD"}, parent.SubButtons[2])
	assert.Nil(t, m.MatchRule)
	assert.Equal(t, seedMenu(), m, "constructors build the same menu as the file")

	out, err := m.JSON()
	require.NoError(t, err)
	assert.Equal(t, string(raw), string(out), "encoding the parsed fixture gives back its bytes")
	assert.JSONEq(t, string(raw), string(out))
}

func TestMenuConstructorsWireFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		b    Button
		want string
	}{
		{ClickButton("n", "k"), `{"type":"click","name":"n","key":"k"}`},
		{ViewButton("n", "https://a.example/"), `{"type":"view","name":"n","url":"https://a.example/"}`},
		{MiniProgramButton("n", "https://a.example/", "wxid", "pages/x"), `{"type":"miniprogram","name":"n","url":"https://a.example/","appid":"wxid","pagepath":"pages/x"}`},
		{ScanCodePushButton("n", "k"), `{"type":"scancode_push","name":"n","key":"k"}`},
		{ScanCodeWaitMsgButton("n", "k"), `{"type":"scancode_waitmsg","name":"n","key":"k"}`},
		{PicSysPhotoButton("n", "k"), `{"type":"pic_sysphoto","name":"n","key":"k"}`},
		{PicPhotoOrAlbumButton("n", "k"), `{"type":"pic_photo_or_album","name":"n","key":"k"}`},
		{PicWeixinButton("n", "k"), `{"type":"pic_weixin","name":"n","key":"k"}`},
		{LocationSelectButton("n", "k"), `{"type":"location_select","name":"n","key":"k"}`},
		{MediaButton("n", "MEDIA"), `{"type":"media_id","name":"n","media_id":"MEDIA"}`},
		{ViewLimitedButton("n", "MEDIA"), `{"type":"view_limited","name":"n","media_id":"MEDIA"}`},
		{ArticleButton("n", "ART"), `{"type":"article_id","name":"n","article_id":"ART"}`},
		{ArticleViewLimitedButton("n", "ART"), `{"type":"article_view_limited","name":"n","article_id":"ART"}`},
		{SubMenu("n", ClickButton("c", "k")), `{"name":"n","sub_button":[{"type":"click","name":"c","key":"k"}]}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.b.Type), func(t *testing.T) {
			t.Parallel()
			got, err := NewMenu(tt.b).JSON()
			require.NoError(t, err)
			assert.Equal(t, `{"button":[`+tt.want+`]}`, string(got))
			require.NoError(t, NewMenu(tt.b).Validate(), "every constructor builds a valid button")
		})
	}
}

func TestMenuJSONKeepsUTF8AndURLs(t *testing.T) {
	t.Parallel()
	u := "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1&redirect_uri=https%3A%2F%2Fa.example%2F&response_type=code&scope=snsapi_base&state=<s>#wechat_redirect"
	m := NewMenu(ViewButton("会员中心", u))
	out, err := m.JSON()
	require.NoError(t, err)
	s := string(out)
	assert.Contains(t, s, `"name":"会员中心"`)
	assert.Contains(t, s, `"url":"`+u+`"`)
	assert.NotContains(t, s, `\u`)
	assert.NotContains(t, s, "\n")
}

func TestMenuValidate(t *testing.T) {
	t.Parallel()
	okURL := "https://a.example/"
	tests := []struct {
		name     string
		menu     Menu
		wantPath string // "" means valid
		wantCode int
	}{
		{"one button", NewMenu(ClickButton("a", "k")), "", 0},
		{"three buttons", NewMenu(ClickButton("a", "k"), ClickButton("b", "k"), ClickButton("c", "k")), "", 0},
		{"no buttons", NewMenu(), "button", CodeInvalidButtonCount},
		{"four buttons", NewMenu(ClickButton("a", "k"), ClickButton("b", "k"), ClickButton("c", "k"), ClickButton("d", "k")), "button", CodeInvalidButtonCount},

		{"top name 16 bytes", NewMenu(ClickButton(strings.Repeat("a", 16), "k")), "", 0},
		{"top name 17 bytes", NewMenu(ClickButton(strings.Repeat("a", 17), "k")), "button[0].name", CodeInvalidButtonNameSize},
		{"top name 5 CJK = 15 bytes", NewMenu(ClickButton("一二三四五", "k")), "", 0},
		{"top name 6 CJK = 18 bytes", NewMenu(ClickButton("一二三四五六", "k")), "button[0].name", CodeInvalidButtonNameSize},
		{"empty name", NewMenu(ClickButton("", "k")), "button[0].name", CodeInvalidButtonNameSize},
		{"invalid UTF-8 name", NewMenu(ClickButton("a\xff", "k")), "button[0].name", 0},
		{"U+FFFD itself is fine", NewMenu(ClickButton("a\uFFFD", "k")), "", 0},
		{"newline in name", NewMenu(ClickButton("a\nb", "k")), "button[0].name", 0},
		{"NUL in key", NewMenu(ClickButton("a", "k\x00")), "button[0].key", 0},
		{"invalid UTF-8 in sub media_id", NewMenu(SubMenu("m", MediaButton("a", "\xc3"))), "button[0].sub_button[0].media_id", 0},
		{"line separator in url", NewMenu(ViewButton("a", "https://a.example/\u2028")), "button[0].url", 0},
		{"tab in pagepath", NewMenu(MiniProgramButton("a", "https://a.example/", "wx1", "p\t")), "button[0].pagepath", 0},

		{"sub name 60 bytes", NewMenu(SubMenu("m", ClickButton(strings.Repeat("a", 60), "k"))), "", 0},
		{"sub name 61 bytes", NewMenu(SubMenu("m", ClickButton(strings.Repeat("a", 61), "k"))), "button[0].sub_button[0].name", CodeInvalidSubButtonNameSize},
		{"sub name empty", NewMenu(ClickButton("a", "k"), SubMenu("m", ClickButton("x", "k"), ClickButton("", "k"))), "button[1].sub_button[1].name", CodeInvalidSubButtonNameSize},

		{"five sub-buttons", NewMenu(SubMenu("m", ClickButton("1", "k"), ClickButton("2", "k"), ClickButton("3", "k"), ClickButton("4", "k"), ClickButton("5", "k"))), "", 0},
		{"six sub-buttons", NewMenu(SubMenu("m", ClickButton("1", "k"), ClickButton("2", "k"), ClickButton("3", "k"), ClickButton("4", "k"), ClickButton("5", "k"), ClickButton("6", "k"))), "button[0].sub_button", CodeInvalidSubButtonCount},
		{"zero sub-buttons and no type", NewMenu(SubMenu("m")), "button[0]", CodeInvalidButtonType},
		{"parent with type", NewMenu(Button{Type: ButtonClick, Name: "m", Key: "k", SubButtons: []Button{ClickButton("x", "k")}}), "button[0].type", CodeInvalidButtonType},
		{"third level", NewMenu(SubMenu("m", SubMenu("x", ClickButton("y", "k")))), "button[0].sub_button[0].sub_button", CodeInvalidSubMenuLevel},

		{"unknown type", NewMenu(Button{Type: "tap", Name: "a", Key: "k"}), "button[0].type", CodeInvalidButtonType},
		{"unknown sub type", NewMenu(SubMenu("m", Button{Type: "tap", Name: "a", Key: "k"})), "button[0].sub_button[0].type", CodeInvalidSubButtonType},
		{"sub without type", NewMenu(SubMenu("m", Button{Name: "a"})), "button[0].sub_button[0]", CodeInvalidSubButtonType},

		{"key 128 bytes", NewMenu(ClickButton("a", strings.Repeat("k", 128))), "", 0},
		{"key 129 bytes", NewMenu(ClickButton("a", strings.Repeat("k", 129))), "button[0].key", CodeInvalidButtonKeySize},
		{"sub key 129 bytes", NewMenu(SubMenu("m", LocationSelectButton("a", strings.Repeat("k", 129)))), "button[0].sub_button[0].key", CodeInvalidSubButtonKeySize},

		{"url 1024 bytes", NewMenu(ViewButton("a", okURL+strings.Repeat("p", 1024-len(okURL)))), "", 0},
		{"url 1025 bytes", NewMenu(ViewButton("a", okURL+strings.Repeat("p", 1025-len(okURL)))), "button[0].url", CodeInvalidButtonURLSize},
		{"sub url 1025 bytes", NewMenu(SubMenu("m", ViewButton("a", okURL+strings.Repeat("p", 1025-len(okURL))))), "button[0].sub_button[0].url", CodeInvalidSubButtonURLSize},
		{"relative url", NewMenu(ViewButton("a", "/path")), "button[0].url", CodeInvalidButtonURL},
		{"javascript url", NewMenu(ViewButton("a", "javascript:alert(1)")), "button[0].url", CodeInvalidButtonURL},
		{"sub ftp url", NewMenu(SubMenu("m", ViewButton("a", "ftp://a.example/"))), "button[0].sub_button[0].url", CodeInvalidSubButtonURL},
		{"http url", NewMenu(ViewButton("a", "http://a.example")), "", 0},

		{"click needs key", NewMenu(ClickButton("a", "")), "button[0].key", CodeInvalidButtonType},
		{"scancode_push needs key", NewMenu(ScanCodePushButton("a", "")), "button[0].key", CodeInvalidButtonType},
		{"scancode_waitmsg needs key", NewMenu(ScanCodeWaitMsgButton("a", "")), "button[0].key", CodeInvalidButtonType},
		{"pic_sysphoto needs key", NewMenu(PicSysPhotoButton("a", "")), "button[0].key", CodeInvalidButtonType},
		{"pic_photo_or_album needs key", NewMenu(PicPhotoOrAlbumButton("a", "")), "button[0].key", CodeInvalidButtonType},
		{"pic_weixin needs key", NewMenu(PicWeixinButton("a", "")), "button[0].key", CodeInvalidButtonType},
		{"location_select needs key", NewMenu(SubMenu("m", LocationSelectButton("a", ""))), "button[0].sub_button[0].key", CodeInvalidSubButtonType},
		{"view needs url", NewMenu(ViewButton("a", "")), "button[0].url", CodeInvalidButtonType},
		{"miniprogram needs url", NewMenu(MiniProgramButton("a", "", "wx1", "p")), "button[0].url", CodeInvalidButtonType},
		{"miniprogram needs appid", NewMenu(MiniProgramButton("a", okURL, "", "p")), "button[0].appid", CodeInvalidButtonType},
		{"miniprogram needs pagepath", NewMenu(MiniProgramButton("a", okURL, "wx1", "")), "button[0].pagepath", CodeInvalidButtonType},
		{"media_id needs media_id", NewMenu(MediaButton("a", "")), "button[0].media_id", CodeInvalidButtonType},
		{"view_limited needs media_id", NewMenu(ViewLimitedButton("a", "")), "button[0].media_id", CodeInvalidButtonType},
		{"article_id needs article_id", NewMenu(ArticleButton("a", "")), "button[0].article_id", CodeInvalidButtonType},
		{"article_view_limited needs article_id", NewMenu(ArticleViewLimitedButton("a", "")), "button[0].article_id", CodeInvalidButtonType},

		{"match rule with tag", Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{TagID: "2"}}, "", 0},
		{"match rule with platform", Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{ClientPlatformType: PlatformAndroid}}, "", 0},
		{"empty match rule", Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{}}, "matchrule", CodeMatchRuleEmpty},
		{"region complete", Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{Country: "中国", Province: "广东", City: "广州"}}, "", 0},
		{"province without country", Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{Province: "广东"}}, "matchrule.country", CodeMatchRuleNeedsCountry},
		{"control character in rule", Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{TagID: "1", Language: "zh\r"}}, "matchrule.language", 0},
		{"city without province", Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{Country: "中国", City: "广州"}}, "matchrule.province", CodeMatchRuleNeedsProvince},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.menu.Validate()
			if tt.wantPath == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidMenu)
			var me *MenuError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, tt.wantPath, me.Path)
			assert.Equal(t, tt.wantCode, me.Code)
			assert.NotEmpty(t, me.Problem)
		})
	}
}

func TestMenuErrorMessage(t *testing.T) {
	t.Parallel()
	err := NewMenu(ClickButton("a", "k"), SubMenu("菜单", ClickButton("x", "k"), ClickButton(strings.Repeat("长", 21), "k"))).Validate()
	require.Error(t, err)
	assert.Equal(t, "offiaccount: invalid menu: button[1].sub_button[1].name: is 63 bytes, at most 60 allowed (WeChat errcode 40025)", err.Error())
	assert.NotErrorIs(t, err, ErrBadResponse)

	noCode := &MenuError{Path: "menuid", Problem: "is empty"}
	assert.Equal(t, "offiaccount: invalid menu: menuid: is empty", noCode.Error())
}

func TestParseMenuJSON(t *testing.T) {
	t.Parallel()
	t.Run("conditional with numeric and string rule values and a menuid", func(t *testing.T) {
		t.Parallel()
		m, err := ParseMenuJSON([]byte(`{"button":[{"type":"click","name":"a","key":"k","sub_button":[]}],
			"matchrule":{"tag_id":2,"client_platform_type":"1","language":"zh_CN"},"menuid":208396993}`))
		require.NoError(t, err)
		require.NotNil(t, m.MatchRule)
		assert.Equal(t, MatchRule{TagID: "2", ClientPlatformType: PlatformIOS, Language: "zh_CN"}, *m.MatchRule)
		assert.Equal(t, []Button{ClickButton("a", "k")}, m.Buttons)
	})
	rejects := []struct {
		name, in, want string
	}{
		{"misspelt sub_button", `{"button":[{"name":"m","sub_buttons":[]}]}`, `unknown field "sub_buttons"`},
		{"unknown match rule field", `{"button":[{"type":"click","name":"a","key":"k"}],"matchrule":{"group_id":"2"}}`, `unknown field "group_id"`},
		{"trailing data", `{"button":[{"type":"click","name":"a","key":"k"}]} {}`, "trailing data"},
		{"not JSON", `{"button":`, "unexpected EOF"},
		{"wrong type", `{"button":{}}`, "cannot unmarshal"},
		{"match rule value is an object", `{"button":[{"type":"click","name":"a","key":"k"}],"matchrule":{"tag_id":{}}}`, "string or number"},
		{"valid JSON, invalid menu", `{"button":[]}`, "button: has 0 buttons"},
		{"empty input", ``, "EOF"},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseMenuJSON([]byte(tt.in))
			require.Error(t, err)
			assert.Zero(t, m)
			assert.ErrorIs(t, err, ErrInvalidMenu)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLoadMenuFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	_, err := LoadMenuFile(filepath.Join(dir, "missing.json"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)

	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, []byte(`{"button":[`+strings.Repeat(" ", maxMenuFileSize)+`]}`), 0o600))
	_, err = LoadMenuFile(big)
	require.ErrorIs(t, err, ErrInvalidMenu)
	assert.Contains(t, err.Error(), "larger than")

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"button":[{"type":"click","name":"a"}]}`), 0o600))
	_, err = LoadMenuFile(bad)
	var me *MenuError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "button[0].key", me.Path)
	assert.Contains(t, err.Error(), bad, "the file is named in the error")
}

func FuzzParseMenuJSON(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "menu", "seed.json"))
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte(`{"button":[{"type":"view","name":"a","url":"https://a.example/?a=1&b=<2>"}],"matchrule":{"tag_id":"1"}}`))
	f.Add([]byte(`{"button":[{"name":"m","sub_button":[{"name":"x","sub_button":[]}]}]}`))
	f.Add([]byte(`{"button":[],"matchrule":{"sex":1.5e3}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMenuJSON(data)
		if err != nil {
			assert.ErrorIs(t, err, ErrInvalidMenu)
			return
		}
		// A menu that parses and validates encodes to JSON that parses back to itself.
		out, err := m.JSON()
		require.NoError(t, err)
		assert.NotContains(t, string(out), `\u`, "a valid menu never needs a \\u escape")
		again, err := ParseMenuJSON(out)
		require.NoError(t, err, "re-parsing %s", out)
		assert.Equal(t, normalizeMenu(m), normalizeMenu(again))
	})
}

// normalizeMenu drops the difference between empty and nil sub-button slices, which the
// wire format does not carry.
func normalizeMenu(m Menu) Menu {
	var norm func([]Button) []Button
	norm = func(bs []Button) []Button {
		if len(bs) == 0 {
			return nil
		}
		out := make([]Button, len(bs))
		for i, b := range bs {
			b.SubButtons = norm(b.SubButtons)
			out[i] = b
		}
		return out
	}
	m.Buttons = norm(m.Buttons)
	return m
}

// --- API calls ---

// recorded is one request seen by the mock transport.
type recorded struct {
	method string
	path   string
	query  map[string][]string
	body   []byte
}

// menuMock is a Client whose transport answers the token endpoint and records every other
// request, answering it with the registered body.
type menuMock struct {
	c  *Client
	mt *httpmock.MockTransport

	mu   sync.Mutex
	reqs []recorded
}

func newMenuMock(t *testing.T) *menuMock {
	t.Helper()
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder(http.MethodPost, menuAPI+"/cgi-bin/stable_token",
		httpmock.NewStringResponder(200, `{"access_token":"TOKEN","expires_in":7200}`))
	c, err := NewClient("wx0123456789abcdef", "app-secret", WithClientHTTPClient(&http.Client{Transport: mt}))
	require.NoError(t, err)
	return &menuMock{c: c, mt: mt}
}

// answer registers the JSON answer for method and path, recording the requests.
func (m *menuMock) answer(method, path, body string) {
	m.mt.RegisterResponder(method, menuAPI+path, func(r *http.Request) (*http.Response, error) {
		rec := recorded{method: r.Method, path: r.URL.Path, query: r.URL.Query()}
		if r.Body != nil {
			rec.body, _ = io.ReadAll(r.Body)
		}
		m.mu.Lock()
		m.reqs = append(m.reqs, rec)
		m.mu.Unlock()
		return httpmock.NewStringResponse(200, body), nil
	})
}

// only returns the single API request made, failing if there was not exactly one.
func (m *menuMock) only(t *testing.T) recorded {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	require.Len(t, m.reqs, 1)
	r := m.reqs[0]
	assert.Equal(t, []string{"TOKEN"}, r.query["access_token"], "the call carries the access_token")
	return r
}

// decodeBody decodes a request body into a generic map for field-by-field checks.
func decodeBody(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), "body %s", body)
	return m
}

func TestMenuCreate(t *testing.T) {
	t.Parallel()
	mock := newMenuMock(t)
	mock.answer(http.MethodPost, "/cgi-bin/menu/create", `{"errcode":0,"errmsg":"ok"}`)

	m := seedMenu()
	m.Buttons = append(m.Buttons, ViewButton("会员", "https://a.example/?x=1&y=<2>"))
	require.NoError(t, mock.c.CreateMenu(context.Background(), m))

	r := mock.only(t)
	assert.Equal(t, http.MethodPost, r.method)
	assert.NotContains(t, string(r.body), `\u`, "no \\u escapes: WeChat rejects them")
	assert.Contains(t, string(r.body), `"url":"https://a.example/?x=1&y=<2>"`)

	body := decodeBody(t, r.body)
	assert.Len(t, body, 1, "create sends only the button array")
	buttons := body["button"].([]any)
	require.Len(t, buttons, 3)
	b0 := buttons[0].(map[string]any)
	assert.Equal(t, map[string]any{"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"}, b0)
	b1 := buttons[1].(map[string]any)
	assert.Equal(t, "菜单", b1["name"])
	assert.NotContains(t, b1, "type")
	subs := b1["sub_button"].([]any)
	require.Len(t, subs, 3)
	assert.Equal(t, map[string]any{"type": "view", "name": "搜索", "url": "http://www.soso.com/"}, subs[0])
	assert.Equal(t, map[string]any{"type": "miniprogram", "name": "wxa", "url": "http://mp.weixin.qq.com",
		"appid": "wx286b93c14bbf93aa", "pagepath": "pages/lunar/index"}, subs[1])
	assert.Equal(t, map[string]any{"type": "click", "name": "赞一下我们", "key": "V1001_GOOD"}, subs[2])
	assert.Equal(t, map[string]any{"type": "view", "name": "会员", "url": "https://a.example/?x=1&y=<2>"}, buttons[2])
}

func TestMenuLocalErrorsSendNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		call func(c *Client) error
		path string
	}{
		{"create invalid", func(c *Client) error { return c.CreateMenu(ctx, NewMenu(ClickButton("a", ""))) }, "button[0].key"},
		{"create with match rule", func(c *Client) error {
			return c.CreateMenu(ctx, Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{TagID: "1"}})
		}, "matchrule"},
		{"conditional without rule", func(c *Client) error {
			_, err := c.AddConditionalMenu(ctx, NewMenu(ClickButton("a", "k")))
			return err
		}, "matchrule"},
		{"conditional with empty rule", func(c *Client) error {
			_, err := c.AddConditionalMenu(ctx, Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{}})
			return err
		}, "matchrule"},
		{"conditional invalid button", func(c *Client) error {
			_, err := c.AddConditionalMenu(ctx, Menu{Buttons: []Button{ViewButton("a", "nope")}, MatchRule: &MatchRule{TagID: "1"}})
			return err
		}, "button[0].url"},
		{"delete conditional without id", func(c *Client) error { return c.DeleteConditionalMenu(ctx, "") }, "menuid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mock := newMenuMock(t)
			err := tt.call(mock.c)
			var me *MenuError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, tt.path, me.Path)
			assert.Zero(t, mock.mt.GetTotalCallCount(), "no request, not even for a token")
		})
	}

	mock := newMenuMock(t)
	_, err := mock.c.TryMatchMenu(ctx, "")
	require.Error(t, err)
	assert.Zero(t, mock.mt.GetTotalCallCount())
}

// getMenuAnswer follows WeChat's documented /cgi-bin/menu/get answer with conditional menus:
// menuid as a number, match-rule values as numbers and strings, empty sub_button on leaves.
const getMenuAnswer = `{
  "menu": {
    "button": [
      {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC", "sub_button": []},
      {"name": "菜单", "sub_button": [
        {"type": "view", "name": "搜索", "url": "http://www.soso.com/", "sub_button": []},
        {"type": "miniprogram", "name": "wxa", "url": "http://mp.weixin.qq.com", "appid": "wx286b93c14bbf93aa", "pagepath": "pages/lunar/index", "sub_button": []},
        {"type": "click", "name": "赞一下我们", "key": "V1001_GOOD", "sub_button": []}
      ]}
    ],
    "menuid": 208396938
  },
  "conditionalmenu": [
    {
      "button": [
        {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC", "sub_button": []},
        {"type": "view_limited", "name": "图文", "media_id": "MEDIA_ID2", "sub_button": []}
      ],
      "matchrule": {"tag_id": 2, "sex": 1, "country": "中国", "province": "广东", "city": "广州", "client_platform_type": "2", "language": "zh_CN"},
      "menuid": 208396993
    }
  ]
}`

func TestMenuGet(t *testing.T) {
	t.Parallel()
	mock := newMenuMock(t)
	mock.answer(http.MethodGet, "/cgi-bin/menu/get", getMenuAnswer)

	info, err := mock.c.GetMenu(context.Background())
	require.NoError(t, err)
	r := mock.only(t)
	assert.Equal(t, http.MethodGet, r.method)
	assert.Empty(t, r.body)

	assert.Equal(t, "208396938", info.MenuID)
	assert.Equal(t, seedMenu(), info.Menu, "empty sub_button arrays of leaves are dropped")
	require.NoError(t, info.Menu.Validate(), "a menu read back can be sent again")

	require.Len(t, info.Conditional, 1)
	cm := info.Conditional[0]
	assert.Equal(t, "208396993", cm.MenuID)
	require.NotNil(t, cm.Menu.MatchRule)
	assert.Equal(t, MatchRule{TagID: "2", Sex: SexMale, Country: "中国", Province: "广东", City: "广州",
		ClientPlatformType: PlatformAndroid, Language: "zh_CN"}, *cm.Menu.MatchRule)
	require.Len(t, cm.Menu.Buttons, 2)
	assert.Equal(t, ViewLimitedButton("图文", "MEDIA_ID2"), cm.Menu.Buttons[1])
}

func TestMenuGetDefaultOnly(t *testing.T) {
	t.Parallel()
	mock := newMenuMock(t)
	mock.answer(http.MethodGet, "/cgi-bin/menu/get", `{"menu":{"button":[{"type":"click","name":"a","key":"k","sub_button":[]}]}}`)
	info, err := mock.c.GetMenu(context.Background())
	require.NoError(t, err)
	assert.Empty(t, info.MenuID)
	assert.Nil(t, info.Conditional)
	assert.Equal(t, []Button{ClickButton("a", "k")}, info.Menu.Buttons)
}

func TestMenuDelete(t *testing.T) {
	t.Parallel()
	mock := newMenuMock(t)
	mock.answer(http.MethodGet, "/cgi-bin/menu/delete", `{"errcode":0,"errmsg":"ok"}`)
	require.NoError(t, mock.c.DeleteMenu(context.Background()))
	r := mock.only(t)
	assert.Equal(t, "/cgi-bin/menu/delete", r.path)
	assert.Empty(t, r.body)
}

// selfMenuAdminPage follows the documented get_current_selfmenu_info answer for a menu set in
// the admin page: sub_button wrapped in "list", news buttons with news_info.
const selfMenuAdminPage = `{
  "is_menu_open": 1,
  "selfmenu_info": {
    "button": [
      {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
      {"name": "button", "sub_button": {"list": [
        {"type": "view", "name": "view_url", "url": "http://www.qq.com"},
        {"type": "news", "name": "news", "value": "KQb_w_Tiz-nSdVLoTV35Psmty8hGBulGhEdbb9SKs-o",
         "news_info": {"list": [
           {"title": "MULTI_NEWS", "author": "JIMZHENG", "digest": "text", "show_cover": 0,
            "cover_url": "http://mmbiz.qpic.cn/mmbiz/GE7et87vE9vicuCibqXsX9GPPLuEtBfXfK0HKuBIa1A1cypS0uY1wickv70iaY1gf3I1DTszuJoS3lAVLvhTcm9sDA/0",
            "content_url": "http://mp.weixin.qq.com/s?__biz=MjM5ODUwNTM3Ng==&mid=204013432&idx=1&sn=80ce6d9abcb832237bf86c87e50fda15#rd",
            "source_url": ""},
           {"title": "MULTI_NEWS1", "author": "JIMZHENG", "digest": "MULTI_NEWS1", "show_cover": 1,
            "cover_url": "http://mmbiz.qpic.cn/cover1", "content_url": "http://mp.weixin.qq.com/s?a=1&b=2", "source_url": "http://source.example/"}
         ]}},
        {"type": "video", "name": "video", "value": "http://61.161.80.54/vweixinp.tc.qq.com/1007_114bcede9a2244eeb5ab7f76d951df5f.f10.mp4"},
        {"type": "voice", "name": "voice", "value": "nTXe3aghlQ4XYHa0AQPWiQQbFW9RVtaYTLPC1PCQx11qc9UB6CiUPFjdkeEtJicn"}
      ]}},
      {"type": "text", "name": "text", "value": "This is text!"}
    ]
  }
}`

func TestMenuGetCurrentSelfMenu(t *testing.T) {
	t.Parallel()
	mock := newMenuMock(t)
	mock.answer(http.MethodGet, "/cgi-bin/get_current_selfmenu_info", selfMenuAdminPage)

	info, err := mock.c.GetCurrentSelfMenu(context.Background())
	require.NoError(t, err)
	mock.only(t)

	assert.True(t, info.IsMenuOpen)
	require.Len(t, info.Buttons, 3)
	assert.Equal(t, SelfMenuButton{Type: ButtonClick, Name: "今日歌曲", Key: "V1001_TODAY_MUSIC"}, info.Buttons[0])
	assert.Equal(t, SelfMenuButton{Type: SelfMenuText, Name: "text", Value: "This is text!"}, info.Buttons[2])

	parent := info.Buttons[1]
	assert.Equal(t, "button", parent.Name)
	assert.Empty(t, parent.Type)
	require.Len(t, parent.SubButtons, 4)
	assert.Equal(t, SelfMenuButton{Type: ButtonView, Name: "view_url", URL: "http://www.qq.com"}, parent.SubButtons[0])
	news := parent.SubButtons[1]
	assert.Equal(t, SelfMenuNews, news.Type)
	assert.Equal(t, "KQb_w_Tiz-nSdVLoTV35Psmty8hGBulGhEdbb9SKs-o", news.Value)
	require.Len(t, news.News, 2)
	assert.Equal(t, SelfMenuArticle{Title: "MULTI_NEWS", Author: "JIMZHENG", Digest: "text", ShowCover: false,
		CoverURL:   "http://mmbiz.qpic.cn/mmbiz/GE7et87vE9vicuCibqXsX9GPPLuEtBfXfK0HKuBIa1A1cypS0uY1wickv70iaY1gf3I1DTszuJoS3lAVLvhTcm9sDA/0",
		ContentURL: "http://mp.weixin.qq.com/s?__biz=MjM5ODUwNTM3Ng==&mid=204013432&idx=1&sn=80ce6d9abcb832237bf86c87e50fda15#rd",
	}, news.News[0])
	assert.True(t, news.News[1].ShowCover)
	assert.Equal(t, "http://source.example/", news.News[1].SourceURL)
	assert.Equal(t, SelfMenuVideo, parent.SubButtons[2].Type)
	assert.Equal(t, SelfMenuVoice, parent.SubButtons[3].Type)
	assert.Nil(t, parent.SubButtons[0].SubButtons)
}

func TestMenuGetCurrentSelfMenuShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   string
		open     bool
		subNames []string
		wantErr  bool
	}{
		{"closed, empty", `{"is_menu_open":0}`, false, nil, false},
		{"plain array sub_button", `{"is_menu_open":1,"selfmenu_info":{"button":[{"name":"m","sub_button":[{"type":"click","name":"x","key":"k"}]}]}}`, true, []string{"x"}, false},
		{"null sub_button", `{"is_menu_open":"1","selfmenu_info":{"button":[{"type":"click","name":"m","key":"k","sub_button":null}]}}`, true, nil, false},
		{"nested sub_button ignored", `{"is_menu_open":1,"selfmenu_info":{"button":[{"name":"m","sub_button":{"list":[{"type":"click","name":"x","key":"k","sub_button":{"list":[{"name":"deep"}]}}]}}]}}`, true, []string{"x"}, false},
		{"sub_button is a string", `{"is_menu_open":1,"selfmenu_info":{"button":[{"name":"m","sub_button":"x"}]}}`, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mock := newMenuMock(t)
			mock.answer(http.MethodGet, "/cgi-bin/get_current_selfmenu_info", tt.answer)
			info, err := mock.c.GetCurrentSelfMenu(context.Background())
			if tt.wantErr {
				require.ErrorIs(t, err, ErrBadResponse)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.open, info.IsMenuOpen)
			var names []string
			for _, b := range info.Buttons {
				for _, s := range b.SubButtons {
					names = append(names, s.Name)
					assert.Nil(t, s.SubButtons)
				}
			}
			assert.Equal(t, tt.subNames, names)
		})
	}
}

func FuzzSelfMenuInfoDecode(f *testing.F) {
	f.Add([]byte(selfMenuAdminPage))
	f.Add([]byte(`{"is_menu_open":1,"selfmenu_info":{"button":[{"name":"m","sub_button":[{"name":"x"}]}]}}`))
	f.Add([]byte(`{"selfmenu_info":{"button":[{"sub_button":"bad"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var w wireSelfMenuInfo
		if json.Unmarshal(data, &w) != nil {
			return
		}
		info, err := w.info()
		if err != nil {
			return
		}
		require.NotNil(t, info)
		for _, b := range info.Buttons {
			for _, s := range b.SubButtons {
				assert.Nil(t, s.SubButtons, "only two levels are ever built")
			}
		}
	})
}

func TestMenuAddConditional(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{`{"menuid":"208379533"}`, `{"menuid":208379533}`} {
		t.Run(answer, func(t *testing.T) {
			t.Parallel()
			mock := newMenuMock(t)
			mock.answer(http.MethodPost, "/cgi-bin/menu/addconditional", answer)

			m := seedMenu()
			m.MatchRule = &MatchRule{TagID: "2", ClientPlatformType: PlatformAndroid}
			id, err := mock.c.AddConditionalMenu(context.Background(), m)
			require.NoError(t, err)
			assert.Equal(t, "208379533", id)

			body := decodeBody(t, mock.only(t).body)
			assert.Equal(t, map[string]any{"tag_id": "2", "client_platform_type": "2"}, body["matchrule"],
				"only the rule fields set are sent, as strings")
			buttons := body["button"].([]any)
			require.Len(t, buttons, 2)
			assert.Equal(t, map[string]any{"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"}, buttons[0])
			assert.Len(t, buttons[1].(map[string]any)["sub_button"], 3)
		})
	}

	t.Run("answer without menuid", func(t *testing.T) {
		t.Parallel()
		mock := newMenuMock(t)
		mock.answer(http.MethodPost, "/cgi-bin/menu/addconditional", `{"errcode":0}`)
		_, err := mock.c.AddConditionalMenu(context.Background(), Menu{Buttons: []Button{ClickButton("a", "k")}, MatchRule: &MatchRule{TagID: "1"}})
		require.ErrorIs(t, err, ErrBadResponse)
	})
}

func TestMenuDeleteConditional(t *testing.T) {
	t.Parallel()
	mock := newMenuMock(t)
	mock.answer(http.MethodPost, "/cgi-bin/menu/delconditional", `{"errcode":0,"errmsg":"ok"}`)
	require.NoError(t, mock.c.DeleteConditionalMenu(context.Background(), "208379533"))
	r := mock.only(t)
	assert.Equal(t, `{"menuid":"208379533"}`, string(r.body), "menuid goes as a string, as documented")
}

func TestMenuTryMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, answer string
	}{
		{"documented shape", `{"button":[{"type":"view","name":"tx","url":"http://www.qq.com/","sub_button":[]},{"name":"m","sub_button":[{"type":"click","name":"c","key":"k","sub_button":[]}]}]}`},
		{"wrapped in menu", `{"menu":{"button":[{"type":"view","name":"tx","url":"http://www.qq.com/"},{"name":"m","sub_button":[{"type":"click","name":"c","key":"k"}]}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mock := newMenuMock(t)
			mock.answer(http.MethodPost, "/cgi-bin/menu/trymatch", tt.answer)
			m, err := mock.c.TryMatchMenu(context.Background(), "oUser-OpenID_1")
			require.NoError(t, err)
			assert.Equal(t, map[string]any{"user_id": "oUser-OpenID_1"}, decodeBody(t, mock.only(t).body))
			want := NewMenu(ViewButton("tx", "http://www.qq.com/"), SubMenu("m", ClickButton("c", "k")))
			assert.Equal(t, want, *m)
		})
	}
}

func TestMenuAPIErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	valid := seedMenu()
	conditional := Menu{Buttons: valid.Buttons, MatchRule: &MatchRule{TagID: "100"}}
	tests := []struct {
		name, method, path, answer string
		call                       func(c *Client) error
		code                       int
		is                         error
	}{
		{"create 40018", http.MethodPost, "/cgi-bin/menu/create", `{"errcode":40018,"errmsg":"invalid button name size rid: 6543-abc"}`,
			func(c *Client) error { return c.CreateMenu(ctx, valid) }, CodeInvalidButtonNameSize, nil},
		{"get 46003", http.MethodGet, "/cgi-bin/menu/get", `{"errcode":46003,"errmsg":"menu no exist"}`,
			func(c *Client) error { _, err := c.GetMenu(ctx); return err }, CodeMenuNotExist, nil},
		{"delete busy", http.MethodGet, "/cgi-bin/menu/delete", `{"errcode":-1,"errmsg":"system error"}`,
			func(c *Client) error { return c.DeleteMenu(ctx) }, CodeBusy, ErrBusy},
		{"self menu quota", http.MethodGet, "/cgi-bin/get_current_selfmenu_info", `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`,
			func(c *Client) error { _, err := c.GetCurrentSelfMenu(ctx); return err }, CodeQuotaReached, ErrQuota},
		{"addconditional 65303", http.MethodPost, "/cgi-bin/menu/addconditional", `{"errcode":65303,"errmsg":"there is no selfmenu, please create selfmenu first"}`,
			func(c *Client) error { _, err := c.AddConditionalMenu(ctx, conditional); return err }, CodeNoDefaultMenu, nil},
		{"addconditional 65320", http.MethodPost, "/cgi-bin/menu/addconditional", `{"errcode":65320,"errmsg":"privacy"}`,
			func(c *Client) error { _, err := c.AddConditionalMenu(ctx, conditional); return err }, CodeMatchRulePrivacy, nil},
		{"delconditional 65301", http.MethodPost, "/cgi-bin/menu/delconditional", `{"errcode":65301,"errmsg":"menuid not exist"}`,
			func(c *Client) error { return c.DeleteConditionalMenu(ctx, "1") }, 65301, nil},
		{"trymatch 46002", http.MethodPost, "/cgi-bin/menu/trymatch", `{"errcode":46002,"errmsg":"not exist"}`,
			func(c *Client) error { _, err := c.TryMatchMenu(ctx, "o1"); return err }, 46002, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mock := newMenuMock(t)
			mock.answer(tt.method, tt.path, tt.answer)
			err := tt.call(mock.c)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.code, apiErr.Code)
			assert.Equal(t, tt.path, apiErr.Path)
			assert.NotContains(t, err.Error(), "TOKEN", "the access_token never reaches an error")
			assert.False(t, errors.Is(err, ErrInvalidMenu), "a WeChat answer is not a local validation error")
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

func TestMenuCallHonoursContext(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = io.WriteString(w, `{"access_token":"TOKEN","expires_in":7200}`)
	}))
	defer srv.Close()
	c, err := NewClient("wx0123456789abcdef", "app-secret", WithClientBaseURL(srv.URL))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, c.DeleteMenu(ctx), context.Canceled)
	assert.Zero(t, calls.Load())
}

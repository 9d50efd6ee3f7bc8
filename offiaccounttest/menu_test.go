package offiaccounttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedMenu is the create body of WeChat's documentation example, with a mini program.
const seedMenu = `{"button":[
 {"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},
 {"name":"菜单","sub_button":[
   {"type":"view","name":"搜索","url":"http://www.soso.com/"},
   {"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index"},
   {"type":"click","name":"赞一下我们","key":"V1001_GOOD"}]}]}`

func menuJSON(buttons ...string) string {
	return `{"button":[` + strings.Join(buttons, ",") + `]}`
}

func TestMenuValidation(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	click := `{"type":"click","name":"a","key":"k"}`
	sub := func(subs ...string) string {
		return `{"name":"more","sub_button":[` + strings.Join(subs, ",") + `]}`
	}
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name, body string
		want       int
	}{
		{"seed menu", seedMenu, 0},
		{"no buttons", menuJSON(), 40016},
		{"four buttons", menuJSON(click, click, click, click), 40016},
		{"unknown type", menuJSON(`{"type":"tap","name":"a","key":"k"}`), 40017},
		{"no type, no sub-buttons", menuJSON(`{"name":"a"}`), 40017},
		{"type and sub-buttons", menuJSON(`{"type":"click","name":"a","key":"k","sub_button":[` + click + `]}`), 40017},
		{"empty name", menuJSON(`{"type":"click","name":"","key":"k"}`), 40018},
		{"name 16 bytes", menuJSON(`{"type":"click","name":"` + long(16) + `","key":"k"}`), 0},
		{"name 17 bytes", menuJSON(`{"type":"click","name":"` + long(17) + `","key":"k"}`), 40018},
		{"name 6 CJK = 18 bytes", menuJSON(`{"type":"click","name":"六个汉字六个","key":"k"}`), 40018},
		{"key 128 bytes", menuJSON(`{"type":"click","name":"a","key":"` + long(128) + `"}`), 0},
		{"key 129 bytes", menuJSON(`{"type":"click","name":"a","key":"` + long(129) + `"}`), 40019},
		{"click without key", menuJSON(`{"type":"click","name":"a"}`), 40019},
		{"location_select without key", menuJSON(`{"type":"location_select","name":"a"}`), 40019},
		{"view without url", menuJSON(`{"type":"view","name":"a"}`), 40020},
		{"view url 1025 bytes", menuJSON(`{"type":"view","name":"a","url":"https://a.cn/` + long(1025-13) + `"}`), 40020},
		{"view url 1024 bytes", menuJSON(`{"type":"view","name":"a","url":"https://a.cn/` + long(1024-13) + `"}`), 0},
		{"view url not http", menuJSON(`{"type":"view","name":"a","url":"javascript:alert(1)"}`), 40055},
		{"miniprogram without appid", menuJSON(`{"type":"miniprogram","name":"a","url":"https://a.cn","pagepath":"p"}`), 47001},
		{"media_id without media_id", menuJSON(`{"type":"media_id","name":"a"}`), 40007},
		{"view_limited ok", menuJSON(`{"type":"view_limited","name":"a","media_id":"m"}`), 0},
		{"article_id ok", menuJSON(`{"type":"article_id","name":"a","article_id":"x"}`), 0},
		{"article_view_limited without id", menuJSON(`{"type":"article_view_limited","name":"a"}`), 47001},
		{"six sub-buttons", menuJSON(sub(click, click, click, click, click, click)), 40023},
		{"five sub-buttons", menuJSON(sub(click, click, click, click, click)), 0},
		{"sub-button name 60 bytes", menuJSON(sub(`{"type":"click","name":"` + long(60) + `","key":"k"}`)), 0},
		{"sub-button name 61 bytes", menuJSON(sub(`{"type":"click","name":"` + long(61) + `","key":"k"}`)), 40025},
		{"sub-button bad type", menuJSON(sub(`{"type":"nope","name":"a"}`)), 40024},
		{"sub-button key too long", menuJSON(sub(`{"type":"click","name":"a","key":"` + long(129) + `"}`)), 40026},
		{"sub-button without url", menuJSON(sub(`{"type":"view","name":"a"}`)), 40027},
		{"sub-button url not http", menuJSON(sub(`{"type":"view","name":"a","url":"ftp://a.cn"}`)), 40054},
		{"third level", menuJSON(sub(`{"name":"a","sub_button":[` + click + `]}`)), 40022},
		{"not JSON", `{"button":`, 47001},
		{"empty body", ``, 44002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, p, "/cgi-bin/menu/create", tok, tt.body)
			assert.Equal(t, tt.want, r.code(), r.raw)
			if tt.want == 0 {
				assert.Equal(t, `{"errcode":0,"errmsg":"ok"}`, r.raw)
			}
		})
	}
}

func TestMenuCreateGetDelete(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	q := url.Values{"access_token": {tok}}

	assert.Equal(t, 46003, get(t, p, "/cgi-bin/menu/get", q).code(), "no menu yet")
	_, ok := p.Menu(testAppID)
	assert.False(t, ok)

	require.Equal(t, 0, post(t, p, "/cgi-bin/menu/create", tok, seedMenu).code())
	r := get(t, p, "/cgi-bin/menu/get", q)
	require.Equal(t, 0, r.code(), r.raw)
	want := `{"menu":{"button":[` +
		`{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC","sub_button":[]},` +
		`{"name":"菜单","sub_button":[` +
		`{"type":"view","name":"搜索","url":"http://www.soso.com/","sub_button":[]},` +
		`{"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index","sub_button":[]},` +
		`{"type":"click","name":"赞一下我们","key":"V1001_GOOD","sub_button":[]}]}]}}`
	assert.Equal(t, want, r.raw)

	buttons, ok := p.Menu(testAppID)
	require.True(t, ok)
	require.Len(t, buttons, 2)
	assert.Equal(t, "V1001_GOOD", buttons[1].SubButton[2].Key)
	buttons[1].SubButton[2].Key = "changed"
	again, _ := p.Menu(testAppID)
	assert.Equal(t, "V1001_GOOD", again[1].SubButton[2].Key, "Menu returns a copy")

	// A second create replaces the first.
	require.Equal(t, 0, post(t, p, "/cgi-bin/menu/create", tok, menuJSON(`{"type":"click","name":"only","key":"K"}`)).code())
	r = get(t, p, "/cgi-bin/menu/get", q)
	assert.Equal(t, `{"menu":{"button":[{"type":"click","name":"only","key":"K","sub_button":[]}]}}`, r.raw)

	// A failed create keeps the stored menu.
	require.Equal(t, 40016, post(t, p, "/cgi-bin/menu/create", tok, menuJSON()).code())
	buttons, _ = p.Menu(testAppID)
	assert.Equal(t, "only", buttons[0].Name)

	assert.Equal(t, `{"errcode":0,"errmsg":"ok"}`, get(t, p, "/cgi-bin/menu/delete", q).raw)
	assert.Equal(t, 46003, get(t, p, "/cgi-bin/menu/get", q).code(), "get after delete")
	assert.Equal(t, 43002, do(t, p, http.MethodGet, "/cgi-bin/menu/create", q, "").code())
}

func TestConditionalMenus(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	q := url.Values{"access_token": {tok}}
	cond := func(rule string) string {
		return `{"button":[{"type":"click","name":"VIP","key":"VIP"}],"matchrule":` + rule + `}`
	}

	assert.Equal(t, 65303, post(t, p, "/cgi-bin/menu/addconditional", tok, cond(`{"tag_id":"2"}`)).code(), "needs a default menu first")
	require.Equal(t, 0, post(t, p, "/cgi-bin/menu/create", tok, seedMenu).code())

	rules := []struct {
		name, rule string
		want       int
	}{
		{"no matchrule", `null`, 65304},
		{"empty matchrule", `{}`, 65304},
		{"sex is private", `{"sex":"1"}`, 65320},
		{"region is private", `{"tag_id":"2","country":"中国"}`, 65320},
		{"language is private", `{"language":"zh_CN"}`, 65320},
	}
	for _, tt := range rules {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, post(t, p, "/cgi-bin/menu/addconditional", tok, cond(tt.rule)).code())
		})
	}
	assert.Equal(t, 40016, post(t, p, "/cgi-bin/menu/addconditional", tok, `{"button":[],"matchrule":{"tag_id":"2"}}`).code())

	r := post(t, p, "/cgi-bin/menu/addconditional", tok, cond(`{"tag_id":"2"}`))
	require.Equal(t, 0, r.code(), r.raw)
	vip := r.str("menuid")
	require.Regexp(t, `^\{"menuid":"[0-9]+"\}$`, r.raw, "menuid comes back as a string")
	// Numbers are accepted in matchrule too, and stored as strings.
	r = post(t, p, "/cgi-bin/menu/addconditional", tok, `{"button":[{"type":"click","name":"iOS","key":"IOS"}],"matchrule":{"client_platform_type":1}}`)
	require.Equal(t, 0, r.code(), r.raw)
	ios := r.str("menuid")

	conds := p.ConditionalMenus(testAppID)
	require.Len(t, conds, 2)
	assert.Equal(t, vip, conds[0].MenuID)
	assert.Equal(t, MatchRuleRecord{ClientPlatformType: "1"}, conds[1].MatchRule)

	var got struct {
		Menu struct {
			MenuID int64 `json:"menuid"`
		} `json:"menu"`
		Conditional []struct {
			MenuID    int64             `json:"menuid"`
			MatchRule map[string]string `json:"matchrule"`
			Button    []map[string]any  `json:"button"`
		} `json:"conditionalmenu"`
	}
	r = get(t, p, "/cgi-bin/menu/get", q)
	require.NoError(t, json.Unmarshal([]byte(r.raw), &got))
	assert.NotZero(t, got.Menu.MenuID, "the default menu shows its id once conditional menus exist")
	require.Len(t, got.Conditional, 2)
	assert.Equal(t, vip, fmt.Sprint(got.Conditional[0].MenuID))
	assert.Equal(t, map[string]string{"tag_id": "2"}, got.Conditional[0].MatchRule)
	assert.Equal(t, "VIP", got.Conditional[0].Button[0]["key"])

	// trymatch: newest matching conditional menu first, else the default menu.
	p.AddUser(testAppID, UserRecord{OpenID: "o-vip-ios", TagIDs: []int{2}, ClientPlatformType: 1})
	p.AddUser(testAppID, UserRecord{OpenID: "o-vip-android", TagIDs: []int{2, 7}, ClientPlatformType: 2})
	p.AddUser(testAppID, UserRecord{OpenID: "o-plain", ClientPlatformType: 2})
	match := func(user string) reply {
		return post(t, p, "/cgi-bin/menu/trymatch", tok, `{"user_id":"`+user+`"}`)
	}
	assert.Equal(t, `{"button":[{"type":"click","name":"iOS","key":"IOS","sub_button":[]}]}`, match("o-vip-ios").raw)
	assert.Equal(t, `{"button":[{"type":"click","name":"VIP","key":"VIP","sub_button":[]}]}`, match("o-vip-android").raw)
	r = match("o-plain")
	assert.Contains(t, r.raw, `"key":"V1001_TODAY_MUSIC"`)
	assert.Equal(t, 65302, match("o-stranger").code())

	// delconditional takes the id as a string or a number.
	assert.Equal(t, 65301, post(t, p, "/cgi-bin/menu/delconditional", tok, `{"menuid":"1"}`).code())
	assert.Equal(t, 0, post(t, p, "/cgi-bin/menu/delconditional", tok, `{"menuid":`+ios+`}`).code())
	assert.Equal(t, 65301, post(t, p, "/cgi-bin/menu/delconditional", tok, `{"menuid":"`+ios+`"}`).code(), "deleted once")
	assert.Contains(t, match("o-vip-ios").raw, `"key":"VIP"`)
	require.Len(t, p.ConditionalMenus(testAppID), 1)

	// delete removes conditional menus too.
	require.Equal(t, 0, get(t, p, "/cgi-bin/menu/delete", q).code())
	assert.Empty(t, p.ConditionalMenus(testAppID))
	assert.Equal(t, 46003, match("o-plain").code())
}

func TestSelfMenuInfo(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	tok := fetchToken(t, p)
	q := url.Values{"access_token": {tok}}

	assert.Equal(t, `{"is_menu_open":0,"selfmenu_info":{"button":[]}}`, get(t, p, "/cgi-bin/get_current_selfmenu_info", q).raw)

	body := menuJSON(`{"type":"click","name":"a","key":"K"}`,
		`{"name":"more","sub_button":[{"type":"view","name":"web","url":"https://example.com/?a=1&b=2"},{"type":"media_id","name":"pic","media_id":"MEDIA"}]}`)
	require.Equal(t, 0, post(t, p, "/cgi-bin/menu/create", tok, body).code())
	want := `{"is_menu_open":1,"selfmenu_info":{"button":[` +
		`{"type":"click","name":"a","key":"K"},` +
		`{"name":"more","sub_button":{"list":[` +
		`{"type":"view","name":"web","url":"https://example.com/?a=1&b=2"},` +
		`{"type":"media_id","name":"pic","value":"MEDIA"}]}}]}}`
	assert.Equal(t, want, get(t, p, "/cgi-bin/get_current_selfmenu_info", q).raw, "& is not HTML-escaped")
}

func TestMenuStateIsPerAccount(t *testing.T) {
	t.Parallel()
	p := newTestPlatform(t)
	p.AddAccount("wxother", "s2")
	require.Equal(t, 0, post(t, p, "/cgi-bin/menu/create", fetchToken(t, p), seedMenu).code())
	_, ok := p.Menu("wxother")
	assert.False(t, ok)
	_, ok = p.Menu(testAppID)
	assert.True(t, ok)
	_, ok = p.Menu("wxnobody")
	assert.False(t, ok)
}

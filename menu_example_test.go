package offiaccount_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/wxgo/offiaccount"
)

// fakeMenuPlatform stands in for api.weixin.qq.com: it hands out a token, prints the body of
// every menu call and answers with reply.
func fakeMenuPlatform(reply string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			_, _ = io.WriteString(w, `{"access_token":"TOKEN","expires_in":7200}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if len(body) == 0 {
			fmt.Println(r.Method, r.URL.Path)
		} else {
			fmt.Println(r.Method, r.URL.Path, string(body))
		}
		_, _ = io.WriteString(w, reply)
	}))
}

func ExampleMenu_JSON() {
	// The example menu of WeChat's documentation, built in Go.
	menu := offiaccount.NewMenu(
		offiaccount.ClickButton("今日歌曲", "V1001_TODAY_MUSIC"),
		offiaccount.SubMenu("菜单",
			offiaccount.ViewButton("搜索", "http://www.soso.com/"),
			offiaccount.MiniProgramButton("wxa", "http://mp.weixin.qq.com", "wx286b93c14bbf93aa", "pages/lunar/index"),
			offiaccount.ClickButton("赞一下我们", "V1001_GOOD"),
		),
	)
	out, err := menu.JSON()
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
	// Output:
	// {"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},{"name":"菜单","sub_button":[{"type":"view","name":"搜索","url":"http://www.soso.com/"},{"type":"miniprogram","name":"wxa","url":"http://mp.weixin.qq.com","appid":"wx286b93c14bbf93aa","pagepath":"pages/lunar/index"},{"type":"click","name":"赞一下我们","key":"V1001_GOOD"}]}]}
}

func ExampleMenu_Validate() {
	menu := offiaccount.NewMenu(
		offiaccount.ClickButton("今日歌曲", "V1001_TODAY_MUSIC"),
		offiaccount.SubMenu("菜单",
			offiaccount.ViewButton("搜索", "www.soso.com"), // no scheme
		),
	)
	err := menu.Validate()
	fmt.Println(err)

	var me *offiaccount.MenuError
	if errors.As(err, &me) {
		fmt.Println(me.Path, me.Code, errors.Is(err, offiaccount.ErrInvalidMenu))
	}
	// Output:
	// offiaccount: invalid menu: button[1].sub_button[0].url: must be an absolute http:// or https:// URL (WeChat errcode 40054)
	// button[1].sub_button[0].url 40054 true
}

func ExampleParseMenuJSON() {
	// A menu kept in a file, in WeChat's own format; LoadMenuFile reads one from disk.
	m, err := offiaccount.ParseMenuJSON([]byte(`{"button":[
		{"type":"click","name":"签到","key":"CHECK_IN"},
		{"name":"更多","sub_buttons":[]}
	]}`))
	fmt.Println(len(m.Buttons), err)
	// Output:
	// 0 offiaccount: invalid menu: json: unknown field "sub_buttons"
}

func ExampleClient_CreateMenu() {
	srv := fakeMenuPlatform(`{"errcode":0,"errmsg":"ok"}`)
	defer srv.Close()
	client, err := offiaccount.NewClient("wx0123456789abcdef", "app-secret", offiaccount.WithClientBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}

	menu := offiaccount.NewMenu(
		offiaccount.ClickButton("今日歌曲", "V1001_TODAY_MUSIC"),
		offiaccount.ViewButton("官网", "https://example.com/?from=menu&v=2"),
	)
	if err := client.CreateMenu(context.Background(), menu); err != nil {
		panic(err)
	}
	// Output:
	// POST /cgi-bin/menu/create {"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC"},{"type":"view","name":"官网","url":"https://example.com/?from=menu&v=2"}]}
}

func ExampleClient_AddConditionalMenu() {
	srv := fakeMenuPlatform(`{"menuid":"208379533"}`)
	defer srv.Close()
	client, _ := offiaccount.NewClient("wx0123456789abcdef", "app-secret", offiaccount.WithClientBaseURL(srv.URL))

	// Users tagged 100 (e.g. "VIP") on Android see this menu instead of the default one.
	menu := offiaccount.Menu{
		Buttons:   []offiaccount.Button{offiaccount.ClickButton("会员福利", "VIP_GIFT")},
		MatchRule: &offiaccount.MatchRule{TagID: "100", ClientPlatformType: offiaccount.PlatformAndroid},
	}
	menuID, err := client.AddConditionalMenu(context.Background(), menu)
	if err != nil {
		panic(err)
	}
	fmt.Println("menuid:", menuID)
	// Output:
	// POST /cgi-bin/menu/addconditional {"button":[{"type":"click","name":"会员福利","key":"VIP_GIFT"}],"matchrule":{"tag_id":"100","client_platform_type":"2"}}
	// menuid: 208379533
}

func ExampleClient_GetMenu() {
	srv := fakeMenuPlatform(`{"menu":{"button":[{"type":"click","name":"今日歌曲","key":"V1001_TODAY_MUSIC","sub_button":[]}],"menuid":208396938},
		"conditionalmenu":[{"button":[{"type":"click","name":"会员福利","key":"VIP_GIFT","sub_button":[]}],"matchrule":{"tag_id":"100"},"menuid":208396993}]}`)
	defer srv.Close()
	client, _ := offiaccount.NewClient("wx0123456789abcdef", "app-secret", offiaccount.WithClientBaseURL(srv.URL))

	info, err := client.GetMenu(context.Background())
	if err != nil {
		var apiErr *offiaccount.APIError
		if errors.As(err, &apiErr) && apiErr.Code == offiaccount.CodeMenuNotExist {
			fmt.Println("no menu yet")
			return
		}
		panic(err)
	}
	fmt.Println("default:", info.Menu.Buttons[0].Name)
	for _, cm := range info.Conditional {
		rule, _ := json.Marshal(cm.Menu.MatchRule)
		fmt.Println("conditional", cm.MenuID, string(rule), cm.Menu.Buttons[0].Name)
	}
	// Output:
	// GET /cgi-bin/menu/get
	// default: 今日歌曲
	// conditional 208396993 {"tag_id":"100"} 会员福利
}

package component_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/component"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// A platform receives its verify ticket, an account authorizes it, and the platform sets
// that account's menu through the account's Client, all against the fake platform.
func ExampleNewPlatform() {
	const appID, secret, token, key = "wxa67c4258c00bb05e", "secret", "token2026", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	wechat := offiaccounttest.NewPlatform()
	defer wechat.Close()
	_ = wechat.AddComponent(appID, secret, token, key)

	p, err := component.NewPlatform(appID, secret, token, key, component.WithPlatformBaseURL(wechat.URL()))
	if err != nil {
		panic(err)
	}
	events := httptest.NewServer(p.AuthEventHandler())
	defer events.Close()
	_ = wechat.SetComponentEventURL(appID, events.URL) // the first ticket is pushed at once

	ctx := context.Background()
	_, _ = wechat.AuthorizeAccount(appID, "wx2a037b332c6619c8") // the authorized event arrives
	c, err := p.AuthorizerClient("wx2a037b332c6619c8")
	if err != nil {
		panic(err)
	}
	err = c.CreateMenu(ctx, offiaccount.NewMenu(offiaccount.ClickButton("今日推荐", "TODAY")))
	buttons, _ := wechat.Menu("wx2a037b332c6619c8")
	fmt.Println(err, buttons[0].Name, wechat.AuthorizerTokenFetches(appID, "wx2a037b332c6619c8"))
	// Output: <nil> 今日推荐 1
}

func ExamplePlatform_AuthURL() {
	p, _ := component.NewPlatform("wxa67c4258c00bb05e", "secret", "token2026", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	u, err := p.AuthURL(component.AuthURLRequest{
		PreAuthCode: "preauthcode@@@xyz", // from p.CreatePreAuthCode(ctx)
		RedirectURI: "https://example.com/authorized",
		AuthType:    component.AuthTypeOfficialAccount,
	})
	fmt.Println(u, err)
	// Output: https://mp.weixin.qq.com/cgi-bin/componentloginpage?component_appid=wxa67c4258c00bb05e&pre_auth_code=preauthcode%40%40%40xyz&redirect_uri=https%3A%2F%2Fexample.com%2Fauthorized&auth_type=1 <nil>
}

func ExampleNewMessageServer() {
	p, _ := component.NewPlatform("wxa67c4258c00bb05e", "secret", "token2026", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	messages, err := component.NewMessageServer(p, func(appID string, h *offiaccount.Handler) error {
		h.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
			return offiaccount.TextReply{Content: component.AuthorizerAppID(ctx) + ": " + m.Content}, nil
		})
		return nil
	}, component.WithMessageServerReleaseCheck())
	mux := http.NewServeMux()
	mux.Handle("/wechat/{appid}/callback", messages) // configured as /wechat/$APPID$/callback
	fmt.Println(err)
	// Output: <nil>
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/component"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// componentSteps runs a third-party platform (第三方平台) for two merchants' accounts: tickets,
// authorization, acting for each account, and their messages at one URL.
func componentSteps(ctx context.Context, wechat *offiaccounttest.Platform) error {
	section("third-party platform (第三方平台) → fake platform")
	const compAppID, compSecret, compToken = "wxaf8bbabe54ea9ae1", "demo-component-secret", "demoComponent2026"
	if err := wechat.AddComponent(compAppID, compSecret, compToken, encodingAESKey); err != nil {
		return err
	}
	p, err := component.NewPlatform(compAppID, compSecret, compToken, encodingAESKey, component.WithPlatformBaseURL(wechat.URL()))
	if err != nil {
		return err
	}
	messages, err := component.NewMessageServer(p, func(appID string, h *offiaccount.Handler) error {
		h.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
			return offiaccount.TextReply{Content: appID + " 收到: " + m.Content}, nil
		})
		return nil
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/component/events", p.AuthEventHandler())
	mux.Handle("/component/{appid}/callback", messages)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	if err := wechat.SetComponentEventURL(compAppID, srv.URL+"/component/events"); err != nil {
		return err
	}
	if _, err := p.ComponentAccessToken(ctx); err != nil {
		return err
	}
	ok("verify ticket", "pushed encrypted to the authorization-event URL; component_access_token fetched with it")
	for _, merchant := range []string{"wxbf7a3e7ade8dace1", "wx188947f4a2c50c3c"} {
		if _, err := wechat.AuthorizeAccount(compAppID, merchant); err != nil {
			return err
		}
		c, err := p.AuthorizerClient(merchant)
		if err != nil {
			return err
		}
		if err := c.CreateMenu(ctx, offiaccount.NewMenu(offiaccount.ClickButton("菜单", "M"))); err != nil {
			return err
		}
		user, err := wechat.ComponentSender(compAppID, merchant, srv.URL+"/component/$APPID$/callback")
		if err != nil {
			return err
		}
		ex, err := user.Send(ctx, offiaccounttest.Text(userOpenID, "在吗"))
		if err != nil {
			return err
		}
		if ex.Reply == nil || ex.Reply.Content != merchant+" 收到: 在吗" {
			return fmt.Errorf("%s: reply %+v", merchant, ex.Reply)
		}
		if n := wechat.AuthorizerTokenFetches(compAppID, merchant); n != 1 {
			return fmt.Errorf("%s: %d authorizer token fetches, want 1", merchant, n)
		}
		ok("authorized", merchant+": tokens from the authorized event, menu set, message answered ("+ex.Reply.Content+")")
	}
	return nil
}

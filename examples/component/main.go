// Command component is a third-party platform (第三方平台) serving the official accounts that
// authorized it: it receives the verify tickets and authorization events at its
// authorization-event URL, sets the menu of every newly authorized account, and answers the
// messages of all accounts at one message URL with $APPID$ in its path. It passes WeChat's
// release check (全网发布) as well.
//
// It runs against the fake WeChat platform of offiaccounttest on loopback, prints each step
// and exits; newServer is what a real deployment keeps, with WithPlatformTokenStore over
// Redis (redisstore) and without WithPlatformBaseURL.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/component"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// The platform's settings (开发资料) as the Open Platform shows them. The key is WeChat's
// documentation sample.
const (
	componentAppID  = "wxc57c415e148501a5"
	componentSecret = "example-component-secret"
	componentToken  = "exampleToken2026"
	componentAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	merchantAppID   = "wx2a037b332c6619c8"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "component example failed:", err)
		os.Exit(1)
	}
}

// server is the platform's HTTP side and what it has done, for the printout.
type server struct {
	platform *component.Platform
	mux      *http.ServeMux

	mu    sync.Mutex
	menus []string // accounts whose menu was set
}

// newServer builds the platform: /wechat/component/events is the authorization-event URL
// (授权事件接收URL), /wechat/{appid}/callback the message URL (消息与事件接收URL, configured as
// https://example.com/wechat/$APPID$/callback).
func newServer(opts ...component.PlatformOption) (*server, error) {
	p, err := component.NewPlatform(componentAppID, componentSecret, componentToken, componentAESKey, opts...)
	if err != nil {
		return nil, err
	}
	s := &server{platform: p, mux: http.NewServeMux()}
	// A newly authorized account: the Platform has already exchanged the code and stored the
	// tokens, so the account's Client works at once.
	p.HandleAuthEvent(component.InfoTypeAuthorized, func(ctx context.Context, e *component.AuthEvent) error {
		c, err := p.AuthorizerClient(e.AuthorizerAppID)
		if err != nil {
			return err
		}
		menu := offiaccount.NewMenu(offiaccount.ClickButton("今日推荐", "TODAY"), offiaccount.ViewButton("官网", "https://example.com/"))
		if err := c.CreateMenu(ctx, menu); err != nil {
			return err
		}
		s.mu.Lock()
		s.menus = append(s.menus, e.AuthorizerAppID)
		s.mu.Unlock()
		return nil
	})
	messages, err := component.NewMessageServer(p, func(appID string, h *offiaccount.Handler) error {
		h.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
			return offiaccount.TextReply{Content: "[" + component.AuthorizerAppID(ctx) + "] 你说: " + m.Content}, nil
		})
		h.HandleEventKey("TODAY", func(context.Context, *offiaccount.Message) (offiaccount.Reply, error) {
			return offiaccount.TextReply{Content: "今天推荐: 第三方平台"}, nil
		})
		return nil
	}, component.WithMessageServerReleaseCheck())
	if err != nil {
		return nil, err
	}
	s.mux.Handle("/wechat/component/events", p.AuthEventHandler())
	s.mux.Handle("/wechat/{appid}/callback", messages)
	return s, nil
}

func run(ctx context.Context, out io.Writer) error {
	wechat := offiaccounttest.NewPlatform()
	defer wechat.Close()
	if err := wechat.AddComponent(componentAppID, componentSecret, componentToken, componentAESKey); err != nil {
		return err
	}
	s, err := newServer(component.WithPlatformBaseURL(wechat.URL()),
		component.WithPlatformLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	site := httptest.NewServer(s.mux)
	defer site.Close()
	p := s.platform

	// 1. WeChat pushes a component_verify_ticket now and every 10 minutes.
	if _, err := p.ComponentAccessToken(ctx); !errors.Is(err, component.ErrNoVerifyTicket) {
		return fmt.Errorf("before any ticket: %v", err)
	}
	if err := wechat.SetComponentEventURL(componentAppID, site.URL+"/wechat/component/events"); err != nil {
		return err
	}
	if _, err := p.ComponentAccessToken(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "1. verify ticket received; component_access_token fetched")

	// 2. The authorization page for a merchant's admin.
	pre, err := p.CreatePreAuthCode(ctx)
	if err != nil {
		return err
	}
	link, err := p.AuthURL(component.AuthURLRequest{PreAuthCode: pre.Code, RedirectURI: "https://example.com/authorized",
		AuthType: component.AuthTypeOfficialAccount})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "2. authorization page:", link[:strings.Index(link, "?")])

	// 3. The admin authorizes; the authorized event arrives and the menu is set.
	if _, err := wechat.AuthorizeAccount(componentAppID, merchantAppID); err != nil {
		return err
	}
	s.mu.Lock()
	menus := append([]string(nil), s.menus...)
	s.mu.Unlock()
	if len(menus) != 1 || menus[0] != merchantAppID {
		return fmt.Errorf("menu set for %v", menus)
	}
	buttons, _ := wechat.Menu(merchantAppID)
	fmt.Fprintf(out, "3. %s authorized; its menu has %d buttons, first %q\n", merchantAppID, len(buttons), buttons[0].Name)

	// 4. A follower of the merchant's account writes to it.
	user, err := wechat.ComponentSender(componentAppID, merchantAppID, site.URL+"/wechat/$APPID$/callback")
	if err != nil {
		return err
	}
	ex, err := user.Send(ctx, offiaccounttest.Text("oFollower001", "你好"))
	if err != nil {
		return err
	}
	if ex.Reply == nil {
		return errors.New("no reply")
	}
	fmt.Fprintln(out, "4. reply:", ex.Reply.Content)

	// 5. The release check's text case.
	check, err := wechat.ComponentSender(componentAppID, component.ReleaseTestAppIDs[0], site.URL+"/wechat/$APPID$/callback")
	if err != nil {
		return err
	}
	ex, err = check.Send(ctx, offiaccounttest.Text("oTester", component.ReleaseCheckText))
	if err != nil || ex.Reply == nil {
		return fmt.Errorf("release check: %v", err)
	}
	fmt.Fprintln(out, "5. release check reply:", ex.Reply.Content)
	return nil
}

// Command demo shows the whole SDK working on one machine, with no WeChat account and no
// network: a fake WeChat platform (offiaccounttest), an example bot built on the SDK's
// callback Handler, an API Client pointed at the platform, and a simulated user talking to
// the bot in all three message modes, and an article published through the draft box. It prints every exchange and exits non-zero if any
// step does not check out.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// The account's settings as the admin page (基本配置) would show them. The EncodingAESKey is
// WeChat's documentation sample, not a real account's.
const (
	appID          = "wxd0e0000000000001"
	appSecret      = "demo-app-secret"
	token          = "demoToken2026"
	encodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	accountID      = "gh_demo_account"
	userOpenID     = "oDemoUser_7Fh2kZp0qW9xLmN3"
)

//go:embed menu.json
var seedMenu []byte

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("\nall steps checked out")
}

func run(ctx context.Context) error {
	fmt.Println("offiaccount demo: fake WeChat platform, example bot and a user, all on loopback")

	platform := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(appID, appSecret))
	defer platform.Close()

	bot, calls, err := newBot()
	if err != nil {
		return err
	}
	published := handlePublishJobs(bot) // publish.go
	mux := http.NewServeMux()
	mux.Handle("/wechat", bot)
	botSrv := httptest.NewServer(mux)
	defer botSrv.Close()
	fmt.Printf("  platform  %s  (stands in for https://api.weixin.qq.com)\n", platform.URL())
	fmt.Printf("  bot       %s/wechat\n", botSrv.URL)

	client, err := offiaccount.NewClient(appID, appSecret, offiaccount.WithClientBaseURL(platform.URL()))
	if err != nil {
		return err
	}
	if err := apiSteps(ctx, client, platform); err != nil {
		return err
	}
	if err := publishSteps(ctx, client, platform, botSrv.URL+"/wechat", published); err != nil {
		return err
	}
	if err := notifySteps(ctx, client, platform, bot, botSrv.URL+"/wechat"); err != nil {
		return err
	}
	for i, mode := range []offiaccounttest.Mode{offiaccounttest.ModePlaintext, offiaccounttest.ModeCompatible, offiaccounttest.ModeSafe} {
		// The user comes back a minute later in each mode: events are deduplicated by user,
		// CreateTime and event, so the same event in the same second counts as a retry.
		later := time.Duration(i) * time.Minute
		user := &offiaccounttest.Sender{
			Target: botSrv.URL + "/wechat", Token: token, Mode: mode,
			AppID: appID, EncodingAESKey: encodingAESKey, Account: accountID,
			Now: func() time.Time { return time.Now().Add(later) },
		}
		if err := userSteps(ctx, user); err != nil {
			return fmt.Errorf("%s mode: %w", mode, err)
		}
	}
	if err := componentSteps(ctx, platform); err != nil {
		return err
	}
	return retrySteps(ctx, botSrv.URL+"/wechat", calls)
}

// newBot is the account's server: what a user of the SDK writes.
func newBot() (*offiaccount.Handler, *atomic.Int32, error) {
	h, err := offiaccount.NewHandler(token, offiaccount.WithHandlerEncodingAESKey(appID, encodingAESKey))
	if err != nil {
		return nil, nil, err
	}
	var textCalls atomic.Int32
	h.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		textCalls.Add(1)
		return offiaccount.TextReply{Content: "你说: " + m.Content}, nil
	})
	h.HandleEvent(offiaccount.EventSubscribe, func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		if scene := m.SceneID(); scene != "" {
			return offiaccount.TextReply{Content: "欢迎关注! (QR scene " + scene + ")"}, nil
		}
		return offiaccount.TextReply{Content: "欢迎关注!"}, nil
	})
	h.HandleEventKey("V1001_GOOD", func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.TextReply{Content: "谢谢你的赞 👍"}, nil
	})
	h.HandleMsg(offiaccount.MsgTypeLocation, func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.TextReply{Content: fmt.Sprintf("你在 %s (%.4f, %.4f)", m.Label, m.LocationX, m.LocationY)}, nil
	})
	return h, &textCalls, nil
}

func apiSteps(ctx context.Context, client *offiaccount.Client, p *offiaccounttest.Platform) error {
	section("API client → fake platform")
	menu, err := offiaccount.ParseMenuJSON(seedMenu)
	if err != nil {
		return err
	}
	if err := client.CreateMenu(ctx, menu); err != nil {
		return err
	}
	ok("create menu", "POST /cgi-bin/menu/create with the seed menu from menu.json (validated locally first)")
	info, err := client.GetMenu(ctx)
	if err != nil {
		return err
	}
	if len(info.Menu.Buttons) != 2 || info.Menu.Buttons[0].Name != "今日歌曲" || len(info.Menu.Buttons[1].SubButtons) != 3 {
		return fmt.Errorf("menu/get returned %+v", info.Menu)
	}
	ok("get menu", fmt.Sprintf("%q + %q with %d sub-buttons, as stored", info.Menu.Buttons[0].Name, info.Menu.Buttons[1].Name, len(info.Menu.Buttons[1].SubButtons)))
	if n := p.TokenFetches(appID); n != 1 {
		return fmt.Errorf("%d token fetches for two calls, want 1", n)
	}
	ok("access_token", "both calls shared one token: 1 fetch from /cgi-bin/stable_token")

	bad := offiaccount.NewMenu(offiaccount.ClickButton("这个名字太长了超过十六字节", "K"))
	err = client.CreateMenu(ctx, bad)
	var menuErr *offiaccount.MenuError
	if !errors.As(err, &menuErr) {
		return fmt.Errorf("an over-long button name was not caught locally: %v", err)
	}
	ok("validation", "refused before any request: "+err.Error())

	cfg, err := client.JSConfig(ctx, "https://demo.example.com/page?id=1#section-2", "updateAppMessageShareData")
	if err != nil {
		return err
	}
	want := offiaccount.JSSDKSignature(p.Ticket(appID, "jsapi"), cfg.NonceStr, cfg.Timestamp, "https://demo.example.com/page?id=1")
	if cfg.Signature != want {
		return fmt.Errorf("JS-SDK signature %s, want %s", cfg.Signature, want)
	}
	ok("JS-SDK", "wx.config signed with the platform's jsapi_ticket, #fragment excluded, signature "+cfg.Signature[:12]+"…")

	p.InvalidateTokens(appID) // as if another server had force-refreshed the token
	if _, err := client.GetMenu(ctx); err != nil {
		return err
	}
	ok("40001 recovery", fmt.Sprintf("token invalidated behind the client's back: the call got 40001, refreshed and retried once (%d fetches)", p.TokenFetches(appID)))

	p.Advance(2 * time.Hour) // the platform's clock: every token expires
	if _, err := client.GetMenu(ctx); err != nil {
		return err
	}
	ok("expiry", fmt.Sprintf("2 h later on the platform's clock: expired token (42001) replaced on the fly (%d fetches)", p.TokenFetches(appID)))
	return nil
}

func userSteps(ctx context.Context, user *offiaccounttest.Sender) error {
	section(fmt.Sprintf("user ↔ bot, %s mode", user.Mode))
	if err := user.Verify(ctx); err != nil {
		return err
	}
	ok("verify URL", "GET with signature/timestamp/nonce: echostr echoed")
	steps := []struct {
		what string
		msg  offiaccounttest.UserMessage
		want string
	}{
		{"subscribe via QR", offiaccounttest.Subscribe(userOpenID, "promo2026"), "欢迎关注! (QR scene promo2026)"},
		{"text", offiaccounttest.Text(userOpenID, "你好 <b>&]]>"), "你说: 你好 <b>&]]>"},
		{"menu click", offiaccounttest.Click(userOpenID, "V1001_GOOD"), "谢谢你的赞 👍"},
		{"location", offiaccounttest.Location(userOpenID, 23.134521, 113.358803, 20, "广州塔"), "你在 广州塔 (23.1345, 113.3588)"},
	}
	for _, s := range steps {
		ex, err := user.Send(ctx, s.msg)
		if err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		if ex.Reply == nil || ex.Reply.Content != s.want {
			return fmt.Errorf("%s: reply %+v, want %q", s.what, ex.Reply, s.want)
		}
		fmt.Printf("  → %-17s %s\n", s.what, describe(ex, user.Mode))
		fmt.Printf("  ← %-17s %q\n", "text reply", ex.Reply.Content)
	}
	return nil
}

func retrySteps(ctx context.Context, target string, calls *atomic.Int32) error {
	section("WeChat's retries")
	user := &offiaccounttest.Sender{Target: target, Token: token, Mode: offiaccounttest.ModeSafe, AppID: appID, EncodingAESKey: encodingAESKey, Account: accountID}
	m := offiaccounttest.Text(userOpenID, "once only")
	m.MsgID = 7_000_000_000_000_000_001
	before := calls.Load()
	first, err := user.Send(ctx, m)
	if err != nil {
		return err
	}
	again, err := user.Send(ctx, m) // WeChat resends the same MsgId when it missed the answer
	if err != nil {
		return err
	}
	if n := calls.Load() - before; n != 1 {
		return fmt.Errorf("the bot's function ran %d times for one MsgId", n)
	}
	if again.Reply == nil || first.Reply == nil || again.Reply.Content != first.Reply.Content {
		return errors.New("the retry did not get the first reply")
	}
	ok("dedupe", fmt.Sprintf("same MsgId sent twice: the function ran once, the retry got the same reply %q", again.Reply.Content))
	return nil
}

func describe(ex *offiaccounttest.Exchange, mode offiaccounttest.Mode) string {
	req := string(ex.Request)
	if i := strings.Index(req, "<MsgType>"); i >= 0 {
		req = req[i:]
	}
	req = strings.TrimSuffix(req, "</xml>")
	if len([]rune(req)) > 90 {
		req = string([]rune(req)[:90]) + "…"
	}
	if mode == offiaccounttest.ModeSafe {
		return fmt.Sprintf("(sealed, %d bytes) %s", len(ex.Body), req)
	}
	return req
}

func section(title string) { fmt.Printf("\n── %s ──\n", title) }

func ok(what, detail string) { fmt.Printf("  ✓ %-15s %s\n", what, detail) }

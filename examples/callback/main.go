// Command callback is an official account's callback server (服务器配置的 URL): it mounts
// offiaccount.Handler in an http.ServeMux and answers text messages, subscriptions (关注)
// and menu clicks (菜单点击).
//
// Run it against WeChat with the admin page's values in the environment:
//
//	WECHAT_TOKEN=… WECHAT_APPID=… WECHAT_AES_KEY=… go run ./examples/callback -addr :8080
//
// WECHAT_APPID and WECHAT_AES_KEY are needed for compatible and safe mode only. With
// -selftest the program plays WeChat itself on loopback, prints the replies and exits.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wxgo/offiaccount"
)

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	selftest := flag.Bool("selftest", false, "play WeChat on loopback, print the replies and exit")
	flag.Parse()

	token, appID, aesKey := os.Getenv("WECHAT_TOKEN"), os.Getenv("WECHAT_APPID"), os.Getenv("WECHAT_AES_KEY")
	if *selftest {
		// WeChat's published sample key; not a real account.
		token, appID, aesKey = "selftest2024", "wx2c2769f8efd9abc2", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	mux, err := newMux(token, appID, aesKey, logger)
	if err != nil {
		logger.Error("configuration", "error", err)
		os.Exit(2)
	}
	if *selftest {
		if err := selfTest(mux, token, appID, aesKey); err != nil {
			fmt.Fprintln(os.Stderr, "selftest failed:", err)
			os.Exit(1)
		}
		return
	}
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	logger.Info("listening", "addr", *addr)
	if err := srv.ListenAndServe(); err != nil {
		logger.Error("server", "error", err)
		os.Exit(1)
	}
}

// newMux builds the routes: the callback at /wechat, a health check beside it.
func newMux(token, appID, aesKey string, logger *slog.Logger) (*http.ServeMux, error) {
	opts := []offiaccount.HandlerOption{offiaccount.WithHandlerLogger(logger)}
	if aesKey != "" {
		opts = append(opts, offiaccount.WithHandlerEncodingAESKey(appID, aesKey))
	}
	h, err := offiaccount.NewHandler(token, opts...)
	if err != nil {
		return nil, err
	}

	// Text messages (文本消息): echo, with a keyword.
	h.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		if strings.TrimSpace(m.Content) == "help" {
			return offiaccount.TextReply{Content: "Menu: 今日歌曲 / 联系客服"}, nil
		}
		return offiaccount.TextReply{Content: "你说：" + m.Content}, nil
	})
	// Subscriptions (关注), with the QR scene when there is one.
	h.HandleEvent(offiaccount.EventSubscribe, func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		if scene := m.SceneID(); scene != "" {
			return offiaccount.TextReply{Content: "欢迎关注！(scene " + scene + ")"}, nil
		}
		return offiaccount.TextReply{Content: "欢迎关注！"}, nil
	})
	// Menu clicks (菜单点击): one key exactly, a family of keys by prefix.
	h.HandleEventKey("V1001_TODAY_MUSIC", func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.MusicReply{Title: "今日歌曲", MusicURL: "https://example.com/today.mp3"}, nil
	})
	h.HandleEventKeyPrefix("CS_", func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.TransferCustomerServiceReply{}, nil
	})
	// Everything else: no reply ("success").
	h.HandleDefault(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return nil, nil
	})

	mux := http.NewServeMux()
	mux.Handle("/wechat", h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	return mux, nil
}

// selfTest plays WeChat against the mux on loopback, in safe mode.
func selfTest(mux http.Handler, token, appID, aesKey string) error {
	srv := httptest.NewServer(mux)
	defer srv.Close()
	crypter, err := offiaccount.NewMessageCrypter(appID, aesKey)
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := "1357924680"

	// URL verification (GET).
	q := url.Values{"signature": {offiaccount.Signature(token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {"echo123"}}
	resp, err := http.Get(srv.URL + "/wechat?" + q.Encode())
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("verify: %d %s\n", resp.StatusCode, b)
	if string(b) != "echo123" {
		return errors.New("verification not echoed")
	}

	head := "<ToUserName><![CDATA[gh_selftest]]></ToUserName><FromUserName><![CDATA[oSelfTestUser]]></FromUserName><CreateTime>" + ts + "</CreateTime>"
	messages := []struct{ name, doc, want string }{
		{"text", "<xml>" + head + "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>1</MsgId></xml>", "你说：hello"},
		{"subscribe", "<xml>" + head + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_42]]></EventKey></xml>", "欢迎关注！(scene 42)"},
		{"menu click", "<xml>" + head + "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey></xml>", "music"},
	}
	for _, m := range messages {
		enc, err := crypter.Encrypt([]byte(m.doc))
		if err != nil {
			return err
		}
		q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "encrypt_type": {"aes"},
			"signature":     {offiaccount.Signature(token, ts, nonce)},
			"msg_signature": {offiaccount.MsgSignature(token, ts, nonce, enc)}}
		body := "<xml><ToUserName><![CDATA[gh_selftest]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
		resp, err := http.Post(srv.URL+"/wechat?"+q.Encode(), "text/xml", strings.NewReader(body))
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		env, err := offiaccount.ParseMessage(b) // the envelope is flat XML too
		if err != nil {
			return fmt.Errorf("%s: %d %s", m.name, resp.StatusCode, b)
		}
		encrypt, _ := env.Field("Encrypt")
		sig, _ := env.Field("MsgSignature")
		rts, _ := env.Field("TimeStamp")
		rnonce, _ := env.Field("Nonce")
		if !offiaccount.CheckMsgSignature(sig, token, rts, rnonce, encrypt) {
			return fmt.Errorf("%s: reply signature does not hold", m.name)
		}
		plain, err := crypter.Decrypt(encrypt)
		if err != nil {
			return err
		}
		reply, err := offiaccount.ParseMessage(plain)
		if err != nil {
			return err
		}
		got := reply.Content
		if reply.MsgType != offiaccount.MsgTypeText {
			got = string(reply.MsgType)
		}
		fmt.Printf("%s: %s\n", m.name, got)
		if got != m.want {
			return fmt.Errorf("%s: got %q, want %q", m.name, got, m.want)
		}
	}
	fmt.Println("selftest passed")
	return nil
}

// Command jssdk serves an H5 page that fetches its wx.config object from the SDK's config
// handler and hands it to the WeChat JS-SDK.
//
// With a real account (the page's host must be a JS interface safe domain, JS接口安全域名,
// and this server's IP in the account's IP whitelist):
//
//	WECHAT_APPID=wx… WECHAT_APPSECRET=… go run ./examples/jssdk -addr :8080 -host h5.example.com
//
// Without one, -fake plays WeChat's ticket endpoints on loopback, so the flow can be seen in
// any browser at http://localhost:8080/ (wx.config itself only runs inside WeChat):
//
//	go run ./examples/jssdk -fake
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/wxgo/offiaccount"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address")
	hosts := flag.String("host", "localhost", "comma-separated hosts whose pages may be signed")
	fake := flag.Bool("fake", false, "answer WeChat's ticket endpoints locally instead of calling WeChat")
	flag.Parse()

	appID, secret := os.Getenv("WECHAT_APPID"), os.Getenv("WECHAT_APPSECRET")
	var opts []offiaccount.ClientOption
	if *fake {
		appID, secret = "wx2c2769f8efd9abc2", "fake-secret"
		base, stop, err := startFakeWeChat()
		if err != nil {
			log.Fatal(err)
		}
		defer stop()
		opts = append(opts, offiaccount.WithClientBaseURL(base))
	}
	if appID == "" || secret == "" {
		log.Fatal("set WECHAT_APPID and WECHAT_APPSECRET, or run with -fake")
	}
	client, err := offiaccount.NewClient(appID, secret, opts...)
	if err != nil {
		log.Fatal(err)
	}
	h, err := newServer(client, strings.Split(*hosts, ","))
	if err != nil {
		log.Fatal(err)
	}

	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	go func() {
		<-ctx.Done()
		shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("serving http://%s/", *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// newServer routes the page and the config handler it fetches from.
func newServer(client *offiaccount.Client, allowedHosts []string) (http.Handler, error) {
	jsconfig, err := client.JSConfigHandler(offiaccount.JSConfigHandlerOptions{
		AllowedHosts: allowedHosts,
		APIs:         []string{"updateAppMessageShareData", "updateTimelineShareData", "scanQRCode"},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /wx/jsconfig", jsconfig)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	return mux, nil
}

// page asks the server to sign its own address (without the #fragment, as WeChat wants) and
// passes the answer to wx.config.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>offiaccount JS-SDK demo</title>
<script src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"></script>
</head>
<body>
<h1>wx.config from the server</h1>
<pre id="config">loading…</pre>
<p id="status"></p>
<script>
const show = (id, text) => { document.getElementById(id).textContent = text; };
const here = location.href.split('#')[0];
fetch('/wx/jsconfig?url=' + encodeURIComponent(here))
  .then(r => r.json().then(body => ({ok: r.ok, body})))
  .then(({ok, body}) => {
    show('config', JSON.stringify(body, null, 2));
    if (!ok) { show('status', 'server refused: ' + body.error); return; }
    if (typeof wx === 'undefined' || !/MicroMessenger/i.test(navigator.userAgent)) {
      show('status', 'open this page inside WeChat to run wx.config');
      return;
    }
    wx.config(body);
    wx.ready(() => show('status', 'wx.config OK'));
    wx.error(err => show('status', 'wx.config failed: ' + JSON.stringify(err)));
  })
  .catch(err => show('status', 'fetch failed: ' + err));
</script>
</body>
</html>
`

// startFakeWeChat answers the token and ticket endpoints on a loopback port.
func startFakeWeChat() (baseURL string, stop func(), err error) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/stable_token", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"access_token":"FAKE_ACCESS_TOKEN","expires_in":7200}`)
	})
	mux.HandleFunc("GET /cgi-bin/ticket/getticket", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","ticket":"FAKE_%s_TICKET","expires_in":7200}`, r.URL.Query().Get("type"))
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

package offiaccount_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/wxgo/offiaccount"
)

// newWebFakeWeChat plays the few WeChat endpoints the JS-SDK and web-authorization examples
// call, with fixed answers.
func newWebFakeWeChat() *httptest.Server {
	mux := http.NewServeMux()
	answer := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, body)
		}
	}
	mux.Handle("POST /cgi-bin/stable_token", answer(`{"access_token":"ACCOUNT_TOKEN","expires_in":7200}`))
	mux.Handle("GET /cgi-bin/ticket/getticket", answer(`{"errcode":0,"errmsg":"ok","ticket":"TICKET","expires_in":7200}`))
	mux.Handle("GET /sns/oauth2/access_token", answer(`{"access_token":"USER_TOKEN","expires_in":7200,
		"refresh_token":"REFRESH","openid":"oUser123","scope":"snsapi_userinfo","unionid":"uUnion456"}`))
	mux.Handle("GET /sns/userinfo", answer(`{"openid":"oUser123","nickname":"Alice","sex":0,
		"province":"","city":"","country":"","headimgurl":"","privilege":[]}`))
	return httptest.NewServer(mux)
}

func ExampleSignJSConfig() {
	// WeChat's documented example (JS-SDK 附录1). The fragment is not signed.
	cfg, err := offiaccount.SignJSConfig("wx2c2769f8efd9abc2",
		"sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value#top", "scanQRCode")
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(cfg)
	fmt.Println(string(b))
	// Output:
	// {"appId":"wx2c2769f8efd9abc2","timestamp":1414587457,"nonceStr":"Wm3WZYTPz0wzccnW","signature":"0f9de62fce790f9a083d5c99e95740ceb90c27ed","jsApiList":["scanQRCode"]}
}

func ExampleClient_JSConfig() {
	wechat := newWebFakeWeChat()
	defer wechat.Close()
	client, err := offiaccount.NewClient("wx2c2769f8efd9abc2", "app-secret", offiaccount.WithClientBaseURL(wechat.URL))
	if err != nil {
		panic(err)
	}

	page := "https://h5.example.com/shop?id=7#/cart"
	cfg, err := client.JSConfig(context.Background(), page, "chooseImage", "scanQRCode")
	if err != nil {
		panic(err)
	}
	// The page computes the same signature from location.href without its fragment.
	want := offiaccount.JSSDKSignature("TICKET", cfg.NonceStr, cfg.Timestamp,
		"https://h5.example.com/shop?id=7")
	fmt.Println(cfg.AppID, cfg.JSAPIList, len(cfg.NonceStr), cfg.Signature == want)

	_, err = client.JSConfig(context.Background(), "/shop?id=7")
	fmt.Println(err)
	// Output:
	// wx2c2769f8efd9abc2 [chooseImage scanQRCode] 16 true
	// offiaccount: invalid page URL: scheme must be http or https
}

func ExampleClient_JSConfigHandler() {
	wechat := newWebFakeWeChat()
	defer wechat.Close()
	client, err := offiaccount.NewClient("wx2c2769f8efd9abc2", "app-secret", offiaccount.WithClientBaseURL(wechat.URL))
	if err != nil {
		panic(err)
	}
	h, err := client.JSConfigHandler(offiaccount.JSConfigHandlerOptions{
		AllowedHosts: []string{"h5.example.com"}, // the JS interface safe domain (JS接口安全域名)
		APIs:         []string{"updateAppMessageShareData"},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /wx/jsconfig", h)
	site := httptest.NewServer(mux)
	defer site.Close()

	for _, page := range []string{"https://h5.example.com/article/1", "https://evil.example/"} {
		resp, err := http.Get(site.URL + "/wx/jsconfig?url=" + url.QueryEscape(page))
		if err != nil {
			panic(err)
		}
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, body["appId"], body["jsApiList"], body["error"])
	}
	// Output:
	// 200 wx2c2769f8efd9abc2 [updateAppMessageShareData] <nil>
	// 403 <nil> <nil> host not allowed
}

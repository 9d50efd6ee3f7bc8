package offiaccount_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wxgo/offiaccount"
)

func ExampleClient_AuthCodeURL() {
	client, err := offiaccount.NewClient("wx2c2769f8efd9abc2", "app-secret")
	if err != nil {
		panic(err)
	}
	// In real code: state, _ := offiaccount.NewOAuthState(), stored in a cookie.
	u, err := client.AuthCodeURL("https://h5.example.com/oauth/callback?next=/me",
		offiaccount.ScopeUserInfo, "Xy7pQ2")
	if err != nil {
		panic(err)
	}
	fmt.Println(u)
	// Output:
	// https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx2c2769f8efd9abc2&redirect_uri=https%3A%2F%2Fh5.example.com%2Foauth%2Fcallback%3Fnext%3D%2Fme&response_type=code&scope=snsapi_userinfo&state=Xy7pQ2#wechat_redirect
}

func ExampleClient_ExchangeCode() {
	wechat := newWebFakeWeChat()
	defer wechat.Close()
	client, err := offiaccount.NewClient("wx2c2769f8efd9abc2", "app-secret", offiaccount.WithClientBaseURL(wechat.URL))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// The redirect URI received ?code=CODE&state=…; the state was checked against the cookie.
	tok, err := client.ExchangeCode(ctx, "CODE")
	if errors.Is(err, offiaccount.ErrOAuthCodeInvalid) {
		return // used or expired: send the user to AuthCodeURL again
	} else if err != nil {
		panic(err)
	}
	fmt.Println(tok.OpenID, tok.UnionID, tok.Scope, tok.Valid())
	fmt.Println(strings.Contains(fmt.Sprint(tok), "USER_TOKEN")) // String and LogValue hide the tokens

	info, err := client.GetOAuthUserInfo(ctx, tok, offiaccount.LangZhCN)
	if err != nil {
		panic(err)
	}
	fmt.Println(info.OpenID, info.Nickname)
	// Output:
	// oUser123 uUnion456 snsapi_userinfo true
	// false
	// oUser123 Alice
}

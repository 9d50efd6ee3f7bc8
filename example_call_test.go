package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Calling an endpoint the package does not wrap: the Client adds the access_token, retries
// once on a rejected token and turns an errcode into an *APIError.
func ExampleClient_Call() {
	client, stop := newExampleServer(map[string]string{
		"/cgi-bin/user/info": `{"subscribe":1,"openid":"o-alice","language":"zh_CN"}`,
		"/cgi-bin/new/api":   `{"errcode":48001,"errmsg":"api unauthorized rid: 64eed8de-4cdaca9b-1be8f193"}`,
	})
	defer stop()
	ctx := context.Background()

	var user struct {
		OpenID   string `json:"openid"`
		Language string `json:"language"`
	}
	err := client.Call(ctx, http.MethodGet, "/cgi-bin/user/info", url.Values{"openid": {"o-alice"}}, nil, &user)
	fmt.Println(user.OpenID, user.Language, err)

	err = client.Call(ctx, http.MethodPost, "/cgi-bin/new/api", nil, map[string]any{"x": 1}, nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Code, apiErr.Message, apiErr.RID)
	}
	// Output:
	// o-alice zh_CN <nil>
	// 48001 api unauthorized 64eed8de-4cdaca9b-1be8f193
}

// Calling an endpoint that takes its credential in the query instead of the account's
// access_token: here /sns/auth with a user's web access_token. The Client adds nothing and
// retries nothing; an errcode still comes back as an *APIError.
func ExampleClient_CallWithoutToken() {
	client, stop := newExampleServer(map[string]string{
		"/sns/auth": `{"errcode":0,"errmsg":"ok"}`,
	})
	defer stop()
	q := url.Values{"access_token": {"USER_WEB_TOKEN"}, "openid": {"o-alice"}}
	var st struct {
		ErrMsg string `json:"errmsg"`
	}
	err := client.CallWithoutToken(context.Background(), http.MethodGet, "/sns/auth", q, nil, &st)
	fmt.Println(st.ErrMsg, err)
	// Output:
	// ok <nil>
}

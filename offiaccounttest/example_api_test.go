package offiaccounttest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// A bot under test answers a user through the customer-service API; the test reads what
// the platform received, and sees WeChat's errors for users it does not know.
func ExamplePlatform_SentMessages() {
	const appID, secret = "wx0123456789abcdef", "app-secret"
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(appID, secret))
	defer p.Close()
	p.AddUser(appID, offiaccounttest.UserRecord{OpenID: "o-alice"})

	client, _ := offiaccount.NewClient(appID, secret, offiaccount.WithClientBaseURL(p.URL()), offiaccount.WithClientHTTPClient(p.Client()))
	ctx := context.Background()
	_ = client.SendCustomText(ctx, "o-alice", "Your order has shipped.")

	for _, m := range p.SentMessages(appID) {
		fmt.Println(m.ToUser, m.MsgType, m.Content)
	}

	err := client.SendCustomText(ctx, "o-stranger", "hello?")
	var apiErr *offiaccount.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("errcode:", apiErr.Code, apiErr.Message)
	}
	// Output:
	// o-alice text Your order has shipped.
	// errcode: 40003 invalid openid
}

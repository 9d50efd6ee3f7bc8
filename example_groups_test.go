package offiaccount

import (
	"context"
	"fmt"
)

// Customer-service staff: list the accounts and who is online.
func ExampleClient_ListKFAccounts() {
	client, stop := newExampleServer(map[string]string{
		"/cgi-bin/customservice/getkflist": `{"kf_list":[{"kf_account":"alice@gh_shop","kf_id":"1001","kf_nick":"小艾","kf_wx":"wx_alice"},` +
			`{"kf_account":"bob@gh_shop","kf_id":"1002","kf_nick":"小波","invite_wx":"wx_bob","invite_expire_time":1700000000,"invite_status":"waiting"}]}`,
		"/cgi-bin/customservice/getonlinekflist": `{"kf_online_list":[{"kf_account":"alice@gh_shop","status":1,"kf_id":"1001","accepted_case":3}]}`,
	})
	defer stop()
	ctx := context.Background()

	staff, _ := client.ListKFAccounts(ctx)
	for _, k := range staff {
		fmt.Printf("%s %s [%s]\n", k.Account, k.Nickname, k.InviteStatus)
	}
	online, _ := client.ListOnlineKFAccounts(ctx)
	fmt.Println(online[0].Account, "serves", online[0].AcceptedCase)
	// Output:
	// alice@gh_shop 小艾 []
	// bob@gh_shop 小波 [waiting]
	// alice@gh_shop serves 3
}

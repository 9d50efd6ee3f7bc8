package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"time"
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

	staff, err := client.ListKFAccounts(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range staff {
		fmt.Printf("%s %s [%s]\n", k.Account, k.Nickname, k.InviteStatus)
	}
	online, err := client.ListOnlineKFAccounts(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(online[0].Account, "serves", online[0].AcceptedCase)
	// Output:
	// alice@gh_shop 小艾 []
	// bob@gh_shop 小波 [waiting]
	// alice@gh_shop serves 3
}

// Statistics: a week of follows and unfollows; dates are days in China.
func ExampleClient_ListUserSummary() {
	client, stop := newExampleServer(map[string]string{
		"/datacube/getusersummary": `{"list":[{"ref_date":"2014-12-07","user_source":30,"new_user":5,"cancel_user":1}]}`,
	})
	defer stop()
	cst := time.FixedZone("CST", 8*3600)
	end := time.Date(2014, 12, 7, 0, 0, 0, 0, cst)

	rows, err := client.ListUserSummary(context.Background(), end.AddDate(0, 0, -6), end)
	fmt.Println(rows, err)
	_, err = client.ListUserSummary(context.Background(), end.AddDate(0, 0, -7), end)
	fmt.Println(err)
	// Output:
	// [{2014-12-07 30 5 1}] <nil>
	// offiaccount: invalid request: /datacube/getusersummary: 2014-11-30 to 2014-12-07 spans 8 days, at most 7
}

// Comments: read the elected comments of an article and reply to one.
func ExampleClient_ListComments() {
	client, stop := newExampleServer(map[string]string{
		"/cgi-bin/comment/list":      `{"errcode":0,"errmsg":"ok","total":1,"comment":[{"user_comment_id":7,"openid":"o-alice","create_time":1700000000,"content":"写得好","comment_type":1}]}`,
		"/cgi-bin/comment/reply/add": `{"errcode":88005,"errmsg":"already reply"}`,
	})
	defer stop()
	ctx := context.Background()

	page, err := client.ListComments(ctx, ListCommentsRequest{MsgDataID: 2247483650, Index: 0, Count: 20, Type: CommentElected})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range page.Comments {
		fmt.Println(c.UserCommentID, c.OpenID, c.Content)
	}
	err = client.AddCommentReply(ctx, 2247483650, 0, 7, "谢谢！")
	fmt.Println(errors.Is(err, ErrInvalidRequest), err)
	// Output:
	// 7 o-alice 写得好
	// false offiaccount: /cgi-bin/comment/reply/add: errcode 88005: already reply
}

// Short keys: keep up to 4 KB with WeChat under a 15-character key.
func ExampleClient_GenShortKey() {
	client, stop := newExampleServer(map[string]string{
		"/cgi-bin/shorten/gen":   `{"errcode":0,"errmsg":"ok","short_key":"iTqRJFSEqk9RvPk"}`,
		"/cgi-bin/shorten/fetch": `{"errcode":0,"errmsg":"ok","long_data":"order=42","create_time":1611047541,"expire_seconds":86300}`,
	})
	defer stop()
	ctx := context.Background()

	key, err := client.GenShortKey(ctx, "order=42", 24*time.Hour)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := client.GetShortKey(ctx, key)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(key, data.LongData, data.ExpireSeconds)
	// Output:
	// iTqRJFSEqk9RvPk order=42 86300
}

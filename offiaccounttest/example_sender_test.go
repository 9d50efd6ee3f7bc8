package offiaccounttest_test

import (
	"context"
	"fmt"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// A bot's own test: WeChat's side is played by a Sender, in safe mode, with no network.
func ExampleSender() {
	bot, err := offiaccount.NewHandler("myToken123",
		offiaccount.WithHandlerEncodingAESKey("wx2c2769f8efd9abc2", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"))
	if err != nil {
		panic(err)
	}
	bot.HandleText(func(ctx context.Context, m *offiaccount.Message) (offiaccount.Reply, error) {
		return offiaccount.TextReply{Content: "echo: " + m.Content}, nil
	})

	wechat := &offiaccounttest.Sender{
		Handler: bot, // or Target: "http://localhost:8080/wechat"
		Token:   "myToken123",
		Mode:    offiaccounttest.ModeSafe,
		AppID:   "wx2c2769f8efd9abc2", EncodingAESKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
	}
	if err := wechat.Verify(context.Background()); err != nil {
		panic(err)
	}
	ex, err := wechat.Send(context.Background(), offiaccounttest.Text("oUser", "hello"))
	if err != nil {
		panic(err)
	}
	fmt.Println(ex.Reply.MsgType, ex.Reply.Content, ex.Attempts)
	// Output: text echo: hello 1
}

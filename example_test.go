package offiaccount_test

import (
	"fmt"

	"github.com/wxgo/offiaccount"
)

func ExampleCheckSignature() {
	// WeChat calls the server URL with signature, timestamp and nonce in the query.
	token, timestamp, nonce := "my-token", "1700000000", "271828"
	signature := offiaccount.Signature(token, timestamp, nonce)

	fmt.Println(offiaccount.CheckSignature(signature, token, timestamp, nonce))
	fmt.Println(offiaccount.CheckSignature(signature, "another-token", timestamp, nonce))
	// Output:
	// true
	// false
}

func ExampleJSSDKSignature() {
	// The example from WeChat's JS-SDK documentation (附录1).
	sig := offiaccount.JSSDKSignature(
		"sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value#fragment-not-signed")
	fmt.Println(sig)
	// Output: 0f9de62fce790f9a083d5c99e95740ceb90c27ed
}

func ExampleCardSignature() {
	fmt.Println(offiaccount.CardSignature("b", "a", "c") == offiaccount.CardSignature("a", "b", "c"))
	// Output: true
}

func ExampleMessageCrypter() {
	crypter, err := offiaccount.NewMessageCrypter("wx2c2769f8efd9abc2", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	if err != nil {
		panic(err)
	}
	sealed, err := crypter.Encrypt([]byte("<xml><Content><![CDATA[hello]]></Content></xml>"))
	if err != nil {
		panic(err)
	}
	// Every call uses a fresh random prefix, so sealed differs each time; it opens the same.
	plain, err := crypter.Decrypt(sealed)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(plain))

	// Safe-mode requests carry msg_signature over token, timestamp, nonce and Encrypt.
	msgSig := offiaccount.MsgSignature("token", "1700000000", "nonce", sealed)
	fmt.Println(offiaccount.CheckMsgSignature(msgSig, "token", "1700000000", "nonce", sealed))
	// Output:
	// <xml><Content><![CDATA[hello]]></Content></xml>
	// true
}

func ExampleMessageCrypter_Decrypt_officialSample() {
	// The sample of WeChat's message-encryption documentation (消息加解密说明).
	crypter, _ := offiaccount.NewMessageCrypter("wx2c2769f8efd9abc2", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
	const encrypt = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
	fmt.Println(offiaccount.MsgSignature("spamtest", "1409735669", "1320562132", encrypt))
	xml, err := crypter.Decrypt(encrypt)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(xml))
	// Output:
	// 5d197aaffba7e9b25a30732f161a50dee96bd5fa
	// <xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>
	// <FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>
	// <CreateTime>1409735668</CreateTime>
	// <MsgType><![CDATA[text]]></MsgType>
	// <Content><![CDATA[abcdteT]]></Content>
	// <MsgId>6054768590064713728</MsgId>
	// </xml>
}

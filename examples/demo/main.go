// Command demo shows the SDK working end to end on one machine, with no WeChat account and
// no network: it plays WeChat and the account's server, printing every step, and exits
// non-zero if any step does not check out.
package main

import (
	"fmt"
	"os"

	"github.com/wxgo/offiaccount"
)

// The account's settings as the admin page (基本配置) would show them. These are WeChat's
// own sample values, not a real account.
const (
	appID          = "wx2c2769f8efd9abc2"
	token          = "spamtest"
	encodingAESKey = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
	fmt.Println("\nall steps checked out")
}

func run() error {
	step("1. URL verification: WeChat signs token, timestamp and nonce")
	timestamp, nonce := "1700000000", "1320562132"
	sig := offiaccount.Signature(token, timestamp, nonce)
	fmt.Printf("   GET /wechat?signature=%s&timestamp=%s&nonce=%s&echostr=…\n", sig, timestamp, nonce)
	if !offiaccount.CheckSignature(sig, token, timestamp, nonce) {
		return fmt.Errorf("own signature rejected")
	}
	if offiaccount.CheckSignature(sig, "wrong-token", timestamp, nonce) {
		return fmt.Errorf("signature of another token accepted")
	}
	fmt.Println("   server: signature holds, echo echostr; a wrong token is refused")

	step("2. Safe mode (安全模式): WeChat encrypts a text message")
	crypter, err := offiaccount.NewMessageCrypter(appID, encodingAESKey)
	if err != nil {
		return err
	}
	inner := `<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>1</MsgId></xml>`
	sealed, err := crypter.Encrypt([]byte(inner))
	if err != nil {
		return err
	}
	msgSig := offiaccount.MsgSignature(token, timestamp, nonce, sealed)
	fmt.Printf("   <Encrypt>%s…</Encrypt> (%d bytes of base64)\n", sealed[:32], len(sealed))
	fmt.Printf("   msg_signature=%s\n", msgSig)

	step("3. The server checks msg_signature and decrypts")
	if !offiaccount.CheckMsgSignature(msgSig, token, timestamp, nonce, sealed) {
		return fmt.Errorf("msg_signature rejected")
	}
	plain, err := crypter.Decrypt(sealed)
	if err != nil {
		return err
	}
	if string(plain) != inner {
		return fmt.Errorf("decrypted message differs")
	}
	fmt.Printf("   %s\n", plain)

	step("4. A message sealed for another account is refused")
	other, err := offiaccount.NewMessageCrypter("wx0000000000000000", encodingAESKey)
	if err != nil {
		return err
	}
	foreign, err := other.Encrypt([]byte(inner))
	if err != nil {
		return err
	}
	if _, err := crypter.Decrypt(foreign); err == nil {
		return fmt.Errorf("foreign message accepted")
	} else {
		fmt.Println("  ", err)
	}
	return nil
}

func step(title string) { fmt.Println("\n" + title) }

// Command wxsim plays WeChat on a developer's machine, with no account and no tunnel.
//
// Send messages and events to your own callback server, signed and (in compatible or safe
// mode) encrypted as WeChat does, and print the request and the decoded reply:
//
//	wxsim -url http://localhost:8080/wechat -token TOKEN verify
//	wxsim -url … -token … text "hello"
//	wxsim -url … -token … -appid wx… -aeskey KEY43 -mode safe event subscribe [scene]
//	wxsim -url … -token … click V1001_TODAY_MUSIC
//	wxsim -h                   # every command, with an example each
//	wxsim -url … -token … location 23.13 113.35 "Guangzhou"
//
// Or serve the fake API platform (tokens, menus, tickets, web authorization) on a port, and
// point your server's base URL at it:
//
//	wxsim platform -addr 127.0.0.1:8081 -appid wx… -secret SECRET
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/wxgo/offiaccount/offiaccounttest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "wxsim:", err)
		os.Exit(1)
	}
}

// commands lists what wxsim can do, each with one example, for the usage text.
var commands = []struct{ synopsis, what, example string }{
	{"verify", "URL verification, as when the server configuration is saved (GET with echostr)",
		"wxsim -url http://localhost:8080/wechat -token TOKEN verify"},
	{"text TEXT", "a text message (文本消息)",
		`wxsim -url http://localhost:8080/wechat -token TOKEN -appid wx… -aeskey KEY43 text "hello"`},
	{"event NAME [KEY]", "an event: subscribe [scene], unsubscribe, SCAN SCENE, or any other",
		"wxsim -url http://localhost:8080/wechat -token TOKEN event subscribe promo42"},
	{"click KEY", "a menu click (CLICK event) with its key",
		"wxsim -url http://localhost:8080/wechat -token TOKEN click V1001_TODAY_MUSIC"},
	{"view URL", "a menu link opened (VIEW event)",
		"wxsim -url http://localhost:8080/wechat -token TOKEN view https://example.com/shop"},
	{"location X Y [LABEL]", "a location message: latitude, longitude, label",
		`wxsim -url http://localhost:8080/wechat -token TOKEN location 23.13 113.35 "Guangzhou"`},
	{"platform [flags]", "serve the fake WeChat API platform (tokens, menus, tickets, OAuth, …)",
		"wxsim platform -addr 127.0.0.1:8081 -appid wx0123456789abcdef -secret SECRET"},
}

// usage writes the help text: what wxsim is, its commands with an example each, its flags.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `wxsim plays WeChat against your callback server: it signs (and in compatible or safe
mode encrypts) messages and events as WeChat does and prints the request and the decoded
reply. Or it serves the fake WeChat API platform on a port.

Usage:
  wxsim -url URL -token TOKEN [flags] COMMAND [ARGS]
  wxsim platform [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-22s %s\n      %s\n", c.synopsis, c.what, c.example)
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// isHelp reports whether args ask for help rather than for a command.
func isHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help")
}

func run(args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "platform" {
		return servePlatform(args[1:], stdout)
	}
	fs := flag.NewFlagSet("wxsim", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned with a hint; -h prints the usage to stdout
	fs.Usage = func() {}
	target := fs.String("url", "", "callback URL of your server (required)")
	token := fs.String("token", "", "server configuration Token (required)")
	appID := fs.String("appid", "", "AppID, for compatible and safe mode")
	aesKey := fs.String("aeskey", "", "EncodingAESKey (43 characters), for compatible and safe mode")
	mode := fs.String("mode", "", "plaintext, compatible or safe (default: safe when -aeskey is set)")
	openID := fs.String("openid", "oWxsimUser0000000000000000", "the user's openid (FromUserName)")
	account := fs.String("account", "gh_wxsim", "the account's original id (ToUserName)")
	timeout := fs.Duration("timeout", 5*time.Second, "per-attempt timeout (WeChat waits 5s)")
	if isHelp(args) {
		usage(stdout, fs)
		return nil
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout, fs)
			return nil
		}
		return fmt.Errorf("%w (run wxsim -h for the commands and flags)", err)
	}
	if *target == "" || *token == "" || fs.NArg() == 0 {
		return errors.New("need -url, -token and a command: verify | text T | event NAME [KEY] | click KEY | view URL | location X Y [LABEL] (or: platform); run wxsim -h for help")
	}
	s := &offiaccounttest.Sender{Target: *target, Token: *token, AppID: *appID, EncodingAESKey: *aesKey, Account: *account, AttemptTimeout: *timeout}
	switch *mode {
	case "":
		if *aesKey != "" {
			s.Mode = offiaccounttest.ModeSafe
		}
	case "plaintext":
	case "compatible":
		s.Mode = offiaccounttest.ModeCompatible
	case "safe":
		s.Mode = offiaccounttest.ModeSafe
	default:
		return fmt.Errorf("unknown -mode %q", *mode)
	}
	ctx := context.Background()
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	if cmd == "verify" {
		if err := s.Verify(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "verify: the server echoed echostr")
		return nil
	}
	m, err := buildMessage(cmd, rest, *openID)
	if err != nil {
		return err
	}
	ex, err := s.Send(ctx, m)
	if ex != nil {
		printExchange(stdout, s.Mode, ex)
	}
	return err
}

func buildMessage(cmd string, args []string, openID string) (offiaccounttest.UserMessage, error) {
	need := func(n int) error {
		if len(args) < n {
			return fmt.Errorf("%s needs %d argument(s)", cmd, n)
		}
		return nil
	}
	switch cmd {
	case "text":
		if err := need(1); err != nil {
			return offiaccounttest.UserMessage{}, err
		}
		return offiaccounttest.Text(openID, args[0]), nil
	case "click":
		if err := need(1); err != nil {
			return offiaccounttest.UserMessage{}, err
		}
		return offiaccounttest.Click(openID, args[0]), nil
	case "view":
		if err := need(1); err != nil {
			return offiaccounttest.UserMessage{}, err
		}
		return offiaccounttest.View(openID, args[0]), nil
	case "event":
		if err := need(1); err != nil {
			return offiaccounttest.UserMessage{}, err
		}
		key := ""
		if len(args) > 1 {
			key = args[1]
		}
		if args[0] == "subscribe" {
			return offiaccounttest.Subscribe(openID, key), nil
		}
		return offiaccounttest.Event(openID, args[0], key), nil
	case "location":
		if err := need(2); err != nil {
			return offiaccounttest.UserMessage{}, err
		}
		x, err1 := strconv.ParseFloat(args[0], 64)
		y, err2 := strconv.ParseFloat(args[1], 64)
		if err1 != nil || err2 != nil {
			return offiaccounttest.UserMessage{}, errors.New("location needs two numbers")
		}
		label := ""
		if len(args) > 2 {
			label = args[2]
		}
		return offiaccounttest.Location(openID, x, y, 15, label), nil
	}
	return offiaccounttest.UserMessage{}, fmt.Errorf("unknown command %q (run wxsim -h for the list)", cmd)
}

func printExchange(out io.Writer, mode offiaccounttest.Mode, ex *offiaccounttest.Exchange) {
	fmt.Fprintf(out, "→ POST (%s mode, %d attempt(s), HTTP %d)\n  %s\n", mode, ex.Attempts, ex.Status, ex.Request)
	switch {
	case ex.Reply != nil:
		fmt.Fprintf(out, "← %s reply: %s\n", ex.Reply.MsgType, ex.ReplyXML)
	case ex.Status != 0:
		fmt.Fprintf(out, "← no reply (%q)\n", ex.Raw)
	}
}

func servePlatform(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("wxsim platform", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on")
	appID := fs.String("appid", "wx51a0000000000001", "AppID of the fake account")
	secret := fs.String("secret", "wxsim-secret", "AppSecret of the fake account")
	if err := fs.Parse(args); err != nil || isHelp(args) {
		if errors.Is(err, flag.ErrHelp) || isHelp(args) {
			fmt.Fprintln(out, "Usage: wxsim platform [flags]\n\nServes the fake WeChat API platform; point the client's base URL at it.\n\nFlags:")
			fs.SetOutput(out)
			fs.PrintDefaults()
			return nil
		}
		return fmt.Errorf("%w (run wxsim platform -h for its flags)", err)
	}
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(*appID, *secret))
	defer p.Close()
	fmt.Fprintf(out, "fake WeChat API for %s on http://%s (use it as the client's base URL)\n", *appID, *addr)
	srv := &http.Server{Addr: *addr, Handler: p, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

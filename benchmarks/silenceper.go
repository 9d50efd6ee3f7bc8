package benchmarks

import (
	"context"
	"net/http"
	"strings"

	wechat "github.com/silenceper/wechat/v2"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/officialaccount"
	offconfig "github.com/silenceper/wechat/v2/officialaccount/config"
	"github.com/silenceper/wechat/v2/officialaccount/message"
	"github.com/silenceper/wechat/v2/util"
)

// Silenceper is github.com/silenceper/wechat/v2 behind an http.Handler, used the way its
// README shows: one OfficialAccount with the in-memory cache, a Server per request, a message
// handler answering text with text, Serve then Send.
type Silenceper struct {
	oa *officialaccount.OfficialAccount
}

// NewSilenceper returns the adapter for the benchmark account. It uses stable_token, as
// offiaccount does by default.
func NewSilenceper() *Silenceper {
	oa := wechat.NewWechat().GetOfficialAccount(&offconfig.Config{
		AppID:          AppID,
		AppSecret:      AppSecret,
		Token:          Token,
		EncodingAESKey: EncodingAESKey,
		Cache:          cache.NewMemory(),
		UseStableAK:    true,
	})
	return &Silenceper{oa: oa}
}

// ServeHTTP answers WeChat's callback with silenceper's server.
func (s *Silenceper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	srv := s.oa.GetServer(r, w)
	srv.SetMessageHandler(func(m *message.MixMessage) *message.Reply {
		if m.MsgType != message.MsgTypeText {
			return nil
		}
		return &message.Reply{MsgType: message.MsgTypeText, MsgData: message.NewText(m.Content)}
	})
	if err := srv.Serve(); err != nil {
		// Serve fails on a bad signature, an undecryptable body or bad XML alike.
		http.Error(w, "rejected", http.StatusForbidden)
		return
	}
	if err := srv.Send(); err != nil {
		http.Error(w, "reply failed", http.StatusInternalServerError)
	}
}

// AccessToken is silenceper's access_token read.
func (s *Silenceper) AccessToken(ctx context.Context) (string, error) {
	return s.oa.GetAccessTokenContext(ctx)
}

// redirectSilenceper sends silenceper's API calls, whose URLs are constants, to base
// instead of api.weixin.qq.com, and returns the function that undoes it. silenceper keeps
// this in a package variable: callers must not run concurrently with other users of it.
func redirectSilenceper(base string) (undo func()) {
	util.SetURIModifier(func(uri string) string {
		return strings.Replace(uri, "https://api.weixin.qq.com", base, 1)
	})
	return func() { util.SetURIModifier(nil) }
}

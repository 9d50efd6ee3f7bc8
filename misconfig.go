package offiaccount

import (
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Rejections that usually mean the server is configured differently from the
// admin page are logged at Warn with a hint, at most once a minute per cause
// (with the number of rejections not logged since), so that a wrong Token or
// AppID shows in an Info-level log while an attacker sending bad signatures
// cannot flood it. The log lines hold no Token, key, OpenID or content.

type misconfigCause int

const (
	misconfigSignature misconfigCause = iota
	misconfigMsgSignature
	misconfigAppID
	misconfigDecrypt
	misconfigNoKey
	numMisconfigs
)

// misconfigLogEvery is the least time between two Warn lines of one cause.
const misconfigLogEvery = time.Minute

var misconfigText = [numMisconfigs]struct{ cause, hint string }{
	misconfigSignature: {"invalid signature",
		"check that the Token given to NewHandler is the Token of 服务器配置 on the admin page (设置与开发 → 基本配置), without spaces; from unknown addresses this is probing, not misconfiguration"},
	misconfigMsgSignature: {"invalid msg_signature",
		"check that the Token given to NewHandler is the Token of 服务器配置 on the admin page (设置与开发 → 基本配置), without spaces"},
	misconfigAppID: {"message for another AppID",
		"check the AppID given to WithHandlerEncodingAESKey: it must be this account's AppID (开发者ID) exactly, without spaces"},
	misconfigDecrypt: {"undecryptable Encrypt",
		"check the EncodingAESKey given to WithHandlerEncodingAESKey against the admin page; after changing it, pass the previous key too until the change has propagated"},
	misconfigNoKey: {"encrypted request but no EncodingAESKey",
		"the account is in compatible or safe mode: " + errNoCrypter.Error()},
}

// misconfigLog rate-limits the Warn lines of one cause.
type misconfigLog struct {
	last       atomic.Int64 // Unix ns of the last line, 0 for none
	suppressed atomic.Int64 // rejections since, not logged
}

// misconfigured logs a rejection of cause c at Warn, unless one was logged
// less than misconfigLogEvery ago.
func (h *Handler) misconfigured(r *http.Request, c misconfigCause) {
	l := &h.misconfig[c]
	now := h.clock().UnixNano()
	last := l.last.Load()
	if (last != 0 && now-last < int64(misconfigLogEvery)) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return
	}
	t := misconfigText[c]
	h.logger.LogAttrs(r.Context(), slog.LevelWarn, "offiaccount: callback rejected: "+t.cause,
		slog.String("hint", t.hint), slog.Int64("suppressed", l.suppressed.Swap(0)))
}

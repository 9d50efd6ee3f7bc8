package offiaccounttest

import (
	"net/url"
	"slices"
	"time"
	"unicode/utf8"
)

// Parametric QR codes (带参数二维码).

// Limits of parametric QR codes.
const (
	// QRMaxExpiry is the longest life of a temporary QR code; longer requests are cut to it.
	QRMaxExpiry = 30 * 24 * time.Hour
	// QRDefaultExpiry is the life of a temporary QR code created without expire_seconds.
	QRDefaultExpiry     = 60 * time.Second
	maxPermanentSceneID = 100000
	maxSceneStrRunes    = 64
)

// QRCodeRecord is a parametric QR code the platform created.
type QRCodeRecord struct {
	Ticket     string
	ActionName string    // QR_SCENE, QR_STR_SCENE, QR_LIMIT_SCENE or QR_LIMIT_STR_SCENE
	SceneID    int64     // integer scene
	SceneStr   string    // string scene
	URL        string    // the content of the code
	Expires    time.Time // zero for permanent codes
}

// QRCodes returns the QR codes appID created, oldest first, expired ones included.
func (p *Platform) QRCodes(appID string) []QRCodeRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		return slices.Clone(a.qrcodes)
	}
	return nil
}

// handleQRCodeCreate is POST /cgi-bin/qrcode/create. Temporary codes live expire_seconds
// (60 s when absent, cut to 30 days); permanent integer scenes are 1…100000, string scenes
// 1…64 characters (40053 otherwise); an unknown action_name gets 40097.
// https://developers.weixin.qq.com/doc/service/api/qrcode/qrcodes/api_createqrcode.html
func (p *Platform) handleQRCodeCreate(r *request) (any, int) {
	var in struct {
		ExpireSeconds int64  `json:"expire_seconds"`
		ActionName    string `json:"action_name"`
		ActionInfo    struct {
			Scene struct {
				SceneID  int64  `json:"scene_id"`
				SceneStr string `json:"scene_str"`
			} `json:"scene"`
		} `json:"action_info"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	s := in.ActionInfo.Scene
	var temporary, str bool
	switch in.ActionName {
	case "QR_SCENE":
		temporary = true
	case "QR_STR_SCENE":
		temporary, str = true, true
	case "QR_LIMIT_SCENE":
	case "QR_LIMIT_STR_SCENE":
		str = true
	default:
		return nil, codeInvalidArgs
	}
	switch {
	case str && (s.SceneStr == "" || utf8.RuneCountInString(s.SceneStr) > maxSceneStrRunes):
		return nil, codeInvalidActionInfo
	case !str && temporary && (s.SceneID <= 0 || s.SceneID > 1<<32-1):
		return nil, codeInvalidActionInfo
	case !str && !temporary && (s.SceneID < 1 || s.SceneID > maxPermanentSceneID):
		return nil, codeInvalidActionInfo
	}
	q := QRCodeRecord{Ticket: "gQ" + randomString(60), ActionName: in.ActionName}
	q.URL = "http://weixin.qq.com/q/" + url.PathEscape(randomString(16))
	if str {
		q.SceneStr = s.SceneStr
	} else {
		q.SceneID = s.SceneID
	}
	out := struct {
		Ticket        string `json:"ticket"`
		ExpireSeconds int64  `json:"expire_seconds,omitempty"`
		URL           string `json:"url"`
	}{Ticket: q.Ticket, URL: q.URL}
	if temporary {
		life := time.Duration(in.ExpireSeconds) * time.Second
		switch {
		case in.ExpireSeconds <= 0:
			life = QRDefaultExpiry
		case in.ExpireSeconds >= int64(QRMaxExpiry/time.Second):
			life = QRMaxExpiry
		}
		q.Expires = p.now.Add(life)
		out.ExpireSeconds = int64(life / time.Second)
	}
	r.acct.qrcodes = append(r.acct.qrcodes, q)
	return out, 0
}

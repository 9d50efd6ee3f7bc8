package offiaccount

import (
	"context"
	"net/url"
	"time"
	"unicode/utf8"
)

// Parametric QR codes (带参数二维码): a QR code carrying a scene value that WeChat hands back
// in the subscribe event (EventKey "qrscene_<scene>") of a user who follows the account by
// scanning it, or in the SCAN event (EventKey "<scene>") of a user who already follows it;
// the callback Message's SceneID method returns it either way.

// QRActionName is the kind of a parametric QR code.
type QRActionName string

// QR code kinds.
const (
	QRScene         QRActionName = "QR_SCENE"           // temporary, integer scene
	QRStrScene      QRActionName = "QR_STR_SCENE"       // temporary, string scene
	QRLimitScene    QRActionName = "QR_LIMIT_SCENE"     // permanent, integer scene
	QRLimitStrScene QRActionName = "QR_LIMIT_STR_SCENE" // permanent, string scene
)

// Limits of parametric QR codes.
const (
	MaxQRExpiry         = 30 * 24 * time.Hour // lifetime of a temporary QR code
	MaxPermanentSceneID = 100000              // permanent integer scenes are 1..100000
	MaxQRSceneStrLen    = 64                  // string scenes are 1..64 characters
	qrEventKeyPrefix    = "qrscene_"
	showQRCodeURLPrefix = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="
	pathQRCodeCreate    = "/cgi-bin/qrcode/create"
)

// QRCodeRequest is the body of /cgi-bin/qrcode/create. Build one with TempQRCode,
// TempStrQRCode, PermanentQRCode or PermanentStrQRCode.
type QRCodeRequest struct {
	ExpireSeconds int64        `json:"expire_seconds,omitempty"` // temporary codes only
	ActionName    QRActionName `json:"action_name"`
	ActionInfo    QRActionInfo `json:"action_info"`
}

// QRActionInfo wraps the scene of a QR code.
type QRActionInfo struct {
	Scene QRSceneValue `json:"scene"`
}

// QRSceneValue is the scene of a QR code: SceneID for the integer kinds, SceneStr for the
// string kinds.
type QRSceneValue struct {
	SceneID  uint32 `json:"scene_id,omitempty"`
	SceneStr string `json:"scene_str,omitempty"`
}

// TempQRCode returns a temporary QR code request with a non-zero integer scene that expires
// after expire (rounded down to seconds, at most 30 days; 0 leaves WeChat's short default).
func TempQRCode(sceneID uint32, expire time.Duration) QRCodeRequest {
	return QRCodeRequest{ExpireSeconds: int64(expire / time.Second), ActionName: QRScene,
		ActionInfo: QRActionInfo{Scene: QRSceneValue{SceneID: sceneID}}}
}

// TempStrQRCode returns a temporary QR code request with a string scene of 1 to 64
// characters.
func TempStrQRCode(scene string, expire time.Duration) QRCodeRequest {
	return QRCodeRequest{ExpireSeconds: int64(expire / time.Second), ActionName: QRStrScene,
		ActionInfo: QRActionInfo{Scene: QRSceneValue{SceneStr: scene}}}
}

// PermanentQRCode returns a permanent QR code request with an integer scene of 1 to 100000.
func PermanentQRCode(sceneID uint32) QRCodeRequest {
	return QRCodeRequest{ActionName: QRLimitScene, ActionInfo: QRActionInfo{Scene: QRSceneValue{SceneID: sceneID}}}
}

// PermanentStrQRCode returns a permanent QR code request with a string scene of 1 to 64
// characters.
func PermanentStrQRCode(scene string) QRCodeRequest {
	return QRCodeRequest{ActionName: QRLimitStrScene, ActionInfo: QRActionInfo{Scene: QRSceneValue{SceneStr: scene}}}
}

// Validate reports a request WeChat would refuse: a scene missing or out of range for its
// kind, an expiry on a permanent code or beyond 30 days. The error matches ErrInvalidRequest.
func (r *QRCodeRequest) Validate() error {
	bad := func(format string, args ...any) error { return invalidf(pathQRCodeCreate, format, args...) }
	s := r.ActionInfo.Scene
	temporary := r.ActionName == QRScene || r.ActionName == QRStrScene
	switch r.ActionName {
	case QRScene, QRLimitScene:
		if s.SceneStr != "" {
			return bad("%s takes scene_id, not scene_str", r.ActionName)
		}
		if s.SceneID == 0 {
			return bad("scene_id must not be 0")
		}
		if r.ActionName == QRLimitScene && s.SceneID > MaxPermanentSceneID {
			return bad("permanent scene_id %d out of 1..%d", s.SceneID, MaxPermanentSceneID)
		}
	case QRStrScene, QRLimitStrScene:
		if s.SceneID != 0 {
			return bad("%s takes scene_str, not scene_id", r.ActionName)
		}
		if n := utf8.RuneCountInString(s.SceneStr); n == 0 || n > MaxQRSceneStrLen || !utf8.ValidString(s.SceneStr) {
			return bad("scene_str must be 1 to %d characters of valid UTF-8", MaxQRSceneStrLen)
		}
	default:
		return bad("unknown action_name %q", r.ActionName)
	}
	switch {
	case r.ExpireSeconds < 0:
		return bad("negative expire_seconds")
	case !temporary && r.ExpireSeconds != 0:
		return bad("a permanent QR code does not expire")
	case r.ExpireSeconds > int64(MaxQRExpiry/time.Second):
		return bad("expire_seconds %d beyond 30 days", r.ExpireSeconds)
	}
	return nil
}

// QRCode is a created QR code.
type QRCode struct {
	Ticket        string `json:"ticket"`         // exchange it for the image with ShowQRCodeURL
	ExpireSeconds int64  `json:"expire_seconds"` // 0 for permanent codes
	URL           string `json:"url"`            // the content of the code, to draw it yourself
}

// ImageURL returns the address of the QR code's image.
func (q *QRCode) ImageURL() string { return ShowQRCodeURL(q.Ticket) }

// CreateQRCode creates a parametric QR code. Permanent codes are limited (100,000 per
// account); temporary ones are not.
//
// https://developers.weixin.qq.com/doc/service/api/qrcode/qrcodes/api_createqrcode.html
func (c *Client) CreateQRCode(ctx context.Context, r QRCodeRequest) (*QRCode, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var out QRCode
	if err := c.postJSON(ctx, pathQRCodeCreate, nil, &r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ShowQRCodeURL returns the address of the image (a JPEG) of the QR code with the given
// ticket. The address needs no access_token and can be put in a page as is.
//
// https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html
func ShowQRCodeURL(ticket string) string {
	return showQRCodeURLPrefix + url.QueryEscape(ticket)
}

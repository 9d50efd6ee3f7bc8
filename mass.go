package offiaccount

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Mass send (群发): one message to every follower, to the followers with a tag, or to a list
// of OpenIDs. WeChat runs the send as a job and reports its outcome later with a
// MASSSENDJOBFINISH event whose MsgID is the job's msg_id.

// WeChat errcodes of the mass-send API.
const (
	// CodeMassClientMsgIDExists: the clientmsgid was used by a send of the last 24 hours;
	// the answer carries that send's msg_id. SendMass* return a *MassDuplicateError for it.
	CodeMassClientMsgIDExists = 45065
	// CodeMassClientMsgIDTooFast: the same clientmsgid was retried too soon; wait a minute.
	CodeMassClientMsgIDTooFast = 45066
	// CodeMassClientMsgIDTooLong: the clientmsgid is longer than allowed.
	CodeMassClientMsgIDTooLong = 45067
	// CodeMassSpeedOutOfRange: speed/set was given a level outside 0..4.
	CodeMassSpeedOutOfRange = 45083
)

// Limits of mass sending, checked before a request leaves.
const (
	MinMassOpenIDs          = 2     // fewest OpenIDs message/mass/send accepts
	MaxMassOpenIDs          = 10000 // most OpenIDs message/mass/send accepts
	MaxMassClientMsgIDBytes = 64    // bytes of a clientmsgid
	MaxMassSpeed            = 4     // speed/set levels are 0 (fastest) to 4
)

// MassMsgType is the kind of a mass message (msgtype).
type MassMsgType string

// The message kinds mass sending accepts.
const (
	MassMsgTypeMPNews  MassMsgType = "mpnews"  // an article message from a draft or material
	MassMsgTypeText    MassMsgType = "text"    // plain text
	MassMsgTypeVoice   MassMsgType = "voice"   // a voice media file
	MassMsgTypeImage   MassMsgType = "image"   // one or more images (the images object)
	MassMsgTypeMPVideo MassMsgType = "mpvideo" // a video
	MassMsgTypeWXCard  MassMsgType = "wxcard"  // a card or coupon (卡券)
	// MassMsgTypeMusic is listed by the documentation's msgtype enum; only the preview
	// page shows its body, a media_id.
	MassMsgTypeMusic MassMsgType = "music"
)

// MassMessage is the content of a mass send, in WeChat's JSON shape: MsgType and the one
// body that goes with it. Build it with MassMPNews, MassText, MassVoice, MassImages,
// MassMPVideo, MassCard or MassMusic, then set ClientMsgID (and SendIgnoreReprint for articles).
type MassMessage struct {
	MsgType MassMsgType       `json:"msgtype"`
	MPNews  *MassMedia        `json:"mpnews,omitempty"`
	Text    *MassTextContent  `json:"text,omitempty"`
	Voice   *MassMedia        `json:"voice,omitempty"`
	Images  *MassImageContent `json:"images,omitempty"`
	MPVideo *MassVideoContent `json:"mpvideo,omitempty"`
	WXCard  *MassCardContent  `json:"wxcard,omitempty"`
	Music   *MassMedia        `json:"music,omitempty"`
	// SendIgnoreReprint (send_ignore_reprint): when WeChat judges an article to be a reprint
	// of an original that allows reprinting, true sends it on as a reprint; false (WeChat's
	// default) stops the send.
	SendIgnoreReprint bool `json:"-"`
	// ClientMsgID (up to 64 bytes) makes the send idempotent for 24 hours: a repeat is
	// refused with a *MassDuplicateError that names the first send's msg_id.
	ClientMsgID string `json:"clientmsgid,omitempty"`
}

// MassMedia names a media file: the media_id of an article (mpnews) or a voice.
type MassMedia struct {
	MediaID string `json:"media_id"`
}

// MassTextContent is the body of a text mass message.
type MassTextContent struct {
	Content string `json:"content"`
}

// MassImageContent is the body of an image mass message: up to WeChat's count of images
// (media ids of permanent images), a recommendation text and the comment settings.
type MassImageContent struct {
	MediaIDs           []string `json:"media_ids"`
	Recommend          string   `json:"recommend,omitempty"`
	NeedOpenComment    int      `json:"need_open_comment,omitempty"`     // 1 opens comments
	OnlyFansCanComment int      `json:"only_fans_can_comment,omitempty"` // 1 limits comments to followers
}

// MassVideoContent is the body of a video mass message. Title and Description are used by
// message/mass/send and preview; sendall takes the media_id alone.
type MassVideoContent struct {
	MediaID     string `json:"media_id"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// MassCardContent is the body of a card mass message.
type MassCardContent struct {
	CardID string `json:"card_id"`
}

// MassMPNews is an article mass message from the media_id of a draft or permanent news.
func MassMPNews(mediaID string) MassMessage {
	return MassMessage{MsgType: MassMsgTypeMPNews, MPNews: &MassMedia{MediaID: mediaID}}
}

// MassText is a text mass message.
func MassText(content string) MassMessage {
	return MassMessage{MsgType: MassMsgTypeText, Text: &MassTextContent{Content: content}}
}

// MassVoice is a voice mass message.
func MassVoice(mediaID string) MassMessage {
	return MassMessage{MsgType: MassMsgTypeVoice, Voice: &MassMedia{MediaID: mediaID}}
}

// MassImages is an image mass message.
func MassImages(c MassImageContent) MassMessage {
	return MassMessage{MsgType: MassMsgTypeImage, Images: &c}
}

// MassMPVideo is a video mass message.
func MassMPVideo(c MassVideoContent) MassMessage {
	return MassMessage{MsgType: MassMsgTypeMPVideo, MPVideo: &c}
}

// MassCard is a card (卡券) mass message.
func MassCard(cardID string) MassMessage {
	return MassMessage{MsgType: MassMsgTypeWXCard, WXCard: &MassCardContent{CardID: cardID}}
}

// MassMusic is a music mass message from a media_id.
func MassMusic(mediaID string) MassMessage {
	return MassMessage{MsgType: MassMsgTypeMusic, Music: &MassMedia{MediaID: mediaID}}
}

// validate reports a message WeChat would refuse for sure: a body missing or not matching
// MsgType, an empty media id or text, a clientmsgid over 64 bytes.
func (m *MassMessage) validate(path string) error {
	var missing bool
	switch m.MsgType {
	case MassMsgTypeMPNews:
		missing = m.MPNews == nil || m.MPNews.MediaID == ""
	case MassMsgTypeText:
		missing = m.Text == nil || m.Text.Content == ""
	case MassMsgTypeVoice:
		missing = m.Voice == nil || m.Voice.MediaID == ""
	case MassMsgTypeImage:
		missing = m.Images == nil || len(m.Images.MediaIDs) == 0
		if !missing {
			for i, id := range m.Images.MediaIDs {
				if id == "" {
					return invalidf(path, "images.media_ids[%d] is empty", i)
				}
			}
		}
	case MassMsgTypeMPVideo:
		missing = m.MPVideo == nil || m.MPVideo.MediaID == ""
	case MassMsgTypeWXCard:
		missing = m.WXCard == nil || m.WXCard.CardID == ""
	case MassMsgTypeMusic:
		missing = m.Music == nil || m.Music.MediaID == ""
	case "":
		return invalidf(path, "empty msgtype")
	default:
		return invalidf(path, "msgtype %q is not a mass message kind", m.MsgType)
	}
	if missing {
		return invalidf(path, "msgtype %s without its %s body", m.MsgType, massBodyName(m.MsgType))
	}
	if len(m.ClientMsgID) > MaxMassClientMsgIDBytes {
		return invalidf(path, "clientmsgid is %d bytes, the limit is %d", len(m.ClientMsgID), MaxMassClientMsgIDBytes)
	}
	return nil
}

func massBodyName(t MassMsgType) string {
	if t == MassMsgTypeImage {
		return "images"
	}
	return string(t)
}

// MassJob is WeChat's answer to a mass send: the job's msg_id (MASSSENDJOBFINISH and
// GetMassStatus name it) and, for articles, the msg_data_id of the sent news.
type MassJob struct {
	MsgID     int64 `json:"msg_id"`
	MsgDataID int64 `json:"msg_data_id,omitempty"`
}

// MassDuplicateError is the answer 45065 to a send whose ClientMsgID was used within the
// last 24 hours: nothing was sent again. MsgID is the earlier send's msg_id. It matches
// ErrMassDuplicate with errors.Is, and unwraps to the *APIError.
type MassDuplicateError struct {
	MsgID int64 // msg_id of the send that used the clientmsgid first
	Err   *APIError
}

// Error names the earlier msg_id.
func (e *MassDuplicateError) Error() string {
	msg := ErrMassDuplicate.Error()
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return msg + " (earlier msg_id " + strconv.FormatInt(e.MsgID, 10) + ")"
}

// Is matches ErrMassDuplicate.
func (e *MassDuplicateError) Is(target error) bool { return target == ErrMassDuplicate }

// Unwrap returns the *APIError, or nil when there is none (a nil *APIError in an error
// interface would panic in errors.Is).
func (e *MassDuplicateError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// massBody is a MassMessage with its audience, as sendall, send and preview take it.
type massBody struct {
	Filter   *massFilter `json:"filter,omitempty"`
	ToUser   any         `json:"touser,omitempty"` // []string for send, string for preview
	ToWXName string      `json:"towxname,omitempty"`
	MassMessage
	Image   *MassMedia `json:"image,omitempty"` // preview's one image, instead of images
	Reprint *int       `json:"send_ignore_reprint,omitempty"`
}

type massFilter struct {
	IsToAll bool `json:"is_to_all"`
	TagID   *int `json:"tag_id,omitempty"`
}

func newMassBody(m MassMessage) massBody {
	b := massBody{MassMessage: m}
	if m.MsgType == MassMsgTypeMPNews {
		n := 0
		if m.SendIgnoreReprint {
			n = 1
		}
		b.Reprint = &n
	}
	return b
}

const (
	pathMassSendAll = "/cgi-bin/message/mass/sendall"
	pathMassSend    = "/cgi-bin/message/mass/send"
	pathMassPreview = "/cgi-bin/message/mass/preview"
)

// SendMassToAll sends m to every follower (filter is_to_all). A subscription account
// (订阅号) may do it once a day; each follower of a service account receives at most four
// mass messages a month. A ClientMsgID used within 24 hours yields a *MassDuplicateError
// (errors.Is ErrMassDuplicate); the send is never repeated on its own.
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_sendall.html
func (c *Client) SendMassToAll(ctx context.Context, m MassMessage) (*MassJob, error) {
	if err := m.validate(pathMassSendAll); err != nil {
		return nil, err
	}
	b := newMassBody(m)
	b.Filter = &massFilter{IsToAll: true}
	return c.sendMass(ctx, pathMassSendAll, b)
}

// SendMassToTag sends m to the followers with the tag tagID (filter tag_id), with the
// rules of SendMassToAll.
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_sendall.html
func (c *Client) SendMassToTag(ctx context.Context, tagID int, m MassMessage) (*MassJob, error) {
	if tagID < 0 {
		return nil, invalidf(pathMassSendAll, "tag_id %d is negative", tagID)
	}
	if err := m.validate(pathMassSendAll); err != nil {
		return nil, err
	}
	b := newMassBody(m)
	b.Filter = &massFilter{TagID: &tagID}
	return c.sendMass(ctx, pathMassSendAll, b)
}

// SendMass sends m to the followers openIDs: between 2 and 10000 OpenIDs, none empty.
// Duplicates are dropped before sending (a repeated OpenID would count twice).
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_masssend.html
func (c *Client) SendMass(ctx context.Context, openIDs []string, m MassMessage) (*MassJob, error) {
	seen := make(map[string]bool, len(openIDs))
	list := make([]string, 0, len(openIDs))
	for i, id := range openIDs {
		if id == "" {
			return nil, invalidf(pathMassSend, "touser[%d] is empty", i)
		}
		if !seen[id] {
			seen[id] = true
			list = append(list, id)
		}
	}
	if len(list) < MinMassOpenIDs || len(list) > MaxMassOpenIDs {
		return nil, invalidf(pathMassSend, "touser holds %d distinct OpenIDs, WeChat takes %d to %d",
			len(list), MinMassOpenIDs, MaxMassOpenIDs)
	}
	if err := m.validate(pathMassSend); err != nil {
		return nil, err
	}
	b := newMassBody(m)
	b.ToUser = list
	return c.sendMass(ctx, pathMassSend, b)
}

// PreviewMass sends m to one follower, openID, to check how it looks (100 previews a
// day). The answer's MsgID identifies the preview; MsgDataID is not set. An image message
// previews one image: the preview takes an image's media_id, not a list. ClientMsgID is
// not sent: previews are not deduplicated.
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_preview.html
func (c *Client) PreviewMass(ctx context.Context, openID string, m MassMessage) (*MassJob, error) {
	if openID == "" {
		return nil, invalidf(pathMassPreview, "empty touser")
	}
	return c.previewMass(ctx, massBody{ToUser: openID}, m)
}

// PreviewMassToWXName is PreviewMass addressed by the follower's WeChat ID (微信号,
// towxname) instead of the OpenID.
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_preview.html
func (c *Client) PreviewMassToWXName(ctx context.Context, wxName string, m MassMessage) (*MassJob, error) {
	if wxName == "" {
		return nil, invalidf(pathMassPreview, "empty towxname")
	}
	return c.previewMass(ctx, massBody{ToWXName: wxName}, m)
}

func (c *Client) previewMass(ctx context.Context, to massBody, m MassMessage) (*MassJob, error) {
	if err := m.validate(pathMassPreview); err != nil {
		return nil, err
	}
	b := newMassBody(m)
	b.ToUser, b.ToWXName = to.ToUser, to.ToWXName
	b.ClientMsgID = "" // preview takes none
	if m.MsgType == MassMsgTypeImage {
		if len(m.Images.MediaIDs) != 1 {
			return nil, invalidf(pathMassPreview, "a preview shows one image, got %d media_ids", len(m.Images.MediaIDs))
		}
		b.Images, b.Image = nil, &MassMedia{MediaID: m.Images.MediaIDs[0]}
	}
	return c.sendMass(ctx, pathMassPreview, b)
}

// sendMass posts a send and reads the job, keeping the msg_id of a 45065 answer.
func (c *Client) sendMass(ctx context.Context, path string, b massBody) (*MassJob, error) {
	var out massAnswer
	err := c.postJSON(ctx, path, nil, &b, &out)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Code == CodeMassClientMsgIDExists {
		return nil, &MassDuplicateError{MsgID: out.earlier, Err: apiErr}
	}
	if err != nil {
		return nil, err
	}
	return &out.MassJob, nil
}

// massAnswer is a send's answer: the job, or the earlier msg_id of an error answer.
type massAnswer struct {
	MassJob
	earlier int64
}

func (a *massAnswer) readErrorBody(data []byte) { a.earlier = earlierMsgID(data) }

// earlierMsgID reads the msg_id of a 45065 answer, a number or a string of digits; 0 when
// the answer has none that is valid.
func earlierMsgID(data []byte) int64 {
	var out struct {
		MsgID json.RawMessage `json:"msg_id"`
	}
	if json.Unmarshal(data, &out) != nil {
		return 0
	}
	n, err := strconv.ParseInt(strings.Trim(string(out.MsgID), `"`), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// MassStatus is the state of a mass send job (msg_status).
type MassStatus string

// The states message/mass/get reports.
const (
	MassStatusSending     MassStatus = "SENDING"      // still sending
	MassStatusSendSuccess MassStatus = "SEND_SUCCESS" // sent
	MassStatusSendFail    MassStatus = "SEND_FAIL"    // failed
	MassStatusDelete      MassStatus = "DELETE"       // deleted after sending
)

// GetMassStatus returns the state of the mass send msgID.
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_massmsgget.html
func (c *Client) GetMassStatus(ctx context.Context, msgID int64) (MassStatus, error) {
	const path = "/cgi-bin/message/mass/get"
	if msgID <= 0 {
		return "", invalidf(path, "msg_id %d is not positive", msgID)
	}
	in := struct {
		MsgID string `json:"msg_id"`
	}{strconv.FormatInt(msgID, 10)}
	var out struct {
		MsgStatus MassStatus `json:"msg_status"`
	}
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return "", err
	}
	return out.MsgStatus, nil
}

// DeleteMassRequest names what to delete of a sent mass message: the article ArticleIdx
// (1 for the first; 0 deletes every article) of the send MsgID, or of the article at URL
// when MsgID is 0.
type DeleteMassRequest struct {
	MsgID      int64  `json:"msg_id,omitempty"`
	ArticleIdx int    `json:"article_idx,omitempty"`
	URL        string `json:"url,omitempty"`
}

// DeleteMass deletes a sent article message (only mpnews and video sends can be
// deleted); the message stays in the chat but its article page shows as deleted.
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_deletemassmsg.html
func (c *Client) DeleteMass(ctx context.Context, r DeleteMassRequest) error {
	const path = "/cgi-bin/message/mass/delete"
	switch {
	case r.MsgID < 0:
		return invalidf(path, "msg_id %d is negative", r.MsgID)
	case r.MsgID == 0 && r.URL == "":
		return invalidf(path, "neither msg_id nor url given")
	case r.ArticleIdx < 0:
		return invalidf(path, "article_idx %d is negative", r.ArticleIdx)
	}
	return c.postJSON(ctx, path, nil, &r, nil)
}

// MassSpeed is the speed of mass sending: Speed is the level set and RealSpeed the
// messages a minute it stands for, in units of 10000 (万): level 0 is 80, 1 is 60, 2 is 45,
// 3 is 30 and 4 is 10.
type MassSpeed struct {
	Speed     int `json:"speed"`
	RealSpeed int `json:"realspeed"`
}

// GetMassSpeed returns the account's mass-send speed.
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_getspeed.html
func (c *Client) GetMassSpeed(ctx context.Context) (*MassSpeed, error) {
	var out MassSpeed
	if err := c.postJSON(ctx, "/cgi-bin/message/mass/speed/get", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetMassSpeed sets the mass-send speed level, 0 (fastest) to 4.
//
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_setspeed.html
func (c *Client) SetMassSpeed(ctx context.Context, speed int) error {
	const path = "/cgi-bin/message/mass/speed/set"
	if speed < 0 || speed > MaxMassSpeed {
		return invalidf(path, "speed %d is outside 0..%d", speed, MaxMassSpeed)
	}
	in := struct {
		Speed int `json:"speed"`
	}{speed}
	return c.postJSON(ctx, path, nil, &in, nil)
}

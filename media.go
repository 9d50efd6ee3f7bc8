package offiaccount

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// Temporary media (临时素材): files kept by WeChat for 3 days and named by a media_id, used
// in customer-service messages and passive replies; and images uploaded for articles. The
// permanent material library (永久素材) is in material.go.

// MediaType is the kind of a media file or material.
type MediaType string

// Media kinds.
const (
	MediaImage MediaType = "image"
	MediaVoice MediaType = "voice" // at most 60 seconds long
	MediaVideo MediaType = "video"
	MediaThumb MediaType = "thumb" // thumbnail of videos and music
	MediaNews  MediaType = "news"  // news material (图文), listing and counting only
)

// Size limits of media files, in bytes.
const (
	MaxImageBytes        = 10 << 20 // image, temporary and permanent
	MaxVoiceBytes        = 2 << 20  // voice, temporary and permanent
	MaxVideoBytes        = 10 << 20 // video, temporary and permanent
	MaxThumbBytes        = 64 << 10 // thumb, temporary and permanent
	MaxArticleImageBytes = 1 << 20  // an image uploaded for an article (uploadimg)
)

// WeChat errcodes of the media APIs.
const (
	CodeInvalidMediaType   = 40004 // 不合法的媒体文件类型
	CodeInvalidFileType    = 40005 // 不合法的文件类型
	CodeInvalidFileSize    = 40006 // 不合法的文件大小
	CodeInvalidMediaID     = 40007 // 不合法的媒体文件 id (or expired: temporary media lives 3 days)
	CodeMissingMediaData   = 41005 // 缺少多媒体文件数据
	CodeMaterialLimit      = 45001 // 多媒体文件大小超过限制
	CodeUnsupportedContent = 40113 // unsupported file type
)

// mediaRule is what WeChat accepts for one kind of upload.
type mediaRule struct {
	maxBytes int64
	exts     []string // lower-case extensions with the dot
}

// tempMediaRule gives the rules of temporary media.
func tempMediaRule(t MediaType) (mediaRule, bool) {
	switch t {
	case MediaImage:
		return mediaRule{MaxImageBytes, []string{".png", ".jpeg", ".jpg", ".gif"}}, true
	case MediaVoice:
		return mediaRule{MaxVoiceBytes, []string{".amr", ".mp3"}}, true
	case MediaVideo:
		return mediaRule{MaxVideoBytes, []string{".mp4"}}, true
	case MediaThumb:
		return mediaRule{MaxThumbBytes, []string{".jpg", ".jpeg"}}, true
	}
	return mediaRule{}, false
}

// materialRule gives the rules of permanent materials.
func materialRule(t MediaType) (mediaRule, bool) {
	switch t {
	case MediaImage:
		return mediaRule{MaxImageBytes, []string{".bmp", ".png", ".jpeg", ".jpg", ".gif"}}, true
	case MediaVoice:
		return mediaRule{MaxVoiceBytes, []string{".mp3", ".wma", ".wav", ".amr"}}, true
	case MediaVideo:
		return mediaRule{MaxVideoBytes, []string{".mp4"}}, true
	case MediaThumb:
		return mediaRule{MaxThumbBytes, []string{".jpg", ".jpeg"}}, true
	}
	return mediaRule{}, false
}

// contentTypeOf maps accepted extensions to the Content-Type sent with the file.
func contentTypeOf(ext string) string {
	switch ext {
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".png":
		return "image/png"
	case ".gif":
		return "image/gif"
	case ".bmp":
		return "image/bmp"
	case ".mp3":
		return "audio/mpeg"
	case ".amr":
		return "audio/amr"
	case ".wma":
		return "audio/x-ms-wma"
	case ".wav":
		return "audio/wav"
	case ".mp4":
		return "video/mp4"
	}
	return "application/octet-stream"
}

// mediaFile checks fileName against rule and returns the file part to upload.
func mediaFile(apiPath string, t MediaType, rule mediaRule, fileName string, r io.Reader) (uploadFile, error) {
	if r == nil {
		return uploadFile{}, invalidf(apiPath, "nil reader")
	}
	if fileName == "" || strings.ContainsFunc(fileName, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return uploadFile{}, invalidf(apiPath, "file name %q is empty or has control characters", fileName)
	}
	ext := strings.ToLower(path.Ext(fileName))
	ok := false
	for _, e := range rule.exts {
		ok = ok || e == ext
	}
	if !ok {
		return uploadFile{}, invalidf(apiPath, "%s files must end in one of %s, got %q", t, strings.Join(rule.exts, " "), fileName)
	}
	return uploadFile{field: "media", name: fileName, contentType: contentTypeOf(ext), r: r, maxBytes: rule.maxBytes}, nil
}

// UploadedMedia is a temporary media file WeChat accepted.
type UploadedMedia struct {
	Type      MediaType `json:"type"`
	MediaID   string    `json:"media_id"` // valid for 3 days
	CreatedAt int64     `json:"created_at"`
}

// UploadMedia uploads a temporary media file of kind t, read from r and named fileName
// (its extension tells the format). The limits are checked before anything is sent when the
// size of r is known, and while streaming otherwise:
//
//   - image: 10 MB, PNG, JPEG, JPG, GIF
//   - voice: 2 MB, AMR, MP3, at most 60 seconds
//   - video: 10 MB, MP4
//   - thumb: 64 KB, JPG
//
// The file is streamed, never held in memory. When r is an io.Seeker (an *os.File, a
// *bytes.Reader) its size is known, the request carries a Content-Length, and the upload is
// repeated from the start if the access_token turns out expired; a plain stream is sent
// chunked and, on an expired token, returns the *APIError (the next call has a fresh token).
//
// https://developers.weixin.qq.com/doc/service/api/material/temporary/api_uploadtempmedia.html
func (c *Client) UploadMedia(ctx context.Context, t MediaType, fileName string, r io.Reader) (*UploadedMedia, error) {
	const apiPath = "/cgi-bin/media/upload"
	rule, ok := tempMediaRule(t)
	if !ok {
		return nil, invalidf(apiPath, "media type %q cannot be uploaded as temporary media", t)
	}
	f, err := mediaFile(apiPath, t, rule, fileName, r)
	if err != nil {
		return nil, err
	}
	var out struct {
		UploadedMedia
		ThumbMediaID string `json:"thumb_media_id"` // thumbs come back under this name
	}
	if err := c.upload(ctx, apiPath, url.Values{"type": {string(t)}}, f, &out); err != nil {
		return nil, err
	}
	if out.MediaID == "" {
		out.MediaID = out.ThumbMediaID
	}
	if out.MediaID == "" {
		return nil, fmt.Errorf("%w: %s: no media_id in answer", ErrBadResponse, apiPath)
	}
	return &out.UploadedMedia, nil
}

// GetMedia downloads the temporary media file mediaID. The caller must close Body. For a
// video, WeChat answers with an address instead: Body is nil and VideoURL is set (fetch it
// with a plain HTTP GET).
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html
func (c *Client) GetMedia(ctx context.Context, mediaID string) (*Media, error) {
	return c.getMedia(ctx, "/cgi-bin/media/get", mediaID)
}

// GetHDVoice downloads the high-definition (speex, 16 kHz) version of a voice file the user
// recorded with the JS-SDK (uploadVoice). The caller must close Body.
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html
func (c *Client) GetHDVoice(ctx context.Context, mediaID string) (*Media, error) {
	return c.getMedia(ctx, "/cgi-bin/media/get/jssdk", mediaID)
}

func (c *Client) getMedia(ctx context.Context, apiPath, mediaID string) (*Media, error) {
	if mediaID == "" {
		return nil, invalidf(apiPath, "empty media_id")
	}
	m, err := c.download(ctx, http.MethodGet, apiPath, url.Values{"media_id": {mediaID}}, nil)
	if err != nil {
		return nil, err
	}
	if m.Body == nil {
		var v struct {
			VideoURL string `json:"video_url"`
		}
		if err := json.Unmarshal(m.JSON, &v); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadResponse, apiPath, err)
		}
		m.VideoURL = v.VideoURL
	}
	return m, nil
}

// UploadArticleImage uploads an image for use inside an article's content (图文消息内的图片)
// and returns its URL. JPG or PNG, at most 1 MB; it does not count against the material
// library's limits.
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
func (c *Client) UploadArticleImage(ctx context.Context, fileName string, r io.Reader) (string, error) {
	const apiPath = "/cgi-bin/media/uploadimg"
	f, err := mediaFile(apiPath, MediaImage, mediaRule{MaxArticleImageBytes, []string{".jpg", ".jpeg", ".png"}}, fileName, r)
	if err != nil {
		return "", err
	}
	var out struct {
		URL string `json:"url"`
	}
	if err := c.upload(ctx, apiPath, nil, f, &out); err != nil {
		return "", err
	}
	if out.URL == "" {
		return "", fmt.Errorf("%w: %s: no url in answer", ErrBadResponse, apiPath)
	}
	return out.URL, nil
}

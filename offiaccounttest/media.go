package offiaccounttest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Temporary media (临时素材) and images for articles; permanent materials are in material.go.

// Media kinds and limits, as WeChat applies them to uploads.
const (
	// MediaLifetime is how long a temporary media file can be used: 40007 afterwards.
	MediaLifetime = 3 * 24 * time.Hour

	maxImageBytes        = 10 << 20
	maxVoiceBytes        = 2 << 20
	maxVideoBytes        = 10 << 20
	maxThumbBytes        = 64 << 10
	maxArticleImageBytes = 1 << 20
	// maxUploadBytes bounds an upload request: the largest file, its form and some slack,
	// so that a file a little too large still gets WeChat's own errcode.
	maxUploadBytes = 2*maxVideoBytes + 1<<20
)

// uploadRule is what WeChat accepts for one kind of file.
type uploadRule struct {
	maxBytes int
	exts     []string
}

func tempRule(kind string) (uploadRule, bool) {
	switch kind {
	case "image":
		return uploadRule{maxImageBytes, []string{".png", ".jpeg", ".jpg", ".gif"}}, true
	case "voice":
		return uploadRule{maxVoiceBytes, []string{".amr", ".mp3"}}, true
	case "video":
		return uploadRule{maxVideoBytes, []string{".mp4"}}, true
	case "thumb":
		return uploadRule{maxThumbBytes, []string{".jpg", ".jpeg"}}, true
	}
	return uploadRule{}, false
}

// storedMedia is a file the platform keeps. Its data is never changed once stored, so
// answers may share it.
type storedMedia struct {
	id, kind, name, contentType string
	data                        []byte
	created                     time.Time
	expires                     time.Time // zero for permanent materials
	url                         string    // permanent images
	title, introduction         string    // permanent videos
}

type mediaState struct {
	temp      map[string]*storedMedia
	materials []*storedMedia // oldest first
}

func newMediaState() mediaState { return mediaState{temp: make(map[string]*storedMedia)} }

// knowsLocked reports whether id names a live temporary file or a permanent material.
func (m *mediaState) knowsLocked(id string, now time.Time) bool {
	return m.findLocked(id, now) != nil
}

func (m *mediaState) findLocked(id string, now time.Time) *storedMedia {
	if f, ok := m.temp[id]; ok && now.Before(f.expires) {
		return f
	}
	if i := m.materialIndex(id); i >= 0 {
		return m.materials[i]
	}
	return nil
}

func (m *mediaState) materialIndex(id string) int {
	return slices.IndexFunc(m.materials, func(f *storedMedia) bool { return f.id == id })
}

// AddMedia stores a temporary media file of kind ("image", "voice", "video" or "thumb")
// for appID without an upload, as if the account had uploaded it, and returns its
// media_id; "" for an unknown account or kind. Limits are not checked.
func (p *Platform) AddMedia(appID, kind, fileName string, data []byte) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if _, known := tempRule(kind); !ok || !known {
		return ""
	}
	return p.storeTempLocked(a, kind, fileName, bytes.Clone(data)).id
}

// MediaData returns the content of a temporary media file or a permanent material of
// appID, as uploaded.
func (p *Platform) MediaData(appID, mediaID string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil, false
	}
	if f := a.media.findLocked(mediaID, p.now); f != nil {
		return bytes.Clone(f.data), true
	}
	return nil, false
}

func (p *Platform) storeTempLocked(a *account, kind, name string, data []byte) *storedMedia {
	f := &storedMedia{id: randomString(48), kind: kind, name: name, data: data,
		contentType: contentTypeOf(path.Ext(name)), created: p.now, expires: p.now.Add(MediaLifetime)}
	a.media.temp[f.id] = f
	return f
}

// upload is the file of a multipart upload and its other form fields.
type upload struct {
	name   string
	data   []byte
	fields map[string]string
}

// readUpload reads the multipart form of r: the file in field "media" (41005 without one).
func readUpload(r *request) (upload, int) {
	mt, params, err := mime.ParseMediaType(r.contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return upload{}, codeMediaDataMissing
	}
	mr := multipart.NewReader(bytes.NewReader(r.body), params["boundary"])
	up := upload{fields: make(map[string]string)}
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return upload{}, codeMediaDataMissing
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return upload{}, codeMediaDataMissing
		}
		if part.FormName() == "media" && part.FileName() != "" {
			up.name, up.data, found = part.FileName(), data, true
		} else {
			up.fields[part.FormName()] = string(data)
		}
	}
	if !found {
		return upload{}, codeMediaDataMissing
	}
	return up, 0
}

// check applies rule to the file: its extension (40005), empty (40006), too large (45001).
func (up *upload) check(rule uploadRule) int {
	switch {
	case !slices.Contains(rule.exts, strings.ToLower(path.Ext(up.name))):
		return codeInvalidFileType
	case len(up.data) == 0:
		return codeInvalidFileSize
	case len(up.data) > rule.maxBytes:
		return codeMediaSizeLimit
	}
	return 0
}

// handleMediaUpload is POST /cgi-bin/media/upload?type=…: a temporary file, checked for
// its kind (40004), extension, and size. A thumb's id comes back as thumb_media_id.
// https://developers.weixin.qq.com/doc/service/api/material/temporary/api_uploadtempmedia.html
func (p *Platform) handleMediaUpload(r *request) (any, int) {
	kind := r.get("type")
	rule, ok := tempRule(kind)
	if !ok {
		return nil, codeInvalidMediaType
	}
	up, code := readUpload(r)
	if code != 0 {
		return nil, code
	}
	if code := up.check(rule); code != 0 {
		return nil, code
	}
	f := p.storeTempLocked(r.acct, kind, up.name, up.data)
	out := map[string]any{"type": kind, "created_at": f.created.Unix()}
	if kind == "thumb" {
		out["thumb_media_id"] = f.id
	} else {
		out["media_id"] = f.id
	}
	return out, 0
}

// handleMediaGet is GET /cgi-bin/media/get?media_id=…: the file as uploaded, with its
// Content-Type; a video as {"video_url":…}; 40007 for an unknown or expired id.
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_temporary_materials.html
func (p *Platform) handleMediaGet(r *request) (any, int) {
	f, ok := r.acct.media.temp[r.get("media_id")]
	if !ok || !p.now.Before(f.expires) {
		return nil, codeInvalidMediaID
	}
	if f.kind == "video" {
		return struct {
			VideoURL string `json:"video_url"`
		}{"http://vweixinf.tc.qq.com/103_" + f.id + ".f10.mp4"}, 0
	}
	return &fileAnswer{contentType: f.contentType, name: f.name, data: f.data}, 0
}

// handleUploadImg is POST /cgi-bin/media/uploadimg: a JPG or PNG of at most 1 MB for use in
// articles; the answer is its URL.
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
func (p *Platform) handleUploadImg(r *request) (any, int) {
	up, code := readUpload(r)
	if code != 0 {
		return nil, code
	}
	if code := up.check(uploadRule{maxArticleImageBytes, []string{".jpg", ".jpeg", ".png"}}); code != 0 {
		return nil, code
	}
	return struct {
		URL string `json:"url"`
	}{imageURL(up.name)}, 0
}

// imageURL makes an address shaped like WeChat's image CDN for a file called name.
func imageURL(name string) string {
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	return "http://mmbiz.qpic.cn/mmbiz_" + ext + "/" + randomString(30) + "/0?wx_fmt=" + ext
}

// fileAnswer is an answer that is a file rather than JSON.
type fileAnswer struct {
	contentType, name string
	data              []byte // shared with the stored file, which never changes
}

func (f *fileAnswer) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.name}))
	h.Set("Content-Length", strconv.Itoa(len(f.data)))
	h.Set("Cache-Control", "no-cache, must-revalidate")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.data)
}

// contentTypeOf is the Content-Type WeChat serves a file with, by its extension.
func contentTypeOf(ext string) string {
	switch strings.ToLower(ext) {
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

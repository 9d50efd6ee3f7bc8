package offiaccounttest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

// pattern returns n bytes that are not all alike, so a truncated or shifted copy differs.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>10)
	}
	return b
}

// onlyReader hides any Seek or Len method, so the SDK streams the upload chunked.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(b []byte) (int, error) { return o.r.Read(b) }

func TestMediaUploadAndGet(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	img := pattern(5 << 20) // multi-MB, sent chunked

	up, err := c.UploadMedia(ctx, offiaccount.MediaImage, "猫.png", onlyReader{bytes.NewReader(img)})
	require.NoError(t, err)
	assert.Equal(t, offiaccount.MediaImage, up.Type)
	assert.Equal(t, sdkStart.Unix(), up.CreatedAt)

	m, err := c.GetMedia(ctx, up.MediaID)
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, "image/png", m.ContentType)
	assert.Equal(t, "猫.png", m.FileName)
	assert.Equal(t, int64(len(img)), m.ContentLength)
	h := sha256.New()
	_, err = io.Copy(h, m.Body)
	require.NoError(t, err)
	assert.Equal(t, sha256.Sum256(img), [32]byte(h.Sum(nil)))

	stored, ok := p.MediaData(sdkAppID, up.MediaID)
	require.True(t, ok)
	assert.True(t, bytes.Equal(img, stored))

	thumb, err := c.UploadMedia(ctx, offiaccount.MediaThumb, "t.jpg", bytes.NewReader(pattern(1000)))
	require.NoError(t, err, "a thumb's id comes back as thumb_media_id")
	assert.NotEmpty(t, thumb.MediaID)

	video, err := c.UploadMedia(ctx, offiaccount.MediaVideo, "v.mp4", bytes.NewReader(pattern(9<<20)))
	require.NoError(t, err)
	vm, err := c.GetMedia(ctx, video.MediaID)
	require.NoError(t, err)
	assert.Nil(t, vm.Body)
	assert.NotEmpty(t, vm.VideoURL, "videos come as an address")

	_, err = c.GetMedia(ctx, "no-such-media")
	requireCode(t, err, offiaccount.CodeInvalidMediaID)
	p.Advance(offiaccounttest.MediaLifetime)
	_, err = c.GetMedia(ctx, up.MediaID)
	requireCode(t, err, offiaccount.CodeInvalidMediaID)
}

// The platform's own checks, for uploads the SDK refuses to send.
func TestMediaUploadRules(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	tok := token(t, c)
	for _, tc := range []struct {
		path, kind, field, name string
		size                    int
		code                    int
	}{
		{"/cgi-bin/media/upload", "file", "media", "a.png", 10, offiaccount.CodeInvalidMediaType},
		{"/cgi-bin/media/upload", "image", "media", "a.exe", 10, offiaccount.CodeInvalidFileType},
		{"/cgi-bin/media/upload", "thumb", "media", "a.jpg", 64<<10 + 1, offiaccount.CodeMaterialLimit},
		{"/cgi-bin/media/upload", "voice", "media", "a.mp3", 2<<20 + 1, offiaccount.CodeMaterialLimit},
		{"/cgi-bin/media/upload", "image", "media", "a.png", 0, offiaccount.CodeInvalidFileSize},
		{"/cgi-bin/media/upload", "image", "file", "a.png", 10, offiaccount.CodeMissingMediaData},
		{"/cgi-bin/media/upload", "image", "media", "", 10, offiaccount.CodeMissingMediaData},
		{"/cgi-bin/media/uploadimg", "", "media", "a.gif", 10, offiaccount.CodeInvalidFileType},
		{"/cgi-bin/media/uploadimg", "", "media", "a.jpg", 1<<20 + 1, offiaccount.CodeMaterialLimit},
		{"/cgi-bin/material/add_material", "image", "media", "a.bmp", 10, 0},
		{"/cgi-bin/material/add_material", "video", "media", "a.mp4", 10, 40097}, // no description
		{"/cgi-bin/material/add_material", "news", "media", "a.png", 10, offiaccount.CodeInvalidMediaType},
	} {
		ct, body := multipartBody(t, tc.field, tc.name, pattern(tc.size))
		q := url.Values{"access_token": {tok}, "type": {tc.kind}}
		code, _ := rawCall(t, p, http.MethodPost, tc.path, q, ct, body)
		assert.Equal(t, tc.code, code, "%s %s %s %d", tc.path, tc.kind, tc.name, tc.size)
	}
	code, _ := rawCall(t, p, http.MethodPost, "/cgi-bin/media/upload", url.Values{"access_token": {tok}, "type": {"image"}},
		"application/json", []byte(`{}`))
	assert.Equal(t, offiaccount.CodeMissingMediaData, code, "not a form")
}

func TestArticleImage(t *testing.T) {
	t.Parallel()
	_, c := newSDK(t)
	u, err := c.UploadArticleImage(context.Background(), "a.jpg", bytes.NewReader(pattern(100)))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u, "http://mmbiz.qpic.cn/mmbiz_jpg/"), u)
}

func TestMaterials(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	logo := pattern(3000)

	img, err := c.AddMaterial(ctx, offiaccount.MediaImage, "logo.png", bytes.NewReader(logo))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(img.URL, "http://mmbiz.qpic.cn/mmbiz_png/"), img.URL)
	p.Advance(time.Minute)
	voice, err := c.AddMaterial(ctx, offiaccount.MediaVoice, "hi.mp3", bytes.NewReader(pattern(10)))
	require.NoError(t, err)
	assert.Empty(t, voice.URL)
	p.Advance(time.Minute)
	img2, err := c.AddMaterial(ctx, offiaccount.MediaImage, "two.jpg", bytes.NewReader(pattern(20)))
	require.NoError(t, err)
	video, err := c.AddVideoMaterial(ctx, "v.mp4", bytes.NewReader(pattern(4<<20)), "开箱", "第一集")
	require.NoError(t, err)

	m, err := c.GetMaterial(ctx, img.MediaID)
	require.NoError(t, err)
	got, err := io.ReadAll(m.Body)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	assert.Equal(t, logo, got)
	assert.Equal(t, "image/png", m.ContentType)

	v, err := c.GetMaterial(ctx, video.MediaID)
	require.NoError(t, err)
	assert.Nil(t, v.Body)
	assert.Equal(t, "开箱", v.Title)
	assert.Equal(t, "第一集", v.Description)
	assert.NotEmpty(t, v.VideoURL)

	count, err := c.CountMaterials(ctx)
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.MaterialCount{VoiceCount: 1, VideoCount: 1, ImageCount: 2}, count)

	list, err := c.ListMaterials(ctx, offiaccount.MediaImage, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, 2, list.TotalCount)
	require.Equal(t, 1, list.ItemCount)
	assert.Equal(t, img2.MediaID, list.Items[0].MediaID, "newest first")
	assert.Equal(t, "two.jpg", list.Items[0].Name)
	list, err = c.ListMaterials(ctx, offiaccount.MediaImage, 1, 20)
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, img.MediaID, list.Items[0].MediaID)
	assert.Equal(t, sdkStart.Unix(), list.Items[0].UpdateTime)
	news, err := c.ListMaterials(ctx, offiaccount.MediaNews, 0, 20)
	require.NoError(t, err)
	assert.Zero(t, news.TotalCount)
	assert.Equal(t, 40097, rawPost(t, p, c, "/cgi-bin/material/batchget_material", `{"type":"image","offset":0,"count":21}`))

	// A material can be sent like a temporary file.
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-a"})
	require.NoError(t, c.SendCustomMessage(ctx, offiaccount.CustomImage("o-a", img.MediaID)))

	require.NoError(t, c.DeleteMaterial(ctx, img.MediaID))
	requireCode(t, c.DeleteMaterial(ctx, img.MediaID), offiaccount.CodeInvalidMediaID)
	_, err = c.GetMaterial(ctx, img.MediaID)
	requireCode(t, err, offiaccount.CodeInvalidMediaID)
	_, ok := p.MediaData(sdkAppID, img.MediaID)
	assert.False(t, ok)
}

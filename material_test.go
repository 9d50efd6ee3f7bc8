package offiaccount

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAddMaterial(t *testing.T) {
	t.Parallel()
	const size = 5 << 20
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		assert.Equal(t, "/cgi-bin/material/add_material", r.URL.Path)
		got := readUpload(t, r)
		assert.Equal(t, "image", got.query["type"])
		assert.Equal(t, "media", got.field)
		assert.Equal(t, "scan.bmp", got.name)
		assert.Equal(t, "image/bmp", got.partType)
		assert.EqualValues(t, size, got.size)
		assert.Empty(t, got.fields)
		io.WriteString(w, `{"media_id":"MEDIA_ID","url":"http://mmbiz.qpic.cn/x/0?wx_fmt=bmp"}`)
	})
	m, err := c.AddMaterial(context.Background(), MediaImage, "scan.bmp", &patternReader{size: size})
	require.NoError(t, err)
	assert.Equal(t, &Material{MediaID: "MEDIA_ID", URL: "http://mmbiz.qpic.cn/x/0?wx_fmt=bmp"}, m)
}

func TestAddVideoMaterial(t *testing.T) {
	t.Parallel()
	const size = 7 << 20
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		got := readUpload(t, r)
		assert.Equal(t, "video", got.query["type"])
		assert.Equal(t, "video/mp4", got.partType)
		assert.EqualValues(t, size, got.size)
		assert.JSONEq(t, `{"title":"Launch <day>","introduction":"R&D 发布会"}`, got.fields["description"])
		io.WriteString(w, `{"media_id":"VID"}`)
	})
	m, err := c.AddVideoMaterial(context.Background(), "launch.mp4", &patternReader{size: size}, "Launch <day>", "R&D 发布会")
	require.NoError(t, err)
	assert.Equal(t, "VID", m.MediaID)
}

func TestAddMaterialInvalid(t *testing.T) {
	t.Parallel()
	c, ms := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {})
	ctx := context.Background()
	_, err := c.AddMaterial(ctx, MediaVideo, "a.mp4", strings.NewReader("x"))
	assert.ErrorIs(t, err, ErrInvalidRequest, "videos need AddVideoMaterial")
	_, err = c.AddVideoMaterial(ctx, "a.mp4", strings.NewReader("x"), "", "")
	assert.ErrorIs(t, err, ErrInvalidRequest, "no title")
	_, err = c.AddVideoMaterial(ctx, "a.avi", strings.NewReader("x"), "t", "")
	assert.ErrorIs(t, err, ErrInvalidRequest, "not mp4")
	_, err = c.AddMaterial(ctx, MediaVoice, "a.wav", &patternReader{size: MaxVoiceBytes + 1})
	assert.ErrorIs(t, err, ErrInvalidRequest, "too long a voice")
	_, err = c.AddMaterial(ctx, MediaNews, "a.jpg", strings.NewReader("x"))
	assert.ErrorIs(t, err, ErrInvalidRequest, "news are not uploaded")
	assert.Zero(t, ms.calls.Load())
}

func TestUploadArticleImage(t *testing.T) {
	t.Parallel()
	c, ms := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		assert.Equal(t, "/cgi-bin/media/uploadimg", r.URL.Path)
		got := readUpload(t, r)
		assert.Equal(t, "image/png", got.partType)
		io.WriteString(w, `{"url":"http://mmbiz.qpic.cn/mmbiz/gLO17UPS6FS2xsypf378iaNhWacZ1G1UplZYWEYfwvuU6Ont96b1roYs CNFwaRrSaKTPCUdBK9DgEHicsKwWCBRQ/0"}`)
	})
	ctx := context.Background()
	u, err := c.UploadArticleImage(ctx, "chart.png", &patternReader{size: MaxArticleImageBytes})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(u, "http://mmbiz.qpic.cn/"))

	_, err = c.UploadArticleImage(ctx, "chart.png", &patternReader{size: MaxArticleImageBytes + 1})
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = c.UploadArticleImage(ctx, "chart.gif", strings.NewReader("GIF"))
	assert.ErrorIs(t, err, ErrInvalidRequest)
	assert.EqualValues(t, 1, ms.calls.Load())
}

func TestGetMaterial(t *testing.T) {
	t.Parallel()
	news := `{"news_item":[{"title":"T","thumb_media_id":"TH","show_cover_pic":0,"author":"A","digest":"D","content":"<p>x</p>","url":"http://mp.weixin.qq.com/s?x","content_source_url":""}]}`
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/cgi-bin/material/get_material", r.URL.Path)
		var in map[string]string
		require.NoError(t, json.NewDecoder(r.Body).Decode(&in))
		assert.Equal(t, map[string]string{"media_id": []string{"IMG", "VID", "NEWS", "GONE"}[n-1]}, in)
		switch n {
		case 1:
			w.Header().Set("Content-Type", "image/png")
			io.Copy(w, &patternReader{size: 2 << 20})
		case 2:
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, `{"title":"Launch","description":"R&D","down_url":"http://example.com/v.mp4"}`)
		case 3:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, news)
		default:
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, `{"errcode":40007,"errmsg":"invalid media_id"}`)
		}
	})
	ctx := context.Background()

	img, err := c.GetMaterial(ctx, "IMG")
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, img.Body)
	require.NoError(t, err)
	require.NoError(t, img.Body.Close())
	assert.EqualValues(t, 2<<20, n)
	assert.Equal(t, "image/png", img.ContentType)

	vid, err := c.GetMaterial(ctx, "VID")
	require.NoError(t, err)
	assert.Nil(t, vid.Body)
	assert.Equal(t, "Launch", vid.Title)
	assert.Equal(t, "R&D", vid.Description)
	assert.Equal(t, "http://example.com/v.mp4", vid.VideoURL)

	nw, err := c.GetMaterial(ctx, "NEWS")
	require.NoError(t, err)
	assert.JSONEq(t, news, string(nw.JSON))

	_, err = c.GetMaterial(ctx, "GONE")
	requireAPIError(t, err, CodeInvalidMediaID, "/cgi-bin/material/get_material")
	_, err = c.GetMaterial(ctx, "")
	require.ErrorIs(t, err, ErrInvalidRequest)
}

func TestDeleteCountListMaterials(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/material/del_material",
		body: `{"media_id":"MID"}`, answer: `{"errcode":0,"errmsg":"ok"}`})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/material/get_materialcount",
		answer: `{"voice_count":1,"video_count":2,"image_count":3,"news_count":4}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/material/batchget_material",
		body: `{"type":"image","offset":20,"count":20}`,
		answer: `{"total_count":41,"item_count":1,"item":[{"media_id":"M1","name":"a.jpg",
			"update_time":1700000000,"url":"http://mmbiz.qpic.cn/a"}]}`})
	ctx := context.Background()

	require.NoError(t, c.DeleteMaterial(ctx, "MID"))
	cnt, err := c.CountMaterials(ctx)
	require.NoError(t, err)
	assert.Equal(t, &MaterialCount{VoiceCount: 1, VideoCount: 2, ImageCount: 3, NewsCount: 4}, cnt)
	list, err := c.ListMaterials(ctx, MediaImage, 20, 20)
	require.NoError(t, err)
	assert.Equal(t, &MaterialList{TotalCount: 41, ItemCount: 1, Items: []MaterialItem{
		{MediaID: "M1", Name: "a.jpg", UpdateTime: 1700000000, URL: "http://mmbiz.qpic.cn/a"}}}, list)

	require.ErrorIs(t, c.DeleteMaterial(ctx, ""), ErrInvalidRequest)
	for name, args := range map[string]struct {
		t             MediaType
		offset, count int
	}{"thumb": {MediaThumb, 0, 1}, "count 0": {MediaImage, 0, 0}, "count 21": {MediaVoice, 0, 21}, "offset -1": {MediaNews, -1, 5}} {
		_, err := c.ListMaterials(ctx, args.t, args.offset, args.count)
		assert.ErrorIs(t, err, ErrInvalidRequest, name)
	}
}

func TestListNewsMaterials(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/material/batchget_material",
		body: `{"type":"news","offset":0,"count":1}`,
		answer: `{"total_count":1,"item_count":1,"item":[{"media_id":"N1","content":{"news_item":[{"title":"T"}]},
			"update_time":1700000001}]}`})
	list, err := c.ListMaterials(context.Background(), MediaNews, 0, 1)
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "N1", list.Items[0].MediaID)
	assert.JSONEq(t, `{"news_item":[{"title":"T"}]}`, string(list.Items[0].Content))
}

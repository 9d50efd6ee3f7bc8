package offiaccount

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// patternReader generates size bytes of a fixed pattern without holding them; it can seek.
type patternReader struct{ size, off int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.size-p.off))
	for i := range b[:n] {
		b[i] = byte((p.off + int64(i)) % 251)
	}
	p.off += int64(n)
	return n, nil
}

func (p *patternReader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += p.off
	case io.SeekEnd:
		offset += p.size
	}
	if offset < 0 {
		return 0, errors.New("negative position")
	}
	p.off = offset
	return offset, nil
}

// streamOnly hides every method but Read: a pipe, a socket, a decompressor.
type streamOnly struct{ io.Reader }

func patternCRC(t *testing.T, size int64) uint32 {
	t.Helper()
	h := crc32.NewIEEE()
	_, err := io.Copy(h, &patternReader{size: size})
	require.NoError(t, err)
	return h.Sum32()
}

// receivedUpload is what the fake media server saw of one multipart upload.
type receivedUpload struct {
	query         map[string]string
	contentLength int64
	chunked       bool
	fields        map[string]string
	field, name   string
	partType      string
	size          int64
	crc           uint32
}

// mediaServer is an httptest server that answers the token endpoint and hands every other
// request to handle. Uploads are parsed as a stream and their file content discarded.
type mediaServer struct {
	*httptest.Server
	tokens atomic.Int32
	calls  atomic.Int32
}

func newMediaServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int32)) (*Client, *mediaServer) {
	t.Helper()
	ms := &mediaServer{}
	ms.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			// Every fetch issues a new token, so a retry can be told from the first try.
			fmt.Fprintf(w, `{"access_token":"%s-%d","expires_in":7200}`, testToken, ms.tokens.Add(1))
			return
		}
		assert.True(t, strings.HasPrefix(r.URL.Query().Get("access_token"), testToken+"-"))
		handle(w, r, ms.calls.Add(1))
	}))
	t.Cleanup(ms.Close)
	c, err := NewClient(testAppID, "SECRET", WithClientBaseURL(ms.URL))
	require.NoError(t, err)
	return c, ms
}

// readUpload streams a multipart request, keeping only sizes and a checksum of the file.
func readUpload(t *testing.T, r *http.Request) receivedUpload {
	t.Helper()
	got := receivedUpload{query: map[string]string{}, fields: map[string]string{},
		contentLength: r.ContentLength, chunked: len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked"}
	for k := range r.URL.Query() {
		got.query[k] = r.URL.Query().Get(k)
	}
	mr, err := r.MultipartReader()
	require.NoError(t, err)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if p.FileName() == "" {
			b, _ := io.ReadAll(p)
			got.fields[p.FormName()] = string(b)
			continue
		}
		got.field, got.name, got.partType = p.FormName(), p.FileName(), p.Header.Get("Content-Type")
		h := crc32.NewIEEE()
		got.size, err = io.Copy(h, p)
		require.NoError(t, err)
		got.crc = h.Sum32()
	}
	return got
}

func TestUploadMediaStreamsKnownSize(t *testing.T) {
	// Not parallel: it measures the allocations of the whole process.
	const size = 9<<20 + 12345 // a 9 MB video
	var got receivedUpload
	c, ms := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		assert.Equal(t, "/cgi-bin/media/upload", r.URL.Path)
		got = readUpload(t, r)
		io.WriteString(w, `{"type":"video","media_id":"MEDIA_ID","created_at":1672500000}`)
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := c.UploadMedia(context.Background(), MediaVideo, "clip.MP4", &patternReader{size: size})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, &UploadedMedia{Type: MediaVideo, MediaID: "MEDIA_ID", CreatedAt: 1672500000}, m)

	assert.Equal(t, "video", got.query["type"])
	assert.Equal(t, "media", got.field)
	assert.Equal(t, "clip.MP4", got.name)
	assert.Equal(t, "video/mp4", got.partType)
	assert.EqualValues(t, size, got.size)
	assert.Equal(t, patternCRC(t, size), got.crc)
	assert.False(t, got.chunked, "a file of known size goes with a Content-Length")
	assert.Greater(t, got.contentLength, int64(size))
	assert.EqualValues(t, 1, ms.calls.Load())
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(3<<20), "the file must not be held in memory")
}

func TestUploadMediaStreamsUnknownSize(t *testing.T) {
	const size = 9 << 20
	var got receivedUpload
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		got = readUpload(t, r)
		io.WriteString(w, `{"type":"image","media_id":"IMG","created_at":1}`)
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := c.UploadMedia(context.Background(), MediaImage, "big.png", streamOnly{&patternReader{size: size}})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Equal(t, "IMG", m.MediaID)
	assert.True(t, got.chunked, "a stream of unknown size is sent chunked")
	assert.EqualValues(t, size, got.size)
	assert.Equal(t, patternCRC(t, size), got.crc)
	assert.Equal(t, "image/png", got.partType)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(3<<20), "the file must not be held in memory")
}

func TestUploadMediaLimits(t *testing.T) {
	t.Parallel()
	c, ms := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"type":"voice","media_id":"X","created_at":1}`)
	})
	ctx := context.Background()
	tests := []struct {
		name string
		t    MediaType
		file string
		r    io.Reader
	}{
		{"video over 10 MB", MediaVideo, "a.mp4", &patternReader{size: MaxVideoBytes + 1}},
		{"thumb over 64 KB", MediaThumb, "a.jpg", bytes.NewReader(make([]byte, MaxThumbBytes+1))},
		{"voice over 2 MB, buffer", MediaVoice, "a.mp3", bytes.NewBuffer(make([]byte, MaxVoiceBytes+1))},
		{"image as bmp", MediaImage, "a.bmp", strings.NewReader("BM")},
		{"voice as wav", MediaVoice, "a.wav", strings.NewReader("RIFF")},
		{"thumb as png", MediaThumb, "a.png", strings.NewReader("x")},
		{"no extension", MediaImage, "image", strings.NewReader("x")},
		{"header injection", MediaImage, "a\r\nX-Evil: 1\r\n.jpg", strings.NewReader("x")},
		{"empty name", MediaImage, "", strings.NewReader("x")},
		{"nil reader", MediaImage, "a.jpg", nil},
		{"news is not media", MediaNews, "a.jpg", strings.NewReader("x")},
	}
	for _, tt := range tests {
		_, err := c.UploadMedia(ctx, tt.t, tt.file, tt.r)
		assert.ErrorIs(t, err, ErrInvalidRequest, tt.name)
	}
	assert.Zero(t, ms.calls.Load(), "nothing is sent for a file rejected up front")

	// A stream of unknown size is cut off once it passes the limit.
	_, err := c.UploadMedia(ctx, MediaVoice, "long.amr", streamOnly{&patternReader{size: MaxVoiceBytes + 1}})
	require.ErrorIs(t, err, ErrInvalidRequest)
	assert.Contains(t, err.Error(), "larger than")

	// Exactly at the limit is fine.
	_, err = c.UploadMedia(ctx, MediaVoice, "ok.amr", streamOnly{&patternReader{size: MaxVoiceBytes}})
	require.NoError(t, err)
}

func TestUploadThumbAnswer(t *testing.T) {
	t.Parallel()
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		got := readUpload(t, r)
		assert.Equal(t, "thumb", got.query["type"])
		assert.Equal(t, "image/jpeg", got.partType)
		io.WriteString(w, `{"type":"thumb","thumb_media_id":"THUMB","created_at":2}`)
	})
	m, err := c.UploadMedia(context.Background(), MediaThumb, "t.jpeg", strings.NewReader("\xff\xd8\xff"))
	require.NoError(t, err)
	assert.Equal(t, &UploadedMedia{Type: MediaThumb, MediaID: "THUMB", CreatedAt: 2}, m)
}

func TestUploadRetriesSeekableOnExpiredToken(t *testing.T) {
	t.Parallel()
	const size = 3 << 20
	var sizes []int64
	var tokens []string
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		got := readUpload(t, r)
		sizes = append(sizes, got.size)
		tokens = append(tokens, r.URL.Query().Get("access_token"))
		assert.Equal(t, patternCRC(t, size), got.crc, "attempt %d sends the whole file", n)
		if n == 1 {
			io.WriteString(w, `{"errcode":42001,"errmsg":"access_token expired"}`)
			return
		}
		io.WriteString(w, `{"type":"image","media_id":"OK","created_at":3}`)
	})
	m, err := c.UploadMedia(context.Background(), MediaImage, "x.jpg", &patternReader{size: size})
	require.NoError(t, err)
	assert.Equal(t, "OK", m.MediaID)
	assert.Equal(t, []int64{size, size}, sizes)
	require.Len(t, tokens, 2)
	assert.NotEqual(t, tokens[0], tokens[1], "the retry carries a new token")
}

func TestUploadStreamNotRetried(t *testing.T) {
	t.Parallel()
	c, ms := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
	})
	_, err := c.UploadMedia(context.Background(), MediaImage, "x.jpg", streamOnly{strings.NewReader("jpeg")})
	requireAPIError(t, err, CodeInvalidCredential, "/cgi-bin/media/upload")
	assert.ErrorIs(t, err, ErrTokenInvalid)
	assert.EqualValues(t, 1, ms.calls.Load(), "a stream cannot be sent twice")
}

func TestUploadAPIErrorAndStatus(t *testing.T) {
	t.Parallel()
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		io.Copy(io.Discard, r.Body)
		if n == 1 {
			io.WriteString(w, `{"errcode":40005,"errmsg":"invalid file type rid: 1-2"}`)
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	_, err := c.UploadMedia(context.Background(), MediaImage, "x.gif", strings.NewReader("GIF89a"))
	requireAPIError(t, err, CodeInvalidFileType, "/cgi-bin/media/upload")
	_, err = c.UploadMedia(context.Background(), MediaImage, "x.gif", strings.NewReader("GIF89a"))
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadGateway, se.StatusCode)
}

func TestGetMediaStreams(t *testing.T) {
	const size = 8 << 20
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		assert.Equal(t, http.MethodGet, r.Method)
		assert.Equal(t, "/cgi-bin/media/get", r.URL.Path)
		assert.Equal(t, "MID", r.URL.Query().Get("media_id"))
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Disposition", `attachment; filename="MID.jpg"`)
		io.Copy(w, &patternReader{size: size})
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := c.GetMedia(context.Background(), "MID")
	require.NoError(t, err)
	h := crc32.NewIEEE()
	n, err := io.Copy(h, m.Body)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	runtime.ReadMemStats(&after)
	assert.EqualValues(t, size, n)
	assert.Equal(t, patternCRC(t, size), h.Sum32())
	assert.Equal(t, "image/jpeg", m.ContentType)
	assert.Equal(t, "MID.jpg", m.FileName)
	assert.Nil(t, m.JSON)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(3<<20), "the file must not be held in memory")
}

func TestGetMediaJSONAnswers(t *testing.T) {
	t.Parallel()
	answers := []struct{ contentType, body string }{
		{"text/plain", `{"errcode":40007,"errmsg":"invalid media_id rid: 9-9"}`},
		{"application/json; encoding=utf-8", `{"errcode":42001,"errmsg":"access_token expired"}`},
		{"application/json", `{"errcode":0,"errmsg":"ok"}`},
		{"", `{"video_url":"http://vweixinf.tc.qq.com/DOWNLOAD_URL"}`},
		{"text/plain", `not json`},
	}
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		a := answers[n-1]
		if a.contentType == "" {
			w.Header()["Content-Type"] = nil // no type at all
		} else {
			w.Header().Set("Content-Type", a.contentType)
		}
		io.WriteString(w, a.body)
	})
	ctx := context.Background()
	_, err := c.GetMedia(ctx, "gone")
	requireAPIError(t, err, CodeInvalidMediaID, "/cgi-bin/media/get")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "9-9", apiErr.RID)

	// 42001 is retried with a new token, and the retry gets the video's address.
	m, err := c.GetMedia(ctx, "video")
	require.NoError(t, err)
	assert.Nil(t, m.Body)
	assert.NoError(t, m.Close(), "nothing to close")
	assert.Equal(t, "", m.VideoURL)
	m, err = c.GetMedia(ctx, "video")
	require.NoError(t, err)
	assert.Equal(t, "http://vweixinf.tc.qq.com/DOWNLOAD_URL", m.VideoURL)

	_, err = c.GetMedia(ctx, "broken")
	require.ErrorIs(t, err, ErrBadResponse)

	_, err = c.GetMedia(ctx, "")
	require.ErrorIs(t, err, ErrInvalidRequest)
}

func TestGetMediaTooLarge(t *testing.T) {
	t.Parallel()
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		w.Header().Set("Content-Type", "video/mp4")
		io.Copy(w, &patternReader{size: maxMediaDownloadBytes + 1})
	})
	m, err := c.GetHDVoice(context.Background(), "MID")
	require.NoError(t, err)
	defer m.Body.Close()
	n, err := io.Copy(io.Discard, m.Body)
	require.ErrorIs(t, err, ErrBadResponse)
	assert.LessOrEqual(t, n, int64(maxMediaDownloadBytes))
}

func TestIsJSONAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contentType, body string
		want              bool
	}{
		{"image/jpeg", `{"looks":"like json"}`, false},
		{"audio/amr", "#!AMR\n", false},
		{"application/octet-stream", "{", false},
		{"application/json", "", true},
		{"application/json; encoding=utf-8", "{}", true},
		{"text/plain", `{"errcode":40007}`, true},
		{"", ` {"errcode":40007}`, true},
		{"", "\xff\xd8\xff", false},
		{"", "", false},
		{"image/jpeg; =broken", "{", false},
	}
	for _, tt := range tests {
		got := isJSONAnswer(tt.contentType, bufio.NewReader(strings.NewReader(tt.body)))
		assert.Equal(t, tt.want, got, "%q %q", tt.contentType, tt.body)
	}
}

func FuzzIsJSONAnswer(f *testing.F) {
	f.Add("application/json", `{"errcode":1}`)
	f.Add("", " {")
	f.Add("image/png", "{")
	f.Add("text/plain; charset=\"", "x")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		br := bufio.NewReader(strings.NewReader(body))
		got := isJSONAnswer(contentType, br)
		if strings.HasPrefix(contentType, "image/") || strings.HasPrefix(contentType, "audio/") || strings.HasPrefix(contentType, "video/") {
			assert.False(t, got, "a file type is never taken for JSON")
		}
		rest, _ := io.ReadAll(br)
		assert.Equal(t, body, string(rest), "peeking consumes nothing")
	})
}

func TestMultipartFrame(t *testing.T) {
	t.Parallel()
	f := uploadFile{field: "media", name: `a"b\c.jpg`, contentType: "image/jpeg",
		extra: map[string]string{"description": `{"title":"T"}`, "a": "1"}}
	head, tail, ct, err := multipartFrame(f)
	require.NoError(t, err)
	_, params, err := mime.ParseMediaType(ct)
	require.NoError(t, err)
	body := io.MultiReader(bytes.NewReader(head), strings.NewReader("CONTENT"), bytes.NewReader(tail))
	mr := multipart.NewReader(body, params["boundary"])
	var names []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, _ := io.ReadAll(p)
		names = append(names, p.FormName())
		switch p.FormName() {
		case "media":
			assert.Equal(t, `a"b\c.jpg`, p.FileName())
			assert.Equal(t, "CONTENT", string(b))
		case "description":
			assert.Equal(t, `{"title":"T"}`, string(b))
		}
	}
	assert.Equal(t, []string{"a", "description", "media"}, names)
}

func ExampleClient_UploadMedia() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cgi-bin/stable_token" {
			io.WriteString(w, `{"access_token":"TOKEN","expires_in":7200}`)
			return
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"type":"image","media_id":"MEDIA_ID","created_at":1672500000}`)
	}))
	defer srv.Close()
	client, _ := NewClient("wx0000000000a991d0", "SECRET", WithClientBaseURL(srv.URL))
	ctx := context.Background()

	// Usually an *os.File: its size is checked before sending and it is streamed.
	photo := bytes.NewReader([]byte("\xff\xd8\xff\xe0 a small jpeg"))
	m, err := client.UploadMedia(ctx, MediaImage, "photo.jpg", photo)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.MediaID)
	// Then answer the user with it.
	_ = client.SendCustomMessage(ctx, CustomImage("oUSER", m.MediaID))

	_, err = client.UploadMedia(ctx, MediaThumb, "thumb.jpg", bytes.NewReader(make([]byte, 100<<10)))
	fmt.Println(errors.Is(err, ErrInvalidRequest))
	// Output:
	// MEDIA_ID
	// true
}

func TestUploadStalledStreamHonoursContext(t *testing.T) {
	t.Parallel()
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		io.Copy(io.Discard, r.Body) // waits for a body that never ends
	})
	stalled, feed := io.Pipe()
	defer feed.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.UploadMedia(ctx, MediaVoice, "live.amr", stalled)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestUploadEarlyAnswer(t *testing.T) {
	t.Parallel()
	c, _ := newMediaServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		// WeChat may refuse before reading the whole file.
		io.WriteString(w, `{"errcode":40004,"errmsg":"invalid media type"}`)
	})
	_, err := c.UploadMedia(context.Background(), MediaImage, "x.png", streamOnly{&patternReader{size: 8 << 20}})
	if err != nil && !errors.As(err, new(*APIError)) {
		// The server may also reset the connection before the client reads its answer.
		assert.NotContains(t, err.Error(), testToken)
		return
	}
	requireAPIError(t, err, CodeInvalidMediaType, "/cgi-bin/media/upload")
}

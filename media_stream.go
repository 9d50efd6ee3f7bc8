package offiaccount

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strings"
)

// The streaming call path of the media APIs: multipart uploads that never hold the file in
// memory, and downloads handed to the caller as a stream. JSON answers go through the same
// decodeAnswer as every other API.

// maxMediaDownloadBytes bounds a downloaded media file: twice the largest kind WeChat stores.
const maxMediaDownloadBytes = 20 << 20

// uploadFile is one file part of a multipart upload.
type uploadFile struct {
	field       string            // form field name, "media" for every WeChat media API
	name        string            // file name sent in Content-Disposition
	contentType string            // Content-Type of the part
	r           io.Reader         // the content, read once per attempt
	maxBytes    int64             // upper bound of the content
	extra       map[string]string // other form fields, written before the file
}

// upload POSTs f as multipart/form-data to path with the account's access_token and decodes
// the JSON answer into out.
//
// The file is streamed. When its size is known up front (an io.Seeker such as *os.File or
// *bytes.Reader, or a reader with a Len method such as *bytes.Buffer) it is checked against
// f.maxBytes before anything is sent and the request carries a Content-Length; otherwise the
// body is sent chunked and the upload fails once the content exceeds f.maxBytes.
//
// Like every other call, an upload rejected for an expired access_token is repeated once with
// a new token, but only when f.r is an io.Seeker that can be rewound to where it started: a
// plain stream cannot be read twice, so its upload returns the *APIError (the stale token is
// still dropped, so the next call succeeds). A stream is not read after upload returns, except
// when ctx ends while a Read of it is blocked.
func (c *Client) upload(ctx context.Context, path string, query url.Values, f uploadFile, out any) error {
	size, seeker, start := measure(f.r)
	if size > f.maxBytes {
		return invalidf(path, "file of %d bytes, at most %d allowed", size, f.maxBytes)
	}
	rewind := func() bool {
		if seeker == nil {
			return false
		}
		_, err := seeker.Seek(start, io.SeekStart)
		return err == nil
	}
	return c.withToken(ctx, path, query, rewind, func(q url.Values) error {
		return c.uploadOnce(ctx, path, q, f, size, out)
	})
}

// measure returns the bytes left in r, or -1 when unknown, and r as a seeker with its
// current offset when it can be rewound.
func measure(r io.Reader) (size int64, seeker io.Seeker, start int64) {
	if s, ok := r.(io.Seeker); ok {
		if cur, err := s.Seek(0, io.SeekCurrent); err == nil {
			if end, err := s.Seek(0, io.SeekEnd); err == nil {
				if _, err := s.Seek(cur, io.SeekStart); err == nil && end >= cur {
					return end - cur, s, cur
				}
			}
		}
	}
	if l, ok := r.(interface{ Len() int }); ok {
		return int64(l.Len()), nil, 0
	}
	return -1, nil, 0
}

// multipartFrame returns what goes before and after the file content.
func multipartFrame(f uploadFile) (head, tail []byte, contentType string, err error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(f.extra))
	for k := range f.extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := w.WriteField(k, f.extra[k]); err != nil {
			return nil, nil, "", err
		}
	}
	h := make(textproto.MIMEHeader, 2)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`,
		quoteEscaper.Replace(f.field), quoteEscaper.Replace(f.name)))
	h.Set("Content-Type", f.contentType)
	if _, err := w.CreatePart(h); err != nil {
		return nil, nil, "", err
	}
	head = bytes.Clone(buf.Bytes())
	buf.Reset()
	if err := w.Close(); err != nil {
		return nil, nil, "", err
	}
	return head, bytes.Clone(buf.Bytes()), w.FormDataContentType(), nil
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func (c *Client) uploadOnce(ctx context.Context, path string, q url.Values, f uploadFile, size int64, out any) error {
	head, tail, ct, err := multipartFrame(f)
	if err != nil {
		return fmt.Errorf("offiaccount: %s: encoding request: %w", path, err)
	}
	if size >= 0 {
		body := io.MultiReader(bytes.NewReader(head), io.LimitReader(f.r, size), bytes.NewReader(tail))
		resp, err := c.send(ctx, http.MethodPost, path, q, body, int64(len(head))+size+int64(len(tail)), ct)
		if err != nil {
			return err
		}
		return readAnswer(path, resp, out)
	}

	// Unknown size: stream through a pipe, chunked, stopping at maxBytes.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		tooBig := invalidf(path, "file larger than %d bytes", f.maxBytes)
		err := writeFramed(pw, head, &capReader{r: f.r, left: f.maxBytes, tooBig: tooBig}, tail)
		pw.CloseWithError(err)
		done <- err
	}()
	// net/http waits for the body to be read even after ctx ends; a stalled stream would
	// hold it forever, so cut the pipe when ctx ends.
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	defer stop()
	resp, err := c.send(ctx, http.MethodPost, path, q, pr, -1, ct)
	pr.CloseWithError(errUploadAbandoned) // the writer stops at its next write
	// Wait for the writer so that r is not read after the upload returns, unless ctx ends
	// first: a Read blocked on a stalled stream cannot be interrupted.
	select {
	case werr := <-done:
		if errors.Is(werr, ErrInvalidRequest) { // too large: say so, not how the request died
			if resp != nil {
				resp.Body.Close()
			}
			return werr
		}
	case <-ctx.Done():
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) { // the pipe was cut for it
			return fmt.Errorf("offiaccount: %s: %w", path, cerr)
		}
		return err
	}
	return readAnswer(path, resp, out)
}

var errUploadAbandoned = errors.New("offiaccount: upload abandoned")

func writeFramed(w io.Writer, head []byte, r io.Reader, tail []byte) error {
	if _, err := w.Write(head); err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		return err
	}
	_, err := w.Write(tail)
	return err
}

// capReader fails with tooBig once more than left bytes come out of r.
type capReader struct {
	r      io.Reader
	left   int64
	tooBig error
}

func (c *capReader) Read(p []byte) (int, error) {
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, c.tooBig
	}
	return n, err
}

// send sends one request with the given body and returns the response, whatever its status.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, body io.Reader, size int64, contentType string) (*http.Response, error) {
	u := c.baseURL + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("offiaccount: %s: %w", path, c.cleanErr(err, q))
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("offiaccount: %s: %w", path, c.cleanErr(err, q))
	}
	return resp, nil
}

// readAnswer reads and closes a JSON answer.
func readAnswer(path string, resp *http.Response, out any) error {
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return fmt.Errorf("offiaccount: %s: reading response: %w", path, cleanErr(err, nil))
	}
	if resp.StatusCode != http.StatusOK {
		return &StatusError{StatusCode: resp.StatusCode, Path: path}
	}
	if len(data) > maxResponseBytes {
		return fmt.Errorf("%w: %s: response larger than %d bytes", ErrBadResponse, path, maxResponseBytes)
	}
	return decodeAnswer(path, data, out)
}

// Media is a downloaded media file or material. Either Body streams the file (close it), or,
// for kinds WeChat answers with JSON instead (videos, news), Body is nil and JSON holds the
// answer, decoded where this package knows its shape.
type Media struct {
	Body          io.ReadCloser
	ContentType   string // as WeChat sent it, e.g. "image/jpeg"
	FileName      string // from Content-Disposition, when present
	ContentLength int64  // -1 when unknown

	JSON        []byte // the raw JSON answer, when Body is nil
	VideoURL    string // a video's download address: video_url (temporary) or down_url (permanent)
	Title       string // a permanent video's title
	Description string // a permanent video's description
}

// Close closes Body, if any; a Media of a JSON answer needs no closing.
func (m *Media) Close() error {
	if m == nil || m.Body == nil {
		return nil
	}
	return m.Body.Close()
}

// download fetches a media file with the account's access_token, retrying once on a token
// errcode (a download changes nothing, so repeating it is always safe).
func (c *Client) download(ctx context.Context, method, path string, query url.Values, in any) (*Media, error) {
	body, err := encodeBody(in)
	if err != nil {
		return nil, fmt.Errorf("offiaccount: %s: encoding request: %w", path, err)
	}
	var m *Media
	err = c.withToken(ctx, path, query, nil, func(q url.Values) error {
		var err error
		m, err = c.downloadOnce(ctx, method, path, q, body)
		return err
	})
	return m, err
}

func (c *Client) downloadOnce(ctx context.Context, method, path string, q url.Values, body []byte) (*Media, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	resp, err := c.send(ctx, method, path, q, rd, int64(len(body)), "application/json; charset=utf-8")
	if err != nil {
		return nil, err
	}
	ct := resp.Header.Get("Content-Type")
	br := bufio.NewReader(resp.Body)
	if resp.StatusCode != http.StatusOK || isJSONAnswer(ct, br) {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{br, resp.Body}
		var raw jsonBytes
		if err := readAnswer(path, resp, &raw); err != nil {
			return nil, err
		}
		return &Media{JSON: raw, ContentType: ct, ContentLength: -1}, nil
	}
	m := &Media{
		Body: struct {
			io.Reader
			io.Closer
		}{&capReader{r: br, left: maxMediaDownloadBytes,
			tooBig: fmt.Errorf("%w: %s: file larger than %d bytes", ErrBadResponse, path, maxMediaDownloadBytes)}, resp.Body},
		ContentType:   ct,
		ContentLength: resp.ContentLength,
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		m.FileName = params["filename"]
	}
	return m, nil
}

// jsonBytes keeps a JSON answer as it came.
type jsonBytes []byte

func (j *jsonBytes) UnmarshalJSON(b []byte) error {
	*j = bytes.Clone(b)
	return nil
}

// isJSONAnswer tells a JSON answer (an error, or a video's address) from a file: WeChat
// labels it application/json or text/plain, and some gateways send no type at all.
func isJSONAnswer(contentType string, br *bufio.Reader) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		switch mt {
		case "application/json", "text/json", "text/plain":
			return true
		}
		return false
	}
	if contentType != "" {
		return false
	}
	b, _ := br.Peek(64)
	return len(bytes.TrimLeft(b, " \t\r\n")) > 0 && bytes.TrimLeft(b, " \t\r\n")[0] == '{'
}

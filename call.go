package offiaccount

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Calling any endpoint (通用调用): the way to reach an API this package does not wrap yet,
// with the same access_token handling, retry on a rejected token, error decoding and secret
// redaction as the typed methods.

// DefaultCallUploadMaxBytes bounds a [FormFile] whose MaxBytes is zero: the largest file
// WeChat accepts on any of its upload APIs (a permanent video, 20 MB).
const DefaultCallUploadMaxBytes = 20 << 20

// checkCallPath accepts only a path of the configured API origin, so that the access_token
// added to the query can never travel to another host: "/cgi-bin/…" yes; "https://…",
// "//host/…", "cgi-bin/…", a path with a query, fragment, "..", spaces or control characters
// no. The query must not carry an access_token of its own: the Client adds the account's.
func checkCallPath(method, path string, query url.Values) error {
	if err := checkAPIPath(method, path); err != nil {
		return err
	}
	for k := range query {
		if strings.EqualFold(k, "access_token") {
			return invalidf(path, "query carries access_token: the Client adds the account's own")
		}
	}
	return nil
}

// checkAPIPath is checkCallPath without the rule on access_token.
func checkAPIPath(method, path string) error {
	const what = "Call"
	switch method {
	case http.MethodGet, http.MethodPost:
	default:
		return invalidf(what, "method %q: WeChat's APIs take GET or POST", method)
	}
	bad := !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") ||
		strings.ContainsAny(path, "?#%\\") || strings.Contains(path, "..") ||
		strings.Contains(path, "/./") || strings.HasSuffix(path, "/.")
	for _, r := range path {
		if r <= ' ' || r == 0x7f {
			bad = true
		}
	}
	if !bad {
		u, err := url.Parse(path)
		bad = err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.Path != path
	}
	if bad {
		return invalidf(what, "path %q is not an API path like /cgi-bin/user/info (no scheme, host, query or ..)", path)
	}
	return nil
}

// Call calls the API at path (like "/cgi-bin/user/info", relative to the Client's base URL)
// with the account's access_token, for endpoints this package does not wrap. method is GET
// or POST. query holds the other query parameters (nil for none; never the access_token). in
// is sent as the JSON body (nil for none; a json.RawMessage goes as is, other values are
// encoded without HTML escaping, as WeChat wants); out receives the JSON answer (nil to
// discard it).
//
// Call behaves like the typed methods: an answer with a non-zero errcode is an *APIError
// (errors.Is works with ErrTokenInvalid, ErrBusy, ErrQuota, …); an access_token rejected
// with 40001, 40014 or 42001 is dropped and the request sent once more with a fresh one;
// no error or log line carries the token. A path that is not a plain path of the API origin
// (an absolute URL, "//host", a query or "..") is refused before anything is sent, with an
// error matching ErrInvalidRequest.
//
// https://developers.weixin.qq.com/doc/oplatform/developers/dev/guide.html
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if err := checkCallPath(method, path, query); err != nil {
		return err
	}
	if method == http.MethodGet && in != nil {
		return invalidf(path, "a GET request carries no body")
	}
	return c.callWithToken(ctx, method, path, query, in, out)
}

// CallWithoutToken calls the API at path like [Client.Call] but adds no access_token: for
// endpoints that take their credentials in the query or the body themselves, such as the
// component_access_token of a third-party platform (第三方平台, package component), a user's
// web access_token, or an AppID and AppSecret. It sends the request once (no token to
// refresh, so no retry); paths, *APIError decoding and the replacement of transport errors
// are those of Call.
//
// Secrets stay out of errors and log lines by name and by value: the values of the query
// parameters and JSON body fields named access_token, secret, appsecret, code, ticket,
// refresh_token, component_appsecret, component_access_token, component_verify_ticket,
// pre_auth_code, authorization_code, authorizer_access_token and authorizer_refresh_token
// (at any depth of the body) are replaced wherever a transport quotes them, as are the
// Client's AppSecret and cached credentials.
//
// https://developers.weixin.qq.com/doc/oplatform/developers/dev/guide.html
func (c *Client) CallWithoutToken(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if err := checkAPIPath(method, path); err != nil {
		return err
	}
	if method == http.MethodGet && in != nil {
		return invalidf(path, "a GET request carries no body")
	}
	return c.doNoToken(ctx, method, path, query, in, out)
}

// FormFile is the file part of a multipart/form-data upload made with [Client.CallUpload].
type FormFile struct {
	Field       string            // form field name; "media" when empty, as every WeChat upload API names it
	FileName    string            // file name sent with the part; WeChat derives the type from its extension
	ContentType string            // of the part; "application/octet-stream" when empty
	Content     io.Reader         // read once per attempt; an io.Seeker can be rewound for a retry
	MaxBytes    int64             // refuse a larger file; 0 means DefaultCallUploadMaxBytes
	Fields      map[string]string // other form fields, sent before the file (e.g. "description")
}

// CallUpload POSTs f as multipart/form-data to the API at path with the account's
// access_token and decodes the JSON answer into out (nil to discard it), for upload APIs this
// package does not wrap. The file is streamed, never held in memory. Paths, errors and
// redaction are as for [Client.Call]; a file larger than f.MaxBytes fails with
// ErrInvalidRequest. After a rejected token the upload is repeated only when f.Content is an
// io.Seeker (such as *os.File or *bytes.Reader) that can be rewound.
//
// https://developers.weixin.qq.com/doc/service/api/material/temporary/api_uploadtempmedia.html
func (c *Client) CallUpload(ctx context.Context, path string, query url.Values, f FormFile, out any) error {
	if err := checkCallPath(http.MethodPost, path, query); err != nil {
		return err
	}
	if f.Content == nil {
		return invalidf(path, "FormFile without Content")
	}
	uf := uploadFile{field: f.Field, name: f.FileName, contentType: f.ContentType, r: f.Content,
		maxBytes: f.MaxBytes, extra: f.Fields}
	if uf.field == "" {
		uf.field = "media"
	}
	if uf.contentType == "" {
		uf.contentType = "application/octet-stream"
	}
	if uf.maxBytes <= 0 {
		uf.maxBytes = DefaultCallUploadMaxBytes
	}
	return c.upload(ctx, path, query, uf, out)
}

// CallDownload calls the API at path with the account's access_token and returns the answer
// undecoded, for download APIs this package does not wrap. When WeChat answers with a file,
// Media.Body streams it (close it; at most 20 MB are read); when it answers with JSON that is
// not an error, Body is nil and Media.JSON holds it. An errcode answer is an *APIError, and
// paths, retry and redaction are as for [Client.Call] (a download changes nothing, so the
// retry is always safe).
//
// https://developers.weixin.qq.com/doc/service/api/material/permanent/api_getmaterial.html
func (c *Client) CallDownload(ctx context.Context, method, path string, query url.Values, in any) (*Media, error) {
	if err := checkCallPath(method, path, query); err != nil {
		return nil, err
	}
	if method == http.MethodGet && in != nil {
		return nil, invalidf(path, "a GET request carries no body")
	}
	return c.download(ctx, method, path, query, in)
}

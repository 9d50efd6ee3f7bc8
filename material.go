package offiaccount

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"unicode/utf8"
)

// Permanent materials (永久素材): the account's media library. Image and other materials
// count against library limits (100,000 images, 1,000 of each other kind).

// MaxMaterialListCount is the most materials one ListMaterials call returns.
const MaxMaterialListCount = 20

// Material is a permanent material WeChat accepted.
type Material struct {
	MediaID string `json:"media_id"`
	URL     string `json:"url"` // images only: the image's address, usable inside WeChat
}

// AddMaterial uploads a permanent image, voice or thumb material read from r and named
// fileName (its extension tells the format). Limits, checked before sending when the size is
// known and while streaming otherwise:
//
//   - image: 10 MB, BMP, PNG, JPEG, JPG, GIF
//   - voice: 2 MB, MP3, WMA, WAV, AMR, at most 60 seconds
//   - thumb: 64 KB, JPG
//
// Videos need a title: use AddVideoMaterial. Upload streaming and retries behave as in
// [Client.UploadMedia].
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
func (c *Client) AddMaterial(ctx context.Context, t MediaType, fileName string, r io.Reader) (*Material, error) {
	if t == MediaVideo {
		return nil, invalidf(pathAddMaterial, "use AddVideoMaterial for videos")
	}
	return c.addMaterial(ctx, t, fileName, r, nil)
}

// AddVideoMaterial uploads a permanent video material (MP4, at most 10 MB) with its title
// and introduction.
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
func (c *Client) AddVideoMaterial(ctx context.Context, fileName string, r io.Reader, title, introduction string) (*Material, error) {
	if title == "" || !utf8.ValidString(title) || !utf8.ValidString(introduction) {
		return nil, invalidf(pathAddMaterial, "a video needs a title, and both texts valid UTF-8")
	}
	desc, err := encodeBody(struct {
		Title        string `json:"title"`
		Introduction string `json:"introduction"`
	}{title, introduction})
	if err != nil {
		return nil, fmt.Errorf("offiaccount: %s: encoding request: %w", pathAddMaterial, err)
	}
	return c.addMaterial(ctx, MediaVideo, fileName, r, map[string]string{"description": string(desc)})
}

const pathAddMaterial = "/cgi-bin/material/add_material"

func (c *Client) addMaterial(ctx context.Context, t MediaType, fileName string, r io.Reader, extra map[string]string) (*Material, error) {
	rule, ok := materialRule(t)
	if !ok {
		return nil, invalidf(pathAddMaterial, "media type %q cannot be added as a material", t)
	}
	f, err := mediaFile(pathAddMaterial, t, rule, fileName, r)
	if err != nil {
		return nil, err
	}
	f.extra = extra
	var out Material
	if err := c.upload(ctx, pathAddMaterial, url.Values{"type": {string(t)}}, f, &out); err != nil {
		return nil, err
	}
	if out.MediaID == "" {
		return nil, fmt.Errorf("%w: %s: no media_id in answer", ErrBadResponse, pathAddMaterial)
	}
	return &out, nil
}

type mediaIDBody struct {
	MediaID string `json:"media_id"`
}

// GetMaterial downloads the permanent material mediaID. Images, voices and thumbs come as
// Body (close it). A video comes as Title, Description and VideoURL (down_url); a news
// material as its raw JSON in JSON ({"news_item":[…]}).
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Getting_Permanent_Assets.html
func (c *Client) GetMaterial(ctx context.Context, mediaID string) (*Media, error) {
	const path = "/cgi-bin/material/get_material"
	if mediaID == "" {
		return nil, invalidf(path, "empty media_id")
	}
	m, err := c.download(ctx, http.MethodPost, path, nil, &mediaIDBody{mediaID})
	if err != nil {
		return nil, err
	}
	if m.Body == nil {
		var v struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			DownURL     string `json:"down_url"`
		}
		if err := json.Unmarshal(m.JSON, &v); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadResponse, path, err)
		}
		m.Title, m.Description, m.VideoURL = v.Title, v.Description, v.DownURL
	}
	return m, nil
}

// DeleteMaterial deletes the permanent material mediaID.
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Deleting_Permanent_Assets.html
func (c *Client) DeleteMaterial(ctx context.Context, mediaID string) error {
	const path = "/cgi-bin/material/del_material"
	if mediaID == "" {
		return invalidf(path, "empty media_id")
	}
	return c.postJSON(ctx, path, nil, &mediaIDBody{mediaID}, nil)
}

// MaterialCount is how many materials of each kind the account has.
type MaterialCount struct {
	VoiceCount int `json:"voice_count"`
	VideoCount int `json:"video_count"`
	ImageCount int `json:"image_count"`
	NewsCount  int `json:"news_count"`
}

// CountMaterials returns the number of permanent materials of each kind.
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_the_total_of_all_materials.html
func (c *Client) CountMaterials(ctx context.Context) (*MaterialCount, error) {
	var out MaterialCount
	if err := c.getJSON(ctx, "/cgi-bin/material/get_materialcount", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// MaterialItem is one entry of a material list. News entries carry their articles in
// Content ({"news_item":[…],"create_time":…,"update_time":…}) and no Name or URL.
type MaterialItem struct {
	MediaID    string          `json:"media_id"`
	Name       string          `json:"name"`
	UpdateTime int64           `json:"update_time"`
	URL        string          `json:"url"`
	Content    json.RawMessage `json:"content,omitempty"`
}

// MaterialList is one page of materials of one kind.
type MaterialList struct {
	TotalCount int            `json:"total_count"` // materials of the kind in all
	ItemCount  int            `json:"item_count"`  // materials on this page
	Items      []MaterialItem `json:"item"`
}

// ListMaterials returns up to count (1 to 20) materials of kind t, skipping the first
// offset, newest first.
//
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_materials_list.html
func (c *Client) ListMaterials(ctx context.Context, t MediaType, offset, count int) (*MaterialList, error) {
	const path = "/cgi-bin/material/batchget_material"
	switch {
	case t != MediaImage && t != MediaVoice && t != MediaVideo && t != MediaNews:
		return nil, invalidf(path, "type %q, want image, voice, video or news", t)
	case offset < 0:
		return nil, invalidf(path, "negative offset")
	case count < 1 || count > MaxMaterialListCount:
		return nil, invalidf(path, "count %d, want 1 to %d", count, MaxMaterialListCount)
	}
	in := struct {
		Type   MediaType `json:"type"`
		Offset int       `json:"offset"`
		Count  int       `json:"count"`
	}{t, offset, count}
	var out MaterialList
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

package offiaccounttest

import (
	"encoding/json"
	"path"
	"slices"
)

// Permanent materials (永久素材).

const maxMaterialList = 20 // materials per batchget_material page

func materialRule(kind string) (uploadRule, bool) {
	switch kind {
	case "image":
		return uploadRule{maxImageBytes, []string{".bmp", ".png", ".jpeg", ".jpg", ".gif"}}, true
	case "voice":
		return uploadRule{maxVoiceBytes, []string{".mp3", ".wma", ".wav", ".amr"}}, true
	case "video":
		return uploadRule{maxVideoBytes, []string{".mp4"}}, true
	case "thumb":
		return uploadRule{maxThumbBytes, []string{".jpg", ".jpeg"}}, true
	}
	return uploadRule{}, false
}

// handleAddMaterial is POST /cgi-bin/material/add_material?type=…: a permanent file; a
// video needs the form field description = {"title":…,"introduction":…} (40097). Images
// come back with their URL.
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
func (p *Platform) handleAddMaterial(r *request) (any, int) {
	kind := r.get("type")
	rule, ok := materialRule(kind)
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
	f := &storedMedia{id: randomString(32), kind: kind, name: up.name, data: up.data,
		contentType: contentTypeOf(path.Ext(up.name)), created: p.now}
	if kind == "video" {
		var desc struct {
			Title        string `json:"title"`
			Introduction string `json:"introduction"`
		}
		if err := json.Unmarshal([]byte(up.fields["description"]), &desc); err != nil || desc.Title == "" {
			return nil, codeInvalidArgs
		}
		f.title, f.introduction = desc.Title, desc.Introduction
	}
	if kind == "image" {
		f.url = imageURL(up.name)
	}
	r.acct.media.materials = append(r.acct.media.materials, f)
	return struct {
		MediaID string `json:"media_id"`
		URL     string `json:"url,omitempty"`
	}{f.id, f.url}, 0
}

type mediaIDBody struct {
	MediaID string `json:"media_id"`
}

// handleGetMaterial is POST /cgi-bin/material/get_material {"media_id":…}: the file, or for
// a video its title, description and down_url; 40007 for an unknown id.
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Getting_Permanent_Assets.html
func (p *Platform) handleGetMaterial(r *request) (any, int) {
	var in mediaIDBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	i := r.acct.media.materialIndex(in.MediaID)
	if in.MediaID == "" || i < 0 {
		return nil, codeInvalidMediaID
	}
	f := r.acct.media.materials[i]
	if f.kind == "video" {
		return struct {
			Title       string `json:"title"`
			Description string `json:"description"`
			DownURL     string `json:"down_url"`
		}{f.title, f.introduction, "http://mp.weixin.qq.com/mp/getvideo?vid=" + f.id}, 0
	}
	return &fileAnswer{contentType: f.contentType, name: f.name, data: f.data}, 0
}

// handleDelMaterial is POST /cgi-bin/material/del_material {"media_id":…}.
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Deleting_Permanent_Assets.html
func (p *Platform) handleDelMaterial(r *request) (any, int) {
	var in mediaIDBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	m := &r.acct.media
	i := m.materialIndex(in.MediaID)
	if in.MediaID == "" || i < 0 {
		return nil, codeInvalidMediaID
	}
	m.materials = slices.Delete(m.materials, i, i+1)
	return okBody, 0
}

// handleMaterialCount is GET /cgi-bin/material/get_materialcount. News materials are not
// served by the fake, so news_count is 0.
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_the_total_of_all_materials.html
func (p *Platform) handleMaterialCount(r *request) (any, int) {
	var out struct {
		Voice int `json:"voice_count"`
		Video int `json:"video_count"`
		Image int `json:"image_count"`
		News  int `json:"news_count"`
	}
	for _, f := range r.acct.media.materials {
		switch f.kind {
		case "voice":
			out.Voice++
		case "video":
			out.Video++
		case "image":
			out.Image++
		}
	}
	return out, 0
}

type materialItem struct {
	MediaID    string `json:"media_id"`
	Name       string `json:"name"`
	UpdateTime int64  `json:"update_time"`
	URL        string `json:"url"`
}

// handleBatchGetMaterial is POST /cgi-bin/material/batchget_material {"type","offset",
// "count"}: newest first, count 1…20 (40097); type image, voice, video or news (40004).
// https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Get_materials_list.html
func (p *Platform) handleBatchGetMaterial(r *request) (any, int) {
	var in struct {
		Type   string `json:"type"`
		Offset int    `json:"offset"`
		Count  int    `json:"count"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	switch {
	case in.Type != "image" && in.Type != "voice" && in.Type != "video" && in.Type != "news":
		return nil, codeInvalidMediaType
	case in.Offset < 0 || in.Count < 1 || in.Count > maxMaterialList:
		return nil, codeInvalidArgs
	}
	var all []materialItem
	ms := r.acct.media.materials
	for i := len(ms) - 1; i >= 0; i-- {
		if f := ms[i]; f.kind == in.Type {
			all = append(all, materialItem{MediaID: f.id, Name: f.name, UpdateTime: f.created.Unix(), URL: f.url})
		}
	}
	page := []materialItem{}
	if in.Offset < len(all) {
		page = all[in.Offset:min(in.Offset+in.Count, len(all))]
	}
	return struct {
		TotalCount int            `json:"total_count"`
		ItemCount  int            `json:"item_count"`
		Item       []materialItem `json:"item"`
	}{len(all), len(page), page}, 0
}

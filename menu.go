package offiaccount

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ButtonType says what a custom-menu button (自定义菜单按钮) does when a user taps it. It is
// WeChat's "type" field; a button that opens a sub-menu has no type.
type ButtonType string

// Button types accepted by /cgi-bin/menu/create. The comment after each names the field the
// type requires.
const (
	ButtonClick              ButtonType = "click"                // Key: pushes a CLICK event
	ButtonView               ButtonType = "view"                 // URL: opens a web page
	ButtonMiniProgram        ButtonType = "miniprogram"          // URL, AppID, PagePath: opens a mini program (小程序)
	ButtonScanCodePush       ButtonType = "scancode_push"        // Key: scans a code, pushes the result
	ButtonScanCodeWaitMsg    ButtonType = "scancode_waitmsg"     // Key: scans a code, waits for the reply
	ButtonPicSysPhoto        ButtonType = "pic_sysphoto"         // Key: takes a photo and sends it
	ButtonPicPhotoOrAlbum    ButtonType = "pic_photo_or_album"   // Key: camera or album, then sends
	ButtonPicWeixin          ButtonType = "pic_weixin"           // Key: WeChat album, then sends
	ButtonLocationSelect     ButtonType = "location_select"      // Key: picks a location and sends it
	ButtonMediaID            ButtonType = "media_id"             // MediaID: sends a permanent material
	ButtonViewLimited        ButtonType = "view_limited"         // MediaID: opens a permanent news material
	ButtonArticleID          ButtonType = "article_id"           // ArticleID: sends a published article
	ButtonArticleViewLimited ButtonType = "article_view_limited" // ArticleID: opens a published article
)

// Button is one entry of a custom menu: a top-level button (一级菜单) or a sub-button
// (二级菜单). A button either has a Type and the fields that type needs, or has SubButtons
// and no Type. Field order follows WeChat's examples so encoded menus read like its docs.
type Button struct {
	Type       ButtonType `json:"type,omitempty"`
	Name       string     `json:"name"`
	Key        string     `json:"key,omitempty"`
	URL        string     `json:"url,omitempty"`
	AppID      string     `json:"appid,omitempty"`
	PagePath   string     `json:"pagepath,omitempty"`
	MediaID    string     `json:"media_id,omitempty"`
	ArticleID  string     `json:"article_id,omitempty"`
	SubButtons []Button   `json:"sub_button,omitempty"`
}

// ClickButton returns a button that sends a CLICK event carrying key to the server.
func ClickButton(name, key string) Button {
	return Button{Type: ButtonClick, Name: name, Key: key}
}

// ViewButton returns a button that opens url in WeChat's browser.
func ViewButton(name, url string) Button {
	return Button{Type: ButtonView, Name: name, URL: url}
}

// MiniProgramButton returns a button that opens pagePath of the mini program appID; clients
// too old for mini programs open url instead.
func MiniProgramButton(name, url, appID, pagePath string) Button {
	return Button{Type: ButtonMiniProgram, Name: name, URL: url, AppID: appID, PagePath: pagePath}
}

// ScanCodePushButton returns a button that opens the scanner and pushes the result as a
// scancode_push event carrying key.
func ScanCodePushButton(name, key string) Button {
	return Button{Type: ButtonScanCodePush, Name: name, Key: key}
}

// ScanCodeWaitMsgButton returns a button that opens the scanner, sends the result as a
// scancode_waitmsg event carrying key, and shows "receiving" until the server replies.
func ScanCodeWaitMsgButton(name, key string) Button {
	return Button{Type: ButtonScanCodeWaitMsg, Name: name, Key: key}
}

// PicSysPhotoButton returns a button that opens the camera and sends the photo, with a
// pic_sysphoto event carrying key.
func PicSysPhotoButton(name, key string) Button {
	return Button{Type: ButtonPicSysPhoto, Name: name, Key: key}
}

// PicPhotoOrAlbumButton returns a button that lets the user take a photo or pick one from the
// album, with a pic_photo_or_album event carrying key.
func PicPhotoOrAlbumButton(name, key string) Button {
	return Button{Type: ButtonPicPhotoOrAlbum, Name: name, Key: key}
}

// PicWeixinButton returns a button that opens the WeChat album, with a pic_weixin event
// carrying key.
func PicWeixinButton(name, key string) Button {
	return Button{Type: ButtonPicWeixin, Name: name, Key: key}
}

// LocationSelectButton returns a button that opens the location picker, with a
// location_select event carrying key.
func LocationSelectButton(name, key string) Button {
	return Button{Type: ButtonLocationSelect, Name: name, Key: key}
}

// MediaButton returns a button that sends the permanent material mediaID (永久素材) to the
// user.
func MediaButton(name, mediaID string) Button {
	return Button{Type: ButtonMediaID, Name: name, MediaID: mediaID}
}

// ViewLimitedButton returns a button that opens the permanent news material mediaID.
func ViewLimitedButton(name, mediaID string) Button {
	return Button{Type: ButtonViewLimited, Name: name, MediaID: mediaID}
}

// ArticleButton returns a button that sends the published article articleID (发布后的图文).
func ArticleButton(name, articleID string) Button {
	return Button{Type: ButtonArticleID, Name: name, ArticleID: articleID}
}

// ArticleViewLimitedButton returns a button that opens the published article articleID.
func ArticleViewLimitedButton(name, articleID string) Button {
	return Button{Type: ButtonArticleViewLimited, Name: name, ArticleID: articleID}
}

// SubMenu returns a top-level button that opens a sub-menu of buttons.
func SubMenu(name string, buttons ...Button) Button {
	return Button{Name: name, SubButtons: buttons}
}

// Menu is a custom menu in WeChat's own JSON shape: the default menu (默认菜单) when MatchRule
// is nil, a conditional menu (个性化菜单) otherwise.
type Menu struct {
	Buttons   []Button   `json:"button"`
	MatchRule *MatchRule `json:"matchrule,omitempty"`
}

// NewMenu returns a menu of the given top-level buttons.
func NewMenu(buttons ...Button) Menu {
	return Menu{Buttons: buttons}
}

// Sex is the match-rule gender value; WeChat sends and expects it as a string.
type Sex string

// Sex values for MatchRule.Sex.
const (
	SexMale   Sex = "1"
	SexFemale Sex = "2"
)

// ClientPlatform is the match-rule client operating system value.
type ClientPlatform string

// ClientPlatform values for MatchRule.ClientPlatformType.
const (
	PlatformIOS     ClientPlatform = "1"
	PlatformAndroid ClientPlatform = "2"
	PlatformOther   ClientPlatform = "3"
)

// MatchRule selects the users who see a conditional menu (个性化菜单匹配规则). Empty fields do
// not take part in matching; at least one must be set.
//
// WeChat no longer creates conditional menus that match on Sex, Country, Province, City or
// Language (privacy rules, errcode 65320); the fields remain because /cgi-bin/menu/get still
// reports them on older menus. TagID and ClientPlatformType are the usable ones.
type MatchRule struct {
	TagID              string         `json:"tag_id,omitempty"` // user tag id (用户标签)
	Sex                Sex            `json:"sex,omitempty"`
	Country            string         `json:"country,omitempty"`
	Province           string         `json:"province,omitempty"` // requires Country
	City               string         `json:"city,omitempty"`     // requires Province
	ClientPlatformType ClientPlatform `json:"client_platform_type,omitempty"`
	Language           string         `json:"language,omitempty"` // e.g. "zh_CN", "en"
}

// IsZero reports whether no field of the rule is set, which WeChat rejects (errcode 65304).
func (r MatchRule) IsZero() bool {
	return r == MatchRule{}
}

// maxMenuFileSize bounds LoadMenuFile. The largest menu WeChat accepts is far smaller: 18
// buttons whose longest field, the url, is capped at 1024 bytes.
const maxMenuFileSize = 1 << 20

// ParseMenuJSON decodes a menu written in WeChat's own format ({"button":[…]} with an optional
// "matchrule") and validates it. Unknown field names are rejected, so a misspelt "sub_buttons"
// is reported rather than silently dropped; a "menuid" (as in /cgi-bin/menu/get output) is
// accepted and ignored. Match-rule values may be JSON strings or numbers.
func ParseMenuJSON(data []byte) (*Menu, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wireMenu
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMenu, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the menu object", ErrInvalidMenu)
	}
	m := w.menu()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// LoadMenuFile reads a menu file in WeChat's JSON format (see ParseMenuJSON), so a menu can be
// kept under version control next to the code that handles its events.
func LoadMenuFile(path string) (*Menu, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("offiaccount: load menu: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMenuFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("offiaccount: load menu: %w", err)
	}
	if len(data) > maxMenuFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidMenu, path, maxMenuFileSize)
	}
	m, err := ParseMenuJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// JSON returns the menu in WeChat's wire format, exactly as CreateMenu and AddConditionalMenu
// send it: non-ASCII names stay raw UTF-8 and '&', '<', '>' in URLs are not escaped (WeChat
// rejects \uXXXX escapes in menus). Write it to a file to load it later with LoadMenuFile.
func (m Menu) JSON() ([]byte, error) {
	return marshalNoEscape(m)
}

// marshalNoEscape encodes v as compact JSON without HTML escaping and without the trailing
// newline json.Encoder adds.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// flexString decodes a JSON string or number into its text: WeChat reports menuid as a number
// in /cgi-bin/menu/get, as a string elsewhere, and match-rule values in either form.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("offiaccount: expected a JSON string or number")
	}
	*s = flexString(n)
	return nil
}

// wireMatchRule is MatchRule as WeChat may report it, with numbers or strings.
type wireMatchRule struct {
	TagID              flexString `json:"tag_id"`
	Sex                flexString `json:"sex"`
	Country            flexString `json:"country"`
	Province           flexString `json:"province"`
	City               flexString `json:"city"`
	ClientPlatformType flexString `json:"client_platform_type"`
	Language           flexString `json:"language"`
}

func (w *wireMatchRule) rule() *MatchRule {
	if w == nil {
		return nil
	}
	return &MatchRule{
		TagID:              string(w.TagID),
		Sex:                Sex(w.Sex),
		Country:            string(w.Country),
		Province:           string(w.Province),
		City:               string(w.City),
		ClientPlatformType: ClientPlatform(w.ClientPlatformType),
		Language:           string(w.Language),
	}
}

// wireMenu is one menu object as WeChat reports it: a menu file, an entry of
// /cgi-bin/menu/get, or a /cgi-bin/menu/trymatch result.
type wireMenu struct {
	Buttons   []Button       `json:"button"`
	MatchRule *wireMatchRule `json:"matchrule"`
	MenuID    flexString     `json:"menuid"`
}

func (w *wireMenu) menu() Menu {
	return Menu{Buttons: w.Buttons, MatchRule: w.MatchRule.rule()}
}

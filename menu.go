package offiaccount

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	ButtonMediaID            ButtonType = "media_id"             // MediaID: sends a permanent material; legacy for news, use ButtonArticleID
	ButtonViewLimited        ButtonType = "view_limited"         // MediaID: opens a news material; legacy, use ButtonArticleViewLimited
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
// user. For news (图文) it is legacy: news materials gave way to the draft box and published
// articles, so send an article with [ArticleButton]; images, voice and video still work.
func MediaButton(name, mediaID string) Button {
	return Button{Type: ButtonMediaID, Name: name, MediaID: mediaID}
}

// ViewLimitedButton returns a button that opens the permanent news material mediaID.
//
// Deprecated: news materials gave way to the draft box (material/add_news answers 45106);
// use [ArticleViewLimitedButton] with the published article's article_id.
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

// JSON returns the menu in WeChat's wire format, exactly as CreateMenu and AddConditionalMenu
// send it: non-ASCII names stay raw UTF-8 and '&', '<', '>' in URLs are not escaped (WeChat
// rejects \uXXXX escapes in menus). Write it to a file to load it later with LoadMenuFile.
func (m Menu) JSON() ([]byte, error) {
	return encodeBody(m)
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

// menu converts w, dropping the empty "sub_button":[] WeChat puts on every leaf button so that
// a menu read back compares equal to one built with the constructors.
func (w *wireMenu) menu() Menu {
	for i := range w.Buttons {
		b := &w.Buttons[i]
		if len(b.SubButtons) == 0 {
			b.SubButtons = nil
		}
		for j := range b.SubButtons {
			if len(b.SubButtons[j].SubButtons) == 0 {
				b.SubButtons[j].SubButtons = nil
			}
		}
	}
	return Menu{Buttons: w.Buttons, MatchRule: w.MatchRule.rule()}
}

// CreateMenu validates m and sets it as the account's default custom menu, replacing the
// previous one. m must not carry a MatchRule: conditional menus go to AddConditionalMenu.
// [Menu.Warnings] lists the legacy buttons (news by media_id) that validation lets through.
//
// WeChat docs: https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
func (c *Client) CreateMenu(ctx context.Context, m Menu) error {
	if m.MatchRule != nil {
		return &MenuError{Path: "matchrule", Problem: "is set; create conditional menus with AddConditionalMenu"}
	}
	if err := m.Validate(); err != nil {
		return err
	}
	return c.postJSON(ctx, "/cgi-bin/menu/create", nil, m, nil)
}

// MenuInfo is the menu configuration set through the API: the default menu and every
// conditional menu, newest last as WeChat lists them.
type MenuInfo struct {
	Menu        Menu              // the default menu (默认菜单)
	MenuID      string            // the default menu's id; WeChat reports one once conditional menus exist
	Conditional []ConditionalMenu // conditional menus (个性化菜单), each with its MatchRule
}

// ConditionalMenu is one conditional menu reported by GetMenu.
type ConditionalMenu struct {
	MenuID string // pass to DeleteConditionalMenu
	Menu   Menu   // its buttons and MatchRule
}

// GetMenu returns the menus set through the API. A menu set in the admin page is not
// reported (see GetCurrentSelfMenu); without any menu WeChat answers errcode 46003
// (CodeMenuNotExist) as an *APIError.
//
// WeChat docs: https://developers.weixin.qq.com/doc/service/api/custommenu/api_getmenu
func (c *Client) GetMenu(ctx context.Context) (*MenuInfo, error) {
	var w struct {
		Menu        wireMenu   `json:"menu"`
		Conditional []wireMenu `json:"conditionalmenu"`
	}
	if err := c.getJSON(ctx, "/cgi-bin/menu/get", nil, &w); err != nil {
		return nil, err
	}
	info := &MenuInfo{Menu: w.Menu.menu(), MenuID: string(w.Menu.MenuID)}
	if len(w.Conditional) > 0 {
		info.Conditional = make([]ConditionalMenu, len(w.Conditional))
		for i := range w.Conditional {
			info.Conditional[i] = ConditionalMenu{MenuID: string(w.Conditional[i].MenuID), Menu: w.Conditional[i].menu()}
		}
	}
	return info, nil
}

// DeleteMenu deletes the default menu and, with it, every conditional menu.
//
// WeChat docs: https://developers.weixin.qq.com/doc/service/api/custommenu/api_deletemenu
func (c *Client) DeleteMenu(ctx context.Context) error {
	return c.getJSON(ctx, "/cgi-bin/menu/delete", nil, nil)
}

// AddConditionalMenu validates m, which must carry a MatchRule with at least one field set,
// and adds it as a conditional menu (个性化菜单). It returns the new menu's id. WeChat needs a
// default menu first (errcode 65303) and rejects rules on sex, region or language (65320).
//
// WeChat docs: https://developers.weixin.qq.com/doc/service/api/custommenu/api_addconditionalmenu
func (c *Client) AddConditionalMenu(ctx context.Context, m Menu) (menuID string, err error) {
	if m.MatchRule == nil {
		return "", &MenuError{Path: "matchrule", Code: CodeMatchRuleEmpty,
			Problem: "is missing; a conditional menu needs one"}
	}
	if err := m.Validate(); err != nil {
		return "", err
	}
	var out struct {
		MenuID flexString `json:"menuid"`
	}
	if err := c.postJSON(ctx, "/cgi-bin/menu/addconditional", nil, m, &out); err != nil {
		return "", err
	}
	if out.MenuID == "" {
		return "", fmt.Errorf("%w: /cgi-bin/menu/addconditional: no menuid in answer", ErrBadResponse)
	}
	return string(out.MenuID), nil
}

// DeleteConditionalMenu deletes the conditional menu menuID, as returned by
// AddConditionalMenu or listed by GetMenu.
//
// WeChat docs: https://developers.weixin.qq.com/doc/service/api/custommenu/api_deleteconditionalmenu
func (c *Client) DeleteConditionalMenu(ctx context.Context, menuID string) error {
	if menuID == "" {
		return &MenuError{Path: "menuid", Problem: "is empty"}
	}
	in := struct {
		MenuID string `json:"menuid"`
	}{menuID}
	return c.postJSON(ctx, "/cgi-bin/menu/delconditional", nil, in, nil)
}

// TryMatchMenu returns the menu the user would see, to test match rules. userID is the
// user's OpenID or WeChat ID (微信号).
//
// WeChat docs: https://developers.weixin.qq.com/doc/service/api/custommenu/api_trymatchmenu
func (c *Client) TryMatchMenu(ctx context.Context, userID string) (*Menu, error) {
	if userID == "" {
		return nil, errors.New("offiaccount: TryMatchMenu: empty user id")
	}
	in := struct {
		UserID string `json:"user_id"`
	}{userID}
	var out struct {
		wireMenu
		Menu *wireMenu `json:"menu"` // some answers wrap the buttons like /cgi-bin/menu/get
	}
	if err := c.postJSON(ctx, "/cgi-bin/menu/trymatch", nil, in, &out); err != nil {
		return nil, err
	}
	if out.Buttons == nil && out.Menu != nil {
		m := out.Menu.menu()
		return &m, nil
	}
	m := out.wireMenu.menu()
	return &m, nil
}

// Button types that only appear in GetCurrentSelfMenu, for menus set in the admin page
// (公众平台官网); Value holds their content.
const (
	SelfMenuText  ButtonType = "text"  // Value: the text sent
	SelfMenuImage ButtonType = "img"   // Value: a media id
	SelfMenuVoice ButtonType = "voice" // Value: a media id
	SelfMenuVideo ButtonType = "video" // Value: a video download URL
	SelfMenuNews  ButtonType = "news"  // Value: a media id; News: the articles
)

// SelfMenuInfo is the menu in force, however it was set (API or admin page).
type SelfMenuInfo struct {
	IsMenuOpen bool // whether the account's menu is switched on
	Buttons    []SelfMenuButton
}

// SelfMenuButton is one button of the menu in force. Menus set through the API use Key, URL,
// AppID, PagePath, MediaID or ArticleID as in Button; admin-page menus use Value and News.
type SelfMenuButton struct {
	Type       ButtonType
	Name       string
	Key        string
	URL        string
	Value      string
	AppID      string
	PagePath   string
	MediaID    string
	ArticleID  string
	News       []SelfMenuArticle // articles of a "news" button
	SubButtons []SelfMenuButton  // only on top-level buttons
}

// SelfMenuArticle is one article of a "news" button.
type SelfMenuArticle struct {
	Title      string
	Author     string
	Digest     string
	ShowCover  bool
	CoverURL   string
	ContentURL string
	SourceURL  string
}

// GetCurrentSelfMenu returns the menu in force, including one set in the admin page, which
// GetMenu cannot see. Its shape differs from GetMenu's: sub-buttons arrive wrapped in
// {"list":[…]} and news buttons carry their articles.
//
// WeChat docs: https://developers.weixin.qq.com/doc/service/api/custommenu/api_getcurrentselfmenuinfo
func (c *Client) GetCurrentSelfMenu(ctx context.Context) (*SelfMenuInfo, error) {
	const path = "/cgi-bin/get_current_selfmenu_info"
	var w wireSelfMenuInfo
	if err := c.getJSON(ctx, path, nil, &w); err != nil {
		return nil, err
	}
	info, err := w.info()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadResponse, path, err)
	}
	return info, nil
}

type wireSelfMenuInfo struct {
	IsMenuOpen   flexString `json:"is_menu_open"`
	SelfMenuInfo struct {
		Buttons []wireSelfTop `json:"button"`
	} `json:"selfmenu_info"`
}

type wireSelfButton struct {
	Type      ButtonType `json:"type"`
	Name      string     `json:"name"`
	Key       string     `json:"key"`
	URL       string     `json:"url"`
	Value     string     `json:"value"`
	AppID     string     `json:"appid"`
	PagePath  string     `json:"pagepath"`
	MediaID   string     `json:"media_id"`
	ArticleID string     `json:"article_id"`
	NewsInfo  struct {
		List []struct {
			Title      string     `json:"title"`
			Author     string     `json:"author"`
			Digest     string     `json:"digest"`
			ShowCover  flexString `json:"show_cover"`
			CoverURL   string     `json:"cover_url"`
			ContentURL string     `json:"content_url"`
			SourceURL  string     `json:"source_url"`
		} `json:"list"`
	} `json:"news_info"`
}

// wireSelfTop keeps sub_button raw: WeChat documents {"list":[…]} but the plain array of
// /cgi-bin/menu/get is accepted too. Sub-buttons are decoded without a sub_button field of
// their own, so a hostile answer cannot make decoding recurse.
type wireSelfTop struct {
	wireSelfButton
	SubButton json.RawMessage `json:"sub_button"`
}

func (w *wireSelfMenuInfo) info() (*SelfMenuInfo, error) {
	info := &SelfMenuInfo{IsMenuOpen: w.IsMenuOpen == "1"}
	for i := range w.SelfMenuInfo.Buttons {
		top := &w.SelfMenuInfo.Buttons[i]
		b := top.wireSelfButton.button()
		var subs []wireSelfButton
		raw := bytes.TrimSpace(top.SubButton)
		switch {
		case len(raw) == 0 || string(raw) == "null":
		case raw[0] == '[':
			if err := json.Unmarshal(raw, &subs); err != nil {
				return nil, fmt.Errorf("button[%d].sub_button: %w", i, err)
			}
		default:
			var list struct {
				List []wireSelfButton `json:"list"`
			}
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("button[%d].sub_button: %w", i, err)
			}
			subs = list.List
		}
		for j := range subs {
			b.SubButtons = append(b.SubButtons, subs[j].button())
		}
		info.Buttons = append(info.Buttons, b)
	}
	return info, nil
}

func (w *wireSelfButton) button() SelfMenuButton {
	b := SelfMenuButton{Type: w.Type, Name: w.Name, Key: w.Key, URL: w.URL, Value: w.Value,
		AppID: w.AppID, PagePath: w.PagePath, MediaID: w.MediaID, ArticleID: w.ArticleID}
	for _, a := range w.NewsInfo.List {
		b.News = append(b.News, SelfMenuArticle{Title: a.Title, Author: a.Author, Digest: a.Digest,
			ShowCover: a.ShowCover == "1", CoverURL: a.CoverURL, ContentURL: a.ContentURL, SourceURL: a.SourceURL})
	}
	return b
}

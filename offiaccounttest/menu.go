package offiaccounttest

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// Limits of custom menus (自定义菜单), checked by create and addconditional.
const (
	maxButtons            = 3
	maxSubButtons         = 5
	maxNameBytes          = 16
	maxSubNameBytes       = 60
	maxKeyBytes           = 128
	maxURLBytes           = 1024
	firstMenuID     int64 = 208379533
)

// ButtonRecord is one menu button as the platform stores it, in WeChat's JSON shape. It is the
// fake's own type so the package works with any SDK.
type ButtonRecord struct {
	Type      string         `json:"type,omitempty"`
	Name      string         `json:"name"`
	Key       string         `json:"key,omitempty"`
	URL       string         `json:"url,omitempty"`
	MediaID   string         `json:"media_id,omitempty"`
	AppID     string         `json:"appid,omitempty"`
	PagePath  string         `json:"pagepath,omitempty"`
	ArticleID string         `json:"article_id,omitempty"`
	SubButton []ButtonRecord `json:"sub_button,omitempty"`
}

// MatchRuleRecord selects the users a conditional menu (个性化菜单) is shown to. WeChat takes
// every field as a string; numbers are accepted too. Since WeChat's privacy change only
// TagID and ClientPlatformType may be set: any other field is refused with 65320.
type MatchRuleRecord struct {
	TagID              string `json:"tag_id,omitempty"`
	Sex                string `json:"sex,omitempty"`
	Country            string `json:"country,omitempty"`
	Province           string `json:"province,omitempty"`
	City               string `json:"city,omitempty"`
	ClientPlatformType string `json:"client_platform_type,omitempty"` // 1 iOS, 2 Android, 3 other
	Language           string `json:"language,omitempty"`
}

// UnmarshalJSON accepts each field as a JSON string or number.
func (m *MatchRuleRecord) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	fields := map[string]*string{
		"tag_id": &m.TagID, "group_id": &m.TagID, "sex": &m.Sex, "country": &m.Country,
		"province": &m.Province, "city": &m.City,
		"client_platform_type": &m.ClientPlatformType, "language": &m.Language,
	}
	for k, v := range raw {
		dst, ok := fields[k]
		if !ok {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			*dst = s
			continue
		}
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return err
		}
		*dst = n.String()
	}
	return nil
}

// ConditionalMenuRecord is a stored conditional menu with the id addconditional returned.
type ConditionalMenuRecord struct {
	MenuID    string
	Button    []ButtonRecord
	MatchRule MatchRuleRecord
}

// Menu returns the default menu of appID as the last successful create stored it.
func (p *Platform) Menu(appID string) ([]ButtonRecord, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok || a.menu == nil {
		return nil, false
	}
	return cloneButtons(a.menu.buttons), true
}

// ConditionalMenus returns the conditional menus of appID, oldest first.
func (p *Platform) ConditionalMenus(appID string) []ConditionalMenuRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	out := make([]ConditionalMenuRecord, len(a.conditional))
	for i, c := range a.conditional {
		out[i] = ConditionalMenuRecord{MenuID: c.MenuID, Button: cloneButtons(c.Button), MatchRule: c.MatchRule}
	}
	return out
}

func cloneButtons(bs []ButtonRecord) []ButtonRecord {
	if bs == nil {
		return nil
	}
	out := make([]ButtonRecord, len(bs))
	for i, b := range bs {
		b.SubButton = cloneButtons(b.SubButton)
		out[i] = b
	}
	return out
}

type storedMenu struct {
	id      int64
	buttons []ButtonRecord
}

// validateMenu checks buttons against WeChat's rules and returns its error code, or 0.
func validateMenu(buttons []ButtonRecord) int {
	if len(buttons) == 0 || len(buttons) > maxButtons {
		return codeButtonSize
	}
	for _, b := range buttons {
		if b.Name == "" || len(b.Name) > maxNameBytes {
			return codeButtonNameSize
		}
		if len(b.SubButton) == 0 {
			if code := validateLeaf(b, false); code != 0 {
				return code
			}
			continue
		}
		if b.Type != "" {
			return codeButtonType // type and sub_button are exclusive
		}
		if len(b.SubButton) > maxSubButtons {
			return codeSubButtonSize
		}
		for _, s := range b.SubButton {
			if len(s.SubButton) > 0 {
				return codeSubMenuLevel
			}
			if s.Name == "" || len(s.Name) > maxSubNameBytes {
				return codeSubButtonNameSize
			}
			if code := validateLeaf(s, true); code != 0 {
				return code
			}
		}
	}
	return 0
}

// validateLeaf checks a button that acts (has a type); sub selects the sub-button codes.
func validateLeaf(b ButtonRecord, sub bool) int {
	pick := func(top, second int) int {
		if sub {
			return second
		}
		return top
	}
	checkKey := func() int {
		if b.Key == "" || len(b.Key) > maxKeyBytes {
			return pick(codeButtonKeySize, codeSubButtonKeySize)
		}
		return 0
	}
	checkURL := func() int {
		if b.URL == "" || len(b.URL) > maxURLBytes {
			return pick(codeButtonURLSize, codeSubButtonURLSize)
		}
		u, err := url.Parse(b.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return pick(codeButtonURLDomain, codeSubButtonURLDomain)
		}
		return 0
	}
	switch b.Type {
	case "click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
		"pic_weixin", "location_select":
		return checkKey()
	case "view":
		return checkURL()
	case "miniprogram":
		if code := checkURL(); code != 0 {
			return code
		}
		if b.AppID == "" || b.PagePath == "" {
			return codeDataFormat
		}
	case "media_id", "view_limited":
		if b.MediaID == "" {
			return codeInvalidMediaID
		}
	case "article_id", "article_view_limited":
		if b.ArticleID == "" {
			return codeDataFormat
		}
	default:
		return pick(codeButtonType, codeSubButtonType)
	}
	return 0
}

type menuBody struct {
	Button    []ButtonRecord   `json:"button"`
	MatchRule *MatchRuleRecord `json:"matchrule"`
}

// handleMenuCreate is POST /cgi-bin/menu/create: it replaces the default menu.
// https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html
func (p *Platform) handleMenuCreate(r *request) (any, int) {
	var in menuBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	if code := validateMenu(in.Button); code != 0 {
		return nil, code
	}
	a := r.acct
	a.menu = &storedMenu{id: a.newMenuID(), buttons: cloneButtons(in.Button)}
	return okBody, 0
}

func (a *account) newMenuID() int64 {
	if a.nextMenuID == 0 {
		a.nextMenuID = firstMenuID
	}
	a.nextMenuID++
	return a.nextMenuID
}

// getButton is a button in menu/get's answer, where every button carries "sub_button":[].
type getButton struct {
	Type      string      `json:"type,omitempty"`
	Name      string      `json:"name"`
	Key       string      `json:"key,omitempty"`
	URL       string      `json:"url,omitempty"`
	MediaID   string      `json:"media_id,omitempty"`
	AppID     string      `json:"appid,omitempty"`
	PagePath  string      `json:"pagepath,omitempty"`
	ArticleID string      `json:"article_id,omitempty"`
	SubButton []getButton `json:"sub_button"`
}

func toGetButtons(bs []ButtonRecord) []getButton {
	out := make([]getButton, len(bs))
	for i, b := range bs {
		out[i] = getButton{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, MediaID: b.MediaID,
			AppID: b.AppID, PagePath: b.PagePath, ArticleID: b.ArticleID, SubButton: toGetButtons(b.SubButton)}
	}
	return out
}

type getMenu struct {
	Button []getButton `json:"button"`
	MenuID int64       `json:"menuid,omitempty"`
}

type getConditional struct {
	Button    []getButton     `json:"button"`
	MatchRule MatchRuleRecord `json:"matchrule"`
	MenuID    int64           `json:"menuid"`
}

type menuGetResponse struct {
	Menu        getMenu          `json:"menu"`
	Conditional []getConditional `json:"conditionalmenu,omitempty"`
}

// handleMenuGet is GET /cgi-bin/menu/get: the default menu, and the conditional menus with
// their ids when there are some; 46003 when no menu exists.
// https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Querying_Custom_Menus.html
func (p *Platform) handleMenuGet(r *request) (any, int) {
	a := r.acct
	if a.menu == nil {
		return nil, codeMenuNotExist
	}
	out := menuGetResponse{Menu: getMenu{Button: toGetButtons(a.menu.buttons)}}
	if len(a.conditional) > 0 {
		out.Menu.MenuID = a.menu.id
		for _, c := range a.conditional {
			id, _ := strconv.ParseInt(c.MenuID, 10, 64)
			out.Conditional = append(out.Conditional, getConditional{
				Button: toGetButtons(c.Button), MatchRule: c.MatchRule, MenuID: id})
		}
	}
	return out, 0
}

// handleMenuDelete is GET /cgi-bin/menu/delete: removes the default and conditional menus.
// https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Deleting_Custom-Defined_Menu.html
func (p *Platform) handleMenuDelete(r *request) (any, int) {
	r.acct.menu = nil
	r.acct.conditional = nil
	return okBody, 0
}

// handleAddConditional is POST /cgi-bin/menu/addconditional; it answers {"menuid":"…"}.
// https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Personalized_menu_interface.html
func (p *Platform) handleAddConditional(r *request) (any, int) {
	var in menuBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	if a.menu == nil {
		return nil, codeNoDefaultMenu
	}
	if code := validateMenu(in.Button); code != 0 {
		return nil, code
	}
	if in.MatchRule == nil {
		return nil, codeMatchRuleEmpty
	}
	m := *in.MatchRule
	if m.Sex != "" || m.Country != "" || m.Province != "" || m.City != "" || m.Language != "" {
		return nil, codeMatchRulePrivacy
	}
	if m.TagID == "" && m.ClientPlatformType == "" {
		return nil, codeMatchRuleEmpty
	}
	id := strconv.FormatInt(a.newMenuID(), 10)
	a.conditional = append(a.conditional, ConditionalMenuRecord{MenuID: id, Button: cloneButtons(in.Button), MatchRule: m})
	return struct {
		MenuID string `json:"menuid"`
	}{id}, 0
}

// handleDelConditional is POST /cgi-bin/menu/delconditional with {"menuid":"…"}.
func (p *Platform) handleDelConditional(r *request) (any, int) {
	var in struct {
		MenuID json.RawMessage `json:"menuid"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	id := strings.Trim(string(in.MenuID), `"`)
	a := r.acct
	for i, c := range a.conditional {
		if c.MenuID == id && id != "" {
			a.conditional = append(a.conditional[:i:i], a.conditional[i+1:]...)
			return okBody, 0
		}
	}
	return nil, codeMenuIDNotExist
}

// handleTryMatch is POST /cgi-bin/menu/trymatch with {"user_id":"…"}: the menu that user
// sees: the newest matching conditional menu, else the default one.
func (p *Platform) handleTryMatch(r *request) (any, int) {
	var in struct {
		UserID string `json:"user_id"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	u, ok := a.users[in.UserID]
	if !ok {
		return nil, codeNoSuchUser
	}
	if a.menu == nil {
		return nil, codeMenuNotExist
	}
	buttons := a.menu.buttons
	for i := len(a.conditional) - 1; i >= 0; i-- {
		if matches(a.conditional[i].MatchRule, u) {
			buttons = a.conditional[i].Button
			break
		}
	}
	return struct {
		Button []getButton `json:"button"`
	}{toGetButtons(buttons)}, 0
}

func matches(m MatchRuleRecord, u UserRecord) bool {
	if m.TagID != "" {
		found := false
		for _, t := range u.TagIDs {
			if strconv.Itoa(t) == m.TagID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return m.ClientPlatformType == "" || m.ClientPlatformType == strconv.Itoa(u.ClientPlatformType)
}

// selfButton is a button in get_current_selfmenu_info's own shape.
type selfButton struct {
	Type      string         `json:"type,omitempty"`
	Name      string         `json:"name"`
	Key       string         `json:"key,omitempty"`
	URL       string         `json:"url,omitempty"`
	Value     string         `json:"value,omitempty"`
	AppID     string         `json:"appid,omitempty"`
	PagePath  string         `json:"pagepath,omitempty"`
	ArticleID string         `json:"article_id,omitempty"`
	SubButton *selfSubButton `json:"sub_button,omitempty"`
}

type selfSubButton struct {
	List []selfButton `json:"list"`
}

func toSelfButtons(bs []ButtonRecord) []selfButton {
	out := make([]selfButton, len(bs))
	for i, b := range bs {
		s := selfButton{Type: b.Type, Name: b.Name, Key: b.Key, URL: b.URL, Value: b.MediaID,
			AppID: b.AppID, PagePath: b.PagePath, ArticleID: b.ArticleID}
		if len(b.SubButton) > 0 {
			s.SubButton = &selfSubButton{List: toSelfButtons(b.SubButton)}
		}
		out[i] = s
	}
	return out
}

type selfMenuResponse struct {
	IsMenuOpen   int `json:"is_menu_open"`
	SelfMenuInfo struct {
		Button []selfButton `json:"button"`
	} `json:"selfmenu_info"`
}

// handleSelfMenuInfo is GET /cgi-bin/get_current_selfmenu_info: the menu in force.
// https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Querying_Custom_Menus.html
func (p *Platform) handleSelfMenuInfo(r *request) (any, int) {
	var out selfMenuResponse
	out.SelfMenuInfo.Button = []selfButton{}
	if m := r.acct.menu; m != nil {
		out.IsMenuOpen = 1
		out.SelfMenuInfo.Button = toSelfButtons(m.buttons)
	}
	return out, 0
}

package offiaccount

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Custom-menu limits WeChat enforces, checked locally by Menu.Validate.
const (
	MaxMenuButtons     = 3    // top-level buttons in a menu
	MaxSubButtons      = 5    // sub-buttons under one top-level button
	MaxButtonNameBytes = 16   // top-level button name, in UTF-8 bytes
	MaxSubNameBytes    = 60   // sub-button name, in UTF-8 bytes
	MaxButtonKeyBytes  = 128  // key of click-like buttons
	MaxButtonURLBytes  = 1024 // url of view and miniprogram buttons
)

// WeChat errcodes of the custom-menu API. MenuError.Code carries the one WeChat would have
// answered for the same mistake.
const (
	CodeInvalidButtonCount       = 40016 // 不合法的按钮个数
	CodeInvalidButtonType        = 40017 // 不合法的按钮类型
	CodeInvalidButtonNameSize    = 40018 // 不合法的按钮名字长度
	CodeInvalidButtonKeySize     = 40019 // 不合法的按钮KEY长度
	CodeInvalidButtonURLSize     = 40020 // 不合法的按钮URL长度
	CodeInvalidSubMenuLevel      = 40022 // 不合法的子菜单级数
	CodeInvalidSubButtonCount    = 40023 // 不合法的子菜单按钮个数
	CodeInvalidSubButtonType     = 40024 // 不合法的子菜单按钮类型
	CodeInvalidSubButtonNameSize = 40025 // 不合法的子菜单按钮名字长度
	CodeInvalidSubButtonKeySize  = 40026 // 不合法的子菜单按钮KEY长度
	CodeInvalidSubButtonURLSize  = 40027 // 不合法的子菜单按钮URL长度
	CodeInvalidSubButtonURL      = 40054 // 不合法的子菜单按钮URL域名
	CodeInvalidButtonURL         = 40055 // 不合法的菜单按钮URL域名
	CodeNoDefaultMenu            = 65303 // a conditional menu needs a default menu first
	CodeMatchRuleEmpty           = 65304 // conditional menu without any match-rule field
	CodeMatchRuleNeedsCountry    = 65310 // province or city set without country
	CodeMatchRuleNeedsProvince   = 65311 // city set without province
	CodeMatchRulePrivacy         = 65320 // match rule uses sex, region or language
)

// MenuError reports a menu that breaks one of WeChat's rules, found before any request. It
// names the offending element by its position in the JSON, counting from 0, e.g.
// "button[1].sub_button[2].name", so the mistake can be found in a menu file.
type MenuError struct {
	Path    string // where: "button", "button[1].sub_button[2].url", "matchrule", …
	Problem string // what is wrong, in words
	Code    int    // the errcode WeChat would answer, 0 when it has no specific one
}

// Error implements error.
func (e *MenuError) Error() string {
	s := "offiaccount: invalid menu: " + e.Path + ": " + e.Problem
	if e.Code != 0 {
		s += " (WeChat errcode " + strconv.Itoa(e.Code) + ")"
	}
	return s
}

// Is makes errors.Is(err, ErrInvalidMenu) true for every MenuError.
func (e *MenuError) Is(target error) bool { return target == ErrInvalidMenu }

// Validate checks the menu against the limits WeChat enforces (errcodes 40016–40027, 40054,
// 40055, 65304, 65310, 65311): 1–3 top-level buttons with names of at most 16 bytes, 1–5
// sub-buttons with names of at most 60 bytes, only two levels, a known type with the fields
// it needs on every leaf button, no type on a button with sub-buttons, keys of at most 128
// bytes, absolute http(s) URLs of at most 1024 bytes, and a match rule, when present, with
// at least one field. It returns the first problem found as a *MenuError.
func (m Menu) Validate() error {
	if n := len(m.Buttons); n < 1 || n > MaxMenuButtons {
		return &MenuError{Path: "button", Code: CodeInvalidButtonCount,
			Problem: fmt.Sprintf("has %d buttons, want 1 to %d", n, MaxMenuButtons)}
	}
	for i := range m.Buttons {
		if err := validateTopButton(&m.Buttons[i], "button["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	if m.MatchRule != nil {
		return m.MatchRule.validate()
	}
	return nil
}

// MenuWarning is a menu element WeChat may still accept but that no longer works as it did:
// Validate passes it, Warnings reports it.
type MenuWarning struct {
	Path    string // where, as in MenuError: "button[0].sub_button[1].type"
	Problem string // what is legacy and what to use instead
}

// String describes the warning with its path.
func (w MenuWarning) String() string { return "offiaccount: menu: " + w.Path + ": " + w.Problem }

// Warnings lists the legacy elements of the menu, in JSON order: view_limited buttons and
// media_id buttons, which name permanent news materials (图文素材) by media_id. Since the
// draft box (草稿箱) replaced news materials, new articles exist only as published articles
// with an article_id (material/add_news answers 45106): use article_view_limited
// ([ArticleViewLimitedButton]) and article_id ([ArticleButton]). A media_id button that sends
// an image, voice or video material keeps working; its warning can then be ignored.
func (m Menu) Warnings() []MenuWarning {
	var out []MenuWarning
	check := func(b *Button, path string) {
		switch b.Type {
		case ButtonViewLimited:
			out = append(out, MenuWarning{Path: path + ".type", Problem: "view_limited opens a news material by media_id, " +
				"which is legacy since the draft box: use article_view_limited with the published article's article_id"})
		case ButtonMediaID:
			out = append(out, MenuWarning{Path: path + ".type", Problem: "media_id of a news material is legacy since " +
				"the draft box: use article_id with the published article's article_id (images, voice and video are fine)"})
		}
	}
	for i := range m.Buttons {
		path := "button[" + strconv.Itoa(i) + "]"
		check(&m.Buttons[i], path)
		for j := range m.Buttons[i].SubButtons {
			check(&m.Buttons[i].SubButtons[j], path+".sub_button["+strconv.Itoa(j)+"]")
		}
	}
	return out
}

// buttonLevel holds the errcodes and limits that differ between the two menu levels.
type buttonLevel struct {
	maxName                     int
	nameCode, typeCode, keyCode int
	urlSizeCode, urlCode        int
}

// levels returns the limits and errcodes of a top-level button (top) or a sub-button.
func levels(top bool) buttonLevel {
	if top {
		return buttonLevel{MaxButtonNameBytes, CodeInvalidButtonNameSize, CodeInvalidButtonType,
			CodeInvalidButtonKeySize, CodeInvalidButtonURLSize, CodeInvalidButtonURL}
	}
	return buttonLevel{MaxSubNameBytes, CodeInvalidSubButtonNameSize, CodeInvalidSubButtonType,
		CodeInvalidSubButtonKeySize, CodeInvalidSubButtonURLSize, CodeInvalidSubButtonURL}
}

func validateTopButton(b *Button, path string) error {
	topLevel, subLevel := levels(true), levels(false)
	if err := validateName(b.Name, path, topLevel); err != nil {
		return err
	}
	if len(b.SubButtons) == 0 {
		return validateLeaf(b, path, topLevel)
	}
	if b.Type != "" {
		return &MenuError{Path: path + ".type", Code: CodeInvalidButtonType,
			Problem: fmt.Sprintf("is %q, but a button with sub_button must have no type", b.Type)}
	}
	if n := len(b.SubButtons); n > MaxSubButtons {
		return &MenuError{Path: path + ".sub_button", Code: CodeInvalidSubButtonCount,
			Problem: fmt.Sprintf("has %d buttons, want 1 to %d", n, MaxSubButtons)}
	}
	for j := range b.SubButtons {
		sub := &b.SubButtons[j]
		subPath := path + ".sub_button[" + strconv.Itoa(j) + "]"
		if err := validateName(sub.Name, subPath, subLevel); err != nil {
			return err
		}
		if len(sub.SubButtons) > 0 {
			return &MenuError{Path: subPath + ".sub_button", Code: CodeInvalidSubMenuLevel,
				Problem: "is not allowed: menus have only two levels"}
		}
		if err := validateLeaf(sub, subPath, subLevel); err != nil {
			return err
		}
	}
	return nil
}

func validateName(name, path string, lv buttonLevel) error {
	switch {
	case name == "":
		return &MenuError{Path: path + ".name", Code: lv.nameCode, Problem: "is empty"}
	case len(name) > lv.maxName:
		return &MenuError{Path: path + ".name", Code: lv.nameCode,
			Problem: fmt.Sprintf("is %d bytes, at most %d allowed", len(name), lv.maxName)}
	}
	return checkText(name, path+".name")
}

// checkText rejects text that encoding/json would have to write as a \uXXXX escape: invalid
// UTF-8, control characters and U+2028/U+2029. WeChat refuses such escapes (errcode 40033),
// and none of them belongs in a button.
func checkText(s, path string) error {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return &MenuError{Path: path, Problem: fmt.Sprintf("is not valid UTF-8 at byte %d", i)}
		case r < 0x20 || r == '\u2028' || r == '\u2029':
			return &MenuError{Path: path, Problem: fmt.Sprintf("contains control character %U at byte %d", r, i)}
		}
	}
	return nil
}

// validateLeaf checks a button that has no sub-buttons: its type must be known and the fields
// that type needs present and within limits.
func validateLeaf(b *Button, path string, lv buttonLevel) error {
	missing := func(field string) error {
		return &MenuError{Path: path + "." + field, Code: lv.typeCode,
			Problem: fmt.Sprintf("is required for type %q", b.Type)}
	}
	switch b.Type {
	case ButtonClick, ButtonScanCodePush, ButtonScanCodeWaitMsg, ButtonPicSysPhoto,
		ButtonPicPhotoOrAlbum, ButtonPicWeixin, ButtonLocationSelect:
		if b.Key == "" {
			return missing("key")
		}
	case ButtonView:
		if b.URL == "" {
			return missing("url")
		}
	case ButtonMiniProgram:
		switch {
		case b.URL == "":
			return missing("url")
		case b.AppID == "":
			return missing("appid")
		case b.PagePath == "":
			return missing("pagepath")
		}
	case ButtonMediaID, ButtonViewLimited:
		if b.MediaID == "" {
			return missing("media_id")
		}
	case ButtonArticleID, ButtonArticleViewLimited:
		if b.ArticleID == "" {
			return missing("article_id")
		}
	case "":
		return &MenuError{Path: path, Code: lv.typeCode, Problem: "has neither a type nor sub_button"}
	default:
		return &MenuError{Path: path + ".type", Code: lv.typeCode,
			Problem: fmt.Sprintf("%q is not a WeChat button type", b.Type)}
	}
	for _, f := range [...]struct{ name, value string }{{"key", b.Key}, {"url", b.URL}, {"appid", b.AppID},
		{"pagepath", b.PagePath}, {"media_id", b.MediaID}, {"article_id", b.ArticleID}} {
		if err := checkText(f.value, path+"."+f.name); err != nil {
			return err
		}
	}
	if n := len(b.Key); n > MaxButtonKeyBytes {
		return &MenuError{Path: path + ".key", Code: lv.keyCode,
			Problem: fmt.Sprintf("is %d bytes, at most %d allowed", n, MaxButtonKeyBytes)}
	}
	if b.URL != "" {
		if n := len(b.URL); n > MaxButtonURLBytes {
			return &MenuError{Path: path + ".url", Code: lv.urlSizeCode,
				Problem: fmt.Sprintf("is %d bytes, at most %d allowed", n, MaxButtonURLBytes)}
		}
		if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return &MenuError{Path: path + ".url", Code: lv.urlCode,
				Problem: "must be an absolute http:// or https:// URL"}
		}
	}
	return nil
}

func (r *MatchRule) validate() error {
	switch {
	case r.IsZero():
		return &MenuError{Path: "matchrule", Code: CodeMatchRuleEmpty,
			Problem: "has no field set; a conditional menu needs at least one"}
	case r.Province != "" && r.Country == "":
		return &MenuError{Path: "matchrule.country", Code: CodeMatchRuleNeedsCountry,
			Problem: "is required when province is set"}
	case r.City != "" && r.Province == "":
		return &MenuError{Path: "matchrule.province", Code: CodeMatchRuleNeedsProvince,
			Problem: "is required when city is set"}
	}
	for _, f := range [...]struct{ name, value string }{{"tag_id", r.TagID}, {"sex", string(r.Sex)},
		{"country", r.Country}, {"province", r.Province}, {"city", r.City},
		{"client_platform_type", string(r.ClientPlatformType)}, {"language", r.Language}} {
		if err := checkText(f.value, "matchrule."+f.name); err != nil {
			return err
		}
	}
	return nil
}

// maxMenuFileSize bounds LoadMenuFile. The largest menu WeChat accepts is far smaller: 18
// buttons whose longest field, the url, is capped at 1024 bytes.
const maxMenuFileSize = 1 << 20

// ParseMenuJSON decodes a menu written in WeChat's own format ({"button":[…]} with an optional
// "matchrule") and validates it. Unknown field names are rejected, so a misspelt "sub_buttons"
// is reported rather than silently dropped; a "menuid" (as in /cgi-bin/menu/get output) is
// accepted and ignored. Match-rule values may be JSON strings or numbers. Like [NewMenu], it
// returns the Menu as a value, ready for [Client.CreateMenu]; on error it is the zero Menu.
func ParseMenuJSON(data []byte) (Menu, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w wireMenu
	if err := dec.Decode(&w); err != nil {
		return Menu{}, fmt.Errorf("%w: %w", ErrInvalidMenu, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Menu{}, fmt.Errorf("%w: trailing data after the menu object", ErrInvalidMenu)
	}
	m := w.menu()
	if err := m.Validate(); err != nil {
		return Menu{}, err
	}
	return m, nil
}

// LoadMenuFile reads a menu file in WeChat's JSON format (see ParseMenuJSON), so a menu can be
// kept under version control next to the code that handles its events.
func LoadMenuFile(path string) (Menu, error) {
	f, err := os.Open(path)
	if err != nil {
		return Menu{}, fmt.Errorf("offiaccount: load menu: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMenuFileSize+1))
	if err != nil {
		return Menu{}, fmt.Errorf("offiaccount: load menu: %w", err)
	}
	if len(data) > maxMenuFileSize {
		return Menu{}, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidMenu, path, maxMenuFileSize)
	}
	m, err := ParseMenuJSON(data)
	if err != nil {
		return Menu{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

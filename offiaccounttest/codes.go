package offiaccounttest

// WeChat's global return codes (全局返回码) the fake platform answers with.
const (
	codeBusy                 = -1
	codeInvalidCredential    = 40001
	codeInvalidGrantType     = 40002
	codeInvalidOpenID        = 40003
	codeInvalidMediaType     = 40004
	codeInvalidFileType      = 40005
	codeInvalidFileSize      = 40006
	codeInvalidMediaID       = 40007
	codeInvalidMsgType       = 40008
	codeInvalidAppID         = 40013
	codeInvalidAccessToken   = 40014
	codeButtonSize           = 40016
	codeButtonType           = 40017
	codeButtonNameSize       = 40018
	codeButtonKeySize        = 40019
	codeButtonURLSize        = 40020
	codeSubMenuLevel         = 40022
	codeSubButtonSize        = 40023
	codeSubButtonType        = 40024
	codeSubButtonNameSize    = 40025
	codeSubButtonKeySize     = 40026
	codeSubButtonURLSize     = 40027
	codeInvalidCode          = 40029
	codeInvalidRefreshToken  = 40030
	codeInvalidOpenIDList    = 40032
	codeInvalidTemplateID    = 40037
	codeInvalidActionInfo    = 40053
	codeSubButtonURLDomain   = 40054
	codeButtonURLDomain      = 40055
	codeInvalidRemark        = 40092
	codeInvalidArgs          = 40097
	codeInvalidIndustry      = 40102
	codeInvalidAppSecret     = 40125
	codeCodeUsed             = 40163
	codeIPNotWhitelisted     = 40164
	codeInvalidKeywordName   = 40246
	codeTokenMissing         = 41001
	codeAppIDMissing         = 41002
	codeRefreshTokenMissing  = 41003
	codeSecretMissing        = 41004
	codeMediaDataMissing     = 41005
	codeCodeMissing          = 41008
	codeOpenIDMissing        = 41009
	codeTokenExpired         = 42001
	codeRefreshTokenExpired  = 42002
	codeCodeExpired          = 42003
	codeRequireGet           = 43001
	codeRequirePost          = 43002
	codeRequireSubscribe     = 43004
	codeRequireUnblock       = 43019
	codeTemplateRefused      = 43101
	codeEmptyPost            = 44002
	codeEmptyNews            = 44003
	codeEmptyContent         = 44004
	codeMediaSizeLimit       = 45001
	codeArticleLimit         = 45008
	codeQuotaReached         = 45009
	codeRateLimited          = 45011
	codeResponseOutOfTime    = 45015
	codeTemplateLimit        = 45026
	codeResponseCountLimit   = 45047
	codeTooManyTags          = 45056
	codeTagHasManyFans       = 45057
	codeSystemTag            = 45058
	codeUserTagLimit         = 45059
	codeTagNameExists        = 45157
	codeTagNameTooLong       = 45158
	codeInvalidTagID         = 45159
	codeMenuNotExist         = 46003
	codeDataFormat           = 47001
	codeArgInvalid           = 47003
	codeAPIUnauthorized      = 48001
	codeClearQuotaLimit      = 48006
	codeOpenIDNotOfApp       = 49003
	codeMenuIDNotExist       = 65301
	codeNoSuchUser           = 65302
	codeNoDefaultMenu        = 65303
	codeMatchRuleEmpty       = 65304
	codeConditionalMenuLimit = 65305
	codeMatchRulePrivacy     = 65320
	codeRIDNotFound          = 76001
	codeInvalidRID           = 76002
	codeInvalidCGIPath       = 76003
	codeCGIPathNotFound      = 76021
	codeCGIPathForbidden     = 76022
)

// errText is WeChat's errmsg for code, before the " rid: …" suffix.
func errText(code int) string {
	switch code {
	case codeBusy:
		return "system error"
	case codeInvalidCredential:
		return "invalid credential, access_token is invalid or not latest"
	case codeInvalidGrantType:
		return "invalid grant_type"
	case codeInvalidOpenID:
		return "invalid openid"
	case codeInvalidMediaID:
		return "invalid media_id"
	case codeInvalidAppID:
		return "invalid appid"
	case codeInvalidAccessToken:
		return "invalid access_token"
	case codeButtonSize:
		return "invalid button size"
	case codeButtonType:
		return "invalid button type"
	case codeButtonNameSize:
		return "invalid button name size"
	case codeButtonKeySize:
		return "invalid button key size"
	case codeButtonURLSize:
		return "invalid button url size"
	case codeSubMenuLevel:
		return "invalid sub menu level"
	case codeSubButtonSize:
		return "invalid sub button size"
	case codeSubButtonType:
		return "invalid sub button type"
	case codeSubButtonNameSize:
		return "invalid sub button name size"
	case codeSubButtonKeySize:
		return "invalid sub button key size"
	case codeSubButtonURLSize:
		return "invalid sub button url size"
	case codeInvalidCode:
		return "invalid code"
	case codeInvalidRefreshToken:
		return "invalid refresh_token"
	case codeSubButtonURLDomain:
		return "invalid sub button url domain"
	case codeButtonURLDomain:
		return "invalid button url domain"
	case codeInvalidArgs:
		return "invalid args"
	case codeInvalidAppSecret:
		return "invalid appsecret"
	case codeCodeUsed:
		return "code been used"
	case codeIPNotWhitelisted:
		return "invalid ip, not in whitelist"
	case codeTokenMissing:
		return "access_token missing"
	case codeAppIDMissing:
		return "appid missing"
	case codeRefreshTokenMissing:
		return "refresh_token missing"
	case codeSecretMissing:
		return "appsecret missing"
	case codeCodeMissing:
		return "missing code"
	case codeOpenIDMissing:
		return "missing openid"
	case codeTokenExpired:
		return "access_token expired"
	case codeRefreshTokenExpired:
		return "refresh_token expired"
	case codeCodeExpired:
		return "code expired"
	case codeRequireGet:
		return "require GET method"
	case codeRequirePost:
		return "require POST method"
	case codeEmptyPost:
		return "empty post data"
	case codeQuotaReached:
		return "reach max api daily quota limit"
	case codeRateLimited:
		return "api minute-quota reach limit, must slower, retry next minute"
	case codeMenuNotExist:
		return "menu no exist"
	case codeDataFormat:
		return "data format error"
	case codeAPIUnauthorized:
		return "api unauthorized"
	case codeMenuIDNotExist:
		return "this menuid not exist"
	case codeNoSuchUser:
		return "no such user"
	case codeNoDefaultMenu:
		return "there is no selfmenu, please create selfmenu first"
	case codeMatchRuleEmpty:
		return "match rule empty"
	case codeConditionalMenuLimit:
		return "conditional menu count limit"
	case codeMatchRulePrivacy:
		return "matchrule contains privacy info, not supported"
	case codeInvalidMediaType:
		return "invalid media type"
	case codeInvalidFileType:
		return "invalid file type"
	case codeInvalidFileSize:
		return "invalid meida size"
	case codeInvalidMsgType:
		return "invalid message type"
	case codeInvalidOpenIDList:
		return "invalid openid list size"
	case codeInvalidTemplateID:
		return "invalid template_id"
	case codeInvalidActionInfo:
		return "invalid action info"
	case codeInvalidRemark:
		return "invalid remark"
	case codeInvalidIndustry:
		return "invalid industry id"
	case codeMediaDataMissing:
		return "media data missing"
	case codeRequireSubscribe:
		return "require subscribe"
	case codeRequireUnblock:
		return "require remove blacklist"
	case codeTemplateRefused:
		return "user refuse to accept the msg"
	case codeEmptyNews:
		return "empty news data"
	case codeEmptyContent:
		return "empty content"
	case codeMediaSizeLimit:
		return "media size out of limit"
	case codeArticleLimit:
		return "article size out of limit"
	case codeResponseOutOfTime:
		return "response out of time limit or subscription is canceled"
	case codeTemplateLimit:
		return "template num exceeds limit"
	case codeResponseCountLimit:
		return "out of response count limit"
	case codeTooManyTags:
		return "too many tags"
	case codeTagHasManyFans:
		return "can't delete the tag that has too many fans"
	case codeSystemTag:
		return "can't modify sys tag"
	case codeUserTagLimit:
		return "too many tag now, no need to add new"
	case codeTagNameExists:
		return "invalid tag name"
	case codeTagNameTooLong:
		return "tag name too long"
	case codeInvalidTagID:
		return "invalid tag id"
	case codeClearQuotaLimit:
		return "forbid to clear quota because of reaching the limit"
	case codeOpenIDNotOfApp:
		return "not match openid with appid"
	case codeRIDNotFound:
		return "rid not found"
	case codeInvalidRID:
		return "rid is error"
	case codeInvalidCGIPath:
		return "cgi_path is error"
	case codeCGIPathNotFound:
		return "cgi_path not found, please check"
	case codeCGIPathForbidden:
		return "could not use this cgi_path, no permission"
	case codeInvalidKeywordName:
		return "invalid keyword name"
	case codeInvalidDraftIndex:
		return "invalid index value"
	case codeContentSizeLimit:
		return "content size out of limit"
	case codeTitleSizeLimit:
		return "title size out of limit"
	case codeDigestSizeLimit:
		return "description size out of limit"
	case codeSourceURLSizeLimit:
		return "url size out of limit"
	case codeAuthorSizeLimit:
		return "author size out of limit"
	case codeDraftCheckFailed:
		return "draft has not passed publish check"
	case codeInvalidArticleID:
		return "invalid article id"
	}
	return groupErrText(code) // shorten.go; "system error" for unknown codes
}

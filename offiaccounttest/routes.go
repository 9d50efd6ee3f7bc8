package offiaccounttest

import "net/http"

// accountAPIRoute maps the paths of the everyday account APIs (customer service, templates,
// users and tags, QR codes, media, diagnostics) to their endpoints. Every one of them
// checks the access_token.
func accountAPIRoute(path string) (route, bool) {
	if r, ok := notifyRoute(path); ok { // notify.go: mass send and subscribe notifications
		return r, true
	}
	var fn func(p *Platform, r *request) (any, int)
	post := true
	var maxBody int64
	if r, ok := publishRoute(path); ok { // draft.go, freepublish.go
		return r, true
	}
	switch path {
	// custom.go
	case "/cgi-bin/message/custom/send":
		fn = (*Platform).handleCustomSend
	case "/cgi-bin/message/custom/typing":
		fn = (*Platform).handleTyping
	// template.go
	case "/cgi-bin/message/template/send":
		fn = (*Platform).handleTemplateSend
	case "/cgi-bin/template/get_all_private_template":
		fn, post = (*Platform).handleListTemplates, false
	case "/cgi-bin/template/api_add_template":
		fn = (*Platform).handleAddTemplate
	case "/cgi-bin/template/del_private_template":
		fn = (*Platform).handleDelTemplate
	case "/cgi-bin/template/get_industry":
		fn, post = (*Platform).handleGetIndustry, false
	case "/cgi-bin/template/api_set_industry":
		fn = (*Platform).handleSetIndustry
	// user.go
	case "/cgi-bin/user/info":
		fn, post = (*Platform).handleUserInfo, false
	case "/cgi-bin/user/info/batchget":
		fn = (*Platform).handleBatchUserInfo
	case "/cgi-bin/user/get":
		fn, post = (*Platform).handleFollowers, false
	case "/cgi-bin/user/info/updateremark":
		fn = (*Platform).handleUpdateRemark
	// tag.go
	case "/cgi-bin/tags/create":
		fn = (*Platform).handleTagCreate
	case "/cgi-bin/tags/get":
		fn, post = (*Platform).handleTagList, false
	case "/cgi-bin/tags/update":
		fn = (*Platform).handleTagUpdate
	case "/cgi-bin/tags/delete":
		fn = (*Platform).handleTagDelete
	case "/cgi-bin/tags/members/batchtagging":
		fn = (*Platform).handleBatchTag
	case "/cgi-bin/tags/members/batchuntagging":
		fn = (*Platform).handleBatchUntag
	case "/cgi-bin/user/tag/get":
		fn = (*Platform).handleTagMembers
	case "/cgi-bin/tags/getidlist":
		fn = (*Platform).handleUserTags
	case "/cgi-bin/tags/members/getblacklist":
		fn = (*Platform).handleBlacklist
	case "/cgi-bin/tags/members/batchblacklist":
		fn = (*Platform).handleBlock
	case "/cgi-bin/tags/members/batchunblacklist":
		fn = (*Platform).handleUnblock
	// qrcode.go
	case "/cgi-bin/qrcode/create":
		fn = (*Platform).handleQRCodeCreate
	// media.go, material.go
	case "/cgi-bin/media/upload":
		fn, maxBody = (*Platform).handleMediaUpload, maxUploadBytes
	case "/cgi-bin/media/get":
		fn, post = (*Platform).handleMediaGet, false
	case "/cgi-bin/media/uploadimg":
		fn, maxBody = (*Platform).handleUploadImg, maxUploadBytes
	case "/cgi-bin/material/add_material":
		fn, maxBody = (*Platform).handleAddMaterial, maxUploadBytes
	case "/cgi-bin/material/get_material":
		fn = (*Platform).handleGetMaterial
	case "/cgi-bin/material/del_material":
		fn = (*Platform).handleDelMaterial
	case "/cgi-bin/material/get_materialcount":
		fn, post = (*Platform).handleMaterialCount, false
	case "/cgi-bin/material/batchget_material":
		fn = (*Platform).handleBatchGetMaterial
	// diag.go
	case "/cgi-bin/getcallbackip":
		fn, post = (*Platform).handleCallbackIP, false
	case "/cgi-bin/get_api_domain_ip":
		fn, post = (*Platform).handleAPIDomainIP, false
	case "/cgi-bin/openapi/quota/get":
		fn = (*Platform).handleQuotaGet
	case "/cgi-bin/clear_quota":
		fn = (*Platform).handleClearQuota
	case "/cgi-bin/openapi/rid/get":
		fn = (*Platform).handleRIDGet
	default:
		return groupAPIRoute(path) // kf.go, datacube.go, comment.go, shorten.go
	}
	return apiRoute(fn, post, true, maxBody), true
}

// apiRoute is the route of an endpoint: POST only or any method, with or without the
// access_token, maxBody as in route.
func apiRoute(fn func(p *Platform, r *request) (any, int), post, token bool, maxBody int64) route {
	r := route{needsToken: token, maxBody: maxBody, fn: fn}
	if post {
		r.method = http.MethodPost
	}
	return r
}

package offiaccounttest

// Routes and errcodes shared by mass sending (mass.go) and subscribe notifications
// (subscribe.go).

// Errcodes of mass sending and subscribe notifications that codes.go does not know.
const (
	codeMassInvalidMsgID    = 40059
	codeMassOpenIDListSize  = 40130
	codeMassClientMsgIDUsed = 45065
	codeMassClientMsgIDLong = 45067
	codeMassSpeedRange      = 45083
	codeMassNoSpeed         = 45084
)

// notifyErrText is WeChat's errmsg for the codes of this file and subscribe.go.
var notifyErrText = map[int]string{
	codeMassInvalidMsgID:    "invalid msg id",
	codeMassOpenIDListSize:  "invalid openid list size, at least two openid",
	codeMassClientMsgIDUsed: "clientmsgid exist",
	codeMassClientMsgIDLong: "clientmsgid size out of limit",
	codeMassSpeedRange:      "the speed out of range",
	codeMassNoSpeed:         "No speed message",
	codeSubscribeBadTID:     "tid is invalid",
	codeSubscribeBadStart:   "start is invalid",
	codeSubscribeBadLimit:   "limit is invalid",
	codeSubscribeNoIDs:      "ids is empty",
	codeSubscribeBadIDs:     "ids is invalid",
	codeSubscribeBadKids:    "kidList is invalid",
	codeSubscribeBadScene:   "sceneDesc is invalid",
	codeSubscribeTmplLimit:  "template num exceeds limit",
}

// notifyFailLocked is WeChat's error answer for code with this file's errmsg, recorded for
// /cgi-bin/openapi/rid/get like every failed call.
func (p *Platform) notifyFailLocked(r *request, code int, detail string) apiError {
	msg, ok := notifyErrText[code]
	if !ok {
		msg = errText(code)
	}
	if detail != "" {
		msg += " " + detail
	}
	rid := p.ridLocked()
	body := apiError{Code: code, Msg: msg + " rid: " + rid}
	if r.acct != nil {
		p.noteLocked(r.acct.appID, rid, r.q, string(r.body), r.remote, body)
	}
	return body
}

// notifyRoute maps the paths of mass sending and subscribe notifications to their
// endpoints; every one checks the access_token.
func notifyRoute(path string) (route, bool) {
	var fn func(p *Platform, r *request) (any, int)
	post := true
	switch path {
	case "/cgi-bin/message/mass/sendall":
		fn = (*Platform).handleMassSendAll
	case "/cgi-bin/message/mass/send":
		fn = (*Platform).handleMassSend
	case "/cgi-bin/message/mass/preview":
		fn = (*Platform).handleMassPreview
	case "/cgi-bin/message/mass/get":
		fn = (*Platform).handleMassGet
	case "/cgi-bin/message/mass/delete":
		fn = (*Platform).handleMassDelete
	case "/cgi-bin/message/mass/speed/get":
		fn = (*Platform).handleMassSpeedGet
	case "/cgi-bin/message/mass/speed/set":
		fn = (*Platform).handleMassSpeedSet
	case "/wxaapi/newtmpl/getcategory":
		fn, post = (*Platform).handleSubscribeCategories, false
	case "/wxaapi/newtmpl/getpubtemplatetitles":
		fn, post = (*Platform).handleSubscribeTitles, false
	case "/wxaapi/newtmpl/getpubtemplatekeywords":
		fn, post = (*Platform).handleSubscribeKeywords, false
	case "/wxaapi/newtmpl/addtemplate":
		fn = (*Platform).handleSubscribeAddTemplate
	case "/wxaapi/newtmpl/deltemplate":
		fn = (*Platform).handleSubscribeDelTemplate
	case "/wxaapi/newtmpl/gettemplate":
		fn, post = (*Platform).handleSubscribeTemplates, false
	case "/cgi-bin/message/subscribe/bizsend":
		fn = (*Platform).handleSubscribeSend
	default:
		return route{}, false
	}
	return apiRoute(fn, post, true, 0), true
}

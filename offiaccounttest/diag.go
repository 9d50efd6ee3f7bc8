package offiaccounttest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Diagnostics (运维/排障): WeChat's IP lists, daily API quotas and their reset, and the
// record of a failed call found by its rid.

// Quotas of the fake platform.
const (
	// DefaultDailyQuota is the calls an account may make to one API a day unless
	// SetDailyQuota says otherwise (WeChat's real limits vary by API and account).
	DefaultDailyQuota = 100000
	// ClearQuotaMonthlyLimit is how many times an account may call clear_quota a month.
	ClearQuotaMonthlyLimit = 10

	maxRIDRecords   = 10000 // failed calls remembered for rid/get, oldest dropped first
	maxRIDBodyBytes = 2048  // bytes of a request body kept in its record
	ridLifetime     = 7 * 24 * time.Hour

	codeRIDNoPermission = 76003 // rid/get: the rid is another account's
)

// defaultCallbackIPs is getcallbackip's answer until SetCallbackIPs: loopback, where the
// Sender and the fake run, so a handler that accepts callbacks only from WeChat's IPs works
// in tests.
func defaultCallbackIPs() []string { return []string{"127.0.0.0/8", "::1"} }

// apiDomainIPs is get_api_domain_ip's answer: the platform itself.
func apiDomainIPs() []string { return []string{"127.0.0.1", "::1"} }

// SetCallbackIPs replaces the list /cgi-bin/getcallbackip answers (default "127.0.0.0/8"
// and "::1"), for instance with a documentation range such as "192.0.2.0/24" to see
// callbacks from loopback refused.
func (p *Platform) SetCallbackIPs(ips ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.callbackIPs = slices.Clone(ips)
}

// SetDailyQuota sets the calls a day appID may make to the API at path (like
// "/cgi-bin/message/custom/send"); past it, calls get 45009 until the next day in China
// or a clear_quota.
func (p *Platform) SetDailyQuota(appID, path string, limit int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		a.quota.limits[path] = limit
	}
}

type quotaState struct {
	used   map[string]map[string]int // day → path → calls
	limits map[string]int            // path → calls a day
	clears map[string]int            // month → clear_quota calls
}

func newQuotaState() quotaState {
	return quotaState{used: make(map[string]map[string]int), limits: make(map[string]int),
		clears: make(map[string]int)}
}

func (q *quotaState) limit(path string) int {
	if n, ok := q.limits[path]; ok {
		return n
	}
	return DefaultDailyQuota
}

// countCallLocked counts a call of a to path against its daily quota, or returns 45009.
func (p *Platform) countCallLocked(a *account, path string) int {
	d := day(p.now)
	used := a.quota.used[d]
	if used == nil {
		used = make(map[string]int)
		a.quota.used[d] = used
	}
	if used[path] >= a.quota.limit(path) {
		return codeQuotaReached
	}
	used[path]++
	return 0
}

type ipListAnswer struct {
	IPList []string `json:"ip_list"`
}

// handleCallbackIP is GET /cgi-bin/getcallbackip.
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_the_WeChat_server_IP_address.html
func (p *Platform) handleCallbackIP(r *request) (any, int) {
	return ipListAnswer{slices.Clone(p.callbackIPs)}, 0
}

// handleAPIDomainIP is GET /cgi-bin/get_api_domain_ip.
func (p *Platform) handleAPIDomainIP(r *request) (any, int) {
	return ipListAnswer{apiDomainIPs()}, 0
}

// handleQuotaGet is POST /cgi-bin/openapi/quota/get {"cgi_path":…}: today's use of one API.
// A path without its leading "/" gets 76003, an unknown one 76021, a /sns/ one 76022.
// https://developers.weixin.qq.com/doc/offiaccount/openApi/get_api_quota.html
func (p *Platform) handleQuotaGet(r *request) (any, int) {
	var in struct {
		CGIPath string `json:"cgi_path"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	var limit, used int
	switch _, known := routeFor(in.CGIPath); {
	case !strings.HasPrefix(in.CGIPath, "/"):
		return nil, codeInvalidCGIPath
	case strings.HasPrefix(in.CGIPath, "/sns/"):
		return nil, codeCGIPathForbidden
	case !known:
		return nil, codeCGIPathNotFound
	case in.CGIPath == "/cgi-bin/token":
		limit, used = TokenDailyLimit, a.tokenDay[day(p.now)]
	default:
		limit, used = a.quota.limit(in.CGIPath), a.quota.used[day(p.now)][in.CGIPath]
	}
	type quota struct {
		DailyLimit int `json:"daily_limit"`
		Used       int `json:"used"`
		Remain     int `json:"remain"`
	}
	return struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
		Quota   quota  `json:"quota"`
	}{Errmsg: "ok", Quota: quota{limit, used, max(limit-used, 0)}}, 0
}

// handleClearQuota is POST /cgi-bin/clear_quota {"appid":…}: today's counts of every API
// of the account, /cgi-bin/token included, start again from zero; 10 times a month (48006).
// https://developers.weixin.qq.com/doc/offiaccount/openApi/clear_quota.html
func (p *Platform) handleClearQuota(r *request) (any, int) {
	var in struct {
		AppID string `json:"appid"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	switch {
	case in.AppID == "":
		return nil, codeAppIDMissing
	case in.AppID != a.appID:
		return nil, codeInvalidAppID
	}
	if code := p.clearQuotaLocked(a); code != 0 {
		return nil, code
	}
	return okBody, 0
}

// clearQuotaLocked starts today's counts of a from zero, /cgi-bin/token included, once
// more of the 10 a month that clear_quota and clear_quota/v2 share (48006 past them).
func (p *Platform) clearQuotaLocked(a *account) int {
	month := p.now.In(chinaTime).Format("2006-01")
	if a.quota.clears[month] >= ClearQuotaMonthlyLimit {
		return codeClearQuotaLimit
	}
	a.quota.clears[month]++
	d := day(p.now)
	delete(a.quota.used, d)
	delete(a.tokenDay, d)
	return 0
}

// ridInfo is rid/get's record of one failed call.
type ridInfo struct {
	InvokeTime   int64  `json:"invoke_time"`
	CostInMs     int64  `json:"cost_in_ms"`
	RequestURL   string `json:"request_url"`
	RequestBody  string `json:"request_body"`
	ResponseBody string `json:"response_body"`
	ClientIP     string `json:"client_ip"`
}

type ridRecord struct {
	appID string
	info  ridInfo
}

// ridLog remembers the last maxRIDRecords failed calls that carried a valid access_token.
type ridLog struct {
	byRID map[string]ridRecord
	order []string
}

func (l *ridLog) add(rid string, rec ridRecord) {
	if l.byRID == nil {
		l.byRID = make(map[string]ridRecord)
	}
	if len(l.order) >= maxRIDRecords {
		delete(l.byRID, l.order[0])
		l.order = l.order[1:]
	}
	l.byRID[rid] = rec
	l.order = append(l.order, rid)
}

// failLocked is WeChat's error answer for code to req, remembered under its rid when the
// caller's account is known.
func (p *Platform) failLocked(req *request, code int) apiError {
	rid := p.ridLocked()
	body := apiError{Code: code, Msg: errText(code) + " rid: " + rid}
	if req.acct != nil {
		p.noteLocked(req.acct.appID, rid, req.q, string(req.body), req.remote, body)
	}
	return body
}

// noteFaultLocked remembers an injected errcode answer, when r carries a known token.
func (p *Platform) noteFaultLocked(r *http.Request, rid string, body apiError) {
	q := r.URL.Query()
	if t, ok := p.tokens[q.Get("access_token")]; ok {
		p.noteLocked(t.appID, rid, q, "", r.RemoteAddr, body)
	}
}

// noteLocked records a failed call. The access_token is left out of request_url.
func (p *Platform) noteLocked(appID, rid string, q url.Values, body, remote string, answer apiError) {
	clean := make(url.Values, len(q))
	for k, v := range q {
		if k != "access_token" {
			clean[k] = v
		}
	}
	if len(body) > maxRIDBodyBytes { // an upload: keep the start, not the file
		body = body[:maxRIDBodyBytes]
	}
	resp, _ := json.Marshal(answer)
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	p.rids.add(rid, ridRecord{appID: appID, info: ridInfo{InvokeTime: p.now.Unix(), CostInMs: 1,
		RequestURL: clean.Encode(), RequestBody: body, ResponseBody: string(resp), ClientIP: host}})
}

var ridPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$`)

// handleRIDGet is POST /cgi-bin/openapi/rid/get {"rid":…}: the record of a failed call of
// the same account; 76002 for a malformed rid, 76001 for an unknown one or one older than 7
// days, 76003 (no permission) for another account's.
// https://developers.weixin.qq.com/doc/offiaccount/openApi/get_rid_info.html
func (p *Platform) handleRIDGet(r *request) (any, int) {
	var in struct {
		RID string `json:"rid"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	if !ridPattern.MatchString(in.RID) {
		return nil, codeInvalidRID
	}
	rec, ok := p.rids.byRID[in.RID]
	switch {
	case !ok || p.now.Sub(time.Unix(rec.info.InvokeTime, 0)) > ridLifetime:
		return nil, codeRIDNotFound
	case rec.appID != r.acct.appID:
		return nil, codeRIDNoPermission
	}
	return struct {
		Errcode int     `json:"errcode"`
		Errmsg  string  `json:"errmsg"`
		Request ridInfo `json:"request"`
	}{Errmsg: "ok", Request: rec.info}, 0
}

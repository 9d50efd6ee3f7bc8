package offiaccounttest

import (
	"maps"
	"strings"
	"time"
)

// Statistics (数据统计, datacube): day-by-day figures a test sets with AddDataCubeRows, served
// with WeChat's date rules.

// Errcodes of the datacube APIs.
const (
	codeDateFormat = 61500 // begin_date or end_date not YYYY-MM-DD
	codeDateRange  = 61501 // reversed, longer than the API's span, or reaching today
)

// dataCubeSpans is each API's longest range in days, begin and end included.
var dataCubeSpans = map[string]int{
	"getusersummary": 7, "getusercumulate": 7,
	"getarticlesummary": 1, "getarticletotal": 1, "getuserread": 3, "getuserreadhour": 1,
	"getusershare": 7, "getusersharehour": 1,
	"getupstreammsg": 7, "getupstreammsghour": 1, "getupstreammsgweek": 30, "getupstreammsgmonth": 30,
	"getupstreammsgdist": 15, "getupstreammsgdistweek": 30, "getupstreammsgdistmonth": 30,
	"getinterfacesummary": 30, "getinterfacesummaryhour": 1,
}

// AddDataCubeRows adds rows to what the datacube API api (like "getusersummary") answers for
// appID. Each row is one element of the answer's list, with its "ref_date" (YYYY-MM-DD): a
// call returns the rows whose ref_date lies in its range. Rows are kept as given.
func (p *Platform) AddDataCubeRows(appID, api string, rows ...map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return
	}
	g := a.groupsLocked()
	if g.cube == nil {
		g.cube = make(map[string][]map[string]any)
	}
	for _, r := range rows {
		g.cube[api] = append(g.cube[api], maps.Clone(r))
	}
}

// dataCubeRoute maps /datacube/<api> to its endpoint.
func dataCubeRoute(path string) (func(p *Platform, r *request) (any, int), bool) {
	api, ok := strings.CutPrefix(path, "/datacube/")
	if _, known := dataCubeSpans[api]; !ok || !known {
		return nil, false
	}
	return func(p *Platform, r *request) (any, int) { return p.handleDataCube(r, api) }, true
}

// handleDataCube is POST /datacube/<api> {"begin_date","end_date"}: dates in China's
// calendar, at most the API's span apart, ending yesterday at the latest on the fake clock
// (61501), well-formed (61500).
// https://developers.weixin.qq.com/doc/service/api/wedata/user/api_getusersummary.html
func (p *Platform) handleDataCube(r *request, api string) (any, int) {
	var in struct {
		Begin string `json:"begin_date"`
		End   string `json:"end_date"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	b, err1 := time.Parse("2006-01-02", in.Begin)
	e, err2 := time.Parse("2006-01-02", in.End)
	if err1 != nil || err2 != nil {
		return nil, codeDateFormat
	}
	days := int(e.Sub(b)/(24*time.Hour)) + 1
	if days < 1 || days > dataCubeSpans[api] || in.End >= day(p.now) {
		return nil, codeDateRange
	}
	list := []map[string]any{}
	for _, row := range r.acct.groupsLocked().cube[api] {
		if d, _ := row["ref_date"].(string); d >= in.Begin && d <= in.End {
			list = append(list, maps.Clone(row))
		}
	}
	return struct {
		List []map[string]any `json:"list"`
	}{list}, 0
}

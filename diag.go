package offiaccount

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// Diagnostics (运维/排障): the IP addresses of WeChat's servers, API quotas, and the details
// WeChat keeps of a failed call.

// WeChat errcodes of the quota and rid APIs.
const (
	// CodeClearQuotaLimit: clear_quota was already called the allowed number of times this
	// month (10 for official accounts).
	CodeClearQuotaLimit = 48006
	// CodeInvalidCGIPath: the cgi_path given to quota/get is not a bare API path (it lacks
	// the leading "/" or carries the domain).
	CodeInvalidCGIPath = 76003
	// CodeCGIPathNotFound: quota/get knows no API at cgi_path.
	CodeCGIPathNotFound = 76021
	// CodeCGIPathNoPermission: quota/get cannot answer for cgi_path with this token: an API
	// of another kind of account, or any /sns/ path (web authorization has no quota to show).
	CodeCGIPathNoPermission = 76022
	// CodeRIDNotFound: WeChat has no record of the rid (rids are kept 7 days).
	CodeRIDNotFound = 76001
	// CodeInvalidRID: the rid is empty or malformed.
	CodeInvalidRID = 76002
	// CodeRIDNoPermission: rid/get's "no permission": the rid belongs to another account
	// (the same number as CodeInvalidCGIPath, on another endpoint).
	CodeRIDNoPermission = 76003
)

type ipListAnswer struct {
	IPList []string `json:"ip_list"`
}

// GetCallbackIPs returns the addresses (and CIDR ranges) that WeChat's callback requests come
// from (getcallbackip), as an [IPSet] ready to check the source of callbacks; its Strings
// method lists the entries as WeChat sent them. The list changes over time:
// [Client.WatchCallbackIPs] refreshes it for you.
//
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_the_WeChat_server_IP_address.html
func (c *Client) GetCallbackIPs(ctx context.Context) (*IPSet, error) {
	return c.ipList(ctx, "/cgi-bin/getcallbackip")
}

func (c *Client) ipList(ctx context.Context, path string) (*IPSet, error) {
	var out ipListAnswer
	if err := c.getJSON(ctx, path, nil, &out); err != nil {
		return nil, err
	}
	return NewIPSet(out.IPList)
}

// WatchCallbackIPs fetches WeChat's callback IP list now, then again every interval until
// ctx ends, and returns a filter for [WithHandlerSourceIPFilter] that checks against the latest list.
// A failed refresh keeps the previous list in force and is logged at Warn. The first fetch
// must succeed: its error is returned and nothing keeps running.
func (c *Client) WatchCallbackIPs(ctx context.Context, interval time.Duration) (func(netip.Addr) bool, error) {
	if interval <= 0 {
		return nil, fmt.Errorf("%w: WatchCallbackIPs: interval must be positive", ErrInvalidRequest)
	}
	first, err := c.GetCallbackIPs(ctx)
	if err != nil {
		return nil, err
	}
	var cur atomic.Pointer[IPSet]
	cur.Store(first)
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			set, err := c.GetCallbackIPs(ctx)
			if err != nil {
				if ctx.Err() == nil {
					c.logger.LogAttrs(ctx, slog.LevelWarn, "offiaccount: refreshing callback IPs failed; keeping the previous list",
						slog.String("error", err.Error()))
				}
				continue
			}
			cur.Store(set)
		}
	}()
	return func(addr netip.Addr) bool { return cur.Load().Contains(addr) }, nil
}

// GetAPIDomainIPs returns the addresses behind api.weixin.qq.com (get_api_domain_ip) as an
// [IPSet]; its Strings method lists them for egress firewall rules. The list changes over time.
//
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_the_WeChat_server_IP_address.html
func (c *Client) GetAPIDomainIPs(ctx context.Context) (*IPSet, error) {
	return c.ipList(ctx, "/cgi-bin/get_api_domain_ip")
}

// IPSet is an immutable set of IP addresses and CIDR ranges, such as WeChat's callback IP
// list, for checking where a request comes from. The zero value contains nothing. An IPSet is
// safe for concurrent use.
type IPSet struct {
	prefixes []netip.Prefix
	entries  []string // as given, trimmed, for Strings
}

// NewIPSet parses entries like "101.226.103.0/25", "106.55.206.146" or "2001:db8::1" into a
// set. IPv4-mapped IPv6 addresses are matched as IPv4. Empty entries are skipped; anything else
// that is neither an address nor a prefix is an error wrapping ErrBadResponse.
func NewIPSet(entries []string) (*IPSet, error) {
	s := &IPSet{prefixes: make([]netip.Prefix, 0, len(entries)), entries: make([]string, 0, len(entries))}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(e, "/") {
			var err error
			if p, err = netip.ParsePrefix(e); err != nil {
				return nil, fmt.Errorf("%w: IP list entry %q is not an address or CIDR range", ErrBadResponse, e)
			}
			if p.Addr().Is4In6() {
				bits := p.Bits() - 96
				if bits < 0 {
					return nil, fmt.Errorf("%w: IP list entry %q is not an address or CIDR range", ErrBadResponse, e)
				}
				p = netip.PrefixFrom(p.Addr().Unmap(), bits)
			}
			p = p.Masked()
		} else {
			a, err := netip.ParseAddr(e)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%w: IP list entry %q is not an address or CIDR range", ErrBadResponse, e)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		s.prefixes = append(s.prefixes, p)
		s.entries = append(s.entries, e)
	}
	return s, nil
}

// Contains reports whether addr is in the set. A nil set contains nothing.
func (s *IPSet) Contains(addr netip.Addr) bool {
	if s == nil || !addr.IsValid() {
		return false
	}
	addr = addr.Unmap().WithZone("")
	for _, p := range s.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Strings returns the set's entries as they were given (surrounding spaces trimmed, empty
// entries skipped), in their order: a copy, so the caller may keep or change it. A nil set
// has none.
func (s *IPSet) Strings() []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s.entries...)
}

// Len returns how many addresses and ranges the set holds.
func (s *IPSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.prefixes)
}

// Quota is the daily call quota of one API for the account, and its frequency limits when
// WeChat states them.
type Quota struct {
	DailyLimit int64 `json:"daily_limit"` // calls allowed per day
	Used       int64 `json:"used"`        // calls made today
	Remain     int64 `json:"remain"`      // calls left today

	// RateLimit is the frequency limit of the account's own calls (rate_limit); nil when
	// WeChat's answer leaves it out.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
	// ComponentRateLimit is the frequency limit of calls made on the account's behalf by a
	// third-party platform (component_rate_limit); nil when left out.
	ComponentRateLimit *RateLimit `json:"component_rate_limit,omitempty"`
}

// RateLimit is a frequency limit of quota/get: CallCount calls every RefreshSecond seconds.
type RateLimit struct {
	CallCount     int64 `json:"call_count"`     // calls allowed per period
	RefreshSecond int64 `json:"refresh_second"` // length of the period, in seconds
}

// GetAPIQuota returns the daily quota of the API at cgiPath, such as
// "/cgi-bin/message/custom/send" (a path from the root, without the domain), with its
// frequency limits. WeChat keeps no quota for web-authorization paths: a path with "/sns/" is
// refused locally (WeChat would answer 76022).
//
// https://developers.weixin.qq.com/doc/service/api/apimanage/api_getapiquota.html
func (c *Client) GetAPIQuota(ctx context.Context, cgiPath string) (*Quota, error) {
	const path = "/cgi-bin/openapi/quota/get"
	if !strings.HasPrefix(cgiPath, "/") || strings.ContainsAny(cgiPath, "?# ") {
		return nil, invalidf(path, "cgi_path %q is not an API path like /cgi-bin/message/custom/send", cgiPath)
	}
	if strings.Contains(cgiPath, "/sns/") {
		return nil, invalidf(path, "cgi_path %q: WeChat keeps no quota for /sns/ paths (76022)", cgiPath)
	}
	in := struct {
		CGIPath string `json:"cgi_path"`
	}{cgiPath}
	var out struct {
		Quota              Quota      `json:"quota"`
		RateLimit          *RateLimit `json:"rate_limit"`
		ComponentRateLimit *RateLimit `json:"component_rate_limit"`
	}
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	q := out.Quota
	q.RateLimit, q.ComponentRateLimit = out.RateLimit, out.ComponentRateLimit
	return &q, nil
}

// ClearQuota resets the call counts of all the account's APIs to zero (clear_quota), after
// a daily quota was reached (errcode 45009, [ErrQuota]). WeChat allows it 10 times a month
// (errcode 48006 past that).
//
// https://developers.weixin.qq.com/doc/offiaccount/openApi/clear_quota.html
func (c *Client) ClearQuota(ctx context.Context) error {
	in := struct {
		AppID string `json:"appid"`
	}{c.appID}
	return c.postJSON(ctx, "/cgi-bin/clear_quota", nil, &in, nil)
}

// RIDInfo is what WeChat recorded of one API call, found by the rid of its error answer.
// RequestURL and RequestBody are the caller's own request: they may hold the access_token
// and user data, so do not log them verbatim.
type RIDInfo struct {
	InvokeTime   int64  `json:"invoke_time"`   // unix seconds of the call
	CostInMs     int64  `json:"cost_in_ms"`    // time WeChat took, in milliseconds
	RequestURL   string `json:"request_url"`   // the query of the request
	RequestBody  string `json:"request_body"`  // the body of a POST
	ResponseBody string `json:"response_body"` // WeChat's answer
	ClientIP     string `json:"client_ip"`     // the caller's address as WeChat saw it
}

// GetRID returns WeChat's record of the failed call with the given rid, as found in
// [APIError.RID]. WeChat keeps rids 7 days (76001 after that) and answers only for calls of
// the same account (76003, CodeRIDNoPermission, for another account's rid).
//
// https://developers.weixin.qq.com/doc/offiaccount/openApi/get_rid_info.html
func (c *Client) GetRID(ctx context.Context, rid string) (*RIDInfo, error) {
	const path = "/cgi-bin/openapi/rid/get"
	if rid == "" {
		return nil, invalidf(path, "empty rid")
	}
	in := struct {
		RID string `json:"rid"`
	}{rid}
	var out struct {
		Request RIDInfo `json:"request"`
	}
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return &out.Request, nil
}

// CallbackCheckAction is what CheckCallback tests.
type CallbackCheckAction string

// Checks of CheckCallback.
const (
	CheckAll  CallbackCheckAction = "all"  // DNS resolution and ping
	CheckDNS  CallbackCheckAction = "dns"  // DNS resolution of the callback domain only
	CheckPing CallbackCheckAction = "ping" // ping of the callback server only
)

// CallbackOperator is the network WeChat checks the callback server from.
type CallbackOperator string

// Networks of CheckCallback.
const (
	OperatorDefault  CallbackOperator = "DEFAULT"  // chosen by WeChat from the server's network
	OperatorChinaNet CallbackOperator = "CHINANET" // China Telecom (电信)
	OperatorUnicom   CallbackOperator = "UNICOM"   // China Unicom (联通)
	OperatorCAP      CallbackOperator = "CAP"      // Tencent's own network (腾讯自建)
)

// CallbackCheck is the result of a network check of the account's callback URL.
type CallbackCheck struct {
	DNS  []CallbackDNS  `json:"dns"`
	Ping []CallbackPing `json:"ping"`
}

// CallbackDNS is one address the callback domain resolved to.
type CallbackDNS struct {
	IP           string `json:"ip"`
	RealOperator string `json:"real_operator"` // CHINANET, UNICOM, CAP or UNKNOWN
}

// CallbackPing is the ping of one callback server address.
type CallbackPing struct {
	IP           string `json:"ip"`
	FromOperator string `json:"from_operator"`
	PackageLoss  string `json:"package_loss"` // like "0%"
	Time         string `json:"time"`         // like "23.079ms"
}

// CheckCallback asks WeChat to resolve and ping the account's callback server from one of
// its networks (网络检测), to find why callbacks do not arrive.
//
// https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Network_Detection.html
func (c *Client) CheckCallback(ctx context.Context, action CallbackCheckAction, operator CallbackOperator) (*CallbackCheck, error) {
	const path = "/cgi-bin/callback/check"
	switch action {
	case CheckAll, CheckDNS, CheckPing:
	default:
		return nil, invalidf(path, "unknown action %q", action)
	}
	switch operator {
	case OperatorDefault, OperatorChinaNet, OperatorUnicom, OperatorCAP:
	default:
		return nil, invalidf(path, "unknown check_operator %q", operator)
	}
	in := struct {
		Action   CallbackCheckAction `json:"action"`
		Operator CallbackOperator    `json:"check_operator"`
	}{action, operator}
	var out CallbackCheck
	if err := c.postJSON(ctx, path, nil, &in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

package offiaccount

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCallbackAndDomainIPs(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/getcallbackip",
		answer: `{"ip_list":["101.226.62.77","101.226.103.0/25"]}`})
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/get_api_domain_ip",
		answer: `{"ip_list":["101.89.47.18","101.91.34.103"]}`})
	ctx := context.Background()

	cb, err := c.GetCallbackIPs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"101.226.62.77", "101.226.103.0/25"}, cb.Strings())
	assert.True(t, cb.Contains(netip.MustParseAddr("101.226.103.1")))
	api, err := c.GetAPIDomainIPs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"101.89.47.18", "101.91.34.103"}, api.Strings())
}

func TestCallbackIPsBadEntry(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testAPI+"/cgi-bin/getcallbackip",
		httpmock.NewStringResponder(200, `{"ip_list":["101.226.103.0/25"]}`).
			Then(httpmock.NewStringResponder(200, `{"ip_list":["not an ip"]}`)))
	set, err := c.GetCallbackIPs(context.Background())
	require.NoError(t, err)
	assert.True(t, set.Contains(netip.MustParseAddr("101.226.103.1")))
	_, err = c.GetCallbackIPs(context.Background())
	require.ErrorIs(t, err, ErrBadResponse)
}

func TestCallbackIPsError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodGet, path: "/cgi-bin/getcallbackip",
		answer: `{"errcode":40164,"errmsg":"invalid ip 1.2.3.4, not in whitelist rid: 65-ab"}`})
	_, err := c.GetCallbackIPs(context.Background())
	requireAPIError(t, err, CodeIPNotWhitelisted, "/cgi-bin/getcallbackip")
	assert.ErrorIs(t, err, ErrIPNotWhitelisted)
}

func TestIPSet(t *testing.T) {
	t.Parallel()
	set, err := NewIPSet([]string{"101.226.62.77", " 101.226.103.0/25 ", "", "2001:db8::/32", "::ffff:10.0.0.0/104"})
	require.NoError(t, err)
	assert.Equal(t, 4, set.Len())
	entries := set.Strings()
	assert.Equal(t, []string{"101.226.62.77", "101.226.103.0/25", "2001:db8::/32", "::ffff:10.0.0.0/104"}, entries)
	entries[0] = "changed"
	assert.Equal(t, "101.226.62.77", set.Strings()[0], "Strings returns a copy")
	tests := map[string]bool{
		"101.226.62.77":          true,
		"101.226.62.78":          false,
		"101.226.103.0":          true,
		"101.226.103.127":        true,
		"101.226.103.128":        false,
		"::ffff:101.226.62.77":   true, // an IPv4 peer seen by a dual-stack listener
		"2001:db8:1::5":          true,
		"2001:db9::1":            false,
		"10.200.1.1":             true,
		"fe80::1%eth0":           false,
		"::ffff:101.226.103.200": false,
	}
	for addr, want := range tests {
		assert.Equal(t, want, set.Contains(netip.MustParseAddr(addr)), addr)
	}
	assert.False(t, set.Contains(netip.Addr{}))
	var nilSet *IPSet
	assert.False(t, nilSet.Contains(netip.MustParseAddr("101.226.62.77")))
	assert.Zero(t, nilSet.Len())
	assert.Empty(t, nilSet.Strings())

	for _, bad := range []string{"1.2.3", "1.2.3.4/33", "example.com", "fe80::1%eth0", "::ffff:1.2.3.4/8", "1.2.3.4/"} {
		_, err := NewIPSet([]string{"1.1.1.1", bad})
		require.ErrorIs(t, err, ErrBadResponse, bad)
		assert.Contains(t, err.Error(), bad)
	}
}

func FuzzNewIPSet(f *testing.F) {
	for _, s := range []string{"101.226.103.0/25", "1.2.3.4", "::ffff:1.2.3.4/120", "2001:db8::/0", "x", "1.2.3.4/99", "::ffff:0.0.0.0/95"} {
		f.Add(s, "1.2.3.4")
	}
	f.Fuzz(func(t *testing.T, entry, probe string) {
		set, err := NewIPSet(strings.Split(entry, ","))
		if err != nil {
			require.ErrorIs(t, err, ErrBadResponse)
			return
		}
		if a, err := netip.ParseAddr(probe); err == nil {
			_ = set.Contains(a) // must not panic
			// An address the set was built from is always contained.
			if single, err := NewIPSet([]string{probe}); err == nil && a.Zone() == "" {
				assert.True(t, single.Contains(a))
			}
		}
	})
}

func TestAPIQuota(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/openapi/quota/get",
		body:   `{"cgi_path":"/cgi-bin/message/custom/send"}`,
		answer: `{"errcode":0,"errmsg":"ok","quota":{"daily_limit":500000,"used":12,"remain":499988}}`})
	q, err := c.GetAPIQuota(context.Background(), "/cgi-bin/message/custom/send")
	require.NoError(t, err)
	assert.Equal(t, &Quota{DailyLimit: 500000, Used: 12, Remain: 499988}, q)

	for _, bad := range []string{"", "cgi-bin/x", "https://api.weixin.qq.com/cgi-bin/x", "/cgi-bin/x?a=1",
		"/sns/userinfo", "/sns/oauth2/access_token", "/cgi-bin/sns/x"} {
		_, err := c.GetAPIQuota(context.Background(), bad)
		require.ErrorIs(t, err, ErrInvalidRequest, bad)
	}
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+testAPI+"/cgi-bin/openapi/quota/get"])
}

func TestAPIQuotaRateLimits(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	// The fields of the service-account doc's table (its example shows only quota).
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/openapi/quota/get",
		body: `{"cgi_path":"/cgi-bin/message/custom/send"}`,
		answer: `{"errcode":0,"errmsg":"ok","quota":{"daily_limit":1,"used":0,"remain":1},
			"rate_limit":{"call_count":100,"refresh_second":60},
			"component_rate_limit":{"call_count":50,"refresh_second":60}}`})
	q, err := c.GetAPIQuota(context.Background(), "/cgi-bin/message/custom/send")
	require.NoError(t, err)
	assert.Equal(t, &RateLimit{CallCount: 100, RefreshSecond: 60}, q.RateLimit)
	assert.Equal(t, &RateLimit{CallCount: 50, RefreshSecond: 60}, q.ComponentRateLimit)
}

func TestQuotaAndRIDErrcodes(t *testing.T) {
	// The numbers of the quota/get and rid/get documentation.
	assert.Equal(t, 76021, CodeCGIPathNotFound)
	assert.Equal(t, 76022, CodeCGIPathNoPermission)
	assert.Equal(t, 76003, CodeRIDNoPermission)
	assert.Equal(t, 76001, CodeRIDNotFound)
}

func TestClearQuota(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	n := expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/clear_quota",
		body: `{"appid":"` + testAppID + `"}`, answer: `{"errcode":0,"errmsg":"ok"}`})
	require.NoError(t, c.ClearQuota(context.Background()))
	assert.EqualValues(t, 1, n.Load())

	c, mt = newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/clear_quota",
		body: `{"appid":"` + testAppID + `"}`, answer: `{"errcode":48006,"errmsg":"forbid to clear quota because of reaching the limit"}`})
	requireAPIError(t, c.ClearQuota(context.Background()), CodeClearQuotaLimit, "/cgi-bin/clear_quota")
}

func TestLookupRID(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/openapi/rid/get",
		body: `{"rid":"61725984-6126f6f9-040f19c4"}`,
		answer: `{"errcode":0,"errmsg":"ok","request":{"invoke_time":1635156704,"cost_in_ms":30,
			"request_url":"access_token=xx","request_body":"{\"touser\":\"o\"}",
			"response_body":"{\"errcode\":45015}","client_ip":"113.65.4.1"}}`})
	info, err := c.GetRID(context.Background(), "61725984-6126f6f9-040f19c4")
	require.NoError(t, err)
	assert.Equal(t, RIDInfo{InvokeTime: 1635156704, CostInMs: 30, RequestURL: "access_token=xx",
		RequestBody: `{"touser":"o"}`, ResponseBody: `{"errcode":45015}`, ClientIP: "113.65.4.1"}, *info)

	_, err = c.GetRID(context.Background(), "")
	require.ErrorIs(t, err, ErrInvalidRequest)

	c, mt = newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/openapi/rid/get",
		body: `{"rid":"nope"}`, answer: `{"errcode":76001,"errmsg":"rid not found"}`})
	_, err = c.GetRID(context.Background(), "nope")
	requireAPIError(t, err, CodeRIDNotFound, "/cgi-bin/openapi/rid/get")
}

func ExampleClient_GetCallbackIPs() {
	client, done := newExampleServer(map[string]string{
		"/cgi-bin/getcallbackip": `{"ip_list":["101.226.62.77","101.226.103.0/25"]}`,
		"/cgi-bin/clear_quota":   `{"errcode":48006,"errmsg":"forbid to clear quota because of reaching the limit rid: 6567-1"}`,
	})
	defer done()
	ctx := context.Background()

	wechat, err := client.GetCallbackIPs(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(wechat.Strings())
	fmt.Println(wechat.Contains(netip.MustParseAddr("101.226.103.9")))
	fmt.Println(wechat.Contains(netip.MustParseAddr("203.0.113.7")))

	var apiErr *APIError
	if err := client.ClearQuota(ctx); errors.As(err, &apiErr) {
		fmt.Println(apiErr.Code, "rid", apiErr.RID)
	}
	// Output:
	// [101.226.62.77 101.226.103.0/25]
	// true
	// false
	// 48006 rid 6567-1
}

func TestCheckCallback(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/callback/check",
		body: `{"action":"all","check_operator":"DEFAULT"}`,
		answer: `{"dns":[{"ip":"111.161.64.40","real_operator":"UNICOM"}],
			"ping":[{"ip":"111.161.64.40","from_operator":"UNICOM","package_loss":"0%","time":"23.079ms"}]}`})
	res, err := c.CheckCallback(context.Background(), CheckAll, OperatorDefault)
	require.NoError(t, err)
	require.Len(t, res.DNS, 1)
	require.Len(t, res.Ping, 1)
	assert.Equal(t, "111.161.64.40", res.DNS[0].IP)
	assert.Equal(t, "UNICOM", res.DNS[0].RealOperator)
	assert.Equal(t, "0%", res.Ping[0].PackageLoss)
	assert.Equal(t, "23.079ms", res.Ping[0].Time)
	assert.Equal(t, "UNICOM", res.Ping[0].FromOperator)

	_, err = c.CheckCallback(context.Background(), "traceroute", OperatorDefault)
	require.ErrorIs(t, err, ErrInvalidRequest)
	_, err = c.CheckCallback(context.Background(), CheckDNS, "MOBILE")
	require.ErrorIs(t, err, ErrInvalidRequest)
}

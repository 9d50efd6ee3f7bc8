package offiaccounttest_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestIPLists(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()

	set, err := c.GetCallbackIPs(ctx)
	require.NoError(t, err)
	assert.True(t, set.Contains(netip.MustParseAddr("127.0.0.1")), "the Sender's callbacks pass by default")
	assert.True(t, set.Contains(netip.MustParseAddr("::1")))
	assert.False(t, set.Contains(netip.MustParseAddr("192.0.2.1")))

	p.SetCallbackIPs("192.0.2.0/24")
	ips, err := c.GetCallbackIPs(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"192.0.2.0/24"}, ips.Strings())

	api, err := c.GetAPIDomainIPs(ctx)
	require.NoError(t, err)
	assert.Contains(t, api.Strings(), "127.0.0.1")
}

func TestQuota(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-a"})
	const path = "/cgi-bin/user/info"
	p.SetDailyQuota(sdkAppID, path, 3)

	for range 3 {
		_, err := c.GetUserInfo(ctx, "o-a")
		require.NoError(t, err)
	}
	_, err := c.GetUserInfo(ctx, "o-a")
	require.ErrorIs(t, err, offiaccount.ErrQuota)
	requireCode(t, err, 45009)

	q, err := c.GetAPIQuota(ctx, path)
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.Quota{DailyLimit: 3, Used: 3, Remain: 0}, q)
	code, _ := rawCall(t, p, http.MethodGet, "/cgi-bin/token",
		url.Values{"grant_type": {"client_credential"}, "appid": {sdkAppID}, "secret": {sdkSecret}}, "", nil)
	require.Zero(t, code)
	q, err = c.GetAPIQuota(ctx, "/cgi-bin/token")
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.Quota{DailyLimit: 2000, Used: 1, Remain: 1999}, q)
	q, err = c.GetAPIQuota(ctx, "/cgi-bin/message/custom/send")
	require.NoError(t, err)
	assert.Equal(t, int64(offiaccounttest.DefaultDailyQuota), q.Remain)

	require.NoError(t, c.ClearQuota(ctx))
	_, err = c.GetUserInfo(ctx, "o-a")
	require.NoError(t, err, "cleared")

	p.Advance(24 * time.Hour) // a new day in China: counts start again
	for range 3 {
		_, err := c.GetUserInfo(ctx, "o-a")
		require.NoError(t, err)
	}

	_, err = c.GetAPIQuota(ctx, "/cgi-bin/nothing")
	requireCode(t, err, 76021)
	_, err = c.GetAPIQuota(ctx, "/sns/userinfo")
	require.ErrorIs(t, err, offiaccount.ErrInvalidRequest, "refused before it is sent")
	assert.Equal(t, offiaccount.CodeCGIPathNoPermission, rawPost(t, p, c, "/cgi-bin/openapi/quota/get", `{"cgi_path":"/sns/userinfo"}`))
	assert.Equal(t, offiaccount.CodeInvalidCGIPath, rawPost(t, p, c, "/cgi-bin/openapi/quota/get", `{"cgi_path":"cgi-bin/user/info"}`))
	assert.Equal(t, 40013, rawPost(t, p, c, "/cgi-bin/clear_quota", `{"appid":"wxother"}`))
	assert.Equal(t, 41002, rawPost(t, p, c, "/cgi-bin/clear_quota", `{}`))
}

func TestClearQuotaMonthlyLimit(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	for range offiaccounttest.ClearQuotaMonthlyLimit {
		require.NoError(t, c.ClearQuota(ctx))
	}
	requireCode(t, c.ClearQuota(ctx), offiaccount.CodeClearQuotaLimit)
	p.SetNow(time.Date(2024, 7, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	require.NoError(t, c.ClearQuota(ctx), "a new month")
}

func TestLookupRID(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()

	_, err := c.GetUserInfo(ctx, "o-nobody")
	var apiErr *offiaccount.APIError
	require.True(t, errors.As(err, &apiErr))
	info, err := c.GetRID(ctx, apiErr.RID)
	require.NoError(t, err)
	assert.Equal(t, sdkStart.Unix(), info.InvokeTime)
	assert.Equal(t, "openid=o-nobody", info.RequestURL, "the access_token is left out")
	assert.Contains(t, info.ResponseBody, `"errcode":40003`)
	assert.Contains(t, info.ResponseBody, apiErr.RID)
	assert.Equal(t, "127.0.0.1", info.ClientIP)

	p.FailNext("/cgi-bin/tags/get", 1, offiaccounttest.Fault{Errcode: 45011})
	_, err = c.ListTags(ctx)
	require.True(t, errors.As(err, &apiErr))
	require.Equal(t, 45011, apiErr.Code)
	info, err = c.GetRID(ctx, apiErr.RID)
	require.NoError(t, err, "injected faults are recorded too")
	assert.Contains(t, info.ResponseBody, "45011")

	_, err = c.GetRID(ctx, "64eed8de-4cdaca9b-1be8f193")
	requireCode(t, err, offiaccount.CodeRIDNotFound)
	_, err = c.GetRID(ctx, "not a rid")
	requireCode(t, err, offiaccount.CodeInvalidRID)

	// Another account cannot read it.
	p.AddAccount("wx0e7e000000000002", "other-secret")
	other, err := offiaccount.NewClient("wx0e7e000000000002", "other-secret", offiaccount.WithClientBaseURL(p.URL()), offiaccount.WithClientHTTPClient(p.Client()))
	require.NoError(t, err)
	_, err = other.GetRID(ctx, apiErr.RID)
	requireCode(t, err, offiaccount.CodeRIDNoPermission)

	// rids are kept 7 days.
	p.Advance(7*24*time.Hour + time.Second)
	_, err = c.GetRID(ctx, apiErr.RID)
	requireCode(t, err, offiaccount.CodeRIDNotFound)
}

// Every endpoint of the account APIs checks the access_token before anything else, and
// the POST ones refuse GET.
func TestAccountAPIsNeedToken(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	post := []string{
		"/cgi-bin/message/custom/send", "/cgi-bin/message/custom/typing", "/cgi-bin/message/template/send",
		"/cgi-bin/template/api_add_template", "/cgi-bin/template/del_private_template",
		"/cgi-bin/template/api_set_industry", "/cgi-bin/user/info/batchget", "/cgi-bin/user/info/updateremark",
		"/cgi-bin/tags/create", "/cgi-bin/tags/update", "/cgi-bin/tags/delete",
		"/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging", "/cgi-bin/user/tag/get",
		"/cgi-bin/tags/getidlist", "/cgi-bin/tags/members/getblacklist", "/cgi-bin/tags/members/batchblacklist",
		"/cgi-bin/tags/members/batchunblacklist", "/cgi-bin/qrcode/create", "/cgi-bin/media/upload",
		"/cgi-bin/media/uploadimg", "/cgi-bin/material/add_material", "/cgi-bin/material/get_material",
		"/cgi-bin/material/del_material", "/cgi-bin/material/batchget_material", "/cgi-bin/openapi/quota/get",
		"/cgi-bin/clear_quota", "/cgi-bin/openapi/rid/get",
	}
	get := []string{
		"/cgi-bin/template/get_all_private_template", "/cgi-bin/template/get_industry", "/cgi-bin/user/info",
		"/cgi-bin/user/get", "/cgi-bin/tags/get", "/cgi-bin/media/get", "/cgi-bin/material/get_materialcount",
		"/cgi-bin/getcallbackip", "/cgi-bin/get_api_domain_ip",
	}
	tok := token(t, c)
	for _, path := range append(post, get...) {
		code, _ := rawCall(t, p, http.MethodPost, path, nil, "application/json", []byte(`{}`))
		assert.Equal(t, 41001, code, path)
		code, _ = rawCall(t, p, http.MethodPost, path, url.Values{"access_token": {"stale"}}, "application/json", []byte(`{}`))
		assert.Equal(t, 40001, code, path)
	}
	for _, path := range post {
		code, _ := rawCall(t, p, http.MethodGet, path, url.Values{"access_token": {tok}}, "", nil)
		assert.Equal(t, 43002, code, path)
	}
}

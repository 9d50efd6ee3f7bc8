package offiaccounttest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestShortKeys(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()

	key, err := c.GenShortKey(ctx, "order=42&coupon=XYZ", time.Hour)
	require.NoError(t, err)
	assert.Len(t, key, 15)
	got, err := c.GetShortKey(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, &offiaccount.ShortKey{LongData: "order=42&coupon=XYZ", CreateTime: sdkStart.Unix(), ExpireSeconds: 3600}, got)

	p.Advance(time.Hour)
	_, err = c.GetShortKey(ctx, key)
	requireCode(t, err, offiaccount.CodeShortKeyNotFound)

	long, err := c.GenShortKey(ctx, "x", 0)
	require.NoError(t, err)
	got, err = c.GetShortKey(ctx, long)
	require.NoError(t, err)
	assert.Equal(t, int64(offiaccounttest.MaxShortKeyLifetime/time.Second), got.ExpireSeconds, "30 days by default")

	// Another account cannot read it.
	p.AddAccount("wx0000000000000b0e", "other-secret")
	other, err := offiaccount.NewClient("wx0000000000000b0e", "other-secret", offiaccount.WithClientBaseURL(p.URL()), offiaccount.WithClientHTTPClient(p.Client()))
	require.NoError(t, err)
	_, err = other.GetShortKey(ctx, long)
	requireCode(t, err, offiaccount.CodeShortKeyNotFound)

	assert.Equal(t, offiaccount.CodeShortKeyDataTooLong, rawPost(t, p, c, "/cgi-bin/shorten/gen", `{"long_data":"`+strings.Repeat("x", 4097)+`","expire_seconds":60}`))
	assert.Equal(t, offiaccount.CodeShortKeyExpireLimit, rawPost(t, p, c, "/cgi-bin/shorten/gen", `{"long_data":"x","expire_seconds":2592001}`))
	assert.Equal(t, 47003, rawPost(t, p, c, "/cgi-bin/shorten/gen", `{"expire_seconds":60}`))
}

func TestClearQuotaByAppSecret(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-a"})
	p.SetDailyQuota(sdkAppID, "/cgi-bin/user/info", 1)
	_, err := c.GetUserInfo(ctx, "o-a")
	require.NoError(t, err)
	_, err = c.GetUserInfo(ctx, "o-a")
	require.ErrorIs(t, err, offiaccount.ErrQuota)

	require.NoError(t, c.ClearQuotaByAppSecret(ctx))
	_, err = c.GetUserInfo(ctx, "o-a")
	require.NoError(t, err, "cleared")

	// The 10 a month are shared with clear_quota.
	for range offiaccounttest.ClearQuotaMonthlyLimit - 2 {
		require.NoError(t, c.ClearQuota(ctx))
	}
	require.NoError(t, c.ClearQuotaByAppSecret(ctx))
	requireCode(t, c.ClearQuotaByAppSecret(ctx), offiaccount.CodeClearQuotaLimit)
	requireCode(t, c.ClearQuota(ctx), offiaccount.CodeClearQuotaLimit)

	call := func(q url.Values) int {
		code, _ := rawCall(t, p, http.MethodPost, "/cgi-bin/clear_quota/v2", q, "", nil)
		return code
	}
	assert.Equal(t, 41002, call(url.Values{"appsecret": {sdkSecret}}))
	assert.Equal(t, 41004, call(url.Values{"appid": {sdkAppID}}))
	assert.Equal(t, 40013, call(url.Values{"appid": {"wxnobody"}, "appsecret": {"x"}}))
	assert.Equal(t, offiaccount.CodeInvalidAppSecret, call(url.Values{"appid": {sdkAppID}, "appsecret": {"wrong"}}))
}

// FuzzGroupAPIBodies sends arbitrary bodies to the customer-service, statistics, comment and
// short-key APIs: the platform answers WeChat-shaped JSON, never panics, and keeps WeChat's
// limits in its state.
func FuzzGroupAPIBodies(f *testing.F) {
	for _, s := range [][2]string{
		{"/customservice/kfaccount/add", `{"kf_account":"a@gh","nickname":"n"}`},
		{"/customservice/kfaccount/inviteworker", `{"kf_account":"a@gh","invite_wx":"w"}`},
		{"/customservice/kfsession/create", `{"kf_account":"a@gh","openid":"o1"}`},
		{"/customservice/kfsession/close", `{"kf_account":"a@gh","openid":"o1"}`},
		{"/customservice/kfsession/getsession?openid=o1", ``},
		{"/customservice/msgrecord/getmsglist", `{"starttime":1,"endtime":86400,"msgid":1,"number":9}`},
		{"/datacube/getusersummary", `{"begin_date":"2024-05-01","end_date":"2024-05-07"}`},
		{"/cgi-bin/comment/list", `{"msg_data_id":1,"index":0,"begin":-5,"count":49,"type":2}`},
		{"/cgi-bin/comment/reply/add", `{"msg_data_id":1,"index":0,"user_comment_id":1,"content":"x"}`},
		{"/cgi-bin/shorten/gen", `{"long_data":"x","expire_seconds":60}`},
		{"/cgi-bin/shorten/fetch", `{"short_key":"x"}`},
		{"/cgi-bin/clear_quota/v2?appid=wx0123456789abcdef&appsecret=s", ``},
	} {
		f.Add(s[0], s[1])
	}
	p := offiaccounttest.NewPlatform(offiaccounttest.WithPlatformAccount(sdkAppID, sdkSecret), offiaccounttest.WithPlatformNow(sdkStart))
	defer p.Close()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o1"})
	p.AddComments(sdkAppID, 1, 0, offiaccounttest.CommentRecord{OpenID: "o1", Content: "c"})
	p.AddKFChatRecords(sdkAppID, offiaccounttest.KFChatRecord{OpenID: "o1", Time: time.Unix(100, 0)})
	tok := p.IssueToken(sdkAppID)

	f.Fuzz(func(t *testing.T, target, body string) {
		path, query, _ := strings.Cut(target, "?")
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		q, _ := url.ParseQuery(query)
		q.Set("access_token", tok)
		u := p.URL() + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
		for _, method := range []string{http.MethodPost, http.MethodGet} {
			req, err := http.NewRequest(method, u, strings.NewReader(body))
			require.NoError(t, err)
			resp, err := p.Client().Do(req)
			require.NoError(t, err)
			var answer map[string]any
			dec := json.NewDecoder(resp.Body)
			err = dec.Decode(&answer)
			resp.Body.Close()
			if resp.StatusCode == http.StatusNotFound {
				return
			}
			require.NoError(t, err, "%s answered non-JSON", path)
		}
		for _, k := range p.KFAccounts(sdkAppID) {
			if utf8.RuneCountInString(k.Nickname) > 16 || !strings.Contains(k.Account, "@") {
				t.Fatalf("account beyond WeChat's rules: %+v", k)
			}
		}
		if n := len(p.KFAccounts(sdkAppID)); n > offiaccounttest.MaxKFAccounts {
			t.Fatalf("%d accounts", n)
		}
	})
}

package offiaccounttest_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

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
	p.AddAccount("wxother0000000000", "other-secret")
	other, err := offiaccount.New("wxother0000000000", "other-secret", offiaccount.WithBaseURL(p.URL()), offiaccount.WithHTTPClient(p.Client()))
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
	p.AddUser(sdkAppID, offiaccounttest.User{OpenID: "o-a"})
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

package offiaccounttest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestQRCodeCreate(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()

	temp, err := c.CreateQRCode(ctx, offiaccount.TempQRCode(42, time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(3600), temp.ExpireSeconds)
	assert.NotEmpty(t, temp.Ticket)
	assert.True(t, strings.HasPrefix(temp.URL, "http://weixin.qq.com/q/"), temp.URL)

	short, err := c.CreateQRCode(ctx, offiaccount.TempStrQRCode("promo", 0))
	require.NoError(t, err)
	assert.Equal(t, int64(60), short.ExpireSeconds, "WeChat: 60 s when expire_seconds is left out")
	assert.Equal(t, 60*time.Second, offiaccounttest.QRDefaultExpiry)

	perm, err := c.CreateQRCode(ctx, offiaccount.PermanentQRCode(100000))
	require.NoError(t, err)
	assert.Zero(t, perm.ExpireSeconds)
	assert.NotEqual(t, temp.Ticket, perm.Ticket)

	codes := p.QRCodes(sdkAppID)
	require.Len(t, codes, 3)
	assert.Equal(t, offiaccounttest.QRCodeRecord{Ticket: temp.Ticket, ActionName: "QR_SCENE", SceneID: 42,
		URL: temp.URL, Expires: sdkStart.Add(time.Hour)}, codes[0])
	assert.Equal(t, "promo", codes[1].SceneStr)
	assert.True(t, codes[2].Expires.IsZero())
}

// The platform's own checks, for requests the SDK refuses to send.
func TestQRCodeRules(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	for _, tc := range []struct {
		body string
		code int
	}{
		{`{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":100001}}}`, 40053},
		{`{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":0}}}`, 40053},
		{`{"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":0}}}`, 40053},
		{`{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":""}}}`, 40053},
		{`{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"` + strings.Repeat("码", 65) + `"}}}`, 40053},
		{`{"action_name":"QR_FOREVER","action_info":{"scene":{"scene_id":1}}}`, 40097},
		{`{"expire_seconds":99999999,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":1}}}`, 0},
	} {
		assert.Equal(t, tc.code, rawPost(t, p, c, "/cgi-bin/qrcode/create", tc.body), tc.body)
	}
	codes := p.QRCodes(sdkAppID)
	require.Len(t, codes, 1)
	assert.Equal(t, sdkStart.Add(offiaccounttest.QRMaxExpiry), codes[0].Expires, "cut to 30 days")
}

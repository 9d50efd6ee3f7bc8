package offiaccounttest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
	"github.com/wxgo/offiaccount/offiaccounttest"
)

func TestKFAccounts(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()

	require.NoError(t, c.AddKFAccount(ctx, "alice@gh_shop", "小艾"))
	requireCode(t, c.AddKFAccount(ctx, "alice@gh_shop", "again"), offiaccount.CodeKFAccountExists)
	require.NoError(t, c.UpdateKFAccount(ctx, "alice@gh_shop", "艾丽丝"))
	requireCode(t, c.UpdateKFAccount(ctx, "bob@gh_shop", "x"), offiaccount.CodeKFInvalidAccount)
	require.NoError(t, c.UploadKFHeadImage(ctx, "alice@gh_shop", "a.jpg", bytes.NewReader([]byte("JPEG"))))
	require.NoError(t, c.InviteKFWorker(ctx, "alice@gh_shop", "wx_alice"))

	list, err := c.ListKFAccounts(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "艾丽丝", list[0].Nickname)
	assert.Equal(t, "1001", list[0].ID.String())
	assert.NotEmpty(t, list[0].HeadImgURL)
	assert.Equal(t, "waiting", list[0].InviteStatus)
	assert.Equal(t, sdkStart.Add(offiaccounttest.KFInviteLifetime).Unix(), list[0].InviteExpireTime)
	p.Advance(offiaccounttest.KFInviteLifetime)
	list, _ = c.ListKFAccounts(ctx)
	assert.Equal(t, "expired", list[0].InviteStatus)

	require.True(t, p.SetKFOnline(sdkAppID, "alice@gh_shop", "wx_alice", true))
	requireCode(t, c.InviteKFWorker(ctx, "alice@gh_shop", "wx_other"), 65407)
	online, err := c.ListOnlineKFAccounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, []offiaccount.KFOnline{{Account: "alice@gh_shop", Status: 1, ID: "1001"}}, online)

	require.NoError(t, c.DeleteKFAccount(ctx, "alice@gh_shop"))
	requireCode(t, c.DeleteKFAccount(ctx, "alice@gh_shop"), offiaccount.CodeKFInvalidAccount)

	// What the SDK refuses locally, WeChat refuses too.
	assert.Equal(t, offiaccount.CodeKFMalformedAccount, rawPost(t, p, c, "/customservice/kfaccount/add", `{"kf_account":"nohost","nickname":"n"}`))
	assert.Equal(t, offiaccount.CodeKFInvalidNickname, rawPost(t, p, c, "/customservice/kfaccount/add", `{"kf_account":"a@gh","nickname":"一二三四五六七八九十一二三四五六七"}`))
	for i := range offiaccounttest.MaxKFAccounts {
		require.Zero(t, rawPost(t, p, c, "/customservice/kfaccount/add", `{"kf_account":"k`+string(rune('a'+i%26))+string(rune('a'+i/26))+`@gh","nickname":"n"}`))
	}
	assert.Equal(t, offiaccount.CodeKFAccountLimit, rawPost(t, p, c, "/customservice/kfaccount/add", `{"kf_account":"last@gh","nickname":"n"}`))
}

func TestKFSessions(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	p.AddUser(sdkAppID, offiaccounttest.UserRecord{OpenID: "o-user"})
	require.NoError(t, c.AddKFAccount(ctx, "a@gh", "A"))
	require.NoError(t, c.AddKFAccount(ctx, "b@gh", "B"))
	p.AddKFWaitCase(sdkAppID, "o-user")

	requireCode(t, c.CreateKFSession(ctx, "a@gh", "o-user"), offiaccount.CodeKFNotBound)
	p.SetKFOnline(sdkAppID, "a@gh", "wx_a", false)
	requireCode(t, c.CreateKFSession(ctx, "a@gh", "o-user"), offiaccount.CodeKFOffline)
	p.SetKFOnline(sdkAppID, "a@gh", "wx_a", true)
	p.SetKFOnline(sdkAppID, "b@gh", "wx_b", true)
	requireCode(t, c.CreateKFSession(ctx, "a@gh", "o-nobody"), 40003)

	w, err := c.ListKFWaitCases(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, w.Count)
	require.NoError(t, c.CreateKFSession(ctx, "a@gh", "o-user"))
	requireCode(t, c.CreateKFSession(ctx, "b@gh", "o-user"), offiaccount.CodeKFUserInSession)
	w, _ = c.ListKFWaitCases(ctx)
	assert.Zero(t, w.Count, "served users leave the queue")

	s, err := c.GetKFSession(ctx, "o-user")
	require.NoError(t, err)
	assert.Equal(t, "a@gh", s.Account)
	assert.Equal(t, sdkStart.Unix(), s.CreateTime)
	ss, err := c.ListKFSessions(ctx, "a@gh")
	require.NoError(t, err)
	assert.Equal(t, []offiaccount.KFSession{{Account: "a@gh", OpenID: "o-user", CreateTime: sdkStart.Unix()}}, ss)

	requireCode(t, c.CloseKFSession(ctx, "b@gh", "o-user"), offiaccount.CodeKFNoSession)
	require.NoError(t, c.CloseKFSession(ctx, "a@gh", "o-user"))
	s, err = c.GetKFSession(ctx, "o-user")
	require.NoError(t, err)
	assert.Empty(t, s.Account)
	assert.Equal(t, 2, p.PendingEvents(), "kf_create_session and kf_close_session are queued")
}

func TestKFMsgRecords(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t)
	ctx := context.Background()
	for i := range 25 {
		p.AddKFChatRecords(sdkAppID, offiaccounttest.KFChatRecord{OpenID: "o-user", OperCode: 2003,
			Text: "msg", Time: sdkStart.Add(time.Duration(i) * time.Minute), Worker: "a@gh"})
	}
	p.AddKFChatRecords(sdkAppID, offiaccounttest.KFChatRecord{OpenID: "o-user", Time: sdkStart.Add(48 * time.Hour)})

	page, err := c.ListKFMsgRecords(ctx, sdkStart, sdkStart.Add(24*time.Hour), 1, 10)
	require.NoError(t, err)
	assert.Len(t, page.Records, 10)
	assert.Equal(t, int64(11), page.MsgID)
	page, err = c.ListKFMsgRecords(ctx, sdkStart, sdkStart.Add(24*time.Hour), page.MsgID, 10)
	require.NoError(t, err)
	assert.Equal(t, sdkStart.Add(10*time.Minute).Unix(), page.Records[0].Time)

	n := 0
	require.NoError(t, c.EachKFMsgRecord(ctx, sdkStart, sdkStart.Add(24*time.Hour), func(r []offiaccount.KFMsgRecord) error {
		n += len(r)
		return nil
	}))
	assert.Equal(t, 25, n, "the record two days later is outside the range")

	body := func(start, end int64, msgID, number int) string {
		b, _ := jsonMarshal(map[string]any{"starttime": start, "endtime": end, "msgid": msgID, "number": number})
		return b
	}
	s := sdkStart.Unix()
	assert.Equal(t, offiaccount.CodeKFQueryRangeTooLong, rawPost(t, p, c, "/customservice/msgrecord/getmsglist", body(s, s+86401, 1, 10)))
	assert.Equal(t, offiaccount.CodeKFInvalidQuery, rawPost(t, p, c, "/customservice/msgrecord/getmsglist", body(s, s+60, 1, 10001)))
	assert.Equal(t, offiaccount.CodeKFInvalidQuery, rawPost(t, p, c, "/customservice/msgrecord/getmsglist", body(s, s+60, 0, 10)))
}

func jsonMarshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

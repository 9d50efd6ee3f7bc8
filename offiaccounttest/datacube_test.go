package offiaccounttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wxgo/offiaccount"
)

func TestDataCube(t *testing.T) {
	t.Parallel()
	p, c := newSDK(t) // the fake clock: 2024-06-01 10:00 in China
	ctx := context.Background()
	p.AddDataCubeRows(sdkAppID, "getusersummary",
		map[string]any{"ref_date": "2024-05-30", "user_source": 30, "new_user": 5, "cancel_user": 1},
		map[string]any{"ref_date": "2024-05-31", "user_source": 0, "new_user": 2, "cancel_user": 0},
		map[string]any{"ref_date": "2024-05-20", "user_source": 0, "new_user": 9, "cancel_user": 0})
	day := func(d int) time.Time { return time.Date(2024, 5, d, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)) }

	rows, err := c.ListUserSummary(ctx, day(25), day(31))
	require.NoError(t, err)
	assert.Equal(t, []offiaccount.UserSummary{
		{RefDate: "2024-05-30", UserSource: 30, NewUser: 5, CancelUser: 1},
		{RefDate: "2024-05-31", NewUser: 2},
	}, rows)
	cum, err := c.ListUserCumulate(ctx, day(31), day(31))
	require.NoError(t, err)
	assert.Empty(t, cum)

	// What the SDK refuses locally, the platform refuses too.
	post := func(api, b, e string) int {
		return rawPost(t, p, c, "/datacube/"+api, `{"begin_date":"`+b+`","end_date":"`+e+`"}`)
	}
	assert.Equal(t, offiaccount.CodeDataCubeDateRange, post("getusersummary", "2024-05-24", "2024-05-31"), "8 days")
	assert.Equal(t, offiaccount.CodeDataCubeDateRange, post("getuserreadhour", "2024-05-30", "2024-05-31"), "2 days on a 1-day API")
	assert.Equal(t, offiaccount.CodeDataCubeDateRange, post("getusersummary", "2024-06-01", "2024-06-01"), "today")
	assert.Equal(t, offiaccount.CodeDataCubeDateRange, post("getusersummary", "2024-05-31", "2024-05-30"), "reversed")
	assert.Equal(t, offiaccount.CodeDataCubeDateFormat, post("getusersummary", "2024/05/30", "2024-05-31"))
	assert.Zero(t, post("getinterfacesummary", "2024-05-02", "2024-05-31"), "30 days")
	assert.Zero(t, post("getupstreammsgdist", "2024-05-17", "2024-05-31"), "15 days")
	assert.Equal(t, offiaccount.CodeDataCubeDateRange, post("getupstreammsgdist", "2024-05-16", "2024-05-31"), "16 days")
}

package offiaccount

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func cst(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, chinaTime) }

func TestDataCubeRange(t *testing.T) {
	t.Parallel()
	now := cst(2024, 6, 10, 9) // yesterday in China: 2024-06-09
	for _, tc := range []struct {
		name       string
		begin, end time.Time
		max        int
		ok         bool
	}{
		{"one day", cst(2024, 6, 9, 0), cst(2024, 6, 9, 0), 1, true},
		{"two days on a 1-day API", cst(2024, 6, 8, 0), cst(2024, 6, 9, 0), 1, false},
		{"7 days", cst(2024, 6, 3, 0), cst(2024, 6, 9, 0), 7, true},
		{"8 days", cst(2024, 6, 2, 0), cst(2024, 6, 9, 0), 7, false},
		{"30 days", cst(2024, 5, 11, 0), cst(2024, 6, 9, 0), 30, true},
		{"31 days", cst(2024, 5, 10, 0), cst(2024, 6, 9, 0), 30, false},
		{"reversed", cst(2024, 6, 9, 0), cst(2024, 6, 8, 0), 7, false},
		{"today", cst(2024, 6, 10, 0), cst(2024, 6, 10, 0), 1, false},
		{"tomorrow", cst(2024, 6, 11, 0), cst(2024, 6, 11, 0), 1, false},
		// 2024-06-09 20:00 UTC is already 06-10 in China: today there.
		{"today in China, yesterday in UTC", time.Date(2024, 6, 9, 20, 0, 0, 0, time.UTC), time.Date(2024, 6, 9, 20, 0, 0, 0, time.UTC), 1, false},
		// 2024-06-08 17:00 UTC is 06-09 01:00 in China: one day, not two.
		{"dates are China's", time.Date(2024, 6, 8, 17, 0, 0, 0, time.UTC), cst(2024, 6, 9, 23), 1, true},
	} {
		err := checkDataCubeRange("/datacube/x", tc.begin, tc.end, tc.max, now)
		if tc.ok {
			assert.NoError(t, err, tc.name)
		} else {
			assert.ErrorIs(t, err, ErrInvalidRequest, tc.name)
		}
	}
}

func TestDataCubeRequests(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	b, e := cst(2014, 12, 2, 0), cst(2014, 12, 7, 0)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/datacube/getusersummary",
		body:   `{"begin_date":"2014-12-02","end_date":"2014-12-07"}`,
		answer: `{"list":[{"ref_date":"2014-12-07","user_source":0,"new_user":0,"cancel_user":0},{"ref_date":"2014-12-07","user_source":30,"new_user":5,"cancel_user":1}]}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/datacube/getarticletotal",
		body:   `{"begin_date":"2014-12-07","end_date":"2014-12-07"}`,
		answer: `{"list":[{"ref_date":"2014-12-07","msgid":"202457380_1","title":"t","details":[{"stat_date":"2014-12-14","target_user":261917,"int_page_read_user":23676,"share_user":91,"int_page_from_session_read_user":657}]}]}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/datacube/getupstreammsgdistmonth",
		body: `{"begin_date":"2014-12-02","end_date":"2014-12-07"}`, answer: `{"list":[{"ref_date":"2014-12-01","count_interval":1,"msg_user":246}]}`})
	expect(t, mt, apiCall{method: http.MethodPost, path: "/datacube/getinterfacesummaryhour",
		body: `{"begin_date":"2014-12-07","end_date":"2014-12-07"}`, answer: `{"list":[{"ref_date":"2014-12-07","ref_hour":1300,"callback_count":3,"fail_count":1,"total_time_cost":900,"max_time_cost":500}]}`})

	us, err := c.ListUserSummary(ctx, b, e)
	require.NoError(t, err)
	assert.Equal(t, UserSummary{RefDate: "2014-12-07", UserSource: 30, NewUser: 5, CancelUser: 1}, us[1])
	at, err := c.ListArticleTotal(ctx, e, e)
	require.NoError(t, err)
	assert.Equal(t, int64(261917), at[0].Details[0].TargetUser)
	assert.Equal(t, int64(23676), at[0].Details[0].IntPageReadUser)
	assert.Equal(t, int64(657), at[0].Details[0].IntPageFromSessionReadUser)
	d, err := c.ListUpstreamMsgDistMonth(ctx, b, e)
	require.NoError(t, err)
	assert.Equal(t, []UpstreamMsgDist{{RefDate: "2014-12-01", CountInterval: 1, MsgUser: 246}}, d)
	is, err := c.ListInterfaceSummaryHour(ctx, e, e)
	require.NoError(t, err)
	assert.Equal(t, InterfaceSummary{RefDate: "2014-12-07", RefHour: 1300, CallbackCount: 3, FailCount: 1, TotalTimeCost: 900, MaxTimeCost: 500}, is[0])
}

// Each API's span, from the documentation's table.
func TestDataCubeSpans(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		f    func(context.Context, time.Time, time.Time) error
		days int
	}{
		"getusersummary": {span(c.ListUserSummary), 7}, "getusercumulate": {span(c.ListUserCumulate), 7},
		"getarticlesummary": {span(c.ListArticleSummary), 1}, "getarticletotal": {span(c.ListArticleTotal), 1},
		"getuserread": {span(c.ListUserRead), 3}, "getuserreadhour": {span(c.ListUserReadHour), 1},
		"getusershare": {span(c.ListUserShare), 7}, "getusersharehour": {span(c.ListUserShareHour), 1},
		"getupstreammsg": {span(c.ListUpstreamMsg), 7}, "getupstreammsghour": {span(c.ListUpstreamMsgHour), 1},
		"getupstreammsgweek": {span(c.ListUpstreamMsgWeek), 30}, "getupstreammsgmonth": {span(c.ListUpstreamMsgMonth), 30},
		"getupstreammsgdist": {span(c.ListUpstreamMsgDist), 15}, "getupstreammsgdistweek": {span(c.ListUpstreamMsgDistWeek), 30},
		"getupstreammsgdistmonth": {span(c.ListUpstreamMsgDistMonth), 30},
		"getinterfacesummary":     {span(c.ListInterfaceSummary), 30}, "getinterfacesummaryhour": {span(c.ListInterfaceSummaryHour), 1},
	} {
		end := cst(2020, 3, 31, 12)
		n := expect(t, mt, apiCall{method: http.MethodPost, path: "/datacube/" + name,
			body:   `{"begin_date":"` + dataCubeDay(end.AddDate(0, 0, 1-tc.days)) + `","end_date":"2020-03-31"}`,
			answer: `{"list":[]}`})
		require.NoError(t, tc.f(ctx, end.AddDate(0, 0, 1-tc.days), end), name)
		assert.ErrorIs(t, tc.f(ctx, end.AddDate(0, 0, -tc.days), end), ErrInvalidRequest, name)
		assert.EqualValues(t, 1, n.Load(), name)
	}
}

// span drops the rows of a datacube method, so that all of them fit one table.
func span[T any](f func(context.Context, time.Time, time.Time) ([]T, error)) func(context.Context, time.Time, time.Time) error {
	return func(ctx context.Context, b, e time.Time) error { _, err := f(ctx, b, e); return err }
}

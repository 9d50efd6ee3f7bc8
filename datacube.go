package offiaccount

import (
	"context"
	"time"
)

// Statistics (数据统计, datacube): day-by-day figures of users, articles, upstream messages and
// API calls. Every API takes a range of calendar days in China Standard Time, begin and end
// included, that may span at most a few days (the API's limit, checked locally) and must end
// yesterday at the latest.

// WeChat errcodes of the datacube APIs.
const (
	CodeDataCubeDateFormat = 61500 // begin_date or end_date is not YYYY-MM-DD
	CodeDataCubeDateRange  = 61501 // the range is reversed, too long or reaches today
)

// chinaTime is China Standard Time (UTC+8, no daylight saving), the zone of WeChat's days.
var chinaTime = time.FixedZone("CST", 8*3600)

// dataCubeDay formats t as the calendar day in China that WeChat wants.
func dataCubeDay(t time.Time) string { return t.In(chinaTime).Format("2006-01-02") }

// checkDataCubeRange applies WeChat's rules to a date range: begin ≤ end, at most maxDays
// days (begin and end included), end before today in China at now.
func checkDataCubeRange(path string, begin, end time.Time, maxDays int, now time.Time) error {
	b, e := dataCubeDay(begin), dataCubeDay(end)
	bd, _ := time.Parse("2006-01-02", b)
	ed, _ := time.Parse("2006-01-02", e)
	switch days := int(ed.Sub(bd)/(24*time.Hour)) + 1; {
	case days < 1:
		return invalidf(path, "end_date %s before begin_date %s", e, b)
	case days > maxDays:
		return invalidf(path, "%s to %s spans %d days, at most %d", b, e, days, maxDays)
	}
	if today := dataCubeDay(now); e >= today {
		return invalidf(path, "end_date %s: the data of a day is ready the next day, so end at yesterday (before %s)", e, today)
	}
	return nil
}

// dataCube is the one call path of the datacube APIs.
func dataCube[T any](ctx context.Context, c *Client, api string, maxDays int, begin, end time.Time) ([]T, error) {
	path := "/datacube/" + api
	if err := checkDataCubeRange(path, begin, end, maxDays, time.Now()); err != nil {
		return nil, err
	}
	in := struct {
		Begin string `json:"begin_date"`
		End   string `json:"end_date"`
	}{dataCubeDay(begin), dataCubeDay(end)}
	var out struct {
		List []T `json:"list"`
	}
	if err := c.postJSON(ctx, path, nil, in, &out); err != nil {
		return nil, err
	}
	return out.List, nil
}

// UserSummary is one day's follows and unfollows from one source (getusersummary).
type UserSummary struct {
	RefDate    string `json:"ref_date"`    // YYYY-MM-DD in China
	UserSource int    `json:"user_source"` // 0 other, 1 search, 17 card share, 30 QR code, 57 article, 100 ads, … (see the doc)
	NewUser    int64  `json:"new_user"`
	CancelUser int64  `json:"cancel_user"`
}

// UserCumulate is the number of followers at the end of one day (getusercumulate).
type UserCumulate struct {
	RefDate      string `json:"ref_date"`
	CumulateUser int64  `json:"cumulate_user"`
}

// ListUserSummary returns the follows and unfollows of each day from begin to end (at most
// 7 days).
//
// https://developers.weixin.qq.com/doc/service/api/wedata/user/api_getusersummary.html
func (c *Client) ListUserSummary(ctx context.Context, begin, end time.Time) ([]UserSummary, error) {
	return dataCube[UserSummary](ctx, c, "getusersummary", 7, begin, end)
}

// ListUserCumulate returns the follower count of each day from begin to end (at most 7 days).
//
// https://developers.weixin.qq.com/doc/service/api/wedata/user/api_getusercumulate.html
func (c *Client) ListUserCumulate(ctx context.Context, begin, end time.Time) ([]UserCumulate, error) {
	return dataCube[UserCumulate](ctx, c, "getusercumulate", 7, begin, end)
}

// ArticleRead holds the read, share and favourite figures the article statistics share.
type ArticleRead struct {
	IntPageReadUser  int64 `json:"int_page_read_user"`  // users who read the article page
	IntPageReadCount int64 `json:"int_page_read_count"` // reads of the article page
	OriPageReadUser  int64 `json:"ori_page_read_user"`  // users who opened the original link
	OriPageReadCount int64 `json:"ori_page_read_count"`
	ShareUser        int64 `json:"share_user"`
	ShareCount       int64 `json:"share_count"`
	AddToFavUser     int64 `json:"add_to_fav_user"`
	AddToFavCount    int64 `json:"add_to_fav_count"`
}

// ArticleSummary is one article's figures of one day (getarticlesummary).
type ArticleSummary struct {
	RefDate string `json:"ref_date"`
	MsgID   string `json:"msgid"` // "msgid_index": the mass send and the article's place in it
	Title   string `json:"title"`
	ArticleRead
}

// ArticleTotal is the figures of an article sent on RefDate, day by day since (getarticletotal).
type ArticleTotal struct {
	RefDate string               `json:"ref_date"`
	MsgID   string               `json:"msgid"`
	Title   string               `json:"title"`
	Details []ArticleTotalDetail `json:"details"`
}

// ArticleTotalDetail is the cumulated figures of an article up to StatDate.
type ArticleTotalDetail struct {
	StatDate   string `json:"stat_date"`
	TargetUser int64  `json:"target_user"` // users the article was sent to
	ArticleRead
	IntPageFromSessionReadUser  int64 `json:"int_page_from_session_read_user"`
	IntPageFromSessionReadCount int64 `json:"int_page_from_session_read_count"`
	IntPageFromHistMsgReadUser  int64 `json:"int_page_from_hist_msg_read_user"`
	IntPageFromHistMsgReadCount int64 `json:"int_page_from_hist_msg_read_count"`
	IntPageFromFeedReadUser     int64 `json:"int_page_from_feed_read_user"`
	IntPageFromFeedReadCount    int64 `json:"int_page_from_feed_read_count"`
	IntPageFromFriendsReadUser  int64 `json:"int_page_from_friends_read_user"`
	IntPageFromFriendsReadCount int64 `json:"int_page_from_friends_read_count"`
	IntPageFromOtherReadUser    int64 `json:"int_page_from_other_read_user"`
	IntPageFromOtherReadCount   int64 `json:"int_page_from_other_read_count"`
}

// UserRead is the reading of all articles in one day, or one hour (getuserread,
// getuserreadhour).
type UserRead struct {
	RefDate    string `json:"ref_date"`
	RefHour    int    `json:"ref_hour,omitempty"`    // hour APIs: 0, 100, …, 2300 (HHMM)
	UserSource int    `json:"user_source,omitempty"` // hour API: 0 session, 1 friends, 2 moments, 4 history, 5 other, …
	ArticleRead
}

// UserShare is the sharing of articles in one day or hour from one scene (getusershare,
// getusersharehour).
type UserShare struct {
	RefDate    string `json:"ref_date"`
	RefHour    int    `json:"ref_hour,omitempty"`
	ShareScene int    `json:"share_scene"` // 1 to a friend, 2 to moments, 255 other
	ShareCount int64  `json:"share_count"`
	ShareUser  int64  `json:"share_user"`
}

// ListArticleSummary returns each article's figures of one day (begin must equal end).
// WeChat marks this API deprecated; it covers articles with at least 3 reads, shares or
// favourites.
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Graphic_Analysis_Data_Interface.html
func (c *Client) ListArticleSummary(ctx context.Context, begin, end time.Time) ([]ArticleSummary, error) {
	return dataCube[ArticleSummary](ctx, c, "getarticlesummary", 1, begin, end)
}

// ListArticleTotal returns, for the articles sent on one day (begin must equal end), their
// figures day by day since.
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Graphic_Analysis_Data_Interface.html
func (c *Client) ListArticleTotal(ctx context.Context, begin, end time.Time) ([]ArticleTotal, error) {
	return dataCube[ArticleTotal](ctx, c, "getarticletotal", 1, begin, end)
}

// ListUserRead returns the article reading of each day (at most 3 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Graphic_Analysis_Data_Interface.html
func (c *Client) ListUserRead(ctx context.Context, begin, end time.Time) ([]UserRead, error) {
	return dataCube[UserRead](ctx, c, "getuserread", 3, begin, end)
}

// ListUserReadHour returns the article reading of each hour of one day.
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Graphic_Analysis_Data_Interface.html
func (c *Client) ListUserReadHour(ctx context.Context, begin, end time.Time) ([]UserRead, error) {
	return dataCube[UserRead](ctx, c, "getuserreadhour", 1, begin, end)
}

// ListUserShare returns the article sharing of each day (at most 7 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Graphic_Analysis_Data_Interface.html
func (c *Client) ListUserShare(ctx context.Context, begin, end time.Time) ([]UserShare, error) {
	return dataCube[UserShare](ctx, c, "getusershare", 7, begin, end)
}

// ListUserShareHour returns the article sharing of each hour of one day.
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Graphic_Analysis_Data_Interface.html
func (c *Client) ListUserShareHour(ctx context.Context, begin, end time.Time) ([]UserShare, error) {
	return dataCube[UserShare](ctx, c, "getusersharehour", 1, begin, end)
}

// UpstreamMsg is the messages users sent of one type in one day, hour, week or month
// (getupstreammsg and its hour, week and month forms).
type UpstreamMsg struct {
	RefDate  string `json:"ref_date"` // the day, or the first day of the week or month
	RefHour  int    `json:"ref_hour,omitempty"`
	MsgType  int    `json:"msg_type"` // 1 text, 2 image, 3 voice, 4 video, 6 third-party app
	MsgUser  int64  `json:"msg_user"`
	MsgCount int64  `json:"msg_count"`
}

// UpstreamMsgDist is how many users sent a number of messages in the interval CountInterval
// (getupstreammsgdist and its week and month forms).
type UpstreamMsgDist struct {
	RefDate       string `json:"ref_date"`
	CountInterval int    `json:"count_interval"` // 0: 0 messages, 1: 1–5, 2: 6–10, 3: more than 10
	MsgUser       int64  `json:"msg_user"`
}

// ListUpstreamMsg returns the users' messages of each day (at most 7 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Message_analysis_data_interface.html
func (c *Client) ListUpstreamMsg(ctx context.Context, begin, end time.Time) ([]UpstreamMsg, error) {
	return dataCube[UpstreamMsg](ctx, c, "getupstreammsg", 7, begin, end)
}

// ListUpstreamMsgHour returns the users' messages of each hour of one day.
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Message_analysis_data_interface.html
func (c *Client) ListUpstreamMsgHour(ctx context.Context, begin, end time.Time) ([]UpstreamMsg, error) {
	return dataCube[UpstreamMsg](ctx, c, "getupstreammsghour", 1, begin, end)
}

// ListUpstreamMsgWeek returns the users' messages by week (a range of at most 30 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Message_analysis_data_interface.html
func (c *Client) ListUpstreamMsgWeek(ctx context.Context, begin, end time.Time) ([]UpstreamMsg, error) {
	return dataCube[UpstreamMsg](ctx, c, "getupstreammsgweek", 30, begin, end)
}

// ListUpstreamMsgMonth returns the users' messages by month (a range of at most 30 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Message_analysis_data_interface.html
func (c *Client) ListUpstreamMsgMonth(ctx context.Context, begin, end time.Time) ([]UpstreamMsg, error) {
	return dataCube[UpstreamMsg](ctx, c, "getupstreammsgmonth", 30, begin, end)
}

// ListUpstreamMsgDist returns how many messages users sent, by day (at most 15 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Message_analysis_data_interface.html
func (c *Client) ListUpstreamMsgDist(ctx context.Context, begin, end time.Time) ([]UpstreamMsgDist, error) {
	return dataCube[UpstreamMsgDist](ctx, c, "getupstreammsgdist", 15, begin, end)
}

// ListUpstreamMsgDistWeek returns how many messages users sent, by week (at most 30 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Message_analysis_data_interface.html
func (c *Client) ListUpstreamMsgDistWeek(ctx context.Context, begin, end time.Time) ([]UpstreamMsgDist, error) {
	return dataCube[UpstreamMsgDist](ctx, c, "getupstreammsgdistweek", 30, begin, end)
}

// ListUpstreamMsgDistMonth returns how many messages users sent, by month (at most 30 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Message_analysis_data_interface.html
func (c *Client) ListUpstreamMsgDistMonth(ctx context.Context, begin, end time.Time) ([]UpstreamMsgDist, error) {
	return dataCube[UpstreamMsgDist](ctx, c, "getupstreammsgdistmonth", 30, begin, end)
}

// InterfaceSummary is the account's callbacks and their failures in one day or hour
// (getinterfacesummary, getinterfacesummaryhour): how WeChat saw the account's server.
type InterfaceSummary struct {
	RefDate       string `json:"ref_date"`
	RefHour       int    `json:"ref_hour,omitempty"`
	CallbackCount int64  `json:"callback_count"`  // callbacks WeChat made to the server
	FailCount     int64  `json:"fail_count"`      // of which failed
	TotalTimeCost int64  `json:"total_time_cost"` // milliseconds, all callbacks together
	MaxTimeCost   int64  `json:"max_time_cost"`   // milliseconds, the slowest callback
}

// ListInterfaceSummary returns the callback figures of each day (at most 30 days).
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Interface_Analysis_Data_Interface.html
func (c *Client) ListInterfaceSummary(ctx context.Context, begin, end time.Time) ([]InterfaceSummary, error) {
	return dataCube[InterfaceSummary](ctx, c, "getinterfacesummary", 30, begin, end)
}

// ListInterfaceSummaryHour returns the callback figures of each hour of one day.
//
// https://developers.weixin.qq.com/doc/offiaccount/Analytics_API/Interface_Analysis_Data_Interface.html
func (c *Client) ListInterfaceSummaryHour(ctx context.Context, begin, end time.Time) ([]InterfaceSummary, error) {
	return dataCube[InterfaceSummary](ctx, c, "getinterfacesummaryhour", 1, begin, end)
}

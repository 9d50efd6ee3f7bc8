package offiaccounttest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mass send (群发): jobs that finish on the fake clock and push MASSSENDJOBFINISH.

// Behaviour of mass sending on the fake clock.
const (
	// MassJobDuration is how long a mass send job runs: its MASSSENDJOBFINISH event is
	// pushed this long after the send, and message/mass/get answers SENDING until then.
	MassJobDuration = 10 * time.Second
	// MassClientMsgIDWindow is how long a clientmsgid refuses a repeat with 45065.
	MassClientMsgIDWindow = 24 * time.Hour
	// MassPreviewDailyLimit is the message/mass/preview calls an account may make a day.
	MassPreviewDailyLimit = 100

	massMinOpenIDs           = 2
	massMaxOpenIDs           = 10000
	massMaxClientMsgID       = 64
	firstMassMsgID     int64 = 1000000000
	firstMassDataID    int64 = 2247480000
)

// MassJobRecord is a mass send or preview the platform accepted.
type MassJobRecord struct {
	MsgID     int64
	MsgDataID int64  // set for mpnews and image sends
	Path      string // the endpoint: /cgi-bin/message/mass/sendall, send or preview
	Preview   bool   // a preview: no job event, unknown to get and delete
	ToAll     bool   // sendall with is_to_all
	TagID     int    // sendall to a tag
	ToUsers   []string
	ToWXName  string // preview by WeChat ID
	MsgType   string
	MediaID   string // of mpnews, voice and mpvideo sends
	// ClientMsgID and SendIgnoreReprint as sent.
	ClientMsgID       string
	SendIgnoreReprint bool
	// Counts the MASSSENDJOBFINISH event reports: the followers targeted, those left after
	// filtering (unknown, unfollowed, blacklisted), those sent to and the failures.
	TotalCount, FilterCount, SentCount, ErrorCount int
	// Status is the job's final status as MASSSENDJOBFINISH reports it: "send success" or
	// "err(30002)"/"err(30003)" for an article judged a reprint.
	Status  string
	Deleted bool            // deleted by message/mass/delete
	Raw     json.RawMessage // the request body as received
	Time    time.Time       // when it was sent, on the fake clock
	DoneAt  time.Time       // when the job finishes (Time for a preview)
}

// massState is an account's mass sends.
type massState struct {
	jobs     []MassJobRecord
	byClient map[string]int // clientmsgid → index in jobs
	reprints map[string]bool
	previews map[string]int // preview calls per day
	speed    int
	nextID   int64
	nextData int64
}

func (m *massState) init() {
	if m.byClient == nil {
		m.byClient = make(map[string]int)
		m.reprints = make(map[string]bool)
		m.previews = make(map[string]int)
		m.nextID, m.nextData = firstMassMsgID, firstMassDataID
	}
}

// MassJobs returns the mass sends and previews of appID, oldest first.
func (p *Platform) MassJobs(appID string) []MassJobRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	out := slices.Clone(a.mass.jobs)
	for i := range out {
		out[i].ToUsers = slices.Clone(out[i].ToUsers)
		out[i].Raw = bytes.Clone(out[i].Raw)
	}
	return out
}

// MarkMassReprint makes the originality check (原创校验) judge the article mediaID a reprint
// of an original that allows reprinting (canReprint) or not. A send of it then fails with
// "err(30002)" when the original forbids it, "err(30003)" when send_ignore_reprint is 0,
// and goes out otherwise; the MASSSENDJOBFINISH event's CopyrightCheckResult tells which.
func (p *Platform) MarkMassReprint(appID, mediaID string, canReprint bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a, ok := p.accounts[appID]; ok {
		a.mass.init()
		a.mass.reprints[mediaID] = canReprint
	}
}

// massIn is a mass send as the platform reads it.
type massIn struct {
	Filter *struct {
		IsToAll bool `json:"is_to_all"`
		TagID   *int `json:"tag_id"`
	} `json:"filter"`
	ToUser   json.RawMessage `json:"touser"`
	ToWXName string          `json:"towxname"`
	MsgType  string          `json:"msgtype"`
	MPNews   *mediaRef       `json:"mpnews"`
	Voice    *mediaRef       `json:"voice"`
	MPVideo  *mediaRef       `json:"mpvideo"`
	Text     *struct {
		Content string `json:"content"`
	} `json:"text"`
	Images *struct {
		MediaIDs []string `json:"media_ids"`
	} `json:"images"`
	Image  *mediaRef `json:"image"` // preview's one image
	Music  *mediaRef `json:"music"`
	WXCard *struct {
		CardID string `json:"card_id"`
	} `json:"wxcard"`
	SendIgnoreReprint int    `json:"send_ignore_reprint"`
	ClientMsgID       string `json:"clientmsgid"`
}

// checkLocked returns WeChat's code for a body that does not fit its msgtype, and the
// media id it names. A preview's image message carries one image, a send's a list.
func (m *massIn) checkLocked(p *Platform, a *account, preview bool) (string, int) {
	switch m.MsgType {
	case "mpnews":
		if m.MPNews == nil || m.MPNews.MediaID == "" {
			return "", codeInvalidMediaID
		}
		return m.MPNews.MediaID, 0
	case "text":
		if m.Text == nil || m.Text.Content == "" {
			return "", codeEmptyContent
		}
	case "voice":
		if m.Voice == nil || !a.media.knowsLocked(m.Voice.MediaID, p.now) {
			return "", codeInvalidMediaID
		}
		return m.Voice.MediaID, 0
	case "image":
		if preview {
			if m.Image == nil || m.Image.MediaID == "" {
				return "", codeInvalidMediaID
			}
			return m.Image.MediaID, 0
		}
		if m.Images == nil || len(m.Images.MediaIDs) == 0 || slices.Contains(m.Images.MediaIDs, "") {
			return "", codeInvalidMediaID
		}
	case "mpvideo":
		if m.MPVideo == nil || m.MPVideo.MediaID == "" {
			return "", codeInvalidMediaID
		}
		return m.MPVideo.MediaID, 0
	case "wxcard":
		if m.WXCard == nil || m.WXCard.CardID == "" {
			return "", codeInvalidArgs
		}
	case "music":
		if m.Music == nil || m.Music.MediaID == "" {
			return "", codeInvalidMediaID
		}
		return m.Music.MediaID, 0
	default:
		return "", codeInvalidMsgType
	}
	return "", 0
}

// followerLocked reports whether openID follows the account and can receive mass sends.
func (a *account) followerLocked(openID string) bool {
	u, ok := a.users[openID]
	return ok && !u.Unsubscribed && !u.Blacklisted
}

// handleMassSendAll is POST /cgi-bin/message/mass/sendall: to every follower, or to the
// followers with filter.tag_id (45159 for an unknown tag).
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_sendall.html
func (p *Platform) handleMassSendAll(r *request) (any, int) {
	var in massIn
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	if in.Filter == nil || (!in.Filter.IsToAll && in.Filter.TagID == nil) {
		return nil, codeInvalidArgs
	}
	a := r.acct
	job := MassJobRecord{ToAll: in.Filter.IsToAll}
	if !in.Filter.IsToAll {
		job.TagID = *in.Filter.TagID
		if !slices.ContainsFunc(a.tags.tags, func(t TagRecord) bool { return t.ID == job.TagID }) {
			return nil, codeInvalidTagID
		}
	}
	for id, u := range a.users {
		if in.Filter.IsToAll || slices.Contains(u.TagIDs, job.TagID) {
			job.TotalCount++
			if a.followerLocked(id) {
				job.FilterCount++
			}
		}
	}
	return p.startMassLocked(r, &in, job)
}

// handleMassSend is POST /cgi-bin/message/mass/send: to a list of 2 to 10000 OpenIDs
// (40130); OpenIDs that are not followers are filtered out.
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_masssend.html
func (p *Platform) handleMassSend(r *request) (any, int) {
	var in massIn
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	var list []string
	if json.Unmarshal(in.ToUser, &list) != nil {
		return nil, codeDataFormat
	}
	if len(list) < massMinOpenIDs || len(list) > massMaxOpenIDs {
		return p.notifyFailLocked(r, codeMassOpenIDListSize, ""), 0
	}
	job := MassJobRecord{ToUsers: list, TotalCount: len(list)}
	for _, id := range list {
		if r.acct.followerLocked(id) {
			job.FilterCount++
		}
	}
	return p.startMassLocked(r, &in, job)
}

// startMassLocked checks the message and the clientmsgid, records the job and schedules
// its MASSSENDJOBFINISH event.
func (p *Platform) startMassLocked(r *request, in *massIn, job MassJobRecord) (any, int) {
	a := r.acct
	a.mass.init()
	mediaID, code := in.checkLocked(p, a, false)
	if code != 0 {
		return nil, code
	}
	if len(in.ClientMsgID) > massMaxClientMsgID {
		return p.notifyFailLocked(r, codeMassClientMsgIDLong, ""), 0
	}
	if i, ok := a.mass.byClient[in.ClientMsgID]; ok && in.ClientMsgID != "" && p.now.Sub(a.mass.jobs[i].Time) < MassClientMsgIDWindow {
		return struct {
			apiError
			MsgID int64 `json:"msg_id"`
		}{p.notifyFailLocked(r, codeMassClientMsgIDUsed, ""), a.mass.jobs[i].MsgID}, 0
	}
	a.mass.nextID++
	job.MsgID, job.Path, job.MsgType, job.MediaID = a.mass.nextID, r.path, in.MsgType, mediaID
	job.ClientMsgID, job.SendIgnoreReprint = in.ClientMsgID, in.SendIgnoreReprint == 1
	job.Raw, job.Time, job.DoneAt = bytes.Clone(r.body), p.now, p.now.Add(MassJobDuration)
	if in.MsgType == "mpnews" || in.MsgType == "image" {
		a.mass.nextData++
		job.MsgDataID = a.mass.nextData
	}
	canReprint, reprint := a.mass.reprints[mediaID]
	switch {
	case in.MsgType == "mpnews" && reprint && !canReprint:
		job.Status = "err(30002)"
	case in.MsgType == "mpnews" && reprint && !job.SendIgnoreReprint:
		job.Status = "err(30003)"
	default:
		job.Status = "send success"
		job.SentCount = job.FilterCount
	}
	a.mass.jobs = append(a.mass.jobs, job)
	if in.ClientMsgID != "" {
		a.mass.byClient[in.ClientMsgID] = len(a.mass.jobs) - 1
	}
	p.scheduleEventLocked(job.DoneAt, massFinishEvent(job, reprint, canReprint))
	return massAnswer(job), 0
}

func massAnswer(job MassJobRecord) any {
	return struct {
		Errcode   int    `json:"errcode"`
		Errmsg    string `json:"errmsg"`
		MsgID     int64  `json:"msg_id"`
		MsgDataID int64  `json:"msg_data_id,omitempty"`
	}{Errmsg: "send job submission success", MsgID: job.MsgID, MsgDataID: job.MsgDataID}
}

// massFinishEvent is the MASSSENDJOBFINISH event of job, as WeChat's documentation shows
// it, from the mass-send assistant (mphelper).
func massFinishEvent(job MassJobRecord, reprint, canReprint bool) UserMessage {
	num := func(name string, n int64) Field {
		return Field{Name: name, Value: strconv.FormatInt(n, 10), Number: true}
	}
	b2i := func(b bool) int64 {
		if b {
			return 1
		}
		return 0
	}
	copyright := []Field{num("Count", 0), {Name: "ResultList", Children: []Field{}}, num("CheckState", 1)}
	if reprint {
		state := int64(2) // judged a reprint, may be sent
		if !strings.HasPrefix(job.Status, "send") {
			state = 3
		}
		copyright = []Field{num("Count", 1), {Name: "ResultList", Children: []Field{{Name: "item", Children: []Field{
			num("ArticleIdx", 1), num("UserDeclareState", 0), num("AuditState", 2),
			{Name: "OriginalArticleUrl", Value: "https://mp.weixin.qq.com/s/original-" + job.MediaID},
			num("OriginalArticleType", 1), num("CanReprint", b2i(canReprint)),
			num("NeedReplaceContent", 1), num("NeedShowReprintSource", 1),
		}}}}, num("CheckState", state)}
	}
	urls := []Field{}
	if job.Status == "send success" && job.MsgDataID != 0 {
		urls = append(urls, Field{Name: "item", Children: []Field{num("ArticleIdx", 1),
			{Name: "ArticleUrl", Value: "https://mp.weixin.qq.com/s/" + strconv.FormatInt(job.MsgDataID, 10)}}})
	}
	m := Event("mphelper", "MASSSENDJOBFINISH", "",
		num("MsgID", job.MsgID),
		Field{Name: "Status", Value: job.Status},
		num("TotalCount", int64(job.TotalCount)),
		num("FilterCount", int64(job.FilterCount)),
		num("SentCount", int64(job.SentCount)),
		num("ErrorCount", int64(job.ErrorCount)),
		Field{Name: "CopyrightCheckResult", Children: copyright},
		Field{Name: "ArticleUrlResult", Children: []Field{num("Count", int64(len(urls))), {Name: "ResultList", Children: urls}}},
	)
	return m
}

// handleMassPreview is POST /cgi-bin/message/mass/preview to a follower's OpenID (40003,
// 43004) or any WeChat ID (towxname); 100 a day (45009). No job event follows.
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_preview.html
func (p *Platform) handleMassPreview(r *request) (any, int) {
	var in massIn
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	a.mass.init()
	var openID string
	if len(in.ToUser) > 0 && json.Unmarshal(in.ToUser, &openID) != nil {
		return nil, codeDataFormat
	}
	if in.ToWXName == "" {
		if _, code := a.recipientLocked(openID, 0); code != 0 {
			return nil, code
		}
	}
	mediaID, code := in.checkLocked(p, a, true)
	if code != 0 {
		return nil, code
	}
	d := day(p.now)
	if a.mass.previews[d] >= MassPreviewDailyLimit {
		return nil, codeQuotaReached
	}
	a.mass.previews[d]++
	a.mass.nextID++
	job := MassJobRecord{MsgID: a.mass.nextID, Path: r.path, Preview: true, ToWXName: in.ToWXName, MsgType: in.MsgType,
		MediaID: mediaID, Status: "send success", Raw: bytes.Clone(r.body), Time: p.now, DoneAt: p.now}
	if openID != "" && in.ToWXName == "" {
		job.ToUsers = []string{openID}
	}
	job.TotalCount, job.FilterCount, job.SentCount = 1, 1, 1
	a.mass.jobs = append(a.mass.jobs, job)
	return struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
		MsgID   int64  `json:"msg_id"`
	}{Errmsg: "preview success", MsgID: job.MsgID}, 0
}

// massJobLocked finds a job by a msg_id sent as a number or a string of digits.
func (a *account) massJobLocked(raw json.RawMessage) int {
	id, err := strconv.ParseInt(strings.Trim(string(raw), `"`), 10, 64)
	if err != nil {
		return -1
	}
	return slices.IndexFunc(a.mass.jobs, func(j MassJobRecord) bool { return j.MsgID == id && !j.Preview })
}

// handleMassGet is POST /cgi-bin/message/mass/get {"msg_id":…}: SENDING until the job
// finishes on the fake clock, then SEND_SUCCESS, SEND_FAIL or DELETE; 40059 for an unknown
// msg_id (previews included).
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_massmsgget.html
func (p *Platform) handleMassGet(r *request) (any, int) {
	var in struct {
		MsgID json.RawMessage `json:"msg_id"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	i := r.acct.massJobLocked(in.MsgID)
	if i < 0 {
		return p.notifyFailLocked(r, codeMassInvalidMsgID, ""), 0
	}
	job := r.acct.mass.jobs[i]
	status := "SEND_SUCCESS"
	switch {
	case job.Deleted:
		status = "DELETE"
	case p.now.Before(job.DoneAt):
		status = "SENDING"
	case job.Status != "send success":
		status = "SEND_FAIL"
	}
	return struct {
		MsgID     int64  `json:"msg_id"`
		MsgStatus string `json:"msg_status"`
	}{job.MsgID, status}, 0
}

// handleMassDelete is POST /cgi-bin/message/mass/delete {"msg_id", "article_idx", "url"}:
// msg_id wins over url (40059 for an unknown one); only article and video sends can be
// deleted (40097 otherwise).
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_deletemassmsg.html
func (p *Platform) handleMassDelete(r *request) (any, int) {
	var in struct {
		MsgID      json.RawMessage `json:"msg_id"`
		ArticleIdx int             `json:"article_idx"`
		URL        string          `json:"url"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	i := -1
	switch id := strings.Trim(string(in.MsgID), `"`); {
	case id != "" && id != "0":
		i = a.massJobLocked(in.MsgID)
	case in.URL != "": // the fake's article URLs end in the msg_data_id
		n, err := strconv.ParseInt(strings.TrimPrefix(in.URL, "https://mp.weixin.qq.com/s/"), 10, 64)
		if err == nil && n != 0 {
			i = slices.IndexFunc(a.mass.jobs, func(j MassJobRecord) bool { return j.MsgDataID == n })
		}
	}
	if i < 0 {
		return p.notifyFailLocked(r, codeMassInvalidMsgID, ""), 0
	}
	if in.ArticleIdx < 0 {
		return nil, codeInvalidArgs
	}
	if t := a.mass.jobs[i].MsgType; t != "mpnews" && t != "mpvideo" {
		return nil, codeInvalidArgs
	}
	a.mass.jobs[i].Deleted = true
	return okBody, 0
}

// massRealSpeed is speed/get's realspeed (万/分钟) of each level.
var massRealSpeed = [...]int{80, 60, 45, 30, 10}

// handleMassSpeedGet is POST /cgi-bin/message/mass/speed/get.
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_getspeed.html
func (p *Platform) handleMassSpeedGet(r *request) (any, int) {
	s := r.acct.mass.speed
	return struct {
		Speed     int `json:"speed"`
		RealSpeed int `json:"realspeed"`
	}{s, massRealSpeed[s]}, 0
}

// handleMassSpeedSet is POST /cgi-bin/message/mass/speed/set {"speed":0..4}: 45084
// without a speed, 45083 out of range.
// https://developers.weixin.qq.com/doc/service/api/notify/message/api_setspeed.html
func (p *Platform) handleMassSpeedSet(r *request) (any, int) {
	var in struct {
		Speed *int `json:"speed"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	switch {
	case in.Speed == nil:
		return p.notifyFailLocked(r, codeMassNoSpeed, ""), 0
	case *in.Speed < 0 || *in.Speed >= len(massRealSpeed):
		return p.notifyFailLocked(r, codeMassSpeedRange, ""), 0
	}
	r.acct.mass.speed = *in.Speed
	return okBody, 0
}

package offiaccounttest

import (
	"slices"
	"unicode/utf8"
)

// Tags (标签) and the blacklist (黑名单) of user management.

// Limits of tags and the blacklist.
const (
	maxTags           = 100    // tags an account may create
	maxTagNameRunes   = 30     // characters of a tag name
	maxUserTags       = 20     // tags one user may carry
	maxTagBatch       = 50     // openids per batch (un)tagging
	maxBlacklistBatch = 20     // openids per batch (un)blacklisting
	maxDeletableFans  = 100000 // a tag with more users cannot be deleted
	firstTagID        = 100    // ids of created tags start here
	starTagID         = 2      // 星标组, WeChat's own; 0 and 1 are reserved too
)

// TagRecord is a user tag of an account. Count is how many users carry it.
type TagRecord struct {
	ID    int
	Name  string
	Count int
}

type tagState struct {
	tags   []TagRecord // in creation order, WeChat's 星标组 first; Count is not kept here
	nextID int
}

func newTagState() tagState {
	return tagState{tags: []TagRecord{{ID: starTagID, Name: "星标组"}}, nextID: firstTagID}
}

// Tags returns the tags of appID with their user counts, in creation order.
func (p *Platform) Tags(appID string) []TagRecord {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.accounts[appID]
	if !ok {
		return nil
	}
	return a.tagsLocked()
}

func (a *account) tagsLocked() []TagRecord {
	out := slices.Clone(a.tags.tags)
	for i := range out {
		for _, u := range a.users {
			if slices.Contains(u.TagIDs, out[i].ID) {
				out[i].Count++
			}
		}
	}
	return out
}

func isSystemTag(id int) bool { return id >= 0 && id <= starTagID }

func (a *account) tagIndex(id int) int {
	return slices.IndexFunc(a.tags.tags, func(t TagRecord) bool { return t.ID == id })
}

// checkTagName returns WeChat's code for a name that is empty, too long or taken by
// another tag than self.
func (a *account) checkTagName(name string, self int) int {
	if name == "" || !utf8.ValidString(name) {
		return codeTagNameExists // WeChat's "invalid tag name"
	}
	if utf8.RuneCountInString(name) > maxTagNameRunes {
		return codeTagNameTooLong
	}
	for _, t := range a.tags.tags {
		if t.Name == name && t.ID != self {
			return codeTagNameExists
		}
	}
	return 0
}

type tagWire struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Count *int   `json:"count,omitempty"`
}

type tagBody struct {
	Tag tagWire `json:"tag"`
}

// handleTagCreate is POST /cgi-bin/tags/create {"tag":{"name":…}}: at most 100 tags
// (45056), unique names (45157) of at most 30 characters (45158).
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/User_Tag_Management.html
func (p *Platform) handleTagCreate(r *request) (any, int) {
	var in tagBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	if code := a.checkTagName(in.Tag.Name, -1); code != 0 {
		return nil, code
	}
	if len(a.tags.tags)-1 >= maxTags {
		return nil, codeTooManyTags
	}
	t := TagRecord{ID: a.tags.nextID, Name: in.Tag.Name}
	a.tags.nextID++
	a.tags.tags = append(a.tags.tags, t)
	return tagBody{Tag: tagWire{ID: t.ID, Name: t.Name}}, 0
}

// handleTagList is GET /cgi-bin/tags/get: every tag with its user count.
func (p *Platform) handleTagList(r *request) (any, int) {
	tags := r.acct.tagsLocked()
	out := make([]tagWire, len(tags))
	for i, t := range tags {
		out[i] = tagWire{ID: t.ID, Name: t.Name, Count: &tags[i].Count}
	}
	return struct {
		Tags []tagWire `json:"tags"`
	}{out}, 0
}

// handleTagUpdate is POST /cgi-bin/tags/update {"tag":{"id":…,"name":…}}.
func (p *Platform) handleTagUpdate(r *request) (any, int) {
	var in tagBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	if isSystemTag(in.Tag.ID) {
		return nil, codeSystemTag
	}
	i := a.tagIndex(in.Tag.ID)
	if i < 0 {
		return nil, codeInvalidTagID
	}
	if code := a.checkTagName(in.Tag.Name, in.Tag.ID); code != 0 {
		return nil, code
	}
	a.tags.tags[i].Name = in.Tag.Name
	return okBody, 0
}

// handleTagDelete is POST /cgi-bin/tags/delete {"tag":{"id":…}}: removes the tag from its
// users too; refused for tags of more than 100,000 users (45057).
func (p *Platform) handleTagDelete(r *request) (any, int) {
	var in tagBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	if isSystemTag(in.Tag.ID) {
		return nil, codeSystemTag
	}
	i := a.tagIndex(in.Tag.ID)
	if i < 0 {
		return nil, codeInvalidTagID
	}
	if a.tagsLocked()[i].Count > maxDeletableFans {
		return nil, codeTagHasManyFans
	}
	a.tags.tags = slices.Delete(a.tags.tags, i, i+1)
	for id, u := range a.users {
		if j := slices.Index(u.TagIDs, in.Tag.ID); j >= 0 {
			u.TagIDs = slices.Delete(slices.Clone(u.TagIDs), j, j+1)
			a.users[id] = u
		}
	}
	return okBody, 0
}

type batchBody struct {
	OpenIDList []string `json:"openid_list"`
	TagID      int      `json:"tagid"`
}

// batchUsersLocked checks a batch of openids: 1 to max of them (40032), all users of the
// account (49003).
func (a *account) batchUsersLocked(ids []string, max int) int {
	if len(ids) == 0 || len(ids) > max {
		return codeInvalidOpenIDList
	}
	for _, id := range ids {
		if _, ok := a.users[id]; !ok {
			return codeOpenIDNotOfApp
		}
	}
	return 0
}

// handleBatchTag is POST /cgi-bin/tags/members/batchtagging: the tag goes to up to 50 users,
// none of whom may end up with more than 20 tags (45059). Nothing changes on an error.
func (p *Platform) handleBatchTag(r *request) (any, int) {
	return p.batchTagLocked(r, true)
}

// handleBatchUntag is POST /cgi-bin/tags/members/batchuntagging.
func (p *Platform) handleBatchUntag(r *request) (any, int) {
	return p.batchTagLocked(r, false)
}

func (p *Platform) batchTagLocked(r *request, add bool) (any, int) {
	var in batchBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	if a.tagIndex(in.TagID) < 0 {
		return nil, codeInvalidTagID
	}
	if code := a.batchUsersLocked(in.OpenIDList, maxTagBatch); code != 0 {
		return nil, code
	}
	if add {
		for _, id := range in.OpenIDList {
			u := a.users[id]
			if !slices.Contains(u.TagIDs, in.TagID) && len(u.TagIDs) >= maxUserTags {
				return nil, codeUserTagLimit
			}
		}
	}
	for _, id := range in.OpenIDList {
		u := a.users[id]
		j := slices.Index(u.TagIDs, in.TagID)
		switch {
		case add && j < 0:
			u.TagIDs = append(slices.Clone(u.TagIDs), in.TagID)
		case !add && j >= 0:
			u.TagIDs = slices.Delete(slices.Clone(u.TagIDs), j, j+1)
		}
		a.users[id] = u
	}
	return okBody, 0
}

// handleTagMembers is POST /cgi-bin/user/tag/get {"tagid":…,"next_openid":…}: a page of the
// tag's users, without a total.
func (p *Platform) handleTagMembers(r *request) (any, int) {
	var in struct {
		TagID      int    `json:"tagid"`
		NextOpenID string `json:"next_openid"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	if a.tagIndex(in.TagID) < 0 {
		return nil, codeInvalidTagID
	}
	ids := a.openIDsLocked(func(u UserRecord) bool { return slices.Contains(u.TagIDs, in.TagID) })
	return p.pageLocked(ids, in.NextOpenID, false)
}

// handleUserTags is POST /cgi-bin/tags/getidlist {"openid":…}: the user's tag ids.
func (p *Platform) handleUserTags(r *request) (any, int) {
	var in struct {
		OpenID string `json:"openid"`
	}
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	u, ok := r.acct.users[in.OpenID]
	if !ok {
		return nil, codeInvalidOpenID
	}
	ids := slices.Clone(u.TagIDs)
	if ids == nil {
		ids = []int{}
	}
	return struct {
		TagIDList []int `json:"tagid_list"`
	}{ids}, 0
}

// handleBlacklist is POST /cgi-bin/tags/members/getblacklist {"begin_openid":…}: a page of
// the blacklist, with its total.
// https://developers.weixin.qq.com/doc/offiaccount/User_Management/Manage_blacklist.html
func (p *Platform) handleBlacklist(r *request) (any, int) {
	var in struct {
		BeginOpenID string `json:"begin_openid"`
	}
	if len(r.body) > 0 { // WeChat accepts an empty body for the first page
		if code := r.decode(&in); code != 0 {
			return nil, code
		}
	}
	ids := r.acct.openIDsLocked(func(u UserRecord) bool { return u.Blacklisted })
	return p.pageLocked(ids, in.BeginOpenID, true)
}

// handleBlock is POST /cgi-bin/tags/members/batchblacklist with up to 20 openids.
func (p *Platform) handleBlock(r *request) (any, int) { return p.blacklistLocked(r, true) }

// handleUnblock is POST /cgi-bin/tags/members/batchunblacklist with up to 20 openids.
func (p *Platform) handleUnblock(r *request) (any, int) { return p.blacklistLocked(r, false) }

func (p *Platform) blacklistLocked(r *request, block bool) (any, int) {
	var in batchBody
	if code := r.decode(&in); code != 0 {
		return nil, code
	}
	a := r.acct
	if code := a.batchUsersLocked(in.OpenIDList, maxBlacklistBatch); code != 0 {
		return nil, code
	}
	for _, id := range in.OpenIDList {
		u := a.users[id]
		u.Blacklisted = block
		a.users[id] = u
	}
	return okBody, 0
}

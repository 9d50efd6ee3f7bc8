package offiaccount

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The documented limits are named alike in every group: Max<Thing> (Min<Thing>), and Runes or
// Bytes when the limit is a length, saying how WeChat counts it.
func TestLimitNames(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ got, want int }{
		"MinMassOpenIDs":                  {MinMassOpenIDs, 2},
		"MaxMassOpenIDs":                  {MaxMassOpenIDs, 10000},
		"MaxMassClientMsgIDBytes":         {MaxMassClientMsgIDBytes, 64},
		"MaxMassSpeed":                    {MaxMassSpeed, 4},
		"MaxSubscribeTemplateTitlesLimit": {MaxSubscribeTemplateTitlesLimit, 30},
		"MinSubscribeKeywords":            {MinSubscribeKeywords, 2},
		"MaxSubscribeKeywords":            {MaxSubscribeKeywords, 5},
		"MaxSubscribeSceneDescRunes":      {MaxSubscribeSceneDescRunes, 15},
		"MaxArticleTitleRunes":            {MaxArticleTitleRunes, 32},
		"MaxArticleAuthorRunes":           {MaxArticleAuthorRunes, 16},
		"MaxArticleDigestRunes":           {MaxArticleDigestRunes, 128},
		"MaxArticleContentRunes":          {MaxArticleContentRunes, 20000},
		"MaxArticleMediaIDBytes":          {MaxArticleMediaIDBytes, 128},
		"MaxCommentListCount":             {MaxCommentListCount, 49},
	} {
		assert.Equal(t, c.want, c.got, name)
	}
}

// Runes limits count characters, Bytes limits count bytes: a Chinese title of
// MaxArticleTitleRunes characters passes, one more fails; a clientmsgid of
// MaxMassClientMsgIDBytes bytes passes, one more byte fails.
func TestLimitUnits(t *testing.T) {
	t.Parallel()
	a := DraftArticle{Title: strings.Repeat("标", MaxArticleTitleRunes), Content: "x", ThumbMediaID: "m"}
	require.NoError(t, a.Validate())
	a.Title += "题"
	err := a.Validate()
	assert.ErrorIs(t, err, ErrInvalidRequest)
	assert.ErrorContains(t, err, "title has 33 characters, more than 32")

	a = DraftArticle{Title: "t", Content: "x", ThumbMediaID: strings.Repeat("m", MaxArticleMediaIDBytes+1)}
	assert.ErrorContains(t, a.Validate(), "thumb_media_id longer than 128 bytes")

	c, mt := newMockClient(t)
	m := MassText("hi")
	m.ClientMsgID = strings.Repeat("好", MaxMassClientMsgIDBytes/3+1) // 66 bytes, 22 characters
	_, err = c.SendMassToAll(context.Background(), m)
	assert.ErrorIs(t, err, ErrInvalidRequest)
	assert.ErrorContains(t, err, "clientmsgid is 66 bytes, the limit is 64")
	noCalls(t, mt)
}

// Enumerations are typed strings, like MsgType and EventType.
func TestTypedEnumsOfTheNewGroups(t *testing.T) {
	t.Parallel()
	assert.Equal(t, reflect.TypeOf(ArticleTypeNewsPic), reflect.TypeOf(DraftArticle{}.ArticleType))
	assert.Equal(t, "offiaccount.ArticleType", reflect.TypeOf(DraftArticle{}.ArticleType).String())
	assert.Equal(t, reflect.TypeOf(SubscribeStatusAccept), reflect.TypeOf(SubscribeMsgItem{}.SubscribeStatusString))
	assert.Equal(t, "offiaccount.SubscribeStatus", reflect.TypeOf(SubscribeMsgItem{}.SubscribeStatusString).String())
}

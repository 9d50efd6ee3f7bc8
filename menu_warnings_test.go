package offiaccount

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// News by media_id is legacy: menus warn about view_limited and media_id buttons and point
// to the article_id forms, while Validate still passes them.
func TestMenuWarningsForLegacyNews(t *testing.T) {
	t.Parallel()
	m := NewMenu(
		ClickButton("a", "K"),
		ViewLimitedButton("b", "MEDIA"),
		SubMenu("c", ArticleButton("c1", "ART"), MediaButton("c2", "MEDIA2"), ArticleViewLimitedButton("c3", "ART")),
	)
	require.NoError(t, m.Validate())
	w := m.Warnings()
	require.Len(t, w, 2)
	assert.Equal(t, "button[1].type", w[0].Path)
	assert.Contains(t, w[0].Problem, "article_view_limited")
	assert.Equal(t, "button[2].sub_button[1].type", w[1].Path)
	assert.Contains(t, w[1].Problem, "article_id")
	assert.Contains(t, w[1].String(), "button[2].sub_button[1].type")

	assert.Empty(t, NewMenu(ArticleButton("a", "ART"), ViewButton("b", "https://x.example/")).Warnings())
}

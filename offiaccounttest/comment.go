package offiaccounttest

type commentKey struct{}
type commentArticle struct{}

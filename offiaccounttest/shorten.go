package offiaccounttest

type shortKey struct{}

// otherGroupRoute maps the paths of datacube.go, comment.go and shorten.go.
func otherGroupRoute(path string) (fn func(p *Platform, r *request) (any, int), post, token, ok bool) {
	return nil, false, false, false
}

func otherGroupErrText(code int) string { return "system error" }

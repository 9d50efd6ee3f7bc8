package offiaccounttest

type shortKey struct{}

// otherGroupRoute maps the paths of datacube.go, comment.go and shorten.go.
func otherGroupRoute(path string) (fn func(p *Platform, r *request) (any, int), post, token, ok bool) {
	if fn, ok := dataCubeRoute(path); ok {
		return fn, true, true, true
	}
	if fn, ok := commentRoute(path); ok {
		return fn, true, true, true
	}
	return nil, false, false, false
}

func otherGroupErrText(code int) string {
	switch code {
	case codeDateFormat:
		return "invalid date format"
	case codeDateRange:
		return "invalid date range"
	}
	if s := commentErrText(code); s != "" {
		return s
	}
	return "system error"
}

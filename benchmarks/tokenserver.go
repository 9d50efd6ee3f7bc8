package benchmarks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"
)

// FakeToken is the access_token the fake token endpoint hands out: as long as a real one.
var FakeToken = "78_" + strings.Repeat("AbCdEfGhIj0123456789", 7) + "_bench"

// TokenServer stands in for WeChat's token endpoints (GET /cgi-bin/token and POST
// /cgi-bin/stable_token) and counts the requests that reach it.
type TokenServer struct {
	*httptest.Server
	requests atomic.Int64
	delay    time.Duration
}

// NewTokenServer starts a token endpoint that answers after delay, as a distant server
// would; the stampede needs a delay so that callers pile up while the first fetch is out.
func NewTokenServer(delay time.Duration) *TokenServer {
	ts := &TokenServer{delay: delay}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	return ts
}

// Requests returns how many token requests arrived.
func (ts *TokenServer) Requests() int64 { return ts.requests.Load() }

func (ts *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	ts.requests.Add(1)
	var appID, secret string
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/cgi-bin/token":
		appID, secret = r.URL.Query().Get("appid"), r.URL.Query().Get("secret")
	case r.Method == http.MethodPost && r.URL.Path == "/cgi-bin/stable_token":
		var in struct {
			AppID  string `json:"appid"`
			Secret string `json:"secret"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		appID, secret = in.AppID, in.Secret
	default:
		http.NotFound(w, r)
		return
	}
	if ts.delay > 0 {
		time.Sleep(ts.delay)
	}
	w.Header().Set("Content-Type", "application/json")
	if appID != AppID || secret != AppSecret {
		_, _ = w.Write([]byte(`{"errcode":40125,"errmsg":"invalid appsecret"}`))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": FakeToken, "expires_in": 7200})
}

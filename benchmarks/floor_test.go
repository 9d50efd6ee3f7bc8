package benchmarks

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wxgo/offiaccount"
)

func TestQueryParam(t *testing.T) {
	t.Parallel()
	tests := []struct{ raw, key, want string }{
		{"a=1&b=2", "b", "2"},
		{"a=1&b=2", "c", ""},
		{"signature=x&msg_signature=y", "signature", "x"},
		{"msg_signature=y&signature=x", "signature", "x"},
		{"echostr=a%2Bb+c", "echostr", "a+b c"},
		{"echostr=%zz", "echostr", ""},
		{"a", "a", ""},
		{"", "a", ""},
	}
	for _, tt := range tests {
		if got := queryParam(tt.raw, tt.key); got != tt.want {
			t.Errorf("queryParam(%q, %q) = %q, want %q", tt.raw, tt.key, got, tt.want)
		}
	}
}

func TestXMLField(t *testing.T) {
	t.Parallel()
	doc := []byte("<xml><A><![CDATA[x]]></A><B>1 &lt; 2</B><C></C><D><![CDATA[open</D></xml>")
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"A", "x", true}, {"B", "1 < 2", true}, {"C", "", true}, {"D", "", false}, {"E", "", false},
	}
	for _, tt := range tests {
		got, ok := xmlField(doc, tt.name)
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("xmlField(%s) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAppendCDATA(t *testing.T) {
	t.Parallel()
	got := string(appendCDATA(nil, []byte("a]]>b]]>")))
	if want := "<![CDATA[a]]]]><![CDATA[>b]]]]><![CDATA[>]]>"; got != want {
		t.Errorf("appendCDATA = %q, want %q", got, want)
	}
}

// FuzzFloor: whatever the query and body, the floor answers without panicking, and never
// 200 to a request whose signature it cannot have checked.
func FuzzFloor(f *testing.F) {
	fx, err := NewFixture(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range Cases {
		rq := fx.Request(c, 0)
		f.Add(rq.Method == http.MethodPost, rq.Target, rq.Body)
	}
	f.Add(true, "/wechat?encrypt_type=aes&msg_signature=00", []byte("<xml><Encrypt>AAAA</Encrypt></xml>"))
	floor, err := NewFloor(Token, AppID, EncodingAESKey)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, post bool, target string, body []byte) {
		method := http.MethodGet
		if post {
			method = http.MethodPost
		}
		r, err := http.NewRequest(method, "http://127.0.0.1/", bytes.NewReader(body))
		if err != nil {
			t.Skip()
		}
		r.URL.RawQuery = target
		rec := httptest.NewRecorder()
		floor.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("status %d", rec.Code)
		}
		if rec.Code != http.StatusOK {
			return
		}
		q := func(k string) string { return queryParam(target, k) }
		ts, nonce := q("timestamp"), q("nonce")
		if q("encrypt_type") == "aes" && post {
			enc, _ := xmlField(body, "Encrypt")
			if !offiaccount.CheckMsgSignature(q("msg_signature"), Token, ts, nonce, string(enc)) {
				t.Fatalf("answered 200 to a safe-mode request with a wrong msg_signature")
			}
		} else if !offiaccount.CheckSignature(q("signature"), Token, ts, nonce) {
			t.Fatalf("answered 200 to a request with a wrong signature")
		}
	})
}

package offiaccount

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateQRCodeBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  QRCodeRequest
		want string // request body as WeChat documents it
	}{
		{"temporary int", TempQRCode(123, 7*24*time.Hour),
			`{"expire_seconds":604800,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":123}}}`},
		{"temporary int max", TempQRCode(4294967295, MaxQRExpiry),
			`{"expire_seconds":2592000,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":4294967295}}}`},
		{"temporary string", TempStrQRCode("test", 90*time.Second+999*time.Millisecond),
			`{"expire_seconds":90,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"test"}}}`},
		{"temporary default expiry", TempQRCode(1, 0),
			`{"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":1}}}`},
		{"permanent int", PermanentQRCode(100000),
			`{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":100000}}}`},
		{"permanent string", PermanentStrQRCode(strings.Repeat("码", 64)),
			`{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"` + strings.Repeat("码", 64) + `"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/qrcode/create", body: tt.want,
				answer: `{"ticket":"gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==","expire_seconds":60,"url":"http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI"}`})
			q, err := c.CreateQRCode(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, &QRCode{Ticket: "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==",
				ExpireSeconds: 60, URL: "http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI"}, q)
			assert.Equal(t, "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D", q.ImageURL())
		})
	}
}

func TestCreateQRCodeInvalid(t *testing.T) {
	t.Parallel()
	withExpiry := PermanentQRCode(1)
	withExpiry.ExpireSeconds = 60
	mixed := TempQRCode(1, time.Minute)
	mixed.ActionInfo.Scene.SceneStr = "x"
	mixedStr := TempStrQRCode("x", time.Minute)
	mixedStr.ActionInfo.Scene.SceneID = 1
	negative := TempQRCode(1, time.Minute)
	negative.ExpireSeconds = -1
	tests := map[string]QRCodeRequest{
		"zero scene":            TempQRCode(0, time.Minute),
		"permanent 0":           PermanentQRCode(0),
		"permanent 100001":      PermanentQRCode(100001),
		"empty string scene":    TempStrQRCode("", time.Minute),
		"65 chars":              PermanentStrQRCode(strings.Repeat("a", 65)),
		"invalid utf-8":         PermanentStrQRCode("\xff"),
		"beyond 30 days":        TempQRCode(1, MaxQRExpiry+time.Second),
		"negative expiry":       negative,
		"permanent w/ expiry":   withExpiry,
		"int kind, str scene":   mixed,
		"str kind, int scene":   mixedStr,
		"unknown action_name":   {ActionName: "QR_FANCY", ActionInfo: QRActionInfo{Scene: QRSceneValue{SceneID: 1}}},
		"no action_name at all": {},
	}
	for name, r := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			_, err := c.CreateQRCode(context.Background(), r)
			require.ErrorIs(t, err, ErrInvalidRequest)
			noCalls(t, mt)
		})
	}
}

func TestCreateQRCodeAPIError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	expect(t, mt, apiCall{method: http.MethodPost, path: "/cgi-bin/qrcode/create",
		body:   `{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":7}}}`,
		answer: `{"errcode":45009,"errmsg":"reach max api daily quota limit"}`})
	_, err := c.CreateQRCode(context.Background(), PermanentQRCode(7))
	requireAPIError(t, err, CodeQuotaReached, "/cgi-bin/qrcode/create")
	assert.ErrorIs(t, err, ErrQuota)
}

func TestShowQRCodeURLEscapes(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=a%2Bb%2Fc%3D%26x%3D1", ShowQRCodeURL("a+b/c=&x=1"))
	assert.Equal(t, "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=", ShowQRCodeURL(""))
}

func ExampleClient_CreateQRCode() {
	client, done := newExampleServer(map[string]string{
		"/cgi-bin/qrcode/create": `{"ticket":"gQH47joAAAAAAAAAASxodHRwOi8v","expire_seconds":604800,"url":"http://weixin.qq.com/q/kZgfwMTm72WWPkovabbI"}`,
	})
	defer done()

	// A one-week code that identifies the shop counter a new follower scanned.
	qr, err := client.CreateQRCode(context.Background(), TempStrQRCode("counter-7", 7*24*time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(qr.ImageURL())
	fmt.Println(qr.ExpireSeconds)
	// A user who scans it and follows sends a subscribe event with EventKey
	// "qrscene_counter-7"; a follower who scans it sends SCAN with EventKey "counter-7".
	// Output:
	// https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8v
	// 604800
}

package offiaccount

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The callback query rules: WeChat's six parameters are read, others ignored; the first value
// of a repeated parameter wins (as url.Values.Get); percent and plus escapes are decoded; a
// malformed escape makes the whole query malformed.
func TestParseCallbackQuery(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		want  callbackQuery
		valid bool
	}{
		{"empty", "", callbackQuery{}, true},
		{"all six", "signature=s&timestamp=1&nonce=n&echostr=e&encrypt_type=aes&msg_signature=m",
			callbackQuery{signature: "s", timestamp: "1", nonce: "n", echostr: "e", encryptType: "aes", msgSignature: "m"}, true},
		{"unknown keys ignored", "openid=o&signature=s&x", callbackQuery{signature: "s"}, true},
		{"first value wins", "nonce=a&nonce=b", callbackQuery{nonce: "a"}, true},
		{"empty first value does not win", "nonce=&nonce=b", callbackQuery{nonce: "b"}, true},
		{"percent escape", "echostr=a%2Bb%3D", callbackQuery{echostr: "a+b="}, true},
		{"plus is a space", "echostr=a+b", callbackQuery{echostr: "a b"}, true},
		{"key without value", "signature&nonce=n", callbackQuery{nonce: "n"}, true},
		{"malformed escape", "signature=%zz&nonce=n", callbackQuery{nonce: "n"}, false},
		{"malformed escape in unknown key ignored", "x=%zz&nonce=n", callbackQuery{nonce: "n"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseCallbackQuery(tt.raw)
			assert.Equal(t, tt.valid, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

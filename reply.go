package offiaccount

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Reply is a passive reply (被动回复消息): the answer to a message, written
// into the HTTP response of WeChat's callback request. A nil Reply means "no
// reply" and is answered "success".
//
// The handler wraps the reply's own elements in the common envelope
// (ToUserName, FromUserName, CreateTime, MsgType), so a reply names only its
// content. The reply types of this package cover every type WeChat accepts;
// implement Reply yourself only for a type WeChat adds later.
//
// See https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
type Reply interface {
	// ReplyType is the reply's MsgType element.
	ReplyType() MsgType
	// AppendXMLFields appends the reply's elements that follow MsgType,
	// escaped, to dst (for example with AppendCDATA).
	AppendXMLFields(dst []byte) []byte
}

// TextReply answers with text (回复文本消息). Any content is allowed: the
// encoder escapes it, and drops characters XML 1.0 cannot carry.
type TextReply struct {
	Content string
}

// ImageReply answers with an image uploaded as media (回复图片消息).
type ImageReply struct {
	MediaID string
}

// VoiceReply answers with a voice clip uploaded as media (回复语音消息).
type VoiceReply struct {
	MediaID string
}

// VideoReply answers with a video uploaded as media (回复视频消息).
type VideoReply struct {
	MediaID     string
	Title       string
	Description string
}

// MusicReply answers with a music card (回复音乐消息).
type MusicReply struct {
	Title        string
	Description  string
	MusicURL     string // MusicUrl
	HQMusicURL   string // HQMusicUrl: used on Wi-Fi
	ThumbMediaID string // ThumbMediaId
}

// NewsReply answers with article cards (回复图文消息). WeChat shows one
// article; it rejects a reply with more than one, and an empty list.
type NewsReply struct {
	Articles []Article
}

// Article is one card of a NewsReply.
type Article struct {
	Title       string
	Description string
	PicURL      string // PicUrl: 1068*455 for the large picture, 150*150 for small
	URL         string // Url: opened when the card is tapped
}

// TransferCustomerServiceReply hands the conversation to WeChat's customer
// service system (消息转发到客服). KfAccount optionally picks one agent
// (account@wechat_id); empty lets WeChat choose.
type TransferCustomerServiceReply struct {
	KfAccount string
}

// ReplyType implements Reply.
func (TextReply) ReplyType() MsgType { return MsgTypeText }

// ReplyType implements Reply.
func (ImageReply) ReplyType() MsgType { return MsgTypeImage }

// ReplyType implements Reply.
func (VoiceReply) ReplyType() MsgType { return MsgTypeVoice }

// ReplyType implements Reply.
func (VideoReply) ReplyType() MsgType { return MsgTypeVideo }

// ReplyType implements Reply.
func (MusicReply) ReplyType() MsgType { return MsgTypeMusic }

// ReplyType implements Reply.
func (NewsReply) ReplyType() MsgType { return MsgTypeNews }

// ReplyType implements Reply.
func (TransferCustomerServiceReply) ReplyType() MsgType { return MsgTypeTransferCustomerService }

// AppendXMLFields implements Reply.
func (r TextReply) AppendXMLFields(dst []byte) []byte {
	return appendElem(dst, "Content", r.Content)
}

// AppendXMLFields implements Reply.
func (r ImageReply) AppendXMLFields(dst []byte) []byte {
	dst = append(dst, "<Image>"...)
	dst = appendElem(dst, "MediaId", r.MediaID)
	return append(dst, "</Image>"...)
}

// AppendXMLFields implements Reply.
func (r VoiceReply) AppendXMLFields(dst []byte) []byte {
	dst = append(dst, "<Voice>"...)
	dst = appendElem(dst, "MediaId", r.MediaID)
	return append(dst, "</Voice>"...)
}

// AppendXMLFields implements Reply.
func (r VideoReply) AppendXMLFields(dst []byte) []byte {
	dst = append(dst, "<Video>"...)
	dst = appendElem(dst, "MediaId", r.MediaID)
	dst = appendElem(dst, "Title", r.Title)
	dst = appendElem(dst, "Description", r.Description)
	return append(dst, "</Video>"...)
}

// AppendXMLFields implements Reply.
func (r MusicReply) AppendXMLFields(dst []byte) []byte {
	dst = append(dst, "<Music>"...)
	dst = appendElem(dst, "Title", r.Title)
	dst = appendElem(dst, "Description", r.Description)
	dst = appendElem(dst, "MusicUrl", r.MusicURL)
	dst = appendElem(dst, "HQMusicUrl", r.HQMusicURL)
	dst = appendElem(dst, "ThumbMediaId", r.ThumbMediaID)
	return append(dst, "</Music>"...)
}

// AppendXMLFields implements Reply.
func (r NewsReply) AppendXMLFields(dst []byte) []byte {
	dst = append(dst, "<ArticleCount>"...)
	dst = strconv.AppendInt(dst, int64(len(r.Articles)), 10)
	dst = append(dst, "</ArticleCount><Articles>"...)
	for _, a := range r.Articles {
		dst = append(dst, "<item>"...)
		dst = appendElem(dst, "Title", a.Title)
		dst = appendElem(dst, "Description", a.Description)
		dst = appendElem(dst, "PicUrl", a.PicURL)
		dst = appendElem(dst, "Url", a.URL)
		dst = append(dst, "</item>"...)
	}
	return append(dst, "</Articles>"...)
}

// AppendXMLFields implements Reply.
func (r TransferCustomerServiceReply) AppendXMLFields(dst []byte) []byte {
	if r.KfAccount == "" {
		return dst
	}
	dst = append(dst, "<TransInfo>"...)
	dst = appendElem(dst, "KfAccount", r.KfAccount)
	return append(dst, "</TransInfo>"...)
}

// AppendReply appends the XML document of reply r to dst, addressed to
// toUser (the OpenID that sent the message) from fromUser (the account's
// original id), at createTime (unix seconds). The handler calls it with the
// addresses swapped from the incoming message; call it yourself to produce
// replies in tests or in a handler of your own.
func AppendReply(dst []byte, r Reply, toUser, fromUser string, createTime int64) []byte {
	dst = appendReplyHead(dst, r.ReplyType(), toUser, fromUser, createTime)
	dst = r.AppendXMLFields(dst)
	return append(dst, "</xml>"...)
}

// appendReplyHead appends the envelope of a reply up to its own elements.
func appendReplyHead(dst []byte, typ MsgType, toUser, fromUser string, createTime int64) []byte {
	dst = append(dst, "<xml>"...)
	dst = appendElem(dst, "ToUserName", toUser)
	dst = appendElem(dst, "FromUserName", fromUser)
	dst = append(dst, "<CreateTime>"...)
	dst = strconv.AppendInt(dst, createTime, 10)
	dst = append(dst, "</CreateTime>"...)
	return appendElem(dst, "MsgType", string(typ))
}

// appendElem appends <name><![CDATA[value]]></name>.
func appendElem(dst []byte, name, value string) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = append(dst, '>')
	dst = AppendCDATA(dst, value)
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

// AppendCDATA appends s to dst as XML character data inside CDATA sections.
// Any "]]>" in s is split across two sections, invalid UTF-8 becomes U+FFFD,
// and characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) are
// dropped, so the result is always well-formed and decodes back to s minus
// those characters.
func AppendCDATA(dst []byte, s string) []byte {
	dst = append(dst, "<![CDATA["...)
	if cdataClean(s) {
		dst = append(dst, s...)
		return append(dst, "]]>"...)
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '>' && bytes.HasSuffix(dst, []byte("]]")):
				// End the section between the brackets and the '>'. The test is on the
				// output, so brackets brought together by a dropped character count too.
				dst = append(dst, "]]><![CDATA[>"...)
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
				// forbidden in XML 1.0: drop
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		case isXMLChar(r):
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, "]]>"...)
}

// cdataClean reports whether s can go into one CDATA section as it is.
func cdataClean(s string) bool {
	if xmlTextClean(s, false) {
		return !strings.Contains(s, "]]>")
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' ||
				c == '>' && i >= 2 && s[i-1] == ']' && s[i-2] == ']' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}

// errNoCrypter reports an encrypted request to a handler without a key.
var errNoCrypter = errors.New("offiaccount: encrypted callback but the handler has no EncodingAESKey (use WithHandlerEncodingAESKey)")

// SealReply encrypts a plaintext reply document for a safe-mode or
// compatible-mode callback and appends the signed envelope WeChat expects
// (<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>) to dst.
// timestamp is unix seconds as decimal text and nonce any short random text;
// the signature is MsgSignature(token, timestamp, nonce, encrypt).
//
// See https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
func SealReply(dst []byte, c *MessageCrypter, token string, plain []byte, timestamp, nonce string) ([]byte, error) {
	return sealReply(dst, c, token, plain, []byte(timestamp), []byte(nonce))
}

func sealReply(dst []byte, c *MessageCrypter, token string, plain, timestamp, nonce []byte) ([]byte, error) {
	dst = slices.Grow(dst, sealedLen(c, len(plain), len(timestamp), len(nonce)))
	dst = append(dst, "<xml><Encrypt><![CDATA["...)
	start := len(dst)
	dst, err := c.AppendEncrypt(dst, plain)
	if err != nil {
		return nil, err
	}
	enc := dst[start:]
	dst = append(dst, "]]></Encrypt><MsgSignature><![CDATA["...)
	// enc stays valid even if dst moves: append never writes below len.
	dst = appendMsgSignature(dst, token, timestamp, nonce, enc)
	dst = append(dst, "]]></MsgSignature><TimeStamp>"...)
	dst = append(dst, timestamp...)
	dst = append(dst, "</TimeStamp><Nonce><![CDATA["...)
	dst = append(dst, nonce...)
	return append(dst, "]]></Nonce></xml>"...), nil
}

// sealedLen is the length of the envelope sealReply writes for a plaintext of plainLen bytes.
func sealedLen(c *MessageCrypter, plainLen, tsLen, nonceLen int) int {
	const fixed = len("<xml><Encrypt><![CDATA[]]></Encrypt><MsgSignature><![CDATA[]]></MsgSignature>" +
		"<TimeStamp></TimeStamp><Nonce><![CDATA[]]></Nonce></xml>")
	return fixed + base64.StdEncoding.EncodedLen(c.paddedLen(plainLen)) + 2*sha1.Size + tsLen + nonceLen
}

// appendMsgSignature appends hex(sha1(sort(token, timestamp, nonce,
// encrypt))) without converting encrypt to a string. It equals
// MsgSignature(token, string(timestamp), string(nonce), string(encrypt)).
func appendMsgSignature(dst []byte, token string, timestamp, nonce, encrypt []byte) []byte {
	sum := sortedSHA1Bytes(stringBytes(token), timestamp, nonce, encrypt, 4)
	return hex.AppendEncode(dst, sum[:])
}

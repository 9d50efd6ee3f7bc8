package offiaccount

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flatField is a leaf element scanFlat visited; scanFlatFields collects them.
type flatField struct {
	name, value string
	at          int
}

func scanFlatFields(doc string) ([]flatField, bool) {
	var fields []flatField
	ok := scanFlat(doc, func(name, value string, at int) {
		fields = append(fields, flatField{name, value, at})
	})
	return fields, ok
}

// parseMessageFull fills m with the full decoder only, as parseMessageInto did before the
// fast path.
func parseMessageFull(m *Message, doc string) error {
	p := getXMLParser()
	defer putXMLParser(p)
	if err := p.parse(doc); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedMessage, err)
	}
	return m.fill(p.nodes)
}

func TestScanFlatShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		flat bool // taken by the fast path
	}{
		{"cdata and text", "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType></xml>", true},
		{"empty element", "<xml><Content></Content></xml>", true},
		{"empty cdata", "<xml><Content><![CDATA[]]></Content></xml>", true},
		{"white space after the root", "<xml><A>1</A></xml>\n ", true},
		{"no fields", "<xml></xml>", true},
		{"declaration", `<?xml version="1.0"?><xml><A>1</A></xml>`, false},
		{"leading space", " <xml><A>1</A></xml>", false},
		{"other root", "<root><A>1</A></root>", false},
		{"nested", "<xml><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType></ScanCodeInfo></xml>", false},
		{"attribute", `<xml><A x="1">1</A></xml>`, false},
		{"self-closing", "<xml><A/></xml>", false},
		{"reference", "<xml><A>a&amp;b</A></xml>", false},
		{"carriage return", "<xml><A>a\rb</A></xml>", false},
		{"cdata and text mixed", "<xml><A> <![CDATA[x]]></A></xml>", false},
		{"two cdata", "<xml><A><![CDATA[x]]><![CDATA[y]]></A></xml>", false},
		{"comment", "<xml><!-- c --><A>1</A></xml>", false},
		{"wrong end tag", "<xml><A>1</B></xml>", false},
		{"space in end tag", "<xml><A>1</A ></xml>", false},
		{"]]> in text", "<xml><A>a]]>b</A></xml>", false},
		{"bad UTF-8 in cdata", "<xml><A><![CDATA[\xff]]></A></xml>", false},
		{"control character", "<xml><A>\x01</A></xml>", false},
		{"unterminated", "<xml><A>1</A>", false},
		{"text after the root", "<xml><A>1</A></xml>x", false},
		{"text between fields", "<xml>x<A>1</A></xml>", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, ok := scanFlatFields(tc.doc)
			assert.Equal(t, tc.flat, ok)
		})
	}
}

func TestScanFlatFields(t *testing.T) {
	doc := "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n<Content>你好 <![CDATA[</Content>"
	_, ok := scanFlatFields(doc + "</xml>")
	assert.False(t, ok, "a CDATA opening inside text is not flat")

	doc = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n\t<CreateTime>1348831860</CreateTime><Content><![CDATA[a<b>&c]]></Content><Content>second</Content></xml>"
	fields, ok := scanFlatFields(doc)
	require.True(t, ok)
	var got [][2]string
	for _, f := range fields {
		got = append(got, [2]string{f.name, f.value})
		assert.Equal(t, f.value, doc[f.at:f.at+len(f.value)], "at locates the value")
	}
	assert.Equal(t, [][2]string{{"ToUserName", "gh_1"}, {"CreateTime", "1348831860"}, {"Content", "a<b>&c"}, {"Content", "second"}}, got)

	var m Message
	require.NoError(t, parseMessageInto(&m, doc))
	assert.Equal(t, "second", m.Content, "a repeated element: the last one wins, as in the full decoder")
	assert.Equal(t, int64(1348831860), m.CreateTime)

	var tooMany string
	for i := 0; i <= flatMaxFields; i++ {
		tooMany += "<A>1</A>"
	}
	_, ok = scanFlatFields("<xml>" + tooMany + "</xml>")
	assert.False(t, ok, "more fields than the fast path holds go to the full decoder")
	require.NoError(t, parseMessageInto(&m, "<xml>"+tooMany+"</xml>"))
}

func TestScanFlatFieldError(t *testing.T) {
	var m Message
	err := parseMessageInto(&m, "<xml><CreateTime>soon</CreateTime></xml>")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrMalformedMessage)
	assert.Contains(t, err.Error(), "CreateTime")
}

// FuzzScanFlat checks that parsing gives the same Message, or the same error, as the full
// decoder alone, and a flat envelope the same Encrypt.
func FuzzScanFlat(f *testing.F) {
	for _, s := range []string{
		"<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>1234567890123456</MsgId></xml>",
		"<xml><Content></Content><Location_X>23.1</Location_X><Scale>20</Scale></xml>",
		"<xml><ScanCodeInfo><ScanType>x</ScanType></ScanCodeInfo></xml>",
		"<xml><A>a&amp;b</A></xml>",
		"<xml><Content>a</Content><CreateTime>x</CreateTime><ScanCodeInfo><ScanType>q</ScanType></ScanCodeInfo></xml>",
		"<xml><CreateTime>x</CreateTime></xml>",
		"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt><Encrypt>B</Encrypt></xml>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		// Every document, flat or not: the fast path, or its fallback after some fields were
		// set, gives what the full decoder gives.
		var fast, full Message
		errFast := parseMessageInto(&fast, doc)
		errFull := parseMessageFull(&full, doc)
		if (errFast == nil) != (errFull == nil) || errFast != nil && errFast.Error() != errFull.Error() {
			t.Fatalf("errors differ: fast %v, full %v", errFast, errFull)
		}
		if errFast == nil && !reflect.DeepEqual(fast, full) {
			t.Fatalf("messages differ:\nfast %+v\nfull %+v", fast, full)
		}
		if _, ok := scanFlatFields(doc); !ok {
			return
		}
		// The safe-mode envelope's Encrypt: the same value and place as the full decoder's.
		enc, at, _ := flatEncrypt(doc)
		p := getXMLParser()
		require.NoError(t, p.parse(doc), "the full decoder rejects a flat document")
		var want string
		for _, n := range p.nodes {
			if n.depth == 1 && n.name == "Encrypt" {
				want = n.value
				if n.start >= 0 {
					require.Equal(t, int(n.start), at)
				}
				break
			}
		}
		putXMLParser(p)
		require.Equal(t, want, enc)
	})
}

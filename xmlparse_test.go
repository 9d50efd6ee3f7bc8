package offiaccount

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tnode is a decoded element in a form both decoders can produce.
type tnode struct {
	Name     string
	Text     string // all character data directly inside, concatenated
	Children []*tnode
}

func (n *tnode) String() string {
	var b strings.Builder
	var walk func(*tnode, int)
	walk = func(n *tnode, depth int) {
		fmt.Fprintf(&b, "%s<%s> %q\n", strings.Repeat("  ", depth), n.Name, n.Text)
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// ourTree decodes doc with the package's decoder, keeping mixed content.
func ourTree(doc []byte) (*tnode, error) {
	p := &xmlParser{mixed: true}
	if err := p.parse(string(doc)); err != nil {
		return nil, err
	}
	nodes := make([]*tnode, len(p.nodes))
	for i, n := range p.nodes {
		nodes[i] = &tnode{Name: n.name, Text: n.value}
		if n.parent >= 0 {
			par := nodes[n.parent]
			par.Children = append(par.Children, nodes[i])
		}
	}
	return nodes[0], nil
}

func TestXMLDecoderAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want string // tnode.String of the result
	}{
		{"cdata", "<xml><A><![CDATA[x<y>&z]]></A></xml>", "<xml> \"\"\n  <A> \"x<y>&z\"\n"},
		{"entities", "<xml><A>&lt;&gt;&amp;&apos;&quot;&#65;&#x4e2d;</A></xml>", "<xml> \"\"\n  <A> \"<>&'\\\"A中\"\n"},
		{"split cdata", "<xml><A><![CDATA[a]]]]><![CDATA[>b]]></A></xml>", "<xml> \"\"\n  <A> \"a]]>b\"\n"},
		{"mixed pieces", "<xml><A>a<![CDATA[b]]>c<!-- no -->d</A></xml>", "<xml> \"\"\n  <A> \"abcd\"\n"},
		{"crlf", "<xml><A>a\r\nb\rc<![CDATA[d\r\ne]]>&#13;</A></xml>", "<xml> \"\"\n  <A> \"a\\nb\\ncd\\ne\\r\"\n"},
		{"declaration", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml><A>1</A></xml>\n", "<xml> \"\"\n  <A> \"1\"\n"},
		{"bom", "\xef\xbb\xbf<xml/>", "<xml> \"\"\n"},
		{"attributes", "<xml a=\"1\" b = 'x&amp;&gt;'><A c=\"]]>\"/></xml>", "<xml> \"\"\n  <A> \"\"\n"},
		{"end tag space", "<xml><A>1</A  ></xml >", "<xml> \"\"\n  <A> \"1\"\n"},
		{"nested", "<xml><S><C>2</C><L><item><P>a</P></item><item><P>b</P></item></L></S></xml>",
			"<xml> \"\"\n  <S> \"\"\n    <C> \"2\"\n    <L> \"\"\n      <item> \"\"\n        <P> \"a\"\n      <item> \"\"\n        <P> \"b\"\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Leaves only: the handler's (non-mixed) mode.
			p := &xmlParser{}
			require.NoError(t, p.parse(tc.doc))
			var b strings.Builder
			for _, n := range p.nodes {
				fmt.Fprintf(&b, "%s<%s> %q\n", strings.Repeat("  ", int(n.depth)), n.name, n.value)
			}
			assert.Equal(t, tc.want, b.String())
			for _, n := range p.nodes {
				if n.start >= 0 {
					assert.Equal(t, n.value, tc.doc[n.start:n.end])
				}
			}
			// These documents have no text between elements, so the mixed-content tree
			// is the same as the leaves.
			ours, err := ourTree([]byte(tc.doc))
			require.NoError(t, err)
			assert.Equal(t, tc.want, ours.String())
		})
	}
}

func TestXMLDecoderRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"doctype":            `<!DOCTYPE xml><xml/>`,
		"entity decl":        `<!DOCTYPE x [<!ENTITY e "v">]><xml>&e;</xml>`,
		"billion laughs":     `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml>&lol2;</xml>`,
		"element directive":  `<xml><!ELEMENT a ANY></xml>`,
		"cdata outside":      `<![CDATA[x]]><xml/>`,
		"text outside":       `x<xml/>`,
		"trailing text":      `<xml/>x`,
		"two roots":          `<a/><b/>`,
		"no root":            `  `,
		"unclosed":           `<xml><a>`,
		"mismatch":           `<xml></a>`,
		"stray end":          `</xml>`,
		"namespace":          `<x:xml/>`,
		"non-ascii name":     `<名/>`,
		"digit name":         `<1a/>`,
		"space after <":      `< xml/>`,
		"unknown entity":     `<xml>&foo;</xml>`,
		"no semicolon":       `<xml>&amp</xml>`,
		"bad char ref":       `<xml>&#0;</xml>`,
		"surrogate ref":      `<xml>&#xD800;</xml>`,
		"huge ref":           `<xml>&#99999999999;</xml>`,
		"empty ref":          `<xml>&#;</xml>`,
		"cdata end in text":  `<xml>a]]>b</xml>`,
		"unterminated cdata": `<xml><![CDATA[abc</xml>`,
		"control char":       "<xml>\x00</xml>",
		"control in cdata":   "<xml><![CDATA[\x1b]]></xml>",
		"invalid utf8":       "<xml>\xc3\x28</xml>",
		"fffe":               "<xml>\xef\xbf\xbe</xml>",
		"dashes in comment":  `<xml><!-- a -- b --></xml>`,
		"unterminated comm":  `<xml><!-- a </xml>`,
		"attr unquoted":      `<xml a=1/>`,
		"attr no value":      `<xml a/>`,
		"attr lt":            `<xml a="<"/>`,
		"attr bad entity":    `<xml a="&x;"/>`,
		"attr no space":      `<xml a="1"b="2"/>`,
		"pi in body":         `<xml><?pi x?></xml>`,
		"xml version 2":      `<?xml version="2.0"?><xml/>`,
		"latin1":             `<?xml version="1.0" encoding="ISO-8859-1"?><xml/>`,
		"unterminated pi":    `<?xml version="1.0"<xml/>`,
		"deep":               strings.Repeat("<a>", xmlMaxDepth+1) + strings.Repeat("</a>", xmlMaxDepth+1),
		"wide":               "<xml>" + strings.Repeat("<a/>", xmlMaxNodes) + "</xml>",
		"lone <":             `<xml><</xml>`,
		"eof in tag":         `<xml`,
		"bad empty tag":      `<xml/ >`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := &xmlParser{}
			err := p.parse(doc)
			require.Error(t, err)
			assert.True(t, errors.Is(err, errXMLSyntax))
			assert.Contains(t, err.Error(), "offiaccount: malformed XML at byte ")
		})
	}
}

func TestXMLDecoderDepthLimitIsEnoughForWeChat(t *testing.T) {
	t.Parallel()
	doc := strings.Repeat("<a>", xmlMaxDepth) + strings.Repeat("</a>", xmlMaxDepth)
	require.NoError(t, (&xmlParser{}).parse(doc))
}

// escapeText escapes s as character data, the way any XML writer may, without relying on a
// library whose output differs between Go versions.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;",
		"\n", "&#xA;", "\r", "&#xD;").Replace(s)
}

// normalizeNewlines is XML's end-of-line handling of raw text: CRLF and lone CR become LF.
func normalizeNewlines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// randomDoc builds a WeChat-like document whose text goes through every escaping the format
// allows, and the tree it must decode to: the generator knows the text it escaped, so the
// expected result is stated here, not taken from another decoder.
func randomDoc(r *rand.Rand) ([]byte, *tnode) {
	names := []string{"xml", "ToUserName", "Content", "A", "item", "Location_X", "a.b-c", "_x"}
	alphabet := []string{"a", "Z", "0", " ", "\n", "\t", "\r\n", "\r", "<", ">", "&", "'", "\"", "]", "]]>", "]]", "中", "😀", "\u00e9", "-->", "<![CDATA["}
	text := func() string {
		var b strings.Builder
		for i := r.IntN(8); i > 0; i-- {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	// escape returns the escaped form of s and the text a conforming decoder reads back.
	escape := func(s string) (string, string) {
		switch r.IntN(3) {
		case 0:
			// CDATA keeps raw newlines, which the decoder normalizes.
			return string(AppendCDATA(nil, s)), normalizeNewlines(s)
		case 1:
			return escapeText(s), s
		default:
			esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&#62;", "\r", "&#xD;").Replace(s)
			return esc, s
		}
	}
	var b strings.Builder
	if r.IntN(2) == 0 {
		b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n")
	}
	var elem func(depth int) *tnode
	elem = func(depth int) *tnode {
		name := names[r.IntN(len(names))]
		n := &tnode{Name: name}
		b.WriteString("<" + name)
		if r.IntN(5) == 0 {
			b.WriteString(` k="` + strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;").Replace(text()) + `"`)
		}
		if r.IntN(6) == 0 {
			b.WriteString("/>")
			return n
		}
		b.WriteString(">")
		for i := r.IntN(4); i > 0; i-- {
			switch k := r.IntN(4); {
			case k == 0 && depth < 5:
				n.Children = append(n.Children, elem(depth+1))
			case k == 1:
				b.WriteString("<!--" + strings.ReplaceAll(text(), "-", "_") + "-->")
			default:
				esc, plain := escape(text())
				b.WriteString(esc)
				n.Text += plain
			}
		}
		b.WriteString("</" + name + ">")
		return n
	}
	root := elem(0)
	b.WriteString("\n")
	return []byte(b.String()), root
}

// The decoder reads back exactly what a WeChat-like generator wrote.
func TestXMLDecoderReadsGeneratedDocuments(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		doc, want := randomDoc(r)
		got, err := ourTree(doc)
		require.NoError(t, err, "%q", doc)
		require.Equal(t, want.String(), got.String(), "%q", doc)
	}
}

// TestXMLDecoderAttributeValues states how attribute values are checked: "]]>" is allowed in
// an attribute (XML forbids it in character data only), '<' and unknown entities are not.
// Go 1.22's encoding/xml rejected "]]>" in attributes; this decoder follows the XML spec.
func TestXMLDecoderAttributeValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc string
		ok  bool
	}{
		{`<xml a="]]>"/>`, true},
		{`<xml a="x&amp;&lt;&gt;&#65;&quot;"/>`, true},
		{`<xml a='"'/>`, true},
		{"<xml a=\"\t\r\n\"/>", true},
		{`<xml a="<"/>`, false},
		{`<xml a="&x;"/>`, false},
		{`<xml a="&amp"/>`, false},
	}
	for _, tc := range tests {
		err := (&xmlParser{}).parse(tc.doc)
		if tc.ok {
			assert.NoError(t, err, "%q", tc.doc)
		} else {
			assert.Error(t, err, "%q", tc.doc)
		}
	}
}

// writeTree serializes a decoded tree, text first, then the children, for the round trip.
func writeTree(b *strings.Builder, n *tnode) {
	b.WriteString("<" + n.Name + ">")
	b.WriteString(escapeText(n.Text))
	for _, c := range n.Children {
		writeTree(b, c)
	}
	b.WriteString("</" + n.Name + ">")
}

// FuzzXMLDecoder checks that the decoder never panics, that its two modes agree, that the
// offsets it records point at the values, and that whatever it accepts survives a round trip
// (written back with escaping and decoded again, it gives the same tree).
func FuzzXMLDecoder(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20; i++ {
		doc, _ := randomDoc(r)
		f.Add(doc)
	}
	entries, _ := os.ReadDir(filepath.Join("testdata", "messages"))
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "messages", e.Name()))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY e "v">]><xml>&e;</xml>`))
	f.Add([]byte("<xml a='&#x3c;'><b>&#x10FFFF;</b></xml>"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		ours, err := ourTree(doc)
		if err != nil {
			return
		}
		// Text moves ahead of the children in the rewrite; the tree keeps only their
		// concatenation, so the tree is unchanged.
		var b strings.Builder
		writeTree(&b, ours)
		again, err := ourTree([]byte(b.String()))
		if err != nil {
			t.Fatalf("rewritten document rejected (%v): %q from %q", err, b.String(), doc)
		}
		if again.String() != ours.String() {
			t.Fatalf("round trip changed %q:\nfirst:\n%s\nagain:\n%s", doc, ours, again)
		}
		// The handler's leaf-only mode agrees with the mixed one on leaves,
		// and the offsets it records point at the values.
		p := &xmlParser{}
		if err := p.parse(string(doc)); err != nil {
			t.Fatalf("leaf mode rejects what mixed mode accepts: %v", err)
		}
		pm := &xmlParser{mixed: true}
		_ = pm.parse(string(doc))
		for i, n := range p.nodes {
			if n.leaf && n.value != pm.nodes[i].value {
				t.Fatalf("leaf %s: %q vs %q", n.name, n.value, pm.nodes[i].value)
			}
			if n.start >= 0 && string(doc[n.start:n.end]) != n.value {
				t.Fatalf("offsets of %s point at %q, value %q", n.name, doc[n.start:n.end], n.value)
			}
		}
	})
}

// TestXMLDecoderManyPiecesLinear: a value split into many pieces by comments or CDATA
// sections (what a forged plaintext callback can send) is joined in linear time and memory,
// not by one string concatenation per piece (quadratic: gigabytes for a 1 MiB body).
func TestXMLDecoderManyPiecesLinear(t *testing.T) {
	for _, c := range []struct{ piece, text string }{
		{"a<!---->", "a"}, {"<![CDATA[a]]>", "a"}, {"a<!---->b&amp;", "ab&"},
	} {
		n := (256 << 10) / len(c.piece)
		doc := "<xml><Content>" + strings.Repeat(c.piece, n) + "</Content></xml>"
		p := &xmlParser{}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		require.NoError(t, p.parse(doc))
		runtime.ReadMemStats(&after)
		require.Equal(t, strings.Repeat(c.text, n), p.nodes[1].value, c.piece)
		allocated := after.TotalAlloc - before.TotalAlloc
		assert.Less(t, allocated, uint64(32*len(doc)), "%q: %d bytes allocated for a %d-byte document", c.piece, allocated, len(doc))
	}
}

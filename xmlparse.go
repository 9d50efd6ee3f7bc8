package offiaccount

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// This file holds a small decoder for the flat XML documents WeChat sends
// (<xml><Field><![CDATA[value]]></Field>…</xml>). encoding/xml costs more
// than everything else in a callback round trip put together, and WeChat's
// documents use a tiny subset of XML, so we decode that subset by hand.
//
// The decoder accepts a strict subset of what encoding/xml accepts (the fuzz
// target FuzzXMLDecoder checks this differentially): one root element, ASCII
// element names without namespaces, character data, CDATA sections, the five
// predefined entities and character references, comments, an XML declaration
// and quoted attributes (skipped). It rejects DOCTYPE and every other <!
// directive, so entity declarations ("billion laughs") cannot get in, and it
// bounds nesting depth and element count.

const (
	xmlMaxDepth = 16   // WeChat's deepest document (SendPicsInfo) has depth 5
	xmlMaxNodes = 4096 // WeChat's largest documents have a few dozen elements
)

// xmlNode is one element of a parsed document, in document order.
type xmlNode struct {
	name   string
	value  string // character data directly inside the element (leaves only unless mixed)
	parent int32  // index of the parent element, -1 for the root
	depth  int32  // 0 for the root
	leaf   bool   // no child elements
	// start and end locate value in the document when value is one
	// undecoded piece of it (start < 0 otherwise), so that callers holding
	// the document as bytes can slice it without a copy.
	start, end int32
}

// xmlParser decodes one document at a time; reuse it through xmlParserPool.
type xmlParser struct {
	nodes []xmlNode
	stack []int32
	// mixed keeps the character data of elements that have children too
	// (the differential fuzz test compares it with encoding/xml).
	mixed bool
	// scratch for decoding entity references
	buf []byte
	// acc joins the pieces of nodes[accNode-1]'s value (0: none) split by comments or CDATA
	// sections, in linear time; the value is set from it when a tag or the document ends.
	acc     []byte
	accNode int32
}

var errXMLSyntax = errors.New("offiaccount: malformed XML")

// xmlError describes where and why a document failed to decode. It wraps
// ErrMalformedXML.
type xmlError struct {
	offset int
	msg    string
}

func (e *xmlError) Error() string {
	return "offiaccount: malformed XML at byte " + strconv.Itoa(e.offset) + ": " + e.msg
}

func (e *xmlError) Unwrap() error { return errXMLSyntax }

func xmlErr(offset int, msg string) error { return &xmlError{offset: offset, msg: msg} }

var xmlParserPool = sync.Pool{New: func() any { return new(xmlParser) }}

func getXMLParser() *xmlParser { return xmlParserPool.Get().(*xmlParser) }

func putXMLParser(p *xmlParser) {
	if cap(p.nodes) > 256 || cap(p.buf) > 64<<10 || cap(p.acc) > 64<<10 {
		return // do not keep the memory of one unusual document forever
	}
	clear(p.nodes) // drop string references so documents can be collected
	p.nodes = p.nodes[:0]
	p.stack = p.stack[:0]
	p.mixed = false
	p.accNode = 0
	xmlParserPool.Put(p)
}

// parse decodes doc into p.nodes. Node names and values are substrings of doc
// whenever no decoding is needed, so a typical WeChat document costs no
// allocation beyond the node slice.
func (p *xmlParser) parse(doc string) error {
	p.nodes = p.nodes[:0]
	p.stack = p.stack[:0]
	p.accNode = 0
	i := 0
	// A UTF-8 byte order mark is harmless; encoding/xml treats it as text
	// outside the root element.
	if strings.HasPrefix(doc, "\xef\xbb\xbf") {
		i = 3
	}
	rootDone := false
	for i < len(doc) {
		c := doc[i]
		if c != '<' {
			if len(p.stack) == 0 {
				// Outside the root only white space may appear.
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
					i++
					continue
				}
				return xmlErr(i, "text outside the root element")
			}
			j, err := p.text(doc, i)
			if err != nil {
				return err
			}
			i = j
			continue
		}
		if i+1 >= len(doc) {
			return xmlErr(i, "unexpected end of document")
		}
		switch doc[i+1] {
		case '/':
			j, err := p.endTag(doc, i)
			if err != nil {
				return err
			}
			i = j
			if len(p.stack) == 0 {
				rootDone = true
			}
		case '!':
			switch {
			case strings.HasPrefix(doc[i:], "<![CDATA["):
				if len(p.stack) == 0 {
					return xmlErr(i, "CDATA outside the root element")
				}
				j, err := p.cdata(doc, i)
				if err != nil {
					return err
				}
				i = j
			case strings.HasPrefix(doc[i:], "<!--"):
				end := strings.Index(doc[i+4:], "--")
				if end < 0 {
					return xmlErr(i, "unterminated comment")
				}
				end += i + 4
				if end+2 >= len(doc) || doc[end+2] != '>' {
					return xmlErr(end, `"--" inside a comment`)
				}
				i = end + 3
			default:
				// DOCTYPE, ENTITY and other directives: never in WeChat's
				// documents, and the door to entity expansion attacks.
				return xmlErr(i, "directives (DOCTYPE, ENTITY) are not allowed")
			}
		case '?':
			if len(p.nodes) > 0 {
				return xmlErr(i, "processing instruction after the root element started")
			}
			j, err := procInstruction(doc, i)
			if err != nil {
				return err
			}
			i = j
		default:
			if rootDone {
				return xmlErr(i, "more than one root element")
			}
			j, err := p.startTag(doc, i)
			if err != nil {
				return err
			}
			i = j
			if len(p.stack) == 0 {
				rootDone = true // <root/>
			}
		}
	}
	p.flushText()
	if len(p.stack) > 0 {
		return xmlErr(len(doc), "unexpected end of document: element <"+p.nodes[p.stack[len(p.stack)-1]].name+"> not closed")
	}
	if len(p.nodes) == 0 {
		return xmlErr(len(doc), "no root element")
	}
	return nil
}

func isXMLNameStart(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_'
}

func isXMLNameByte(c byte) bool {
	return isXMLNameStart(c) || '0' <= c && c <= '9' || c == '.' || c == '-'
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// xmlName reads an element or attribute name at doc[i:] and returns its end.
func xmlName(doc string, i int) (int, bool) {
	if i >= len(doc) || !isXMLNameStart(doc[i]) {
		return i, false
	}
	j := i + 1
	for j < len(doc) && isXMLNameByte(doc[j]) {
		j++
	}
	if j < len(doc) && (doc[j] == ':' || doc[j] >= utf8.RuneSelf) {
		return j, false // namespaces and non-ASCII names are not supported
	}
	return j, true
}

func skipSpace(doc string, i int) int {
	for i < len(doc) && isXMLSpace(doc[i]) {
		i++
	}
	return i
}

// startTag reads <name attr="v"…> or <name…/> at doc[i:].
func (p *xmlParser) startTag(doc string, i int) (int, error) {
	nameEnd, ok := xmlName(doc, i+1)
	if !ok {
		return 0, xmlErr(i+1, "expected an element name")
	}
	if len(p.stack) >= xmlMaxDepth {
		return 0, xmlErr(i, "elements nested too deeply")
	}
	p.flushText()
	if len(p.nodes) >= xmlMaxNodes {
		return 0, xmlErr(i, "too many elements")
	}
	parent := int32(-1)
	if n := len(p.stack); n > 0 {
		parent = p.stack[n-1]
		p.nodes[parent].leaf = false
		if !p.mixed {
			p.nodes[parent].value = ""
			p.nodes[parent].start, p.nodes[parent].end = -1, -1
		}
	}
	p.nodes = append(p.nodes, xmlNode{
		name:   doc[i+1 : nameEnd],
		parent: parent,
		depth:  int32(len(p.stack)),
		leaf:   true,
		start:  -1,
		end:    -1,
	})
	idx := int32(len(p.nodes) - 1)
	j := nameEnd
	for {
		k := skipSpace(doc, j)
		if k >= len(doc) {
			return 0, xmlErr(k, "unexpected end of document in a start tag")
		}
		switch doc[k] {
		case '>':
			p.stack = append(p.stack, idx)
			return k + 1, nil
		case '/':
			if k+1 < len(doc) && doc[k+1] == '>' {
				return k + 2, nil
			}
			return 0, xmlErr(k, "expected /> to end an empty element")
		}
		if k == j {
			return 0, xmlErr(k, "expected white space before an attribute")
		}
		// An attribute: WeChat sends none, so it is checked and skipped.
		attrEnd, ok := xmlName(doc, k)
		if !ok {
			return 0, xmlErr(k, "expected an attribute name")
		}
		k = skipSpace(doc, attrEnd)
		if k >= len(doc) || doc[k] != '=' {
			return 0, xmlErr(k, "expected = after an attribute name")
		}
		k = skipSpace(doc, k+1)
		if k >= len(doc) || (doc[k] != '"' && doc[k] != '\'') {
			return 0, xmlErr(k, "expected a quoted attribute value")
		}
		q := doc[k]
		end := strings.IndexByte(doc[k+1:], q)
		if end < 0 {
			return 0, xmlErr(k, "unterminated attribute value")
		}
		val := doc[k+1 : k+1+end]
		if strings.IndexByte(val, '<') >= 0 {
			return 0, xmlErr(k, "< inside an attribute value")
		}
		if _, _, err := p.decodeText(val, k+1, true); err != nil {
			return 0, err
		}
		j = k + 2 + end
	}
}

// endTag reads </name> at doc[i:] and closes the innermost element.
func (p *xmlParser) endTag(doc string, i int) (int, error) {
	nameEnd, ok := xmlName(doc, i+2)
	if !ok {
		return 0, xmlErr(i+2, "expected an element name in an end tag")
	}
	k := skipSpace(doc, nameEnd)
	if k >= len(doc) || doc[k] != '>' {
		return 0, xmlErr(k, "expected > to end an end tag")
	}
	p.flushText()
	n := len(p.stack)
	if n == 0 {
		return 0, xmlErr(i, "end tag without a start tag")
	}
	if name := doc[i+2 : nameEnd]; p.nodes[p.stack[n-1]].name != name {
		return 0, xmlErr(i, "element <"+p.nodes[p.stack[n-1]].name+"> closed by </"+name+">")
	}
	p.stack = p.stack[:n-1]
	return k + 1, nil
}

// text reads character data at doc[i:] up to the next '<'.
func (p *xmlParser) text(doc string, i int) (int, error) {
	end := strings.IndexByte(doc[i:], '<')
	if end < 0 {
		return 0, xmlErr(len(doc), "unexpected end of document in text")
	}
	raw := doc[i : i+end]
	if strings.Contains(raw, "]]>") {
		return 0, xmlErr(i+strings.Index(raw, "]]>"), "]]> outside a CDATA section")
	}
	v, decoded, err := p.decodeText(raw, i, true)
	if err != nil {
		return 0, err
	}
	p.addText(v, i, !decoded)
	return i + end, nil
}

// cdata reads <![CDATA[…]]> at doc[i:].
func (p *xmlParser) cdata(doc string, i int) (int, error) {
	start := i + len("<![CDATA[")
	end := strings.Index(doc[start:], "]]>")
	if end < 0 {
		return 0, xmlErr(i, "unterminated CDATA section")
	}
	v, decoded, err := p.decodeText(doc[start:start+end], start, false)
	if err != nil {
		return 0, err
	}
	p.addText(v, start, !decoded)
	return start + end + 3, nil
}

// addText appends character data to the innermost element. undecoded
// reports that v is doc[start:start+len(v)].
func (p *xmlParser) addText(v string, start int, undecoded bool) {
	if v == "" {
		return
	}
	idx := p.stack[len(p.stack)-1]
	n := &p.nodes[idx]
	if !n.leaf && !p.mixed {
		return
	}
	if p.accNode != idx+1 {
		if n.value == "" {
			n.value, n.start, n.end = v, -1, -1
			if undecoded {
				n.start, n.end = int32(start), int32(start+len(v))
			}
			return
		}
		// A second piece: join them in acc.
		p.flushText()
		p.acc = append(p.acc[:0], n.value...)
		p.accNode = idx + 1
	}
	p.acc = append(p.acc, v...)
	n.start, n.end = -1, -1
}

// flushText sets the value of the node whose pieces acc joins.
func (p *xmlParser) flushText() {
	if p.accNode != 0 {
		p.nodes[p.accNode-1].value = string(p.acc)
		p.accNode = 0
	}
}

// decodeText validates raw character data (UTF-8, XML's character range),
// resolves references when refs is set, and normalises line ends the way
// XML requires. It returns raw itself, and decoded false, when nothing
// changes.
func (p *xmlParser) decodeText(raw string, offset int, refs bool) (v string, decoded bool, err error) {
	if xmlTextClean(raw, refs) { // the common case, word by word
		return raw, false, nil
	}
	clean := true
	for k := 0; k < len(raw); {
		c := raw[k]
		switch {
		case c >= 0x20 && c < utf8.RuneSelf:
			if c == '&' && refs {
				clean = false
			}
			k++
		case c == '\n' || c == '\t':
			k++
		case c == '\r':
			clean = false
			k++
		case c < 0x20:
			return "", false, xmlErr(offset+k, "control character "+strconv.Quote(string(c))+" not allowed in XML")
		default:
			r, size := utf8.DecodeRuneInString(raw[k:])
			if r == utf8.RuneError && size == 1 {
				return "", false, xmlErr(offset+k, "invalid UTF-8")
			}
			if !isXMLChar(r) {
				return "", false, xmlErr(offset+k, "character "+strconv.QuoteRune(r)+" not allowed in XML")
			}
			k += size
		}
	}
	if clean {
		return raw, false, nil
	}
	b := p.buf[:0]
	for k := 0; k < len(raw); k++ {
		c := raw[k]
		switch {
		case c == '\r':
			b = append(b, '\n')
			if k+1 < len(raw) && raw[k+1] == '\n' {
				k++
			}
		case c == '&' && refs:
			semi := strings.IndexByte(raw[k:], ';')
			if semi < 0 {
				return "", false, xmlErr(offset+k, "entity reference without ;")
			}
			var ok bool
			b, ok = appendEntity(b, raw[k+1:k+semi])
			if !ok {
				return "", false, xmlErr(offset+k, "unknown entity reference "+strconv.Quote(raw[k:k+semi+1]))
			}
			k += semi
		default:
			b = append(b, c)
		}
	}
	p.buf = b
	return string(b), true, nil
}

// appendEntity resolves the reference &ref; (ref without & and ;).
func appendEntity(b []byte, ref string) ([]byte, bool) {
	switch ref {
	case "lt":
		return append(b, '<'), true
	case "gt":
		return append(b, '>'), true
	case "amp":
		return append(b, '&'), true
	case "apos":
		return append(b, '\''), true
	case "quot":
		return append(b, '"'), true
	}
	if len(ref) < 2 || ref[0] != '#' {
		return b, false
	}
	digits, base := ref[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if digits == "" || len(digits) > 8 {
		return b, false
	}
	for k := 0; k < len(digits); k++ {
		c := digits[k]
		if !('0' <= c && c <= '9' || base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F')) {
			return b, false
		}
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || !isXMLChar(rune(n)) {
		return b, false
	}
	return utf8.AppendRune(b, rune(n)), true
}

// isXMLChar reports whether r is in XML 1.0's Char production.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// procInstruction skips <?target …?> at doc[i:]. The XML declaration must
// declare version 1.0 and UTF-8 if it declares anything.
func procInstruction(doc string, i int) (int, error) {
	nameEnd, ok := xmlName(doc, i+2)
	if !ok {
		return 0, xmlErr(i+2, "expected a processing instruction target")
	}
	end := strings.Index(doc[nameEnd:], "?>")
	if end < 0 {
		return 0, xmlErr(i, "unterminated processing instruction")
	}
	if doc[i+2:nameEnd] == "xml" {
		content := doc[nameEnd : nameEnd+end]
		if v, ok := pseudoAttr(content, "version"); !ok || v != "" && v != "1.0" {
			return 0, xmlErr(i, "only XML version 1.0 is supported")
		}
		if v, ok := pseudoAttr(content, "encoding"); !ok || v != "" && !strings.EqualFold(v, "utf-8") {
			return 0, xmlErr(i, "only UTF-8 documents are supported")
		}
	}
	return nameEnd + end + 2, nil
}

// pseudoAttr finds name="value" in an XML declaration. It reports false
// when the declaration is too irregular to read with confidence, so that the
// caller rejects it.
func pseudoAttr(content, name string) (string, bool) {
	k := strings.Index(content, name+"=")
	if k < 0 {
		return "", !strings.Contains(content, name)
	}
	if strings.Contains(content[k+len(name):], name) {
		return "", false
	}
	rest := content[k+len(name)+1:]
	if rest == "" || rest[0] != '"' && rest[0] != '\'' {
		return "", false
	}
	end := strings.IndexByte(rest[1:], rest[0])
	if end < 0 {
		return "", false
	}
	return rest[1 : 1+end], true
}

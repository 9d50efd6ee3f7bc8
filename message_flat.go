package offiaccount

import "strings"

// A fast path for the shape nearly every WeChat message has: <xml> holding only leaf
// elements, each with one CDATA section or plain text, white space between them. Anything
// else (nesting, attributes, comments, references, a declaration, text that is not clean)
// goes to the full decoder, so the two agree on every document this one accepts
// (FuzzScanFlat checks it).

// flatMaxFields is the most elements scanFlat takes; WeChat's flat documents have fewer
// than twenty.
const flatMaxFields = 32

// flatField is one leaf element of a flat document. value is doc[at:at+len(value)].
type flatField struct {
	name, value string
	at          int
}

// scanFlat reads a flat document into fields in document order. It reports false, having
// decided nothing, when doc is not of that shape: the caller then uses the full decoder.
func scanFlat(doc string, fields *[flatMaxFields]flatField) (int, bool) {
	const root, rootEnd = "<xml>", "</xml>"
	if !strings.HasPrefix(doc, root) {
		return 0, false
	}
	n := 0
	i := len(root)
	for {
		i = skipSpace(doc, i)
		if i+1 >= len(doc) || doc[i] != '<' {
			return 0, false
		}
		if doc[i+1] == '/' {
			if !strings.HasPrefix(doc[i:], rootEnd) || skipSpace(doc, i+len(rootEnd)) != len(doc) {
				return 0, false
			}
			return n, true
		}
		// <Name>
		nameEnd, ok := xmlName(doc, i+1)
		if !ok || nameEnd >= len(doc) || doc[nameEnd] != '>' || n == flatMaxFields {
			return 0, false
		}
		name := doc[i+1 : nameEnd]
		i = nameEnd + 1
		// The value: one CDATA section, plain text or nothing.
		var value string
		at := i
		if strings.HasPrefix(doc[i:], "<![CDATA[") {
			start := i + len("<![CDATA[")
			end := strings.Index(doc[start:], "]]>")
			if end < 0 {
				return 0, false
			}
			value, at = doc[start:start+end], start
			if !xmlTextClean(value, false) {
				return 0, false
			}
			i = start + end + len("]]>")
		} else {
			end := strings.IndexByte(doc[i:], '<')
			if end < 0 {
				return 0, false
			}
			value = doc[i : i+end]
			if strings.IndexByte(value, ']') >= 0 || !xmlTextClean(value, true) {
				return 0, false // "]]>" is an error, references need decoding
			}
			i += end
		}
		// </Name>
		if len(doc)-i < len(name)+3 || doc[i] != '<' || doc[i+1] != '/' ||
			doc[i+2:i+2+len(name)] != name || doc[i+2+len(name)] != '>' {
			return 0, false
		}
		i += len(name) + 3
		fields[n] = flatField{name, value, at}
		n++
	}
}

// flatEncrypt finds the first Encrypt element of a flat safe-mode envelope: its value and
// where the value starts in doc. ok is false when doc is not flat: the caller then uses the
// full decoder.
func flatEncrypt(doc string) (value string, at int, ok bool) {
	var fields [flatMaxFields]flatField
	n, ok := scanFlat(doc, &fields)
	if !ok {
		return "", 0, false
	}
	for _, f := range fields[:n] {
		if f.name == "Encrypt" {
			return f.value, f.at, true
		}
	}
	return "", 0, true
}

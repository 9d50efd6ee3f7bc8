package offiaccount

import "strings"

// A fast path for the shape nearly every WeChat message has: <xml> holding only leaf
// elements, each with one CDATA section or plain text, white space between them. Anything
// else (nesting, attributes, comments, references, a declaration, text that is not clean)
// goes to the full decoder, so the two agree on every document this one accepts
// (FuzzScanFlat checks it).

// flatMaxFields is the most elements scanFlat takes (the full decoder's own bound is
// xmlMaxNodes); WeChat's flat documents have fewer than twenty.
const flatMaxFields = 32

// scanFlat reads a flat document, calling visit for each leaf element in document order
// with its name, its value and where the value starts (value is doc[at:at+len(value)]). It
// reports false when doc is not of that shape, possibly after some visits: the caller then
// undoes them and uses the full decoder.
func scanFlat(doc string, visit func(name, value string, at int)) bool {
	const root, rootEnd = "<xml>", "</xml>"
	if !strings.HasPrefix(doc, root) {
		return false
	}
	n := 0
	i := len(root)
	for {
		i = skipSpace(doc, i)
		if i+1 >= len(doc) || doc[i] != '<' {
			return false
		}
		if doc[i+1] == '/' {
			if !strings.HasPrefix(doc[i:], rootEnd) || skipSpace(doc, i+len(rootEnd)) != len(doc) {
				return false
			}
			return true
		}
		// <Name>
		nameEnd, ok := xmlName(doc, i+1)
		if !ok || nameEnd >= len(doc) || doc[nameEnd] != '>' || n == flatMaxFields {
			return false
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
				return false
			}
			value, at = doc[start:start+end], start
			if !xmlTextClean(value, false) {
				return false
			}
			i = start + end + len("]]>")
		} else {
			end := strings.IndexByte(doc[i:], '<')
			if end < 0 {
				return false
			}
			value = doc[i : i+end]
			if strings.IndexByte(value, ']') >= 0 || !xmlTextClean(value, true) {
				return false // "]]>" is an error, references need decoding
			}
			i += end
		}
		// </Name>
		if len(doc)-i < len(name)+3 || doc[i] != '<' || doc[i+1] != '/' ||
			doc[i+2:i+2+len(name)] != name || doc[i+2+len(name)] != '>' {
			return false
		}
		i += len(name) + 3
		visit(name, value, at)
		n++
	}
}

// flatEncrypt finds the first Encrypt element of a flat safe-mode envelope: its value and
// where the value starts in doc. ok is false when doc is not flat: the caller then uses the
// full decoder.
func flatEncrypt(doc string) (value string, at int, ok bool) {
	found := false
	ok = scanFlat(doc, func(name, v string, i int) {
		if !found && name == "Encrypt" {
			found, value, at = true, v, i
		}
	})
	if !ok {
		return "", 0, false
	}
	return value, at, true
}

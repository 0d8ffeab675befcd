package feed

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// ToUTF8 returns a fetched feed document as UTF-8, with an XML declaration
// that says UTF-8 or names no encoding, so that a parser reading only UTF-8
// reads it right and one that converts declared encodings (gofeed does)
// does not convert it a second time. contentType is the HTTP Content-Type,
// whose charset parameter is a hint like the XML declaration.
//
// How the encoding is decided:
//   - A byte order mark decides. UTF-16 (with a mark, or recognised from
//     "<?" in two-byte form) is converted; UTF-8 is kept.
//   - Text that is valid UTF-8 and not pure ASCII is UTF-8, whatever the
//     labels say: legacy 8-bit text is practically never valid UTF-8 by
//     chance, while servers and templates often label UTF-8 wrongly.
//   - Otherwise the XML declaration's encoding, then the HTTP charset,
//     ignoring a label that claims UTF-8 for bytes that are not. The
//     declaration comes first because it travels with the document, while
//     an HTTP charset is often a server default (Apache sends ISO-8859-1).
//   - Bytes that are not UTF-8 and carry no usable label are windows-1252,
//     the usual case on the web; it also covers ISO-8859-1, which WHATWG
//     reads as windows-1252 anyway.
//
// A body that is UTF-8 (or unlabelled ASCII) and whose declaration names no
// other encoding comes back unchanged, the same slice.
func ToUTF8(body []byte, contentType string) ([]byte, error) {
	if name, ok := utf16Form(body); ok {
		return decodeToUTF8(body, name)
	}
	declared := declaredEncoding(body)
	labels := []string{declared, httpCharset(contentType)}

	if utf8.Valid(body) {
		if asciiOnly(body) {
			// Same bytes in every ASCII-compatible encoding; only a 7-bit
			// encoding with escapes reads them differently.
			for _, l := range labels {
				if _, name := charset.Lookup(l); name == "iso-2022-jp" {
					return decodeToUTF8(body, name)
				}
			}
		}
		if declared == "" || isUTF8Label(declared) {
			return body, nil
		}
		return rewriteXMLEncoding(body), nil
	}
	for _, l := range labels {
		if _, name := charset.Lookup(l); usableLegacyEncoding(name) {
			return decodeToUTF8(body, name)
		}
	}
	return decodeToUTF8(body, "windows-1252")
}

// utf16Form says whether body is UTF-16 by its byte order mark or, without
// one, by the way "<?" or "<" followed by a letter is spelt.
func utf16Form(b []byte) (name string, ok bool) {
	switch {
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "utf-16be", true
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "utf-16le", true
	case len(b) >= 4 && b[0] == 0 && b[1] == '<' && b[2] == 0 && b[3] != 0:
		return "utf-16be", true
	case len(b) >= 4 && b[0] == '<' && b[1] == 0 && b[2] != 0 && b[3] == 0:
		return "utf-16le", true
	}
	return "", false
}

// usableLegacyEncoding says a label names an encoding worth decoding bytes that
// are not UTF-8 with: not UTF-8 itself, not UTF-16 (recognised from the
// bytes or not at all), not WHATWG's "replacement" that turns everything
// into U+FFFD.
func usableLegacyEncoding(name string) bool {
	switch name {
	case "", "utf-8", "utf-16le", "utf-16be", "replacement":
		return false
	}
	return true
}

func isUTF8Label(label string) bool {
	_, name := charset.Lookup(label)
	return name == "utf-8"
}

// decodeToUTF8 converts body from the named encoding to UTF-8 and makes its
// XML declaration agree.
func decodeToUTF8(body []byte, name string) ([]byte, error) {
	enc, _ := charset.Lookup(name)
	if enc == nil {
		return nil, fmt.Errorf("decode %s: unknown encoding", name)
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	// The decoder drops a matching byte order mark; a UTF-8 one is left
	// off too, the text being plain UTF-8 now.
	out = bytes.TrimPrefix(out, []byte("\uFEFF"))
	return rewriteXMLEncoding(out), nil
}

// httpCharset is the charset parameter of a Content-Type, or "".
func httpCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		return params["charset"]
	}
	// A malformed header may still name a charset plainly.
	for p := range strings.SplitSeq(contentType, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "charset") {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

var (
	xmlDeclRE     = regexp.MustCompile(`^(?:\x{FEFF})?[ \t\r\n]*<\?xml[ \t\r\n][^>]*?\?>`)
	xmlEncodingRE = regexp.MustCompile(`(\sencoding[ \t\r\n]*=[ \t\r\n]*)("[^"]*"|'[^']*')`)
)

// declaredEncoding is the encoding named by the XML declaration at the
// start of body, or "".
func declaredEncoding(body []byte) string {
	decl := xmlDeclRE.Find(body)
	if decl == nil {
		return ""
	}
	m := xmlEncodingRE.FindSubmatch(decl)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(string(m[2][1 : len(m[2])-1]))
}

// rewriteXMLEncoding makes the XML declaration at the start of b, if it
// names an encoding, name UTF-8. It returns b itself when there is nothing
// to change, else a new slice: b is never modified.
func rewriteXMLEncoding(b []byte) []byte {
	loc := xmlDeclRE.FindIndex(b)
	if loc == nil {
		return b
	}
	decl := b[loc[0]:loc[1]]
	fixed := xmlEncodingRE.ReplaceAll(decl, []byte(`${1}"UTF-8"`))
	if bytes.Equal(fixed, decl) {
		return b
	}
	out := make([]byte, 0, len(b)+len(fixed)-len(decl))
	out = append(out, b[:loc[0]]...)
	out = append(out, fixed...)
	return append(out, b[loc[1]:]...)
}

func asciiOnly(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

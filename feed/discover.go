package feed

import (
	"bytes"
	"mime"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// discoverTypes are the link types that announce a feed.
var discoverTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/json":      true,
}

// Discover returns the feeds an HTML page advertises with
// <link rel="alternate" type="application/rss+xml" href="...">
// (or Atom, JSON Feed), in document order and without repeats, each
// resolved against the page's <base href> if it has one, else against
// baseURL, the page's own URL. Links that resolve to anything but http(s)
// are left out, except file URLs on a page that is itself a file.
func Discover(body []byte, baseURL string) []string {
	base, err := url.Parse(baseURL)
	if err != nil {
		base = &url.URL{}
	}
	pageScheme := base.Scheme
	z := html.NewTokenizer(bytes.NewReader(body))
	var out []string
	seen := map[string]bool{}
	sawBase := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out // io.EOF, or the tokenizer gave up on the rest
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr {
			continue
		}
		switch atom.Lookup(name) {
		case atom.Base:
			// Only the first <base href> counts (HTML spec).
			if href := linkAttrs(z)["href"]; !sawBase && href != "" {
				sawBase = true
				if u, err := base.Parse(href); err == nil {
					base = u
				}
			}
		case atom.Link:
			a := linkAttrs(z)
			if !hasRelToken(a["rel"], "alternate") || !discoverTypes[linkMediaType(a["type"])] || a["href"] == "" {
				continue
			}
			u, err := base.Parse(a["href"])
			if err != nil {
				continue
			}
			u.Fragment = ""
			if s := u.Scheme; s != "http" && s != "https" && (s != "file" || pageScheme != "file") {
				continue
			}
			if s := u.String(); !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
}

// linkAttrs reads the current tag's attributes, names lower case, values with
// surrounding space removed; the first of a repeated attribute wins.
func linkAttrs(z *html.Tokenizer) map[string]string {
	m := map[string]string{}
	for {
		k, v, more := z.TagAttr()
		if _, dup := m[string(k)]; !dup {
			m[string(k)] = strings.TrimSpace(string(v))
		}
		if !more {
			return m
		}
	}
}

// hasRelToken says whether the space-separated list holds tok, in any case.
func hasRelToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if strings.EqualFold(f, tok) {
			return true
		}
	}
	return false
}

// linkMediaType is the lower-case type/subtype of a type attribute, without
// parameters.
func linkMediaType(t string) string {
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	t, _, _ = strings.Cut(t, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// htmlStartTags are the tags that open an HTML document and no feed (the
// WHATWG MIME sniffing list, less the comment, which is skipped).
var htmlStartTags = []string{
	"!doctype html", "html", "head", "body", "script", "iframe", "h1", "div",
	"font", "table", "a", "style", "title", "b", "br", "p",
}

// LooksLikeHTML says whether body is an HTML page rather than a feed: after
// a byte order mark, white space, an XML declaration and comments, it
// starts with <!DOCTYPE html>, <html> or another tag only HTML starts with.
// An XHTML page counts; an RSS, Atom or JSON feed does not.
func LooksLikeHTML(body []byte) bool {
	b := bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF"))
	for {
		b = bytes.TrimLeft(b, " \t\r\n\f")
		switch {
		case bytes.HasPrefix(b, []byte("<?")):
			end := bytes.Index(b, []byte("?>"))
			if end < 0 {
				return false
			}
			b = b[end+2:]
			continue
		case bytes.HasPrefix(b, []byte("<!--")):
			end := bytes.Index(b[4:], []byte("-->"))
			if end < 0 {
				return false
			}
			b = b[4+end+3:]
			continue
		}
		break
	}
	if len(b) == 0 || b[0] != '<' {
		return false
	}
	for _, tag := range htmlStartTags {
		n := 1 + len(tag)
		if len(b) > n && bytes.EqualFold(b[1:n], []byte(tag)) {
			if c := b[n]; c == '>' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '/' {
				return true
			}
		}
	}
	return false
}

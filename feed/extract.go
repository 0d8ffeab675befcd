package feed

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlTag spots a body that is already HTML. Anything else is read as
// markdown, of which plain text is a subset: paragraphs stay paragraphs and
// markdown's own syntax (headings, emphasis, links) becomes markup instead of
// noise in the text.
var htmlTag = regexp.MustCompile(`(?i)<(p|div|br|a|ul|ol|li|h[1-6]|blockquote|span|em|strong|b|i|img|table|pre|figure|section|article)\b[^>]*>`)

// extractor turns a raw item body into sanitised HTML and plain text.
type extractor struct {
	policy *bluemonday.Policy
	md     goldmark.Markdown
}

func newExtractor() *extractor {
	p := bluemonday.UGCPolicy()
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return &extractor{policy: p, md: goldmark.New()}
}

// body returns the sanitised HTML and the plain text of raw.
func (e *extractor) body(raw string) (safeHTML, text string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", ""
	}
	h := raw
	if !htmlTag.MatchString(raw) {
		var buf bytes.Buffer
		if err := e.md.Convert([]byte(escapeAngles(raw)), &buf); err == nil {
			h = buf.String()
		} else {
			h = "<p>" + html.EscapeString(raw) + "</p>"
		}
	}
	safeHTML = strings.TrimSpace(e.policy.Sanitize(h))
	return safeHTML, TextFromHTML(safeHTML)
}

// blockElements end a paragraph. <br> counts too: republishers often set
// their header lines ("By ...", "Region: ...") with <br> between them.
var blockElements = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Td: true, atom.Th: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true, atom.Figure: true,
	atom.Figcaption: true, atom.Hr: true, atom.Dd: true, atom.Dt: true, atom.Aside: true,
}

// TextFromHTML returns the readable text of an HTML fragment: entities
// decoded, scripts and styles dropped, one paragraph per block element,
// paragraphs separated by a blank line and white space folded.
func TextFromHTML(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var paras []string
	var cur strings.Builder
	flush := func() {
		if p := strings.Join(strings.Fields(cur.String()), " "); p != "" {
			paras = append(paras, p)
		}
		cur.Reset()
	}
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			flush()
			return strings.Join(paras, "\n\n")
		case html.TextToken:
			if skip == 0 {
				cur.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			tt := z.Token().Type
			if a == atom.Script || a == atom.Style || a == atom.Noscript || a == atom.Template {
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if blockElements[a] {
				flush()
			}
		}
	}
}

// PlainText strips markup from a short string such as a title.
func PlainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.Fields(s), " ")
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(TextFromHTML(s), "\n\n", " ")), " ")
}

// escapeAngles makes a '<' in a text or markdown body literal: such a body
// is not HTML (htmlTag said so), so "<not a tag>" is words, not markup to
// drop. Autolinks (<https://...>) stay, as markdown reads them as links.
func escapeAngles(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '<' {
			rest := strings.ToLower(s[i+1:])
			if !strings.HasPrefix(rest, "http://") && !strings.HasPrefix(rest, "https://") && !strings.HasPrefix(rest, "mailto:") {
				b.WriteString("&lt;")
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

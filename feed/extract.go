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
		if err := e.md.Convert([]byte(raw), &buf); err == nil {
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

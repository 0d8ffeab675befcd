package feed

import (
	"bytes"
	"embed"
	"html/template"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

//go:embed templates/index.html.tmpl
var outTemplateFS embed.FS

var outPageTemplate = template.Must(template.ParseFS(outTemplateFS, "templates/index.html.tmpl"))

// excerptRunes bounds the excerpt shown under each story on the page.
const outExcerptRunes = 300

// WriteHTML writes a self-contained HTML page listing the merged stories:
// each with its title (linked to the representative copy), date, source
// feed, a short excerpt and the other copies under "Also published by"
// (each linked, with its date, and its own title when it was retitled).
//
// The page loads nothing: no script, no external style, font or image (a
// Content-Security-Policy says so too); its CSS is inline, responsive and
// follows prefers-color-scheme. Every string from a feed goes through
// html/template, and only http(s) URLs become links. It links the three
// feeds with <link rel="alternate">: absolute under Meta.BaseURL when it is
// set, else relative (feed.xml, feed.atom, feed.json).
func WriteHTML(w io.Writer, m Meta, entries []Entry) error {
	p, err := Prepare(m, entries)
	if err != nil {
		return err
	}
	return p.WriteHTML(w)
}

// WriteHTML writes the prepared feed as WriteHTML does.
func (pr *Prepared) WriteHTML(w io.Writer) error {
	v := pr.v
	p := outPage{
		Title:       outFirst(v.title, "aggregate"),
		Description: v.description,
		Link:        v.link,
		RSS:         v.base + RSSFile,
		Atom:        v.base + AtomFile,
		JSON:        v.base + JSONFile,
		UpdatedISO:  v.updated.Format(time.RFC3339),
		UpdatedText: outDisplayTime(v.updated),
		Stories:     make([]outStory, len(v.entries)),
	}
	for i := range v.entries {
		e := &v.entries[i]
		s := outStory{
			Title:    e.title,
			Link:     e.link,
			Author:   e.author,
			DateISO:  e.date.Format(time.RFC3339),
			DateText: outDisplayTime(e.date),
			Excerpt:  outExcerpt(e.summary, outExcerptRunes),
		}
		if s.Excerpt == "" {
			// No summary (a body of short paragraphs only): the body's
			// own words, as text.
			s.Excerpt = outExcerpt(TextFromHTML(e.body), outExcerptRunes)
		}
		if rep := e.rep(); rep != nil {
			s.FeedTitle = outFirst(rep.feedTitle, outHost(rep.feedURL), outHost(rep.url))
		}
		if outSameText(s.Author, s.FeedTitle) {
			s.Author = "" // a feed that signs every item with its own name
		}
		seen := map[string]bool{}
		if e.link != "" {
			seen[e.link] = true
		}
		for k, src := range e.sources {
			if k == 0 || (src.url != "" && seen[src.url]) {
				continue
			}
			seen[src.url] = src.url != ""
			c := outCopy{
				URL:       src.url,
				FeedTitle: outFirst(src.feedTitle, outHost(src.url), outHost(src.feedURL), "unknown feed"),
			}
			// The copy's own title only when it differs from the story's:
			// a retitled copy ("Video: ...") is worth seeing, a repeat is not.
			if !outSameText(src.title, e.title) {
				c.Title = src.title
			}
			if !src.published.IsZero() {
				c.DateISO, c.DateText = src.published.Format(time.RFC3339), outDisplayDate(src.published)
			}
			s.Also = append(s.Also, c)
		}
		p.Copies += len(s.Also)
		if len(e.sources) > 0 {
			p.Copies++
		}
		p.Stories[i] = s
	}
	// Render fully before writing so that a template error never leaves
	// half a page in w.
	var buf bytes.Buffer
	if err := outPageTemplate.Execute(&buf, p); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

type outPage struct {
	Title, Description, Link string
	RSS, Atom, JSON          string
	UpdatedISO, UpdatedText  string
	Stories                  []outStory
	Copies                   int // every copy linked on the page, representatives included
}

type outStory struct {
	Title, Link, Author string
	DateISO, DateText   string
	FeedTitle           string
	Excerpt             string
	Also                []outCopy
}

type outCopy struct {
	URL, FeedTitle, Title string // URL is "" when the copy's URL is not http(s); Title "" when it is the story's
	DateISO, DateText     string // "" when the copy has no date
}

func outDisplayTime(t time.Time) string {
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

func outDisplayDate(t time.Time) string {
	return t.UTC().Format("2 Jan 2006")
}

// outSameText reports whether a and b read the same, case and spacing
// aside.
func outSameText(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// outHost returns the host of a URL, or "".
func outHost(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}

// outExcerpt shortens plain text to at most max runes, at a word boundary,
// with an ellipsis, and folds runs of white space into one space.
func outExcerpt(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)[:max]
	cut := len(r)
	for i := len(r) - 1; i > max/2; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:cut]), func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsPunct(c)
	}) + "…"
}

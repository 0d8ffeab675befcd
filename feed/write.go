package feed

// Writing merged entries back out as RSS 2.0, Atom 1.0 and JSON Feed 1.1.
//
// gorilla/feeds maps the generic feed onto its RssFeed, AtomFeed and
// JSONFeed structures; the wrappers below then correct what its defaults get
// wrong (see shared/feedcheck/README.md) and add what it cannot express:
// atom:link rel="self" and rel="related" in RSS, <source url="...">, titles
// on Atom links, and the "_aggregate" extension of JSON Feed items.
//
// Every writer is a pure function of its arguments: no clock, no random
// ids, no map iteration, so the same input gives byte-identical output.
// Times are written in UTC so that the output does not depend on the
// machine's time zone either.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/feeds"
	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/idna"
)

// File names of the four outputs, relative to Meta.BaseURL.
const (
	RSSFile  = "feed.xml"
	AtomFile = "feed.atom"
	JSONFile = "feed.json"
	HTMLFile = "index.html"
)

const (
	outAtomNS = "http://www.w3.org/2005/Atom"
	outDCNS   = "http://purl.org/dc/elements/1.1/"
)

// ErrNoFeedLink is returned by WriteRSS and WriteAtom when neither
// Meta.Link nor Meta.BaseURL is an absolute http(s) URL: RSS needs a channel
// link and Atom a feed id that is an absolute IRI.
var ErrNoFeedLink = errors.New("feed: Meta.Link or Meta.BaseURL must be an absolute http(s) URL")

// WriteRSS writes entries as an RSS 2.0 document.
//
// Each item's guid is Entry.ID with isPermaLink="false", its description is
// the entry's HTML followed by an "Also published by" list, its <source> is
// the representative copy's feed, and every copy other than the
// representative is also given as <atom:link rel="related">. The channel
// carries <atom:link rel="self"> when Meta.BaseURL is set.
func WriteRSS(w io.Writer, m Meta, entries []Entry) error {
	p, err := Prepare(m, entries)
	if err != nil {
		return err
	}
	return p.WriteRSS(w)
}

// WriteRSS writes the prepared feed as WriteRSS does.
func (p *Prepared) WriteRSS(w io.Writer) error {
	v := p.v
	if v.link == "" {
		return ErrNoFeedLink
	}
	f := v.gorilla()
	for _, it := range f.Items {
		// RSS has a single body element: the full HTML goes into
		// <description> rather than into both it and content:encoded.
		it.Description, it.Content = it.Content, ""
	}
	ch := (&feeds.Rss{Feed: f}).RssFeed()
	ch.ManagingEditor = "" // gorilla writes " (Name)" for an author without email

	doc := outRSSDoc{Version: "2.0", AtomNS: outAtomNS, DCNS: outDCNS}
	doc.Channel.RssFeed = ch
	if v.base != "" {
		doc.Channel.Self = &outRSSAtomLink{Href: v.base + RSSFile, Rel: "self", Type: "application/rss+xml"}
	}
	doc.Channel.Items = make([]outRSSItem, len(ch.Items))
	items := ch.Items
	ch.Items = nil // replaced by doc.Channel.Items
	for i, it := range items {
		e := v.entries[i]
		if it.Guid != nil {
			it.Guid.IsPermaLink = "false" // ids are tag:/urn: strings, never permalinks
		}
		it.Author = "" // RSS <author> must be an email; the name goes to dc:creator
		it.Source = "" // gorilla's <source>URL</source> lacks the url attribute
		ri := outRSSItem{Title: it.Title, Link: e.link, RssItem: it, Creator: e.author}
		if rep := e.rep(); rep != nil && rep.feedURL != "" {
			ri.Source = &outRSSSource{URL: rep.feedURL, Title: outFirst(rep.feedTitle, rep.feedURL)}
		}
		for _, s := range e.copies() {
			ri.Related = append(ri.Related, outRSSAtomLink{Href: s.url, Rel: "related", Type: "text/html", Title: s.label()})
		}
		doc.Channel.Items[i] = ri
	}
	return outWriteXML(w, doc)
}

// WriteAtom writes entries as an Atom 1.0 document.
//
// The feed id is Meta.Link (or Meta.BaseURL), its author is Meta.Title so
// that every entry is covered, and it links to itself when Meta.BaseURL is
// set. Each entry links the representative copy as rel="alternate" and
// every other copy as rel="related" with the copy's feed title.
func WriteAtom(w io.Writer, m Meta, entries []Entry) error {
	p, err := Prepare(m, entries)
	if err != nil {
		return err
	}
	return p.WriteAtom(w)
}

// WriteAtom writes the prepared feed as WriteAtom does.
func (p *Prepared) WriteAtom(w io.Writer) error {
	v := p.v
	if v.link == "" {
		return ErrNoFeedLink
	}
	af := (&feeds.Atom{Feed: v.gorilla()}).AtomFeed()
	af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: outFirst(v.title, "aggregate")}}

	af.Link = nil // replaced by doc.TitledLinks, which hold rel=self as well
	doc := outAtomFeed{AtomFeed: af}
	doc.TitledLinks = []outAtomLink{{Href: v.link, Rel: "alternate", Type: "text/html"}}
	if v.base != "" {
		doc.TitledLinks = append(doc.TitledLinks, outAtomLink{Href: v.base + AtomFile, Rel: "self", Type: "application/atom+xml"})
	}
	doc.Entries = make([]outAtomEntry, len(af.Entries))
	atomEntries := af.Entries
	af.Entries = nil // replaced by doc.Entries
	for i, ae := range atomEntries {
		e := v.entries[i]
		ae.Links = nil // replaced by outAtomEntry.TitledLinks
		ae.Summary = nil
		if e.summary != "" {
			ae.Summary = &feeds.AtomSummary{Content: e.summary, Type: "text"}
		}
		if !e.published.IsZero() {
			ae.Published = e.published.Format(time.RFC3339)
		}
		de := outAtomEntry{AtomEntry: ae}
		if e.link != "" {
			de.TitledLinks = append(de.TitledLinks, outAtomLink{Href: e.link, Rel: "alternate", Type: "text/html"})
		}
		for _, s := range e.copies() {
			de.TitledLinks = append(de.TitledLinks, outAtomLink{Href: s.url, Rel: "related", Type: "text/html", Title: s.label()})
		}
		doc.Entries[i] = de
	}
	return outWriteXML(w, doc)
}

// WriteJSON writes entries as a JSON Feed 1.1 document.
//
// Every item has content_html, "authors" (never the deprecated "author"),
// and an "_aggregate" object listing every copy, representative first:
//
//	"_aggregate": {"sources": [{"url": ..., "feed_url": ..., "title": ...,
//	                            "date_published": ...}, ...]}
//
// date_published is omitted when the copy has no date; a URL that is not
// http(s) is written as "". feed_url is set when Meta.BaseURL is.
func WriteJSON(w io.Writer, m Meta, entries []Entry) error {
	p, err := Prepare(m, entries)
	if err != nil {
		return err
	}
	return p.WriteJSON(w)
}

// WriteJSON writes the prepared feed as WriteJSON does.
func (p *Prepared) WriteJSON(w io.Writer) error {
	v := p.v
	jf := (&feeds.JSON{Feed: v.gorilla()}).JSONFeed()
	jf.Author, jf.Authors = nil, nil
	jf.Description = v.description // no fallback: optional in JSON Feed
	if v.base != "" {
		jf.FeedUrl = v.base + JSONFile
	}
	doc := outJSONFeed{JSONFeed: jf, Items: make([]outJSONItem, len(jf.Items))}
	jsonItems := jf.Items
	jf.Items = nil // replaced by doc.Items
	for i, it := range jsonItems {
		e := v.entries[i]
		it.Author = nil // deprecated in 1.1; Authors is kept
		it.Summary = e.summary
		it.ModifiedDate = nil
		if !e.modified.IsZero() {
			t := e.modified
			it.ModifiedDate = &t
		}
		ji := outJSONItem{JSONItem: it, ContentHTML: it.ContentHTML}
		ji.Aggregate.Sources = make([]outJSONSource, len(e.sources))
		for k, s := range e.sources {
			js := outJSONSource{URL: s.rawURL, FeedURL: s.rawFeedURL, Title: s.title}
			if !s.published.IsZero() {
				js.Published = s.published.Format(time.RFC3339)
			}
			ji.Aggregate.Sources[k] = js
		}
		doc.Items[i] = ji
	}
	enc := json.NewEncoder(w)
	// Keep the default escaping of <, > and &: the bytes never contain
	// "<script", even inside a title, should the file be sniffed as HTML.
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// ---- document types -------------------------------------------------------

// outAtomLink is feeds.AtomLink with a title.
type outAtomLink struct {
	XMLName xml.Name `xml:"link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr,omitempty"`
	Type    string   `xml:"type,attr,omitempty"`
	Title   string   `xml:"title,attr,omitempty"`
}

// outRSSAtomLink is an outAtomLink written as <atom:link> inside RSS.
type outRSSAtomLink struct {
	XMLName xml.Name `xml:"atom:link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr,omitempty"`
	Type    string   `xml:"type,attr,omitempty"`
	Title   string   `xml:"title,attr,omitempty"`
}

type outRSSDoc struct {
	XMLName xml.Name      `xml:"rss"`
	Version string        `xml:"version,attr"`
	AtomNS  string        `xml:"xmlns:atom,attr"`
	DCNS    string        `xml:"xmlns:dc,attr"`
	Channel outRSSChannel `xml:"channel"`
}

// outRSSChannel is gorilla's channel plus a self link, with our items: a
// field of the outer struct shadows the embedded field of the same XML name.
type outRSSChannel struct {
	*feeds.RssFeed
	Self  *outRSSAtomLink
	Items []outRSSItem `xml:"item"`
}

// outRSSItem is gorilla's item with a few fields shadowed (an outer field
// hides the embedded field of the same XML name). Title and Link come
// first to keep them at the top of the item.
type outRSSItem struct {
	Title string `xml:"title"`
	Link  string `xml:"link,omitempty"` // gorilla writes <link></link> when there is none
	*feeds.RssItem
	Source  *outRSSSource `xml:"source"` // gorilla writes <source>URL</source>, without url=
	Creator string        `xml:"dc:creator,omitempty"`
	Related []outRSSAtomLink
}

type outRSSSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

// outAtomFeed is gorilla's feed element with our links and entries (its own
// Link and Entries are left nil).
type outAtomFeed struct {
	*feeds.AtomFeed
	TitledLinks []outAtomLink
	Entries     []outAtomEntry `xml:"entry"`
}

// outAtomEntry is gorilla's entry with links that can carry a title (its own
// Links are left nil).
type outAtomEntry struct {
	*feeds.AtomEntry
	TitledLinks []outAtomLink
}

type outJSONFeed struct {
	*feeds.JSONFeed
	Items []outJSONItem `json:"items"` // always present, even when empty
}

type outJSONItem struct {
	*feeds.JSONItem
	ContentHTML string `json:"content_html"`
	Aggregate   struct {
		Sources []outJSONSource `json:"sources"`
	} `json:"_aggregate"`
}

type outJSONSource struct {
	URL       string `json:"url"`
	FeedURL   string `json:"feed_url"`
	Title     string `json:"title"`
	Published string `json:"date_published,omitempty"`
}

func outWriteXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// ---- the view: entries checked and normalised once for every format ------
//
// Helpers here are prefixed "out" to stay clear of the names the parsing
// side of this package uses.

type outView struct {
	title, description string
	link               string // absolute http(s) home page, or ""
	base               string // BaseURL ending in "/", or ""
	updated            time.Time
	entries            []outEntry
}

type outEntry struct {
	id, title, link, author string
	published               time.Time // Entry.Published, UTC, may be zero
	modified                time.Time // Entry.Updated, UTC, may be zero
	date                    time.Time // published, else updated, else feed updated
	updated                 time.Time // updated, else published, else feed updated
	html                    string    // sanitised body plus the "Also published by" list
	body                    string    // the sanitised body alone
	summary                 string
	sources                 []outSource
}

type outSource struct {
	url, feedURL       string // as URIs (see outURL); "" unless http(s)
	rawURL, rawFeedURL string // as given, or "" unless http(s): for _aggregate
	feedTitle, title   string
	published          time.Time
}

// label names a copy for a link title: its feed, else its own title.
func (s outSource) label() string { return outFirst(s.feedTitle, s.title, s.url) }

// rep is the representative copy, or nil.
func (e *outEntry) rep() *outSource {
	if len(e.sources) == 0 {
		return nil
	}
	return &e.sources[0]
}

// copies returns the copies other than the representative that have a
// usable URL, without repeats and without the entry's own link.
func (e *outEntry) copies() []outSource {
	var out []outSource
	seen := map[string]bool{e.link: true}
	for i, s := range e.sources {
		if i == 0 || s.url == "" || seen[s.url] {
			continue
		}
		seen[s.url] = true
		out = append(out, s)
	}
	return out
}

// Prepared is a merged feed made ready to write: the work all formats share
// (sanitising bodies, choosing links, dates and excerpts) done once.
type Prepared struct{ v *outView }

// Prepare does the shared work of writing m and entries.
func Prepare(m Meta, entries []Entry) (*Prepared, error) {
	v, err := newOutView(m, entries)
	if err != nil {
		return nil, err
	}
	return &Prepared{v}, nil
}

func newOutView(m Meta, entries []Entry) (*outView, error) {
	v := &outView{title: strings.TrimSpace(m.Title), description: strings.TrimSpace(m.Description)}
	if m.BaseURL != "" {
		b := outURL(m.BaseURL)
		if b == "" {
			return nil, fmt.Errorf("feed: Meta.BaseURL %q is not an absolute http(s) URL", m.BaseURL)
		}
		if !strings.HasSuffix(b, "/") {
			b += "/"
		}
		v.base = b
	}
	if m.Link != "" {
		if v.link = outURL(m.Link); v.link == "" {
			return nil, fmt.Errorf("feed: Meta.Link %q is not an absolute http(s) URL", m.Link)
		}
	} else {
		v.link = v.base
	}
	v.updated = outUTC(m.Updated)
	if v.updated.IsZero() {
		// Never the clock: the newest entry date, else the Unix epoch.
		for _, e := range entries {
			for _, t := range []time.Time{e.Updated, e.Published} {
				if t = outUTC(t); t.After(v.updated) {
					v.updated = t
				}
			}
		}
		if v.updated.IsZero() {
			v.updated = time.Unix(0, 0).UTC()
		}
	}
	v.entries = make([]outEntry, len(entries))
	for i, e := range entries {
		ev := outEntry{
			id:        strings.TrimSpace(e.ID),
			title:     strings.TrimSpace(e.Title),
			link:      outURL(e.Link),
			author:    strings.TrimSpace(e.Author),
			published: outUTC(e.Published),
			modified:  outUTC(e.Updated),
			summary:   strings.TrimSpace(e.Summary),
		}
		ev.date = outFirstTime(ev.published, ev.modified, v.updated)
		ev.updated = outFirstTime(ev.modified, ev.published, v.updated)
		ev.sources = make([]outSource, len(e.Sources))
		for k, s := range e.Sources {
			ev.sources[k] = outSource{
				url:        outURL(s.URL),
				feedURL:    outURL(s.FeedURL),
				rawURL:     outRawURL(s.URL),
				rawFeedURL: outRawURL(s.FeedURL),
				feedTitle:  strings.TrimSpace(s.FeedTitle),
				title:      strings.TrimSpace(s.Title),
				published:  outUTC(s.Published),
			}
		}
		if ev.link == "" && len(ev.sources) > 0 {
			ev.link = ev.sources[0].url
		}
		if ev.id == "" {
			// Entry.ID should always be set; derive a stable one rather
			// than let gorilla invent a random urn:uuid.
			sum := sha256.Sum256([]byte(ev.link + "\n" + ev.title))
			ev.id = "urn:aggregate:" + hex.EncodeToString(sum[:16])
		}
		if ev.title == "" {
			ev.title = outFirst(ev.link, ev.id)
		}
		body := outHTML(e.HTML)
		if body == "" {
			// Every format wants a body: Atom an entry with content or an
			// alternate link, JSON Feed 1.1 content_html or content_text.
			body = "<p>" + html.EscapeString(outFirst(ev.summary, ev.title)) + "</p>"
		}
		ev.body = body
		ev.html = body + outAlsoHTML(ev.copies())
		v.entries[i] = ev
	}
	return v, nil
}

// gorilla builds the generic gorilla/feeds value the three writers start from.
func (v *outView) gorilla() *feeds.Feed {
	f := &feeds.Feed{
		Title:       outFirst(v.title, "aggregate"),
		Link:        &feeds.Link{Href: v.link, Rel: "alternate"},
		Description: outFirst(v.description, v.title, "aggregate"),
		Updated:     v.updated,
		Items:       make([]*feeds.Item, len(v.entries)),
	}
	for i := range v.entries {
		e := &v.entries[i]
		it := &feeds.Item{
			Id:          e.id,
			IsPermaLink: "false",
			Title:       e.title,
			Description: e.summary,
			Content:     e.html,
			Created:     e.date,
			Updated:     e.updated,
		}
		if e.link != "" {
			it.Link = &feeds.Link{Href: e.link}
		}
		if e.author != "" {
			it.Author = &feeds.Author{Name: e.author}
		}
		f.Items[i] = it
	}
	return f
}

// outAlsoHTML lists the other copies of a story, each linked, with
// its feed's title and its own title.
func outAlsoHTML(copies []outSource) string {
	if len(copies) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<p>Also published by:</p><ul>")
	for _, s := range copies {
		b.WriteString(`<li><a href="`)
		b.WriteString(html.EscapeString(s.url))
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(outFirst(s.feedTitle, s.url)))
		b.WriteString("</a>")
		if s.title != "" {
			b.WriteString(": ")
			b.WriteString(html.EscapeString(s.title))
		}
		b.WriteString("</li>")
	}
	b.WriteString("</ul>")
	return b.String()
}

// ---- small helpers --------------------------------------------------------

var outPolicy = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	return p
}()

// outHTML is the last line of defence before HTML leaves the program:
// Entry.HTML is sanitised upstream, but whatever reaches a feed or the page
// goes through a bluemonday UGC policy again, so no script, event handler or
// javascript: URL is ever emitted.
func outHTML(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return strings.TrimSpace(outPolicy.Sanitize(s))
}

// outURL returns s as an ASCII URI if it is an absolute http or https URL
// with a host, and "" otherwise (javascript:, data:, relative references,
// garbage). An IRI becomes a URI (RFC 3987 3.1): the host through IDNA
// (café.example -> xn--caf-dma.example), other non-ASCII bytes
// percent-encoded, so that validators that want a "uri" accept it.
func outURL(s string) string {
	raw := outRawURL(s)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if host := u.Hostname(); !outIsASCII(host) {
		a, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return ""
		}
		if port := u.Port(); port != "" {
			a += ":" + port
		}
		u.Host = a
	}
	out := u.String()
	if outIsASCII(out) {
		return out
	}
	var b strings.Builder
	for i := 0; i < len(out); i++ {
		if c := out[i]; c >= 0x80 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// outRawURL returns s, trimmed, if it is an absolute http or https URL
// with a host, and "" otherwise.
func outRawURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, " \t\r\n\x00") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return s
	}
	return ""
}

func outIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func outUTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func outFirstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func outFirst(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

package feed_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/feed"
)

// update rewrites testdata/golden from the current writers: go test ./feed -update
//
// Looked up first in case another test file of this binary already defined
// -update (the flag package panics on a second definition).
var update = boolFlag("update", "rewrite testdata/golden/* from the current output")

func boolFlag(name, usage string) func() bool {
	if f := flag.Lookup(name); f != nil {
		return func() bool {
			g, ok := f.Value.(flag.Getter)
			if !ok {
				return false
			}
			b, _ := g.Get().(bool)
			return b
		}
	}
	p := flag.Bool(name, false, usage)
	return func() bool { return *p }
}

// writers maps each output file name to its writer.
var writers = []struct {
	name  string
	write func(io.Writer, feed.Meta, []feed.Entry) error
}{
	{feed.RSSFile, feed.WriteRSS},
	{feed.AtomFile, feed.WriteAtom},
	{feed.JSONFile, feed.WriteJSON},
	{feed.HTMLFile, feed.WriteHTML},
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// goldenInput is the fixed input of the golden files: three stories, one
// published by three feeds, one by a single feed, and one whose body has
// entities and whose title is not ASCII (and that has no date of its own).
func goldenInput() (feed.Meta, []feed.Entry) {
	m := feed.Meta{
		Title:       "Merged Feed",
		Link:        "http://127.0.0.1:8080/",
		Description: "Cross-posted stories, each shown once",
		BaseURL:     "http://127.0.0.1:8080/",
		Updated:     date("2026-05-01T12:00:00Z"),
	}
	entries := []feed.Entry{
		{
			ID:        "tag:aggregate,2026:blog.example.org/posts/rust-2",
			Title:     "Rust 2.0 is out",
			Link:      "https://blog.example.org/posts/rust-2",
			Author:    "Ann Example",
			Published: date("2026-04-30T09:00:00+02:00"),
			Updated:   date("2026-04-30T10:30:00+02:00"),
			HTML:      `<p>The <b>release</b> is out. <a href="https://blog.example.org/notes">Notes</a>.</p>`,
			Summary:   "The release is out. Notes.",
			Sources: []feed.Source{
				{URL: "https://blog.example.org/posts/rust-2", FeedURL: "https://blog.example.org/feed.xml",
					FeedTitle: "Ann's Blog", Title: "Rust 2.0 is out", Published: date("2026-04-30T09:00:00+02:00")},
				{URL: "https://news.example.com/a/1234", FeedURL: "https://news.example.com/rss",
					FeedTitle: "Example News", Title: "Rust 2.0 is out (repost)", Published: date("2026-04-30T11:15:00Z")},
				{URL: "https://mirror.example.net/rust-2.html", FeedURL: "https://mirror.example.net/atom.xml",
					FeedTitle: "Mirror", Title: "Rust 2.0 is out"},
			},
		},
		{
			ID:      "urn:uuid:0b7a5c8e-7f31-4d7c-9a0e-3f2b1c4d5e6f",
			Title:   "A single-source story",
			Link:    "https://solo.example.org/2026/04/single",
			Updated: date("2026-04-29T08:00:00Z"),
			HTML:    "<p>Only one feed carried this.</p>",
			Summary: "Only one feed carried this.",
			Sources: []feed.Source{
				{URL: "https://solo.example.org/2026/04/single", FeedURL: "https://solo.example.org/index.xml",
					FeedTitle: "Solo", Title: "A single-source story"},
			},
		},
		{
			ID:      "tag:aggregate,2026:café.example/crème-brûlée",
			Title:   "Crème brûlée & «Ünïcödé» — 日本語のタイトル",
			Link:    "https://café.example/cr%C3%A8me-br%C3%BBl%C3%A9e",
			HTML:    "<p>Fish &amp; chips &lt;3 &quot;quoted&quot; &#8212; caf&eacute; &copy; 2026</p>",
			Summary: `Fish & chips <3 "quoted" — café © 2026`,
			Sources: []feed.Source{
				{URL: "https://café.example/cr%C3%A8me-br%C3%BBl%C3%A9e", FeedURL: "https://café.example/feed.json",
					FeedTitle: "Café <Blog>", Title: "Crème brûlée & «Ünïcödé» — 日本語のタイトル",
					Published: date("2026-04-28T07:00:00-05:00")},
				{URL: "http://news.example.com/a/99?ref=x&y=1", FeedURL: "http://news.example.com/rss",
					FeedTitle: "Example News", Title: "Crème brûlée"},
			},
		},
	}
	return m, entries
}

// asURI is what the writers make of the fixture's one IRI in standard
// fields (url, link, href); _aggregate keeps URLs as given.
func asURI(s string) string {
	if s == "https://café.example/cr%C3%A8me-br%C3%BBl%C3%A9e" {
		return "https://xn--caf-dma.example/cr%C3%A8me-br%C3%BBl%C3%A9e"
	}
	return s
}

func render(t testing.TB, name string, m feed.Meta, entries []feed.Entry) []byte {
	t.Helper()
	for _, w := range writers {
		if w.name == name {
			var b bytes.Buffer
			if err := w.write(&b, m, entries); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return b.Bytes()
		}
	}
	t.Fatalf("no writer for %s", name)
	return nil
}

func TestGolden(t *testing.T) {
	m, entries := goldenInput()
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			got := render(t, w.name, m, entries)
			path := filepath.Join("testdata", "golden", w.name)
			if update() {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./feed -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (go test ./feed -update rewrites it)\n%s", path, firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + a + "\nwant: " + b
		}
	}
	return "(no line differs)"
}

// TestDeterministic: the same input gives the same bytes, whatever the
// zone the times are expressed in.
func TestDeterministic(t *testing.T) {
	m, entries := goldenInput()
	m2, entries2 := goldenInput()
	zone := time.FixedZone("X", -7*3600)
	m2.Updated = m2.Updated.In(zone)
	for i := range entries2 {
		entries2[i].Published = entries2[i].Published.In(zone)
		entries2[i].Updated = entries2[i].Updated.In(zone)
		for k := range entries2[i].Sources {
			entries2[i].Sources[k].Published = entries2[i].Sources[k].Published.In(zone)
		}
	}
	for _, w := range writers {
		a := render(t, w.name, m, entries)
		b := render(t, w.name, m, entries)
		c := render(t, w.name, m2, entries2)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renders differ", w.name)
		}
		if !bytes.Equal(a, c) {
			t.Errorf("%s: same instants in another zone render differently\n%s", w.name, firstDiff(c, a))
		}
	}
}

type jsonOut struct {
	Version  string            `json:"version"`
	FeedURL  string            `json:"feed_url"`
	HomePage string            `json:"home_page_url"`
	Author   json.RawMessage   `json:"author"`
	Items    []json.RawMessage `json:"items"`
}

type jsonItemOut struct {
	ID            string          `json:"id"`
	URL           string          `json:"url"`
	ContentHTML   *string         `json:"content_html"`
	Author        json.RawMessage `json:"author"`
	Authors       []struct{ Name string }
	DatePublished string `json:"date_published"`
	Aggregate     struct {
		Sources []map[string]string `json:"sources"`
	} `json:"_aggregate"`
}

func TestJSONAggregateSources(t *testing.T) {
	m, entries := goldenInput()
	var doc jsonOut
	if err := json.Unmarshal(render(t, feed.JSONFile, m, entries), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "https://jsonfeed.org/version/1.1" || doc.FeedURL != "http://127.0.0.1:8080/feed.json" || doc.Author != nil {
		t.Errorf("feed: version %q feed_url %q author %s", doc.Version, doc.FeedURL, doc.Author)
	}
	if len(doc.Items) != len(entries) {
		t.Fatalf("%d items, want %d", len(doc.Items), len(entries))
	}
	for i, e := range entries {
		t.Run(e.ID, func(t *testing.T) {
			var it jsonItemOut
			if err := json.Unmarshal(doc.Items[i], &it); err != nil {
				t.Fatal(err)
			}
			if it.ID != e.ID || it.URL != asURI(e.Link) {
				t.Errorf("id %q url %q, want %q %q", it.ID, it.URL, e.ID, asURI(e.Link))
			}
			if it.ContentHTML == nil || *it.ContentHTML == "" {
				t.Error("no content_html")
			}
			if it.Author != nil {
				t.Errorf("deprecated author: %s", it.Author)
			}
			if it.DatePublished == "" {
				t.Error("no date_published")
			}
			got := it.Aggregate.Sources
			if len(got) != len(e.Sources) {
				t.Fatalf("%d sources, want %d", len(got), len(e.Sources))
			}
			for k, s := range e.Sources {
				want := map[string]string{"url": s.URL, "feed_url": s.FeedURL, "title": s.Title}
				if !s.Published.IsZero() {
					want["date_published"] = s.Published.UTC().Format(time.RFC3339)
				}
				if len(got[k]) != len(want) {
					t.Errorf("source %d: %v, want %v", k, got[k], want)
				}
				for key, v := range want {
					if got[k][key] != v {
						t.Errorf("source %d %s = %q, want %q", k, key, got[k][key], v)
					}
				}
			}
		})
	}
}

type atomOut struct {
	ID      string     `xml:"id"`
	Author  []string   `xml:"author>name"`
	Links   []linkOut  `xml:"link"`
	Updated string     `xml:"updated"`
	Entries []entryOut `xml:"entry"`
}

type linkOut struct {
	Rel   string `xml:"rel,attr"`
	Href  string `xml:"href,attr"`
	Title string `xml:"title,attr"`
}

type entryOut struct {
	ID        string    `xml:"id"`
	Updated   string    `xml:"updated"`
	Published string    `xml:"published"`
	Links     []linkOut `xml:"link"`
	Content   struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	} `xml:"content"`
}

func linksWithRel(ls []linkOut, rel string) (hrefs []string) {
	for _, l := range ls {
		if l.Rel == rel {
			hrefs = append(hrefs, l.Href)
		}
	}
	return hrefs
}

func TestAtomLinks(t *testing.T) {
	m, entries := goldenInput()
	var doc atomOut
	if err := xml.Unmarshal(render(t, feed.AtomFile, m, entries), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ID != m.Link || len(doc.Author) != 1 || doc.Author[0] != m.Title || doc.Updated != "2026-05-01T12:00:00Z" {
		t.Errorf("feed id %q author %v updated %q", doc.ID, doc.Author, doc.Updated)
	}
	if got := linksWithRel(doc.Links, "self"); len(got) != 1 || got[0] != "http://127.0.0.1:8080/feed.atom" {
		t.Errorf("self links %v", got)
	}
	if len(doc.Entries) != len(entries) {
		t.Fatalf("%d entries, want %d", len(doc.Entries), len(entries))
	}
	for i, e := range entries {
		got := doc.Entries[i]
		if alt := linksWithRel(got.Links, "alternate"); len(alt) != 1 || alt[0] != asURI(e.Sources[0].URL) {
			t.Errorf("entry %d: alternate %v, want [%s]", i, alt, asURI(e.Sources[0].URL))
		}
		var want []string
		for _, s := range e.Sources[1:] {
			want = append(want, s.URL)
		}
		if rel := linksWithRel(got.Links, "related"); strings.Join(rel, " ") != strings.Join(want, " ") {
			t.Errorf("entry %d: related %v, want %v", i, rel, want)
		}
		for _, l := range got.Links {
			if l.Rel == "related" && l.Title == "" {
				t.Errorf("entry %d: related link %s has no title", i, l.Href)
			}
		}
		if len(e.Sources) > 1 && !strings.Contains(got.Content.Body, "Also published by") {
			t.Errorf("entry %d: content has no 'Also published by' list", i)
		}
		if got.Content.Type != "html" {
			t.Errorf("entry %d: content type %q", i, got.Content.Type)
		}
	}
	// Dates: updated falls back to published, then to the feed's updated.
	wantUpdated := []string{"2026-04-30T08:30:00Z", "2026-04-29T08:00:00Z", "2026-05-01T12:00:00Z"}
	wantPublished := []string{"2026-04-30T07:00:00Z", "", ""}
	for i := range entries {
		if doc.Entries[i].Updated != wantUpdated[i] || doc.Entries[i].Published != wantPublished[i] {
			t.Errorf("entry %d: updated %q published %q, want %q %q", i,
				doc.Entries[i].Updated, doc.Entries[i].Published, wantUpdated[i], wantPublished[i])
		}
	}
}

type rssOut struct {
	Channel struct {
		ManagingEditor *string `xml:"managingEditor"`
		Links          []struct {
			Space string `xml:"xmlns,attr"`
			Rel   string `xml:"rel,attr"`
			Href  string `xml:"href,attr"`
		} `xml:"http://www.w3.org/2005/Atom link"`
		PubDate string `xml:"pubDate"`
		Items   []struct {
			Guid struct {
				IsPermaLink string `xml:"isPermaLink,attr"`
				ID          string `xml:",chardata"`
			} `xml:"guid"`
			PubDate string `xml:"pubDate"`
			Source  struct {
				URL   string `xml:"url,attr"`
				Title string `xml:",chardata"`
			} `xml:"source"`
			Description string    `xml:"description"`
			Related     []linkOut `xml:"http://www.w3.org/2005/Atom link"`
			Creator     string    `xml:"http://purl.org/dc/elements/1.1/ creator"`
		} `xml:"item"`
	} `xml:"channel"`
}

func TestRSS(t *testing.T) {
	m, entries := goldenInput()
	var doc rssOut
	if err := xml.Unmarshal(render(t, feed.RSSFile, m, entries), &doc); err != nil {
		t.Fatal(err)
	}
	ch := doc.Channel
	if ch.ManagingEditor != nil {
		t.Errorf("managingEditor %q without an email", *ch.ManagingEditor)
	}
	if len(ch.Links) != 1 || ch.Links[0].Rel != "self" || ch.Links[0].Href != "http://127.0.0.1:8080/feed.xml" {
		t.Errorf("atom:link self: %+v", ch.Links)
	}
	if ch.PubDate != "Fri, 01 May 2026 12:00:00 +0000" {
		t.Errorf("channel pubDate %q", ch.PubDate)
	}
	wantDates := []string{"Thu, 30 Apr 2026 07:00:00 +0000", "Wed, 29 Apr 2026 08:00:00 +0000", "Fri, 01 May 2026 12:00:00 +0000"}
	for i, e := range entries {
		it := ch.Items[i]
		if it.Guid.ID != e.ID || it.Guid.IsPermaLink != "false" {
			t.Errorf("item %d: guid %+v", i, it.Guid)
		}
		if it.PubDate != wantDates[i] {
			t.Errorf("item %d: pubDate %q, want %q", i, it.PubDate, wantDates[i])
		}
		d, err := time.Parse(time.RFC1123Z, it.PubDate)
		if err != nil || d.Format(time.RFC1123Z) != it.PubDate {
			t.Errorf("item %d: pubDate %q does not round-trip (weekday?): %v", i, it.PubDate, err)
		}
		if it.Source.URL != strings.Replace(e.Sources[0].FeedURL, "café", "xn--caf-dma", 1) || it.Source.Title != e.Sources[0].FeedTitle {
			t.Errorf("item %d: source %+v", i, it.Source)
		}
		if rel := linksWithRel(it.Related, "related"); len(rel) != len(e.Sources)-1 {
			t.Errorf("item %d: related %v", i, rel)
		}
		if has := strings.Contains(it.Description, "Also published by"); has != (len(e.Sources) > 1) {
			t.Errorf("item %d: 'Also published by' in description = %v", i, has)
		}
		if it.Creator != e.Author {
			t.Errorf("item %d: dc:creator %q, want %q", i, it.Creator, e.Author)
		}
	}
}

// hostile returns input that tries to get script, javascript: links and
// markup through every writer.
func hostile() (feed.Meta, []feed.Entry) {
	m := feed.Meta{Title: `Feed <script>alert("t")</script>`, Link: "https://agg.example/", BaseURL: "https://agg.example/",
		Description: `<img src=x onerror=alert(2)>`, Updated: date("2026-05-01T12:00:00Z")}
	return m, []feed.Entry{{
		ID:      "tag:aggregate,2026:hostile",
		Title:   "<script>alert(1)</script>",
		Link:    "javascript:alert(3)",
		Author:  `"><script>alert(4)</script>`,
		HTML:    `<p onclick="alert(5)">hi<script>alert(6)</script><a href="javascript:alert(7)">x</a><img src="data:text/html,alert(8)" onerror="alert(9)"></p>`,
		Summary: "<b>not bold</b>",
		Sources: []feed.Source{
			{URL: "javascript:alert(3)", FeedURL: "javascript:alert(10)", FeedTitle: "<i>Evil</i>", Title: "<script>alert(1)</script>"},
			{URL: " JavaScript:alert(11)", FeedURL: "data:text/html,x", FeedTitle: "Copy <b>", Title: "x"},
			{URL: "vbscript:msgbox(12)", FeedTitle: "VB"},
			{URL: "//evil.example/relative", FeedTitle: "Relative"},
			{URL: "https://ok.example/story", FeedURL: "https://ok.example/feed", FeedTitle: "Fine", Title: "fine"},
		},
	}, {
		// Nothing usable at all: no link, no body, no title, no source.
		ID: "tag:aggregate,2026:bare",
	}}
}

func TestHostileInput(t *testing.T) {
	m, entries := hostile()
	// Nowhere in any output, raw or escaped: script-capable URLs, and a
	// literal "<script" (XML and JSON escape "<" in text).
	rawBad := regexp.MustCompile(`(?i)<script|javascript:|vbscript:|data:text|href="//`)
	// Nowhere in the HTML that readers render (RSS description, Atom
	// content, JSON content_html, and the page itself): event handlers and
	// unwanted elements in real tags.
	htmlBad := regexp.MustCompile(`(?i)<script|<img|<[a-z][^>]*\son[a-z]+\s*=|javascript:|href="//`)
	for _, w := range writers {
		t.Run(w.name, func(t *testing.T) {
			raw := render(t, w.name, m, entries)
			out := string(raw)
			if loc := rawBad.FindStringIndex(out); loc != nil {
				t.Errorf("emitted %q in ...%s...", out[loc[0]:loc[1]], out[max(0, loc[0]-60):min(len(out), loc[1]+60)])
			}
			if !strings.Contains(out, "https://ok.example/story") {
				t.Error("the one safe copy is missing")
			}
			var bodies []string
			switch w.name {
			case feed.RSSFile:
				var doc rssOut
				if err := xml.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				bodies = append(bodies, doc.Channel.Items[0].Description)
			case feed.AtomFile:
				var doc atomOut
				if err := xml.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				bodies = append(bodies, doc.Entries[0].Content.Body)
			case feed.JSONFile:
				var doc jsonOut
				var it jsonItemOut
				if err := json.Unmarshal(raw, &doc); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(doc.Items[0], &it); err != nil {
					t.Fatal(err)
				}
				bodies = append(bodies, *it.ContentHTML)
			case feed.HTMLFile:
				bodies = append(bodies, out)
			}
			for _, b := range bodies {
				if loc := htmlBad.FindStringIndex(b); loc != nil {
					t.Errorf("HTML has %q in ...%s...", b[loc[0]:loc[1]], b[max(0, loc[0]-60):min(len(b), loc[1]+60)])
				}
				if w.name != feed.HTMLFile && !strings.Contains(b, ">hi") {
					t.Errorf("the harmless text of the body is gone: %s", b)
				}
			}
		})
	}
	page := string(render(t, feed.HTMLFile, m, entries))
	for _, want := range []string{
		"<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>", // no link: the representative's URL is javascript:
		"&lt;i&gt;Evil&lt;/i&gt;",
		"&lt;b&gt;not bold&lt;/b&gt;",
		`<a href="https://ok.example/story">Fine</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	var doc jsonOut
	if err := json.Unmarshal(render(t, feed.JSONFile, m, entries), &doc); err != nil {
		t.Fatal(err)
	}
	var it jsonItemOut
	if err := json.Unmarshal(doc.Items[0], &it); err != nil {
		t.Fatal(err)
	}
	if len(it.Aggregate.Sources) != 5 || it.Aggregate.Sources[0]["url"] != "" || it.Aggregate.Sources[4]["url"] != "https://ok.example/story" {
		t.Errorf("_aggregate.sources keeps every copy but only http(s) URLs: %v", it.Aggregate.Sources)
	}
}

func TestHTMLPage(t *testing.T) {
	m, entries := goldenInput()
	page := string(render(t, feed.HTMLFile, m, entries))
	for _, want := range []string{
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`prefers-color-scheme: dark`,
		`<link rel="alternate" type="application/rss+xml" title="Merged Feed (RSS)" href="http://127.0.0.1:8080/feed.xml">`,
		`<link rel="alternate" type="application/atom+xml" title="Merged Feed (Atom)" href="http://127.0.0.1:8080/feed.atom">`,
		`<link rel="alternate" type="application/feed+json" title="Merged Feed (JSON Feed)" href="http://127.0.0.1:8080/feed.json">`,
		`<a href="https://blog.example.org/posts/rust-2">Rust 2.0 is out</a>`,
		`Ann&#39;s Blog`,
		`<a href="https://news.example.com/a/1234">Example News</a>: Rust 2.0 is out (repost)`,
		`<a href="https://mirror.example.net/rust-2.html">Mirror</a>`,
		`Crème brûlée &amp; «Ünïcödé» — 日本語のタイトル`,
		`Café &lt;Blog&gt;`,
		`<time datetime="2026-04-30T07:00:00Z">30 Apr 2026, 07:00 UTC</time>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if n := strings.Count(page, "Also published by"); n != 2 {
		t.Errorf("%d 'Also published by' sections, want 2 (single-source story has none)", n)
	}
	// Nothing is fetched from anywhere: no script, no external resources.
	for _, bad := range []string{"<script", "<img", "@import", "url(", "<iframe", `rel="stylesheet"`} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %s", bad)
		}
	}

	// Without a BaseURL the feed links are relative.
	m.BaseURL = ""
	page = string(render(t, feed.HTMLFile, m, entries))
	for _, want := range []string{`href="feed.xml"`, `href="feed.atom"`, `href="feed.json"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page without BaseURL lacks %s", want)
		}
	}
}

func TestHTMLExcerptIsShort(t *testing.T) {
	m, entries := goldenInput()
	entries[0].Summary = strings.Repeat("word ", 500)
	page := string(render(t, feed.HTMLFile, m, entries[:1]))
	i := strings.Index(page, `<p class="excerpt">`)
	j := strings.Index(page[i:], "</p>")
	ex := page[i+len(`<p class="excerpt">`) : i+j]
	if n := len([]rune(ex)); n > 301 || !strings.HasSuffix(ex, "word…") {
		t.Errorf("excerpt of %d runes: %q", n, ex)
	}
}

func TestMeta(t *testing.T) {
	_, entries := goldenInput()
	for _, tc := range []struct {
		name    string
		meta    feed.Meta
		wantErr map[string]bool // by file name; missing means no error
	}{
		{"no link at all", feed.Meta{Title: "x"}, map[string]bool{feed.RSSFile: true, feed.AtomFile: true}},
		{"base only", feed.Meta{Title: "x", BaseURL: "http://127.0.0.1:8080/agg"}, nil},
		{"link only", feed.Meta{Title: "x", Link: "https://agg.example/"}, nil},
		{"relative base", feed.Meta{Title: "x", Link: "https://agg.example/", BaseURL: "/feeds/"},
			map[string]bool{feed.RSSFile: true, feed.AtomFile: true, feed.JSONFile: true, feed.HTMLFile: true}},
		{"javascript link", feed.Meta{Title: "x", Link: "javascript:alert(1)"},
			map[string]bool{feed.RSSFile: true, feed.AtomFile: true, feed.JSONFile: true, feed.HTMLFile: true}},
	} {
		for _, w := range writers {
			t.Run(tc.name+"/"+w.name, func(t *testing.T) {
				var b bytes.Buffer
				err := w.write(&b, tc.meta, entries)
				if (err != nil) != tc.wantErr[w.name] {
					t.Fatalf("err = %v, want error: %v", err, tc.wantErr[w.name])
				}
				if tc.name == "no link at all" && err != nil && !errors.Is(err, feed.ErrNoFeedLink) {
					t.Errorf("err = %v, want ErrNoFeedLink", err)
				}
			})
		}
	}
	// A BaseURL without a trailing slash still yields BaseURL/feed.xml.
	var b bytes.Buffer
	if err := feed.WriteRSS(&b, feed.Meta{Title: "x", BaseURL: "http://127.0.0.1:8080/agg"}, entries); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `href="http://127.0.0.1:8080/agg/feed.xml"`) {
		t.Errorf("self link:\n%s", b.String())
	}
}

// TestNoEntries: an empty feed is still a valid document in every format.
func TestNoEntries(t *testing.T) {
	m, _ := goldenInput()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(render(t, feed.JSONFile, m, nil), &doc); err != nil {
		t.Fatal(err)
	}
	if string(doc["items"]) != "[]" {
		t.Errorf(`JSON Feed "items" = %s, want []`, doc["items"])
	}
	for _, name := range []string{feed.RSSFile, feed.AtomFile, feed.HTMLFile} {
		if out := render(t, name, m, nil); len(out) == 0 {
			t.Errorf("%s: empty output", name)
		}
	}
}

// TestZeroMetaUpdated: without Meta.Updated the feed date is the newest
// entry date, never the clock.
func TestZeroMetaUpdated(t *testing.T) {
	m, entries := goldenInput()
	m.Updated = time.Time{}
	var doc atomOut
	if err := xml.Unmarshal(render(t, feed.AtomFile, m, entries), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Updated != "2026-04-30T08:30:00Z" {
		t.Errorf("feed updated %q, want the newest entry's", doc.Updated)
	}
	if got := doc.Entries[2].Updated; got != "2026-04-30T08:30:00Z" {
		t.Errorf("undated entry updated %q", got)
	}
}

func ExampleWriteJSON() {
	m := feed.Meta{
		Title:   "Merged",
		Link:    "https://agg.example/",
		BaseURL: "https://agg.example/",
		Updated: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
	}
	entries := []feed.Entry{{
		ID:        "tag:aggregate,2026:one",
		Title:     "One story",
		Link:      "https://a.example/1",
		Published: time.Date(2026, 4, 30, 9, 0, 0, 0, time.UTC),
		HTML:      "<p>Body</p>",
		Sources: []feed.Source{
			{URL: "https://a.example/1", FeedURL: "https://a.example/feed", FeedTitle: "A", Title: "One story",
				Published: time.Date(2026, 4, 30, 9, 0, 0, 0, time.UTC)},
			{URL: "https://b.example/x", FeedURL: "https://b.example/rss", FeedTitle: "B", Title: "One story (copy)"},
		},
	}}
	if err := feed.WriteJSON(os.Stdout, m, entries); err != nil {
		panic(err)
	}
	// Output:
	// {
	//   "version": "https://jsonfeed.org/version/1.1",
	//   "title": "Merged",
	//   "home_page_url": "https://agg.example/",
	//   "feed_url": "https://agg.example/feed.json",
	//   "items": [
	//     {
	//       "id": "tag:aggregate,2026:one",
	//       "url": "https://a.example/1",
	//       "title": "One story",
	//       "date_published": "2026-04-30T09:00:00Z",
	//       "content_html": "\u003cp\u003eBody\u003c/p\u003e\u003cp\u003eAlso published by:\u003c/p\u003e\u003cul\u003e\u003cli\u003e\u003ca href=\"https://b.example/x\"\u003eB\u003c/a\u003e: One story (copy)\u003c/li\u003e\u003c/ul\u003e",
	//       "_aggregate": {
	//         "sources": [
	//           {
	//             "url": "https://a.example/1",
	//             "feed_url": "https://a.example/feed",
	//             "title": "One story",
	//             "date_published": "2026-04-30T09:00:00Z"
	//           },
	//           {
	//             "url": "https://b.example/x",
	//             "feed_url": "https://b.example/rss",
	//             "title": "One story (copy)"
	//           }
	//         ]
	//       }
	//     }
	//   ]
	// }
}

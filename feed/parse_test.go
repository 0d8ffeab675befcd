package feed

import (
	"strings"
	"testing"
	"time"
)

func TestParseFormats(t *testing.T) {
	tests := []struct {
		name, doc string
		title     string
		items     int
		first     Item // fields checked when set
	}{
		{"rss 2.0", `<?xml version="1.0"?><rss version="2.0"><channel><title>Site &amp; Co</title><link>https://site.example/</link>
<item><title>First</title><link>https://site.example/a?utm_source=rss&amp;id=3#top</link><guid>https://site.example/a</guid>
<pubDate>Tue, 03 Mar 2026 10:00:00 +0100</pubDate><description>&lt;p&gt;Hello &amp;amp; welcome&lt;/p&gt;</description></item>
<item><title>Second</title><link>/b</link></item></channel></rss>`,
			"Site & Co", 2, Item{Title: "First", Link: "https://site.example/a?id=3", GUID: "https://site.example/a", Text: "Hello & welcome", Published: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)}},
		{"rss 0.91", `<rss version="0.91"><channel><title>Old</title><link>http://old.example/</link><description>d</description>
<item><title>Only</title><link>http://old.example/1</link><description>Plain words here.</description></item></channel></rss>`,
			"Old", 1, Item{Title: "Only", Text: "Plain words here."}},
		{"rss 1.0", `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example/"><title>RDF</title><link>https://rdf.example/</link><description>x</description></channel>
<item rdf:about="https://rdf.example/1"><title>One</title><link>https://rdf.example/1</link><dc:date>2026-04-01T10:00:00+00:00</dc:date><description>First paragraph.

Second **paragraph**.</description></item></rdf:RDF>`,
			"RDF", 1, Item{Link: "https://rdf.example/1", Text: "First paragraph.\n\nSecond paragraph.", Published: time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)}},
		{"atom", `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id>
<link href="https://atom.example/"/><updated>2026-04-01T00:00:00Z</updated>
<entry><title>Entry</title><id>tag:atom.example,2026:1</id><link rel="alternate" href="https://atom.example/1"/>
<updated>2026-04-02T00:00:00Z</updated><author><name>Ann</name></author><content type="text">Line one &lt;not a tag&gt;

Line two</content></entry></feed>`,
			"Atom", 1, Item{GUID: "tag:atom.example,2026:1", Author: "Ann", Text: "Line one <not a tag>\n\nLine two", Published: time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)}},
		{"json feed", `{"version":"https://jsonfeed.org/version/1.1","title":"JSON","home_page_url":"https://json.example/",
"items":[{"id":"1","url":"https://json.example/1","title":"J","date_published":"2026-04-03T12:00:00Z","content_text":"Text body.","authors":[{"name":"Bo"}]}]}`,
			"JSON", 1, Item{GUID: "1", Author: "Bo", Text: "Text body."}},
	}
	p := NewParser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := p.Parse("https://feeds.example/x", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if f.Title != tt.title || len(f.Items) != tt.items {
				t.Fatalf("title %q items %d, want %q %d", f.Title, len(f.Items), tt.title, tt.items)
			}
			got, want := f.Items[0], tt.first
			check := func(field, g, w string) {
				if w != "" && g != w {
					t.Errorf("%s = %q, want %q", field, g, w)
				}
			}
			check("Title", got.Title, want.Title)
			check("Link", got.Link, want.Link)
			check("GUID", got.GUID, want.GUID)
			check("Author", got.Author, want.Author)
			check("Text", got.Text, want.Text)
			if !want.Published.IsZero() && !got.Published.Equal(want.Published) {
				t.Errorf("Published = %v, want %v", got.Published, want.Published)
			}
			if got.FeedURL != "https://feeds.example/x" || got.FeedTitle != tt.title {
				t.Errorf("feed fields %q %q", got.FeedURL, got.FeedTitle)
			}
		})
	}
}

func TestParseRelativeLink(t *testing.T) {
	f, err := NewParser().Parse("https://feeds.example/rss", []byte(`<rss version="2.0"><channel><title>t</title><link>https://site.example/blog/</link>
<item><title>a</title><link>post/1</link></item></channel></rss>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Items[0].Link; got != "https://site.example/blog/post/1" {
		t.Errorf("link = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"empty":     "  \n",
		"html page": "<!doctype html><html><body><p>not a feed</p></body></html>",
		"truncated": `<rss version="2.0"><channel><title>t</title><item><title>a`,
		"garbage":   "\x00\x01 what",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewParser().Parse("https://feeds.example/bad", []byte(doc))
			if err == nil {
				t.Fatal("parsed")
			}
			if !strings.Contains(err.Error(), "https://feeds.example/bad") {
				t.Errorf("error %q does not name the feed", err)
			}
		})
	}
}

func TestBodies(t *testing.T) {
	tests := []struct {
		name, raw  string
		text       string
		htmlHas    []string
		htmlHasNot []string
	}{
		{"html with script and handlers", `<p>Hello <b>world</b></p><script>alert(1)</script><p onclick="x()">Two <a href="javascript:alert(1)">bad</a> <a href="https://ok.example/">ok</a></p><img src="x" onerror="alert(1)">`,
			"Hello world\n\nTwo bad ok", []string{"<b>world</b>", `href="https://ok.example/"`}, []string{"script", "onclick", "javascript:", "onerror"}},
		{"markdown", "## Heading\n\nSome *emphasis* and a [link](https://l.example/).\n\n- one\n- two",
			"Heading\n\nSome emphasis and a link.\n\none\n\ntwo", []string{"<h2>Heading</h2>", "<em>emphasis</em>"}, nil},
		{"plain text paragraphs", "First line\nstill first.\n\nSecond & last.",
			"First line still first.\n\nSecond & last.", []string{"<p>Second &amp; last.</p>"}, nil},
		{"br-separated header lines", "<p>By Staff<br>Region: World<br/>Theme: War</p><p>Body text.</p>",
			"By Staff\n\nRegion: World\n\nTheme: War\n\nBody text.", nil, nil},
		{"entities and nbsp", "<p>Caf&eacute;&nbsp;&amp; co &#8212; done</p>", "Café & co — done", nil, nil},
		{"raw html in markdown is escaped", "Text <script>alert(1)</script> here", "", nil, []string{"<script"}},
	}
	ex := newExtractor()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, text := ex.body(tt.raw)
			if tt.text != "" && text != tt.text {
				t.Errorf("text\n got %q\nwant %q", text, tt.text)
			}
			for _, s := range tt.htmlHas {
				if !strings.Contains(h, s) {
					t.Errorf("html %q lacks %q", h, s)
				}
			}
			for _, s := range tt.htmlHasNot {
				if strings.Contains(strings.ToLower(h), s) {
					t.Errorf("html %q has %q", h, s)
				}
			}
		})
	}
}

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, base, want string }{
		{"https://Example.ORG/a?utm_source=rss&utm_medium=feed&id=2#frag", "", "https://example.org/a?id=2"},
		{"http://example.org:80", "", "http://example.org/"},
		{"https://example.org:443/x?fbclid=1&gclid=2", "", "https://example.org/x"},
		{"/p/1?b=2&a=1", "https://site.example/blog/", "https://site.example/p/1?b=2&a=1"},
		{"  https://e.example/x?UTM_Campaign=z  ", "", "https://e.example/x"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := CanonicalURL(tt.in, tt.base); got != tt.want {
			t.Errorf("CanonicalURL(%q, %q) = %q, want %q", tt.in, tt.base, got, tt.want)
		}
	}
}

func TestSafeURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://a.example/": true, "http://a.example/x": true,
		"javascript:alert(1)": false, "JaVaScRiPt:alert(1)": false, "data:text/html,x": false, "/relative": false, "": false,
	} {
		if got := SafeURL(u); got != want {
			t.Errorf("SafeURL(%q) = %v", u, got)
		}
	}
}

func TestTrimTitleAffixes(t *testing.T) {
	items := []Item{{Title: "One story | The Long View"}, {Title: "Two | The Long View"}, {Title: "Three - a subtitle"}}
	trimTitleAffixes(items)
	want := []string{"One story", "Two", "Three - a subtitle"}
	for i, it := range items {
		if it.Title != want[i] {
			t.Errorf("title %d = %q, want %q", i, it.Title, want[i])
		}
	}
	single := []Item{{Title: "Alone | Site"}}
	trimTitleAffixes(single)
	if single[0].Title != "Alone | Site" {
		t.Errorf("one title is not enough to learn a suffix: %q", single[0].Title)
	}
}

func TestMinInterval(t *testing.T) {
	tests := []struct {
		name, doc string
		want      time.Duration
	}{
		{"ttl", `<rss version="2.0"><channel><title>t</title><link>https://a.example/</link><ttl>90</ttl></channel></rss>`, 90 * time.Minute},
		{"sy", `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title><link>https://a.example/</link>
<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency></channel></rss>`, 6 * time.Hour},
		{"larger wins", `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title><link>https://a.example/</link>
<ttl>600</ttl><sy:updatePeriod>hourly</sy:updatePeriod></channel></rss>`, 10 * time.Hour},
		{"none", `<rss version="2.0"><channel><title>t</title><link>https://a.example/</link></channel></rss>`, 0},
		{"atom", `<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated></feed>`, 0},
	}
	for _, tt := range tests {
		f, err := NewParser().Parse("https://a.example/feed", []byte(tt.doc))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if f.MinInterval != tt.want {
			t.Errorf("%s: MinInterval = %v, want %v", tt.name, f.MinInterval, tt.want)
		}
	}
}

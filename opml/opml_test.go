package opml

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want []Outline
	}{
		{
			// What newsboat 2.21 writes with `newsboat -e`: OPML 1.0, no
			// text attribute, an empty title for feeds it never fetched or
			// could not read.
			file: "newsboat.opml",
			want: []Outline{
				{Title: "South Front (renamed)", XMLURL: "http://127.0.0.1:18765/southfront.xml", HTMLURL: "https://southfront.example/"},
				{Title: "Global Research", XMLURL: "http://127.0.0.1:18765/globalresearch.atom", HTMLURL: "https://www.globalresearch.example/"},
				{XMLURL: "http://127.0.0.1:18765/blog.json"},
				{XMLURL: "https://news.example.com/rss?x=1&y=2"},
			},
		},
		{
			file: "nested.opml",
			want: []Outline{
				{Title: "Top level, text only", XMLURL: "https://top.example/feed.xml"},
				{Title: "Example News & Views", XMLURL: "https://news.example.com/rss?a=1&b=2", HTMLURL: "https://news.example.com/", Category: []string{"News"}},
				{Title: "Café — Monde", XMLURL: "https://monde.example.fr/atom.xml", HTMLURL: "https://monde.example.fr/", Category: []string{"News", "World"}},
				// text is only the URL again: no title.
				{XMLURL: "https://go.example/feed.json", Category: []string{"Tech"}, Tags: []string{"go", "/Lang/Go"}},
			},
		},
		{
			// OPML 1.0 with lower- and upper-case attribute names and HTML
			// entities.
			file: "opml1.opml",
			want: []Outline{
				{Title: "Café Society", XMLURL: "http://cafe.example/rss.xml", HTMLURL: "http://cafe.example/"},
				{Title: "Naïve Blog", XMLURL: "http://naive.example/index.rdf"},
			},
		},
		{
			file: "latin1.opml",
			want: []Outline{{Title: "Café crème", XMLURL: "http://latin1.example/feed"}},
		},
		{file: "emptybody.opml", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := parseFile(t, tt.file)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func parseFile(t *testing.T, name string) []Outline {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestParseRefusesBadInput(t *testing.T) {
	tests := []struct {
		file, src string // src is used when file is empty
		want      string
	}{
		{file: "notxml.opml", want: "opml: not an XML document"},
		{file: "nobody.opml", want: "opml: no <body> in the <opml> element"},
		{file: "rss.opml", want: "opml: the document is <rss>, not <opml>"},
		{file: "truncated.opml", want: "opml: broken XML"},
		{src: "", want: "opml: empty document (no <opml> element)"},
		{src: "   \n", want: "opml: empty document (no <opml> element)"},
		{src: `<?xml version="1.0"?><opml><body><outline xmlUrl="x"></body></opml>`, want: "opml: broken XML"},
		{src: strings.Repeat("<outline>", 100), want: "opml: the document is <outline>, not <opml>"},
		{src: "<opml><body>" + strings.Repeat(`<outline text="f">`, 100), want: "nested more than 64 deep"},
	}
	for _, tt := range tests {
		name := tt.file
		if name == "" {
			name = tt.want
		}
		t.Run(name, func(t *testing.T) {
			src := []byte(tt.src)
			if tt.file != "" {
				var err error
				if src, err = os.ReadFile(filepath.Join("testdata", tt.file)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Parse(bytes.NewReader(src))
			if err == nil {
				t.Fatalf("no error; got %v", got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	feeds := []Outline{
		{Title: "South Front", XMLURL: "https://southfront.example/feed/", HTMLURL: "https://southfront.example/"},
		{XMLURL: "https://blog.example.org/feed.json"},
		{Title: `Quotes "and" <angles> & ampersands`, XMLURL: "https://q.example/rss?a=1&b=2", Category: []string{"News"}},
		{Title: "Le Monde", XMLURL: "https://monde.example.fr/atom.xml", Category: []string{"News", "World"}},
		{Title: "Merged", XMLURL: "https://agg.example/feed.atom", Tags: []string{"aggregate-merged"}},
		{Title: "Second in News", XMLURL: "https://n2.example/feed", Category: []string{"News"}},
	}
	created := time.Date(2026, 11, 22, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	var b bytes.Buffer
	if err := Write(&b, "aggregate: my feeds", created, feeds); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "golden", "write.opml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./opml -update writes it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("Write output differs from %s:\n%s", golden, b.String())
	}

	// Valid OPML 2.0 as the spec has it: version 2.0, a head with title and
	// an RFC 822 dateCreated, every outline with a text attribute.
	var doc struct {
		XMLName xml.Name `xml:"opml"`
		Version string   `xml:"version,attr"`
		Head    struct {
			Title       string `xml:"title"`
			DateCreated string `xml:"dateCreated"`
		} `xml:"head"`
		Body struct {
			Outlines []outlineXML `xml:"outline"`
		} `xml:"body"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.0" || doc.Head.Title != "aggregate: my feeds" {
		t.Errorf("version %q, title %q", doc.Version, doc.Head.Title)
	}
	if _, err := time.Parse(time.RFC1123, doc.Head.DateCreated); err != nil || doc.Head.DateCreated != "Sun, 22 Nov 2026 11:00:00 GMT" {
		t.Errorf("dateCreated %q: %v", doc.Head.DateCreated, err)
	}
	var walk func([]outlineXML)
	n := 0
	walk = func(os []outlineXML) {
		for _, o := range os {
			if o.Text == "" {
				t.Errorf("outline without text: %+v", o)
			}
			if o.XMLURL != "" {
				n++
				if o.Type != "rss" {
					t.Errorf("%s: type %q", o.XMLURL, o.Type)
				}
			}
			walk(o.Children)
		}
	}
	walk(doc.Body.Outlines)
	if n != len(feeds) {
		t.Errorf("%d feed outlines, want %d", n, len(feeds))
	}

	// What Write writes, Parse reads back unchanged (folders grouped: the
	// second News feed joins its folder, after the World subfolder).
	got, err := Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	wantBack := []Outline{feeds[0], feeds[1], feeds[2], feeds[3], feeds[5], feeds[4]}
	if !reflect.DeepEqual(got, wantBack) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, wantBack)
	}
}

type outlineXML struct {
	Text     string       `xml:"text,attr"`
	Type     string       `xml:"type,attr"`
	XMLURL   string       `xml:"xmlUrl,attr"`
	Children []outlineXML `xml:"outline"`
}

func TestWriteEdges(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "t", time.Time{}, []Outline{{Title: "no URL"}}); err == nil || !strings.Contains(err.Error(), "no xmlUrl") {
		t.Errorf("a feed without a URL: %v", err)
	}
	b.Reset()
	// No date: no dateCreated. Control characters XML cannot carry do
	// not make the document unreadable.
	if err := Write(&b, "t\x00itle", time.Time{}, []Outline{{Title: "bell\x07", XMLURL: "https://x.example/"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "dateCreated") {
		t.Error("dateCreated written for a zero time")
	}
	got, err := Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got) != 1 || got[0].XMLURL != "https://x.example/" {
		t.Errorf("got %#v", got)
	}
	b.Reset()
	if err := Write(&b, "empty", time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := Parse(bytes.NewReader(b.Bytes())); err != nil || len(got) != 0 {
		t.Errorf("empty list: %v, %v", got, err)
	}
}

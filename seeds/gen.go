//go:build ignore

// gen.go builds the offline seed feeds from the raw seed files.
//
// Usage, from the repository root:
//
//	go run seeds/gen.go
//
// It reads seeds/raw/*.txt and rewrites
//
//	seeds/southfront.xml      RSS 2.0:  the four South Front reports as South Front published them
//	seeds/globalresearch.atom Atom 1.0: the same four exactly as Global Research republished them
//	seeds/blog.json           JSON Feed 1.1: the news digest (seed 002)
//
// Every date, id and URL is fixed in the tables below, and nothing depends on
// the clock or on map order, so the outputs are byte-identical on every run.
// Only the standard library is used.
package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// report is one South Front report that Global Research republished.
// The raw file is Global Research's copy; South Front's copy is derived
// from it by removing what Global Research added.
type report struct {
	file string // in seeds/raw/
	// South Front published first; Global Research about a day later.
	// Dates come from the text where it gives them (001: "Global Research,
	// May 15, 2017"; 003: "South Front 3 July 2017") and are otherwise
	// inferred from the events reported (see README.md). Times are invented.
	sfPublished time.Time
	grPublished time.Time
	grNumber    int // Global Research's article number (invented)
}

var (
	utc = time.UTC
	edt = time.FixedZone("EDT", -4*3600) // Global Research is in Montreal
	est = time.FixedZone("EST", -5*3600)
)

var reports = []report{
	{"000_ee2dda51a8d70937.txt", time.Date(2017, 5, 17, 15, 10, 0, 0, utc), time.Date(2017, 5, 18, 11, 25, 0, 0, edt), 5590776},
	{"001_04f32ae65defd69f.txt", time.Date(2017, 5, 14, 16, 20, 0, 0, utc), time.Date(2017, 5, 15, 9, 50, 0, 0, edt), 5590158},
	{"003_f0eddbad5439877e.txt", time.Date(2017, 7, 3, 17, 5, 0, 0, utc), time.Date(2017, 7, 4, 8, 40, 0, 0, edt), 5597711},
	{"004_dca68a3179716e08.txt", time.Date(2017, 1, 31, 17, 45, 0, 0, utc), time.Date(2017, 2, 1, 10, 30, 0, 0, est), 5572290},
}

// The digest (seed 002) names its own date; only the time is invented.
const (
	digestFile = "002_c6bea5240a295d26.txt"
	digestHour = 6
	digestMin  = 30
)

const (
	sfHome   = "https://southfront.example/"
	grHome   = "https://www.globalresearch.example/"
	blogHome = "https://newsfromsyria.example/"

	// The PayPal address of South Front's donation appeal. Two of Global
	// Research's copies show it as "[email protected]" (Cloudflare's email
	// obfuscation, scraped without JavaScript); South Front's own feed
	// carries the address, as the other two copies show it.
	sfEmail = "southfront@list.ru"
)

// Lines Global Research puts above the article ...
var grHeader = regexp.MustCompile(`^(By \[?South Front|Global Research, |\[South Front\]\(#\)|Region:|Theme:|In-depth Report:)`)

// ... and below it.
var grFooter = regexp.MustCompile(`^(The original source of this article is|Copyright ©|---$|\[?Comment on Global Research|\[?Become a Member of Global Research|Articles by:|(\*\*)?Disclaimer:|\[?www\.globalresearch\.ca|For media inquiries:)`)

// South Front's donation appeal, the last paragraph of its own copy.
const donationMarker = "if you like our content and approach, please support the project"

// article is one copy as a feed carries it.
type article struct {
	Title     string
	Link      string
	ID        string
	Published time.Time
	Body      string // HTML (South Front) or plain text (Global Research)
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("seeds/gen: ")

	dir := "seeds"
	if _, err := os.Stat(filepath.Join(dir, "raw")); err != nil {
		dir = "." // run from inside seeds/
	}
	raw := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, "raw", name))
		if err != nil {
			log.Fatal(err)
		}
		return string(b)
	}

	var sf, gr []article
	for _, r := range reports {
		if !r.sfPublished.Before(r.grPublished) {
			log.Fatalf("%s: South Front must publish before Global Research", r.file)
		}
		title, rest := splitTitle(raw(r.file))
		grTitle := strings.TrimPrefix(title, "## ")
		sfTitle := strings.TrimPrefix(grTitle, "Video: ")

		sfLink := sfHome + slug(sfTitle) + "/"
		sf = append(sf, article{
			Title:     sfTitle,
			Link:      sfLink,
			ID:        sfLink,
			Published: r.sfPublished,
			Body:      southFrontHTML(r.file, rest),
		})
		gr = append(gr, article{
			Title:     grTitle,
			Link:      fmt.Sprintf("%s%s/%d", grHome, slug(grTitle), r.grNumber),
			ID:        fmt.Sprintf("tag:www.globalresearch.example,%s:%d", r.grPublished.Format("2006-01-02"), r.grNumber),
			Published: r.grPublished,
			Body:      rest, // verbatim
		})
	}
	newestFirst(sf)
	newestFirst(gr)

	write(filepath.Join(dir, "southfront.xml"), checkXML(rssFeed(sf)))
	write(filepath.Join(dir, "globalresearch.atom"), checkXML(atomFeed(gr)))
	write(filepath.Join(dir, "blog.json"), blogFeed(raw(digestFile)))
}

// splitTitle returns the first non-empty line and the text after it, less
// the blank lines that separate the two. Nothing else is changed.
func splitTitle(s string) (title, rest string) {
	s = strings.TrimLeft(s, "\n")
	title, rest, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(title), strings.TrimLeft(rest, "\n")
}

// southFrontHTML turns Global Research's copy of a report into South Front's:
// the header lines above and the disclaimer below the article are removed
// (the donation appeal stays: it is South Front's), and the text, plain or
// markdown, becomes HTML paragraphs. Every line it removes must be one it
// knows, so a seed that does not fit the pattern stops the generator.
func southFrontHTML(file, body string) string {
	blocks := regexp.MustCompile(`\n\s*\n`).Split(strings.TrimSpace(body), -1)

	for len(blocks) > 0 && grHeader.MatchString(blocks[0]) {
		mustAllMatch(file, "header", blocks[0], grHeader)
		blocks = blocks[1:]
	}

	appeal := -1
	for i, b := range blocks {
		if strings.Contains(b, donationMarker) {
			appeal = i
		}
	}
	if appeal < 0 {
		log.Fatalf("%s: no donation appeal", file)
	}
	for _, b := range blocks[appeal+1:] {
		mustAllMatch(file, "footer", b, grFooter)
	}
	blocks = blocks[:appeal+1]

	var out []string
	for _, b := range blocks {
		for _, line := range strings.Split(b, "\n") {
			if grHeader.MatchString(line) || grFooter.MatchString(line) {
				log.Fatalf("%s: Global Research line inside the article: %q", file, line)
			}
		}
		b = strings.ReplaceAll(b, "[email\u00a0protected]", sfEmail)
		p := paragraph(b)
		for _, left := range []string{"](", "**", "## ", "[email", "&lt;http"} {
			if strings.Contains(p, left) {
				log.Fatalf("%s: markdown left in %q", file, p)
			}
		}
		out = append(out, p)
	}
	return strings.Join(out, "\n")
}

func mustAllMatch(file, what, block string, re *regexp.Regexp) {
	for _, line := range strings.Split(block, "\n") {
		if !re.MatchString(line) {
			log.Fatalf("%s: unexpected %s line %q", file, what, line)
		}
	}
}

// inline finds what becomes a link: a markdown link, a markdown autolink,
// a bare URL, a bare email address. (\s is ASCII only in Go; the seeds put
// no-break spaces right after URLs, hence \x{a0}.)
var inline = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)` +
	`|<((?:https?|mailto):[^>\s]+)>` +
	`|(https?://[^\s\x{a0}<>()]*[^\s\x{a0}<>().,;:!?])` +
	`|([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)`)

// paragraph renders one block of plain text or markdown as <p>...</p>.
// A block wrapped in *...* is emphasised; soft line breaks become spaces.
func paragraph(b string) string {
	b = strings.ReplaceAll(strings.Trim(b, " \t\n"), "\n", " ") // no-break spaces stay
	em := len(b) > 2 && b[0] == '*' && b[len(b)-1] == '*' && b[1] != '*'
	if em {
		b = b[1 : len(b)-1]
	}
	var w strings.Builder
	last := 0
	for _, m := range inline.FindAllStringSubmatchIndex(b, -1) {
		w.WriteString(esc(b[last:m[0]]))
		last = m[1]
		group := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return b[m[2*i]:m[2*i+1]]
		}
		text, href := "", ""
		switch {
		case group(1) != "":
			text, href = group(1), group(2)
		case group(3) != "":
			text, href = strings.TrimPrefix(group(3), "mailto:"), group(3)
		case group(4) != "":
			text, href = group(4), group(4)
		default:
			text, href = group(5), "mailto:"+group(5)
		}
		if href == "#" {
			w.WriteString(esc(text))
			continue
		}
		fmt.Fprintf(&w, `<a href="%s">%s</a>`, esc(href), esc(text))
	}
	w.WriteString(esc(b[last:]))
	if em {
		return "<p><em>" + w.String() + "</em></p>"
	}
	return "<p>" + w.String() + "</p>"
}

func newestFirst(a []article) {
	sort.SliceStable(a, func(i, j int) bool { return a[i].Published.After(a[j].Published) })
}

func slug(s string) string {
	s = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(s), "-")
	return strings.Trim(s, "-")
}

// esc escapes text for XML or HTML character data and attribute values.
var esc = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace

func rssFeed(items []article) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>`)
	p(`<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">`)
	p(`<channel>`)
	p(`<title>South Front</title>`)
	p(`<link>%s</link>`, sfHome)
	p(`<description>South Front: Analysis &amp; Intelligence</description>`)
	p(`<language>en-US</language>`)
	p(`<lastBuildDate>%s</lastBuildDate>`, items[0].Published.Format(time.RFC1123Z))
	p(`<atom:link href="%sfeed/" rel="self" type="application/rss+xml"/>`, sfHome)
	for _, it := range items {
		p(`<item>`)
		p(`<title>%s</title>`, esc(it.Title))
		p(`<link>%s</link>`, esc(it.Link))
		p(`<guid isPermaLink="true">%s</guid>`, esc(it.ID))
		p(`<pubDate>%s</pubDate>`, it.Published.Format(time.RFC1123Z))
		p(`<dc:creator>South Front</dc:creator>`)
		p(`<description>%s</description>`, esc(it.Body))
		p(`</item>`)
	}
	p(`</channel>`)
	p(`</rss>`)
	return b.Bytes()
}

func atomFeed(entries []article) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>`)
	p(`<feed xmlns="http://www.w3.org/2005/Atom">`)
	p(`  <title>Global Research</title>`)
	p(`  <subtitle>Centre for Research on Globalization</subtitle>`)
	p(`  <link rel="alternate" type="text/html" href="%s"/>`, grHome)
	p(`  <link rel="self" type="application/atom+xml" href="%sfeed.atom"/>`, grHome)
	p(`  <id>%s</id>`, grHome)
	p(`  <updated>%s</updated>`, entries[0].Published.Format(time.RFC3339))
	for _, e := range entries {
		p(`  <entry>`)
		p(`    <id>%s</id>`, esc(e.ID))
		p(`    <title type="text">%s</title>`, esc(e.Title))
		p(`    <link rel="alternate" type="text/html" href="%s"/>`, esc(e.Link))
		p(`    <published>%s</published>`, e.Published.Format(time.RFC3339))
		p(`    <updated>%s</updated>`, e.Published.Format(time.RFC3339))
		p(`    <author><name>South Front</name></author>`)
		p(`    <content type="text">%s</content>`, esc(e.Body))
		p(`  </entry>`)
	}
	p(`</feed>`)
	return b.Bytes()
}

// blogFeed makes a JSON Feed with the digest as its one item. The digest
// starts with its date line ("Tuesday, 13 June 2017") and its title.
func blogFeed(s string) []byte {
	dateLine, rest := splitTitle(s)
	day, err := time.Parse("Monday, 2 January 2006", dateLine)
	if err != nil {
		log.Fatalf("%s: date line: %v", digestFile, err)
	}
	published := day.Add(digestHour*time.Hour + digestMin*time.Minute)
	title, body := splitTitle(rest)

	var paras []string
	for _, block := range regexp.MustCompile(`\n\s*\n`).Split(strings.TrimSpace(body), -1) {
		lines := strings.Split(block, "\n")
		for i := range lines {
			lines[i] = esc(lines[i])
		}
		paras = append(paras, "<p>"+strings.Join(lines, "<br>\n")+"</p>")
	}

	url := fmt.Sprintf("%s%s/%s.html", blogHome, published.Format("2006/01"), slug(title))
	type author struct {
		Name string `json:"name"`
		URL  string `json:"url,omitempty"`
	}
	type item struct {
		ID            string   `json:"id"`
		URL           string   `json:"url"`
		Title         string   `json:"title"`
		ContentHTML   string   `json:"content_html"`
		DatePublished string   `json:"date_published"`
		Authors       []author `json:"authors"`
	}
	feed := struct {
		Version     string   `json:"version"`
		Title       string   `json:"title"`
		HomePageURL string   `json:"home_page_url"`
		FeedURL     string   `json:"feed_url"`
		Description string   `json:"description"`
		Language    string   `json:"language"`
		Authors     []author `json:"authors"`
		Items       []item   `json:"items"`
	}{
		Version:     "https://jsonfeed.org/version/1.1",
		Title:       "News from Syria",
		HomePageURL: blogHome,
		FeedURL:     blogHome + "feed.json",
		Description: "A daily digest of news from Syria",
		Language:    "en",
		Authors:     []author{{Name: "News from Syria", URL: blogHome}},
		Items: []item{{
			ID:            url,
			URL:           url,
			Title:         title,
			ContentHTML:   strings.Join(paras, "\n"),
			DatePublished: published.Format(time.RFC3339),
			Authors:       []author{{Name: "News from Syria", URL: blogHome}},
		}},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(feed); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// checkXML stops the generator if doc is not well-formed XML.
func checkXML(doc []byte) []byte {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return doc
		}
		if err != nil {
			log.Fatalf("generated XML is not well-formed: %v", err)
		}
	}
}

func write(path string, b []byte) {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", path)
}

// Package opml reads and writes OPML subscription lists, the format feed
// readers import and export: Parse accepts OPML 1.0 and 2.0 with folders
// (nested outlines) as real readers write them; Write produces OPML 2.0.
package opml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// Outline is one subscription.
type Outline struct {
	// Title names the feed: the outline's title attribute, else its text.
	// A title that is only the feed's URL again is dropped (empty).
	Title   string
	XMLURL  string // the feed's address (xmlUrl)
	HTMLURL string // the site's home page (htmlUrl), may be empty
	// Category is the folder path: the titles of the outlines it is
	// nested in, outermost first. Write nests the outline in those folders.
	Category []string
	// Tags are the OPML 2.0 category attribute's entries (comma separated
	// in the file), written back as they are.
	Tags []string
}

// maxDepth bounds folder nesting, so that a hostile file cannot recurse
// without end.
const maxDepth = 64

// Parse reads an OPML document and returns every outline that has an
// xmlUrl, in document order, with its folder path. An outline without an
// xmlUrl is a folder; its title (or text) names its children's category.
func Parse(r io.Reader) ([]Outline, error) {
	d := xml.NewDecoder(r)
	d.CharsetReader = charset.NewReaderLabel
	d.Entity = xml.HTMLEntity // &nbsp; and friends, as hand-edited files have them
	var (
		out     []Outline
		path    []string // folder titles of the open outlines; "" for a feed outline
		sawRoot bool
		inBody  bool
		sawBody bool
		depth   int // element depth
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !sawRoot {
				return nil, fmt.Errorf("opml: not an XML document: %w", err)
			}
			return nil, fmt.Errorf("opml: broken XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if !sawRoot && len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("opml: not an XML document: text %q before any element", firstLine(t))
			}
		case xml.StartElement:
			depth++
			if !sawRoot {
				sawRoot = true
				if t.Name.Local != "opml" {
					return nil, fmt.Errorf("opml: the document is <%s>, not <opml>", t.Name.Local)
				}
				continue
			}
			switch {
			case depth == 2 && t.Name.Local == "body":
				inBody, sawBody = true, true
			case inBody && t.Name.Local == "outline":
				if len(path) >= maxDepth {
					return nil, fmt.Errorf("opml: outlines nested more than %d deep", maxDepth)
				}
				o := outlineFrom(t.Attr)
				if o.XMLURL != "" {
					o.Category = folders(path)
					out = append(out, o)
					path = append(path, "")
				} else {
					path = append(path, outlineName(t.Attr))
				}
			}
		case xml.EndElement:
			if inBody && t.Name.Local == "outline" && len(path) > 0 {
				path = path[:len(path)-1]
			}
			if depth == 2 && t.Name.Local == "body" {
				inBody = false
			}
			depth--
		}
	}
	if !sawRoot {
		return nil, errors.New("opml: empty document (no <opml> element)")
	}
	if !sawBody {
		return nil, errors.New("opml: no <body> in the <opml> element")
	}
	return out, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

// folders copies the non-empty folder names of path.
func folders(path []string) []string {
	var out []string
	for _, p := range path {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// attr returns the attribute name, matched without regard to case
// (xmlUrl, xmlURL and xmlurl all occur in the wild), trimmed.
func attr(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if a.Name.Space == "" && strings.EqualFold(a.Name.Local, name) {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

func outlineName(attrs []xml.Attr) string {
	if t := attr(attrs, "title"); t != "" {
		return oneLine(t)
	}
	return oneLine(attr(attrs, "text"))
}

func outlineFrom(attrs []xml.Attr) Outline {
	o := Outline{
		XMLURL:  attr(attrs, "xmlUrl"),
		HTMLURL: attr(attrs, "htmlUrl"),
		Title:   outlineName(attrs),
	}
	if o.Title == o.XMLURL {
		o.Title = ""
	}
	for _, c := range strings.Split(attr(attrs, "category"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			o.Tags = append(o.Tags, c)
		}
	}
	return o
}

// oneLine folds runs of white space, newlines included, into one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Write writes feeds as an OPML 2.0 document titled title, created at
// created (omitted when zero). Feeds with a Category are nested in folder
// outlines, in the order the folders first appear; the others stay at the
// top level, in order.
func Write(w io.Writer, title string, created time.Time, feeds []Outline) error {
	root := &folder{}
	for i, f := range feeds {
		if strings.TrimSpace(f.XMLURL) == "" {
			return fmt.Errorf("opml: outline %d (%q) has no xmlUrl", i+1, f.Title)
		}
		dir := root
		for _, name := range f.Category {
			if name = oneLine(name); name != "" {
				dir = dir.sub(name)
			}
		}
		dir.items = append(dir.items, node{feed: &feeds[i]})
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<opml version=\"2.0\">\n  <head>\n")
	fmt.Fprintf(&b, "    <title>%s</title>\n", esc(oneLine(title)))
	if !created.IsZero() {
		// RFC 822, as OPML 2.0 asks (with GMT: "UTC" is not an RFC 822 zone).
		fmt.Fprintf(&b, "    <dateCreated>%s</dateCreated>\n", created.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
	}
	b.WriteString("  </head>\n  <body>\n")
	root.write(&b, 2)
	b.WriteString("  </body>\n</opml>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// folder is a node of the outline tree Write builds.
type folder struct {
	name  string
	items []node
	subs  map[string]*folder
}

type node struct {
	feed *Outline
	dir  *folder
}

func (f *folder) sub(name string) *folder {
	if d, ok := f.subs[name]; ok {
		return d
	}
	if f.subs == nil {
		f.subs = map[string]*folder{}
	}
	d := &folder{name: name}
	f.subs[name] = d
	f.items = append(f.items, node{dir: d})
	return d
}

func (f *folder) write(b *bytes.Buffer, level int) {
	indent := strings.Repeat("  ", level)
	for _, n := range f.items {
		if n.dir != nil {
			fmt.Fprintf(b, "%s<outline text=\"%s\" title=\"%s\">\n", indent, esc(n.dir.name), esc(n.dir.name))
			n.dir.write(b, level+1)
			fmt.Fprintf(b, "%s</outline>\n", indent)
			continue
		}
		o := n.feed
		url := strings.TrimSpace(o.XMLURL)
		title := oneLine(o.Title)
		// OPML 2.0 requires text; a feed without a name shows its URL.
		fmt.Fprintf(b, "%s<outline type=\"rss\" text=\"%s\"", indent, esc(cmpOr(title, url)))
		if title != "" {
			fmt.Fprintf(b, " title=\"%s\"", esc(title))
		}
		fmt.Fprintf(b, " xmlUrl=\"%s\"", esc(url))
		if h := strings.TrimSpace(o.HTMLURL); h != "" {
			fmt.Fprintf(b, " htmlUrl=\"%s\"", esc(h))
		}
		var tags []string
		for _, t := range o.Tags {
			if t = strings.TrimSpace(strings.ReplaceAll(t, ",", " ")); t != "" {
				tags = append(tags, t)
			}
		}
		if len(tags) > 0 {
			fmt.Fprintf(b, " category=\"%s\"", esc(strings.Join(tags, ",")))
		}
		b.WriteString("/>\n")
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// esc escapes s for an attribute value or text, dropping characters XML
// cannot carry at all.
func esc(s string) string {
	var b bytes.Buffer
	// EscapeText also escapes quotes and turns \t \n \r into references,
	// which keeps them as they are in attribute values.
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return ""
	}
	return b.String()
}

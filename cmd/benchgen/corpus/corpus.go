// Package corpus generates labelled feed corpora for benchmarking the
// deduplicator: sites that publish articles and copy each other's (verbatim
// inside their own header and footer, retitled, in markdown, cut to a
// summary, lightly rewritten), with the hard negatives real feeds have
// (different articles about the same event, follow-ups reusing background
// paragraphs, round-ups quoting the openings of several stories). The same
// options and seed always give the same corpus, byte for byte.
package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Options size a corpus.
type Options struct {
	Feeds  int     // sites, one feed each
	Items  int     // items per feed
	Copies float64 // share of items that copy another site's article
	Seed   uint64
	// Entries is the output's max_items in the config: 0 writes every
	// merged entry, which score.py needs; a cap measures runs as a user
	// runs them, the history deduplicated and the newest entries written.
	Entries int
}

// Site is one source feed.
type Site struct {
	ID     string // s1, s2, ...
	Name   string
	Domain string
	Format string // rss, atom or json
	Style  string // html, text, markdown or summary (two paragraphs and a link)
	Header []string
	Footer []string
	Affix  string // appended to every title, e.g. " | Name"
	Curly  bool   // typographic quotes and dashes
	// GUIDs: "url" (permalink), "tag" (tag: URI) or "num" (a bare number).
	GUIDs string
	UTM   bool // links carry tracking parameters
	Items []*Item
}

// File is the feed's file name under feeds/.
func (s *Site) File() string {
	ext := map[string]string{"rss": "xml", "atom": "atom", "json": "json"}[s.Format]
	return s.ID + "." + ext
}

// Item is one feed entry.
type Item struct {
	Site      *Site
	URL       string // canonical (no tracking parameters)
	GUID      string
	Title     string
	Published time.Time
	Body      []string // the article's paragraphs, before the site's header and footer
	Cluster   string   // the true story
	Kind      string   // origin, copy, copy-edited, summary, rewrite, sibling, followup, digest
	n         int
}

// Corpus is a generated set of sites and the truth about their items.
type Corpus struct {
	Options Options
	Sites   []*Site
	Items   []*Item // in publication order
}

type gen struct {
	r *rand.Rand
	v *vocab
}

// story is an original article that others may copy.
type story struct {
	item   *Item
	ev     *event
	body   []string
	copied map[*Site]bool
}

// Generate builds a corpus.
func Generate(o Options) *Corpus {
	g := &gen{r: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed5eed5eed5eed))}
	g.v = newVocab(g.r, 40000)
	c := &Corpus{Options: o}
	for i := range o.Feeds {
		c.Sites = append(c.Sites, g.site(i))
	}
	// Publication order: every site's slots, shuffled.
	var slots []*Site
	for _, s := range c.Sites {
		for range o.Items {
			slots = append(slots, s)
		}
	}
	g.r.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })

	var stories []*story // originals, newest last
	var events []*event
	clusters := 0
	newCluster := func() string { clusters++; return fmt.Sprintf("c%06d", clusters) }
	t := time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	// A recent story: copies and follow-ups come within days, not months.
	recent := func(within int) *story {
		if len(stories) == 0 {
			return nil
		}
		lo := max(0, len(stories)-within)
		return stories[lo+g.r.IntN(len(stories)-lo)]
	}
	for n, s := range slots {
		t = t.Add(time.Duration(1+g.r.IntN(5*60)) * time.Second * time.Duration(max(1, 1000/max(1, o.Feeds))))
		it := &Item{Site: s, Published: t, n: n}
		src := recent(200)
		switch x := g.r.Float64(); {
		case x < o.Copies && src != nil && src.item.Site != s && !src.copied[s]:
			g.copyOf(it, src)
		case x < o.Copies+0.06 && len(events) > 0:
			// A different article about a recent event: same names,
			// numbers and quote.
			ev := events[max(0, len(events)-1-g.r.IntN(min(len(events), 100)))]
			it.Kind, it.Cluster = "sibling", newCluster()
			it.Body = g.article(ev)
			it.Title = g.title(ev)
			st := &story{item: it, ev: ev, body: it.Body, copied: map[*Site]bool{}}
			stories = append(stories, st)
		case x < o.Copies+0.11 && src != nil:
			// A follow-up reusing two or three background paragraphs.
			it.Kind, it.Cluster = "followup", newCluster()
			body := g.article(src.ev)
			k := 2 + g.r.IntN(2)
			from := 1 + g.r.IntN(max(1, len(src.body)-k))
			bg := src.body[from:min(len(src.body), from+k)]
			body = append(body[:len(body)-2], append(append([]string{}, bg...), body[len(body)-2:]...)...)
			it.Body, it.Title = body, "Follow-up: "+g.title(src.ev)
			st := &story{item: it, ev: src.ev, body: body, copied: map[*Site]bool{}}
			stories = append(stories, st)
		case x < o.Copies+0.135 && len(stories) >= 6 && s.Style != "summary":
			// A round-up quoting the openings of three stories.
			it.Kind, it.Cluster = "digest", newCluster()
			it.Title = "Round-up: " + g.v.word(g.r) + " " + g.v.word(g.r) + " and more"
			body := []string{"Here is our round-up of the stories we followed today."}
			picked := map[*story]bool{}
			for len(picked) < 3 {
				st := recent(60)
				if picked[st] {
					continue
				}
				picked[st] = true
				k := 1 + g.r.IntN(2)
				body = append(body, st.body[:k]...)
				body = append(body, "Source: "+st.item.Site.Name+".")
			}
			it.Body = body
		default:
			ev := g.newEvent()
			events = append(events, ev)
			it.Kind, it.Cluster = "origin", newCluster()
			it.Body = g.article(ev)
			it.Title = g.title(ev)
			st := &story{item: it, ev: ev, body: it.Body, copied: map[*Site]bool{}}
			stories = append(stories, st)
		}
		g.place(it)
		s.Items = append(s.Items, it)
		c.Items = append(c.Items, it)
	}
	return c
}

// copyOf makes it a copy of src in one of the ways sites copy.
func (g *gen) copyOf(it *Item, src *story) {
	src.copied[it.Site] = true
	it.Cluster = src.item.Cluster
	it.Title = src.item.Title
	body := src.body
	switch x := g.r.IntN(100); {
	case it.Site.Style == "summary" || x < 20:
		it.Kind = "summary"
		if g.r.IntN(2) == 0 {
			body = []string{body[0] + " " + body[1]}
		} else {
			body = body[:2]
		}
	case x < 40:
		it.Kind = "rewrite"
		body = g.rewrite(src.ev, body)
		it.Title = g.title(src.ev)
	case x < 70:
		it.Kind = "copy-edited"
		it.Title = pick(g.r, []string{"Video: ", "WATCH: ", "Opinion: ", "Exclusive: ", ""}) + it.Title
		if g.r.IntN(2) == 0 {
			it.Title += pick(g.r, []string{" (updated)", " [report]", " - analysis"})
		}
		// Lightly edited: an intro line and the closing paragraph dropped.
		body = append([]string{"This article was originally published by " + src.item.Site.Name + "."}, body[:len(body)-1]...)
	default:
		it.Kind = "copy"
	}
	it.Body = body
}

// place gives the item its URL and GUID on its site.
func (g *gen) place(it *Item) {
	s := it.Site
	it.URL = fmt.Sprintf("https://%s/%d/%02d/%s-%d/", s.Domain, it.Published.Year(), int(it.Published.Month()), slug(it.Title), it.n)
	switch s.GUIDs {
	case "tag":
		it.GUID = fmt.Sprintf("tag:%s,%d:%d", s.Domain, it.Published.Year(), it.n)
	case "num":
		it.GUID = fmt.Sprint(100000 + it.n)
	default:
		it.GUID = it.URL
	}
	if s.UTM {
		it.URL += "?utm_source=rss&utm_medium=feed"
		if s.GUIDs == "url" {
			it.GUID = it.URL
		}
	}
}

func (g *gen) site(i int) *Site {
	r := g.r
	name := capitalize(g.v.pseudoWord(r, 2)) + " " + pick(r, []string{"Review", "Dispatch", "Daily", "Herald", "Notes", "Report", "Observer", "Monitor", "Post", "Times"})
	s := &Site{
		ID:     fmt.Sprintf("s%d", i+1),
		Name:   name,
		Domain: strings.ToLower(strings.ReplaceAll(name, " ", "-")) + fmt.Sprintf("-%d.test", i+1),
		Format: []string{"rss", "atom", "json"}[i%3],
		Curly:  r.IntN(2) == 0,
		GUIDs:  pick(r, []string{"url", "url", "tag", "num"}),
		UTM:    r.IntN(3) == 0,
	}
	switch x := r.IntN(10); {
	case x < 5:
		s.Style = "html"
	case x < 7:
		s.Style = "text"
	case x < 9:
		s.Style = "markdown"
	default:
		s.Style = "summary"
	}
	if s.Format == "rss" && s.Style == "text" {
		s.Style = "html"
	}
	if r.IntN(3) > 0 {
		s.Affix = pick(r, []string{" | ", " — ", " - "}) + name
	}
	if r.IntN(5) < 3 {
		s.Header = []string{"By " + capitalize(g.v.pseudoWord(r, 2)) + " " + capitalize(g.v.pseudoWord(r, 2)), "Region: " + capitalize(g.v.pseudoWord(r, 2)), "Theme: " + capitalize(g.v.pseudoWord(r, 2)) + ", " + capitalize(g.v.pseudoWord(r, 2))}
	}
	if r.IntN(5) < 3 {
		// A long disclaimer, as long as a short article.
		s.Footer = append(s.Footer, "Disclaimer: the contents of this article are of sole responsibility of the author. "+name+" will not be responsible for any inaccurate or incorrect statement in this article. We grant permission to cross-post articles on community internet sites as long as the source and copyright are acknowledged.")
		for range 1 + r.IntN(3) {
			s.Footer = append(s.Footer, g.paragraph(nil))
		}
	}
	if r.IntN(3) == 0 {
		s.Footer = append(s.Footer, "If you are able, and if you like our content and approach, please support the project. Our work would not be possible without your help, your donations, your shares and your comments on every article at "+name+".")
	}
	return s
}

// Paragraphs returns what the item's body says, in order: the site's
// header, the article, the site's footer, styled the site's way. A
// summary site ships two paragraphs and a link.
func (it *Item) Paragraphs() []string {
	s := it.Site
	body := it.Body
	if s.Style == "summary" {
		body = body[:min(2, len(body))]
	}
	var out []string
	out = append(out, s.Header...)
	for _, p := range body {
		out = append(out, restyle(p, s.Curly))
	}
	out = append(out, s.Footer...)
	return out
}

// Text is the item's body as plain paragraphs separated by blank lines,
// close to what text extraction makes of the feed's markup.
func (it *Item) Text() string {
	return strings.Join(it.Paragraphs(), "\n\n")
}

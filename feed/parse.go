package feed

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"
)

// Parser reads feed documents into Items. It is safe for concurrent use.
type Parser struct {
	ex *extractor
}

// NewParser returns a Parser with its HTML sanitiser and markdown reader.
func NewParser() *Parser { return &Parser{ex: newExtractor()} }

// Parse reads an RSS (0.9x, 1.0, 2.0), Atom or JSON Feed document fetched
// from feedURL. Relative links resolve against the feed's own link, then
// against feedURL.
func (p *Parser) Parse(feedURL string, body []byte) (*Feed, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("parse %s: empty document", feedURL)
	}
	gp := gofeed.NewParser()
	gp.KeepOriginalFeed = true // for RSS <ttl>, which the universal model drops
	gf, err := gp.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", feedURL, err)
	}
	f := &Feed{URL: feedURL, Title: PlainText(gf.Title), Link: CanonicalURL(gf.Link, feedURL), MinInterval: minInterval(gf)}
	base := f.Link
	if base == "" || !SafeURL(base) {
		base = feedURL
	}
	for _, gi := range gf.Items {
		it := p.item(gi, f, base)
		f.Items = append(f.Items, it)
	}
	trimTitleAffixes(f.Items)
	return f, nil
}

func (p *Parser) item(gi *gofeed.Item, f *Feed, base string) Item {
	it := Item{
		FeedURL:   f.URL,
		FeedTitle: f.Title,
		GUID:      strings.TrimSpace(gi.GUID),
		Title:     PlainText(gi.Title),
	}
	link := gi.Link
	if link == "" && (strings.HasPrefix(it.GUID, "http://") || strings.HasPrefix(it.GUID, "https://")) {
		link = it.GUID
	}
	it.Link = CanonicalURL(link, base)
	it.Published = plausible(gi.PublishedParsed)
	it.Updated = plausible(gi.UpdatedParsed)
	if it.Published.IsZero() {
		it.Published = it.Updated
	}
	if len(gi.Authors) > 0 && gi.Authors[0] != nil {
		it.Author = strings.TrimSpace(gi.Authors[0].Name)
	} else if gi.Author != nil {
		it.Author = strings.TrimSpace(gi.Author.Name)
	}
	raw := gi.Content
	if strings.TrimSpace(raw) == "" {
		raw = gi.Description
	}
	it.HTML, it.Text = p.ex.body(raw)
	return it
}

// titleSeparators set a site name off a headline ("Story | Site",
// "Story — Site").
var titleSeparators = []string{" | ", " — ", " – ", " - ", " :: ", " · "}

// trimTitleAffixes removes a site name that a feed appends to every title.
// It is learnt from the feed itself: a tail after a separator that at least
// half of the titles (and at least two) share.
func trimTitleAffixes(items []Item) {
	if len(items) < 2 {
		return
	}
	counts := map[string]int{}
	for _, it := range items {
		seen := map[string]bool{}
		for _, sep := range titleSeparators {
			if i := strings.LastIndex(it.Title, sep); i > 0 {
				tail := it.Title[i:]
				if !seen[tail] {
					seen[tail] = true
					counts[tail]++
				}
			}
		}
	}
	var tails []string
	for tail, n := range counts {
		if n >= 2 && 2*n >= len(items) {
			tails = append(tails, tail)
		}
	}
	// Longest first, so " | The Long View" wins over " View".
	sort.Slice(tails, func(i, j int) bool {
		if len(tails[i]) != len(tails[j]) {
			return len(tails[i]) > len(tails[j])
		}
		return tails[i] < tails[j]
	})
	for i := range items {
		for _, tail := range tails {
			if t := strings.TrimSuffix(items[i].Title, tail); t != items[i].Title && strings.TrimSpace(t) != "" {
				items[i].Title = strings.TrimSpace(t)
				break
			}
		}
	}
}

// Date returns the item's best known date: published, else updated.
func (it Item) Date() time.Time {
	if !it.Published.IsZero() {
		return it.Published
	}
	return it.Updated
}

// plausible returns t in UTC, or the zero time for a date no article has:
// a feed that says year 0 or 20017 has no usable date.
func plausible(t *time.Time) time.Time {
	if t == nil || t.Year() < 1970 || t.Year() > 9999 {
		return time.Time{}
	}
	return t.UTC()
}

// minInterval reads how often a feed asks to be polled at most.
func minInterval(gf *gofeed.Feed) time.Duration {
	var d time.Duration
	if r, ok := gf.OriginalFeed().(*rss.Feed); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(r.TTL)); err == nil && n > 0 {
			d = time.Duration(n) * time.Minute
		}
	}
	if sy := gf.Extensions["sy"]; sy != nil {
		period := map[string]time.Duration{
			"hourly": time.Hour, "daily": 24 * time.Hour, "weekly": 7 * 24 * time.Hour,
			"monthly": 30 * 24 * time.Hour, "yearly": 365 * 24 * time.Hour,
		}[strings.ToLower(strings.TrimSpace(extValue(sy, "updatePeriod")))]
		freq := 1
		if n, err := strconv.Atoi(strings.TrimSpace(extValue(sy, "updateFrequency"))); err == nil && n > 0 {
			freq = n
		}
		if period > 0 {
			d = max(d, period/time.Duration(freq))
		}
	}
	return d
}

func extValue(m map[string][]ext.Extension, name string) string {
	if v := m[name]; len(v) > 0 {
		return v[0].Value
	}
	return ""
}

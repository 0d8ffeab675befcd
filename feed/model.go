// Package feed turns feed documents into items and merged entries back into
// feed documents. Parsing goes through gofeed, writing through gorilla/feeds;
// everything in between (text extraction, canonical links, sanitising) lives
// here so that the other packages only ever see plain Go values.
package feed

import "time"

// Feed is one parsed source feed.
type Feed struct {
	URL   string // where it was fetched from
	Title string
	Link  string // the site's home page, if the feed names one
	Items []Item
	// MinInterval is how often the feed asks to be read at most: RSS <ttl>,
	// or sy:updatePeriod and sy:updateFrequency. Zero when it says nothing.
	MinInterval time.Duration
}

// Item is one article as a source feed published it, normalised so that
// items from RSS, Atom and JSON Feed can be compared.
type Item struct {
	FeedURL   string
	FeedTitle string
	GUID      string
	Link      string // canonical: tracking parameters and fragment removed
	Title     string
	Author    string
	Published time.Time // zero when the feed gave no date
	Updated   time.Time
	// HTML is the body as sanitised HTML, ready to be shown.
	HTML string
	// Text is the body as plain text, one paragraph per line-pair
	// ("\n\n" between paragraphs), entities decoded, markup removed.
	Text string
}

// Source is one published copy of a merged story.
type Source struct {
	URL       string
	FeedURL   string
	FeedTitle string
	Title     string
	Published time.Time
}

// Entry is one story of the merged feed: the representative copy's title,
// link and body, and every copy (representative first) in Sources.
type Entry struct {
	ID        string // stable across runs: derived from the representative
	Title     string
	Link      string
	Author    string
	Published time.Time
	Updated   time.Time
	HTML      string // sanitised
	Summary   string // plain-text excerpt
	Sources   []Source
}

// Meta describes the merged feed itself.
type Meta struct {
	Title       string
	Link        string // the home page of the merged feed
	Description string
	// BaseURL is where the merged feed is served from; the per-format
	// self links are derived from it (feed.xml, feed.atom, feed.json).
	// Empty means the feeds carry no self link.
	BaseURL string
	Updated time.Time
}

package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/dedupe"
	"github.com/aggregate-dev/aggregate/feed"
	"github.com/aggregate-dev/aggregate/fetch"
	"github.com/aggregate-dev/aggregate/publish"
)

func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// stats summarise one run for the log and for tests.
type stats struct {
	FeedsOK, FeedsFailed int
	Failed               map[string]string // feed URL -> cause
	Items                int
	Entries              int
	Merged               int // copies folded into another entry
}

// runOnce is the whole pipeline: fetch -> parse -> dedupe -> emit.
func runOnce(ctx context.Context, cfg *config.Config, log *slog.Logger, now func() time.Time) (*stats, error) {
	start := now()
	st := &stats{Failed: map[string]string{}}
	items := fetchAndParse(ctx, cfg, log, now, st)
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("run interrupted: %w", err)
	}
	if st.FeedsOK == 0 {
		return st, fmt.Errorf("no feed could be read (%d failed); output left as it was", st.FeedsFailed)
	}
	entries := merge(items, cfg.Dedupe)
	st.Items = len(items)
	st.Entries = len(entries)
	st.Merged = st.Items - st.Entries
	if len(entries) > cfg.Output.MaxItems {
		entries = entries[:cfg.Output.MaxItems]
	}
	meta := feed.Meta{
		Title:       cfg.Title,
		Link:        cfg.Link,
		Description: cfg.Description,
		BaseURL:     cfg.Server.BaseURL,
	}
	if meta.BaseURL == "" {
		// The home page is where the daemon serves the feeds unless the
		// config says they live elsewhere.
		meta.BaseURL = cfg.Link
	}
	for _, e := range entries {
		if e.Updated.After(meta.Updated) {
			meta.Updated = e.Updated
		}
	}
	dir := cfg.Resolve(cfg.Output.Dir)
	if _, err := publish.Write(dir, meta, entries); err != nil {
		return st, fmt.Errorf("write output: %w", err)
	}
	for u, cause := range st.Failed {
		log.Warn("feed failed", "feed", u, "error", cause)
	}
	log.Info("run complete",
		"feeds_ok", st.FeedsOK, "feeds_failed", st.FeedsFailed,
		"items", st.Items, "entries", len(entries), "copies_merged", st.Merged,
		"output", dir, "took", now().Sub(start).Round(time.Millisecond))
	return st, nil
}

// fetchAndParse reads every configured feed; one that fails is recorded in
// st and the others go on.
func fetchAndParse(ctx context.Context, cfg *config.Config, log *slog.Logger, now func() time.Time, st *stats) []feed.Item {
	f := fetch.New(fetch.Options{
		Timeout:      cfg.Fetch.Timeout.Duration,
		MaxBodyBytes: int64(cfg.Fetch.MaxBodyMB) << 20,
		UserAgent:    cfg.Fetch.UserAgent,
		Concurrency:  cfg.Fetch.Concurrency,
		BaseDir:      cfg.Resolve("."),
		Now:          now,
	})
	reqs := make([]fetch.Request, len(cfg.Feeds))
	for i, fc := range cfg.Feeds {
		reqs[i] = fetch.Request{URL: fc.URL}
	}
	log.Info("fetching feeds", "feeds", len(reqs))
	parser := feed.NewParser()
	var items []feed.Item
	for i, out := range f.FetchAll(ctx, reqs) {
		fc := cfg.Feeds[i]
		if out.Err != nil {
			st.FeedsFailed++
			st.Failed[fc.URL] = out.Err.Error()
			continue
		}
		parsed, err := parser.Parse(fc.URL, out.Result.Body)
		if err != nil {
			st.FeedsFailed++
			st.Failed[fc.URL] = err.Error()
			continue
		}
		if fc.Name != "" {
			parsed.Title = fc.Name
			for j := range parsed.Items {
				parsed.Items[j].FeedTitle = fc.Name
			}
		}
		st.FeedsOK++
		log.Debug("feed read", "feed", fc.URL, "title", parsed.Title, "items", len(parsed.Items))
		items = append(items, parsed.Items...)
	}
	return items
}

// merge clusters items into entries, newest first.
func merge(items []feed.Item, opts dedupe.Options) []feed.Entry {
	docs := make([]dedupe.Doc, len(items))
	for i, it := range items {
		docs[i] = dedupe.Doc{
			ID:    strconv.Itoa(i),
			Group: it.FeedURL,
			Text:  it.Text,
			Time:  it.Date(),
			Keys:  []string{it.GUID, it.Link},
		}
	}
	clusters := dedupe.Clusters(docs, opts)
	entries := make([]feed.Entry, 0, len(clusters))
	for _, c := range clusters {
		entries = append(entries, entry(items, c.Members))
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if !entries[i].Published.Equal(entries[j].Published) {
			return entries[i].Published.After(entries[j].Published)
		}
		return entries[i].ID < entries[j].ID
	})
	return entries
}

// entry builds the merged entry of one cluster; members come
// representative first.
func entry(items []feed.Item, members []int) feed.Entry {
	rep := items[members[0]]
	e := feed.Entry{
		ID:        entryID(rep),
		Title:     rep.Title,
		Link:      rep.Link,
		Author:    rep.Author,
		Published: rep.Date(),
		HTML:      rep.HTML,
		Summary:   excerpt(rep.Text, 280),
	}
	for _, m := range members {
		it := items[m]
		if d := it.Date(); d.After(e.Updated) {
			e.Updated = d
		}
		e.Sources = append(e.Sources, feed.Source{
			URL: it.Link, FeedURL: it.FeedURL, FeedTitle: it.FeedTitle,
			Title: it.Title, Published: it.Date(),
		})
	}
	if e.Title == "" {
		e.Title = excerpt(rep.Text, 80)
	}
	return e
}

// entryID derives a stable id from the representative's identity, so the
// same input always yields the same ids.
func entryID(rep feed.Item) string {
	key := rep.Link
	if key == "" {
		key = rep.FeedURL + "\x00" + rep.GUID
	}
	if key == "\x00" {
		key = rep.FeedURL + "\x00" + rep.Title + "\x00" + rep.Date().String()
	}
	sum := sha256.Sum256([]byte(key))
	sum[6] = sum[6]&0x0f | 0x50 // a name-based UUID (version 5 layout)
	sum[8] = sum[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
}

// excerpt returns the first paragraphs of text up to about max characters,
// cut at a word boundary. Paragraphs of a few words (by-lines, "Region:
// World") are skipped: they say nothing about the story.
func excerpt(text string, max int) string {
	var b strings.Builder
	for _, p := range strings.Split(text, "\n\n") {
		if len(strings.Fields(p)) < 8 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
		if b.Len() >= max {
			break
		}
	}
	s := b.String()
	if len(s) <= max {
		return s
	}
	cut := strings.LastIndexByte(s[:max], ' ')
	if cut < max/2 {
		cut = max
		for cut > 0 && !utf8RuneStart(s[cut]) {
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

func utf8RuneStart(b byte) bool { return b&0xc0 != 0x80 }

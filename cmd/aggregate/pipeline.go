package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aggregate-dev/aggregate/clock"
	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/dedupe"
	"github.com/aggregate-dev/aggregate/feed"
	"github.com/aggregate-dev/aggregate/fetch"
	"github.com/aggregate-dev/aggregate/publish"
	"github.com/aggregate-dev/aggregate/store"
)

// stats summarise one run for the log, the metrics and tests.
type stats struct {
	FeedsOK, FeedsFailed int
	NotModified          int
	Waiting              int               // feeds skipped: in backoff or not due yet
	Failed               map[string]string // feed URL -> cause
	NewItems             int               // items first seen in this run
	Items                int               // stored items the output was built from
	Entries              int
	Merged               int // copies folded into another entry
	Pruned               int
	Output               map[string][]byte // the rendered files, by name
	// Stories are the clusters with the reason each item joined, over
	// StoryItems (by store item ID), for --dry-run.
	Stories    []dedupe.Story
	StoryItems []store.StoredItem
}

// pipeline is fetch -> parse -> store -> dedupe -> emit, run once per call.
type pipeline struct {
	cfg     *config.Config
	db      *store.DB
	log     *slog.Logger
	clock   clock.Clock
	fetcher *fetch.Fetcher
	policy  fetch.Policy
	parser  *feed.Parser
	// publisher writes the output; one per pipeline, so that its runs
	// never interleave their files.
	publisher *publish.Publisher
	// force fetches every feed now, whatever its backoff says.
	force bool
	// progressTo receives the progress of fetching: a bar when it is a
	// terminal, log lines otherwise.
	progressTo io.Writer
	// indexLogFrom is the history, in items, from which filling the dedupe
	// index logs its progress (a tenth at a time): at a million items it
	// takes a minute or two.
	indexLogFrom int
	// kept is the dedupe index of the last run, which the next run of the
	// same pipeline (the daemon's) brings up to date rather than building
	// again from every stored fingerprint; nil before the first run and
	// after one that failed.
	kept *keptIndex
}

// keptIndex is a dedupe index with what it knows of the stored items.
type keptIndex struct {
	x *dedupe.Index
	// known is the highest item ID read so far; seen holds, by item, a
	// hash of what dedupe was told besides the text (its time and keys),
	// so that an item whose date or link changed is told again.
	known int64
	seen  map[int64]uint64
}

func newPipeline(cfg *config.Config, db *store.DB, log *slog.Logger, clk clock.Clock) *pipeline {
	return &pipeline{
		cfg: cfg, db: db, log: log, clock: clk,
		fetcher: fetch.New(fetch.Options{
			Timeout:        cfg.Fetch.Timeout.Duration,
			ConnectTimeout: cfg.Fetch.ConnectTimeout.Duration,
			MaxBodyBytes:   int64(cfg.Fetch.MaxBodyMB) << 20,
			UserAgent:      cfg.Fetch.UserAgent,
			Concurrency:    cfg.Fetch.Concurrency,
			PerHost:        cfg.Fetch.PerHost,
			HostInterval:   hostInterval(cfg.Fetch.HostInterval.Duration),
			BaseDir:        cfg.Resolve("."),
			// Only the time is injected: spacing between requests waits in
			// real time, as the servers it protects live in real time.
			Now:    clk.Now,
			Logger: log,
		}),
		// The schedule spaces runs; the policy adds what failures, servers
		// and feeds ask for on top.
		policy:       fetch.Policy{Base: cfg.Fetch.BackoffBase.Duration, Cap: cfg.Fetch.BackoffMax.Duration},
		parser:       feed.NewParser(),
		publisher:    publish.New(),
		progressTo:   io.Discard,
		indexLogFrom: 50000,
	}
}

// run does one whole run and records it in the store.
func (p *pipeline) run(ctx context.Context) (*stats, error) {
	start := p.clock.Now()
	st, err := p.runOnce(ctx)
	rec := store.Run{Started: start, Finished: p.clock.Now(), OK: err == nil}
	if err != nil {
		rec.Error = err.Error()
	}
	if st != nil {
		rec.FeedsOK, rec.FeedsFailed, rec.Items, rec.Entries = st.FeedsOK, st.FeedsFailed, st.Items, st.Entries
	}
	// Record even when the run's context is done: the record is what
	// `status` and /healthz read.
	if rerr := p.db.RecordRun(context.WithoutCancel(ctx), rec); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return st, err
	}
	for _, u := range sortedKeys(st.Failed) {
		p.log.Warn("feed failed", "feed", u, "error", st.Failed[u])
	}
	p.log.Info("run complete",
		"feeds_ok", st.FeedsOK, "feeds_failed", st.FeedsFailed, "not_modified", st.NotModified, "waiting", st.Waiting,
		"new_items", st.NewItems, "items", st.Items, "entries", st.Entries, "copies_merged", st.Merged,
		"pruned", st.Pruned, "output", p.cfg.Resolve(p.cfg.Output.Dir),
		"took", p.clock.Now().Sub(start).Round(time.Millisecond))
	return st, nil
}

func (p *pipeline) runOnce(ctx context.Context) (*stats, error) {
	now := p.clock.Now()
	st := &stats{Failed: map[string]string{}}
	// Wall time per stage, for the log: where a slow run spends its time.
	lap := time.Now()
	stage := func(name string) {
		p.log.Debug("stage done", "stage", name, "took", time.Since(lap).Round(time.Millisecond))
		lap = time.Now()
	}
	if err := p.fetchAll(ctx, now, st); err != nil {
		return st, err
	}
	stage("fetch, read and store")
	if err := ctx.Err(); err != nil {
		return st, fmt.Errorf("run interrupted: %w", err)
	}
	if st.FeedsOK == 0 && st.FeedsFailed > 0 {
		return st, fmt.Errorf("no feed could be read (%d failed); output left as it was", st.FeedsFailed)
	}
	pruned, err := p.db.Prune(ctx, now.Add(-p.cfg.Store.Keep.Duration), p.cfg.Store.MaxItems)
	if err != nil {
		return st, err
	}
	st.Pruned = pruned
	old, err := p.db.Clusters(ctx)
	if err != nil {
		return st, err
	}
	stage("load clusters")
	items, cs, stories, err := p.dedupe(ctx)
	if err != nil {
		return st, err
	}
	clusters := assignIDs(items, cs, old, now)
	st.Stories, st.StoryItems = stories, items
	stage("dedupe")
	if err := p.db.ReplaceClusters(ctx, clusters); err != nil {
		return st, err
	}
	stage("store clusters")
	st.Items, st.Entries, st.Merged = len(items), len(clusters), len(items)-len(clusters)
	entries, err := p.buildEntries(ctx, items, clusters)
	if err != nil {
		return st, err
	}
	out, err := publish.Render(p.meta(entries), entries)
	if err != nil {
		return st, err
	}
	dir := p.cfg.Resolve(p.cfg.Output.Dir)
	if _, err := p.publisher.WriteRendered(dir, out); err != nil {
		return st, fmt.Errorf("write output: %w", err)
	}
	stage("write output")
	st.Output = out
	return st, nil
}

// fetchAll fetches every configured feed and stores what each gave, one
// transaction per feed; a feed that fails is recorded and the others go on.
func (p *pipeline) fetchAll(ctx context.Context, now time.Time, st *stats) error {
	var reqs []fetch.Request
	var states []store.FeedState
	for _, fc := range p.cfg.Feeds {
		s, ok, err := p.db.Feed(ctx, fc.URL)
		if err != nil {
			return err
		}
		if !ok {
			s = store.FeedState{URL: fc.URL}
		}
		if !p.force && s.NextFetch.After(now) {
			st.Waiting++
			p.log.Debug("feed not due", "feed", fc.URL, "next_fetch", s.NextFetch, "reason", s.NextReason)
			continue
		}
		s.Name = fc.Name
		req := fetch.Request{URL: s.Target()}
		if s.Items > 0 {
			// Validators are only worth sending when what they stand for
			// is stored.
			req.Validators = fetch.Validators{ETag: s.ETag, LastModified: s.LastModified}
		}
		states = append(states, s)
		reqs = append(reqs, req)
	}
	p.log.Info("fetching feeds", "feeds", len(reqs))
	bar := newProgress(p.progressTo, len(reqs), func(done, total, failed int) {
		p.log.Info("progress", "feeds_done", done, "of", total, "failed", failed)
	})

	// Fetching, reading and storing overlap: the fetcher hands each
	// response to a pool of readers as it comes in (parsing is the CPU
	// work), and one writer commits what they read in batches, one
	// transaction per batch.
	type fetched struct {
		i   int
		out fetch.Outcome
	}
	// Each stage waits for the next in a short queue: when storing falls
	// behind, reading waits for it, and when reading does, fetching waits
	// (see fetch.Fetcher.Each), rather than a run of a million items
	// holding them all, fetched or parsed, in memory.
	readers := max(1, runtime.GOMAXPROCS(0))
	toRead := make(chan fetched, readers)
	toSave := make(chan feedResult, 2*saveBatch)
	var reading sync.WaitGroup
	for range readers {
		reading.Go(func() {
			fp := dedupe.NewFingerprinter(p.cfg.Dedupe)
			for f := range toRead {
				toSave <- p.outcome(ctx, fp, states[f.i], f.out, now)
			}
		})
	}
	saved := make(chan error, 1)
	go func() { saved <- p.save(ctx, toSave, now, st, bar) }()
	p.fetcher.Each(ctx, reqs, func(i int, out fetch.Outcome) { toRead <- fetched{i, out} })
	close(toRead)
	reading.Wait()
	close(toSave)
	return <-saved
}

// feedResult is what one feed's fetch came to: the update to store, and
// how it went.
type feedResult struct {
	update      store.FeedUpdate
	err         error
	notModified bool
	canceled    bool
}

// saveBatch is the most feeds committed in one transaction, and saveEvery
// how long a smaller batch may wait for more while feeds trickle in.
const (
	saveBatch = 64
	saveEvery = 250 * time.Millisecond
)

// save commits results in batches of up to saveBatch feeds, one
// transaction each; a batch also goes when results stop coming for a while,
// so a slow feed never holds back the others' commit. A process killed
// mid-run loses at most the batch in flight.
func (p *pipeline) save(ctx context.Context, results <-chan feedResult, now time.Time, st *stats, bar *progress) error {
	var (
		batch     []store.FeedUpdate
		err       error
		done      int
		lastFlush = p.clock.Now()
	)
	flush := func() {
		if len(batch) == 0 || err != nil {
			batch = batch[:0]
			return
		}
		var added int
		added, err = p.db.SaveFeeds(ctx, batch, now)
		st.NewItems += added
		batch = batch[:0]
	}
	for r := range results {
		done++
		switch {
		case r.canceled:
			if err == nil {
				err = fmt.Errorf("run interrupted: %w", r.err)
			}
		case r.err != nil:
			st.FeedsFailed++
			st.Failed[r.update.State.URL] = r.err.Error()
		default:
			st.FeedsOK++
			if r.notModified {
				st.NotModified++
			}
		}
		if !r.canceled {
			batch = append(batch, r.update)
		}
		bar.update(done, st.FeedsFailed)
		if len(batch) >= saveBatch || (len(results) == 0 && p.clock.Now().Sub(lastFlush) >= saveEvery) {
			flush()
			lastFlush = p.clock.Now()
		}
	}
	flush()
	return err
}

// outcome turns one feed's fetch into the update to store: its new state
// (including when it may be fetched next) and, when it was read, its items
// with their fingerprints. Shingling here, in the pool of readers, costs a
// tenth of parsing and spares the dedupe stage, which runs alone, reading
// every new item's text back from the store and shingling it.
func (p *pipeline) outcome(ctx context.Context, fp *dedupe.Fingerprinter, s store.FeedState, out fetch.Outcome, now time.Time) feedResult {
	s.LastFetch = now
	var items []feed.Item
	res, err := out.Result, out.Err
	r := feedResult{}
	if err == nil && res.PermanentRedirect != "" {
		p.log.Info("feed moved permanently", "feed", s.URL, "from", s.Target(), "to", res.PermanentRedirect)
		s.FetchURL = res.PermanentRedirect
	}
	if err == nil && res.NotModified {
		s.LastStatus, s.LastError, s.Failures = store.StatusNotModified, "", 0
		r.notModified = true
	} else if err == nil {
		var parsed *feed.Feed
		parsed, res, err = p.read(ctx, &s, res)
		if err == nil {
			items = parsed.Items
			if len(items) > p.cfg.Fetch.MaxItems {
				p.log.Warn("feed has more items than taken", "feed", s.URL, "items", len(items), "taken", p.cfg.Fetch.MaxItems)
				items = items[:p.cfg.Fetch.MaxItems]
			}
			s.Title = parsed.Title
			s.Interval = parsed.MinInterval
			s.ETag, s.LastModified = res.Validators.ETag, res.Validators.LastModified
			s.LastStatus, s.LastError, s.Failures = store.StatusOK, "", 0
			p.log.Debug("feed read", "feed", s.URL, "title", parsed.Title, "items", len(items))
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return feedResult{err: err, canceled: true}
		}
		s.LastStatus, s.LastError = store.StatusError, err.Error()
		s.Failures++
		r.err = err
	}
	s.NextFetch, s.NextReason = p.policy.Next(p.clock.Now(), fetch.FetchOutcome{
		Err: err, Result: res, Failures: s.Failures, FeedInterval: s.Interval,
	})
	if s.Name != "" {
		for j := range items {
			items[j].FeedTitle = s.Name
		}
	}
	r.update = store.FeedUpdate{State: s, Items: items}
	if len(items) > 0 {
		r.update.Fingerprints = make([][]byte, len(items))
		for j, it := range items {
			r.update.Fingerprints[j] = fp.Fingerprint(it.Text)
		}
	}
	return r
}

// read parses a fetched body as a feed. A web page that advertises a feed
// is followed to it (autodiscovery), and the feed's URL is remembered so
// that the page is not fetched again; a page that advertises none is an
// error that says so.
func (p *pipeline) read(ctx context.Context, s *store.FeedState, res *fetch.Result) (*feed.Feed, *fetch.Result, error) {
	if feed.LooksLikeHTML(res.Body) {
		links := feed.Discover(res.Body, res.FinalURL)
		if len(links) == 0 {
			return nil, res, fmt.Errorf("read %s: an HTML page that advertises no feed", s.Target())
		}
		p.log.Info("feed discovered", "feed", s.URL, "page", res.FinalURL, "feed_url", links[0])
		next, err := p.fetcher.Fetch(ctx, fetch.Request{URL: links[0]})
		if err != nil {
			return nil, res, err
		}
		if feed.LooksLikeHTML(next.Body) {
			return nil, next, fmt.Errorf("read %s: the feed %s it advertises is an HTML page too", s.Target(), links[0])
		}
		s.FetchURL, res = links[0], next
	}
	body, err := feed.ToUTF8(res.Body, res.ContentType)
	if err != nil {
		return nil, res, fmt.Errorf("read %s: %w", s.Target(), err)
	}
	parsed, err := p.parser.Parse(s.URL, body)
	return parsed, res, err
}

// hostInterval maps the config's "no spacing" (0) to the fetcher's.
func hostInterval(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func (p *pipeline) meta(entries []feed.Entry) feed.Meta {
	m := feed.Meta{
		Title:       p.cfg.Title,
		Link:        p.cfg.Link,
		Description: p.cfg.Description,
		BaseURL:     p.cfg.Server.BaseURL,
	}
	if m.BaseURL == "" {
		// The home page is where the daemon serves the feeds unless the
		// config says they live elsewhere.
		m.BaseURL = p.cfg.Link
	}
	for _, e := range entries {
		if e.Updated.After(m.Updated) {
			m.Updated = e.Updated
		}
	}
	return m
}

// itemTime is when an item counts as published: its own date, else when it
// was first seen, so that undated items keep a stable place.
func itemTime(it store.StoredItem) time.Time {
	if d := it.Date(); !d.IsZero() {
		return d
	}
	return it.FirstSeen
}

// doc is what dedupe sees of a stored item.
func doc(it store.StoredItem) dedupe.Doc {
	return dedupe.Doc{
		ID:    strconv.FormatInt(it.ID, 10),
		Group: it.FeedURL,
		Text:  it.Text,
		Time:  itemTime(it),
		Keys:  []string{it.GUID, it.Link},
	}
}

// fingerprintBatch is how many new fingerprints a run stores at a time,
// and readBatch how many texts it reads at a time.
const (
	fingerprintBatch = 4096
	readBatch        = 500
)

// dedupe runs dedupe over the stored items of the configured feeds (see
// index). It returns the items without their bodies, and the clusters
// naming them by index, the representative first.
func (p *pipeline) dedupe(ctx context.Context) ([]store.StoredItem, []dedupe.Cluster, []dedupe.Story, error) {
	items, k, err := p.index(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	byID := make(map[string]int, len(items))
	for i, it := range items {
		byID[strconv.FormatInt(it.ID, 10)] = i
	}
	if len(items) >= p.indexLogFrom {
		p.log.Info("clustering", "items", len(items))
	}
	stories := k.x.Clusters()
	cs := make([]dedupe.Cluster, len(stories))
	for i, s := range stories {
		for _, id := range s.IDs {
			cs[i].Members = append(cs[i].Members, byID[id])
		}
	}
	p.kept = k
	return items, cs, stories, nil
}

// index tells the dedupe index about the stored items of the feeds the
// config names (a feed removed from the config drops out of the output at
// once), reading them one at a time: items whose fingerprint is stored are
// not shingled again, and the others' fingerprints are stored for the next
// run. An index kept from the last run is told only what changed. It
// returns the items without their bodies, and the index, which is no
// longer the pipeline's until the caller gives it back (p.kept).
func (p *pipeline) index(ctx context.Context) ([]store.StoredItem, *keptIndex, error) {
	// Whatever goes wrong below leaves the index half told: the next run
	// starts afresh unless this one completes.
	k := p.kept
	p.kept = nil
	if k == nil {
		k = &keptIndex{x: p.newIndex(), seen: map[int64]uint64{}}
	}
	names := map[string]string{}
	for _, fc := range p.cfg.Feeds {
		names[fc.URL] = fc.Name
	}
	// Room for every stored item at once: at a million, growing the
	// slices step by step costs more than reading them.
	n, err := p.db.CountItems(ctx)
	if err != nil {
		return nil, nil, err
	}
	if n > len(k.seen) {
		k.x.Grow(n - len(k.seen))
	}
	items := make([]store.StoredItem, 0, n)
	seen := make(map[int64]uint64, n)
	fresh := map[int64][]byte{}
	// Docs whose text must be read: told before with other dates or keys,
	// or whose fingerprint is of another version (after an upgrade, the
	// whole history), read in batches.
	var unread []dedupe.Doc
	// New fingerprints are stored by a writer of their own, while the
	// scan goes on shingling: storing them costs about as much.
	toSave := make(chan map[int64][]byte, 2)
	saved := make(chan error, 1)
	go func() {
		var err error
		for batch := range toSave {
			if err == nil {
				err = p.db.SaveFingerprints(ctx, batch)
			}
		}
		saved <- err
	}()
	add := func(d dedupe.Doc) {
		k.x.Add(d)
		if fp, ok := k.x.Fingerprint(d.ID); ok {
			id, _ := strconv.ParseInt(d.ID, 10, 64)
			fresh[id] = fp
		}
		if len(fresh) >= fingerprintBatch {
			toSave <- fresh
			fresh = map[int64][]byte{}
		}
	}
	readUnread := func() error {
		ids := make([]int64, len(unread))
		for i, d := range unread {
			ids[i], _ = strconv.ParseInt(d.ID, 10, 64)
		}
		bodies, err := p.db.Bodies(ctx, ids)
		if err != nil {
			return err
		}
		for i, d := range unread {
			d.Text = bodies[ids[i]].Text
			add(d)
		}
		unread = unread[:0]
		return nil
	}
	scanned, tenth := 0, 0
	logProgress := n > 0 && n >= p.indexLogFrom
	err = p.db.ScanItems(ctx, k.known, func(it store.StoredItem, fp []byte, hasFP bool) error {
		if scanned++; logProgress && scanned*10/n > tenth {
			tenth = scanned * 10 / n
			p.log.Info("indexing stored items", "done", scanned, "of", n)
		}
		name, ok := names[it.FeedURL]
		if !ok {
			return nil
		}
		if name != "" {
			it.FeedTitle = name
		}
		d := doc(it)
		sig := docSig(d)
		seen[it.ID] = sig
		known, told := k.seen[it.ID]
		it.Text = ""
		items = append(items, it)
		switch {
		case told && known == sig && hasFP && k.x.Has(d.ID):
			return nil // unchanged since the last run
		case fp != nil && k.x.AddFingerprint(d, fp) == nil:
			return nil
		case hasFP:
			if unread = append(unread, d); len(unread) == readBatch {
				return readUnread()
			}
			return nil
		}
		add(d)
		return nil
	})
	if err == nil {
		err = readUnread()
	}
	toSave <- fresh
	close(toSave)
	if serr := <-saved; err == nil {
		err = serr
	}
	if err != nil {
		p.closeIndex(k.x)
		return nil, nil, err
	}
	if err := k.x.DiskErr(); err != nil {
		p.log.Warn("dedupe index: the disk is full; newer shingle sets are kept in memory", "error", err)
	}
	for id := range k.seen {
		if _, ok := seen[id]; !ok {
			k.x.Remove(strconv.FormatInt(id, 10))
		}
	}
	for _, it := range items {
		k.known = max(k.known, it.ID)
	}
	k.seen = seen
	return items, k, nil
}

// newIndex returns an empty dedupe index whose shingle sets, two thirds
// of it (1.8 GB at a million items), are kept in a file beside the store
// rather than on the heap (see dedupe.Index.KeepOnDisk).
func (p *pipeline) newIndex() *dedupe.Index {
	x := dedupe.NewIndex(p.cfg.Dedupe)
	if err := x.KeepOnDisk(filepath.Dir(p.db.Path())); err != nil {
		p.log.Warn("dedupe index kept in memory", "error", err)
	}
	return x
}

func (p *pipeline) closeIndex(x *dedupe.Index) {
	if err := x.Close(); err != nil {
		p.log.Warn("close dedupe index", "error", err)
	}
}

// close lets go of the index kept between runs.
func (p *pipeline) close() {
	if p.kept != nil {
		p.closeIndex(p.kept.x)
		p.kept = nil
	}
}

// docSig hashes what dedupe is told of a doc besides its text.
func docSig(d dedupe.Doc) uint64 {
	h := fnv.New64a()
	var t [8]byte
	binary.LittleEndian.PutUint64(t[:], uint64(d.Time.UnixNano()))
	h.Write(t[:])
	for _, s := range append([]string{d.Group}, d.Keys...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// assignIDs turns this run's clusters into stored clusters, keeping the id
// and the published date of the cluster each one continues, so that a story
// a reader has already seen keeps its identity when a new copy joins it
// (its updated date moves instead). A cluster continues the earlier cluster
// of its representative, else of its earliest member that had one; the
// first to claim an id keeps it.
func assignIDs(items []store.StoredItem, cs []dedupe.Cluster, old []store.Cluster, now time.Time) []store.Cluster {
	oldOf := map[int64]int{}
	for i, c := range old {
		for _, id := range c.Members {
			oldOf[id] = i
		}
	}
	taken := map[string]bool{}
	out := make([]store.Cluster, 0, len(cs))
	for _, c := range cs {
		sc := store.Cluster{}
		for _, m := range c.Members {
			sc.Members = append(sc.Members, items[m].ID)
		}
		rep := items[c.Rep()]
		prev := -1
		for _, id := range sc.Members {
			if i, ok := oldOf[id]; ok && !taken[old[i].ID] {
				prev = i
				break
			}
		}
		newest := time.Time{}
		for _, m := range c.Members {
			if d := itemTime(items[m]); d.After(newest) {
				newest = d
			}
		}
		if prev >= 0 {
			o := old[prev]
			sc.ID, sc.Published, sc.Updated = o.ID, o.Published, o.Updated
			if !equalIDs(o.Members, sc.Members) {
				sc.Updated = maxTime(o.Updated, newest, now)
			}
		} else {
			sc.ID = entryID(rep.Item)
			for n := 2; taken[sc.ID]; n++ {
				sc.ID = entryID(rep.Item, strconv.Itoa(n))
			}
			sc.Published, sc.Updated = itemTime(rep), newest
		}
		taken[sc.ID] = true
		out = append(out, sc)
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func maxTime(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// buildEntries makes the merged entries of the newest clusters, up to the
// output's max_items, newest first; only their representatives' bodies
// are read.
func (p *pipeline) buildEntries(ctx context.Context, items []store.StoredItem, cs []store.Cluster) ([]feed.Entry, error) {
	cs = slices.Clone(cs)
	slices.SortStableFunc(cs, func(a, b store.Cluster) int {
		if c := b.Published.Compare(a.Published); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	cs = cs[:min(len(cs), p.cfg.Output.MaxItems)]
	reps := make([]int64, len(cs))
	for i, c := range cs {
		reps[i] = c.Members[0]
	}
	bodies, err := p.db.Bodies(ctx, reps)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*store.StoredItem, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	entries := make([]feed.Entry, 0, len(cs))
	for _, c := range cs {
		rep := byID[c.Members[0]]
		body := bodies[rep.ID]
		e := feed.Entry{
			ID:        c.ID,
			Title:     rep.Title,
			Link:      rep.Link,
			Author:    rep.Author,
			Published: c.Published,
			Updated:   c.Updated,
			HTML:      body.HTML,
			Summary:   excerpt(body.Text, 280),
		}
		if e.Title == "" {
			e.Title = excerpt(body.Text, 80)
		}
		for _, id := range c.Members {
			it := byID[id]
			e.Sources = append(e.Sources, feed.Source{
				URL: it.Link, FeedURL: it.FeedURL, FeedTitle: it.FeedTitle,
				Title: it.Title, Published: itemTime(*it),
			})
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// entryID derives an id from the representative's identity (its link, else
// its feed and GUID), so that the same input always gives the same ids.
func entryID(rep feed.Item, salt ...string) string {
	key := rep.Link
	if key == "" {
		key = rep.FeedURL + "\x00" + rep.GUID + "\x00" + rep.Title
	}
	sum := sha256.Sum256([]byte(strings.Join(append([]string{key}, salt...), "\x00")))
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
		for cut > 0 && s[cut]&0xc0 == 0x80 {
			cut--
		}
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aggregate-dev/aggregate/feed"
)

// The values of FeedState.LastStatus.
const (
	StatusOK          = "ok"
	StatusNotModified = "not-modified"
	StatusError       = "error"
)

// FeedState is what the store remembers about one source feed between
// fetches.
type FeedState struct {
	URL   string
	Name  string // the name the configuration gives it
	Title string // the title the feed gives itself
	// ETag and LastModified are the validators of the last 200 response,
	// sent back as If-None-Match and If-Modified-Since.
	ETag, LastModified string
	LastFetch          time.Time
	LastStatus         string // StatusOK, StatusNotModified, StatusError, or "" before the first fetch
	LastError          string
	Failures           int // consecutive failed fetches
	NextFetch          time.Time
	NextReason         string // why NextFetch is what it is: a backoff, a Retry-After, the feed's ttl
	// FetchURL is where the feed is fetched from when that is not URL: the
	// target of a permanent redirect, or the feed a web page advertises.
	FetchURL string
	// Interval is how often the feed asked to be read at most (its ttl).
	Interval time.Duration
	Items    int // how many items of this feed are stored; filled by Feed and Feeds, ignored by SaveFeed
}

// Target is the URL to fetch the feed from.
func (st FeedState) Target() string {
	if st.FetchURL != "" {
		return st.FetchURL
	}
	return st.URL
}

const feedColumns = `f.url, f.name, f.title, f.etag, f.last_modified, f.last_fetch, f.last_status,
	f.last_error, f.failures, f.next_fetch, f.next_reason, f.fetch_url, f.feed_interval_ms,
	(SELECT COUNT(*) FROM items i WHERE i.feed_url = f.url)`

func scanFeed(sc interface{ Scan(...any) error }) (FeedState, error) {
	var (
		st                   FeedState
		lastFetch, nextFetch sql.NullString
	)
	var intervalMS int64
	if err := sc.Scan(&st.URL, &st.Name, &st.Title, &st.ETag, &st.LastModified, &lastFetch,
		&st.LastStatus, &st.LastError, &st.Failures, &nextFetch, &st.NextReason, &st.FetchURL, &intervalMS, &st.Items); err != nil {
		return FeedState{}, err
	}
	st.Interval = time.Duration(intervalMS) * time.Millisecond
	var err error
	if st.LastFetch, err = parseTime(lastFetch); err != nil {
		return FeedState{}, err
	}
	if st.NextFetch, err = parseTime(nextFetch); err != nil {
		return FeedState{}, err
	}
	return st, nil
}

// Feed returns the stored state of the feed at url; false if there is none.
func (db *DB) Feed(ctx context.Context, url string) (FeedState, bool, error) {
	row := db.r.QueryRowContext(ctx, "SELECT "+feedColumns+" FROM feeds f WHERE f.url = ?", url)
	st, err := scanFeed(row)
	if errors.Is(err, sql.ErrNoRows) {
		return FeedState{}, false, nil
	}
	if err != nil {
		return FeedState{}, false, fmt.Errorf("store: read feed %s: %w", url, err)
	}
	return st, true, nil
}

// Feeds returns every stored feed, sorted by URL, with its item count.
func (db *DB) Feeds(ctx context.Context) ([]FeedState, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+feedColumns+" FROM feeds f ORDER BY f.url")
	if err != nil {
		return nil, fmt.Errorf("store: list feeds: %w", err)
	}
	defer rows.Close()
	var out []FeedState
	for rows.Next() {
		st, err := scanFeed(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list feeds: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list feeds: %w", err)
	}
	return out, nil
}

// ItemKey is what identifies an item within its feed: its GUID if it has
// one, else its canonical link, else its title and published date. Two
// items of one feed with the same key are the same item.
func ItemKey(it feed.Item) string {
	switch {
	case it.GUID != "":
		return "guid:" + it.GUID
	case it.Link != "":
		return "link:" + it.Link
	default:
		date := ""
		if !it.Published.IsZero() {
			date = it.Published.UTC().Format(timeLayout)
		}
		return "title:" + date + " " + it.Title
	}
}

// SaveFeed stores the new state of the feed st.URL and its items, in one
// transaction. Items are stored under st.URL whatever their FeedURL says,
// and upserted by ItemKey: an item already stored keeps its ID and
// FirstSeen and has its content (titles, link, author, dates, bodies)
// replaced; a new one gets a new ID and FirstSeen = seenAt. Stored items
// missing from items are left alone (Prune removes old items). st.Items is
// ignored.
func (db *DB) SaveFeed(ctx context.Context, st FeedState, items []feed.Item, seenAt time.Time) error {
	_, err := db.SaveFeeds(ctx, []FeedUpdate{{State: st, Items: items}}, seenAt)
	return err
}

// FeedUpdate is one feed's new state and the items it listed.
type FeedUpdate struct {
	State FeedState
	Items []feed.Item
	// Fingerprints, when not nil, holds each item's dedupe fingerprint
	// (by index in Items; nil for none). The fingerprint of a new item is
	// stored with it, in the same transaction, so that dedupe need not
	// read its text back. An item already stored keeps the fingerprint it
	// has, or has none after its text changed: an index kept from the last
	// run notices a changed text by the missing fingerprint (see
	// ScanItems).
	Fingerprints [][]byte
}

// SaveFeeds stores several feeds as SaveFeed does, all in one transaction
// (a run commits its feeds in batches: one commit per feed costs more than
// the parsing), and returns how many items were new.
func (db *DB) SaveFeeds(ctx context.Context, ups []FeedUpdate, seenAt time.Time) (int, error) {
	for _, u := range ups {
		if err := checkFeed(u.State, u.Items, seenAt); err != nil {
			return 0, fmt.Errorf("store: save feed %s: %w", u.State.URL, err)
		}
	}
	var added int
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		// An item's id is greater than every id before it (AUTOINCREMENT),
		// so an upsert added an item when the id it returns is above the
		// greatest one so far. Counting the table instead, before and
		// after, read its whole index on every batch: a cost that grew with
		// the store, not with the batch.
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM items").Scan(&last); err != nil {
			return fmt.Errorf("store: last item id: %w", err)
		}
		// Ids are never reused: the greatest, with what this batch may
		// add, bounds the history from above.
		n := last
		for _, u := range ups {
			n += int64(len(u.Items))
		}
		if err := db.fitCache(ctx, tx, n); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		stmts, err := prepareSave(ctx, tx)
		if err != nil {
			return err
		}
		defer stmts.close()
		for _, u := range ups {
			n, err := saveFeedTx(ctx, stmts, u, seenAt, &last)
			if err != nil {
				return fmt.Errorf("store: save feed %s: %w", u.State.URL, err)
			}
			added += n
		}
		return nil
	})
	if err != nil {
		// Rolled back: nothing was added.
		if !strings.HasPrefix(err.Error(), "store: ") {
			err = fmt.Errorf("store: save feeds: %w", err)
		}
		return 0, err
	}
	return added, nil
}

// checkFeed refuses what the database would store wrongly or not at all.
func checkFeed(st FeedState, items []feed.Item, seenAt time.Time) error {
	if st.URL == "" {
		return errors.New("empty URL")
	}
	if seenAt.IsZero() {
		return errors.New("zero seenAt")
	}
	if st.Failures < 0 {
		return fmt.Errorf("negative failure count %d", st.Failures)
	}
	switch st.LastStatus {
	case "", StatusOK, StatusNotModified, StatusError:
	default:
		return fmt.Errorf("unknown status %q", st.LastStatus)
	}
	for _, c := range []struct {
		what string
		t    time.Time
	}{{"last fetch", st.LastFetch}, {"next fetch", st.NextFetch}, {"seen at", seenAt}} {
		if err := checkTime(c.what, c.t); err != nil {
			return err
		}
	}
	for _, it := range items {
		if err := checkTime("item "+ItemKey(it)+" published", it.Published); err != nil {
			return err
		}
		if err := checkTime("item "+ItemKey(it)+" updated", it.Updated); err != nil {
			return err
		}
	}
	return nil
}

// upsertFeedSQL, upsertItemSQL, upsertBodySQL and insertFingerprintSQL
// write a feed's state, one item, its bodies and its fingerprint.
const (
	upsertFeedSQL = `INSERT INTO feeds
		(url, name, title, etag, last_modified, last_fetch, last_status, last_error, failures, next_fetch, last_parsed,
		 next_reason, fetch_url, feed_interval_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET
			name = excluded.name, title = excluded.title, etag = excluded.etag,
			last_modified = excluded.last_modified, last_fetch = excluded.last_fetch,
			last_status = excluded.last_status, last_error = excluded.last_error,
			failures = excluded.failures, next_fetch = excluded.next_fetch,
			last_parsed = COALESCE(excluded.last_parsed, feeds.last_parsed),
			next_reason = excluded.next_reason, fetch_url = excluded.fetch_url,
			feed_interval_ms = excluded.feed_interval_ms`
	upsertItemSQL = `INSERT INTO items
		(feed_url, item_key, feed_title, guid, link, title, author, published, updated, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (feed_url, item_key) DO UPDATE SET
			feed_title = excluded.feed_title, guid = excluded.guid, link = excluded.link,
			title = excluded.title, author = excluded.author, published = excluded.published,
			updated = excluded.updated, last_seen = excluded.last_seen
		RETURNING id`
	// Bodies that did not change are not written again: a feed read again
	// lists mostly the items it listed before.
	upsertBodySQL = `INSERT INTO item_bodies (item_id, html, text) VALUES (?, ?, ?)
		ON CONFLICT (item_id) DO UPDATE SET html = excluded.html, text = excluded.text
		WHERE item_bodies.html IS NOT excluded.html OR item_bodies.text IS NOT excluded.text`
	insertFingerprintSQL = `INSERT INTO fingerprints (item_id, fp) VALUES (?, ?)
		ON CONFLICT (item_id) DO UPDATE SET fp = excluded.fp`
)

// saveStmts are the statements of a save, prepared once per transaction.
type saveStmts struct{ feed, item, body, fp *sql.Stmt }

func prepareSave(ctx context.Context, tx *sql.Tx) (*saveStmts, error) {
	s := &saveStmts{}
	for _, p := range []struct {
		to   **sql.Stmt
		sql  string
		what string
	}{
		{&s.feed, upsertFeedSQL, "feed upsert"},
		{&s.item, upsertItemSQL, "item upsert"},
		{&s.body, upsertBodySQL, "body upsert"},
		{&s.fp, insertFingerprintSQL, "fingerprint insert"},
	} {
		stmt, err := tx.PrepareContext(ctx, p.sql)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("prepare %s: %w", p.what, err)
		}
		*p.to = stmt
	}
	return s, nil
}

func (s *saveStmts) close() {
	for _, stmt := range []*sql.Stmt{s.feed, s.item, s.body, s.fp} {
		if stmt != nil {
			stmt.Close()
		}
	}
}

// saveFeedTx writes one feed and its items with the statements of a
// transaction, and returns how many items were new: those given an id
// above *last, which it moves up to the newest. (A feed that lists an item
// twice updates, the second time, a row whose id is not above *last.)
func saveFeedTx(ctx context.Context, stmts *saveStmts, u FeedUpdate, seenAt time.Time, last *int64) (int, error) {
	st, items := u.State, u.Items
	// A successful read lists the feed's current items: remember when,
	// so that Prune spares the items the feed still lists.
	var parsed any
	if st.LastStatus == StatusOK {
		parsed = formatTime(seenAt)
	}
	if _, err := stmts.feed.ExecContext(ctx,
		st.URL, st.Name, st.Title, st.ETag, st.LastModified, formatTime(st.LastFetch),
		st.LastStatus, st.LastError, st.Failures, formatTime(st.NextFetch), parsed,
		st.NextReason, st.FetchURL, st.Interval.Milliseconds()); err != nil {
		return 0, fmt.Errorf("upsert feed: %w", err)
	}
	seen := formatTime(seenAt)
	added := 0
	for j, it := range items {
		key := ItemKey(it)
		var id int64
		if err := stmts.item.QueryRowContext(ctx, st.URL, key, it.FeedTitle, it.GUID, it.Link, it.Title,
			it.Author, formatTime(it.Published), formatTime(it.Updated), seen, seen).Scan(&id); err != nil {
			return 0, fmt.Errorf("upsert item %s: %w", key, err)
		}
		isNew := id > *last
		if isNew {
			added++
			*last = id
		}
		if _, err := stmts.body.ExecContext(ctx, id, it.HTML, it.Text); err != nil {
			return 0, fmt.Errorf("upsert item %s body: %w", key, err)
		}
		if isNew && j < len(u.Fingerprints) && u.Fingerprints[j] != nil {
			if _, err := stmts.fp.ExecContext(ctx, id, u.Fingerprints[j]); err != nil {
				return 0, fmt.Errorf("insert item %s fingerprint: %w", key, err)
			}
		}
	}
	return added, nil
}

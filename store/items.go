package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/aggregate-dev/aggregate/feed"
)

// StoredItem is an item as stored: its content, its stable ID (never
// reused, even after the item is pruned) and when it was first seen.
type StoredItem struct {
	ID int64
	feed.Item
	FirstSeen time.Time
}

// Items returns every stored item of every feed, ordered by ID (which is
// the order in which they were first stored), bodies included.
func (db *DB) Items(ctx context.Context) ([]StoredItem, error) {
	var out []StoredItem
	err := scanItems(ctx, db, itemColumns+", COALESCE(b.html, ''), COALESCE(b.text, '')",
		"LEFT JOIN item_bodies b ON b.item_id = i.id", nil,
		func(it *StoredItem) (*StoredItem, []any) { return it, []any{&it.HTML, &it.Text} },
		func(it *StoredItem) error {
			out = append(out, *it)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("store: list items: %w", err)
	}
	return out, nil
}

// scanned is a row of ScanItems.
type scanned struct {
	it    StoredItem
	fp    []byte
	hasFP bool
}

// ScanItems calls fn with every stored item, ordered by ID, a page at a
// time, so that a history of a million items need not be held at once.
// hasFP tells whether the item has a stored fingerprint. Bodies are what
// a run needs and no more: HTML never, the text only when there is no
// fingerprint to stand for it (see Bodies); fp is the fingerprint, except
// for the items with an ID up to known, which the caller has already
// read (an item whose text changed since has no fingerprint: its text
// comes instead).
func (db *DB) ScanItems(ctx context.Context, known int64, fn func(it StoredItem, fp []byte, hasFP bool) error) error {
	err := scanItems(ctx, db, itemColumns+`, CASE WHEN i.id > ? THEN f.fp END, f.item_id IS NOT NULL,
		CASE WHEN f.item_id IS NULL THEN COALESCE((SELECT text FROM item_bodies WHERE item_id = i.id), '') ELSE '' END`,
		"LEFT JOIN fingerprints f ON f.item_id = i.id",
		[]any{known},
		func(r *scanned) (*StoredItem, []any) { return &r.it, []any{&r.fp, &r.hasFP, &r.it.Text} },
		func(r *scanned) error { return fn(r.it, r.fp, r.hasFP) })
	if err != nil {
		return fmt.Errorf("store: scan items: %w", err)
	}
	return nil
}

// CountItems returns how many items are stored.
func (db *DB) CountItems(ctx context.Context) (int, error) {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count items: %w", err)
	}
	return n, nil
}

// Body is what an item says, as stored: for the entries a run writes.
type Body struct {
	HTML, Text string
}

// Bodies returns the bodies of the items with these IDs, by ID; an ID with
// no item is left out.
func (db *DB) Bodies(ctx context.Context, ids []int64) (map[int64]Body, error) {
	out := make(map[int64]Body, len(ids))
	// In chunks, under SQLite's limit on bound parameters.
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := db.r.QueryContext(ctx, "SELECT item_id, html, text FROM item_bodies WHERE item_id IN (?"+
			strings.Repeat(",?", len(chunk)-1)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("store: item bodies: %w", err)
		}
		for rows.Next() {
			var id int64
			var b Body
			if err := rows.Scan(&id, &b.HTML, &b.Text); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: item bodies: %w", err)
			}
			out[id] = b
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: item bodies: %w", err)
		}
	}
	return out, nil
}

const itemColumns = `i.id, i.feed_url, i.feed_title, i.guid, i.link, i.title, i.author,
	i.published, i.updated, i.first_seen`

// scanItems reads items (aliased i) with join, ordered by ID, into rows
// of type R, and calls fn with each; dst gives a row's item and the
// destinations of the columns after itemColumns; args are the arguments
// of columns.
//
// It reads a page of db.scanPage items per query, and the whole page
// before fn sees any of it. A query holds its snapshot of the file until
// its rows are closed, and while any snapshot is held the WAL cannot be
// folded back into the file: whatever fn writes meanwhile (a run's new
// fingerprints) piles up in it (2.5 GB at a million items) and makes
// every later read and write slower. Between pages no snapshot is held.
func scanItems[R any](ctx context.Context, db *DB, columns, join string, args []any,
	dst func(*R) (*StoredItem, []any), fn func(*R) error) error {
	after := int64(-1 << 63)
	for {
		page, err := scanPage(ctx, db, columns, join, append(args, after, db.scanPage), dst)
		if err != nil {
			return err
		}
		for i := range page {
			if err := fn(&page[i]); err != nil {
				return err
			}
		}
		if len(page) < db.scanPage {
			return nil
		}
		it, _ := dst(&page[len(page)-1])
		after = it.ID
	}
}

func scanPage[R any](ctx context.Context, db *DB, columns, join string, args []any, dst func(*R) (*StoredItem, []any)) ([]R, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+columns+" FROM items i "+join+" WHERE i.id > ? ORDER BY i.id LIMIT ?", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []R
	for rows.Next() {
		page = append(page, *new(R))
		it, more := dst(&page[len(page)-1])
		var published, updated, seen sql.NullString
		if err := rows.Scan(append([]any{&it.ID, &it.FeedURL, &it.FeedTitle, &it.GUID, &it.Link, &it.Title, &it.Author,
			&published, &updated, &seen}, more...)...); err != nil {
			return nil, err
		}
		for _, p := range []struct {
			dst *time.Time
			src sql.NullString
		}{{&it.Published, published}, {&it.Updated, updated}, {&it.FirstSeen, seen}} {
			if *p.dst, err = parseTime(p.src); err != nil {
				return nil, fmt.Errorf("item %d: %w", it.ID, err)
			}
		}
	}
	return page, rows.Err()
}

// itemDate is an item's date for retention: its published date if the
// feed gave one, else when it was first seen. It must match the
// expression of the items_date index.
const itemDate = "COALESCE(published, first_seen)"

// Prune deletes, in one transaction, the items dated (see below) before
// before that their feed no longer lists (they were missing from its last
// successful read: an old article a feed still carries stays, or it would
// come back as new on the next read) and then, if more than maxItems remain, the oldest of them beyond
// maxItems; it returns how many items it deleted. An item's date is its
// Published time if set, else its FirstSeen. A zero before deletes nothing
// by age; maxItems <= 0 sets no limit on the count. The cluster memberships
// of deleted items go with them, and so does any cluster left with no
// member.
func (db *DB) Prune(ctx context.Context, before time.Time, maxItems int) (int, error) {
	if err := checkTime("before", before); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	var deleted int64
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		if !before.IsZero() {
			res, err := tx.ExecContext(ctx, "DELETE FROM items WHERE "+itemDate+` < ?
				AND NOT EXISTS (SELECT 1 FROM feeds f WHERE f.url = items.feed_url
					AND f.last_parsed IS NOT NULL AND items.last_seen >= f.last_parsed)`, formatTime(before))
			if err != nil {
				return fmt.Errorf("by age: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("by age: %w", err)
			}
			deleted += n
		}
		if maxItems > 0 {
			// Past the newest maxItems on the date index: when nothing is
			// over the limit, that is one walk of the index and no more.
			res, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id IN (
				SELECT id FROM items ORDER BY `+itemDate+` DESC, id DESC LIMIT -1 OFFSET ?)`, maxItems)
			if err != nil {
				return fmt.Errorf("by count: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("by count: %w", err)
			}
			deleted += n
		}
		if deleted > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM clusters WHERE NOT EXISTS (
				SELECT 1 FROM cluster_members m WHERE m.cluster_id = clusters.id)`); err != nil {
				return fmt.Errorf("empty clusters: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	return int(deleted), nil
}

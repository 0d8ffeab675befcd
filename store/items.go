package store

import (
	"context"
	"database/sql"
	"fmt"
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
// the order in which they were first stored).
func (db *DB) Items(ctx context.Context) ([]StoredItem, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, feed_url, feed_title, guid, link, title, author,
		published, updated, body_html, body_text, first_seen
		FROM items ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: list items: %w", err)
	}
	defer rows.Close()
	var out []StoredItem
	for rows.Next() {
		var (
			it                       StoredItem
			published, updated, seen sql.NullString
		)
		if err := rows.Scan(&it.ID, &it.FeedURL, &it.FeedTitle, &it.GUID, &it.Link, &it.Title, &it.Author,
			&published, &updated, &it.HTML, &it.Text, &seen); err != nil {
			return nil, fmt.Errorf("store: list items: %w", err)
		}
		for _, p := range []struct {
			dst *time.Time
			src sql.NullString
		}{{&it.Published, published}, {&it.Updated, updated}, {&it.FirstSeen, seen}} {
			if *p.dst, err = parseTime(p.src); err != nil {
				return nil, fmt.Errorf("store: list items: item %d: %w", it.ID, err)
			}
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list items: %w", err)
	}
	return out, nil
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
			res, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id NOT IN (
				SELECT id FROM items ORDER BY `+itemDate+` DESC, id DESC LIMIT ?)`, maxItems)
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

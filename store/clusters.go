package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Cluster is one merged entry of the last run: a stable id, the published
// date it was first given, the date it last changed, and its member items'
// IDs in order, the representative first.
type Cluster struct {
	ID        string
	Published time.Time
	Updated   time.Time
	Members   []int64
}

// Clusters returns the stored clusters, ordered by ID, each with its
// members in the order they were stored.
func (db *DB) Clusters(ctx context.Context) ([]Cluster, error) {
	// One statement, so one consistent snapshot of both tables.
	rows, err := db.r.QueryContext(ctx, `SELECT c.id, c.published, c.updated, m.item_id
		FROM clusters c LEFT JOIN cluster_members m ON m.cluster_id = c.id
		ORDER BY c.id, m.ord`)
	if err != nil {
		return nil, fmt.Errorf("store: list clusters: %w", err)
	}
	defer rows.Close()
	var out []Cluster
	for rows.Next() {
		var (
			id                 string
			published, updated sql.NullString
			member             sql.NullInt64
		)
		if err := rows.Scan(&id, &published, &updated, &member); err != nil {
			return nil, fmt.Errorf("store: list clusters: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			c := Cluster{ID: id}
			if c.Published, err = parseTime(published); err != nil {
				return nil, fmt.Errorf("store: list clusters: cluster %s: %w", id, err)
			}
			if c.Updated, err = parseTime(updated); err != nil {
				return nil, fmt.Errorf("store: list clusters: cluster %s: %w", id, err)
			}
			out = append(out, c)
		}
		if member.Valid {
			c := &out[len(out)-1]
			c.Members = append(c.Members, member.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list clusters: %w", err)
	}
	return out, nil
}

// ReplaceClusters replaces every stored cluster with cs, in one
// transaction. Cluster IDs must be unique, every member must be a stored
// item, and no item may be in two clusters.
func (db *DB) ReplaceClusters(ctx context.Context, cs []Cluster) error {
	for _, c := range cs {
		if c.ID == "" {
			return fmt.Errorf("store: replace clusters: cluster with empty id")
		}
		if err := checkTime("cluster "+c.ID+" published", c.Published); err != nil {
			return fmt.Errorf("store: replace clusters: %w", err)
		}
		if err := checkTime("cluster "+c.ID+" updated", c.Updated); err != nil {
			return fmt.Errorf("store: replace clusters: %w", err)
		}
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		// Members first: deleting clusters would cascade to them anyway,
		// but row by row.
		if _, err := tx.ExecContext(ctx, "DELETE FROM cluster_members"); err != nil {
			return fmt.Errorf("clear members: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM clusters"); err != nil {
			return fmt.Errorf("clear clusters: %w", err)
		}
		if len(cs) == 0 {
			return nil
		}
		insC, err := tx.PrepareContext(ctx, "INSERT INTO clusters (id, published, updated) VALUES (?, ?, ?)")
		if err != nil {
			return err
		}
		defer insC.Close()
		insM, err := tx.PrepareContext(ctx, "INSERT INTO cluster_members (cluster_id, ord, item_id) VALUES (?, ?, ?)")
		if err != nil {
			return err
		}
		defer insM.Close()
		for _, c := range cs {
			if _, err := insC.ExecContext(ctx, c.ID, formatTime(c.Published), formatTime(c.Updated)); err != nil {
				return fmt.Errorf("cluster %s: %w", c.ID, err)
			}
			for i, id := range c.Members {
				if _, err := insM.ExecContext(ctx, c.ID, i, id); err != nil {
					return fmt.Errorf("cluster %s member %d (item %d): %w", c.ID, i, id, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replace clusters: %w", err)
	}
	return nil
}

package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
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
	cs, err := readClusters(ctx, db.r)
	if err != nil {
		return nil, fmt.Errorf("store: list clusters: %w", err)
	}
	return cs, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readClusters(ctx context.Context, q querier) ([]Cluster, error) {
	// One statement, so one consistent snapshot of both tables.
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.published, c.updated, m.item_id
		FROM clusters c LEFT JOIN cluster_members m ON m.cluster_id = c.id
		ORDER BY c.id, m.ord`)
	if err != nil {
		return nil, err
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
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			c := Cluster{ID: id}
			if c.Published, err = parseTime(published); err != nil {
				return nil, fmt.Errorf("cluster %s: %w", id, err)
			}
			if c.Updated, err = parseTime(updated); err != nil {
				return nil, fmt.Errorf("cluster %s: %w", id, err)
			}
			out = append(out, c)
		}
		if member.Valid {
			c := &out[len(out)-1]
			c.Members = append(c.Members, member.Int64)
		}
	}
	return out, rows.Err()
}

// ReplaceClusters replaces every stored cluster with cs, in one
// transaction. Cluster IDs must be unique, every member must be a stored
// item, and no item may be in two clusters. Only what changed is written:
// from one run to the next most stories stay as they were, and rewriting a
// million memberships each run would cost more than the rest of the run.
func (db *DB) ReplaceClusters(ctx context.Context, cs []Cluster) error {
	ids := make(map[string]int, len(cs))
	for i, c := range cs {
		if c.ID == "" {
			return fmt.Errorf("store: replace clusters: cluster with empty id")
		}
		if _, dup := ids[c.ID]; dup {
			return fmt.Errorf("store: replace clusters: cluster %s twice", c.ID)
		}
		ids[c.ID] = i
		if err := checkTime("cluster "+c.ID+" published", c.Published); err != nil {
			return fmt.Errorf("store: replace clusters: %w", err)
		}
		if err := checkTime("cluster "+c.ID+" updated", c.Updated); err != nil {
			return fmt.Errorf("store: replace clusters: %w", err)
		}
	}
	nMembers := 0
	for _, c := range cs {
		nMembers += len(c.Members)
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		if err := db.fitCache(ctx, tx, int64(nMembers)); err != nil {
			return err
		}
		stored, err := readClusters(ctx, tx)
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		// Stored clusters that are gone or changed go first, so that an
		// item moving between clusters is free when its new cluster is
		// written.
		same := make([]bool, len(cs))
		delC, err := tx.PrepareContext(ctx, "DELETE FROM clusters WHERE id = ?")
		if err != nil {
			return err
		}
		defer delC.Close()
		delM, err := tx.PrepareContext(ctx, "DELETE FROM cluster_members WHERE cluster_id = ?")
		if err != nil {
			return err
		}
		defer delM.Close()
		for _, o := range stored {
			if i, ok := ids[o.ID]; ok && sameCluster(o, cs[i]) {
				same[i] = true
				continue
			}
			if _, err := delM.ExecContext(ctx, o.ID); err != nil {
				return fmt.Errorf("clear cluster %s: %w", o.ID, err)
			}
			if _, err := delC.ExecContext(ctx, o.ID); err != nil {
				return fmt.Errorf("clear cluster %s: %w", o.ID, err)
			}
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
		// Clusters in id order and members in item order: the tables'
		// keys then grow at one end, and each member's item (which its
		// foreign key looks up) is next to the last one, rather than at
		// random places all over the file.
		type member struct {
			cluster string
			ord     int
			item    int64
		}
		var members []member
		order := make([]int, 0, len(cs))
		for i := range cs {
			if !same[i] {
				order = append(order, i)
			}
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(cs[a].ID, cs[b].ID) })
		for _, i := range order {
			c := cs[i]
			if _, err := insC.ExecContext(ctx, c.ID, formatTime(c.Published), formatTime(c.Updated)); err != nil {
				return fmt.Errorf("cluster %s: %w", c.ID, err)
			}
			for ord, id := range c.Members {
				members = append(members, member{c.ID, ord, id})
			}
		}
		slices.SortFunc(members, func(a, b member) int { return cmp.Compare(a.item, b.item) })
		for _, m := range members {
			if _, err := insM.ExecContext(ctx, m.cluster, m.ord, m.item); err != nil {
				return fmt.Errorf("cluster %s member %d (item %d): %w", m.cluster, m.ord, m.item, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: replace clusters: %w", err)
	}
	return nil
}

// sameCluster tells whether a stored cluster and a new one would be stored
// alike.
func sameCluster(a, b Cluster) bool {
	return formatTime(a.Published) == formatTime(b.Published) && formatTime(a.Updated) == formatTime(b.Updated) &&
		slices.Equal(a.Members, b.Members)
}

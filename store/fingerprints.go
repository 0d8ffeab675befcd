package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
)

// SaveFingerprints stores fingerprints by item ID, in one transaction,
// replacing any stored for the same items. An ID with no item is skipped
// (it was pruned meanwhile).
func (db *DB) SaveFingerprints(ctx context.Context, fps map[int64][]byte) error {
	if len(fps) == 0 {
		return nil
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO fingerprints (item_id, fp)
			SELECT id, ? FROM items WHERE id = ?
			ON CONFLICT (item_id) DO UPDATE SET fp = excluded.fp`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		// In id order: the table's key then grows at one end, rather than
		// at random places all over a file of a million fingerprints.
		for _, id := range slices.Sorted(maps.Keys(fps)) {
			if _, err := stmt.ExecContext(ctx, fps[id], id); err != nil {
				return fmt.Errorf("item %d: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save fingerprints: %w", err)
	}
	return nil
}

// CopyTo writes a consistent copy of the whole database to path (which must
// not exist): a dry run works on the copy and leaves the store as it was.
func (db *DB) CopyTo(ctx context.Context, path string) error {
	if _, err := db.w.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("store: copy to %s: %w", path, err)
	}
	return nil
}

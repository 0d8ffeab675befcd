package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// defaultKeepRuns is how many runs RecordRun keeps (besides the last
// successful one, which it always keeps).
const defaultKeepRuns = 1000

// Run is the record of one pipeline run.
type Run struct {
	Started, Finished time.Time
	OK                bool
	Error             string
	FeedsOK           int
	FeedsFailed       int
	Items             int // items stored after the run
	Entries           int // merged entries produced
}

// RecordRun appends r to the log of runs, and trims the log to the last
// 1000 runs and the last successful one.
func (db *DB) RecordRun(ctx context.Context, r Run) error {
	if err := checkTime("started", r.Started); err != nil {
		return fmt.Errorf("store: record run: %w", err)
	}
	if err := checkTime("finished", r.Finished); err != nil {
		return fmt.Errorf("store: record run: %w", err)
	}
	err := db.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO runs
			(started, finished, ok, error_text, feeds_ok, feeds_failed, items, entries)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			formatTime(r.Started), formatTime(r.Finished), r.OK, r.Error,
			r.FeedsOK, r.FeedsFailed, r.Items, r.Entries); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM runs
			WHERE id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?)
			AND id NOT IN (SELECT id FROM runs WHERE ok = ? ORDER BY id DESC LIMIT 1)`,
			db.keepRuns, true)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: record run: %w", err)
	}
	return nil
}

// LastRun returns the most recently recorded run; false if there is none.
func (db *DB) LastRun(ctx context.Context) (Run, bool, error) {
	r, ok, err := db.lastRun(ctx, "")
	if err != nil {
		return Run{}, false, fmt.Errorf("store: last run: %w", err)
	}
	return r, ok, nil
}

// LastSuccessfulRun returns the most recently recorded run that succeeded;
// false if there is none.
func (db *DB) LastSuccessfulRun(ctx context.Context) (Run, bool, error) {
	r, ok, err := db.lastRun(ctx, "WHERE ok = ?")
	if err != nil {
		return Run{}, false, fmt.Errorf("store: last successful run: %w", err)
	}
	return r, ok, nil
}

func (db *DB) lastRun(ctx context.Context, where string) (Run, bool, error) {
	var args []any
	if where != "" {
		args = append(args, true)
	}
	var (
		r                 Run
		started, finished sql.NullString
	)
	err := db.r.QueryRowContext(ctx, `SELECT started, finished, ok, error_text, feeds_ok, feeds_failed, items, entries
		FROM runs `+where+` ORDER BY id DESC LIMIT 1`, args...).
		Scan(&started, &finished, &r.OK, &r.Error, &r.FeedsOK, &r.FeedsFailed, &r.Items, &r.Entries)
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, false, nil
	}
	if err != nil {
		return Run{}, false, err
	}
	if r.Started, err = parseTime(started); err != nil {
		return Run{}, false, err
	}
	if r.Finished, err = parseTime(finished); err != nil {
		return Run{}, false, err
	}
	return r, true, nil
}

// Package store keeps the aggregator's state in an SQLite database: each
// feed's fetch state, every item seen, the clusters of the last run and a
// log of runs. It is the only package with SQL.
//
// The database is opened through the pure-Go driver modernc.org/sqlite (no
// cgo), in WAL mode, with its schema migrations embedded in the binary and
// applied by Open. Every method that changes more than one row does so in
// one transaction, so a process killed at any moment leaves a database in
// which every committed change is present and nothing half-written is.
//
// The SQL is kept portable (no SQLite-only syntax outside Open and the
// migrations' comments say where a PostgreSQL backend differs), so that a
// second backend is an addition rather than a rewrite.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// busyTimeout is how long a connection waits for another connection's (or
// another process's) lock before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DB is an open store. It is safe for concurrent use: writes go through a
// single connection, one transaction at a time; reads go through a pool
// of read-only connections and, thanks to WAL, never wait for a write.
type DB struct {
	path string
	w    *sql.DB // the one writing connection; transactions BEGIN IMMEDIATE
	r    *sql.DB // read-only connections

	keepRuns int // how many runs RecordRun keeps
	scanPage int // items per query when scanning them all (see scanItems)
	// cachePerItem is the writer's page cache per stored item, in bytes
	// (see fitCache).
	cachePerItem int64
}

// Open opens the store at path, creating the file and its parent directory
// if need be, and brings its schema up to date.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: open: empty path")
	}
	if strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		// The driver would read what follows '?' as connection
		// parameters, and "file:" as the start of a URI.
		return nil, fmt.Errorf("store: open %s: path must not contain '?' or '#' or start with \"file:\"", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: open %s: create directory: %w", path, err)
		}
	}

	ms := strconv.FormatInt(busyTimeout.Milliseconds(), 10)
	// SQLite's default page cache is 2 MB: with a history of a million
	// items the indexes every insert walks no longer fit, and each run
	// reads them again from the file, so the cost per item grows with the
	// history. The writer starts with 64 MiB and grows it with the
	// history (see fitCache); readers, which scan, get 16.
	w, err := sql.Open("sqlite", path+"?_busy_timeout="+ms+
		"&_journal_mode=WAL&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate&_pragma=cache_size(-"+
		strconv.Itoa(minCacheKiB)+")&_pragma=wal_autocheckpoint("+strconv.Itoa(walCheckpointPages)+")")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)

	db := &DB{path: path, w: w, keepRuns: defaultKeepRuns, scanPage: 10000, cachePerItem: cacheBytesPerItem}
	fail := func(what string, err error) (*DB, error) {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %s: %w", path, what, err)
	}

	// The first connection recovers a WAL left by a killed process and
	// switches a new file to WAL mode; check that it did.
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fail("read journal mode", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fail("journal mode", fmt.Errorf("got %q, want wal", mode))
	}
	if err := migrate(ctx, w); err != nil {
		return fail("migrate", err)
	}

	// Readers are opened only now, when the file is in WAL mode and has
	// its schema.
	r, err := sql.Open("sqlite", path+"?_busy_timeout="+ms+"&_foreign_keys=on&_query_only=on&_pragma=cache_size(-16384)")
	if err != nil {
		return fail("open readers", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.r = r
	if err := r.PingContext(ctx); err != nil {
		return fail("open readers", err)
	}
	return db, nil
}

// Close closes the store. When the last connection closes, SQLite folds
// the WAL back into the database file.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		if err := db.r.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if db.w != nil {
		if err := db.w.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// Path is the file the store was opened from.
func (db *DB) Path() string { return db.path }

// withTx runs fn in a write transaction and commits it if fn succeeds.
func (db *DB) withTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// The writer's page cache holds the pages that writes look up at random:
// the items' key and date indexes as a batch of feeds is stored, and the
// clusters' tables and indexes as a run's clusters are. Those grow with
// the history, about 450 bytes an item; once they outgrow the cache, each
// insert reads its page back from the file and a transaction spills dirty
// pages before it commits, so that a store of 4·10^5 items took twice as
// long per cluster to store as one of 10^5 (BenchmarkReplaceClusters).
// SQLite takes cache pages only as it uses them: a small store costs no
// more than before.
const (
	minCacheKiB       = 64 << 10 // 64 MiB
	maxCacheKiB       = 1 << 20  // 1 GiB
	cacheBytesPerItem = 512
)

// walCheckpointPages is how many pages the WAL holds before a commit
// copies them into the database file. SQLite's default, 1,000 (4 MB), is
// less than one batch of feeds, so every batch was copied as soon as it
// was committed, and with it every page of the items' date index that the
// batch touched: dates come in any order, so a batch touches most of that
// index, and the bigger the history the more pages that is (at 10^6 items,
// by page counts, about a fifth of all that a first run writes). Copied
// once every few batches, such a page goes to the database once rather
// than once per batch: a first run over 10^6 items wrote 23.3 GB rather
// than 24.6. The WAL file grows to this size plus one batch (some 400 MB)
// and is then reused from its start; closing the store folds it back.
const walCheckpointPages = 65536 // 256 MiB

// fitCache grows the writer's page cache, within tx, to what a history of
// items needs; it never shrinks it.
func (db *DB) fitCache(ctx context.Context, tx *sql.Tx, items int64) error {
	want := min(max(items*db.cachePerItem/1024, minCacheKiB), maxCacheKiB)
	var have int64
	if err := tx.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&have); err != nil {
		return fmt.Errorf("read cache size: %w", err)
	}
	// Negative sizes are in KiB, positive ones in pages.
	if have < 0 && -have >= want {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -"+strconv.FormatInt(want, 10)); err != nil {
		return fmt.Errorf("grow cache to %d KiB: %w", want, err)
	}
	return nil
}

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in version order. File names are
// NNNN_description.sql; versions must be unique.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, p := range names {
		base := filepath.Base(p)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same version %d", prev, base, v)
		}
		seen[v] = base
		b, err := migrationFiles.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies, each in its own transaction, the embedded migrations
// that schema_migrations does not list yet.
func migrate(ctx context.Context, w *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return errors.New("no migrations embedded")
	}
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at TEXT    NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var newest sql.NullInt64
	if err := w.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&newest); err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	if known := ms[len(ms)-1].version; newest.Valid && int(newest.Int64) > known {
		return fmt.Errorf("database schema version %d is newer than this program knows (%d)", newest.Int64, known)
	}
	for _, m := range ms {
		if err := applyMigration(ctx, w, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

func applyMigration(ctx context.Context, w *sql.DB, m migration) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	// Checked inside the (immediate) transaction, so that two processes
	// opening the same new file do not both apply it.
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, formatTime(time.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// timeLayout is fixed-width, so that the text sorts as the instants do.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// formatTime turns t into its stored form: nil for the zero time (NULL),
// else UTC text to the nanosecond.
func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(timeLayout)
}

// checkTime reports an error for a time that the stored form cannot hold.
func checkTime(what string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%s %s: year outside 1..9999", what, t.UTC().Format(time.RFC3339))
	}
	return nil
}

// parseTime reads a stored time back: the zero time for NULL.
func parseTime(s sql.NullString) (time.Time, error) {
	if !s.Valid {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s.String, err)
	}
	return t.UTC(), nil
}

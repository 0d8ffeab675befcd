package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aggregate-dev/aggregate/store"
)

func TestDryRunWritesNothing(t *testing.T) {
	srv := serveSeeds(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL+"/southfront.xml", srv.URL+"/globalresearch.atom", srv.URL+"/blog.json")
	out, err := run(t, "--once", "--dry-run", "--config", cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := strings.Count(out, "(2 copies)"); n != 4 {
		t.Errorf("%d stories of two copies, want 4:\n%s", n, out)
	}
	for _, want := range []string{"representative (the earliest copy)", "near copy of", "4 stories of several copies, 1 of one; 9 items. Nothing was written."} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "public")); err == nil {
		t.Error("the dry run wrote the output directory")
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "data", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if items, _ := db.Items(context.Background()); len(items) != 0 {
		t.Errorf("the dry run stored %d items", len(items))
	}
	if _, err := run(t, "--dry-run", "--config", cfg); err == nil {
		t.Error("--dry-run without --once accepted")
	}
}

func TestExplainCommand(t *testing.T) {
	srv := serveSeeds(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL+"/southfront.xml", srv.URL+"/globalresearch.atom")
	if out, err := run(t, "--once", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	f := readJSONFeed(t, filepath.Join(dir, "public", "feed.json"))
	story, other := f.Items[0].Aggregate.Sources, f.Items[1].Aggregate.Sources
	out, err := run(t, "explain", story[0].URL, story[1].URL, "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"boilerplate removed", "Disclaimer", "shared shingles", "Jaccard", "containment", "decision           MERGE"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	out, err = run(t, "explain", story[0].URL, other[0].URL, "--config", cfg)
	if err != nil || !strings.Contains(out, "decision           APART") {
		t.Errorf("different stories: %v\n%s", err, out)
	}
	if _, err := run(t, "explain", "https://nowhere.example/x", story[0].URL, "--config", cfg); err == nil || !strings.Contains(err.Error(), "no stored item") {
		t.Errorf("unknown item: %v", err)
	}
}

// A run stores each item's fingerprint; the next run reads them instead of
// shingling the texts again, and clusters the same.
func TestFingerprintsKeptAcrossRuns(t *testing.T) {
	srv := serveSeeds(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL+"/southfront.xml", srv.URL+"/globalresearch.atom", srv.URL+"/blog.json")
	if out, err := run(t, "--once", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	first, _ := os.ReadFile(filepath.Join(dir, "public", "feed.json"))
	fps := storedFingerprints(t, dir)
	if len(fps) != 9 {
		t.Fatalf("%d fingerprints stored, want one per item (9)", len(fps))
	}
	if out, err := run(t, "--once", "--force", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	second, _ := os.ReadFile(filepath.Join(dir, "public", "feed.json"))
	if string(first) != string(second) {
		t.Error("the run from stored fingerprints gave another output")
	}

	// Fingerprints a run cannot use (damaged, or of another version) give
	// way to the stored texts, and are stored again.
	db, err := store.Open(context.Background(), filepath.Join(dir, "data", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[int64][]byte{}
	for id := range fps {
		bad[id] = []byte("d9 not a fingerprint")
	}
	err = db.SaveFingerprints(context.Background(), bad)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "--once", "--force", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	third, _ := os.ReadFile(filepath.Join(dir, "public", "feed.json"))
	if string(first) != string(third) {
		t.Error("the run over unusable fingerprints gave another output")
	}
	for id, fp := range storedFingerprints(t, dir) {
		if string(fp) == string(bad[id]) {
			t.Errorf("item %d: the unusable fingerprint was kept", id)
		}
	}
}

// storedFingerprints reads the fingerprints of the store under dir.
func storedFingerprints(t *testing.T, dir string) map[int64][]byte {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dir, "data", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fps := map[int64][]byte{}
	err = db.ScanItems(context.Background(), 0, func(it store.StoredItem, fp []byte, _ bool) error {
		if fp != nil {
			fps[it.ID] = fp
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fps
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aggregate-dev/aggregate/cmd/benchgen/corpus"
	"github.com/aggregate-dev/aggregate/dedupe"
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

// explain reads only the texts it needs (the feeds of the two items and
// of the items sharing text with either) yet tells what dedupe makes of the
// pair among every stored item: on the dev benchmark (4 feeds) and on a
// generated corpus of 40 feeds, where it reads a fraction of the store.
func TestExplainMatchesWholeStore(t *testing.T) {
	t.Run("crosspost-dev", func(t *testing.T) {
		dir := t.TempDir()
		feeds, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "crosspost-dev", "feeds", "*"))
		if len(feeds) == 0 {
			t.Fatal("benchmark feeds beside the checkout")
		}
		var urls []string
		for _, f := range feeds {
			abs, _ := filepath.Abs(f)
			urls = append(urls, abs)
		}
		explainAgrees(t, dir, writeConfig(t, dir, urls...), false)
	})
	t.Run("generated", func(t *testing.T) {
		dir := t.TempDir()
		c := corpus.Generate(corpus.Options{Feeds: 40, Items: 15, Copies: 0.4, Seed: 3})
		if err := c.Write(dir); err != nil {
			t.Fatal(err)
		}
		explainAgrees(t, dir, filepath.Join(dir, "config.toml"), true)
	})
}

// explainAgrees runs --once on the config at cfgPath (output in
// dir/public), then explains pairs of items of the output both ways.
func explainAgrees(t *testing.T, dir, cfgPath string, partial bool) {
	if out, err := run(t, "--once", "--config", cfgPath); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cfg, db := openConfig(t, cfgPath)
	items, err := db.Items(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	docs := make([]dedupe.Doc, len(items))
	for i, it := range items {
		docs[i] = doc(it)
	}
	// Every pair of one story's copies, and pairs across stories.
	f := readJSONFeed(t, filepath.Join(dir, "public", "feed.json"))
	idOf := map[string]int{}
	for i, it := range items {
		idOf[it.Link] = i
	}
	var pairs [][2]int
	for s, e := range f.Items {
		src := e.Aggregate.Sources
		for i := range src {
			for j := i + 1; j < len(src); j++ {
				pairs = append(pairs, [2]int{idOf[src[i].URL], idOf[src[j].URL]})
			}
		}
		if s > 0 && s%3 == 0 {
			pairs = append(pairs, [2]int{idOf[src[0].URL], idOf[f.Items[s-1].Aggregate.Sources[0].URL]})
		}
	}
	// At most 40 of them, spread over the feed: each is explained over the
	// whole store too.
	if n := len(pairs); n > 40 {
		spread := make([][2]int, 0, 40)
		for i := range 40 {
			spread = append(spread, pairs[i*n/40])
		}
		pairs = spread
	}
	merged, smaller := 0, 0
	context := regexp.MustCompile(`clustered with (\d+) context docs`)
	for _, pr := range pairs {
		a, b := items[pr[0]], items[pr[1]]
		got, err := run(t, "explain", strconv.FormatInt(a.ID, 10), strconv.FormatInt(b.ID, 10), "--config", cfgPath)
		if err != nil {
			t.Fatalf("explain %d %d: %v", a.ID, b.ID, err)
		}
		want := dedupe.Explain(docs[pr[0]], docs[pr[1]], docs, cfg.Dedupe).String()
		if withoutContext(got) != withoutContext(want) {
			t.Errorf("explain %d %d:\n%s\nover the whole store:\n%s", a.ID, b.ID, got, want)
		}
		if strings.Contains(got, "MERGE") {
			merged++
		}
		if m := context.FindStringSubmatch(got); m != nil {
			if n, _ := strconv.Atoi(m[1]); n < len(items)/2 {
				smaller++
			}
		}
	}
	if len(pairs) < 30 || merged == 0 || merged == len(pairs) {
		t.Errorf("%d pairs, %d merged: the test tells little", len(pairs), merged)
	}
	if partial && smaller < len(pairs)/2 {
		t.Errorf("only %d of %d explanations read less than half of the %d items", smaller, len(pairs), len(items))
	}
	if _, err := run(t, "explain", strconv.FormatInt(items[0].ID, 10), items[0].Link, "--config", cfgPath); err == nil {
		t.Error("an item explained against itself")
	}
}

// withoutContext drops the line that says how many docs the explanation
// was judged among.
func withoutContext(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "with the context") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

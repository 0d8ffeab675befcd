package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aggregate-dev/aggregate/clock"
	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/store"
)

// The daemon's pipeline keeps its dedupe index between runs and tells it
// only what changed: its output after dates move, texts are edited and a
// feed leaves the config is that of a pipeline that builds its index
// afresh from the store.
func TestKeptIndexFollowsChanges(t *testing.T) {
	ctx := context.Background()
	kept, dir := benchFeedsPipeline(t)
	cfg, db, log, clk := kept.cfg, kept.db, kept.log, kept.clock
	kept.force = true

	edit := func(name, old, new string) {
		t.Helper()
		p := filepath.Join(dir, name)
		b, _ := os.ReadFile(p)
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%s has no %q", name, old)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var last []byte
	for round, change := range []func(){
		func() {},
		func() {
			edit("s1.xml", "<pubDate>Mon, 27 Apr 2026 12:56:00", "<pubDate>Mon, 20 Apr 2026 08:00:00")
			edit("s2.atom", " the ", " a much longer and different text in the middle of the story, ")
		},
		func() { cfg.Feeds = cfg.Feeds[:3] },
	} {
		change()
		st, err := kept.run(ctx)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		x := kept.kept
		if x == nil {
			t.Fatalf("round %d: no index kept", round)
		}
		fresh := newPipeline(cfg, db, log, clk)
		fresh.force = true
		want, err := fresh.run(ctx)
		if err != nil {
			t.Fatalf("round %d, fresh: %v", round, err)
		}
		if got := st.Output["feed.json"]; !bytes.Equal(got, want.Output["feed.json"]) {
			t.Errorf("round %d: the kept index gave another output than a fresh one:\n%s\n---\n%s", round, got, want.Output["feed.json"])
		}
		if st.Merged == 0 || bytes.Equal(st.Output["feed.json"], last) {
			t.Errorf("round %d: %d merged, output unchanged: %v", round, st.Merged, bytes.Equal(st.Output["feed.json"], last))
		}
		last = st.Output["feed.json"]
		if round == 1 && !strings.Contains(string(last), "much longer and different") {
			t.Errorf("round %d: the edited text is not in the output", round)
		}
	}
}

// benchFeedsPipeline returns a pipeline, quiet and on a fake clock, over
// copies of four feeds of the crosspost-dev benchmark in dir, for a test
// to edit.
func benchFeedsPipeline(t *testing.T) (p *pipeline, dir string) {
	t.Helper()
	dir = t.TempDir()
	src := filepath.Join("..", "..", "..", "shared", "crosspost-dev", "feeds")
	var urls []string
	for _, name := range []string{"s1.xml", "s2.atom", "s3.rdf", "s4.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatalf("benchmark feeds beside the checkout: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		urls = append(urls, filepath.Join(dir, name))
	}
	cfg, db := openConfig(t, writeConfig(t, dir, urls...))
	return newPipeline(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.NewFake(fixedNow())), dir
}

// A large history logs how far filling the index has got, a tenth at a
// time, and when clustering starts; a small one says nothing of it.
func TestIndexingLogsProgress(t *testing.T) {
	ctx := context.Background()
	srv := serveSeeds(t)
	dir := t.TempDir()
	cfg, db := openConfig(t, writeConfig(t, dir, srv.URL+"/southfront.xml", srv.URL+"/globalresearch.atom", srv.URL+"/blog.json"))
	for _, c := range []struct {
		from int
		want []string
	}{
		{100, nil},
		{5, []string{"done=1 of=9", "done=5 of=9", "done=9 of=9", "msg=clustering items=9"}},
	} {
		var logs bytes.Buffer
		p := newPipeline(cfg, db, slog.New(slog.NewTextHandler(&logs, nil)), clock.NewFake(fixedNow()))
		p.force, p.indexLogFrom = true, c.from
		if _, err := p.run(ctx); err != nil {
			t.Fatal(err)
		}
		got := strings.Count(logs.String(), "indexing stored items")
		if len(c.want) == 0 && (got > 0 || strings.Contains(logs.String(), "msg=clustering")) {
			t.Errorf("from %d: progress logged for 9 items:\n%s", c.from, logs.String())
		}
		for _, w := range c.want {
			if !strings.Contains(logs.String(), w) {
				t.Errorf("from %d: no %q in:\n%s", c.from, w, logs.String())
			}
		}
		if len(c.want) > 0 && got != 9 {
			t.Errorf("from %d: %d progress lines for 9 items, want 9 (one per tenth)", c.from, got)
		}
	}
}

// openConfig loads the config at path and opens its store, which is closed
// when the test ends.
func openConfig(tb testing.TB, path string) (*config.Config, *store.DB) {
	tb.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(context.Background(), cfg.Resolve(cfg.Store.Path))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return cfg, db
}

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
	dir := t.TempDir()
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
	cfg, err := config.Load(writeConfig(t, dir, urls...))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg.Resolve(cfg.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := clock.NewFake(fixedNow())
	kept := newPipeline(cfg, db, log, clk)
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

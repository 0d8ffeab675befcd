package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/feed"
)

func generate(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(append(args, "-out", dir), &out, &errb); code != 0 {
		t.Fatalf("benchgen %v: exit %d: %s", args, code, errb.String())
	}
	return dir
}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestDeterministic(t *testing.T) {
	args := []string{"-feeds", "7", "-items", "30", "-copies", "0.4", "-seed", "3"}
	a, b := readAll(t, generate(t, args...)), readAll(t, generate(t, args...))
	if len(a) != 7+2 {
		t.Fatalf("%d files, want 7 feeds, labels.json and config.toml", len(a))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	c := readAll(t, generate(t, "-feeds", "7", "-items", "30", "-copies", "0.4", "-seed", "4"))
	if bytes.Equal(a["labels.json"], c["labels.json"]) {
		t.Error("another seed gives the same corpus")
	}
}

// The corpus is what aggregate and score.py read: a valid config over
// feeds that parse, and labels naming every item they hold.
func TestCorpusReadable(t *testing.T) {
	dir := generate(t, "-feeds", "9", "-items", "40", "-copies", "0.3", "-seed", "1")
	cfg, err := config.Load(filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Feeds) != 9 || cfg.Output.MaxItems < 9*40 || cfg.Store.MaxItems < 9*40 {
		t.Errorf("config: %d feeds, output.max_items %d, store.max_items %d", len(cfg.Feeds), cfg.Output.MaxItems, cfg.Store.MaxItems)
	}
	var labels struct {
		Feeds []struct {
			File, Site, Format, Style string
			Items                     int
		}
		Items []struct{ URL, Cluster, Site, Kind, Title, Style string }
	}
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	if len(labels.Items) != 9*40 || len(labels.Feeds) != 9 {
		t.Fatalf("labels: %d items, %d feeds", len(labels.Items), len(labels.Feeds))
	}
	links := map[string]bool{}
	formats := map[string]bool{}
	p := feed.NewParser()
	for i, f := range labels.Feeds {
		body, err := os.ReadFile(filepath.Join(dir, f.File))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Feeds[i].URL != f.File {
			t.Errorf("config feed %d is %q, labels say %q", i, cfg.Feeds[i].URL, f.File)
		}
		parsed, err := p.Parse("file:///"+f.File, body)
		if err != nil {
			t.Fatalf("%s: %v", f.File, err)
		}
		if len(parsed.Items) != f.Items {
			t.Errorf("%s: %d items parsed, labels say %d", f.File, len(parsed.Items), f.Items)
		}
		formats[f.Format] = true
		for _, it := range parsed.Items {
			links[it.Link] = true
			if len(strings.Fields(it.Text)) < 20 {
				t.Errorf("%s: item %s has %d words of text", f.File, it.Link, len(strings.Fields(it.Text)))
			}
		}
	}
	kinds := map[string]int{}
	for _, it := range labels.Items {
		kinds[it.Kind]++
		if !links[feed.CanonicalURL(it.URL, "")] {
			t.Errorf("labelled item %s is in no feed", it.URL)
		}
	}
	for _, k := range []string{"origin", "copy", "copy-edited", "summary", "rewrite", "sibling", "followup", "digest"} {
		if kinds[k] == 0 {
			t.Errorf("no %s item (kinds %v)", k, kinds)
		}
	}
	for _, f := range []string{"rss", "atom", "json"} {
		if !formats[f] {
			t.Errorf("no %s feed", f)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{}, {"-out", t.TempDir(), "-feeds", "0"}, {"-out", t.TempDir(), "-copies", "2"}, {"-bogus"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/clock"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixedNow pins the clock: nothing in the output may depend on it, and the
// logs stay comparable.
func fixedNow() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

// run executes the program as the binary would, returning its stderr.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Clock: clock.NewFake(fixedNow())}
	err := m.Run(context.Background(), args)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String() + errb.String(), err
}

// writeConfig writes a config whose output goes to dir/public and whose
// state goes to dir/data; extra is TOML added before the feeds.
func writeConfig(t *testing.T, dir string, feeds ...string) string {
	t.Helper()
	return writeConfigWith(t, dir, "", feeds...)
}

func writeConfigWith(t *testing.T, dir, extra string, feeds ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "title = \"test\"\nlink = \"http://127.0.0.1/\"\n%s\n[output]\ndir = \"public\"\nmax_items = 5000\n\n[store]\npath = \"data/state.db\"\n\n[server]\nlisten = \"127.0.0.1:0\"\n\n", extra)
	for _, f := range feeds {
		fmt.Fprintf(&b, "[[feed]]\nurl = %q\n\n", f)
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type jsonFeed struct {
	Items []struct {
		ID        string `json:"id"`
		URL       string `json:"url"`
		Title     string `json:"title"`
		Aggregate struct {
			Sources []struct {
				URL     string `json:"url"`
				FeedURL string `json:"feed_url"`
			} `json:"sources"`
		} `json:"_aggregate"`
	} `json:"items"`
}

func readJSONFeed(t *testing.T, path string) jsonFeed {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f jsonFeed
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// serveSeeds serves ../../seeds over loopback, as a real site would.
func serveSeeds(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.FileServer(http.Dir("../../seeds")))
	t.Cleanup(srv.Close)
	return srv
}

// The seeds, fetched over HTTP: five stories, four of them published by
// both South Front and Global Research, the digest alone.
func TestOnceSeedsOverHTTP(t *testing.T) {
	srv := serveSeeds(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL+"/southfront.xml", srv.URL+"/globalresearch.atom", srv.URL+"/blog.json")
	logs, err := run(t, "--once", "--config", cfg)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, logs)
	}
	f := readJSONFeed(t, filepath.Join(dir, "public", "feed.json"))
	if len(f.Items) != 5 {
		t.Fatalf("%d entries, want 5", len(f.Items))
	}
	pairs := 0
	for _, it := range f.Items {
		n := len(it.Aggregate.Sources)
		switch n {
		case 2:
			pairs++
			a, b := it.Aggregate.Sources[0].FeedURL, it.Aggregate.Sources[1].FeedURL
			if !strings.HasSuffix(a, "/southfront.xml") || !strings.HasSuffix(b, "/globalresearch.atom") {
				t.Errorf("%q: sources %s, %s; want South Front (earlier) then Global Research", it.Title, a, b)
			}
			if strings.HasPrefix(it.Title, "Video:") {
				t.Errorf("title %q: the representative is South Front's, without the prefix", it.Title)
			}
		case 1:
			if !strings.HasSuffix(it.Aggregate.Sources[0].FeedURL, "/blog.json") {
				t.Errorf("single-source entry %q is not the digest", it.Title)
			}
		default:
			t.Errorf("%q has %d sources", it.Title, n)
		}
	}
	if pairs != 4 {
		t.Errorf("%d entries with two copies, want 4", pairs)
	}
	for _, want := range []string{"feeds_ok=3", "feeds_failed=0", "items=9", "entries=5", "copies_merged=4"} {
		if !strings.Contains(logs, want) {
			t.Errorf("summary lacks %q:\n%s", want, logs)
		}
	}
	for _, name := range []string{"feed.xml", "feed.atom", "feed.json", "index.html"} {
		if _, err := os.Stat(filepath.Join(dir, "public", name)); err != nil {
			t.Error(err)
		}
	}
}

// The shipped config.toml with its file paths: what a fresh clone runs.
// Its output is golden: the same input gives byte-identical files.
func TestOnceShippedConfigGolden(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	// Keep the shipped file's feeds and settings, but write elsewhere and
	// read the seeds from the repo.
	abs, _ := filepath.Abs("../../seeds")
	conf := strings.ReplaceAll(string(src), `url = "seeds/`, `url = "`+abs+`/`)
	conf = strings.Replace(conf, `dir = "public"`, `dir = "`+filepath.Join(dir, "public")+`"`, 1)
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		if logs, err := run(t, "--once", "--config", cfg); err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, logs)
		}
		for _, name := range []string{"feed.xml", "feed.atom", "feed.json", "index.html"} {
			got, err := os.ReadFile(filepath.Join(dir, "public", name))
			if err != nil {
				t.Fatal(err)
			}
			// The seeds are read from a temp-independent absolute path;
			// make the golden files independent of the checkout's place.
			got = bytes.ReplaceAll(got, []byte(abs), []byte("/SEEDS"))
			golden := filepath.Join("testdata", "golden", name)
			if *update && round == 0 {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("round %d: %s differs from %s (go test ./cmd/aggregate -update to accept)", round, name, golden)
			}
		}
	}
}

// One bad feed never stops the others: each failure is named in the log.
func TestOnceBadFeedsDoNotStopTheRun(t *testing.T) {
	srv := serveSeeds(t)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/500":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<!doctype html><html><body><p>Hello</p></body></html>")
		case "/truncated":
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>cut`)
		}
	}))
	t.Cleanup(bad.Close)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, bad.URL+"/500", srv.URL+"/southfront.xml", bad.URL+"/html",
		filepath.Join(dir, "missing.xml"), bad.URL+"/truncated", srv.URL+"/globalresearch.atom")
	logs, err := run(t, "--once", "--config", cfg)
	if err != nil {
		t.Fatalf("run failed: %v\n%s", err, logs)
	}
	f := readJSONFeed(t, filepath.Join(dir, "public", "feed.json"))
	if len(f.Items) != 4 {
		t.Errorf("%d entries, want the 4 stories of the two good feeds", len(f.Items))
	}
	for _, want := range []string{"feeds_ok=2", "feeds_failed=4", bad.URL + "/500", "500", bad.URL + "/html", "missing.xml", bad.URL + "/truncated"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

// When nothing can be read, the previous output stays and the exit is an
// error.
func TestOnceAllFeedsFail(t *testing.T) {
	dir := t.TempDir()
	pub := filepath.Join(dir, "public")
	if err := os.MkdirAll(pub, 0o755); err != nil {
		t.Fatal(err)
	}
	old := []byte("previous output")
	if err := os.WriteFile(filepath.Join(pub, "feed.json"), old, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, filepath.Join(dir, "nope.xml"))
	logs, err := run(t, "--once", "--config", cfg)
	if err == nil || !strings.Contains(err.Error(), "no feed could be read") {
		t.Fatalf("err = %v\n%s", err, logs)
	}
	if got, _ := os.ReadFile(filepath.Join(pub, "feed.json")); !bytes.Equal(got, old) {
		t.Errorf("output was replaced: %q", got)
	}
}

func TestOnceBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	src := "title = \"t\"\n\n[output]\ndir = \"public\"\nmax_itms = 3\n\n[[feed]]\nurl = \"a.xml\"\n"
	if err := os.WriteFile(cfg, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "--once", "--config", cfg)
	if err == nil {
		t.Fatal("bad config accepted")
	}
	if want := cfg + ":5: output.max_itms: unknown key"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if _, serr := os.Stat(filepath.Join(dir, "public")); serr == nil {
		t.Error("output written despite the bad config")
	}
}

func TestFlags(t *testing.T) {
	out, err := run(t, "--version")
	if err != nil || !strings.Contains(out, "aggregate ") {
		t.Errorf("--version: %q, %v", out, err)
	}
	out, err = run(t, "--help")
	if err == nil || !strings.Contains(out, "--once") || !strings.Contains(out, "-config") {
		t.Errorf("--help: %q, %v", out, err)
	}
	if _, err := run(t, "--no-such-flag"); err == nil {
		t.Error("unknown flag accepted")
	}
	if _, err := run(t, "--once", "extra"); err == nil {
		t.Error("stray argument accepted")
	}
}

// The labelled cross-post benchmark, scored by its own scorer: a floor
// under dedupe quality (precision >= 0.99, F1 >= 0.98).
func TestCrosspostDevBenchmark(t *testing.T) {
	bench := filepath.Join("..", "..", "..", "shared", "crosspost-dev")
	if _, err := os.Stat(filepath.Join(bench, "labels.json")); err != nil {
		t.Fatalf("benchmark not found beside the checkout (%v): ../shared/crosspost-dev is part of the test setup", err)
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to run the benchmark's score.py: %v", err)
	}
	feeds, _ := filepath.Glob(filepath.Join(bench, "feeds", "*"))
	if len(feeds) == 0 {
		t.Fatal("no benchmark feeds")
	}
	var urls []string
	for _, f := range feeds {
		abs, _ := filepath.Abs(f)
		urls = append(urls, "file://"+abs)
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, urls...)
	if logs, err := run(t, "--once", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, logs)
	}
	out, err := exec.Command(python, filepath.Join(bench, "score.py"), filepath.Join(bench, "labels.json"), filepath.Join(dir, "public", "feed.json")).CombinedOutput()
	if err != nil {
		t.Fatalf("score.py: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`precision=([\d.]+) recall=([\d.]+) f1=([\d.]+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no score in:\n%s", out)
	}
	p, _ := strconv.ParseFloat(m[1], 64)
	f1, _ := strconv.ParseFloat(m[3], 64)
	t.Logf("crosspost-dev: %s", m[0])
	if p < 0.99 || f1 < 0.98 {
		t.Errorf("below the floor (precision >= 0.99, f1 >= 0.98):\n%s", out)
	}
}

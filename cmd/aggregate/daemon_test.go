package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/clock"
)

// mutableFeeds serves feed documents that a test can change between runs.
type mutableFeeds struct {
	mu   sync.Mutex
	docs map[string][]byte
}

func (m *mutableFeeds) set(path string, doc []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[path] = doc
}

func (m *mutableFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	doc, ok := m.docs[r.URL.Path]
	m.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write(doc)
}

func readSeed(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "seeds", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// emptyAtom is the Global Research feed before it has republished anything.
const emptyAtom = `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Global Research</title><id>https://www.globalresearch.example/</id><updated>2017-01-01T00:00:00Z</updated></feed>`

type daemonRun struct {
	st  *stats
	err error
}

// startDaemon runs Main as the daemon with a fake clock, returning its base
// URL, the clock, a channel of finished runs and a stop function that
// returns Run's error.
func startDaemon(t *testing.T, cfg string) (string, *clock.Fake, chan daemonRun, func() error) {
	t.Helper()
	clk := clock.NewFake(fixedNow())
	addrs := make(chan net.Addr, 1)
	runs := make(chan daemonRun, 16)
	var logs bytes.Buffer
	m := &Main{Stdout: io.Discard, Stderr: &syncWriter{w: &logs}, Clock: clk,
		OnListen: func(a net.Addr) { addrs <- a },
		OnRun:    func(st *stats, err error) { runs <- daemonRun{st, err} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		err := m.Run(ctx, []string{"--config", cfg})
		if cerr := m.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("daemon exited: %v\n%s", err, logs.String())
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr.String(), clk, runs, stop
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func waitRun(t *testing.T, runs chan daemonRun) *stats {
	t.Helper()
	r := <-runs
	if r.err != nil {
		t.Fatalf("run failed: %v", r.err)
	}
	return r.st
}

func getJSON(t *testing.T, url string) jsonFeed {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var f jsonFeed
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil {
		t.Fatal(err)
	}
	return f
}

// The daemon runs at start and on each tick; a copy that a source
// publishes later joins the story a reader already has: same id, one more
// source. Conditional GET on the served feed answers 304.
func TestDaemonTicksMergeLaterCopies(t *testing.T) {
	feeds, src := southFrontFirst(t)
	dir := t.TempDir()
	cfg := writeDaemonConfig(t, dir, "@every 10m", src+"/southfront.xml", src+"/globalresearch.atom")
	base, clk, runs, stop := startDaemon(t, cfg)

	st := waitRun(t, runs)
	if st.Entries != 4 || st.Merged != 0 {
		t.Fatalf("first run: %d entries, %d merged; want 4, 0", st.Entries, st.Merged)
	}
	first := getJSON(t, base+"/feed.json")
	ids := map[string]string{} // title -> id
	for _, it := range first.Items {
		ids[it.Title] = it.ID
	}

	// Global Research republishes; the next tick picks it up.
	feeds.set("/globalresearch.atom", readSeed(t, "globalresearch.atom"))
	<-clk.Waiting()
	clk.Advance(10 * time.Minute)
	st = waitRun(t, runs)
	if st.Entries != 4 || st.Merged != 4 {
		t.Fatalf("second run: %d entries, %d merged; want 4, 4", st.Entries, st.Merged)
	}
	second := getJSON(t, base+"/feed.json")
	for _, it := range second.Items {
		if len(it.Aggregate.Sources) != 2 {
			t.Errorf("%q has %d sources, want 2", it.Title, len(it.Aggregate.Sources))
		}
		if want, ok := ids[it.Title]; !ok || want != it.ID {
			t.Errorf("%q: id %s, want the first run's %s", it.Title, it.ID, want)
		}
	}

	// Conditional GET against the daemon.
	resp, err := http.Get(base + "/feed.atom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	req, _ := http.NewRequest("GET", base+"/feed.atom", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match %q: %s, want 304", etag, resp.Status)
	}

	for path, want := range map[string]int{"/healthz": 200, "/": 200, "/feed.xml": 200, "/nope": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`aggregate_runs_total{result="ok"} 2`, "aggregate_copies_merged 4", "aggregate_clusters 4"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("daemon stop: %v", err)
	}
}

func writeDaemonConfig(t *testing.T, dir, schedule string, feeds ...string) string {
	t.Helper()
	return writeConfigWith(t, dir, fmt.Sprintf("schedule = %q\n", schedule), feeds...)
}

// southFrontFirst serves South Front's feed and a Global Research feed that
// has not republished anything yet.
func southFrontFirst(t *testing.T) (*mutableFeeds, string) {
	t.Helper()
	feeds := &mutableFeeds{docs: map[string][]byte{
		"/southfront.xml":      readSeed(t, "southfront.xml"),
		"/globalresearch.atom": []byte(emptyAtom),
	}}
	src := httptest.NewServer(feeds)
	t.Cleanup(src.Close)
	return feeds, src.URL
}

// --once over half the sources, then over all of them, gives the same
// clusters as one run over all, and the first run's ids survive.
func TestOnceIncrementalEqualsOneRun(t *testing.T) {
	bench := filepath.Join("..", "..", "..", "shared", "crosspost-dev", "feeds")
	files, _ := filepath.Glob(filepath.Join(bench, "*"))
	if len(files) < 4 {
		t.Fatalf("benchmark feeds not found in %s", bench)
	}
	var urls []string
	for _, f := range files {
		abs, _ := filepath.Abs(f)
		urls = append(urls, "file://"+abs)
	}
	groupsOf := func(f jsonFeed) (map[string]string, []string) {
		byURL := map[string]string{}
		var sets []string
		for _, it := range f.Items {
			var us []string
			for _, s := range it.Aggregate.Sources {
				us = append(us, s.URL)
				byURL[s.URL] = it.ID
			}
			sets = append(sets, strings.Join(us, " "))
		}
		return byURL, sets
	}
	oneDir := t.TempDir()
	if out, err := run(t, "--once", "--config", writeConfig(t, oneDir, urls...)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	_, want := groupsOf(readJSONFeed(t, filepath.Join(oneDir, "public", "feed.json")))

	incDir := t.TempDir()
	if out, err := run(t, "--once", "--config", writeConfig(t, incDir, urls[:2]...)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	firstIDs, _ := groupsOf(readJSONFeed(t, filepath.Join(incDir, "public", "feed.json")))
	if out, err := run(t, "--once", "--config", writeConfig(t, incDir, urls...)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	f := readJSONFeed(t, filepath.Join(incDir, "public", "feed.json"))
	finalIDs, got := groupsOf(f)
	if strings.Join(sortedCopy(got), "\n") != strings.Join(sortedCopy(want), "\n") {
		t.Errorf("incremental clusters differ from one run:\n got %v\nwant %v", got, want)
	}
	// Every story of the first run keeps its id.
	for u, id := range firstIDs {
		if firstIDs[u] != "" && finalIDs[u] != id {
			// The story's id may only change if the story merged into an
			// older one from the second half.
			t.Errorf("%s: id %s became %s", u, id, finalIDs[u])
		}
	}
	seen := map[string]bool{}
	for _, it := range f.Items {
		for _, s := range it.Aggregate.Sources {
			if seen[s.URL] {
				t.Errorf("%s appears twice", s.URL)
			}
			seen[s.URL] = true
		}
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	for i := range c {
		f := strings.Fields(c[i])
		slices.Sort(f)
		c[i] = strings.Join(f, " ")
	}
	slices.Sort(c)
	return c
}

// newsboat, subscribed to the daemon's Atom feed across several ticks while
// sources add copies, shows each story once.
func TestNewsboatSeesEachStoryOnce(t *testing.T) {
	newsboat, err := exec.LookPath("newsboat")
	if err != nil {
		if os.Getenv("AGGREGATE_SKIP_FEEDCHECK") == "1" {
			t.Skip("AGGREGATE_SKIP_FEEDCHECK=1 and newsboat missing")
		}
		t.Fatal("newsboat is needed (bash .ci/install)")
	}
	sqlite, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Fatal("sqlite3 is needed to read newsboat's cache")
	}
	feeds, src := southFrontFirst(t)
	dir := t.TempDir()
	cfg := writeDaemonConfig(t, dir, "@every 10m", src+"/southfront.xml", src+"/globalresearch.atom", src+"/blog.json")
	feeds.set("/blog.json", readSeed(t, "blog.json"))
	base, clk, runs, _ := startDaemon(t, cfg)
	waitRun(t, runs)

	home := t.TempDir()
	url := base + "/feed.atom"
	if err := os.WriteFile(filepath.Join(home, "urls"), []byte(url+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	reload := func() int {
		t.Helper()
		cmd := exec.Command(newsboat, "-u", "urls", "-c", "cache.db", "-C", "config", "-x", "reload")
		cmd.Dir = home
		cmd.Env = append(os.Environ(), "HOME="+home, "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("newsboat: %v\n%s", err, out)
		}
		out, err := exec.Command(sqlite, filepath.Join(home, "cache.db"), "select count(*), count(distinct title) from rss_item").Output()
		if err != nil {
			t.Fatal(err)
		}
		var n, distinct int
		fmt.Sscanf(strings.TrimSpace(string(out)), "%d|%d", &n, &distinct)
		if n != distinct {
			t.Errorf("newsboat stores %d items but %d distinct titles", n, distinct)
		}
		return n
	}
	if n := reload(); n != 5 {
		t.Fatalf("newsboat sees %d stories, want 5", n)
	}
	for tick := range 3 {
		if tick == 1 {
			feeds.set("/globalresearch.atom", readSeed(t, "globalresearch.atom"))
		}
		<-clk.Waiting()
		clk.Advance(10 * time.Minute)
		waitRun(t, runs)
		if n := reload(); n != 5 {
			t.Errorf("tick %d: newsboat sees %d stories, want 5", tick, n)
		}
	}
}

// A tick that comes while a run is still going is skipped, not stacked.
func TestDaemonSkipsTickWhileRunning(t *testing.T) {
	var requests atomic.Int32
	asked := make(chan struct{}, 8)
	release := make(chan struct{})
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		asked <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Write(readSeed(t, "southfront.xml"))
	}))
	t.Cleanup(src.Close)
	dir := t.TempDir()
	cfg := writeDaemonConfig(t, dir, "@every 1m", src.URL+"/sf.xml")
	_, clk, runs, stop := startDaemon(t, cfg)
	<-asked // the first run is now blocked on the feed
	for range 3 {
		<-clk.Waiting()
		clk.Advance(time.Minute)
	}
	<-clk.Waiting() // the loop waits for the fourth tick: the three were handled
	close(release)
	if st := waitRun(t, runs); st.Entries != 4 {
		t.Errorf("first run: %d entries", st.Entries)
	}
	// Stopping waits for every run the daemon started.
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d fetches, want 1: ticks during the first run were stacked", n)
	}
	if len(runs) != 0 {
		t.Errorf("%d more runs after the first", len(runs))
	}
}

// A panic inside a run is an error of that run, not the end of the daemon.
func TestSafeRunRecoversPanic(t *testing.T) {
	p := &pipeline{} // no store, no config: the run panics at once
	if _, err := safeRun(context.Background(), p); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("err = %v, want a recovered panic", err)
	}
}

func TestStatusCommand(t *testing.T) {
	srv := serveSeeds(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL+"/southfront.xml", srv.URL+"/missing.xml")
	if out, err := run(t, "--once", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := run(t, "status", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FEED", srv.URL + "/southfront.xml", "South Front", "ok", srv.URL + "/missing.xml", "error", "404", "last run", "feeds ok 1, failed 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

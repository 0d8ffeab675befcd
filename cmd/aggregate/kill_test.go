package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHelperMain is not a test: TestKill9MidRun runs the test binary again
// with it to get a real aggregate process it can kill.
func TestHelperMain(t *testing.T) {
	raw := os.Getenv("AGGREGATE_HELPER_ARGS")
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	m := NewMain()
	err := m.Run(context.Background(), args)
	m.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// A process killed with SIGKILL in the middle of a run, some feeds stored
// and one still downloading, leaves a store from which the next run
// completes with the whole, correct output.
func TestKill9MidRun(t *testing.T) {
	bench := filepath.Join("..", "..", "..", "shared", "crosspost-dev", "feeds")
	files, _ := filepath.Glob(filepath.Join(bench, "*"))
	if len(files) < 4 {
		t.Fatalf("benchmark feeds not found in %s", bench)
	}
	var hang atomic.Bool
	hang.Store(true)
	slowAsked := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.Handle("/feeds/", http.StripPrefix("/feeds/", http.FileServer(http.Dir(bench))))
	mux.HandleFunc("/slow.xml", func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			select {
			case slowAsked <- struct{}{}:
			default:
			}
			<-r.Context().Done() // until the client dies
			return
		}
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>slow</title><link>https://slow.example/</link><description>d</description></channel></rss>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	var urls []string
	for _, f := range files {
		urls = append(urls, srv.URL+"/feeds/"+filepath.Base(f))
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, append(urls, srv.URL+"/slow.xml")...)

	args, _ := json.Marshal([]string{"--once", "-v", "--config", cfg})
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperMain$")
	cmd.Env = append(os.Environ(), "AGGREGATE_HELPER_ARGS="+string(args))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the child has read (and is storing) the good feeds while
	// the slow one hangs, then kill it.
	lines := bufio.NewScanner(stderr)
	read := 0
	for read < len(files) && lines.Scan() {
		if strings.Contains(lines.Text(), `msg="feed read"`) {
			read++
		}
	}
	<-slowAsked
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if read < len(files) {
		t.Fatalf("child read %d feeds before dying", read)
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "feed.json")); err == nil {
		t.Fatal("the killed run wrote output: it was not killed mid-run")
	}

	hang.Store(false)
	if out, err := run(t, "--once", "--config", cfg); err != nil {
		t.Fatalf("run after kill -9: %v\n%s", err, out)
	}
	f := readJSONFeed(t, filepath.Join(dir, "public", "feed.json"))
	items := 0
	for _, it := range f.Items {
		items += len(it.Aggregate.Sources)
	}
	if items != 72 || len(f.Items) != 29 {
		t.Errorf("after kill -9 and a new run: %d entries of %d items, want 29 of 72", len(f.Items), items)
	}
}

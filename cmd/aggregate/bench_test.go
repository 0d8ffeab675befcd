package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/clock"
)

// BenchmarkOnce500 measures a whole --once run over 500 well-behaved feeds
// on loopback (fetch, parse, store, dedupe, write), side by side with a
// plain parallel fetch of the same URLs, and reports the ratio:
//
//	go test -run '^$' -bench Once500 -benchtime 3x ./cmd/aggregate
func BenchmarkOnce500(b *testing.B) {
	docs := make([]string, 500)
	for i := range docs {
		docs[i] = goodFeed(i)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/good/%d", &n)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, docs[n])
	}))
	defer srv.Close()
	urls := make([]string, len(docs))
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/good/%d", srv.URL, i)
	}

	plain := func() time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for _, u := range urls {
			wg.Go(func() {
				resp, err := http.Get(u)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	var ours, theirs time.Duration
	for b.Loop() {
		dir := b.TempDir()
		cfg := writeConfigFor(b, dir, urls)
		theirs += plain()
		start := time.Now()
		m := &Main{Stdout: io.Discard, Stderr: io.Discard, Clock: clock.NewFake(fixedNow())}
		if os.Getenv("BENCH_LOG") != "" { // the stage timings
			m.Stderr, m.LogLevel = os.Stderr, slog.LevelDebug
		}
		if err := m.Run(context.Background(), []string{"--once", "--config", cfg}); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		m.Close()
	}
	n := float64(b.N)
	b.ReportMetric(float64(ours.Milliseconds())/n, "once-ms")
	b.ReportMetric(float64(theirs.Milliseconds())/n, "plain-fetch-ms")
	b.ReportMetric(float64(ours)/float64(theirs), "ratio")
}

// writeConfigFor is writeConfig for benchmarks, with the shipped fetch
// defaults (per_host 2, concurrency 16).
func writeConfigFor(b *testing.B, dir string, urls []string) string {
	var s string
	s = "title = \"bench\"\nlink = \"http://127.0.0.1/\"\n[output]\ndir = \"public\"\nmax_items = 5000\n[store]\npath = \"data/state.db\"\n" + os.Getenv("BENCH_EXTRA")
	for _, u := range urls {
		s += fmt.Sprintf("[[feed]]\nurl = %q\n", u)
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

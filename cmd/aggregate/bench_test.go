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
	"github.com/aggregate-dev/aggregate/cmd/benchgen/corpus"
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

// BenchmarkDaemonRun measures what a daemon run costs once the history is
// stored: over benchgen corpora of 10^4 and 10^5 items, the first run (from
// an empty store), a run of a new process (its index filled from the
// stored fingerprints) and the runs of a daemon that keeps its index
// (b.N of them). Every feed answers "not modified", so these are a run's
// fixed costs: the metadata of the whole history read, clustered and
// compared with what is stored.
//
//	go test -run '^$' -bench DaemonRun -benchtime 3x ./cmd/aggregate
func BenchmarkDaemonRun(b *testing.B) {
	for _, feeds := range []int{50, 500} {
		b.Run(fmt.Sprint(feeds*200), func(b *testing.B) {
			ctx := context.Background()
			dir := b.TempDir()
			c := corpus.Generate(corpus.Options{Feeds: feeds, Items: 200, Copies: 0.3, Seed: 1, Entries: 500})
			if err := c.Write(dir); err != nil {
				b.Fatal(err)
			}
			cfg, db := openConfig(b, filepath.Join(dir, "config.toml"))
			log := slog.New(slog.DiscardHandler)
			clk := clock.NewFake(fixedNow())
			timed := func(p *pipeline) time.Duration {
				start := time.Now()
				st, err := p.run(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if st.Items != feeds*200 {
					b.Fatalf("%d items, want %d", st.Items, feeds*200)
				}
				return time.Since(start)
			}
			first := timed(newPipeline(cfg, db, log, clk))
			restart := newPipeline(cfg, db, log, clk)
			restart.force = true
			again := timed(restart)
			if os.Getenv("BENCH_LOG") != "" { // the stage timings of the daemon's runs
				log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
			daemon := newPipeline(cfg, db, log, clk)
			daemon.force = true
			timed(daemon) // fills its index
			var runs time.Duration
			for b.Loop() {
				runs += timed(daemon)
			}
			b.ReportMetric(first.Seconds(), "first-s")
			b.ReportMetric(again.Seconds(), "restart-s")
			b.ReportMetric(runs.Seconds()/float64(b.N), "run-s")
		})
	}
}

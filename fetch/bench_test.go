package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchFeed is a feed of a usual size: 20 items, about 14 KB.
var benchFeed = func() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench</title><link>http://example.com/</link>`)
	for i := range 20 {
		fmt.Fprintf(&b, `<item><title>Story %d</title><link>http://example.com/%d</link><guid>http://example.com/%d</guid><description>%s</description></item>`,
			i, i, i, strings.Repeat("Words of a story that runs on for a while. ", 14))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}()

// BenchmarkFetch500 times one fetch of 500 well-behaved feeds on loopback
// through the Fetcher, against a plain parallel fetch of the same URLs (one
// goroutine and one http.Get per URL, no limits at all), and reports both
// and their ratio:
//
//	go test -run '^$' -bench Fetch500 ./fetch/
//
// Each run gets a fresh Fetcher and a fresh plain client, so both pay for
// their connections as a --once run does. The cases vary how the feeds
// spread over hosts, the Fetcher's limits, and the server's think time.
func BenchmarkFetch500(b *testing.B) {
	cases := []struct {
		name        string
		hosts       int
		latency     time.Duration // server think time per request
		concurrency int
		perHost     int
		interval    time.Duration
	}{
		{name: "100hosts/c16", hosts: 100, concurrency: 16, perHost: 2, interval: -1},
		{name: "100hosts/c16/interval5ms", hosts: 100, concurrency: 16, perHost: 2, interval: 5 * time.Millisecond},
		{name: "250hosts/c16", hosts: 250, concurrency: 16, perHost: 2, interval: -1},
		{name: "1host/c16/perhost2", hosts: 1, concurrency: 16, perHost: 2, interval: -1},
		{name: "100hosts/latency20ms/c16", hosts: 100, latency: 20 * time.Millisecond, concurrency: 16, perHost: 2, interval: -1},
		{name: "100hosts/latency20ms/c200", hosts: 100, latency: 20 * time.Millisecond, concurrency: 200, perHost: 2, interval: -1},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			urls := benchServers(b, c.hosts, 500, c.latency)
			var fetcherTime, plainTime time.Duration
			for i := 0; b.Loop(); i++ {
				// Alternate the order so neither side always goes first.
				runs := []func(){
					func() { fetcherTime += benchFetcher(b, urls, c.concurrency, c.perHost, c.interval) },
					func() { plainTime += benchPlain(b, urls) },
				}
				if i%2 == 1 {
					runs[0], runs[1] = runs[1], runs[0]
				}
				runs[0]()
				runs[1]()
			}
			n := float64(b.N)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(fetcherTime.Microseconds())/1000/n, "fetcher-ms")
			b.ReportMetric(float64(plainTime.Microseconds())/1000/n, "plain-ms")
			b.ReportMetric(float64(fetcherTime)/float64(plainTime), "ratio")
		})
	}
}

// benchServers starts hosts servers on 127.0.x.y addresses and returns
// feeds URLs spread evenly over them.
func benchServers(b *testing.B, hosts, feeds int, latency time.Duration) []string {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if latency > 0 {
			select {
			case <-time.After(latency):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, benchFeed)
	})
	base := make([]string, hosts)
	for i := range hosts {
		ip := fmt.Sprintf("127.0.%d.%d", 1+i/250, 1+i%250)
		base[i] = serveOn(b, ip, h).URL
	}
	urls := make([]string, feeds)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/feed/%d.xml", base[i%hosts], i)
	}
	return urls
}

func benchFetcher(b *testing.B, urls []string, concurrency, perHost int, interval time.Duration) time.Duration {
	f := New(Options{Concurrency: concurrency, PerHost: perHost, HostInterval: interval})
	defer f.client.CloseIdleConnections()
	reqs := make([]Request, len(urls))
	for i, u := range urls {
		reqs[i].URL = u
	}
	start := time.Now()
	out := f.FetchAll(context.Background(), reqs)
	took := time.Since(start)
	for _, o := range out {
		if o.Err != nil || len(o.Result.Body) != len(benchFeed) {
			b.Fatalf("fetcher: %v", o.Err)
		}
	}
	return took
}

func benchPlain(b *testing.B, urls []string) time.Duration {
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer client.CloseIdleConnections()
	errs := make([]error, len(urls))
	start := time.Now()
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			resp, err := client.Get(u)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err == nil && len(body) != len(benchFeed) {
				err = fmt.Errorf("%d bytes", len(body))
			}
			errs[i] = err
		})
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		if err != nil {
			b.Fatalf("plain: %v", err)
		}
	}
	return took
}

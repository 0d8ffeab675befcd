package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/clock"
)

// faultyWeb is a set of loopback hosts serving good feeds and feeds that
// misbehave on purpose, counting what each path was asked and how many
// requests each host had in flight at most.
type faultyWeb struct {
	mu        sync.Mutex
	asked     map[string]int // path -> requests
	notMod    int            // 304 answers
	inflight  map[string]int // host -> now
	maxFlight map[string]int // host -> most at once
	servers   []*httptest.Server
}

func goodFeed(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0"><channel><title>Good %d</title><link>https://good%d.example/</link><description>d</description>`, n, n)
	for i := range 3 {
		fmt.Fprintf(&b, `<item><title>Story %d.%d</title><link>https://good%d.example/%d</link><guid>https://good%d.example/%d</guid><pubDate>Mon, 02 Mar 2026 10:%02d:00 +0000</pubDate><description>Report number %d from site %d: %s</description></item>`,
			n, i, n, i, n, i, i, i, n, strings.Repeat(fmt.Sprintf("unique words for feed %d item %d go here ", n, i), 3))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

func (f *faultyWeb) handler(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.Host)
	f.mu.Lock()
	f.asked[r.URL.Path]++
	f.inflight[host]++
	f.maxFlight[host] = max(f.maxFlight[host], f.inflight[host])
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight[host]--
		f.mu.Unlock()
	}()
	var n int
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/good/"):
		fmt.Sscanf(p, "/good/%d", &n)
		etag := fmt.Sprintf(`"g%d"`, n)
		if r.Header.Get("If-None-Match") == etag {
			f.mu.Lock()
			f.notMod++
			f.mu.Unlock()
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, goodFeed(n))
	case p == "/latin1":
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		w.Write([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\xe9</title><link>https://latin.example/</link><description>d</description><item><title>Cr\xe8me br\xfbl\xe9e</title><link>https://latin.example/1</link><description>Une recette de cr\xe8me br\xfbl\xe9e, tr\xe8s simple et tr\xe8s bonne.</description></item></channel></rss>"))
	case p == "/page":
		fmt.Fprint(w, `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" href="/good/999"></head><body>a blog</body></html>`)
	case p == "/500":
		http.Error(w, "boom", http.StatusInternalServerError)
	case p == "/429":
		w.Header().Set("Retry-After", "3600")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case p == "/slow":
		<-r.Context().Done()
	case p == "/html":
		fmt.Fprint(w, `<!doctype html><html><body><p>no feed here</p></body></html>`)
	case p == "/truncated":
		w.Header().Set("Content-Length", "5000")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>cut`)
	case p == "/bomb":
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(bytes.Repeat([]byte("<"), 3<<20))
		zw.Close()
	case p == "/loop":
		http.Redirect(w, r, "/loop2", http.StatusFound)
	case p == "/loop2":
		http.Redirect(w, r, "/loop", http.StatusFound)
	case p == "/empty":
	default:
		http.NotFound(w, r)
	}
}

func newFaultyWeb(t *testing.T, hosts int) *faultyWeb {
	t.Helper()
	f := &faultyWeb{asked: map[string]int{}, inflight: map[string]int{}, maxFlight: map[string]int{}}
	for h := 1; h <= hosts; h++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", h))
		if err != nil {
			t.Fatalf("listen on 127.0.0.%d: %v", h, err)
		}
		srv := httptest.NewUnstartedServer(http.HandlerFunc(f.handler))
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		t.Cleanup(srv.Close)
		f.servers = append(f.servers, srv)
	}
	return f
}

// A run over many feeds of which a fifth misbehave: every good feed's items
// reach the output, no host sees more requests at once than configured, a
// second run gets 304 for every unchanged feed, a feed under Retry-After is
// not asked again before its time, and --force asks it anyway.
func TestFaultyFeedsWholeRun(t *testing.T) {
	web := newFaultyWeb(t, 4)
	var urls []string
	good := 0
	for i := range 80 {
		urls = append(urls, web.servers[i%4].URL+fmt.Sprintf("/good/%d", i))
		good++
	}
	bad := []string{"/500", "/429", "/slow", "/html", "/truncated", "/bomb", "/loop", "/empty", "/missing"}
	for i, p := range bad {
		urls = append(urls, web.servers[i%4].URL+p)
	}
	urls = append(urls, web.servers[0].URL+"/latin1", web.servers[1].URL+"/page")
	dir := t.TempDir()
	cfg := writeConfigWith(t, dir, "", urls...)
	// A short timeout for /slow; a 1 MiB cap for the bomb; 2 per host.
	conf := strings.Replace(readConfigFile(t, cfg), "[store]", "[fetch]\ntimeout = \"2s\"\nmax_body_mb = 1\nper_host = 2\nconcurrency = 16\n\n[store]", 1)
	writeFile(t, cfg, conf)

	clk := clock.NewFake(fixedNow())
	runAt := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		m := &Main{Stdout: &out, Stderr: &out, Clock: clk}
		err := m.Run(t.Context(), append([]string{"--once", "--config", cfg}, args...))
		m.Close()
		if err != nil {
			t.Fatalf("run: %v\n%s", err, out.String())
		}
		return out.String()
	}
	start := time.Now()
	logs := runAt()
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("the run took %v: more than its timeouts allow", took)
	}
	f := readJSONFeed(t, filepath.Join(dir, "public", "feed.json"))
	titles := map[string]bool{}
	for _, it := range f.Items {
		titles[it.Title] = true
	}
	for i := range 80 {
		for j := range 3 {
			if !titles[fmt.Sprintf("Story %d.%d", i, j)] {
				t.Fatalf("Story %d.%d missing from the output", i, j)
			}
		}
	}
	if !titles["Crème brûlée"] {
		t.Error("the latin-1 feed's item is missing or garbled")
	}
	if !titles["Story 999.0"] {
		t.Error("the feed advertised by /page was not followed")
	}
	for _, p := range bad {
		if !strings.Contains(logs, p) {
			t.Errorf("the summary does not name the failed feed %s", p)
		}
	}
	if !strings.Contains(logs, fmt.Sprintf("feeds_failed=%d", len(bad))) {
		t.Errorf("summary: want feeds_failed=%d\n%s", len(bad), logs)
	}
	web.mu.Lock()
	for h, n := range web.maxFlight {
		if n > 2 {
			t.Errorf("host %s saw %d requests at once, per_host is 2", h, n)
		}
	}
	web.mu.Unlock()

	// A minute later: unchanged feeds answer 304; the 429 feed waits.
	clk.Advance(time.Minute)
	logs = runAt()
	web.mu.Lock()
	notMod, asked429 := web.notMod, web.asked["/429"]
	web.mu.Unlock()
	if notMod != good+1 { // the 80 good feeds and the one /page advertises
		t.Errorf("%d answers were 304 on the second run, want %d", notMod, good+1)
	}
	if asked429 != 1 {
		t.Errorf("/429 asked %d times within its Retry-After", asked429)
	}
	if len(readJSONFeed(t, filepath.Join(dir, "public", "feed.json")).Items) != len(f.Items) {
		t.Error("the second run's output differs in size from the first")
	}
	// The page is not fetched again: its feed's URL was remembered.
	web.mu.Lock()
	if n := web.asked["/page"]; n != 1 {
		t.Errorf("/page asked %d times; its advertised feed should be fetched directly", n)
	}
	web.mu.Unlock()

	runAt("--force")
	web.mu.Lock()
	if n := web.asked["/429"]; n != 2 {
		t.Errorf("--force: /429 asked %d times in all, want 2", n)
	}
	web.mu.Unlock()

	var out bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &out, Clock: clk}
	if err := m.Run(t.Context(), []string{"status", "--config", cfg}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if s := out.String(); !strings.Contains(s, "retry-after") || !strings.Contains(s, "backoff") || !strings.Contains(s, "/page -> ") {
		t.Errorf("status does not show backoff, retry-after and the discovered feed:\n%s", s)
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

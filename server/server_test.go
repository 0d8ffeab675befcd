package server

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is an injected clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func sampleFiles(version string) map[string][]byte {
	// Large enough that gzip is worth it and a mixed body would show.
	rep := func(s string) []byte { return []byte(strings.Repeat(s, 200)) }
	return map[string][]byte{
		FileRSS:  append([]byte(`<?xml version="1.0"?><rss version="2.0">`), rep("<item>rss "+version+"</item>")...),
		FileAtom: append([]byte(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">`), rep("<entry>atom "+version+"</entry>")...),
		FileJSON: append([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[`), rep(`{"id":"`+version+`"},`)...),
		FileHTML: append([]byte(`<!doctype html><title>merged</title>`), rep("<p>html "+version+"</p>")...),
	}
}

type fixture struct {
	srv   *Server
	clock *fakeClock
	ts    *httptest.Server
	c     *http.Client
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	clock := &fakeClock{t: t0}
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	s := New(opts)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	// DisableCompression: the test, not the transport, decides Accept-Encoding
	// and sees the raw Content-Encoding.
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &fixture{srv: s, clock: clock, ts: ts, c: &http.Client{Transport: tr}}
}

type resp struct {
	code   int
	header http.Header
	body   []byte
}

func (f *fixture) do(t *testing.T, method, path string, hdr ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, f.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	r, err := f.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{r.StatusCode, r.Header, b}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

var feedRoutes = []struct {
	path, file, ctype string
}{
	{"/feed.xml", FileRSS, "application/rss+xml; charset=utf-8"},
	{"/feed.atom", FileAtom, "application/atom+xml; charset=utf-8"},
	{"/feed.json", FileJSON, "application/feed+json; charset=utf-8"},
	{"/", FileHTML, "text/html; charset=utf-8"},
	{"/index.html", FileHTML, "text/html; charset=utf-8"},
}

func TestBeforePublish503(t *testing.T) {
	f := newFixture(t, Options{})
	for _, rt := range feedRoutes {
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			r := f.do(t, m, rt.path)
			if r.code != http.StatusServiceUnavailable {
				t.Errorf("%s %s: status %d, want 503", m, rt.path, r.code)
			}
			if r.header.Get("Retry-After") == "" {
				t.Errorf("%s %s: no Retry-After", m, rt.path)
			}
			if r.header.Get("ETag") != "" {
				t.Errorf("%s %s: ETag %q on 503", m, rt.path, r.header.Get("ETag"))
			}
		}
	}
}

func TestContentTypesAndHeaders(t *testing.T) {
	f := newFixture(t, Options{})
	files := sampleFiles("v1")
	f.srv.Publish(Snapshot{Files: files, Generated: t0})
	for _, rt := range feedRoutes {
		t.Run(rt.path, func(t *testing.T) {
			r := f.do(t, http.MethodGet, rt.path)
			if r.code != http.StatusOK {
				t.Fatalf("status %d", r.code)
			}
			if got := r.header.Get("Content-Type"); got != rt.ctype {
				t.Errorf("Content-Type %q, want %q", got, rt.ctype)
			}
			if !bytes.Equal(r.body, files[rt.file]) {
				t.Errorf("body differs from published %s", rt.file)
			}
			etag := r.header.Get("ETag")
			if len(etag) != 18 || etag[0] != '"' || etag[17] != '"' {
				t.Errorf("ETag %q, want strong 16-hex tag", etag)
			}
			for k, want := range map[string]string{
				"Last-Modified":  t0.Format(http.TimeFormat),
				"Cache-Control":  "public, max-age=60",
				"Vary":           "Accept-Encoding",
				"Content-Length": fmt.Sprint(len(files[rt.file])),
			} {
				if got := r.header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if ce := r.header.Get("Content-Encoding"); ce != "" {
				t.Errorf("Content-Encoding %q without Accept-Encoding", ce)
			}
		})
	}
}

func TestETagStableAndChanges(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.Publish(Snapshot{Files: sampleFiles("v1"), Generated: t0})
	a := f.do(t, http.MethodGet, "/feed.atom").header.Get("ETag")
	b := f.do(t, http.MethodGet, "/feed.atom").header.Get("ETag")
	if a == "" || a != b {
		t.Fatalf("ETag not stable: %q then %q", a, b)
	}
	if x := f.do(t, http.MethodGet, "/feed.xml").header.Get("ETag"); x == a {
		t.Errorf("RSS and Atom share ETag %q", x)
	}
	// Same bytes published again (a run that changed nothing): same ETag.
	f.srv.Publish(Snapshot{Files: sampleFiles("v1"), Generated: t0.Add(time.Minute)})
	if c := f.do(t, http.MethodGet, "/feed.atom").header.Get("ETag"); c != a {
		t.Errorf("same bytes, new ETag: %q vs %q", c, a)
	}
	f.srv.Publish(Snapshot{Files: sampleFiles("v2"), Generated: t0.Add(2 * time.Minute)})
	r := f.do(t, http.MethodGet, "/feed.atom")
	if d := r.header.Get("ETag"); d == a {
		t.Errorf("new snapshot kept ETag %q", d)
	}
	if !bytes.Contains(r.body, []byte("atom v2")) {
		t.Errorf("new snapshot not served")
	}
	if lm := r.header.Get("Last-Modified"); lm != t0.Add(2*time.Minute).Format(http.TimeFormat) {
		t.Errorf("Last-Modified %q not the new Generated", lm)
	}
}

func TestPublishCopiesBytes(t *testing.T) {
	f := newFixture(t, Options{})
	files := map[string][]byte{FileAtom: []byte("<feed>original</feed>")}
	f.srv.Publish(Snapshot{Files: files, Generated: t0})
	copy(files[FileAtom], "XXXXXXXXXXXXXX")
	files[FileRSS] = []byte("added later")
	if r := f.do(t, http.MethodGet, "/feed.atom"); string(r.body) != "<feed>original</feed>" {
		t.Errorf("caller's later writes leaked into the served body: %q", r.body)
	}
	if r := f.do(t, http.MethodGet, "/feed.xml"); r.code != http.StatusNotFound {
		t.Errorf("file added to the map after Publish: status %d, want 404", r.code)
	}
}

func TestConditionalGet(t *testing.T) {
	f := newFixture(t, Options{})
	gen := t0.Add(-time.Hour)
	files := sampleFiles("v1")
	f.srv.Publish(Snapshot{Files: files, Generated: gen})
	first := f.do(t, http.MethodGet, "/feed.atom")
	etag := first.header.Get("ETag")
	gzFirst := f.do(t, http.MethodGet, "/feed.atom", "Accept-Encoding", "gzip")
	gzTag := gzFirst.header.Get("ETag")
	if gzTag == "" || gzTag == etag {
		t.Fatalf("gzip ETag %q should differ from identity %q", gzTag, etag)
	}
	lm := gen.Format(http.TimeFormat)
	weak := "W/" + etag

	tests := []struct {
		name     string
		method   string
		hdr      []string
		wantCode int
		wantETag string // "" = do not check
		wantGzip bool
	}{
		{"no validators", "GET", nil, 200, etag, false},
		{"INM current", "GET", []string{"If-None-Match", etag}, 304, etag, false},
		{"INM weak form", "GET", []string{"If-None-Match", weak}, 304, etag, false},
		{"INM list", "GET", []string{"If-None-Match", `"aaa", ` + etag + `, "bbb"`}, 304, etag, false},
		{"INM two header lines", "GET", []string{"If-None-Match", `"aaa"`, "If-None-Match", etag}, 304, etag, false},
		{"INM star", "GET", []string{"If-None-Match", "*"}, 304, etag, false},
		{"INM stale", "GET", []string{"If-None-Match", `"no-such-etag"`}, 200, etag, false},
		{"INM stale wins over IMS", "GET", []string{"If-None-Match", `"no-such-etag"`, "If-Modified-Since", lm}, 200, etag, false},
		{"INM current with old IMS", "GET", []string{"If-None-Match", etag, "If-Modified-Since", gen.Add(-time.Hour).Format(http.TimeFormat)}, 304, etag, false},
		{"INM malformed", "GET", []string{"If-None-Match", `no-quotes`}, 200, etag, false},
		{"IMS exact", "GET", []string{"If-Modified-Since", lm}, 304, etag, false},
		{"IMS later", "GET", []string{"If-Modified-Since", gen.Add(time.Minute).Format(http.TimeFormat)}, 304, etag, false},
		{"IMS earlier", "GET", []string{"If-Modified-Since", gen.Add(-time.Second).Format(http.TimeFormat)}, 200, etag, false},
		{"IMS garbage", "GET", []string{"If-Modified-Since", "yesterday"}, 200, etag, false},
		{"HEAD INM current", "HEAD", []string{"If-None-Match", etag}, 304, etag, false},
		{"gzip INM gzip tag", "GET", []string{"Accept-Encoding", "gzip", "If-None-Match", gzTag}, 304, gzTag, false},
		{"gzip INM weak gzip tag", "GET", []string{"Accept-Encoding", "gzip", "If-None-Match", "W/" + gzTag}, 304, gzTag, false},
		{"gzip INM identity tag (same content)", "GET", []string{"Accept-Encoding", "gzip", "If-None-Match", etag}, 304, etag, false},
		{"identity INM gzip tag (same content)", "GET", []string{"If-None-Match", gzTag}, 304, gzTag, false},
		{"gzip INM both tags", "GET", []string{"Accept-Encoding", "gzip", "If-None-Match", etag + ", " + gzTag}, 304, gzTag, false},
		{"gzip INM stale", "GET", []string{"Accept-Encoding", "gzip", "If-None-Match", `"` + strings.Trim(etag, `"`) + `x-gzip"`}, 200, gzTag, true},
		{"gzip IMS", "GET", []string{"Accept-Encoding", "gzip", "If-Modified-Since", lm}, 304, gzTag, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(t, tc.method, "/feed.atom", tc.hdr...)
			if r.code != tc.wantCode {
				t.Fatalf("status %d, want %d", r.code, tc.wantCode)
			}
			if tc.wantETag != "" && r.header.Get("ETag") != tc.wantETag {
				t.Errorf("ETag %q, want %q", r.header.Get("ETag"), tc.wantETag)
			}
			if r.header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q", r.header.Get("Vary"))
			}
			switch r.code {
			case http.StatusNotModified:
				if len(r.body) != 0 {
					t.Errorf("304 with %d body bytes", len(r.body))
				}
				if r.header.Get("Content-Type") != "" || r.header.Get("Content-Encoding") != "" {
					t.Errorf("304 carries representation headers: %v", r.header)
				}
				if r.header.Get("Last-Modified") != lm {
					t.Errorf("304 Last-Modified %q", r.header.Get("Last-Modified"))
				}
			case http.StatusOK:
				body := r.body
				if tc.wantGzip {
					if r.header.Get("Content-Encoding") != "gzip" {
						t.Fatalf("Content-Encoding %q, want gzip", r.header.Get("Content-Encoding"))
					}
					body = gunzip(t, body)
				}
				if !bytes.Equal(body, files[FileAtom]) {
					t.Errorf("200 body differs from the published feed")
				}
			}
		})
	}
}

func TestHead(t *testing.T) {
	f := newFixture(t, Options{})
	files := sampleFiles("v1")
	f.srv.Publish(Snapshot{Files: files, Generated: t0})
	for _, rt := range feedRoutes {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s gzip=%t", rt.path, gz), func(t *testing.T) {
				var hdr []string
				if gz {
					hdr = []string{"Accept-Encoding", "gzip"}
				}
				get := f.do(t, http.MethodGet, rt.path, hdr...)
				head := f.do(t, http.MethodHead, rt.path, hdr...)
				if head.code != http.StatusOK {
					t.Fatalf("HEAD status %d", head.code)
				}
				if len(head.body) != 0 {
					t.Errorf("HEAD returned %d body bytes", len(head.body))
				}
				for _, k := range []string{"ETag", "Last-Modified", "Content-Type", "Content-Length", "Content-Encoding", "Cache-Control", "Vary"} {
					if head.header.Get(k) != get.header.Get(k) {
						t.Errorf("%s: HEAD %q, GET %q", k, head.header.Get(k), get.header.Get(k))
					}
				}
				if head.header.Get("Content-Length") != fmt.Sprint(len(get.body)) {
					t.Errorf("HEAD Content-Length %q, GET body %d bytes", head.header.Get("Content-Length"), len(get.body))
				}
			})
		}
	}
}

func TestGzipNegotiation(t *testing.T) {
	f := newFixture(t, Options{})
	files := sampleFiles("v1")
	f.srv.Publish(Snapshot{Files: files, Generated: t0})
	tests := []struct {
		accept string
		gzip   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"x-gzip", true},
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.8", true},
		{"deflate, br", false},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"*", true},
		{"*;q=0", false},
		{"*, gzip;q=0", false},
		{"identity", false},
	}
	for _, rt := range feedRoutes {
		for _, tc := range tests {
			t.Run(rt.path+" "+tc.accept, func(t *testing.T) {
				var hdr []string
				if tc.accept != "" {
					hdr = []string{"Accept-Encoding", tc.accept}
				}
				r := f.do(t, http.MethodGet, rt.path, hdr...)
				if r.code != 200 {
					t.Fatalf("status %d", r.code)
				}
				body := r.body
				ce := r.header.Get("Content-Encoding")
				if tc.gzip {
					if ce != "gzip" {
						t.Fatalf("Content-Encoding %q, want gzip", ce)
					}
					if !strings.HasSuffix(r.header.Get("ETag"), `-gzip"`) {
						t.Errorf("gzip ETag %q lacks -gzip", r.header.Get("ETag"))
					}
					if r.header.Get("Content-Length") != fmt.Sprint(len(r.body)) {
						t.Errorf("Content-Length %q, body %d", r.header.Get("Content-Length"), len(r.body))
					}
					if len(r.body) >= len(files[rt.file]) {
						t.Errorf("gzip body %d bytes, original %d", len(r.body), len(files[rt.file]))
					}
					body = gunzip(t, body)
				} else if ce != "" {
					t.Fatalf("Content-Encoding %q, want none", ce)
				}
				if !bytes.Equal(body, files[rt.file]) {
					t.Errorf("decoded body differs from the published file")
				}
				if r.header.Get("Content-Type") != rt.ctype {
					t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
				}
			})
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.Publish(Snapshot{Files: sampleFiles("v1"), Generated: t0})
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/nope", 404},
		{"GET", "/feed.rss", 404},
		{"GET", "/feed.xml/extra", 404},
		{"GET", "/index.htm", 404},
		{"HEAD", "/nope", 404},
		{"POST", "/feed.xml", 405},
		{"PUT", "/feed.atom", 405},
		{"DELETE", "/feed.json", 405},
		{"POST", "/", 405},
		{"PATCH", "/index.html", 405},
		{"OPTIONS", "/feed.atom", 405},
		{"POST", "/healthz", 405},
		{"POST", "/metrics", 405},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := f.do(t, tc.method, tc.path)
			if r.code != tc.want {
				t.Fatalf("status %d, want %d", r.code, tc.want)
			}
			if tc.want == 405 && r.header.Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q, want \"GET, HEAD\"", r.header.Get("Allow"))
			}
			if r.header.Get("ETag") != "" {
				t.Errorf("ETag on %d", r.code)
			}
		})
	}
}

func TestMissingFileInSnapshot(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.Publish(Snapshot{Files: map[string][]byte{FileAtom: []byte("<feed/>")}, Generated: t0})
	if r := f.do(t, "GET", "/feed.atom"); r.code != 200 {
		t.Errorf("/feed.atom: %d", r.code)
	}
	if r := f.do(t, "GET", "/feed.json"); r.code != 404 {
		t.Errorf("/feed.json not in snapshot: %d, want 404", r.code)
	}
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, Options{StaleAfter: time.Hour})
	get := func() resp { return f.do(t, "GET", "/healthz") }

	r := get()
	if r.code != 503 || !strings.Contains(string(r.body), "no successful run yet") {
		t.Fatalf("before any run: %d %q", r.code, r.body)
	}

	f.srv.SetHealth(Health{LastRun: t0, Running: true})
	if r := get(); r.code != 503 {
		t.Fatalf("first run in progress: %d, want 503", r.code)
	}

	f.srv.SetHealth(Health{LastRun: t0, LastOK: t0})
	f.clock.Add(10 * time.Minute)
	r = get()
	if r.code != 200 {
		t.Fatalf("after a run 10m ago: %d %q", r.code, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{"status: ok", "last_run: 2026-05-01T12:00:00Z", "last_run_status: ok", "running: false"} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("body lacks %q:\n%s", want, r.body)
		}
	}
	if h := f.do(t, "HEAD", "/healthz"); h.code != 200 || len(h.body) != 0 {
		t.Errorf("HEAD /healthz: %d, %d bytes", h.code, len(h.body))
	}

	// A failed run within StaleAfter: still healthy, but the body says so.
	f.srv.SetHealth(Health{LastRun: t0.Add(30 * time.Minute), LastOK: t0, LastError: "fetch: boom"})
	f.clock.Add(30 * time.Minute) // 40m since the last success
	r = get()
	if r.code != 200 || !strings.Contains(string(r.body), "last_run_status: error") || !strings.Contains(string(r.body), "last_error: fetch: boom") {
		t.Errorf("recent failure: %d %q", r.code, r.body)
	}

	f.clock.Add(21 * time.Minute) // 61m since the last success: stale
	r = get()
	if r.code != 503 || !strings.Contains(string(r.body), "stale") {
		t.Errorf("stale: %d %q", r.code, r.body)
	}

	f.srv.SetHealth(Health{LastRun: f.clock.Now(), LastOK: f.clock.Now()})
	if r := get(); r.code != 200 {
		t.Errorf("after recovery: %d %q", r.code, r.body)
	}
}

func TestHealthzNoStaleLimit(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.SetHealth(Health{LastRun: t0, LastOK: t0})
	f.clock.Add(1000 * time.Hour)
	if r := f.do(t, "GET", "/healthz"); r.code != 200 {
		t.Errorf("StaleAfter 0 should disable the age check: %d", r.code)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, Options{})
	m := f.srv.Metrics()
	m.ObserveRun(3*time.Second, nil)
	m.ObserveRun(time.Second, fmt.Errorf("boom"))
	m.Runs.WithLabelValues(ResultOK).Inc()
	m.Fetches.WithLabelValues(ResultOK).Add(5)
	m.Fetches.WithLabelValues(ResultNotModified).Add(2)
	m.Fetches.WithLabelValues(ResultError).Inc()
	m.Items.Set(42)
	m.Clusters.Set(40)
	m.CopiesMerged.Set(7)
	f.srv.SetHealth(Health{LastRun: t0, LastOK: t0})
	f.srv.Publish(Snapshot{Files: sampleFiles("v1"), Generated: t0})
	f.do(t, "GET", "/feed.atom")
	f.do(t, "GET", "/nope")

	r := f.do(t, "GET", "/metrics")
	if r.code != 200 {
		t.Fatalf("status %d", r.code)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want Prometheus text format", ct)
	}
	body := string(r.body)
	for _, want := range []string{
		`aggregate_runs_total{result="ok"} 2`,
		`aggregate_runs_total{result="error"} 1`,
		`aggregate_run_duration_seconds_count 2`,
		`aggregate_run_duration_seconds_sum 4`,
		`aggregate_fetches_total{result="ok"} 5`,
		`aggregate_fetches_total{result="not_modified"} 2`,
		`aggregate_fetches_total{result="error"} 1`,
		`aggregate_items 42`,
		`aggregate_clusters 40`,
		`aggregate_copies_merged 7`,
		fmt.Sprintf(`aggregate_last_success_timestamp_seconds %g`, float64(t0.Unix())),
		fmt.Sprintf(`aggregate_snapshot_generated_timestamp_seconds %g`, float64(t0.Unix())),
		`aggregate_http_responses_total{code="200",route="/feed.atom"} 1`,
		`aggregate_http_responses_total{code="404",route="other"} 1`,
		"go_goroutines",
		"process_",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestPrivateRegistries(t *testing.T) {
	// Two servers, no shared global state: each sees only its own counts.
	a, b := New(Options{}), New(Options{})
	a.Metrics().Items.Set(1)
	b.Metrics().Items.Set(2)
	if a.Registry() == b.Registry() {
		t.Fatal("servers share a registry")
	}
	// A server on a caller's registry that already has the collectors
	// (a second New on it) reuses them instead of panicking.
	c := New(Options{Registry: a.Registry()})
	if c.Metrics().Items != a.Metrics().Items {
		t.Error("second server on one registry should share its metrics")
	}
}

// A Publish racing with streaming requests never yields a mixed body: each
// body (identity or gzip) equals one published version, and its ETag is that
// version's ETag.
func TestConcurrentPublishNoMixedBody(t *testing.T) {
	f := newFixture(t, Options{})
	const versions = 20
	want := make(map[string][]byte) // etag -> body, identity and gzip variants
	snaps := make([]Snapshot, versions)
	for i := range snaps {
		files := sampleFiles(fmt.Sprintf("v%02d", i))
		snaps[i] = Snapshot{Files: files, Generated: t0.Add(time.Duration(i) * time.Second)}
	}
	for _, sn := range snaps {
		p := prepare(sn.Files[FileAtom])
		want[p.etag] = p.plain
		want[p.gzTag] = p.plain
	}
	f.srv.Publish(snaps[0])

	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			f.srv.Publish(snaps[i%versions])
		}
	}()
	seen := make(map[string]bool)
	var mu sync.Mutex
	var rg sync.WaitGroup
	for w := range 4 {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for i := range 100 {
				hdr := []string{}
				if (w+i)%2 == 0 {
					hdr = []string{"Accept-Encoding", "gzip"}
				}
				req, _ := http.NewRequest("GET", f.ts.URL+"/feed.atom", nil)
				for j := 0; j+1 < len(hdr); j += 2 {
					req.Header.Set(hdr[j], hdr[j+1])
				}
				r, err := f.c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				b, err := io.ReadAll(r.Body)
				r.Body.Close()
				if err != nil {
					t.Error(err)
					return
				}
				if r.Header.Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(b))
					if err != nil {
						t.Error(err)
						return
					}
					if b, err = io.ReadAll(zr); err != nil {
						t.Errorf("corrupt gzip body: %v", err)
						return
					}
				}
				etag := r.Header.Get("ETag")
				exp, ok := want[etag]
				if !ok {
					t.Errorf("unknown ETag %q", etag)
					return
				}
				if !bytes.Equal(b, exp) {
					t.Errorf("body does not match its ETag %q (mixed or torn)", etag)
					return
				}
				mu.Lock()
				seen[etag] = true
				mu.Unlock()
			}
		}()
	}
	rg.Wait()
	stop.Store(true)
	wg.Wait()
	if len(seen) < 2 {
		t.Logf("only %d distinct versions observed", len(seen))
	}
}

// A Publish that lands while a response is being written does not change
// that response: headers and body all come from the snapshot the request
// started with; the next request sees the new one.
func TestPublishMidResponse(t *testing.T) {
	f := newFixture(t, Options{})
	v1, v2 := sampleFiles("v1"), sampleFiles("v2")
	f.srv.Publish(Snapshot{Files: v1, Generated: t0})
	for _, gz := range []bool{false, true} {
		f.srv.Publish(Snapshot{Files: v1, Generated: t0})
		var hdr []string
		if gz {
			hdr = []string{"Accept-Encoding", "gzip"}
		}
		want := f.do(t, "GET", "/feed.atom", hdr...)
		published := false
		f.srv.midResponse = func() {
			if !published {
				published = true
				f.srv.Publish(Snapshot{Files: v2, Generated: t0.Add(time.Hour)})
			}
		}
		got := f.do(t, "GET", "/feed.atom", hdr...)
		f.srv.midResponse = nil
		if !published {
			t.Fatal("hook did not run")
		}
		if got.header.Get("ETag") != want.header.Get("ETag") || got.header.Get("Last-Modified") != want.header.Get("Last-Modified") {
			t.Errorf("gzip=%t: validators changed mid-response: %q %q", gz, got.header.Get("ETag"), got.header.Get("Last-Modified"))
		}
		if !bytes.Equal(got.body, want.body) {
			t.Errorf("gzip=%t: body changed mid-response", gz)
		}
		next := f.do(t, "GET", "/feed.atom", hdr...)
		body := next.body
		if gz {
			body = gunzip(t, body)
		}
		if !bytes.Equal(body, v2[FileAtom]) {
			t.Errorf("gzip=%t: next request does not see the new snapshot", gz)
		}
	}
}

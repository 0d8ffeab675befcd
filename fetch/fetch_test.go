package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testNow is the injected "now" for every test: Retry-After dates and
// FetchedAt are checked against it, never against the wall clock.
var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

const lastModified = "Sat, 01 Mar 2025 10:00:00 GMT"

// feedServer answers every path the HTTP tests use and remembers the
// headers each path last received.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	received map[string]http.Header
}

func (s *feedServer) headers(path string) http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received[path]
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	s := &feedServer{received: map[string]http.Header{}}
	release := make(chan struct{})
	bomb := gzipBomb(t)

	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", lastModified)
		w.Header().Set("Cache-Control", "public, max-age=300")
		io.WriteString(w, "<rss/>")
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "client did not offer gzip", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipBytes(t, []byte("<feed>zipped</feed>")))
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 2048)) // small enough to get a Content-Length
	})
	mux.HandleFunc("/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		// Flushing first forces chunked encoding: no Content-Length to
		// reject early, so the read itself must stop at the cap.
		for range 4 {
			w.Write(bytes.Repeat([]byte("x"), 512))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 1024))
	})
	mux.HandleFunc("/cond", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `W/"v2"`)
		if r.Header.Get("If-None-Match") == `W/"v2"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "changed")
	})
	mux.HandleFunc("/cond-bare", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified) // no validators echoed
	})
	for _, code := range []int{404, 500, 503} {
		mux.HandleFunc(fmt.Sprintf("/status/%d", code), func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(code)
		})
	}
	mux.HandleFunc("/429-seconds", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/429-date", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", testNow.Add(90*time.Second).Format(http.TimeFormat))
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/chain/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n == 0 {
			io.WriteString(w, "end of chain")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/moved-301", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/moved-308", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved-301", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/moved-then-temp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/chain/1", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/temp-then-moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved-301", http.StatusFound)
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<rss>")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})

	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.received[r.URL.Path] = r.Header.Clone()
		s.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees /slow before Close waits on it
	return s
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gzipBomb inflates to 50 MB of zeros. It is 50 concatenated gzip members
// of 1 MB each (gzip readers read multistream by default), because
// compressing 50 MB in one go takes seconds under -race.
func gzipBomb(t testing.TB) []byte {
	return bytes.Repeat(gzipBytes(t, make([]byte, 1<<20)), 50)
}

func TestFetchHTTP(t *testing.T) {
	srv := newFeedServer(t)
	u := func(path string) string { return srv.URL + path }

	tests := []struct {
		name       string
		path       string
		validators Validators
		maxBody    int64
		timeout    time.Duration

		wantStatus      int
		wantBody        string
		wantNotModified bool
		wantFinal       string // path; defaults to the requested one
		wantPermanent   string // path
		wantValidators  Validators
		wantMaxAge      time.Duration

		wantErrIs       error
		wantErrContains string
		wantStatusErr   *StatusError // URL filled in from the path
	}{
		{
			name: "200 with body", path: "/ok",
			wantStatus: 200, wantBody: "<rss/>",
			wantValidators: Validators{ETag: `"v1"`, LastModified: lastModified},
			wantMaxAge:     300 * time.Second,
		},
		{name: "gzip decoded", path: "/gzip", wantStatus: 200, wantBody: "<feed>zipped</feed>"},
		{name: "gzip bomb stops at cap", path: "/bomb", wantErrIs: ErrTooLarge},
		{name: "body over cap with length", path: "/big", maxBody: 1024, wantErrIs: ErrTooLarge},
		{name: "chunked body over cap", path: "/big-chunked", maxBody: 1024, wantErrIs: ErrTooLarge},
		{name: "body exactly at cap", path: "/exact", maxBody: 1024, wantStatus: 200, wantBody: strings.Repeat("x", 1024)},
		{
			name: "304 with validators", path: "/cond",
			validators: Validators{ETag: `W/"v2"`, LastModified: lastModified},
			wantStatus: 304, wantNotModified: true,
			wantValidators: Validators{ETag: `W/"v2"`, LastModified: lastModified},
		},
		{
			name: "validators that no longer match", path: "/cond",
			validators: Validators{ETag: `W/"v1"`},
			wantStatus: 200, wantBody: "changed", wantValidators: Validators{ETag: `W/"v2"`},
		},
		{
			name: "304 without validators keeps the ones sent", path: "/cond-bare",
			validators: Validators{ETag: `"e"`, LastModified: lastModified},
			wantStatus: 304, wantNotModified: true,
			wantValidators: Validators{ETag: `"e"`, LastModified: lastModified},
		},
		{name: "404", path: "/status/404", wantStatusErr: &StatusError{StatusCode: 404}},
		{name: "500 ignores Retry-After", path: "/status/500", wantStatusErr: &StatusError{StatusCode: 500}},
		{name: "503 with Retry-After", path: "/status/503", wantStatusErr: &StatusError{StatusCode: 503, RetryAfter: 30 * time.Second}},
		{name: "429 Retry-After seconds", path: "/429-seconds", wantStatusErr: &StatusError{StatusCode: 429, RetryAfter: 120 * time.Second}},
		{name: "429 Retry-After date", path: "/429-date", wantStatusErr: &StatusError{StatusCode: 429, RetryAfter: 90 * time.Second}},
		{name: "redirect chain of 3", path: "/chain/3", wantStatus: 200, wantBody: "end of chain", wantFinal: "/chain/0"},
		{name: "redirect chain of 5", path: "/chain/5", wantStatus: 200, wantBody: "end of chain", wantFinal: "/chain/0"},
		{name: "redirect chain of 6", path: "/chain/6", wantErrIs: ErrTooManyRedirects, wantErrContains: "stopped after 5 redirects"},
		{name: "redirect loop", path: "/loop", wantErrIs: ErrTooManyRedirects, wantErrContains: "stopped after 5 redirects"},
		{name: "301", path: "/moved-301", wantStatus: 200, wantBody: "<rss/>", wantFinal: "/ok", wantPermanent: "/ok",
			wantValidators: Validators{ETag: `"v1"`, LastModified: lastModified}, wantMaxAge: 300 * time.Second},
		{name: "308 then 301", path: "/moved-308", wantStatus: 200, wantBody: "<rss/>", wantFinal: "/ok", wantPermanent: "/ok",
			wantValidators: Validators{ETag: `"v1"`, LastModified: lastModified}, wantMaxAge: 300 * time.Second},
		{name: "301 then 302", path: "/moved-then-temp", wantStatus: 200, wantBody: "end of chain", wantFinal: "/chain/0", wantPermanent: "/chain/1"},
		{name: "302 then 301", path: "/temp-then-moved", wantStatus: 200, wantBody: "<rss/>", wantFinal: "/ok", wantPermanent: "",
			wantValidators: Validators{ETag: `"v1"`, LastModified: lastModified}, wantMaxAge: 300 * time.Second},
		{name: "timeout while reading body", path: "/slow-body", timeout: 50 * time.Millisecond, wantErrIs: context.DeadlineExceeded, wantErrContains: "timed out"},
		{name: "timeout", path: "/slow", timeout: 50 * time.Millisecond, wantErrIs: context.DeadlineExceeded, wantErrContains: "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(Options{Now: fixedNow, MaxBodyBytes: tt.maxBody, Timeout: tt.timeout, UserAgent: "agg-test/1"})
			res, err := f.Fetch(t.Context(), Request{URL: u(tt.path), Validators: tt.validators})

			if tt.wantErrIs != nil || tt.wantStatusErr != nil || tt.wantErrContains != "" {
				if err == nil {
					t.Fatalf("got result %+v, want an error", res)
				}
				if !strings.HasPrefix(err.Error(), "fetch "+u(tt.path)+": ") {
					t.Errorf("error %q does not start with the URL", err)
				}
				if tt.wantErrIs != nil && !errors.Is(err, tt.wantErrIs) {
					t.Errorf("error %q is not %v", err, tt.wantErrIs)
				}
				if !strings.Contains(err.Error(), tt.wantErrContains) {
					t.Errorf("error %q does not mention %q", err, tt.wantErrContains)
				}
				if want := tt.wantStatusErr; want != nil {
					var se *StatusError
					if !errors.As(err, &se) {
						t.Fatalf("error %q is not a *StatusError", err)
					}
					w := *want
					w.URL = u(tt.path)
					if *se != w {
						t.Errorf("StatusError = %+v, want %+v", *se, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}

			want := Result{
				URL:         u(tt.path),
				FinalURL:    u(tt.path),
				StatusCode:  tt.wantStatus,
				NotModified: tt.wantNotModified,
				Validators:  tt.wantValidators,
				FetchedAt:   testNow,
				MaxAge:      tt.wantMaxAge,
			}
			if tt.wantFinal != "" {
				want.FinalURL = u(tt.wantFinal)
			}
			if tt.wantPermanent != "" {
				want.PermanentRedirect = u(tt.wantPermanent)
			}
			got := *res
			got.Body, got.ContentType = nil, ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Result =\n %+v\nwant\n %+v", got, want)
			}
			if string(res.Body) != tt.wantBody {
				t.Errorf("Body = %q, want %q", res.Body, tt.wantBody)
			}

			h := srv.headers(tt.path)
			if got := h.Get("User-Agent"); got != "agg-test/1" {
				t.Errorf("server saw User-Agent %q", got)
			}
			if got := h.Get("Accept"); got != acceptHeader {
				t.Errorf("server saw Accept %q", got)
			}
			if got := h.Values("If-None-Match"); tt.validators.ETag != "" && (len(got) != 1 || got[0] != tt.validators.ETag) {
				t.Errorf("server saw If-None-Match %q, want exactly %q", got, tt.validators.ETag)
			}
			if got := h.Values("If-Modified-Since"); tt.validators.LastModified != "" && (len(got) != 1 || got[0] != tt.validators.LastModified) {
				t.Errorf("server saw If-Modified-Since %q, want exactly %q", got, tt.validators.LastModified)
			}
			if tt.validators == (Validators{}) && (h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "") {
				t.Errorf("conditional headers sent without validators: %v", h)
			}
		})
	}
}

func TestFetchDefaults(t *testing.T) {
	srv := newFeedServer(t)
	res, err := New(Options{}).Fetch(t.Context(), Request{URL: srv.URL + "/ok"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ContentType != "application/rss+xml" {
		t.Errorf("ContentType = %q", res.ContentType)
	}
	ua := srv.headers("/ok").Get("User-Agent")
	if !strings.HasPrefix(ua, "aggregate/") || !strings.HasSuffix(ua, " (+https://github.com/aggregate-dev/aggregate)") {
		t.Errorf("default User-Agent = %q", ua)
	}
}

func TestFetchCancelledIsNotTimeout(t *testing.T) {
	srv := newFeedServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := New(Options{}).Fetch(ctx, Request{URL: srv.URL + "/ok"})
	if !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "timed out") {
		t.Errorf("err = %v, want a plain cancellation", err)
	}
}

// countingReader counts the bytes handed out, to prove the cap bounds
// how much is ever decompressed.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestReadCappedStopsGzipBomb(t *testing.T) {
	const max = 1 << 20
	zr, err := gzip.NewReader(bytes.NewReader(gzipBomb(t)))
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{r: zr}
	if _, err := readCapped(cr, -1, max); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if cr.n > max+1 {
		t.Errorf("decompressed %d bytes, want at most %d", cr.n, max+1)
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"120", 120 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"", 0},
		{"soon", 0},
		{testNow.Add(time.Hour).Format(http.TimeFormat), time.Hour},
		{testNow.Add(time.Hour).Format(time.RFC850), time.Hour},
		{testNow.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"99999999999999999999", 0}, // does not parse as int64, nor as a date
		{"9999999999999", seconds(9999999999999)},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, testNow); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseMaxAge(t *testing.T) {
	tests := []struct {
		in   []string
		want time.Duration
	}{
		{nil, 0},
		{[]string{"max-age=300"}, 300 * time.Second},
		{[]string{"public, MAX-AGE=60"}, time.Minute},
		{[]string{`max-age="30"`}, 30 * time.Second},
		{[]string{"public", "max-age=10"}, 10 * time.Second},
		{[]string{"s-maxage=10"}, 0},
		{[]string{"max-age=abc"}, 0},
		{[]string{"max-age=60, no-cache"}, 0},
		{[]string{"no-store"}, 0},
	}
	for _, tt := range tests {
		if got := parseMaxAge(tt.in); got != tt.want {
			t.Errorf("parseMaxAge(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStatusErrorTemporary(t *testing.T) {
	for code, want := range map[int]bool{404: false, 410: false, 403: false, 408: true, 429: true, 500: true, 503: true} {
		if got := (&StatusError{StatusCode: code}).Temporary(); got != want {
			t.Errorf("Temporary(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestFetchAllKeepsOrderAndIsolatesFailures(t *testing.T) {
	srv := newFeedServer(t)
	reqs := []Request{
		{URL: srv.URL + "/ok"},
		{URL: srv.URL + "/status/404"},
		{URL: "gopher://example.invalid/feed"},
		{URL: srv.URL + "/gzip"},
		{URL: srv.URL + "/chain/2"},
	}
	out := New(Options{Now: fixedNow, Concurrency: 2, HostInterval: -1}).FetchAll(t.Context(), reqs)
	if len(out) != len(reqs) {
		t.Fatalf("got %d outcomes for %d requests", len(out), len(reqs))
	}
	wantBody := []string{"<rss/>", "", "", "<feed>zipped</feed>", "end of chain"}
	for i, o := range out {
		if o.Request != reqs[i] {
			t.Errorf("outcome %d is for %v, want %v", i, o.Request, reqs[i])
		}
		if wantErr := wantBody[i] == ""; (o.Err != nil) != wantErr {
			t.Errorf("outcome %d: err = %v, want error: %v", i, o.Err, wantErr)
			continue
		}
		if o.Err == nil && string(o.Result.Body) != wantBody[i] {
			t.Errorf("outcome %d: body %q, want %q", i, o.Result.Body, wantBody[i])
		}
	}
	var se *StatusError
	if !errors.As(out[1].Err, &se) || se.StatusCode != 404 {
		t.Errorf("outcome 1: err = %v, want a 404 StatusError", out[1].Err)
	}
}

func TestFetchAllBoundsConcurrency(t *testing.T) {
	const limit, total = 3, 20
	var inFlight, maxInFlight atomic.Int32
	// The first `limit` requests wait until all of them are in flight,
	// which proves the fetches really overlap; without a working bound
	// the waiting lets the others pile in and push the maximum past it.
	allIn := make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		if n == limit {
			once.Do(func() { close(allIn) })
		}
		select {
		case <-allIn:
		case <-r.Context().Done():
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()

	reqs := make([]Request, total)
	for i := range reqs {
		reqs[i].URL = fmt.Sprintf("%s/feed/%d", srv.URL, i)
	}
	// One host here: let it take everything the overall bound allows.
	out := New(Options{Concurrency: limit, PerHost: total, HostInterval: -1, Timeout: 10 * time.Second}).FetchAll(t.Context(), reqs)
	for i, o := range out {
		if o.Err != nil {
			t.Errorf("outcome %d: %v", i, o.Err)
		}
	}
	if got := maxInFlight.Load(); got != limit {
		t.Errorf("max in flight = %d, want %d", got, limit)
	}
}

func TestFetchAllCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out := New(Options{}).FetchAll(ctx, []Request{{URL: "http://127.0.0.1:1/a"}, {URL: "http://127.0.0.1:1/b"}})
	for i, o := range out {
		if !errors.Is(o.Err, context.Canceled) {
			t.Errorf("outcome %d: err = %v, want context.Canceled", i, o.Err)
		}
	}
}

// Each hands over outcomes as they arrive: the fast feeds' outcomes come
// while a slow one is still being fetched (the slow one is released only
// by those callbacks, and would time out otherwise).
func TestEachDeliversAsCompleted(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		fmt.Fprint(w, "ok "+r.URL.Path)
	}))
	defer srv.Close()
	f := New(Options{Timeout: 5 * time.Second, Concurrency: 4, PerHost: 4, HostInterval: -1})
	reqs := []Request{{URL: srv.URL + "/slow"}, {URL: srv.URL + "/a"}, {URL: srv.URL + "/b"}}
	var order []int
	fast := 0
	f.Each(context.Background(), reqs, func(i int, o Outcome) {
		order = append(order, i)
		if o.Err != nil {
			t.Errorf("request %d: %v", i, o.Err)
			return
		}
		if got := string(o.Result.Body); got != "ok "+strings.TrimPrefix(reqs[i].URL, srv.URL) {
			t.Errorf("request %d got %q", i, got)
		}
		if i != 0 {
			if fast++; fast == 2 {
				close(release)
			}
		}
	})
	if len(order) != 3 || order[2] != 0 {
		t.Errorf("order %v: want the slow request last", order)
	}
}

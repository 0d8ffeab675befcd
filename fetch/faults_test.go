package fetch

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// latin1Feed is an RSS document in ISO-8859-1, as many old feeds are: the
// fetcher must hand its bytes over untouched, with the charset it was
// labelled with, for feed.ToUTF8 to read.
const latin1Feed = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" +
	"<rss version=\"2.0\"><channel><title>Caf\xe9</title><item><title>\x93Cr\xe8me\x94</title></item></channel></rss>"

const htmlPage = `<!DOCTYPE html><html><head><title>Blog</title>` +
	`<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>hi</body></html>`

// faultServer misbehaves on purpose, one way per path. Handlers that hang
// wait for the request's context (the client giving up) or for the test's
// end, never for a clock.
func faultServer(t *testing.T) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	bomb := gzipBomb(t)
	hang := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
	// hijack takes the raw connection, for answers net/http would refuse
	// to write.
	hijack := func(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter) {
		c, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return nil, nil
		}
		return c, rw
	}
	reset := func(c net.Conn) {
		c.(*net.TCPConn).SetLinger(0) // close sends RST, not FIN
		c.Close()
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<rss/>")
	})
	mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		hang(r)
	})
	mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "<rss><channel>")
		w.(http.Flusher).Flush()
		hang(r)
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscan(r.PathValue("code"), &code)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(code)
		io.WriteString(w, "<html><body>error page</body></html>")
	})
	mux.HandleFunc("/429-seconds", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/429-date", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", testNow.Add(2*time.Hour).Format(http.TimeFormat))
		w.WriteHeader(http.StatusTooManyRequests)
	})
	mux.HandleFunc("/503-date", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", testNow.Add(10*time.Minute).Format(http.TimeFormat))
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) {
		c, rw := hijack(w)
		if c == nil {
			return
		}
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 1000\r\n\r\n<rss><channel><item>")
		rw.Flush()
		c.Close()
	})
	mux.HandleFunc("/truncated-chunked", func(w http.ResponseWriter, r *http.Request) {
		c, rw := hijack(w)
		if c == nil {
			return
		}
		rw.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n<rss>\n\r\n")
		rw.Flush()
		c.Close()
	})
	mux.HandleFunc("/closed", func(w http.ResponseWriter, r *http.Request) {
		if c, _ := hijack(w); c != nil {
			c.Close()
		}
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		if c, _ := hijack(w); c != nil {
			reset(c)
		}
	})
	mux.HandleFunc("/reset-mid-body", func(w http.ResponseWriter, r *http.Request) {
		c, rw := hijack(w)
		if c == nil {
			return
		}
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<rss>")
		rw.Flush()
		reset(c)
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	mux.HandleFunc("/broken-gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		io.WriteString(w, "this is not gzip at all")
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "50000000")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "<rss>")
		w.(http.Flusher).Flush()
		hang(r) // never sends the rest: the length alone must stop us
	})
	mux.HandleFunc("/huge-chunked", func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("<item>x</item>"), 1000)
		for {
			if _, err := w.Write(chunk); err != nil {
				return // the client hung up at the cap
			}
			select {
			case <-r.Context().Done():
				return
			case <-done:
				return
			default:
			}
		}
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/loop-a", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop-b", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop-b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop-a", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/perm/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n == 0 {
			http.Redirect(w, r, "/ok", http.StatusMovedPermanently)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/perm/%d", n-1), http.StatusMovedPermanently)
	})
	for _, code := range []int{301, 302, 303, 307, 308} {
		mux.HandleFunc(fmt.Sprintf("/redirect/%d", code), func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/ok", code)
		})
	}
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, htmlPage)
	})
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		io.WriteString(w, latin1Feed)
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
	})
	mux.HandleFunc("/no-content", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})

	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) }) // runs first: frees the hanging handlers
	return srv
}

// TestFaults runs the fetcher against each misbehaviour: every one ends in
// an error that names the URL and the cause, or in a result the caller can
// act on, and none waits longer than the timeout.
func TestFaults(t *testing.T) {
	srv := faultServer(t)
	tests := []struct {
		path    string
		timeout time.Duration

		wantErrIs       []error
		wantErrContains string
		wantStatus      *StatusError // URL filled in

		wantBody        string
		wantContentType string
		wantPermanent   string // path
		wantFinal       string // path
	}{
		{path: "/slow-headers", timeout: 100 * time.Millisecond, wantErrIs: []error{context.DeadlineExceeded}, wantErrContains: "timed out after 100ms"},
		{path: "/slow-body", timeout: 100 * time.Millisecond, wantErrIs: []error{context.DeadlineExceeded}, wantErrContains: "timed out after 100ms"},
		{path: "/status/500", wantStatus: &StatusError{StatusCode: 500}, wantErrContains: "status 500 Internal Server Error"},
		{path: "/status/404", wantStatus: &StatusError{StatusCode: 404}, wantErrContains: "status 404 Not Found"},
		{path: "/status/410", wantStatus: &StatusError{StatusCode: 410}},
		{path: "/status/503", wantStatus: &StatusError{StatusCode: 503}},
		{path: "/429-seconds", wantStatus: &StatusError{StatusCode: 429, RetryAfter: time.Hour}, wantErrContains: "retry after 1h0m0s"},
		{path: "/429-date", wantStatus: &StatusError{StatusCode: 429, RetryAfter: 2 * time.Hour}},
		{path: "/503-date", wantStatus: &StatusError{StatusCode: 503, RetryAfter: 10 * time.Minute}},
		{path: "/truncated", wantErrIs: []error{ErrTruncated, io.ErrUnexpectedEOF}, wantErrContains: "read body: body truncated: connection closed early after 20 of 1000 bytes"},
		{path: "/truncated-chunked", wantErrIs: []error{ErrTruncated}, wantErrContains: "after 6 bytes"},
		{path: "/closed", wantErrIs: []error{io.EOF}, wantErrContains: "connection closed before a complete response"},
		{path: "/reset", wantErrIs: []error{syscall.ECONNRESET}, wantErrContains: "connection reset by peer"},
		{path: "/reset-mid-body", wantErrIs: []error{syscall.ECONNRESET}, wantErrContains: "read body:"},
		{path: "/bomb", wantErrIs: []error{ErrTooLarge}, wantErrContains: "read body: body too large: over 1048576 bytes"},
		{path: "/broken-gzip", wantErrContains: "read body: gzip: invalid header"},
		{path: "/huge", wantErrIs: []error{ErrTooLarge}},
		{path: "/huge-chunked", wantErrIs: []error{ErrTooLarge}},
		{path: "/loop", wantErrIs: []error{ErrTooManyRedirects}, wantErrContains: "stopped after 5 redirects"},
		{path: "/loop-a", wantErrIs: []error{ErrTooManyRedirects}},
		{path: "/perm/4", wantBody: "<rss/>", wantFinal: "/ok", wantPermanent: "/ok"}, // 5 hops
		{path: "/perm/5", wantErrIs: []error{ErrTooManyRedirects}},                    // 6 hops
		{path: "/redirect/301", wantBody: "<rss/>", wantFinal: "/ok", wantPermanent: "/ok"},
		{path: "/redirect/308", wantBody: "<rss/>", wantFinal: "/ok", wantPermanent: "/ok"},
		{path: "/redirect/302", wantBody: "<rss/>", wantFinal: "/ok"},
		{path: "/redirect/303", wantBody: "<rss/>", wantFinal: "/ok"},
		{path: "/redirect/307", wantBody: "<rss/>", wantFinal: "/ok"},
		// Telling a page from a feed is the parser's job (feed.LooksLikeHTML,
		// feed.Discover): the fetcher delivers the page as it came.
		{path: "/html", wantBody: htmlPage, wantContentType: "text/html; charset=utf-8"},
		{path: "/latin1", wantBody: latin1Feed, wantContentType: "application/rss+xml; charset=ISO-8859-1"},
		{path: "/empty", wantErrIs: []error{ErrEmptyBody}},
		{path: "/no-content", wantErrIs: []error{ErrEmptyBody}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			timeout := cmp.Or(tt.timeout, 10*time.Second)
			f := New(Options{Now: fixedNow, Timeout: timeout, MaxBodyBytes: 1 << 20})
			url := srv.URL + tt.path
			start := time.Now()
			res, err := f.Fetch(t.Context(), Request{URL: url})
			if took := time.Since(start); took > timeout+5*time.Second {
				t.Errorf("took %v with a timeout of %v", took, timeout)
			}
			if tt.wantErrIs == nil && tt.wantStatus == nil && tt.wantErrContains == "" {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if string(res.Body) != tt.wantBody || res.ContentType != tt.wantContentType && tt.wantContentType != "" {
					t.Errorf("got body %q, type %q", res.Body, res.ContentType)
				}
				if want := srv.URL + cmp.Or(tt.wantFinal, tt.path); res.FinalURL != want {
					t.Errorf("FinalURL = %q, want %q", res.FinalURL, want)
				}
				want := ""
				if tt.wantPermanent != "" {
					want = srv.URL + tt.wantPermanent
				}
				if res.PermanentRedirect != want {
					t.Errorf("PermanentRedirect = %q, want %q", res.PermanentRedirect, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %d bytes, want an error", len(res.Body))
			}
			t.Log(err)
			if !strings.HasPrefix(err.Error(), "fetch "+url+": ") {
				t.Errorf("error %q does not start with %q", err, "fetch "+url+": ")
			}
			for _, target := range tt.wantErrIs {
				if !errors.Is(err, target) {
					t.Errorf("error %q is not %v", err, target)
				}
			}
			if !strings.Contains(err.Error(), tt.wantErrContains) {
				t.Errorf("error %q does not mention %q", err, tt.wantErrContains)
			}
			if tt.wantStatus != nil {
				var se *StatusError
				if !errors.As(err, &se) {
					t.Fatalf("error %q is not a *StatusError", err)
				}
				want := *tt.wantStatus
				want.URL = url
				if *se != want {
					t.Errorf("StatusError = %+v, want %+v", *se, want)
				}
			}
		})
	}
}

// The empty-body error reads exactly as the issue words it.
func TestEmptyBodyMessage(t *testing.T) {
	srv := faultServer(t)
	_, err := New(Options{}).Fetch(t.Context(), Request{URL: srv.URL + "/empty"})
	if want := "fetch " + srv.URL + "/empty: empty body"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// One run over many feeds, a fifth of them broken in every way the fault
// server knows: each good feed arrives, each bad one fails on its own, and
// the whole run ends within its timeout.
func TestEachIsolatesFaults(t *testing.T) {
	srv := faultServer(t)
	bad := []string{"/slow-headers", "/slow-body", "/status/500", "/429-seconds", "/truncated", "/closed",
		"/reset", "/bomb", "/huge", "/loop", "/empty", "/broken-gzip"}
	var reqs []Request
	wantOK := map[int]bool{}
	for i := range 60 {
		if i%5 == 0 {
			reqs = append(reqs, Request{URL: srv.URL + bad[(i/5)%len(bad)]})
			continue
		}
		wantOK[i] = true
		reqs = append(reqs, Request{URL: fmt.Sprintf("%s/ok?feed=%d", srv.URL, i)})
	}
	const timeout = 200 * time.Millisecond
	f := New(Options{Timeout: timeout, MaxBodyBytes: 1 << 20, Concurrency: 8, PerHost: 8, HostInterval: -1})
	start := time.Now()
	out := f.FetchAll(t.Context(), reqs)
	// Slow feeds take a timeout each, at most PerHost at a time.
	if took, limit := time.Since(start), 10*time.Second; took > limit {
		t.Errorf("run took %v", took)
	}
	for i, o := range out {
		if wantOK[i] != (o.Err == nil) {
			t.Errorf("%s: err = %v, want ok: %v", reqs[i].URL, o.Err, wantOK[i])
		}
		if o.Err != nil && !strings.Contains(o.Err.Error(), reqs[i].URL) {
			t.Errorf("error %q does not name %s", o.Err, reqs[i].URL)
		}
	}
}

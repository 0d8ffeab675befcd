package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler returns the server's routes:
//
//	/feed.xml /feed.atom /feed.json   the merged feed (GET, HEAD)
//	/ and /index.html                  the HTML page (GET, HEAD)
//	/healthz                           200 or 503, text/plain
//	/metrics                           Prometheus text format
//
// Anything else is 404; other methods get 405 with Allow.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	feed := func(route, name string) {
		mux.Handle(route, s.count(route, getOrHead(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.serveFile(w, r, name)
		}))))
	}
	feed("/feed.xml", FileRSS)
	feed("/feed.atom", FileAtom)
	feed("/feed.json", FileJSON)
	feed("/index.html", FileHTML)
	mux.Handle("/{$}", s.count("/", getOrHead(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveFile(w, r, FileHTML)
	}))))
	mux.Handle("/healthz", s.count("/healthz", getOrHead(http.HandlerFunc(s.serveHealth))))
	mux.Handle("/metrics", s.count("/metrics", getOrHead(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
	}))))
	mux.Handle("/", s.count("other", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plain(w, http.StatusNotFound, "404 page not found\n")
	})))
	return mux
}

// getOrHead answers 405 to anything but GET and HEAD.
func getOrHead(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			plain(w, http.StatusMethodNotAllowed, "405 method not allowed\n")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// count records each response's route and status in HTTPResponses.
func (s *Server) count(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		s.metrics.HTTPResponses.WithLabelValues(route, strconv.Itoa(code)).Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func plain(w http.ResponseWriter, code int, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write([]byte(body)) // for HEAD, net/http discards the body
}

// serveFile serves one file of the current snapshot with ETag, Last-Modified,
// conditional GET and gzip.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	snap := s.snap.Load() // one load: the whole response comes from this snapshot
	h := w.Header()
	if snap == nil {
		h.Set("Retry-After", strconv.Itoa(int(s.retryAfter.Seconds())))
		h.Set("Cache-Control", "no-store")
		plain(w, http.StatusServiceUnavailable, "503 no feed published yet; retry later\n")
		return
	}
	f := snap.files[name]
	if f == nil {
		plain(w, http.StatusNotFound, "404 "+name+" was not produced by the last run\n")
		return
	}

	body, etag, other := f.plain, f.etag, f.gzTag
	useGzip := acceptsGzip(r.Header.Values("Accept-Encoding"))
	if useGzip {
		body, etag, other = f.gz, f.gzTag, f.etag
	}
	h.Set("Vary", "Accept-Encoding")
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(s.maxAge.Seconds())))
	h.Set("Last-Modified", snap.lastMod)
	h.Set("ETag", etag)

	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		// If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
		if matched, ok := matchNoneMatch(strings.Join(inm, ","), etag, other); ok {
			h.Set("ETag", matched)
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !snap.generated.After(t) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}

	h.Set("Content-Type", contentTypes[name])
	h.Set("X-Content-Type-Options", "nosniff")
	if useGzip {
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if s.midResponse != nil {
		s.midResponse()
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// matchNoneMatch reports whether the If-None-Match list matches, comparing
// weakly (W/ ignored). "*" and the selected variant's ETag match as the RFC
// says. The other encoding's ETag also matches: it names the same content,
// which has not changed, so the client's cached copy is current; the 304 then
// repeats the ETag the client holds. It returns the ETag to send with the 304.
func matchNoneMatch(list, selected, other string) (string, bool) {
	otherHit := false
	for _, tag := range parseETags(list) {
		switch tag {
		case "*", selected:
			return selected, true
		case other:
			otherHit = true
		}
	}
	if otherHit {
		return other, true
	}
	return "", false
}

// parseETags splits an If-None-Match value into its entity tags, quotes kept
// and any W/ prefix dropped. A malformed element ends the parse.
func parseETags(s string) []string {
	var tags []string
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return tags
		}
		if s[0] == '*' {
			tags = append(tags, "*")
			s = s[1:]
			continue
		}
		s = strings.TrimPrefix(s, "W/")
		if len(s) < 2 || s[0] != '"' {
			return tags
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return tags
		}
		tags = append(tags, s[:end+2])
		s = s[end+2:]
	}
}

// acceptsGzip reports whether the Accept-Encoding values allow gzip: "gzip"
// or "x-gzip" with q > 0, or "*" with q > 0 when gzip is not named.
func acceptsGzip(values []string) bool {
	gz, star := -1.0, -1.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			switch coding {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if gz >= 0 {
		return gz > 0
	}
	return star > 0
}

// serveHealth answers 200 while a run has succeeded recently enough, 503
// otherwise, with the last run's time and status in text.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	h := s.Health()
	now := s.now()
	code, status := http.StatusOK, "ok"
	switch {
	case h.LastOK.IsZero():
		code, status = http.StatusServiceUnavailable, "unavailable: no successful run yet"
	case s.staleAfter > 0 && now.Sub(h.LastOK) > s.staleAfter:
		code, status = http.StatusServiceUnavailable,
			fmt.Sprintf("stale: no successful run for %s (limit %s)", now.Sub(h.LastOK).Round(time.Second), s.staleAfter)
	}
	lastRun := "never"
	switch {
	case h.LastRun.IsZero():
	case h.LastError != "":
		lastRun = "error"
	default:
		lastRun = "ok"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", status)
	fmt.Fprintf(&b, "last_run: %s\n", fmtTime(h.LastRun))
	fmt.Fprintf(&b, "last_run_status: %s\n", lastRun)
	fmt.Fprintf(&b, "last_ok: %s\n", fmtTime(h.LastOK))
	if h.LastError != "" {
		fmt.Fprintf(&b, "last_error: %s\n", strings.ReplaceAll(h.LastError, "\n", " "))
	}
	fmt.Fprintf(&b, "running: %t\n", h.Running)
	if snap := s.snap.Load(); snap != nil {
		fmt.Fprintf(&b, "feed_generated: %s\n", fmtTime(snap.generated))
	} else {
		fmt.Fprintf(&b, "feed_generated: never\n")
	}
	w.Header().Set("Cache-Control", "no-store")
	plain(w, code, b.String())
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

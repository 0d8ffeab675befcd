// Package server is the HTTP face of the aggregate daemon.
//
// It serves, from memory, the files the last successful run rendered (the
// merged feed as RSS, Atom and JSON Feed, and the HTML page), plus /healthz
// and /metrics. A run hands its complete output to Publish, which swaps it in
// with one atomic pointer store: a request sees either the old snapshot or the
// new one, never a mix and never a half-written feed.
//
// Feed responses carry a strong ETag derived from the bytes, Last-Modified
// from the snapshot's generation time, Cache-Control and Vary, and answer
// If-None-Match / If-Modified-Since with 304. Each file is gzip-compressed
// once, in Publish; the gzip variant has its own ETag (the identity ETag with
// a "-gzip" suffix).
package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Snapshot is one run's rendered output: file name -> bytes, e.g.
// "feed.xml", "feed.atom", "feed.json", "index.html". Generated becomes the
// Last-Modified of every file in it.
type Snapshot struct {
	Files     map[string][]byte
	Generated time.Time
}

// Health is what the pipeline reports about its runs; /healthz shows it.
type Health struct {
	LastRun   time.Time // start (or end) of the most recent run, successful or not
	LastOK    time.Time // the most recent successful run; zero if none yet
	LastError string    // error of the most recent run, "" if it succeeded
	Running   bool      // a run is in progress now
}

// Options configure a Server. The zero value is usable.
type Options struct {
	// Now is the clock (default time.Now). /healthz staleness uses it.
	Now func() time.Time
	// StaleAfter: /healthz answers 503 when no run has succeeded within this
	// long. Zero or negative disables the age check; /healthz is then 503 only
	// until the first successful run.
	StaleAfter time.Duration
	// Registry receives the metrics (and the Go and process collectors).
	// If nil, New creates a private registry; there is no global state.
	Registry *prometheus.Registry
	// Logger for server events (default: discard).
	Logger *slog.Logger
	// MaxAge is the max-age of feed responses' Cache-Control (default 60s).
	MaxAge time.Duration
	// RetryAfter is sent with 503 before the first Publish (default 30s).
	RetryAfter time.Duration
	// ShutdownTimeout bounds the graceful shutdown in ListenAndServe/Serve
	// once the context is done (default 10s).
	ShutdownTimeout time.Duration
}

// Server serves the last published Snapshot. Its methods are safe for
// concurrent use.
type Server struct {
	now             func() time.Time
	staleAfter      time.Duration
	maxAge          time.Duration
	retryAfter      time.Duration
	shutdownTimeout time.Duration
	log             *slog.Logger
	reg             *prometheus.Registry
	metrics         *Metrics

	snap atomic.Pointer[snapshot]

	healthMu sync.Mutex
	health   Health

	handler http.Handler

	// listenHook, when set (tests), is called with the bound address before
	// serving starts.
	listenHook func(net.Addr)
	// midResponse, when set (tests), runs after a feed response's headers
	// are chosen and before its body is written.
	midResponse func()
}

// Files the server knows, and their media types.
const (
	FileRSS  = "feed.xml"
	FileAtom = "feed.atom"
	FileJSON = "feed.json"
	FileHTML = "index.html"
)

var contentTypes = map[string]string{
	FileRSS:  "application/rss+xml; charset=utf-8",
	FileAtom: "application/atom+xml; charset=utf-8",
	FileJSON: "application/feed+json; charset=utf-8",
	FileHTML: "text/html; charset=utf-8",
}

// New returns a Server with nothing published yet.
func New(opts Options) *Server {
	s := &Server{
		now:             opts.Now,
		staleAfter:      opts.StaleAfter,
		maxAge:          opts.MaxAge,
		retryAfter:      opts.RetryAfter,
		shutdownTimeout: opts.ShutdownTimeout,
		log:             opts.Logger,
		reg:             opts.Registry,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxAge <= 0 {
		s.maxAge = 60 * time.Second
	}
	if s.retryAfter <= 0 {
		s.retryAfter = 30 * time.Second
	}
	if s.shutdownTimeout <= 0 {
		s.shutdownTimeout = 10 * time.Second
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	s.metrics = newMetrics(s.reg)
	s.handler = s.routes()
	return s
}

// Metrics returns the counters and gauges the pipeline updates.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Registry returns the registry /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// SetHealth records the pipeline's state for /healthz.
func (s *Server) SetHealth(h Health) {
	s.healthMu.Lock()
	s.health = h
	s.healthMu.Unlock()
	if !h.LastOK.IsZero() {
		s.metrics.LastSuccess.Set(float64(h.LastOK.UnixNano()) / 1e9)
	}
}

// Health returns what SetHealth last recorded.
func (s *Server) Health() Health {
	s.healthMu.Lock()
	defer s.healthMu.Unlock()
	return s.health
}

// snapshot is a Snapshot prepared for serving: immutable once stored.
type snapshot struct {
	files     map[string]*file
	generated time.Time
	lastMod   string // http.TimeFormat of generated
}

// file is one rendered file with its gzip variant and both ETags.
type file struct {
	plain, gz   []byte
	etag, gzTag string
}

// Publish makes snap the served snapshot. It copies the bytes (the caller may
// reuse its buffers), computes ETags and compresses every file once, then
// swaps the snapshot in atomically. A zero Generated means "now".
func (s *Server) Publish(snap Snapshot) {
	gen := snap.Generated
	if gen.IsZero() {
		gen = s.now()
	}
	gen = gen.UTC().Truncate(time.Second) // HTTP dates have second resolution
	p := &snapshot{
		files:     make(map[string]*file, len(snap.Files)),
		generated: gen,
		lastMod:   gen.Format(http.TimeFormat),
	}
	names := make([]string, 0, len(snap.Files))
	for name, b := range snap.Files {
		p.files[name] = prepare(b)
		names = append(names, name)
	}
	sort.Strings(names)
	s.snap.Store(p)
	s.metrics.SnapshotGenerated.Set(float64(gen.Unix()))
	s.log.Info("published snapshot", "files", names, "generated", gen)
}

func prepare(b []byte) *file {
	plain := bytes.Clone(b)
	if plain == nil {
		plain = []byte{}
	}
	sum := sha256.Sum256(plain)
	tag := hex.EncodeToString(sum[:8])
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // valid level: no error
	zw.Write(plain)                                          // bytes.Buffer writes do not fail
	zw.Close()
	return &file{
		plain: plain,
		gz:    buf.Bytes(),
		etag:  `"` + tag + `"`,
		gzTag: `"` + tag + `-gzip"`,
	}
}

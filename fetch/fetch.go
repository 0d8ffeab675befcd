// Package fetch gets the bytes of one feed, over HTTP(S) or from a local
// file, behind one call. It knows nothing about feed formats: the answer is
// bytes, "not modified", or a typed error the caller can act on (retry
// later, give up, store a new URL).
package fetch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aggregate-dev/aggregate/clock"
)

const (
	defaultTimeout      = 30 * time.Second
	defaultMaxBodyBytes = 10 << 20
	defaultConcurrency  = 8
	defaultPerHost      = 2
	defaultHostInterval = 500 * time.Millisecond
	defaultConnect      = 10 * time.Second
	maxRedirects        = 5

	// Feed types first; generic XML/JSON next because many servers label
	// feeds that way; anything else last so a mislabelled feed still arrives.
	acceptHeader = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)

// Options configure a Fetcher. The zero value gives the defaults.
type Options struct {
	// Timeout bounds one fetch from its first byte sent to its last byte
	// read, headers and body; default 30s. Time spent waiting for a turn
	// (Concurrency, PerHost, HostInterval) does not count.
	Timeout time.Duration
	// ConnectTimeout bounds opening a TCP connection; default 10s. A
	// server that does not answer SYNs fails fast, and the rest of Timeout
	// is left for servers that answer slowly.
	ConnectTimeout time.Duration
	MaxBodyBytes   int64  // applied after decompression; default 10 MiB
	UserAgent      string // default "aggregate/<version> (+https://github.com/aggregate-dev/aggregate)"
	// Concurrency bounds the fetches in flight on one Fetcher, across all
	// calls of Fetch, FetchAll and Each; default 8.
	Concurrency int
	// PerHost bounds the requests in flight to one host (its name, any
	// port); default 2. Local files are not limited per host. A request
	// counts against the host it was sent to, redirects included.
	PerHost int
	// HostInterval is the least time between the starts of two requests
	// to one host; default 500ms, negative for none. It is measured on
	// Clock, so with a clock.Fake the waiting lasts until the test moves
	// the time.
	HostInterval time.Duration
	// BaseDir is what relative paths resolve against (the config file's
	// directory); empty means the working directory.
	BaseDir string
	// Clock tells the time and does the waiting for HostInterval; default
	// clock.Real{}.
	Clock clock.Clock
	// Now stamps Result.FetchedAt and measures Retry-After dates; default
	// Clock.Now.
	Now    func() time.Time
	Logger *slog.Logger // nil discards
}

// Fetcher fetches feeds. It is safe for concurrent use.
type Fetcher struct {
	client    *http.Client
	userAgent string
	maxBody   int64
	timeout   time.Duration
	baseDir   string
	now       func() time.Time
	log       *slog.Logger
	limit     *limiter
}

// New returns a Fetcher with opts, defaults filled in.
func New(opts Options) *Fetcher {
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	perHost := opts.PerHost
	if perHost <= 0 {
		perHost = defaultPerHost
	}
	interval := opts.HostInterval
	if interval == 0 {
		interval = defaultHostInterval
	}
	connect := opts.ConnectTimeout
	if connect <= 0 {
		connect = defaultConnect
	}
	// A private transport, so settings made elsewhere on
	// http.DefaultTransport do not leak in. No Client.Timeout: the
	// per-fetch context carries it, and also covers local files.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	tr.MaxIdleConnsPerHost = perHost
	f := &Fetcher{
		client:    &http.Client{Transport: tr},
		userAgent: cmp.Or(opts.UserAgent, defaultUserAgent()),
		maxBody:   opts.MaxBodyBytes,
		timeout:   opts.Timeout,
		baseDir:   opts.BaseDir,
		now:       opts.Now,
		log:       opts.Logger,
	}
	if f.maxBody <= 0 {
		f.maxBody = defaultMaxBodyBytes
	}
	if f.timeout <= 0 {
		f.timeout = defaultTimeout
	}
	if f.now == nil {
		f.now = clk.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	n := opts.Concurrency
	if n <= 0 {
		n = defaultConcurrency
	}
	f.limit = newLimiter(clk, n, perHost, interval)
	return f
}

// defaultUserAgent names the module version the binary was built from, so
// server operators can tell releases apart without us keeping a version
// variable in sync by hand.
func defaultUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == "github.com/aggregate-dev/aggregate" &&
		bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "aggregate/" + v + " (+https://github.com/aggregate-dev/aggregate)"
}

// Validators are what a previous fetch returned, sent back for a
// conditional GET.
type Validators struct {
	ETag         string
	LastModified string
}

// Request is one feed to fetch.
type Request struct {
	URL        string // http(s) URL, file:// URL, or a path
	Validators Validators
}

// Result is a successful fetch: a body, or NotModified.
type Result struct {
	URL        string // requested
	FinalURL   string // after redirects; a file:// URL for local files
	StatusCode int    // 0 for local files
	// NotModified means the validators still match: no Body, and the
	// caller keeps what it had.
	NotModified bool
	Body        []byte
	ContentType string // as the server sent it; empty for local files
	// Validators come from the response, echoed exactly. On a 304 a
	// field the response omits keeps the value sent, so the caller can
	// store Validators unconditionally.
	Validators Validators
	FetchedAt  time.Time
	MaxAge     time.Duration // from Cache-Control, 0 if none
	// PermanentRedirect is the URL the feed has moved to for good: the
	// target of the last 301/308 in the unbroken run of permanent
	// redirects at the start of the chain. A temporary hop ends the run,
	// since the URL before it is still the one to ask. Empty if none.
	PermanentRedirect string
}

// Outcome is one request's result or error, from FetchAll.
type Outcome struct {
	Request Request
	Result  *Result
	Err     error
}

// Fetch gets one feed. Every error names the URL; a non-2xx status other
// than 304 is a *StatusError, a body over the cap is ErrTooLarge, a 2xx
// with no body is ErrEmptyBody, a body cut short is ErrTruncated, a
// timeout wraps context.DeadlineExceeded.
//
// Fetch first waits for its turn under Concurrency, PerHost and
// HostInterval, for as long as ctx allows; Timeout starts once it has it.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Result, error) {
	res, release, err := f.fetchHeld(ctx, req)
	release()
	return res, err
}

// fetchHeld is Fetch, but leaves the request's turn (its slot of
// Options.Concurrency and at its host) to the caller to release.
func (f *Fetcher) fetchHeld(ctx context.Context, req Request) (*Result, func(), error) {
	release, err := f.limit.acquire(ctx, hostKey(req.URL))
	if err != nil {
		return nil, func() {}, fmt.Errorf("fetch %s: %w", req.URL, err)
	}
	res, err := f.fetchTimed(ctx, req)
	return res, release, err
}

func (f *Fetcher) fetchTimed(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	fctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	res, err := f.fetch(fctx, req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(fctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s: %w", f.timeout, withDeadline(err))
		}
		f.log.DebugContext(ctx, "fetch failed", "url", req.URL, "err", err)
		return nil, fmt.Errorf("fetch %s: %w", req.URL, err)
	}
	f.log.DebugContext(ctx, "fetched", "url", req.URL, "status", res.StatusCode,
		"not_modified", res.NotModified, "bytes", len(res.Body), "took", time.Since(start))
	return res, nil
}

// withDeadline makes sure errors.Is(err, context.DeadlineExceeded) holds
// for our own timeout, whatever layer noticed it first.
func withDeadline(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, context.DeadlineExceeded)
}

// FetchAll fetches every request concurrently, within Options.Concurrency,
// PerHost and HostInterval, and never lets one failure stop the others.
// The outcomes are in the order of reqs.
func (f *Fetcher) FetchAll(ctx context.Context, reqs []Request) []Outcome {
	out := make([]Outcome, len(reqs))
	f.Each(ctx, reqs, func(i int, o Outcome) { out[i] = o })
	return out
}

// Each fetches every request like FetchAll, but hands each outcome to fn as
// soon as it is in, so that a caller can store one feed while others are
// still coming. fn is called from one goroutine at a time (the caller's),
// with the index of the request; Each returns when every request has had
// its call.
//
// Every request gets its own goroutine, which waits in Fetch for its turn:
// requests to a busy or slow host queue behind each other, never in front
// of requests to other hosts. A request keeps its turn until fn has
// returned for it: when fn is slower than the network (parsing a million
// items from local files), fetching waits for it, rather than fetched
// bodies piling up in memory (3.7 GB of them at a million items). A
// request waiting for its host holds no turn, so this holds no request
// back behind a slow host.
func (f *Fetcher) Each(ctx context.Context, reqs []Request, fn func(i int, o Outcome)) {
	type done struct {
		i       int
		o       Outcome
		release func()
	}
	results := make(chan done)
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			res, release, err := f.fetchHeld(ctx, r)
			results <- done{i, Outcome{Request: r, Result: res, Err: err}, release}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	for d := range results {
		fn(d.i, d.o)
		d.release()
	}
}

func (f *Fetcher) fetch(ctx context.Context, req Request) (*Result, error) {
	path, isFile, err := f.locate(req.URL)
	switch {
	case err != nil:
		return nil, err
	case isFile:
		return f.fetchFile(ctx, req, path)
	default:
		return f.fetchHTTP(ctx, req)
	}
}

// ErrTooManyRedirects ends a redirect chain longer than 5 hops.
var ErrTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

func (f *Fetcher) fetchHTTP(ctx context.Context, req Request) (*Result, error) {
	hreq, err := newRequest(ctx, req, f.userAgent)
	if err != nil {
		return nil, err
	}

	// A copy of the client per fetch, so the redirect bookkeeping below
	// belongs to this fetch alone; the transport (and its pool) is shared.
	client := *f.client
	var permanent string
	inPermanentRun := true
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return ErrTooManyRedirects
		}
		if code := next.Response.StatusCode; inPermanentRun && (code == http.StatusMovedPermanently || code == http.StatusPermanentRedirect) {
			permanent = next.URL.String()
		} else {
			inPermanentRun = false
		}
		return nil
	}

	resp, err := client.Do(hreq)
	if err != nil {
		// url.Error only repeats a URL: Fetch names the feed, and a
		// failed hop shows in the inner error (dial tcp host:port ...).
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("connection closed before a complete response: %w", err)
		}
		return nil, err
	}
	defer resp.Body.Close()

	res := &Result{
		URL:               req.URL,
		FinalURL:          resp.Request.URL.String(),
		StatusCode:        resp.StatusCode,
		ContentType:       resp.Header.Get("Content-Type"),
		Validators:        Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")},
		FetchedAt:         f.now(),
		MaxAge:            parseMaxAge(resp.Header.Values("Cache-Control")),
		PermanentRedirect: permanent,
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		res.NotModified = true
		res.Validators.ETag = cmp.Or(res.Validators.ETag, req.Validators.ETag)
		res.Validators.LastModified = cmp.Or(res.Validators.LastModified, req.Validators.LastModified)
		return res, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, newStatusError(resp, res.FetchedAt)
	}

	// The transport has already undone any gzip it negotiated, so the
	// cap counts decompressed bytes.
	if res.Body, err = readCapped(resp.Body, resp.ContentLength, f.maxBody); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(res.Body) == 0 {
		return nil, ErrEmptyBody
	}
	return res, nil
}

// newRequest builds the conditional GET. Accept-Encoding is left unset on
// purpose: then the transport asks for gzip and decodes it itself.
func newRequest(ctx context.Context, req Request, userAgent string) (*http.Request, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("User-Agent", userAgent)
	hreq.Header.Set("Accept", acceptHeader)
	// Sent byte for byte as stored: servers compare them as strings.
	if v := req.Validators.ETag; v != "" {
		hreq.Header.Set("If-None-Match", v)
	}
	if v := req.Validators.LastModified; v != "" {
		hreq.Header.Set("If-Modified-Since", v)
	}
	return hreq, nil
}

// ErrTooLarge means a body went over Options.MaxBodyBytes.
var ErrTooLarge = errors.New("body too large")

// ErrEmptyBody means a successful answer carried no bytes at all.
var ErrEmptyBody = errors.New("empty body")

// ErrTruncated means the connection closed before the body was complete:
// fewer bytes than Content-Length, or a chunked body without its end.
var ErrTruncated = errors.New("body truncated: connection closed early")

// readCapped reads at most max bytes. Asking for one byte more is enough to
// prove a body too large, so a gzip bomb is never inflated past max+1.
func readCapped(r io.Reader, size, max int64) ([]byte, error) {
	tooLarge := fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	if size > max {
		return nil, tooLarge
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		if size >= 0 {
			return nil, fmt.Errorf("%w after %d of %d bytes (%w)", ErrTruncated, len(b), size, err)
		}
		return nil, fmt.Errorf("%w after %d bytes (%w)", ErrTruncated, len(b), err)
	}
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, tooLarge
	}
	return b, nil
}

// parseMaxAge reads max-age from Cache-Control. We are a private cache, so
// s-maxage does not apply; no-cache and no-store mean "ask every time".
func parseMaxAge(values []string) time.Duration {
	var maxAge time.Duration
	for _, v := range values {
		for directive := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(directive), "=")
			switch strings.ToLower(name) {
			case "no-cache", "no-store":
				return 0
			case "max-age":
				if s, err := strconv.ParseInt(strings.Trim(arg, `"`), 10, 64); err == nil && s > 0 {
					maxAge = seconds(s)
				}
			}
		}
	}
	return maxAge
}

// seconds converts without overflowing on absurd header values.
func seconds(s int64) time.Duration {
	const maxSeconds = int64(1<<63-1) / int64(time.Second)
	return time.Duration(min(s, maxSeconds)) * time.Second
}

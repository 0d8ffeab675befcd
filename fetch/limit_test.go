package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/clock"
)

// serveOn starts h on ip (any of 127.0.0.0/8), so that several servers are
// several hosts to the fetcher.
func serveOn(t testing.TB, ip string, h http.Handler) *httptest.Server {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// hostWatch is what the servers of a limits test saw, per host.
type hostWatch struct {
	mu        sync.Mutex
	cond      *sync.Cond
	inflight  map[string]int
	maxFlight map[string]int
	overall   int
	maxAll    int
	starts    map[string][]time.Time // fake-clock time of each arrival
	arrived   int
	launched  int // requests the fetcher has started (its start hook)
}

func newHostWatch() *hostWatch {
	w := &hostWatch{inflight: map[string]int{}, maxFlight: map[string]int{}, starts: map[string][]time.Time{}}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// arrive records a request to host; leave must follow before the client
// can see the end of the response, so that the count never lags.
func (w *hostWatch) arrive(host string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight[host]++
	w.maxFlight[host] = max(w.maxFlight[host], w.inflight[host])
	w.overall++
	w.maxAll = max(w.maxAll, w.overall)
	w.starts[host] = append(w.starts[host], now)
	w.arrived++
	w.cond.Broadcast()
}

func (w *hostWatch) leave(host string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.inflight[host]--
	w.overall--
	w.cond.Broadcast()
}

// writeLast sends all of body but its last byte, runs beforeEnd, then the
// last byte: the client cannot finish reading before beforeEnd has run.
func writeLast(w http.ResponseWriter, body string, beforeEnd func()) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write([]byte(body[:len(body)-1]))
	w.(http.Flusher).Flush()
	beforeEnd()
	w.Write([]byte(body[len(body)-1:]))
}

// hostsUnderTest starts one server on each of n loopback addresses, and
// returns their base URLs with the host names the fetcher keys them by.
func hostsUnderTest(t *testing.T, n int, h func(host string) http.Handler) (urls, hosts []string) {
	for i := range n {
		ip := fmt.Sprintf("127.0.0.%d", i+1)
		srv := serveOn(t, ip, h(ip))
		urls, hosts = append(urls, srv.URL), append(hosts, ip)
	}
	return urls, hosts
}

// 200 feeds on 4 hosts, listed host by host (the worst order for a fetcher
// that blocks the line), PerHost 2 and HostInterval 1s on a fake clock
// that a driver moves only when every started request has reached its
// server: so each arrival is stamped with the fake time of its start, the
// spacing is checked where the servers see it, and the test takes no real
// time to speak of.
func TestHostLimitsWithFakeClock(t *testing.T) {
	const (
		hostCount   = 4
		feedsEach   = 50
		perHost     = 2
		interval    = time.Second
		concurrency = 8
	)
	fake := clock.NewFake(testNow)
	watch := newHostWatch()
	urls, hosts := hostsUnderTest(t, hostCount, func(host string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			watch.arrive(host, fake.Now())
			writeLast(w, "<rss/>", func() { watch.leave(host) })
		})
	})

	f := New(Options{Clock: fake, PerHost: perHost, HostInterval: interval, Concurrency: concurrency, Timeout: 10 * time.Second})
	f.limit.onStart = func(string) {
		watch.mu.Lock()
		watch.launched++
		watch.mu.Unlock()
	}

	// The driver: for each waiter the clock gets, move the time on, in
	// steps of a tenth of the interval, until some waiter fires; each step
	// only once every started request has reached its server. Every
	// waiter comes with a signal and every signal fires at least one
	// waiter, so nothing waits for ever, and the time never runs far
	// ahead of the earliest waiter.
	stop := make(chan struct{})
	driverDone := make(chan struct{})
	go func() {
		defer close(driverDone)
		for {
			select {
			case <-fake.Waiting():
			case <-stop:
				return
			}
			watch.mu.Lock()
			for pending := fake.Pending(); pending > 0 && fake.Pending() >= pending; {
				for watch.launched != watch.arrived {
					watch.cond.Wait()
				}
				fake.Advance(interval / 10)
			}
			watch.mu.Unlock()
		}
	}()

	var reqs []Request
	for h := range hostCount {
		for i := range feedsEach {
			reqs = append(reqs, Request{URL: fmt.Sprintf("%s/feed/%d", urls[h], i)})
		}
	}
	out := f.FetchAll(t.Context(), reqs)
	close(stop)
	<-driverDone

	for i, o := range out {
		if o.Err != nil {
			t.Errorf("feed %d: %v", i, o.Err)
		}
	}
	watch.mu.Lock()
	defer watch.mu.Unlock()
	if watch.maxAll > concurrency {
		t.Errorf("%d requests in flight at once, want at most %d", watch.maxAll, concurrency)
	}
	var lasts []time.Duration
	defer func() { t.Logf("last start per host: %v", lasts) }()
	for _, h := range hosts {
		if got := watch.maxFlight[h]; got > perHost {
			t.Errorf("host %s saw %d requests at once, want at most %d", h, got, perHost)
		}
		starts := watch.starts[h]
		if len(starts) != feedsEach {
			t.Errorf("host %s saw %d requests, want %d", h, len(starts), feedsEach)
			continue
		}
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
		for i := 1; i < len(starts); i++ {
			if gap := starts[i].Sub(starts[i-1]); gap < interval {
				t.Errorf("host %s: requests %d and %d started %v apart, want at least %v", h, i-1, i, gap, interval)
			}
		}
		// The hosts are served side by side: the last start on each is
		// about feedsEach-1 intervals in, plus what the driver's steps
		// add; one host after the other would take hostCount times that.
		last := starts[len(starts)-1].Sub(testNow)
		lasts = append(lasts, last)
		if last >= hostCount*(feedsEach-1)*interval {
			t.Errorf("host %s: last request at +%v; the hosts were not served in parallel", h, last)
		}
	}
}

// With no spacing, each host gets exactly PerHost requests at once (each
// request waits for a partner, which proves they overlap) and the overall
// bound holds across hosts.
func TestHostLimitsConcurrency(t *testing.T) {
	const (
		hostCount   = 4
		feedsEach   = 50
		perHost     = 2
		concurrency = 6 // less than hostCount*perHost: both bounds bite
	)
	watch := newHostWatch()
	urls, hosts := hostsUnderTest(t, hostCount, func(host string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			watch.arrive(host, time.Time{})
			watch.mu.Lock()
			// Wait for a partner, unless this is the host's last request.
			for watch.inflight[host] < perHost && len(watch.starts[host]) < feedsEach && r.Context().Err() == nil {
				watch.cond.Wait()
			}
			watch.mu.Unlock()
			writeLast(w, "<rss/>", func() { watch.leave(host) })
		})
	})
	// Wake the partner-waiters if a client gives up, so a failure shows as
	// a failure and not a hang.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	context.AfterFunc(ctx, func() {
		watch.mu.Lock()
		watch.cond.Broadcast()
		watch.mu.Unlock()
	})

	var reqs []Request
	for h := range hostCount {
		for i := range feedsEach {
			reqs = append(reqs, Request{URL: fmt.Sprintf("%s/feed/%d", urls[h], i)})
		}
	}
	f := New(Options{PerHost: perHost, HostInterval: -1, Concurrency: concurrency, Timeout: 20 * time.Second})
	for i, o := range f.FetchAll(ctx, reqs) {
		if o.Err != nil {
			t.Errorf("feed %d: %v", i, o.Err)
		}
	}
	watch.mu.Lock()
	defer watch.mu.Unlock()
	if watch.maxAll > concurrency {
		t.Errorf("%d requests in flight at once, want at most %d", watch.maxAll, concurrency)
	}
	for _, h := range hosts {
		if got := watch.maxFlight[h]; got != perHost {
			t.Errorf("host %s saw at most %d requests at once, want exactly %d", h, got, perHost)
		}
	}
}

// A host whose turn is an hour away holds up only itself: with a single
// overall slot, the other hosts' feeds and the local files all arrive
// while its queue waits on a clock that never moves.
func TestNoHeadOfLineBlocking(t *testing.T) {
	fake := clock.NewFake(testNow)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<rss/>") })
	urls, _ := hostsUnderTest(t, 4, func(string) http.Handler { return ok })
	dir := t.TempDir()

	var reqs []Request
	for i := range 20 { // the slow host first
		reqs = append(reqs, Request{URL: fmt.Sprintf("%s/feed/%d", urls[0], i)})
	}
	for _, u := range urls[1:] {
		reqs = append(reqs, Request{URL: u + "/feed"})
	}
	for i := range 10 {
		path := filepath.Join(dir, fmt.Sprintf("%d.xml", i))
		if err := os.WriteFile(path, []byte("<rss/>"), 0o644); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, Request{URL: path})
	}
	const wantDone = 1 + 3 + 10 // one request to the slow host, one to each other, every file

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second) // only if blocked
	defer cancel()
	f := New(Options{Clock: fake, PerHost: 2, HostInterval: time.Hour, Concurrency: 1})
	var succeeded, cancelled []int
	f.Each(ctx, reqs, func(i int, o Outcome) {
		switch {
		case o.Err == nil:
			if succeeded = append(succeeded, i); len(succeeded) == wantDone {
				cancel()
			}
		case errors.Is(o.Err, context.Canceled):
			cancelled = append(cancelled, i)
		default:
			t.Errorf("%s: %v", reqs[i].URL, o.Err)
		}
	})
	if len(succeeded) != wantDone || len(cancelled) != len(reqs)-wantDone {
		t.Fatalf("%d fetched, %d cancelled; want %d and %d", len(succeeded), len(cancelled), wantDone, len(reqs)-wantDone)
	}
	for _, i := range cancelled {
		if !strings.HasPrefix(reqs[i].URL, urls[0]) {
			t.Errorf("%s was cancelled, but only the slow host had to wait", reqs[i].URL)
		}
	}
}

// A direct Fetch waits its host's turn too, on the injected clock.
func TestFetchWaitsForHostInterval(t *testing.T) {
	fake := clock.NewFake(testNow)
	var mu sync.Mutex
	var arrivals []time.Time
	srv := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, fake.Now())
		mu.Unlock()
		fmt.Fprint(w, "<rss/>")
	}))
	f := New(Options{Clock: fake, HostInterval: time.Minute})
	if _, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/a"}); err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() {
		_, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/b"})
		second <- err
	}()
	select {
	case err := <-second:
		t.Fatalf("second fetch went at once (err %v)", err)
	case <-fake.Waiting():
	}
	fake.Advance(59 * time.Second)
	select {
	case err := <-second:
		t.Fatalf("second fetch went 59s after the first (err %v)", err)
	default:
	}
	fake.Advance(time.Second)
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	// Another port on the same host name shares the spacing.
	other := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<rss/>") }))
	third := make(chan error, 1)
	go func() {
		_, err := f.Fetch(t.Context(), Request{URL: other.URL + "/c"})
		third <- err
	}()
	select {
	case err := <-third:
		t.Fatalf("another port on the same host went at once (err %v)", err)
	case <-fake.Waiting():
	}
	fake.Advance(time.Minute)
	if err := <-third; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 2 || arrivals[1].Sub(arrivals[0]) != time.Minute {
		t.Errorf("arrivals %v, want two a minute apart", arrivals)
	}
}

// A request that gives up while waiting, for its host or for an overall
// slot, leaves nothing behind.
func TestCancelWhileWaiting(t *testing.T) {
	fake := clock.NewFake(testNow)
	arrived, release := make(chan struct{}), make(chan struct{})
	a := serveOn(t, "127.0.0.1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slow" {
			t.Errorf("%s reached the server; it should have been cancelled while waiting", r.URL)
			return
		}
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "<rss/>")
	}))
	b := serveOn(t, "127.0.0.2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<rss/>") }))
	f := New(Options{Clock: fake, Concurrency: 1, HostInterval: time.Hour, Timeout: 10 * time.Second})

	slowDone := make(chan error, 1)
	go func() {
		_, err := f.Fetch(t.Context(), Request{URL: a.URL + "/slow"})
		slowDone <- err
	}()
	<-arrived // /slow holds the only slot

	cancelled := func(u string, waiting func()) {
		t.Helper()
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := f.Fetch(ctx, Request{URL: u})
			errc <- err
		}()
		waiting()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), u) {
			t.Errorf("%s: err = %v, want a cancellation naming the URL", u, err)
		}
	}
	// Host a's next turn is an hour away.
	cancelled(a.URL+"/queued", func() { <-fake.Waiting() })
	// Host b is free, but the only slot is taken.
	cancelled(b.URL+"/queued", func() {
		waitFor(t, func() bool {
			f.limit.mu.Lock()
			defer f.limit.mu.Unlock()
			h := f.limit.hosts["127.0.0.2"]
			return h != nil && h.starting
		})
	})
	close(release)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	// b never started, so nothing holds it back.
	if _, err := f.Fetch(t.Context(), Request{URL: b.URL + "/after"}); err != nil {
		t.Errorf("host b after the cancellation: %v", err)
	}
	f.limit.mu.Lock()
	defer f.limit.mu.Unlock()
	for host, h := range f.limit.hosts {
		if h.inflight != 0 || h.starting || len(h.queue) != 0 {
			t.Errorf("host %s left with %+v", host, *h)
		}
	}
	if len(f.limit.slots) != 0 {
		t.Errorf("%d overall slots still taken", len(f.limit.slots))
	}
}

// waitFor yields until cond holds: for states that no channel announces.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		runtime.Gosched()
	}
}

// Local files are bounded only overall: a spacing an hour long on a clock
// that never moves does not hold them up.
func TestFilesNotHostLimited(t *testing.T) {
	dir := t.TempDir()
	var reqs []Request
	for i := range 20 {
		path := filepath.Join(dir, fmt.Sprintf("%d.xml", i))
		if err := os.WriteFile(path, []byte("<rss/>"), 0o644); err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, Request{URL: path}, Request{URL: "file://" + filepath.ToSlash(path)})
	}
	f := New(Options{Clock: clock.NewFake(testNow), HostInterval: time.Hour, PerHost: 1, Concurrency: 2})
	for _, o := range f.FetchAll(t.Context(), reqs) {
		if o.Err != nil {
			t.Error(o.Err)
		}
	}
}

func TestHostKey(t *testing.T) {
	for in, want := range map[string]string{
		"http://Example.COM/feed":        "example.com",
		"https://example.com:8443/x":     "example.com",
		"http://127.0.0.2:8080/":         "127.0.0.2",
		"http://[::1]:80/":               "::1",
		"file:///srv/feed.xml":           "",
		"/srv/feed.xml":                  "",
		"feeds/local.xml":                "",
		"gopher://example.com/":          "",
		"http://bad host/":               "",
		"https://user:pw@example.org/f?": "example.org",
	} {
		if got := hostKey(in); got != want {
			t.Errorf("hostKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// A caller slower than the network holds fetching back: while fn has not
// returned for a response, that response keeps its turn, so no more than
// Concurrency responses wait in memory for it.
func TestEachWaitsForASlowCaller(t *testing.T) {
	var served atomic.Int32
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		fmt.Fprint(w, "<rss/>")
	})
	// A host each: no host's spacing holds any request back.
	urls, _ := hostsUnderTest(t, 20, func(string) http.Handler { return ok })
	var reqs []Request
	for _, u := range urls {
		reqs = append(reqs, Request{URL: u + "/feed"})
	}
	f := New(Options{Concurrency: 2})
	calls := 0
	f.Each(t.Context(), reqs, func(i int, o Outcome) {
		if o.Err != nil {
			t.Errorf("%s: %v", o.Request.URL, o.Err)
		}
		if calls++; calls == 1 {
			// The first response is with the caller; one more may be
			// fetched meanwhile, and no other.
			for served.Load() < 2 {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			if n := served.Load(); n != 2 {
				t.Errorf("%d responses fetched while the caller held the first, want 2", n)
			}
		}
	})
	if calls != len(reqs) || int(served.Load()) != len(reqs) {
		t.Errorf("%d calls, %d served, want %d", calls, served.Load(), len(reqs))
	}
}

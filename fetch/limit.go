package fetch

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aggregate-dev/aggregate/clock"
)

// limiter bounds the fetches in flight overall and per host, and spaces the
// starts of requests to one host.
//
// A request first waits for its host's turn, then for an overall slot, so a
// request held back by its host never sits on a slot that a request to
// another host could use. Each host lets at most one request at a time wait
// for an overall slot: the next one can only count its spacing from a start
// that has happened, and the hosts take turns at the slots.
type limiter struct {
	clk      clock.Clock
	perHost  int
	interval time.Duration // 0: no spacing
	slots    chan struct{}

	// onStart, if set, is called under mu just before a request's start
	// time is read. Tests use it to know a request is on its way.
	onStart func(host string)

	mu    sync.Mutex
	hosts map[string]*hostState
}

// hostState is one host's share of the limiter, guarded by limiter.mu.
type hostState struct {
	inflight  int  // requests past the host gate, started or about to
	starting  bool // one of them waits for an overall slot
	lastStart time.Time
	started   bool // lastStart is set
	queue     []chan struct{}
}

// maxIdleHosts is how many host entries may pile up before the idle ones
// are swept. An entry is kept while its spacing still runs, so a request
// that comes back soon still waits.
const maxIdleHosts = 1024

func newLimiter(clk clock.Clock, concurrency, perHost int, interval time.Duration) *limiter {
	return &limiter{
		clk:      clk,
		perHost:  perHost,
		interval: max(interval, 0),
		slots:    make(chan struct{}, concurrency),
		hosts:    map[string]*hostState{},
	}
}

// hostKey is the host a request to raw is limited by: its host name in
// lower case, without the port (two ports are still one machine). It is
// empty for what is not an http(s) URL: local files are bounded only by
// the overall limit, and a malformed URL fails on its own.
func hostKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// acquire waits for host's turn (unless host is empty) and an overall
// slot, and returns the function that gives both back.
func (l *limiter) acquire(ctx context.Context, host string) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if host != "" {
		if err := l.waitHost(ctx, host); err != nil {
			return nil, err
		}
	}
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		if host != "" {
			l.leave(host, true)
		}
		return nil, ctx.Err()
	}
	if host != "" {
		l.start(host)
	}
	return func() {
		<-l.slots
		if host != "" {
			l.leave(host, false)
		}
	}, nil
}

// waitHost queues for host and returns once this request is first in the
// queue, the host has fewer than perHost requests in flight, no other
// request to it is waiting for an overall slot, and the spacing since the
// last start has run out.
func (l *limiter) waitHost(ctx context.Context, host string) error {
	me := make(chan struct{}, 1)
	l.mu.Lock()
	h := l.host(host)
	h.queue = append(h.queue, me)
	for {
		var wait time.Duration
		if h.queue[0] == me && h.inflight < l.perHost && !h.starting {
			if h.started && l.interval > 0 {
				wait = h.lastStart.Add(l.interval).Sub(l.clk.Now())
			}
			if wait <= 0 {
				h.queue = h.queue[1:]
				h.inflight++
				h.starting = true
				h.wakeHead()
				l.mu.Unlock()
				return nil
			}
		}
		l.mu.Unlock()

		var timer <-chan time.Time
		if wait > 0 {
			timer = l.clk.After(wait)
		}
		select {
		case <-me:
		case <-timer:
		case <-ctx.Done():
			l.mu.Lock()
			h.remove(me)
			h.wakeHead()
			l.mu.Unlock()
			return ctx.Err()
		}
		l.mu.Lock()
	}
}

// host returns host's state, creating it; l.mu is held.
func (l *limiter) host(host string) *hostState {
	if h, ok := l.hosts[host]; ok {
		return h
	}
	if len(l.hosts) >= maxIdleHosts {
		now := l.clk.Now()
		for k, h := range l.hosts {
			if h.idle(now, l.interval) {
				delete(l.hosts, k)
			}
		}
	}
	h := &hostState{}
	l.hosts[host] = h
	return h
}

// start records that the request that passed host's gate has its overall
// slot and is starting now.
func (l *limiter) start(host string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hosts[host]
	if l.onStart != nil {
		l.onStart(host)
	}
	h.starting = false
	h.lastStart, h.started = l.clk.Now(), true
	h.wakeHead()
}

// leave gives back a request's place at host: after it ended, or, when
// beforeStart, after it gave up waiting for an overall slot (then it never
// started and the spacing is unchanged).
func (l *limiter) leave(host string, beforeStart bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hosts[host]
	h.inflight--
	if beforeStart {
		h.starting = false
	}
	h.wakeHead()
}

func (h *hostState) wakeHead() {
	if len(h.queue) > 0 {
		select {
		case h.queue[0] <- struct{}{}:
		default: // already has a wake-up pending
		}
	}
}

func (h *hostState) remove(me chan struct{}) {
	for i, c := range h.queue {
		if c == me {
			h.queue = append(h.queue[:i], h.queue[i+1:]...)
			return
		}
	}
}

// idle says nothing waits for or runs against the host and its spacing has
// run out, so forgetting it changes nothing.
func (h *hostState) idle(now time.Time, interval time.Duration) bool {
	return h.inflight == 0 && !h.starting && len(h.queue) == 0 &&
		(!h.started || !now.Before(h.lastStart.Add(interval)))
}

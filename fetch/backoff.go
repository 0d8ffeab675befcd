package fetch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

const (
	defaultBackoffBase = time.Minute
	defaultBackoffCap  = 24 * time.Hour
	defaultJitter      = 0.2
	defaultSlack       = time.Minute
)

// Policy decides when a feed may be fetched again, from how its last fetch
// went. It does no I/O and keeps no state: the caller stores the time it
// returns and skips the feed until then. The zero value gives the defaults.
type Policy struct {
	// Interval is the caller's own least time between two fetches of a
	// feed; 0 for none (a daemon on a schedule needs none: the schedule
	// spaces its runs).
	Interval time.Duration
	// Base is the wait after a first failure; each further failure in a
	// row doubles it. Default 1m.
	Base time.Duration
	// Cap bounds the failure backoff, and how long a feed's own interval
	// or a Cache-Control max-age may hold a feed back; default 24h. It
	// does not bound Retry-After: a server's explicit request is obeyed.
	Cap time.Duration
	// Jitter spreads failure backoff by ± this fraction, so feeds that
	// failed together are not retried together; default 0.2, negative for
	// none.
	Jitter float64
	// Rand returns a number in [0, 1) for the jitter; default
	// math/rand/v2.Float64. Tests pass a constant.
	Rand func() float64
	// Slack lets a feed go up to this much before a success's lower
	// bound (Interval, max-age, the feed's interval), never more than a
	// quarter of it, so that a feed fetched a few seconds into a run is
	// not a few seconds short of due at the run a period later and made
	// to wait a whole period more. It never shortens Retry-After or
	// failure backoff. Default 1m, negative for none.
	Slack time.Duration
}

// FetchOutcome is what Policy.Next needs to know about one fetch.
type FetchOutcome struct {
	// Err is why the fetch failed, or why its body could not be used (a
	// parse error counts as a failure too); nil for a success or a 304. A
	// *StatusError in it with RetryAfter set is obeyed.
	Err error
	// Result is the fetch's result when there is one; its MaxAge is a
	// lower bound on a success's interval.
	Result *Result
	// Failures is how many fetches in a row have failed, this one
	// included: 0 after a success, at least 1 with Err.
	Failures int
	// FeedInterval is the least interval the feed declares for itself
	// (RSS <ttl>, sy:updatePeriod and sy:updateFrequency), 0 if none. After
	// a 304, pass the one read with the stored body.
	FeedInterval time.Duration
}

// Next returns when the feed may be fetched again after outcome o, which
// came in at now, and why. A time equal to now means "whenever you like";
// reason is then empty.
//
//   - Failure: Base·2^(Failures-1), ± Jitter, at most Cap; after a 429 or
//     503 with Retry-After, at least that.
//   - Success or 304: the longest of Interval, max-age and the feed's own
//     interval (each of the last two at most Cap), less Slack.
func (p Policy) Next(now time.Time, o FetchOutcome) (next time.Time, reason string) {
	if o.Err != nil {
		d, reason := p.failure(o)
		return now.Add(d), reason
	}
	capped := p.cap()
	var d time.Duration
	if p.Interval > d {
		d, reason = p.Interval, fmt.Sprintf("interval %s", p.Interval)
	}
	if o.Result != nil {
		if ma := min(o.Result.MaxAge, capped); ma > d {
			d, reason = ma, fmt.Sprintf("max-age %s", ma)
		}
	}
	if fi := min(o.FeedInterval, capped); fi > d {
		d, reason = fi, fmt.Sprintf("feed interval %s", fi)
	}
	if d <= 0 {
		return now, ""
	}
	return now.Add(d - min(p.slack(), d/4)), reason
}

func (p Policy) failure(o FetchOutcome) (time.Duration, string) {
	n := max(o.Failures, 1)
	d := p.backoff(n)
	reason := fmt.Sprintf("backoff %s after %d failure", d.Round(time.Second), n)
	if n > 1 {
		reason += "s"
	}
	var se *StatusError
	if errors.As(o.Err, &se) && se.RetryAfter > d {
		d = se.RetryAfter
		reason = fmt.Sprintf("retry-after %s (status %d)", se.RetryAfter, se.StatusCode)
	}
	return d, reason
}

// backoff is Base·2^(n-1) with jitter, at most Cap.
func (p Policy) backoff(n int) time.Duration {
	base := p.Base
	if base <= 0 {
		base = defaultBackoffBase
	}
	capped := p.cap()
	d := min(base, capped)
	for i := 1; i < n && d < capped; i++ {
		if d > capped/2 {
			d = capped
			break
		}
		d *= 2
	}
	if j := p.jitter(); j > 0 {
		r := rand.Float64
		if p.Rand != nil {
			r = p.Rand
		}
		f := float64(d) * (1 + j*(2*r()-1))
		if f >= float64(capped) {
			return capped
		}
		d = time.Duration(f)
	}
	return max(min(d, capped), 0)
}

func (p Policy) cap() time.Duration {
	if p.Cap <= 0 {
		return defaultBackoffCap
	}
	return p.Cap
}

func (p Policy) jitter() float64 {
	switch {
	case p.Jitter < 0:
		return 0
	case p.Jitter == 0:
		return defaultJitter
	}
	return min(p.Jitter, 1)
}

func (p Policy) slack() time.Duration {
	switch {
	case p.Slack < 0:
		return 0
	case p.Slack == 0:
		return defaultSlack
	}
	return p.Slack
}

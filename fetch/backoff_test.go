package fetch

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestPolicyNext(t *testing.T) {
	now := testNow
	mid := func() float64 { return 0.5 } // no jitter either way
	low := func() float64 { return 0 }   // -Jitter
	high := func() float64 { return 0.999999 }
	failed := errors.New("fetch http://example.com/feed: connection refused")
	status := func(code int, retryAfter time.Duration) error {
		return fmt.Errorf("fetch http://example.com/feed: %w", &StatusError{URL: "http://example.com/feed", StatusCode: code, RetryAfter: retryAfter})
	}
	ok := &Result{StatusCode: 200}
	withMaxAge := func(d time.Duration) *Result { return &Result{StatusCode: 200, MaxAge: d} }

	tests := []struct {
		name       string
		policy     Policy
		outcome    FetchOutcome
		want       time.Duration // after now
		wantReason string
	}{
		// Successes: the longest lower bound, less the slack.
		{name: "success, nothing to respect", policy: Policy{Rand: mid}, outcome: FetchOutcome{Result: ok}, want: 0, wantReason: ""},
		{name: "304, nothing to respect", policy: Policy{Rand: mid}, outcome: FetchOutcome{Result: &Result{StatusCode: 304, NotModified: true}}, want: 0},
		{name: "interval", policy: Policy{Interval: 15 * time.Minute}, outcome: FetchOutcome{Result: ok}, want: 14 * time.Minute, wantReason: "interval 15m0s"},
		{name: "interval without slack", policy: Policy{Interval: 15 * time.Minute, Slack: -1}, outcome: FetchOutcome{Result: ok}, want: 15 * time.Minute, wantReason: "interval 15m0s"},
		{name: "slack is at most a quarter", policy: Policy{}, outcome: FetchOutcome{Result: withMaxAge(2 * time.Minute)}, want: 90 * time.Second, wantReason: "max-age 2m0s"},
		{name: "max-age over interval", policy: Policy{Interval: 15 * time.Minute, Slack: -1}, outcome: FetchOutcome{Result: withMaxAge(time.Hour)}, want: time.Hour, wantReason: "max-age 1h0m0s"},
		{name: "interval over max-age", policy: Policy{Interval: 15 * time.Minute, Slack: -1}, outcome: FetchOutcome{Result: withMaxAge(5 * time.Minute)}, want: 15 * time.Minute, wantReason: "interval 15m0s"},
		{name: "feed ttl over max-age", policy: Policy{Slack: -1}, outcome: FetchOutcome{Result: withMaxAge(5 * time.Minute), FeedInterval: time.Hour}, want: time.Hour, wantReason: "feed interval 1h0m0s"},
		{name: "feed ttl after a 304", policy: Policy{Slack: -1}, outcome: FetchOutcome{Result: &Result{StatusCode: 304, NotModified: true}, FeedInterval: 2 * time.Hour}, want: 2 * time.Hour, wantReason: "feed interval 2h0m0s"},
		{name: "feed ttl without a result", policy: Policy{Slack: -1}, outcome: FetchOutcome{FeedInterval: time.Hour}, want: time.Hour, wantReason: "feed interval 1h0m0s"},
		{name: "a yearly feed is capped", policy: Policy{Slack: -1}, outcome: FetchOutcome{Result: ok, FeedInterval: 365 * 24 * time.Hour}, want: 24 * time.Hour, wantReason: "feed interval 24h0m0s"},
		{name: "a huge max-age is capped", policy: Policy{Cap: 6 * time.Hour, Slack: -1}, outcome: FetchOutcome{Result: withMaxAge(1000 * time.Hour)}, want: 6 * time.Hour, wantReason: "max-age 6h0m0s"},
		{name: "interval is the caller's and not capped", policy: Policy{Interval: 48 * time.Hour, Slack: -1}, outcome: FetchOutcome{Result: ok}, want: 48 * time.Hour, wantReason: "interval 48h0m0s"},

		// Failures: exponential from Base, jittered, capped.
		{name: "first failure", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: failed, Failures: 1}, want: time.Minute, wantReason: "backoff 1m0s after 1 failure"},
		{name: "failure count missing counts as one", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: failed}, want: time.Minute, wantReason: "backoff 1m0s after 1 failure"},
		{name: "second failure", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: failed, Failures: 2}, want: 2 * time.Minute, wantReason: "backoff 2m0s after 2 failures"},
		{name: "fifth failure", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: failed, Failures: 5}, want: 16 * time.Minute},
		{name: "jitter low", policy: Policy{Rand: low}, outcome: FetchOutcome{Err: failed, Failures: 3}, want: 4 * time.Minute * 8 / 10},
		{name: "jitter high", policy: Policy{Rand: high}, outcome: FetchOutcome{Err: failed, Failures: 3}, want: time.Duration(float64(4*time.Minute) * (1 + 0.2*(2*0.999999-1)))},
		{name: "custom jitter", policy: Policy{Rand: low, Jitter: 0.5}, outcome: FetchOutcome{Err: failed, Failures: 1}, want: 30 * time.Second},
		{name: "no jitter", policy: Policy{Rand: low, Jitter: -1}, outcome: FetchOutcome{Err: failed, Failures: 1}, want: time.Minute},
		{name: "custom base", policy: Policy{Rand: mid, Base: 10 * time.Second}, outcome: FetchOutcome{Err: failed, Failures: 4}, want: 80 * time.Second},
		{name: "capped", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: failed, Failures: 20}, want: 24 * time.Hour, wantReason: "backoff 24h0m0s after 20 failures"},
		{name: "capped even with jitter up", policy: Policy{Rand: high}, outcome: FetchOutcome{Err: failed, Failures: 20}, want: 24 * time.Hour},
		{name: "jitter down at the cap", policy: Policy{Rand: low}, outcome: FetchOutcome{Err: failed, Failures: 20}, want: 24 * time.Hour * 8 / 10},
		{name: "custom cap", policy: Policy{Rand: mid, Cap: time.Hour}, outcome: FetchOutcome{Err: failed, Failures: 10}, want: time.Hour},
		{name: "no overflow", policy: Policy{Rand: mid, Cap: 1<<63 - 1}, outcome: FetchOutcome{Err: failed, Failures: 1000}, want: 1<<63 - 1},
		{name: "failure ignores max-age and interval", policy: Policy{Rand: mid, Interval: time.Hour}, outcome: FetchOutcome{Err: failed, Failures: 1, Result: withMaxAge(time.Hour), FeedInterval: time.Hour}, want: time.Minute},
		{name: "parse error after a 200 is a failure", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: errors.New("parse: not a feed"), Result: ok, Failures: 2}, want: 2 * time.Minute},

		// Retry-After: at least what the server asked, cap or not.
		{name: "429 Retry-After", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: status(429, 2*time.Hour), Failures: 1}, want: 2 * time.Hour, wantReason: "retry-after 2h0m0s (status 429)"},
		{name: "503 Retry-After", policy: Policy{Rand: high}, outcome: FetchOutcome{Err: status(503, 10*time.Minute), Failures: 1}, want: 10 * time.Minute, wantReason: "retry-after 10m0s (status 503)"},
		{name: "Retry-After beyond the cap", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: status(429, 72*time.Hour), Failures: 1}, want: 72 * time.Hour},
		{name: "Retry-After shorter than the backoff", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: status(429, 30*time.Second), Failures: 5}, want: 16 * time.Minute, wantReason: "backoff 16m0s after 5 failures"},
		{name: "Retry-After not shortened by jitter", policy: Policy{Rand: low}, outcome: FetchOutcome{Err: status(429, 90*time.Second), Failures: 1}, want: 90 * time.Second},
		{name: "429 without Retry-After", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: status(429, 0), Failures: 3}, want: 4 * time.Minute},
		{name: "404", policy: Policy{Rand: mid}, outcome: FetchOutcome{Err: status(404, 0), Failures: 2}, want: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, reason := tt.policy.Next(now, tt.outcome)
			if got := next.Sub(now); got != tt.want {
				t.Errorf("next = now + %v, want now + %v (reason %q)", got, tt.want, reason)
			}
			if tt.wantReason != "" && reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", reason, tt.wantReason)
			}
			if next.Equal(now) != (reason == "") {
				t.Errorf("reason %q with next = now + %v", reason, next.Sub(now))
			}
		})
	}
}

// Jitter spreads feeds that failed together, within ±20%.
func TestPolicyJitterSpreads(t *testing.T) {
	var p Policy // default Rand
	seen := map[time.Duration]bool{}
	for range 100 {
		next, _ := p.Next(testNow, FetchOutcome{Err: errors.New("x"), Failures: 3})
		d := next.Sub(testNow)
		if d < 4*time.Minute*8/10 || d > 4*time.Minute*12/10 {
			t.Fatalf("backoff %v outside 4m ±20%%", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct backoffs in 100", len(seen))
	}
}

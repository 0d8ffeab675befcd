package fetch

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// StatusError is a non-2xx answer other than 304.
type StatusError struct {
	URL        string // the URL that answered, after redirects
	StatusCode int
	// RetryAfter is how long the server asked us to wait (429 and 503
	// only), relative to Options.Now; 0 if it did not say.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("status %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	return msg
}

// Temporary reports whether the same request may well succeed later, so a
// scheduler backs off instead of giving up.
func (e *StatusError) Temporary() bool {
	switch e.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return e.StatusCode >= 500
}

func newStatusError(resp *http.Response, now time.Time) *StatusError {
	e := &StatusError{URL: resp.Request.URL.String(), StatusCode: resp.StatusCode}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return e
}

// parseRetryAfter reads delay-seconds or an HTTP-date. A date is measured
// from the injected clock, not the wall clock, so tests need not sleep.
// A date in the past, or anything unparseable, means no wait.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return seconds(s)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

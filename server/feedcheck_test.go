package server

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// findFeedcheck returns the path of shared/feedcheck/NAME, from
// $AGGREGATE_FEEDCHECK_DIR or the nearest ancestor of the working directory
// that has shared/feedcheck.
func findFeedcheck(name string) string {
	if dir := os.Getenv("AGGREGATE_FEEDCHECK_DIR"); dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			return ""
		}
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "shared", "feedcheck", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// TestConditionalGetCheck runs the third-party curl checklist
// (feedcheck/conditional-get-check) against /feed.atom over loopback.
func TestConditionalGetCheck(t *testing.T) {
	if os.Getenv("AGGREGATE_SKIP_FEEDCHECK") == "1" {
		t.Skip("AGGREGATE_SKIP_FEEDCHECK=1")
	}
	script := findFeedcheck("conditional-get-check")
	if script == "" {
		t.Fatal("shared/feedcheck/conditional-get-check not found (set AGGREGATE_FEEDCHECK_DIR, or AGGREGATE_SKIP_FEEDCHECK=1 to skip)")
	}
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	f := newFixture(t, Options{})
	f.srv.Publish(Snapshot{Files: sampleFiles("v1"), Generated: t0})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, f.ts.URL+"/feed.atom")
	// Loopback only: keep any configured proxy out of the way.
	cmd.Env = append(os.Environ(), "NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var res struct {
		OK          bool   `json:"ok"`
		ContentType string `json:"content_type"`
		ETag        string `json:"etag"`
		Checks      []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
			Got  string `json:"got"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("conditional-get-check output not JSON (run error %v): %v\nstdout: %s\nstderr: %s", runErr, err, out, stderr.Bytes())
	}
	for _, c := range res.Checks {
		if !c.OK {
			t.Errorf("check %q failed: got %q", c.Name, c.Got)
		}
	}
	if !res.OK || runErr != nil {
		t.Fatalf("conditional-get-check: ok=%t err=%v\n%s", res.OK, runErr, out)
	}
	if res.ContentType != "application/atom+xml; charset=utf-8" {
		t.Errorf("content_type %q", res.ContentType)
	}
	if len(res.Checks) == 0 {
		t.Error("no checks reported")
	}
}

package feed_test

// The golden input, written out and read back by independent third-party
// readers and validators: shared/feedcheck (see its README.md).
//
//	AGGREGATE_FEEDCHECK_DIR  where the feedcheck scripts are (default:
//	                         ../shared/feedcheck next to the repository root)
//	AGGREGATE_SKIP_FEEDCHECK=1  skip instead of failing when they or the
//	                         tools they drive are not installed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/feed"
)

const feedcheckInstall = `install the feed checking tools (shared/feedcheck/README.md):
    apt-get update
    apt-get install -y newsboat python3-feedparser jing trang libxml2-utils nginx
    npm install -g ajv-cli@5.0.0 ajv-formats@3.0.1 jsonfeed-schema@0.5.0 feedsmith@3.0.1
then check them with shared/feedcheck/selftest; or set AGGREGATE_SKIP_FEEDCHECK=1 to skip this test`

// feedcheckUnavailable fails the test, or skips it when
// AGGREGATE_SKIP_FEEDCHECK=1, saying how to install what is missing.
func feedcheckUnavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + "\n" + feedcheckInstall
	if os.Getenv("AGGREGATE_SKIP_FEEDCHECK") == "1" {
		t.Skip("AGGREGATE_SKIP_FEEDCHECK=1: " + msg)
	}
	t.Fatal(msg)
}

// feedcheckDir finds shared/feedcheck: $AGGREGATE_FEEDCHECK_DIR, else
// ../shared/feedcheck relative to the repository root (the directory with
// go.mod above the package directory).
func feedcheckDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AGGREGATE_FEEDCHECK_DIR")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				feedcheckUnavailable(t, "no go.mod above %s to locate ../shared/feedcheck from; set AGGREGATE_FEEDCHECK_DIR", wd)
			}
			root = parent
		}
		dir = filepath.Join(root, "..", "shared", "feedcheck")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		feedcheckUnavailable(t, "feedcheck directory %s not found (set AGGREGATE_FEEDCHECK_DIR)", dir)
	}
	return dir
}

// runFeedcheck runs one feedcheck script on a file and decodes the JSON
// object it prints. Exit 1 (the feed fails) is reported with the tool's
// output; exit 2 (usage error or a tool missing) fails, or skips under
// AGGREGATE_SKIP_FEEDCHECK=1, with the install instructions.
func runFeedcheck(t *testing.T, dir, tool string, args ...string) map[string]any {
	t.Helper()
	path := filepath.Join(dir, tool)
	if fi, err := os.Stat(path); err != nil || fi.Mode()&0o111 == 0 {
		feedcheckUnavailable(t, "feedcheck script %s missing or not executable", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The Python scripts run on /usr/bin/python3 by their shebang: never
	// through "python3", which may be another interpreter without Debian's
	// modules.
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 2:
		feedcheckUnavailable(t, "%s %s: exit 2 (usage error or tool missing):\n%s%s", tool, strings.Join(args, " "), stderr.String(), stdout.String())
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		t.Fatalf("%s %s: the feed fails (exit 1):\n%s\n%s", tool, strings.Join(args, " "), stdout.String(), stderr.String())
	default:
		t.Fatalf("%s %s: %v\n%s%s", tool, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%s: output is not JSON: %v\n%s", tool, err, stdout.String())
	}
	return res
}

// Accessors for the decoded JSON: a missing or mistyped value is the zero value.
func jget(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func jstr(v any, path ...any) string { s, _ := jget(v, path...).(string); return s }
func jbool(v any, path ...any) bool  { b, _ := jget(v, path...).(bool); return b }
func jint(v any, path ...any) int    { f, _ := jget(v, path...).(float64); return int(f) }
func jlist(v any, path ...any) []any { a, _ := jget(v, path...).([]any); return a }
func jstrs(v any, path ...any) []string {
	var out []string
	for _, x := range jlist(v, path...) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestFeedcheck(t *testing.T) {
	dir := feedcheckDir(t)
	m, entries := goldenInput()
	out := t.TempDir()
	files := map[string]string{}
	for _, w := range writers {
		p := filepath.Join(out, w.name)
		if err := os.WriteFile(p, render(t, w.name, m, entries), 0o644); err != nil {
			t.Fatal(err)
		}
		files[w.name] = p
	}

	// What every reader must find: the ids, the representative links and
	// the other copies as related links, in order.
	var ids, links []string
	var related [][]string
	for _, e := range entries {
		ids = append(ids, e.ID)
		links = append(links, asURI(e.Link))
		var rel []string
		for _, s := range e.Sources[1:] {
			rel = append(rel, asURI(s.URL))
		}
		related = append(related, rel)
	}
	n := len(entries)

	checks := []struct {
		name, tool, file string
		args             []string
		check            func(t *testing.T, r map[string]any)
	}{
		{"rss-lint", "rss-lint", feed.RSSFile, nil, func(t *testing.T, r map[string]any) {
			if !jbool(r, "valid") || len(jlist(r, "errors")) > 0 || jint(r, "items_count") != n {
				t.Errorf("valid %v, %d items, errors %v", jbool(r, "valid"), jint(r, "items_count"), jlist(r, "errors"))
			}
			// No language is known for the merged feed; nothing else is acceptable.
			for _, w := range jstrs(r, "warnings") {
				if w != "channel: no <language> (W3C: recommended)" {
					t.Errorf("warning: %s", w)
				}
			}
		}},
		{"atom-validate", "atom-validate", feed.AtomFile, []string{"--validator", "jing", "--strict"}, func(t *testing.T, r map[string]any) {
			if !jbool(r, "valid") || !jbool(r, "schema_valid") || !jbool(r, "schema", "jing", "valid") {
				t.Errorf("not valid: schema %v", jget(r, "schema"))
			}
			if len(jlist(r, "rule_errors")) > 0 || len(jlist(r, "warnings")) > 0 || jint(r, "entries_count") != n {
				t.Errorf("rule errors %v, warnings %v, %d entries", jlist(r, "rule_errors"), jlist(r, "warnings"), jint(r, "entries_count"))
			}
		}},
		{"jsonfeed-validate", "jsonfeed-validate", feed.JSONFile, nil, func(t *testing.T, r map[string]any) {
			if !jbool(r, "valid") || len(jlist(r, "errors")) > 0 || jint(r, "items_count") != n {
				t.Errorf("valid %v, %d items, errors %v", jbool(r, "valid"), jint(r, "items_count"), jlist(r, "errors"))
			}
			if len(jlist(r, "warnings")) > 0 || jstr(r, "version") != "https://jsonfeed.org/version/1.1" {
				t.Errorf("version %q, warnings %v", jstr(r, "version"), jlist(r, "warnings"))
			}
		}},
		{"feedparser/rss", "feedparser-dump", feed.RSSFile, nil, feedparserCheck("rss20", ids, links, related)},
		{"feedparser/atom", "feedparser-dump", feed.AtomFile, nil, feedparserCheck("atom10", ids, links, related)},
		{"newsboat/rss", "newsboat-check", feed.RSSFile, nil, newsboatCheck(m.Title, ids, links)},
		{"newsboat/atom", "newsboat-check", feed.AtomFile, nil, newsboatCheck(m.Title, ids, links)},
		{"feedsmith/json", "feedsmith-dump", feed.JSONFile, nil, feedsmithCheck("json", ids, links, nil)},
		{"feedsmith/rss", "feedsmith-dump", feed.RSSFile, nil, feedsmithCheck("rss", ids, links, related)},
		{"feedsmith/atom", "feedsmith-dump", feed.AtomFile, nil, feedsmithCheck("atom", ids, links, related)},
	}
	// Hostile and degenerate input must still give valid documents.
	hm, hentries := hostile()
	for _, w := range writers[:3] {
		p := filepath.Join(out, "hostile-"+w.name)
		if err := os.WriteFile(p, render(t, w.name, hm, hentries), 0o644); err != nil {
			t.Fatal(err)
		}
		files["hostile-"+w.name] = p
	}
	checks = append(checks, []struct {
		name, tool, file string
		args             []string
		check            func(t *testing.T, r map[string]any)
	}{
		{"hostile/rss-lint", "rss-lint", "hostile-" + feed.RSSFile, nil, func(t *testing.T, r map[string]any) {
			if !jbool(r, "valid") || jint(r, "items_count") != len(hentries) {
				t.Errorf("valid %v, %d items", jbool(r, "valid"), jint(r, "items_count"))
			}
			for _, w := range jstrs(r, "warnings") {
				if w != "channel: no <language> (W3C: recommended)" {
					t.Errorf("warning: %s", w)
				}
			}
		}},
		{"hostile/atom-validate", "atom-validate", "hostile-" + feed.AtomFile, []string{"--validator", "jing", "--strict"}, func(t *testing.T, r map[string]any) {
			if !jbool(r, "valid") || jint(r, "entries_count") != len(hentries) {
				t.Errorf("valid %v, %d entries", jbool(r, "valid"), jint(r, "entries_count"))
			}
		}},
		{"hostile/jsonfeed-validate", "jsonfeed-validate", "hostile-" + feed.JSONFile, nil, func(t *testing.T, r map[string]any) {
			if !jbool(r, "valid") || len(jlist(r, "warnings")) > 0 || jint(r, "items_count") != len(hentries) {
				t.Errorf("valid %v, warnings %v, %d items", jbool(r, "valid"), jlist(r, "warnings"), jint(r, "items_count"))
			}
		}},
	}...)
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runFeedcheck(t, dir, c.tool, append([]string{files[c.file]}, c.args...)...)
			c.check(t, r)
			if t.Failed() {
				b, _ := json.MarshalIndent(r, "", " ")
				t.Logf("%s output:\n%s", c.tool, b)
			}
		})
	}
}

func feedparserCheck(version string, ids, links []string, related [][]string) func(*testing.T, map[string]any) {
	return func(t *testing.T, r map[string]any) {
		if jbool(r, "bozo") || jstr(r, "version") != version || jint(r, "entries_count") != len(ids) {
			t.Fatalf("bozo %v (%s), version %q, %d entries", jbool(r, "bozo"), jstr(r, "bozo_exception"),
				jstr(r, "version"), jint(r, "entries_count"))
		}
		for i := range ids {
			e := jget(r, "entries", i)
			if jstr(e, "id") != ids[i] || jstr(e, "link") != links[i] {
				t.Errorf("entry %d: id %q link %q, want %q %q", i, jstr(e, "id"), jstr(e, "link"), ids[i], links[i])
			}
			if got := jstrs(e, "related"); !slices.Equal(got, related[i]) {
				t.Errorf("entry %d: related %v, want %v", i, got, related[i])
			}
			if jstr(e, "published_utc") == "" && jstr(e, "updated_utc") == "" {
				t.Errorf("entry %d: no date", i)
			}
		}
	}
}

func newsboatCheck(title string, ids, links []string) func(*testing.T, map[string]any) {
	return func(t *testing.T, r map[string]any) {
		if len(jlist(r, "errors")) > 0 || jstr(r, "feed", "title") != title {
			t.Errorf("errors %v, feed title %q", jlist(r, "errors"), jstr(r, "feed", "title"))
		}
		// newsboat keys items by guid: a lower count means repeated guids.
		if jint(r, "items_count") != len(ids) {
			t.Fatalf("%d items, want %d", jint(r, "items_count"), len(ids))
		}
		// It lists them newest first; compare as sets.
		var guids, got []string
		for _, it := range jlist(r, "items") {
			guids = append(guids, jstr(it, "guid"))
			got = append(got, jstr(it, "link"))
		}
		slices.Sort(guids)
		slices.Sort(got)
		wantIDs, wantLinks := slices.Clone(ids), slices.Clone(links)
		slices.Sort(wantIDs)
		slices.Sort(wantLinks)
		if !slices.Equal(guids, wantIDs) || !slices.Equal(got, wantLinks) {
			t.Errorf("guids %v links %v, want %v %v", guids, got, wantIDs, wantLinks)
		}
	}
}

func feedsmithCheck(format string, ids, links []string, related [][]string) func(*testing.T, map[string]any) {
	return func(t *testing.T, r map[string]any) {
		if !jbool(r, "ok") || jstr(r, "format") != format || jint(r, "items_count") != len(ids) {
			t.Fatalf("ok %v (%s), format %q, %d items", jbool(r, "ok"), jstr(r, "error"), jstr(r, "format"), jint(r, "items_count"))
		}
		if format == "json" && jstr(r, "json_version") != "https://jsonfeed.org/version/1.1" {
			t.Errorf("json_version %q", jstr(r, "json_version"))
		}
		for i := range ids {
			it := jget(r, "items", i)
			if jstr(it, "id") != ids[i] || jstr(it, "link") != links[i] {
				t.Errorf("item %d: id %q link %q, want %q %q", i, jstr(it, "id"), jstr(it, "link"), ids[i], links[i])
			}
			if format == "rss" && jget(it, "guid_is_permalink") != false {
				t.Errorf("item %d: guid isPermaLink %v", i, jget(it, "guid_is_permalink"))
			}
			if related != nil && !slices.Equal(jstrs(it, "related"), related[i]) {
				t.Errorf("item %d: related %v, want %v", i, jstrs(it, "related"), related[i])
			}
		}
	}
}

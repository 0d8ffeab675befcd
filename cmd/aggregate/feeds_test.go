package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aggregate-dev/aggregate/config"
)

// siteWithFeeds serves the seeds as feeds, a home page that advertises one
// of them, a page that advertises none, and things that are not feeds.
func siteWithFeeds(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	seeds := http.FileServer(http.Dir("../../seeds"))
	mux.Handle("/feeds/", http.StripPrefix("/feeds", seeds))
	page := func(head string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Global Research</title>\n" + head +
				"</head><body><h1>Global Research</h1><p>Articles.</p></body></html>\n"))
		}
	}
	mux.HandleFunc("/gr/", page(`<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/atom+xml" title="Global Research" href="/feeds/globalresearch.atom">
<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.xml">`))
	mux.HandleFunc("/plain/", page(`<link rel="stylesheet" href="/style.css">`))
	mux.HandleFunc("/broken.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Cut short`))
	})
	mux.HandleFunc("/text.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("just words, not a feed\n"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFeedsAddListRemove(t *testing.T) {
	srv := siteWithFeeds(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL+"/feeds/blog.json")
	original := readConfigFile(t, cfg)

	// A feed, with a name given after the URL.
	out, err := run(t, "feeds", "--config", cfg, "add", srv.URL+"/feeds/southfront.xml", "--name", `South "Front"`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "added "+srv.URL+"/feeds/southfront.xml") || !strings.Contains(out, "4 items") {
		t.Errorf("add says:\n%s", out)
	}
	// A web page: the feed it advertises first is added, not the page.
	out, err = run(t, "feeds", "--config", cfg, "add", srv.URL+"/gr/")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "it advertises the feed "+srv.URL+"/feeds/globalresearch.atom") {
		t.Errorf("add of a page says:\n%s", out)
	}
	want := original +
		"[[feed]]\nurl = \"" + srv.URL + "/feeds/southfront.xml\"\nname = \"South \\\"Front\\\"\"\n\n" +
		"[[feed]]\nurl = \"" + srv.URL + "/feeds/globalresearch.atom\"\n"
	if got := readConfigFile(t, cfg); got != want {
		t.Errorf("config is now\n%s\nwant\n%s", got, want)
	}

	// Refusals, each with its reason; the file stays as it is.
	for _, tt := range []struct{ url, want string }{
		{srv.URL + "/plain/", "is a web page that advertises no feed"},
		{srv.URL + "/broken.xml", "is not a feed: parse " + srv.URL + "/broken.xml"},
		{srv.URL + "/text.txt", "is not a feed"},
		{srv.URL + "/missing.xml", "status 404"},
		{"ftp://files.example/feed.xml", `scheme "ftp" is not supported`},
		{"http://127.0.0.1/feed.atom", "is the merged feed itself"},
	} {
		out, err := run(t, "feeds", "--config", cfg, "add", tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "not added") {
			t.Errorf("add %s: err = %v, want %q\n%s", tt.url, err, tt.want, out)
		}
		if got := readConfigFile(t, cfg); got != want {
			t.Errorf("add %s changed the config", tt.url)
		}
	}
	// Already there, directly or through its page: nothing to do.
	for _, u := range []string{srv.URL + "/feeds/southfront.xml", srv.URL + "/gr/"} {
		out, err := run(t, "feeds", "--config", cfg, "add", u)
		if err != nil || !strings.Contains(out, "already configured") {
			t.Errorf("add %s again: %v\n%s", u, err, out)
		}
	}

	// list, before any run and after one.
	out, err = run(t, "feeds", "--config", cfg, "list")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := strings.Count(out, "not fetched yet"); n != 3 {
		t.Errorf("before a run, %d feeds 'not fetched yet', want 3:\n%s", n, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "state.db")); err == nil {
		t.Error("feeds list created the store")
	}
	if out, err := run(t, "--once", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err = run(t, "feeds", "--config", cfg, "list")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "URL") || !strings.Contains(lines[0], "ITEMS") || !strings.Contains(lines[0], "STATUS") {
		t.Errorf("header: %q", lines[0])
	}
	for _, want := range [][]string{
		{"News from Syria", srv.URL + "/feeds/blog.json", " 1 ", "ok"},
		{`South "Front"`, srv.URL + "/feeds/southfront.xml", " 4 ", "ok"},
		{"Global Research", srv.URL + "/feeds/globalresearch.atom", " 4 ", "ok"},
	} {
		found := false
		for _, l := range lines {
			if strings.Contains(l, want[1]+" ") {
				found = true
				for _, w := range want {
					if !strings.Contains(l, w) {
						t.Errorf("line %q lacks %q", l, w)
					}
				}
			}
		}
		if !found {
			t.Errorf("list lacks %s:\n%s", want[1], out)
		}
	}
	if !strings.Contains(out, "3 feeds in "+cfg) {
		t.Errorf("list footer:\n%s", out)
	}

	// remove: exactly that block goes.
	out, err = run(t, "feeds", "--config", cfg, "remove", srv.URL+"/feeds/southfront.xml")
	if err != nil || !strings.Contains(out, "removed "+srv.URL+"/feeds/southfront.xml") {
		t.Fatalf("remove: %v\n%s", err, out)
	}
	want = original + "[[feed]]\nurl = \"" + srv.URL + "/feeds/globalresearch.atom\"\n"
	if got := readConfigFile(t, cfg); got != want {
		t.Errorf("after remove, config is\n%s\nwant\n%s", got, want)
	}
	out, err = run(t, "feeds", "--config", cfg, "remove", srv.URL+"/feeds/southfront.xml")
	if err == nil || !strings.Contains(err.Error(), "is not configured") {
		t.Errorf("second remove: %v\n%s", err, out)
	}
	// Still a config the program runs with.
	if out, err := run(t, "--once", "--config", cfg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// A feed given as a path is read relative to the config file, as the runs
// read it, and written as given.
func TestFeedsAddLocalFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "feeds"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "feeds", "sf.xml"), readSeed(t, "southfront.xml"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, "https://a.example/feed.xml")
	out, err := run(t, "feeds", "--config", cfg, "add", "feeds/sf.xml")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Feeds[len(c.Feeds)-1]; !reflect.DeepEqual(got, config.Feed{URL: "feeds/sf.xml"}) {
		t.Errorf("added %+v", got)
	}
}

// Into a config that has no feed yet (or no file at all), as a first
// session starts.
func TestFeedsAddToEmptyConfig(t *testing.T) {
	srv := siteWithFeeds(t)
	cfg := filepath.Join(t.TempDir(), "config.toml")
	for _, u := range []string{srv.URL + "/feeds/southfront.xml", srv.URL + "/gr/"} {
		if out, err := runEdit(t, cfg, "feeds", "add", u); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	want := "[[feed]]\nurl = \"" + srv.URL + "/feeds/southfront.xml\"\n\n[[feed]]\nurl = \"" + srv.URL + "/feeds/globalresearch.atom\"\n"
	if got := readConfigFile(t, cfg); got != want {
		t.Errorf("config is\n%s\nwant\n%s", got, want)
	}
	if out, err := runEdit(t, cfg, "feeds", "remove", srv.URL+"/feeds/southfront.xml"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, err := runEdit(t, cfg, "feeds", "remove", srv.URL+"/feeds/globalresearch.atom")
	if err != nil || !strings.Contains(out, "no feed is left") {
		t.Errorf("removing the last feed: %v\n%s", err, out)
	}
	if got := readConfigFile(t, cfg); got != "" {
		t.Errorf("config is %q", got)
	}
}

func TestFeedsUsage(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "https://a.example/feed.xml")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"feeds", "--config", cfg}, "feeds needs an action"},
		{[]string{"feeds", "--config", cfg, "frobnicate"}, `unknown action "frobnicate"`},
		{[]string{"feeds", "--config", cfg, "add"}, "feeds add takes one URL"},
		{[]string{"feeds", "--config", cfg, "remove"}, "feeds remove takes one URL"},
		{[]string{"feeds", "--config", cfg, "list", "x"}, "feeds list takes no arguments"},
		{[]string{"feeds", "--config", cfg, "--name", "N", "list"}, "--name is for feeds add"},
		{[]string{"export-opml", "--config", cfg, "x"}, "export-opml takes no arguments"},
	} {
		out, err := run(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q\n%s", tt.args, err, tt.want, out)
		}
	}
	// An unknown flag after the action prints the command's usage.
	out, err := run(t, "feeds", "--config", cfg, "add", "https://x.example/", "--nmae", "x")
	if err == nil || !strings.Contains(out, "Usage: aggregate feeds") {
		t.Errorf("bad flag: %v\n%s", err, out)
	}
}

// aggregate --help lists every command; help COMMAND shows its flags and an
// example.
func TestHelpListsCommands(t *testing.T) {
	out, err := run(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"feeds list|add|remove [URL]", "import-opml FILE", "export-opml", "status"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	for cmd, wants := range map[string][]string{
		"feeds":       {"Usage: aggregate feeds [flags] list|add|remove [URL]", "-name NAME", "-config", "aggregate feeds add https://", "aggregate feeds remove", "aggregate feeds list"},
		"import-opml": {"Usage: aggregate import-opml [flags] FILE", "newsboat -e", "aggregate import-opml"},
		"export-opml": {"-output FILE", "aggregate export-opml --output"},
	} {
		out, err := run(t, "help", cmd)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("help %s lacks %q:\n%s", cmd, w, out)
			}
		}
	}
}

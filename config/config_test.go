package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const minimal = `title = "t"
link = "http://127.0.0.1/"

[[feed]]
url = "feeds/a.xml"
`

func TestParseDefaults(t *testing.T) {
	c, err := Parse("/etc/agg/config.toml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if c.Output != d.Output || c.Store != d.Store || c.Fetch != d.Fetch || c.Dedupe != d.Dedupe || c.Schedule != d.Schedule {
		t.Errorf("defaults not applied: %+v", c)
	}
	if len(c.Feeds) != 1 || c.Feeds[0].URL != "feeds/a.xml" {
		t.Errorf("feeds = %+v", c.Feeds)
	}
	if got := c.Resolve("public"); got != "/etc/agg/public" {
		t.Errorf("Resolve(public) = %q", got)
	}
	if got := c.Resolve("/abs"); got != "/abs" {
		t.Errorf("Resolve(/abs) = %q", got)
	}
}

func TestParseValues(t *testing.T) {
	src := `title = "My merged feed"
link = "https://example.org/"
schedule = "*/10 * * * *"

[output]
dir = "out"
max_items = 20

[store]
path = "state.db"
keep = "7d"

[fetch]
timeout = "5s"

[dedupe]
containment = 0.7

[[feed]]
url = "https://a.example/feed"
name = "A"

[[feed]]
url = "file:///srv/b.atom"
`
	c, err := Parse("c.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Output.Dir != "out" || c.Output.MaxItems != 20 {
		t.Errorf("output = %+v", c.Output)
	}
	if c.Store.Keep.Duration != 7*24*time.Hour || c.Store.Path != "state.db" {
		t.Errorf("store = %+v", c.Store)
	}
	if c.Fetch.Timeout.Duration != 5*time.Second {
		t.Errorf("timeout = %v", c.Fetch.Timeout)
	}
	if c.Dedupe.Containment != 0.7 || c.Dedupe.Shingle != 5 {
		t.Errorf("dedupe = %+v", c.Dedupe)
	}
	if len(c.Feeds) != 2 || c.Feeds[0].Name != "A" {
		t.Errorf("feeds = %+v", c.Feeds)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		line     int
		key, msg string
	}{
		{"syntax", "title = \"t\"\nlink = \n", 2, "", ""},
		{"unknown top-level key", "colour = \"red\"\n" + minimal, 1, "colour", "unknown key"},
		{"unknown key after feed", minimal + "colour = \"red\"\n", 6, "feed.colour", "unknown key"},
		{"unknown key in table", "title = \"t\"\n[output]\ndir = \"x\"\nmaxitems = 3\n[[feed]]\nurl = \"a\"\n", 4, "output.maxitems", "unknown key"},
		{"unknown key in feed", minimal + "nmae = \"x\"\n", 6, "feed.nmae", "unknown key"},
		{"wrong type", "title = \"t\"\n[output]\nmax_items = \"many\"\n[[feed]]\nurl = \"a\"\n", 3, "", ""},
		{"bad duration", "[store]\nkeep = \"forever\"\n[[feed]]\nurl = \"a\"\n", 2, "", "invalid duration"},
		{"bad schedule", "schedule = \"every now and then\"\n[[feed]]\nurl = \"a\"\n", 1, "schedule", "cron"},
		{"bad link", "link = \"/relative\"\n[[feed]]\nurl = \"a\"\n", 1, "link", "absolute"},
		{"no feeds", "title = \"t\"\n", 0, "feed", "no [[feed]]"},
		{"feed without url", "[[feed]]\nname = \"x\"\n", 1, "feed[1].url", "missing"},
		{"bad scheme", "[[feed]]\nurl = \"a\"\n\n[[feed]]\nurl = \"ftp://x/y\"\n", 5, "feed[2].url", "not supported"},
		{"duplicate feed", "[[feed]]\nurl = \"a\"\n[[feed]]\nurl = \"a\"\n", 4, "feed[2].url", "already feed 1"},
		{"bad threshold", "[dedupe]\ncontainment = 1.5\n[[feed]]\nurl = \"a\"\n", 2, "dedupe.containment", "(0, 1]"},
		{"zero max items", "[output]\nmax_items = 0\n[[feed]]\nurl = \"a\"\n", 2, "output.max_items", "at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("conf.toml", []byte(tt.src))
			if err == nil {
				t.Fatal("accepted")
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *config.Error", err, err)
			}
			if ce.File != "conf.toml" || ce.Line != tt.line {
				t.Errorf("at %s:%d, want conf.toml:%d (%v)", ce.File, ce.Line, tt.line, err)
			}
			if tt.key != "" && ce.Key != tt.key {
				t.Errorf("key %q, want %q", ce.Key, tt.key)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("%q does not say %q", err, tt.msg)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
}

// The shipped config.toml must load: it is what a fresh clone runs.
func TestShippedConfig(t *testing.T) {
	c, err := Load("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Feeds) < 3 {
		t.Errorf("shipped config has %d feeds", len(c.Feeds))
	}
	if c.Dedupe != Default().Dedupe {
		t.Errorf("shipped [dedupe] %+v differs from the documented defaults %+v", c.Dedupe, Default().Dedupe)
	}
}

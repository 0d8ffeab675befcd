package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// handWritten is a config as a person keeps it: comments above, beside and
// between the blocks, an odd order, a block in the middle of the feeds.
const handWritten = `# My aggregate.
title = "Mine"   # shown in readers

[output]
dir = "out"

# --- sources ---

# South Front: the originals.
[[feed]]
url = "https://southfront.example/feed/"
name = "South Front"

# Global Research republishes them.
[[feed]]   # the copies
# its Atom feed
url = "https://globalresearch.example/feed.atom"
name = "Global Research"

[fetch]
timeout = "10s"

[[feed]]
url = "seeds/blog.json"
`

func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noLitter checks that no temporary file was left beside the config.
func noLitter(t *testing.T, p string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != filepath.Base(p) && !strings.HasSuffix(e.Name(), ".link") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestAppendFeeds(t *testing.T) {
	tests := []struct {
		name           string
		before         string
		feeds          []Feed
		after          string
		added, skipped int
	}{
		{
			name:   "hand-written file keeps every byte",
			before: handWritten,
			feeds: []Feed{
				{URL: "https://southfront.example/feed/", Name: "another name"}, // already there
				{URL: " https://new.example/rss.xml ", Name: " New & \"quoted\" \\ back\tslash "},
				{URL: "https://new.example/rss.xml"}, // twice in one import
				{URL: "https://ünï.example/flux", Name: "Café — 日本\x01"},
			},
			after: handWritten + `
[[feed]]
url = "https://new.example/rss.xml"
name = "New & \"quoted\" \\ back\tslash"

[[feed]]
url = "https://ünï.example/flux"
name = "Café — 日本\u0001"
`,
			added: 2, skipped: 2,
		},
		{
			name:   "empty file",
			before: "",
			feeds:  []Feed{{URL: "https://a.example/feed"}},
			after:  "[[feed]]\nurl = \"https://a.example/feed\"\n",
			added:  1,
		},
		{
			name:   "no newline at the end, ending in a comment",
			before: "title = \"t\"\n# the end",
			feeds:  []Feed{{URL: "file:///srv/feeds/a.xml", Name: "A"}},
			after:  "title = \"t\"\n# the end\n\n[[feed]]\nurl = \"file:///srv/feeds/a.xml\"\nname = \"A\"\n",
			added:  1,
		},
		{
			name:   "a blank line at the end already",
			before: "title = \"t\"\n\n",
			feeds:  []Feed{{URL: "feeds/local.xml"}},
			after:  "title = \"t\"\n\n[[feed]]\nurl = \"feeds/local.xml\"\n",
			added:  1,
		},
		{
			name:   "CRLF file is appended to, not rewritten",
			before: "title = \"t\"\r\n[[feed]]\r\nurl = \"https://a.example/\"\r\n",
			feeds:  []Feed{{URL: "https://b.example/"}},
			after:  "title = \"t\"\r\n[[feed]]\r\nurl = \"https://a.example/\"\r\n\n[[feed]]\nurl = \"https://b.example/\"\n",
			added:  1,
		},
		{
			name:    "nothing new: the file is not touched",
			before:  handWritten,
			feeds:   []Feed{{URL: "seeds/blog.json"}},
			after:   handWritten,
			skipped: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.before, 0o640)
			added, skipped, err := AppendFeeds(p, tt.feeds)
			if err != nil {
				t.Fatal(err)
			}
			if added != tt.added || skipped != tt.skipped {
				t.Errorf("added %d, skipped %d; want %d, %d", added, skipped, tt.added, tt.skipped)
			}
			if got := readFile(t, p); got != tt.after {
				t.Errorf("file is now\n%q\nwant\n%q", got, tt.after)
			}
			if info, err := os.Stat(p); err != nil || info.Mode().Perm() != 0o640 {
				t.Errorf("mode %v (%v), want 0640 kept", info.Mode(), err)
			}
			noLitter(t, p)
			c, err := Load(p)
			if err != nil {
				t.Fatalf("the result does not load: %v", err)
			}
			if n := strings.Count(tt.after, "[[feed]]"); len(c.Feeds) != n {
				t.Errorf("%d feeds load, want %d", len(c.Feeds), n)
			}
		})
	}
}

// Names and URLs come from other programs' files: whatever they hold, they
// come back from the TOML unchanged.
func TestAppendFeedsEscapes(t *testing.T) {
	names := []string{`"`, `\`, `\"`, "a\nb", "tab\there", "nul\x00", "del\x7f", "esc\x1b[31m", `'''`, `"""`, "#not a comment", "]] [[feed]]", "emoji 🗞️", "line\u2028sep"}
	p := writeFile(t, "", 0o644)
	var feeds []Feed
	for i, n := range names {
		feeds = append(feeds, Feed{URL: "https://x.example/" + strings.Repeat("a", i+1), Name: n})
	}
	if _, _, err := AppendFeeds(p, feeds); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range c.Feeds {
		if f.Name != names[i] {
			t.Errorf("name %q came back as %q", names[i], f.Name)
		}
	}
	if _, _, err := AppendFeeds(p, []Feed{{URL: "https://y.example/", Name: "bad \xff utf-8"}}); err == nil {
		t.Error("invalid UTF-8 was written")
	}
}

func TestAppendFeedsCreatesMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "new.toml")
	if _, err := LoadForEdit(p); err != nil {
		t.Fatalf("LoadForEdit on a missing file: %v", err)
	}
	added, _, err := AppendFeeds(p, []Feed{{URL: "https://a.example/feed", Name: "A"}})
	if err != nil || added != 1 {
		t.Fatalf("added %d: %v", added, err)
	}
	if got, want := readFile(t, p), "[[feed]]\nurl = \"https://a.example/feed\"\nname = \"A\"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if info, _ := os.Stat(p); info.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v", info.Mode())
	}
}

func TestAppendFeedsFollowsSymlink(t *testing.T) {
	real := writeFile(t, "title = \"t\"\n", 0o600)
	link := real + ".link"
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if _, _, err := AppendFeeds(link, []Feed{{URL: "https://a.example/"}}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file")
	}
	if got := readFile(t, real); !strings.Contains(got, "https://a.example/") {
		t.Errorf("the target was not edited: %q", got)
	}
	noLitter(t, real)
}

// Whatever goes wrong, the file stays as it was.
func TestAppendFeedsRefusals(t *testing.T) {
	tests := []struct {
		name, before string
		feeds        []Feed
		want         string
	}{
		{"unsupported scheme", handWritten, []Feed{{URL: "https://ok.example/"}, {URL: "ftp://a.example/feed"}}, `scheme "ftp" is not supported`},
		{"empty URL", handWritten, []Feed{{URL: "  "}}, "empty URL"},
		{"broken config", "title = \"t\"\n[output]\nmax_itms = 3\n", []Feed{{URL: "https://a.example/"}}, "output.max_itms: unknown key"},
		{"not TOML", "title = \n", []Feed{{URL: "https://a.example/"}}, "config.toml:1"},
		// The file ends inside a table where [[feed]] cannot follow: the
		// check of the result catches what the existing file hid.
		{"unterminated multi-line string", "description = \"\"\"\nno end\n", []Feed{{URL: "https://a.example/"}}, "config.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.before, 0o644)
			_, _, err := AppendFeeds(p, tt.feeds)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if got := readFile(t, p); got != tt.before {
				t.Errorf("file changed to %q", got)
			}
			noLitter(t, p)
		})
	}
}

func TestRemoveFeed(t *testing.T) {
	tests := []struct {
		name, before, url, after string
	}{
		{
			name:   "first feed: the comment above it is the section's and stays, the one below is the next feed's",
			before: handWritten,
			url:    "https://southfront.example/feed/",
			after: `# My aggregate.
title = "Mine"   # shown in readers

[output]
dir = "out"

# --- sources ---

# South Front: the originals.
# Global Research republishes them.
[[feed]]   # the copies
# its Atom feed
url = "https://globalresearch.example/feed.atom"
name = "Global Research"

[fetch]
timeout = "10s"

[[feed]]
url = "seeds/blog.json"
`,
		},
		{
			name:   "a feed with comments among its keys, before another table",
			before: handWritten,
			url:    "https://globalresearch.example/feed.atom",
			after: `# My aggregate.
title = "Mine"   # shown in readers

[output]
dir = "out"

# --- sources ---

# South Front: the originals.
[[feed]]
url = "https://southfront.example/feed/"
name = "South Front"

# Global Research republishes them.
[fetch]
timeout = "10s"

[[feed]]
url = "seeds/blog.json"
`,
		},
		{
			name:   "the last block: the blank lines before it go too",
			before: handWritten,
			url:    "seeds/blog.json",
			after: `# My aggregate.
title = "Mine"   # shown in readers

[output]
dir = "out"

# --- sources ---

# South Front: the originals.
[[feed]]
url = "https://southfront.example/feed/"
name = "South Front"

# Global Research republishes them.
[[feed]]   # the copies
# its Atom feed
url = "https://globalresearch.example/feed.atom"
name = "Global Research"

[fetch]
timeout = "10s"
`,
		},
		{
			name:   "CRLF",
			before: "title = \"t\"\r\n\r\n[[feed]]\r\nurl = \"a/feed.xml\"\r\n\r\n[[feed]]\r\nurl = \"b/feed.xml\"\r\n",
			url:    "a/feed.xml",
			after:  "title = \"t\"\r\n\r\n[[feed]]\r\nurl = \"b/feed.xml\"\r\n",
		},
		{
			name:   "the only feed: the file then has none, which LoadForEdit accepts",
			before: "title = \"t\"\n\n[[feed]]\nurl = \"https://a.example/\"\n",
			url:    "https://a.example/",
			after:  "title = \"t\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.before, 0o600)
			if err := RemoveFeed(p, tt.url); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, p); got != tt.after {
				t.Errorf("file is now\n%s\nwant\n%s", got, tt.after)
			}
			if info, _ := os.Stat(p); info.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600 kept", info.Mode())
			}
			noLitter(t, p)
			c, err := LoadForEdit(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range c.Feeds {
				if f.URL == tt.url {
					t.Errorf("%s is still configured", tt.url)
				}
			}
		})
	}
}

func TestRemoveFeedRefusals(t *testing.T) {
	tests := []struct {
		name, before, url, want string
	}{
		{"not configured", handWritten, "https://nope.example/", `no [[feed]] has url "https://nope.example/"`},
		{"broken config", handWritten + "bogus = 1\n", "seeds/blog.json", "unknown key"},
		{
			// A line of a multi-line string that looks like a table header:
			// the line edit would cut the string, and the check sees it.
			"multi-line string", "[[feed]]\nurl = \"https://a.example/\"\nname = \"\"\"A\n[not a header]\n\"\"\"\n\n[[feed]]\nurl = \"https://b.example/\"\n",
			"https://a.example/", "would break",
		},
		{"inline array of tables", "feed = [{url = \"https://a.example/\"}, {url = \"https://b.example/\"}]\n", "https://a.example/", "not all written as [[feed]] blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.before, 0o644)
			err := RemoveFeed(p, tt.url)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
			if got := readFile(t, p); got != tt.before {
				t.Errorf("file changed to %q", got)
			}
			noLitter(t, p)
		})
	}
	if err := RemoveFeed(filepath.Join(t.TempDir(), "missing.toml"), "x"); err == nil {
		t.Error("removing from a missing file succeeded")
	}
}

func TestLoadForEdit(t *testing.T) {
	p := writeFile(t, "title = \"t\"\n", 0o644)
	c, err := LoadForEdit(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Title != "t" || len(c.Feeds) != 0 || c.Output.Dir != "public" || !filepath.IsAbs(c.Path) {
		t.Errorf("got %+v", c)
	}
	if _, err := Load(p); err == nil {
		t.Error("Load accepts a file without feeds; LoadForEdit is the lenient one")
	}
	// Everything else is still checked.
	p = writeFile(t, "title = \"\"\n", 0o644)
	if _, err := LoadForEdit(p); err == nil || !strings.Contains(err.Error(), "title") {
		t.Errorf("empty title: %v", err)
	}
	// A file with feeds reads exactly as Load reads it.
	p = writeFile(t, handWritten, 0o644)
	a, err1 := Load(p)
	b, err2 := LoadForEdit(p)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(a, b) {
		t.Errorf("Load and LoadForEdit differ: %v %v", err1, err2)
	}
}

func TestTOMLString(t *testing.T) {
	for _, s := range []string{"", "plain", "ü", "\x00\x1f\x7f", "\b\f\r\n\t", `C:\path\"x"`} {
		q, err := tomlString(s)
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ S string }
		if _, err := toml.Decode("S = "+q, &v); err != nil || v.S != s {
			t.Errorf("%q -> %s -> %q (%v)", s, q, v.S, err)
		}
	}
}

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/opml"
)

// runEdit runs a command on the config at cfgPath, as the binary would.
func runEdit(t *testing.T, cfgPath string, args ...string) (string, error) {
	t.Helper()
	return run(t, append(args, "--config", cfgPath)...)
}

func readConfigFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func loadFeeds(t *testing.T, p string) []config.Feed {
	t.Helper()
	c, err := config.LoadForEdit(p)
	if err != nil {
		t.Fatal(err)
	}
	return c.Feeds
}

// An export from a real reader: newsboat, subscribed to the seeds served
// over HTTP (one renamed with "~", one it cannot read), writes its OPML with
// `newsboat -e`; aggregate imports it into a config that already has one of
// the feeds, and the next run reads them all.
func TestImportOPMLFromNewsboat(t *testing.T) {
	newsboat, err := exec.LookPath("newsboat")
	if err != nil {
		if os.Getenv("AGGREGATE_SKIP_FEEDCHECK") == "1" {
			t.Skip("AGGREGATE_SKIP_FEEDCHECK=1 and newsboat missing")
		}
		t.Fatal("newsboat is needed (bash .ci/install)")
	}
	srv := serveSeeds(t)
	home := t.TempDir()
	urls := srv.URL + "/southfront.xml syria \"~South Front (renamed)\"\n" +
		srv.URL + "/globalresearch.atom syria\n" +
		srv.URL + "/blog.json\n" +
		"\"query:Unread:unread = \\\"yes\\\"\"\n"
	if err := os.WriteFile(filepath.Join(home, "urls"), []byte(urls), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	nb := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(newsboat, append([]string{"-u", "urls", "-c", "cache.db", "-C", "config"}, args...)...)
		cmd.Dir = home
		cmd.Env = append(os.Environ(), "HOME="+home, "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("newsboat %v: %v\n%s", args, err, stderr.String())
		}
		return out
	}
	nb("-x", "reload")
	export := nb("-e")
	exportPath := filepath.Join(home, "newsboat.opml")
	if err := os.WriteFile(exportPath, export, 0o644); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(export, []byte(`<opml version="1.0">`)) {
		t.Fatalf("not what newsboat 2.x exports:\n%s", export)
	}

	dir := t.TempDir()
	cfg := writeConfig(t, dir, srv.URL+"/southfront.xml")
	before := readConfigFile(t, cfg)
	out, err := run(t, "import-opml", "--config", cfg, exportPath)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "added 2, skipped 1 (already configured)") {
		t.Errorf("import says:\n%s", out)
	}
	after := readConfigFile(t, cfg)
	// Everything that was there is still there, byte for byte; the new
	// blocks follow. newsboat knows Global Research's title; it cannot
	// read JSON Feed, so the blog comes without a name.
	want := before + "[[feed]]\nurl = \"" + srv.URL + "/globalresearch.atom\"\nname = \"Global Research\"\n\n" +
		"[[feed]]\nurl = \"" + srv.URL + "/blog.json\"\n"
	if after != want {
		t.Errorf("config is now\n%s\nwant\n%s", after, want)
	}
	if out, err := run(t, "--once", "--config", cfg); err != nil {
		t.Fatalf("the run after the import: %v\n%s", err, out)
	} else if !strings.Contains(out, "entries=5") || !strings.Contains(out, "feeds_ok=3") {
		t.Errorf("the run after the import:\n%s", out)
	}
}

// Export, then import into an empty config: the same feeds, names and
// order; the merged feed itself is not imported.
func TestOPMLRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "config.toml")
	err := os.WriteFile(src, []byte(`title = "Round & \"trip\""
link = "https://news.example.org/"

[server]
base_url = "https://news.example.org/merged/"

[[feed]]
url = "https://a.example/feed.xml"
name = "A & B <co>"

[[feed]]
url = "https://b.example/rss?x=1&y=2"

[[feed]]
url = "seeds/local.xml"
name = "Local \\ \"quoted\""

[[feed]]
url = "file:///srv/feeds/c.atom"
name = "Ünïcödé — 日本"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	want := loadFeeds(t, src)

	out, err := run(t, "export-opml", "--config", src)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	exported := filepath.Join(dir, "feeds.opml")
	if out, err := run(t, "export-opml", "--config", src, "--output", exported); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if file := readConfigFile(t, exported); file != out {
		t.Errorf("--output wrote\n%s\nstdout had\n%s", file, out)
	}
	outlines, err := opml.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(outlines) != 5 || outlines[0].XMLURL != "https://news.example.org/merged/feed.atom" || outlines[0].Title != `Round & "trip"` {
		t.Errorf("the merged feed comes first: %+v", outlines)
	}
	for _, s := range []string{`<opml version="2.0">`, "<dateCreated>Sun, 22 Nov 2026 12:00:00 GMT</dateCreated>", `htmlUrl="https://news.example.org/"`} {
		if !strings.Contains(out, s) {
			t.Errorf("export lacks %s:\n%s", s, out)
		}
	}

	empty := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runEdit(t, empty, "import-opml", exported)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "added 4, skipped 0 (already configured)") || !strings.Contains(out, "is the merged feed itself") {
		t.Errorf("import says:\n%s", out)
	}
	if got := loadFeeds(t, empty); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// The result is a config the program runs with.
	if _, err := config.Load(empty); err != nil {
		t.Error(err)
	}
	// A second import adds nothing and leaves the file alone.
	before := readConfigFile(t, empty)
	out, err = run(t, "import-opml", "--config", empty, exported)
	if err != nil || !strings.Contains(out, "added 0, skipped 4 (already configured)") {
		t.Errorf("second import: %v\n%s", err, out)
	}
	if readConfigFile(t, empty) != before {
		t.Error("a second import changed the file")
	}
	// Re-importing into the config it came from: nothing new, and the
	// merged feed is recognised by its URL as well as by its tag.
	out, err = run(t, "import-opml", "--config", src, exported)
	if err != nil || !strings.Contains(out, "added 0, skipped 4 (already configured)") {
		t.Errorf("import into the source config: %v\n%s", err, out)
	}
}

// newsboat reads what export-opml writes, folders and all.
func TestExportOPMLReadByNewsboat(t *testing.T) {
	newsboat, err := exec.LookPath("newsboat")
	if err != nil {
		if os.Getenv("AGGREGATE_SKIP_FEEDCHECK") == "1" {
			t.Skip("AGGREGATE_SKIP_FEEDCHECK=1 and newsboat missing")
		}
		t.Fatal("newsboat is needed (bash .ci/install)")
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "https://a.example/feed.xml", "https://b.example/rss?x=1&y=2")
	exported := filepath.Join(dir, "out.opml")
	if out, err := run(t, "export-opml", "--config", cfg, "--output", exported); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	home := t.TempDir()
	cmd := exec.Command(newsboat, "-u", filepath.Join(home, "urls"), "-c", filepath.Join(home, "cache.db"), "-C", os.DevNull, "-i", exported)
	cmd.Env = append(os.Environ(), "HOME="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("newsboat -i: %v\n%s", err, out)
	}
	got := strings.Fields(readConfigFile(t, filepath.Join(home, "urls")))
	want := []string{"http://127.0.0.1/feed.atom", "https://a.example/feed.xml", "https://b.example/rss?x=1&y=2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("newsboat imported %q, want %q", got, want)
	}
}

func TestImportOPMLRefusals(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "https://a.example/feed.xml")
	before := readConfigFile(t, cfg)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not XML", []string{write("a.opml", "just some text\n")}, "a.opml: opml: not an XML document"},
		{"no body", []string{write("b.opml", "<opml version=\"2.0\"><head/></opml>")}, "b.opml: opml: no <body>"},
		{"no feeds", []string{write("c.opml", "<opml version=\"2.0\"><body><outline text=\"folder\"/></body></opml>")}, "c.opml: no feeds in it"},
		{"missing file", []string{filepath.Join(dir, "nope.opml")}, "no such file"},
		{"no file", nil, "import-opml takes one FILE"},
		{"two files", []string{"x", "y"}, "import-opml takes one FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, append([]string{"import-opml", "--config", cfg}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q\n%s", err, tt.want, out)
			}
			if readConfigFile(t, cfg) != before {
				t.Error("the config changed")
			}
		})
	}
	// A feed URL aggregate cannot read is refused, the others are added.
	p := write("d.opml", `<opml version="2.0"><body>
<outline text="ftp" xmlUrl="ftp://files.example/feed.xml"/>
<outline text="ok" xmlUrl="https://ok.example/feed"/>
</body></opml>`)
	out, err := run(t, "import-opml", "--config", cfg, p)
	if err != nil || !strings.Contains(out, "added 1, skipped 0 (already configured), refused 1") || !strings.Contains(out, `scheme "ftp" is not supported`) {
		t.Errorf("%v\n%s", err, out)
	}
}

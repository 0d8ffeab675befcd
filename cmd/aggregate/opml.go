package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/feed"
	"github.com/aggregate-dev/aggregate/opml"
)

// mergedTag marks, in an export, the outline of the merged feed itself, so
// that importing the export elsewhere does not subscribe aggregate to its
// own output.
const mergedTag = "aggregate-merged"

func importOPMLCommand() command {
	return command{
		name:    "import-opml",
		args:    "FILE",
		summary: "add every feed of an OPML file (another reader's export) to the config file",
		example: "aggregate import-opml --config /etc/aggregate/config.toml subscriptions.opml\n" +
			"  newsboat -e > subs.opml && aggregate import-opml subs.opml",
		noStore:     true,
		editsConfig: true,
		run: func(ctx context.Context, m *Main, e *env, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("import-opml takes one FILE, the OPML file to import (got %d arguments)", len(args))
			}
			return m.importOPML(e, args[0])
		},
	}
}

// importOPML appends a [[feed]] block for each feed of the OPML file that
// the config does not have yet.
func (m *Main) importOPML(e *env, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	outlines, err := opml.Parse(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if len(outlines) == 0 {
		return fmt.Errorf("%s: no feeds in it (no outline has an xmlUrl)", file)
	}
	own := ownFeedURLs(e.cfg)
	var feeds []config.Feed
	self, refused := 0, 0
	for _, o := range outlines {
		if slices.Contains(o.Tags, mergedTag) || own[o.XMLURL] {
			self++
			fmt.Fprintf(m.Stdout, "not added: %s is the merged feed itself\n", o.XMLURL)
			continue
		}
		if err := config.CheckFeedURL(o.XMLURL); err != nil {
			refused++
			fmt.Fprintf(m.Stderr, "not added: %v\n", err)
			continue
		}
		feeds = append(feeds, config.Feed{URL: o.XMLURL, Name: o.Title})
	}
	added, skipped := 0, 0
	if len(feeds) > 0 {
		if added, skipped, err = config.AppendFeeds(e.configPath, feeds); err != nil {
			return err
		}
	}
	fmt.Fprintf(m.Stdout, "added %d, skipped %d (already configured)", added, skipped)
	if refused > 0 {
		fmt.Fprintf(m.Stdout, ", refused %d (not a feed URL aggregate can read)", refused)
	}
	fmt.Fprintln(m.Stdout)
	if added > 0 {
		fmt.Fprintf(m.Stdout, "%s now lists %d feeds; the next run fetches the new ones\n", e.configPath, len(e.cfg.Feeds)+added)
	}
	return nil
}

func exportOPMLCommand() command {
	var output *string
	return command{
		name:    "export-opml",
		summary: "write the configured feeds, and the merged feed itself, as an OPML 2.0 file for other readers",
		example: "aggregate export-opml --output subscriptions.opml",
		noStore: true,
		flags: func(f *flag.FlagSet) {
			output = f.String("output", "", "write to `FILE` instead of standard output")
		},
		run: func(ctx context.Context, m *Main, e *env, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("export-opml takes no arguments, got %q (--output FILE names the file)", args[0])
			}
			return m.exportOPML(e.cfg, *output)
		},
	}
}

// exportOPML writes the merged feed and then every configured feed, as
// they are written in the config (names, and paths as given).
func (m *Main) exportOPML(cfg *config.Config, output string) error {
	outlines := []opml.Outline{{
		Title:   cfg.Title,
		XMLURL:  mergedFeedBase(cfg) + feed.AtomFile,
		HTMLURL: cfg.Link,
		Tags:    []string{mergedTag},
	}}
	for _, f := range cfg.Feeds {
		outlines = append(outlines, opml.Outline{Title: f.Name, XMLURL: f.URL})
	}
	var b bytes.Buffer
	if err := opml.Write(&b, cfg.Title, m.Clock.Now(), outlines); err != nil {
		return err
	}
	if output == "" {
		_, err := m.Stdout.Write(b.Bytes())
		return err
	}
	if err := writeFileAtomic(output, b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "wrote %d feeds and the merged feed to %s\n", len(cfg.Feeds), output)
	return nil
}

// mergedFeedBase is where the merged feeds are served, ending in "/":
// [server] base_url, else the home page (link), as the feeds' self links
// have it.
func mergedFeedBase(cfg *config.Config) string {
	b := cfg.Server.BaseURL
	if b == "" {
		b = cfg.Link
	}
	if !strings.HasSuffix(b, "/") {
		b += "/"
	}
	return b
}

// ownFeedURLs are the merged feed's own URLs, which must never become one
// of its sources.
func ownFeedURLs(cfg *config.Config) map[string]bool {
	own := map[string]bool{}
	for _, base := range []string{cfg.Server.BaseURL, cfg.Link} {
		if base == "" {
			continue
		}
		if !strings.HasSuffix(base, "/") {
			base += "/"
		}
		for _, name := range []string{feed.RSSFile, feed.AtomFile, feed.JSONFile} {
			own[base+name] = true
		}
	}
	return own
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so that a reader never sees half of it.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/feed"
	"github.com/aggregate-dev/aggregate/fetch"
	"github.com/aggregate-dev/aggregate/store"
)

func feedsCommand() command {
	var name *string
	return command{
		name:    "feeds",
		args:    "list|add|remove [URL]",
		summary: "list the feeds with their state, or add (checked first) or remove one in the config file",
		example: "aggregate feeds list\n" +
			"  aggregate feeds add https://example.org/blog/ --name \"Example blog\"   (a page that advertises its feed will do)\n" +
			"  aggregate feeds remove https://example.org/blog/feed.xml\n" +
			"  aggregate feeds --config /etc/aggregate/config.toml list",
		noStore:     true, // list opens the store itself, read as it is; add and remove never touch it
		editsConfig: true,
		flags: func(f *flag.FlagSet) {
			name = f.String("name", "", "feeds add: the `NAME` the source is shown under (default: the feed's own title)")
		},
		run: func(ctx context.Context, m *Main, e *env, args []string) error {
			if len(args) == 0 {
				return errors.New("feeds needs an action: list, add URL or remove URL (aggregate help feeds)")
			}
			action, args := args[0], args[1:]
			if *name != "" && action != "add" {
				return fmt.Errorf("--name is for feeds add, not feeds %s", action)
			}
			switch action {
			case "list", "ls":
				if len(args) > 0 {
					return fmt.Errorf("feeds list takes no arguments, got %q", args[0])
				}
				return m.feedsList(ctx, e)
			case "add":
				if len(args) != 1 {
					return errors.New("feeds add takes one URL: aggregate feeds add URL [--name NAME]")
				}
				return m.feedsAdd(ctx, e, args[0], *name)
			case "remove", "rm":
				if len(args) != 1 {
					return errors.New("feeds remove takes one URL, as feeds list shows it")
				}
				return m.feedsRemove(e, args[0])
			default:
				return fmt.Errorf("feeds: unknown action %q (list, add or remove)", action)
			}
		},
	}
}

// feedsList prints each configured feed with what the store knows of it.
func (m *Main) feedsList(ctx context.Context, e *env) error {
	states := map[string]store.FeedState{}
	path := e.cfg.Resolve(e.cfg.Store.Path)
	if _, err := os.Stat(path); err == nil {
		if m.db == nil {
			if m.db, err = store.Open(ctx, path); err != nil {
				return err
			}
		}
		all, err := m.db.Feeds(ctx)
		if err != nil {
			return err
		}
		for _, s := range all {
			states[s.URL] = s
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tURL\tITEMS\tSTATUS")
	for _, f := range e.cfg.Feeds {
		s, known := states[f.URL]
		name := f.Name
		if name == "" {
			name = s.Title
		}
		status := "not fetched yet"
		if known {
			status = feedStatus(s)
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", oneLine(dash(name), 40), f.URL, s.Items, status)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "\n%d feeds in %s\n", len(e.cfg.Feeds), e.configPath)
	return nil
}

func feedStatus(s store.FeedState) string {
	switch s.LastStatus {
	case "":
		return "not fetched yet"
	case store.StatusError:
		msg := "error"
		if s.Failures > 1 {
			msg = fmt.Sprintf("error (%d failures in a row)", s.Failures)
		}
		if s.LastError != "" {
			msg += ": " + oneLine(s.LastError, 100)
		}
		return msg
	case store.StatusNotModified:
		return "ok (not modified)"
	}
	return s.LastStatus
}

// oneLine folds white space and cuts s to at most max runes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}

// feedsAdd fetches rawURL and, if it is a feed, appends it to the config;
// if it is a web page that advertises a feed, that feed is added instead.
func (m *Main) feedsAdd(ctx context.Context, e *env, rawURL, name string) error {
	u := strings.TrimSpace(rawURL)
	if err := config.CheckFeedURL(u); err != nil {
		return fmt.Errorf("not added: %w", err)
	}
	if configured(e.cfg, u) {
		fmt.Fprintf(m.Stdout, "%s is already configured\n", u)
		return nil
	}
	if ownFeedURLs(e.cfg)[u] {
		return fmt.Errorf("not added: %s is the merged feed itself", u)
	}
	cfg := e.cfg
	fetcher := fetch.New(fetch.Options{
		Timeout:      cfg.Fetch.Timeout.Duration,
		MaxBodyBytes: int64(cfg.Fetch.MaxBodyMB) << 20,
		UserAgent:    cfg.Fetch.UserAgent,
		BaseDir:      cfg.Resolve("."),
		Now:          m.Clock.Now,
		Logger:       e.log,
	})
	parser := feed.NewParser()
	get := func(u string) (*fetch.Result, *feed.Feed, error) {
		res, err := fetcher.Fetch(ctx, fetch.Request{URL: u})
		if err != nil {
			return nil, nil, err
		}
		f, err := parser.Parse(u, res.Body)
		return res, f, err
	}
	res, f, err := get(u)
	if res == nil {
		return fmt.Errorf("not added: %w", err)
	}
	if err != nil {
		if !feed.LooksLikeHTML(res.Body) {
			return fmt.Errorf("not added: %s is not a feed: %w", u, err)
		}
		base := res.FinalURL
		if base == "" {
			base = u
		}
		links := feed.Discover(res.Body, base)
		if len(links) == 0 {
			return fmt.Errorf("not added: %s is a web page that advertises no feed (no <link rel=\"alternate\"> to RSS, Atom or JSON Feed); give the feed's own URL", u)
		}
		page := u
		u = links[0]
		fmt.Fprintf(m.Stdout, "%s is a web page; it advertises the feed %s\n", page, u)
		if configured(e.cfg, u) {
			fmt.Fprintf(m.Stdout, "%s is already configured\n", u)
			return nil
		}
		if _, f, err = get(u); err != nil {
			return fmt.Errorf("not added: %s advertises %s, which cannot be read: %w", page, u, err)
		}
	}
	added, _, err := config.AppendFeeds(e.configPath, []config.Feed{{URL: u, Name: name}})
	if err != nil {
		return err
	}
	if added == 0 { // someone added it meanwhile
		fmt.Fprintf(m.Stdout, "%s is already configured\n", u)
		return nil
	}
	shown := name
	if shown == "" {
		shown = dash(f.Title)
	}
	fmt.Fprintf(m.Stdout, "added %s to %s: %q, %s now; the next run fetches it\n", u, e.configPath, oneLine(shown, 80), plural(len(f.Items), "item"))
	return nil
}

func configured(cfg *config.Config, url string) bool {
	for _, f := range cfg.Feeds {
		if f.URL == url {
			return true
		}
	}
	return false
}

// feedsRemove removes the feed's [[feed]] block from the config file. What
// the store holds of it stays until retention prunes it; the output stops
// using it at the next run.
func (m *Main) feedsRemove(e *env, rawURL string) error {
	u := strings.TrimSpace(rawURL)
	if !configured(e.cfg, u) {
		return fmt.Errorf("%s is not configured in %s (aggregate feeds list shows the URLs)", u, e.configPath)
	}
	if err := config.RemoveFeed(e.configPath, u); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "removed %s from %s\n", u, e.configPath)
	if len(e.cfg.Feeds) == 1 {
		fmt.Fprintf(m.Stdout, "no feed is left: add one (aggregate feeds add URL) before the next run\n")
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

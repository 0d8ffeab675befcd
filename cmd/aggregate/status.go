package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/aggregate-dev/aggregate/config"
)

func statusCommand() command {
	return command{
		name:    "status",
		summary: "show each feed's last fetch, status, failures, error and stored items, and the last run",
		example: "aggregate status --config /etc/aggregate.toml",
		run: func(ctx context.Context, m *Main, e *env, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("status takes no arguments, got %q", args[0])
			}
			return m.status(ctx, e.cfg)
		},
	}
}

// status prints what the store knows of each configured feed and of the
// last run.
func (m *Main) status(ctx context.Context, cfg *config.Config) error {
	states, err := m.db.Feeds(ctx)
	if err != nil {
		return err
	}
	byURL := map[string]int{}
	for i, s := range states {
		byURL[s.URL] = i
	}
	w := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FEED\tNAME\tLAST FETCH\tSTATUS\tFAILURES\tITEMS\tNEXT FETCH\tWHY\tERROR")
	for _, fc := range cfg.Feeds {
		i, ok := byURL[fc.URL]
		if !ok {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", fc.URL, dash(fc.Name), "never", "-", 0, 0, "next run", "-", "")
			continue
		}
		s := states[i]
		name := fc.Name
		if name == "" {
			name = s.Title
		}
		url := s.URL
		if s.FetchURL != "" {
			url += " -> " + s.FetchURL
		}
		next := "next run"
		if s.NextFetch.After(m.Clock.Now()) {
			next = when(s.NextFetch)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", url, dash(name), when(s.LastFetch), dash(s.LastStatus), s.Failures, s.Items, next, dash(s.NextReason), s.LastError)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if r, ok, err := m.db.LastRun(ctx); err != nil {
		return err
	} else if ok {
		result := "ok"
		if !r.OK {
			result = "failed: " + r.Error
		}
		fmt.Fprintf(m.Stdout, "\nlast run %s (%s): %s; feeds ok %d, failed %d; %d items, %d entries\n",
			when(r.Started), r.Finished.Sub(r.Started).Round(time.Millisecond), result, r.FeedsOK, r.FeedsFailed, r.Items, r.Entries)
	} else {
		fmt.Fprintln(m.Stdout, "\nno run yet")
	}
	return nil
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/aggregate-dev/aggregate/dedupe"
	"github.com/aggregate-dev/aggregate/feed"
	"github.com/aggregate-dev/aggregate/store"
)

func explainCommand() command {
	return command{
		name:    "explain",
		args:    "A B",
		summary: "show why two stored items are (or are not) copies of each other: boilerplate removed, shared text, scores, thresholds, decision",
		example: "aggregate explain https://a.example/story https://b.example/copy   (item URLs, or ids from --once --dry-run)",
		run: func(ctx context.Context, m *Main, e *env, args []string) error {
			if len(args) != 2 {
				return errors.New("explain takes two items: their URLs or store ids")
			}
			return m.explain(ctx, e, args[0], args[1])
		},
	}
}

// explain prints dedupe's evidence on two stored items, judged among all
// stored items (their feeds' boilerplate, the round-up rule) as a run
// judges them.
func (m *Main) explain(ctx context.Context, e *env, a, b string) error {
	items, err := m.db.Items(ctx)
	if err != nil {
		return err
	}
	find := func(ref string) (int, error) {
		id, idErr := strconv.ParseInt(ref, 10, 64)
		canon := feed.CanonicalURL(ref, "")
		for i, it := range items {
			if (idErr == nil && it.ID == id) || (it.Link != "" && it.Link == canon) {
				return i, nil
			}
		}
		return 0, fmt.Errorf("no stored item %q (give its URL as its feed links it, or its store id as --once --dry-run prints it after a run has stored it)", ref)
	}
	ia, err := find(a)
	if err != nil {
		return err
	}
	ib, err := find(b)
	if err != nil {
		return err
	}
	docs := make([]dedupe.Doc, len(items))
	for i, it := range items {
		docs[i] = doc(it)
	}
	fmt.Fprint(m.Stdout, dedupe.Explain(docs[ia], docs[ib], docs, e.cfg.Dedupe))
	return nil
}

// dryRun runs the pipeline on a copy of the store with the output in a
// temporary directory, prints the stories it formed and why each copy
// joined, and removes the copy: the store and the output stay as they were.
func (m *Main) dryRun(ctx context.Context, e *env, force bool) error {
	tmp, err := os.MkdirTemp("", "aggregate-dry-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := m.db.CopyTo(ctx, filepath.Join(tmp, "state.db")); err != nil {
		return err
	}
	copyDB, err := store.Open(ctx, filepath.Join(tmp, "state.db"))
	if err != nil {
		return err
	}
	defer copyDB.Close()
	cfg := *e.cfg
	cfg.Output.Dir = filepath.Join(tmp, "public")
	p := newPipeline(&cfg, copyDB, e.log, m.Clock)
	p.force = force
	st, err := p.run(ctx)
	if err != nil {
		return err
	}
	byID := map[string]store.StoredItem{}
	for _, it := range st.StoryItems {
		byID[strconv.FormatInt(it.ID, 10)] = it
	}
	single := 0
	n := 0
	for _, s := range st.Stories {
		if len(s.IDs) == 1 {
			single++
			continue
		}
		n++
		rep := byID[s.IDs[0]]
		fmt.Fprintf(m.Stdout, "story %d: %s (%d copies)\n", n, rep.Title, len(s.IDs))
		for i, id := range s.IDs {
			it := byID[id]
			why := "representative (the earliest copy)"
			if i > 0 {
				why = s.Why[i].String()
			}
			fmt.Fprintf(m.Stdout, "  [%s] %s  %s\n      %s\n", id, it.FeedTitle, it.Link, why)
		}
	}
	fmt.Fprintf(m.Stdout, "\n%d stories of several copies, %d of one; %d items. Nothing was written.\n", n, single, len(st.StoryItems))
	return nil
}

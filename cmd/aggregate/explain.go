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

// explain prints dedupe's evidence on two stored items of the configured
// feeds, judged as a run judges them: the index is filled from the stored
// fingerprints, and the only texts read are those of the feeds of the two
// items and of the items that share text with either (which decide the
// round-up rule): a feed's texts teach its boilerplate.
func (m *Main) explain(ctx context.Context, e *env, a, b string) error {
	p := newPipeline(e.cfg, m.db, e.log, m.Clock)
	items, k, err := p.index(ctx)
	if err != nil {
		return err
	}
	defer p.closeIndex(k.x)
	find := func(ref string) (store.StoredItem, error) {
		id, idErr := strconv.ParseInt(ref, 10, 64)
		canon := feed.CanonicalURL(ref, "")
		for _, it := range items {
			if (idErr == nil && it.ID == id) || (it.Link != "" && it.Link == canon) {
				return it, nil
			}
		}
		return store.StoredItem{}, fmt.Errorf("no stored item %q of the configured feeds (give its URL as its feed links it, or its store id as --once --dry-run prints it after a run has stored it)", ref)
	}
	ia, err := find(a)
	if err != nil {
		return err
	}
	ib, err := find(b)
	if err != nil {
		return err
	}
	if ia.ID == ib.ID {
		return fmt.Errorf("%s and %s are the same stored item (%d)", a, b, ia.ID)
	}
	// The feeds of the two items and of every item sharing text with
	// either: each one's boilerplate is learnt from its feed, and decides
	// how much the items share.
	near := map[string]bool{}
	for _, it := range []store.StoredItem{ia, ib} {
		for _, id := range k.x.Near(strconv.FormatInt(it.ID, 10)) {
			near[id] = true
		}
	}
	feeds := map[string]bool{ia.FeedURL: true, ib.FeedURL: true}
	for _, it := range items {
		if near[strconv.FormatInt(it.ID, 10)] {
			feeds[it.FeedURL] = true
		}
	}
	var ids []int64
	for _, it := range items {
		if feeds[it.FeedURL] {
			ids = append(ids, it.ID)
		}
	}
	bodies, err := m.db.Bodies(ctx, ids)
	if err != nil {
		return err
	}
	var context []dedupe.Doc
	var da, db dedupe.Doc
	for _, it := range items {
		body, ok := bodies[it.ID]
		if !ok {
			continue
		}
		it.Text = body.Text
		d := doc(it)
		switch it.ID {
		case ia.ID:
			da = d
		case ib.ID:
			db = d
		default:
			context = append(context, d)
		}
	}
	fmt.Fprint(m.Stdout, dedupe.Explain(da, db, context, e.cfg.Dedupe))
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
	defer p.close()
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

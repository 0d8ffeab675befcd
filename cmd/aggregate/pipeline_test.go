package main

import (
	"context"
	"slices"
	"testing"

	"github.com/aggregate-dev/aggregate/dedupe"
	"github.com/aggregate-dev/aggregate/store"
)

// The readers shingle each item they read, and the fetch stage stores its
// fingerprint with it: what the dedupe stage would make from the stored
// text, so that it need not read the text back.
func TestFetchStoresFingerprints(t *testing.T) {
	ctx := context.Background()
	p, _ := benchFeedsPipeline(t)
	cfg, db := p.cfg, p.db
	st := &stats{Failed: map[string]string{}}
	if err := p.fetchAll(ctx, fixedNow(), st); err != nil || st.FeedsOK != len(cfg.Feeds) {
		t.Fatalf("fetch: %v, %d of %d feeds read (%v)", err, st.FeedsOK, len(cfg.Feeds), st.Failed)
	}
	fps := map[int64][]byte{}
	var ids []int64
	if err := db.ScanItems(ctx, 0, func(it store.StoredItem, fp []byte, _ bool) error {
		ids = append(ids, it.ID)
		fps[it.ID] = fp
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) < 10 {
		t.Fatalf("%d items stored", len(ids))
	}
	bodies, err := db.Bodies(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		want := dedupe.Fingerprint(bodies[id].Text, cfg.Dedupe)
		if !slices.Equal(fps[id], want) {
			t.Errorf("item %d: stored fingerprint (%d bytes) is not that of its text (%d bytes)", id, len(fps[id]), len(want))
		}
	}
}

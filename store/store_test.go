package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/feed"
)

// t0 is an arbitrary instant with nanoseconds, so that round trips that
// lose precision show.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func item(guid, link, title string, published time.Time) feed.Item {
	return feed.Item{GUID: guid, Link: link, Title: title, Published: published,
		HTML: "<p>" + title + "</p>", Text: title}
}

func pragma(t *testing.T, db *DB, name string) string {
	t.Helper()
	var v string
	if err := db.w.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "aggregate.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].version != 1 {
		t.Fatalf("migrations = %+v, want 0001 first", ms)
	}
	for i := range 3 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open #%d: %v", i, err)
		}
		var n int
		if err := db.w.QueryRow("SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(ms) {
			t.Errorf("open #%d: %d rows in schema_migrations, want %d", i, n, len(ms))
		}
		for name, want := range map[string]string{
			"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000",
		} {
			if got := pragma(t, db, name); got != want {
				t.Errorf("PRAGMA %s = %q, want %q", name, got, want)
			}
		}
		var fk int
		if err := db.r.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
			t.Errorf("reader foreign_keys = %d, %v", fk, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec("INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', '')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(ctx, path); err == nil {
		db.Close()
		t.Fatal("Open of a database from the future succeeded")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error = %v, want it to say the schema is newer", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, p := range []string{"", "a?b.db", "file:x.db"} {
		if db, err := Open(context.Background(), p); err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestReaderIsReadOnly(t *testing.T) {
	db := openTest(t)
	if _, err := db.r.Exec("DELETE FROM feeds"); err == nil {
		t.Error("a write through the reader pool succeeded")
	}
}

func TestTimeRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	tokyo := time.FixedZone("JST", 9*3600)
	for i, tc := range []time.Time{
		{},
		t0,
		t0.In(tokyo),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Now(), // carries a monotonic reading
	} {
		url := fmt.Sprintf("https://example.com/%d", i)
		if err := db.SaveFeed(ctx, FeedState{URL: url, LastFetch: tc, NextFetch: tc}, nil, t0); err != nil {
			t.Fatal(err)
		}
		st, ok, err := db.Feed(ctx, url)
		if err != nil || !ok {
			t.Fatalf("Feed: %v, %v", ok, err)
		}
		for _, got := range []time.Time{st.LastFetch, st.NextFetch} {
			if !got.Equal(tc) || (!tc.IsZero() && got.Location() != time.UTC) || got.IsZero() != tc.IsZero() {
				t.Errorf("%v came back as %v (%v)", tc, got, got.Location())
			}
		}
	}
	for _, bad := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC)} {
		if err := db.SaveFeed(ctx, FeedState{URL: "https://example.com/bad", LastFetch: bad}, nil, t0); err == nil {
			t.Errorf("SaveFeed with LastFetch %v succeeded", bad)
		}
	}
}

func TestItemKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		it   feed.Item
		want string
	}{
		{"guid wins", item("g1", "https://a/1", "T", t0), "guid:g1"},
		{"link without guid", item("", "https://a/1", "T", t0), "link:https://a/1"},
		{"title and date", item("", "", "T", t0), "title:2025-03-14T15:09:26.535897932Z T"},
		{"title and no date", item("", "", "T", time.Time{}), "title: T"},
		{"date in another zone", item("", "", "T", t0.In(time.FixedZone("X", -3600))), "title:2025-03-14T15:09:26.535897932Z T"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ItemKey(tc.it); got != tc.want {
				t.Errorf("ItemKey = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSaveFeedUpsertKeepsIDAndFirstSeen(t *testing.T) {
	ctx := context.Background()
	const url = "https://example.com/feed.xml"
	t1 := t0.Add(time.Hour)
	for _, tc := range []struct {
		name          string
		first, second feed.Item // same key
	}{
		{"by guid", item("g1", "https://a/1", "Old title", t0), item("g1", "https://a/1-moved", "New title", t0)},
		{"by link", item("", "https://a/1", "Old title", t0), item("", "https://a/1", "New title", t1)},
		{"by title and date", item("", "", "Same title", t0), func() feed.Item {
			it := item("", "", "Same title", t0)
			it.Text = "new text"
			return it
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			other := item("other", "https://a/other", "Other", t0)
			if err := db.SaveFeed(ctx, FeedState{URL: url, LastStatus: StatusOK}, []feed.Item{tc.first, other}, t0); err != nil {
				t.Fatal(err)
			}
			before, err := db.Items(ctx)
			if err != nil || len(before) != 2 {
				t.Fatalf("Items = %+v, %v", before, err)
			}
			tc.second.Author = "Someone"
			tc.second.FeedTitle = "Feed"
			fresh := item("new", "https://a/new", "Fresh", t1)
			if err := db.SaveFeed(ctx, FeedState{URL: url, LastStatus: StatusOK}, []feed.Item{tc.second, fresh}, t1); err != nil {
				t.Fatal(err)
			}
			after, err := db.Items(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != 3 {
				t.Fatalf("%d items after the second save, want 3: %+v", len(after), after)
			}
			got := after[0]
			if got.ID != before[0].ID || !got.FirstSeen.Equal(t0) {
				t.Errorf("upserted item: ID %d FirstSeen %v, want %d %v", got.ID, got.FirstSeen, before[0].ID, t0)
			}
			want := tc.second
			want.FeedURL = url
			if !reflect.DeepEqual(got.Item, want) {
				t.Errorf("upserted item content\n got %+v\nwant %+v", got.Item, want)
			}
			if after[1] != before[1] {
				t.Errorf("item missing from the second save changed: %+v -> %+v", before[1], after[1])
			}
			if n := after[2]; n.ID <= after[1].ID || !n.FirstSeen.Equal(t1) || n.Title != "Fresh" {
				t.Errorf("new item = %+v, want a higher ID and FirstSeen %v", n, t1)
			}
		})
	}
}

func TestSaveFeedKeyFallbackAndFeedScope(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	// No GUID: the link identifies the item, so the second save updates
	// rather than adds. The same GUID in another feed is another item.
	a, b := "https://a.example/feed", "https://b.example/feed"
	mustSave(t, db, FeedState{URL: a}, []feed.Item{item("", "https://a/1", "v1", t0)}, t0)
	mustSave(t, db, FeedState{URL: a}, []feed.Item{item("", "https://a/1", "v2", t0)}, t0.Add(time.Minute))
	mustSave(t, db, FeedState{URL: a}, []feed.Item{item("shared-guid", "https://a/2", "x", t0)}, t0)
	mustSave(t, db, FeedState{URL: b}, []feed.Item{item("shared-guid", "https://b/2", "x", t0)}, t0)
	items, err := db.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.FeedURL+" "+it.Link+" "+it.Title)
	}
	want := []string{a + " https://a/1 v2", a + " https://a/2 x", b + " https://b/2 x"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("items = %q, want %q", got, want)
	}
}

func mustSave(t *testing.T, db *DB, st FeedState, items []feed.Item, seen time.Time) {
	t.Helper()
	if err := db.SaveFeed(context.Background(), st, items, seen); err != nil {
		t.Fatal(err)
	}
}

// TestSaveFeedsCountsNewItems checks the count a run reports as new items:
// items already stored, an item a feed lists twice, the same GUID in two
// feeds of one batch, and items added after the newest was pruned.
func TestSaveFeedsCountsNewItems(t *testing.T) {
	ctx := context.Background()
	a, b := "https://a.example/feed", "https://b.example/feed"
	up := func(url string, guids ...string) FeedUpdate {
		var items []feed.Item
		for _, g := range guids {
			items = append(items, item(g, "", g, t0))
		}
		return FeedUpdate{State: FeedState{URL: url}, Items: items}
	}
	type save struct {
		ups   []FeedUpdate
		prune bool // prune everything before this save
		want  int
	}
	for _, tc := range []struct {
		name  string
		saves []save
	}{
		{"first save", []save{{ups: []FeedUpdate{up(a, "1", "2", "3")}, want: 3}}},
		{"same items again", []save{
			{ups: []FeedUpdate{up(a, "1", "2")}, want: 2},
			{ups: []FeedUpdate{up(a, "2", "1")}, want: 0},
		}},
		{"some new", []save{
			{ups: []FeedUpdate{up(a, "1", "2")}, want: 2},
			{ups: []FeedUpdate{up(a, "0", "1", "2", "3")}, want: 2},
		}},
		{"listed twice", []save{{ups: []FeedUpdate{up(a, "1", "2", "1")}, want: 2}}},
		{"one guid, two feeds, one batch", []save{{ups: []FeedUpdate{up(a, "1"), up(b, "1"), up(a, "1")}, want: 2}}},
		{"after pruning the newest", []save{
			{ups: []FeedUpdate{up(a, "1", "2")}, want: 2},
			{ups: []FeedUpdate{up(a, "2", "3")}, prune: true, want: 2},
		}},
		{"no items", []save{{ups: []FeedUpdate{up(a)}, want: 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			for i, sv := range tc.saves {
				if sv.prune {
					if _, err := db.Prune(ctx, t0.Add(time.Hour), 0); err != nil {
						t.Fatal(err)
					}
				}
				got, err := db.SaveFeeds(ctx, sv.ups, t0)
				if err != nil {
					t.Fatal(err)
				}
				if got != sv.want {
					t.Errorf("save %d: %d new items, want %d", i, got, sv.want)
				}
			}
		})
	}
}

// A batch that fails part-way is rolled back, fingerprints too, and
// reports no new items.
func TestSaveFeedsFailedBatchAddsNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if _, err := db.w.ExecContext(ctx, `CREATE TRIGGER refuse BEFORE INSERT ON items
		WHEN new.guid = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	ups := []FeedUpdate{
		{State: FeedState{URL: "https://a.example/feed"}, Items: []feed.Item{item("1", "", "1", t0), item("2", "", "2", t0)},
			Fingerprints: [][]byte{[]byte("f1"), []byte("f2")}},
		{State: FeedState{URL: "https://b.example/feed"}, Items: []feed.Item{item("3", "", "3", t0), item("bad", "", "bad", t0)}},
	}
	n, err := db.SaveFeeds(ctx, ups, t0)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want the trigger's refusal", err)
	}
	if n != 0 {
		t.Errorf("a failed batch reported %d new items, want 0", n)
	}
	if items, err := db.Items(ctx); err != nil || len(items) != 0 {
		t.Errorf("after the failed batch: %d items (%v), want none", len(items), err)
	}
	var fps int
	if err := db.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM fingerprints").Scan(&fps); err != nil || fps != 0 {
		t.Errorf("after the failed batch: %d fingerprints (%v), want none", fps, err)
	}
}

func TestFeedsStateAndCounts(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	full := FeedState{
		URL: "https://b.example/feed", Name: "B", Title: "B's feed", ETag: `W/"abc"`,
		LastModified: "Fri, 14 Mar 2025 15:09:26 GMT", LastFetch: t0, LastStatus: StatusError,
		LastError: "HTTP 503", Failures: 3, NextFetch: t0.Add(time.Hour),
	}
	mustSave(t, db, full, []feed.Item{item("1", "", "one", t0), item("2", "", "two", t0)}, t0)
	mustSave(t, db, FeedState{URL: "https://a.example/feed", Name: "A", LastStatus: StatusNotModified},
		[]feed.Item{item("1", "", "one", t0)}, t0)
	mustSave(t, db, FeedState{URL: "https://c.example/feed", Name: "C", LastStatus: StatusOK}, nil, t0)

	feeds, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range feeds {
		got = append(got, fmt.Sprintf("%s %d", f.Name, f.Items))
	}
	if want := []string{"A 1", "B 2", "C 0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Feeds = %q, want %q (sorted by URL, with item counts)", got, want)
	}
	want := full
	want.Items = 2
	if !reflect.DeepEqual(feeds[1], want) {
		t.Errorf("feed state\n got %+v\nwant %+v", feeds[1], want)
	}
	one, ok, err := db.Feed(ctx, full.URL)
	if err != nil || !ok || !reflect.DeepEqual(one, want) {
		t.Errorf("Feed = %+v, %v, %v; want %+v", one, ok, err, want)
	}
	if _, ok, err := db.Feed(ctx, "https://missing.example/"); ok || err != nil {
		t.Errorf("Feed(missing) = %v, %v; want false, nil", ok, err)
	}

	// A later save replaces the state (a success resets the failures).
	ok2 := FeedState{URL: full.URL, Name: "B", LastStatus: StatusOK, LastFetch: t0.Add(2 * time.Hour)}
	mustSave(t, db, ok2, nil, t0)
	one, _, _ = db.Feed(ctx, full.URL)
	ok2.Items = 2
	if !reflect.DeepEqual(one, ok2) {
		t.Errorf("after the second save\n got %+v\nwant %+v", one, ok2)
	}
}

func TestSaveFeedRejects(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		st    FeedState
		items []feed.Item
		seen  time.Time
	}{
		{"empty url", FeedState{}, nil, t0},
		{"zero seenAt", FeedState{URL: "u"}, nil, time.Time{}},
		{"unknown status", FeedState{URL: "u", LastStatus: "fine"}, nil, t0},
		{"negative failures", FeedState{URL: "u", Failures: -1}, nil, t0},
		{"item date out of range", FeedState{URL: "u"}, []feed.Item{item("g", "", "", time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC))}, t0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.SaveFeed(ctx, tc.st, tc.items, tc.seen)
			if err == nil {
				t.Fatal("SaveFeed succeeded")
			}
			if !strings.HasPrefix(err.Error(), "store: save feed") {
				t.Errorf("error %q does not say what was being done", err)
			}
			if feeds, _ := db.Feeds(ctx); len(feeds) != 0 {
				t.Errorf("a rejected save left feeds: %+v", feeds)
			}
		})
	}
}

// saveItems stores n items of one feed and returns the store ID of the
// i-th.
func saveItems(t *testing.T, db *DB, n int) func(i int) int64 {
	t.Helper()
	var items []feed.Item
	for i := range n {
		items = append(items, item(fmt.Sprint(i), "", fmt.Sprint("item ", i), t0))
	}
	mustSave(t, db, FeedState{URL: "https://a/feed"}, items, t0)
	stored, err := db.Items(context.Background())
	if err != nil || len(stored) != n {
		t.Fatalf("%d items stored, %v", len(stored), err)
	}
	return func(i int) int64 { return stored[i].ID }
}

func TestClustersRoundTrip(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id := saveItems(t, db, 6)

	if cs, err := db.Clusters(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("Clusters of a new store = %+v, %v", cs, err)
	}
	first := []Cluster{
		{ID: "z-last", Published: t0, Updated: t0.Add(time.Second), Members: []int64{id(5), id(0), id(3)}},
		{ID: "a-first", Published: t0.Add(-time.Hour), Updated: t0, Members: []int64{id(1)}},
		{ID: "m-undated", Members: []int64{id(4), id(2)}},
		{ID: "n-empty", Published: t0},
	}
	if err := db.ReplaceClusters(ctx, first); err != nil {
		t.Fatal(err)
	}
	got, err := db.Clusters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Cluster{first[1], first[2], first[3], first[0]} // by ID
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Clusters\n got %+v\nwant %+v", got, want)
	}

	// Replacing drops what is not in the new set.
	second := []Cluster{{ID: "a-first", Published: t0.Add(-time.Hour), Updated: t0.Add(time.Hour), Members: []int64{id(1), id(5)}}}
	if err := db.ReplaceClusters(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Clusters(ctx); !reflect.DeepEqual(got, second) {
		t.Errorf("after replace\n got %+v\nwant %+v", got, second)
	}

	// A failing replacement changes nothing.
	for _, bad := range [][]Cluster{
		{{ID: "x", Members: []int64{id(0)}}, {ID: "y", Members: []int64{id(0)}}}, // item in two clusters
		{{ID: "x", Members: []int64{999999}}},                                    // no such item
		{{ID: "x"}, {ID: "x"}},                                                   // duplicate id
		{{ID: ""}},
	} {
		if err := db.ReplaceClusters(ctx, bad); err == nil {
			t.Errorf("ReplaceClusters(%+v) succeeded", bad)
		} else if !strings.HasPrefix(err.Error(), "store: replace clusters") {
			t.Errorf("error %q does not say what was being done", err)
		}
		if got, _ := db.Clusters(ctx); !reflect.DeepEqual(got, second) {
			t.Errorf("a failed replace changed the clusters to %+v", got)
		}
	}

	if err := db.ReplaceClusters(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Clusters(ctx); len(got) != 0 {
		t.Errorf("after replacing with none: %+v", got)
	}
}

// A replacement writes only the clusters that changed, and an item may
// move from one cluster to another.
func TestReplaceClustersWritesChanges(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	id := saveItems(t, db, 5)
	rowids := func() map[string]int64 {
		rows, err := db.r.QueryContext(ctx, "SELECT id, rowid FROM clusters")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var cid string
			var r int64
			if err := rows.Scan(&cid, &r); err != nil {
				t.Fatal(err)
			}
			out[cid] = r
		}
		return out
	}
	first := []Cluster{
		{ID: "a", Published: t0, Updated: t0, Members: []int64{id(0), id(1)}},
		{ID: "b", Published: t0, Updated: t0, Members: []int64{id(2)}},
		{ID: "c", Published: t0, Updated: t0, Members: []int64{id(3)}},
	}
	if err := db.ReplaceClusters(ctx, first); err != nil {
		t.Fatal(err)
	}
	before := rowids()
	// b takes item 1 from a, c stays, d is new.
	second := []Cluster{
		{ID: "a", Published: t0, Updated: t0.Add(time.Hour), Members: []int64{id(0)}},
		{ID: "b", Published: t0, Updated: t0.Add(time.Hour), Members: []int64{id(2), id(1)}},
		first[2],
		{ID: "d", Published: t0, Updated: t0, Members: []int64{id(4)}},
	}
	if err := db.ReplaceClusters(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Clusters(ctx); !reflect.DeepEqual(got, second) {
		t.Errorf("after replace\n got %+v\nwant %+v", got, second)
	}
	after := rowids()
	if after["c"] != before["c"] {
		t.Errorf("unchanged cluster c was written again (rowid %d -> %d)", before["c"], after["c"])
	}
	if after["a"] == before["a"] || after["b"] == before["b"] {
		t.Errorf("changed clusters kept their rows: %v -> %v", before, after)
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	day := 24 * time.Hour
	// Items by date (Published, else FirstSeen), oldest first:
	//   p0: published t0-10d   p1: unpublished, first seen t0-5d
	//   p2: published t0-3d    p3: published t0-1d (first seen t0-5d)
	//   p4: unpublished, first seen t0
	type seed struct {
		guid      string
		published time.Time
		seen      time.Time
	}
	seeds := []seed{
		{"p3", t0.Add(-1 * day), t0.Add(-5 * day)},
		{"p0", t0.Add(-10 * day), t0.Add(-5 * day)},
		{"p1", time.Time{}, t0.Add(-5 * day)},
		{"p4", time.Time{}, t0},
		{"p2", t0.Add(-3 * day), t0},
	}
	for _, tc := range []struct {
		name     string
		before   time.Time
		maxItems int
		left     []string
	}{
		{"nothing", time.Time{}, 0, []string{"p0", "p1", "p2", "p3", "p4"}},
		{"by age uses published", t0.Add(-2 * day), 0, []string{"p3", "p4"}},
		{"by age falls back to first seen", t0.Add(-4 * day), 0, []string{"p2", "p3", "p4"}},
		{"by count keeps the newest", time.Time{}, 2, []string{"p3", "p4"}},
		{"count above size", time.Time{}, 10, []string{"p0", "p1", "p2", "p3", "p4"}},
		{"both", t0.Add(-6 * day), 3, []string{"p2", "p3", "p4"}},
		{"all", t0.Add(day), 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			for _, s := range seeds {
				mustSave(t, db, FeedState{URL: "https://a/feed"}, []feed.Item{item(s.guid, "", s.guid, s.published)}, s.seen)
			}
			items, _ := db.Items(ctx)
			ids := map[string]int64{}
			for _, it := range items {
				ids[it.GUID] = it.ID
			}
			// One cluster holding everything, one of p0 alone, one of p4 alone.
			if err := db.ReplaceClusters(ctx, []Cluster{
				{ID: "all", Members: []int64{ids["p1"], ids["p2"], ids["p3"]}},
				{ID: "old", Members: []int64{ids["p0"]}},
				{ID: "new", Members: []int64{ids["p4"]}},
			}); err != nil {
				t.Fatal(err)
			}

			n, err := db.Prune(ctx, tc.before, tc.maxItems)
			if err != nil {
				t.Fatal(err)
			}
			if want := len(seeds) - len(tc.left); n != want {
				t.Errorf("Prune returned %d, want %d", n, want)
			}
			items, _ = db.Items(ctx)
			var left []string
			keep := map[int64]bool{}
			for _, it := range items {
				left = append(left, it.GUID)
				keep[it.ID] = true
			}
			sort.Strings(left) // Items is in ID order, not date order
			if !reflect.DeepEqual(left, tc.left) {
				t.Errorf("items left %q, want %q", left, tc.left)
			}
			// Memberships of deleted items are gone, the others are
			// in order; clusters with no member left are gone.
			clusters, _ := db.Clusters(ctx)
			var wantClusters []Cluster
			for _, c := range []Cluster{
				{ID: "all", Members: []int64{ids["p1"], ids["p2"], ids["p3"]}},
				{ID: "new", Members: []int64{ids["p4"]}},
				{ID: "old", Members: []int64{ids["p0"]}},
			} {
				var m []int64
				for _, id := range c.Members {
					if keep[id] {
						m = append(m, id)
					}
				}
				if m != nil {
					wantClusters = append(wantClusters, Cluster{ID: c.ID, Members: m})
				}
			}
			if !reflect.DeepEqual(clusters, wantClusters) {
				t.Errorf("clusters after prune\n got %+v\nwant %+v", clusters, wantClusters)
			}
			var orphans int
			db.r.QueryRow("SELECT COUNT(*) FROM cluster_members WHERE item_id NOT IN (SELECT id FROM items)").Scan(&orphans)
			if orphans != 0 {
				t.Errorf("%d memberships of deleted items remain", orphans)
			}
		})
	}
}

func TestPrunedIDsAreNotReused(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	mustSave(t, db, FeedState{URL: "f"}, []feed.Item{item("old", "", "", t0.Add(-time.Hour)), item("newest", "", "", t0)}, t0)
	items, _ := db.Items(ctx)
	maxID := items[1].ID
	if _, err := db.Prune(ctx, t0.Add(time.Minute), 0); err != nil {
		t.Fatal(err)
	}
	mustSave(t, db, FeedState{URL: "f"}, []feed.Item{item("later", "", "", t0)}, t0)
	items, _ = db.Items(ctx)
	if len(items) != 1 || items[0].ID <= maxID {
		t.Errorf("after pruning id %d the next item got %+v", maxID, items)
	}
}

func TestRuns(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	if _, ok, err := db.LastRun(ctx); ok || err != nil {
		t.Fatalf("LastRun of a new store = %v, %v", ok, err)
	}
	if _, ok, err := db.LastSuccessfulRun(ctx); ok || err != nil {
		t.Fatalf("LastSuccessfulRun of a new store = %v, %v", ok, err)
	}
	good := Run{Started: t0, Finished: t0.Add(time.Second), OK: true, FeedsOK: 3, FeedsFailed: 1, Items: 40, Entries: 30}
	bad := Run{Started: t0.Add(time.Hour), Finished: t0.Add(time.Hour + time.Second), Error: "2 feeds failed", FeedsFailed: 2}
	unfinished := Run{Started: t0.Add(2 * time.Hour), Error: "interrupted"}
	for _, tc := range []struct {
		record         Run
		last, lastGood Run
		haveGood       bool
	}{
		{bad, bad, Run{}, false},
		{good, good, good, true},
		{bad, bad, good, true},
		{unfinished, unfinished, good, true},
	} {
		if err := db.RecordRun(ctx, tc.record); err != nil {
			t.Fatal(err)
		}
		last, ok, err := db.LastRun(ctx)
		if err != nil || !ok || !reflect.DeepEqual(last, tc.last) {
			t.Errorf("LastRun = %+v, %v, %v; want %+v", last, ok, err, tc.last)
		}
		lastGood, ok, err := db.LastSuccessfulRun(ctx)
		if err != nil || ok != tc.haveGood || !reflect.DeepEqual(lastGood, tc.lastGood) {
			t.Errorf("LastSuccessfulRun = %+v, %v, %v; want %+v, %v", lastGood, ok, err, tc.lastGood, tc.haveGood)
		}
	}
}

func TestRunLogIsTrimmed(t *testing.T) {
	db := openTest(t)
	db.keepRuns = 20
	ctx := context.Background()
	good := Run{Started: t0, OK: true, Entries: 7}
	if err := db.RecordRun(ctx, good); err != nil {
		t.Fatal(err)
	}
	for i := range db.keepRuns + 5 {
		if err := db.RecordRun(ctx, Run{Started: t0.Add(time.Duration(i+1) * time.Minute), Error: "down"}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	db.r.QueryRow("SELECT COUNT(*) FROM runs").Scan(&n)
	if n != db.keepRuns+1 {
		t.Errorf("%d runs kept, want %d", n, db.keepRuns+1)
	}
	if got, ok, _ := db.LastSuccessfulRun(ctx); !ok || !reflect.DeepEqual(got, good) {
		t.Errorf("the last successful run was trimmed: %+v, %v", got, ok)
	}
}

func TestContextCancelled(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.SaveFeed(ctx, FeedState{URL: "u"}, nil, t0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("SaveFeed with a cancelled context: %v", err)
	}
	if _, err := db.Items(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Items with a cancelled context: %v", err)
	}
}

// An old item that its feed still lists survives pruning by age; once a
// successful read no longer lists it, it goes.
func TestPruneSparesListedItems(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	day := 24 * time.Hour
	ok := FeedState{URL: "https://a/feed", LastStatus: StatusOK}
	old1, old2 := item("old1", "", "old1", t0.Add(-100*day)), item("old2", "", "old2", t0.Add(-100*day))
	mustSave(t, db, ok, []feed.Item{old1, old2}, t0.Add(-day))
	// A not-modified fetch lists nothing new and forgets nothing.
	mustSave(t, db, FeedState{URL: ok.URL, LastStatus: StatusNotModified}, nil, t0)
	if n, err := db.Prune(ctx, t0.Add(-30*day), 0); err != nil || n != 0 {
		t.Fatalf("pruned %d (%v) items the feed still lists", n, err)
	}
	mustSave(t, db, ok, []feed.Item{old2}, t0)
	if n, err := db.Prune(ctx, t0.Add(-30*day), 0); err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want old1 only", n, err)
	}
	items, _ := db.Items(ctx)
	if len(items) != 1 || items[0].GUID != "old2" {
		t.Errorf("left %+v", items)
	}
}

func TestFetchStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	st := FeedState{URL: "https://a/feed", LastStatus: StatusError, Failures: 3,
		NextFetch: t0.Add(2 * time.Hour), NextReason: "retry-after 2h0m0s (status 429)",
		FetchURL: "https://b/feed.xml", Interval: 90 * time.Minute}
	mustSave(t, db, st, nil, t0)
	got, ok, err := db.Feed(ctx, st.URL)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if got.NextReason != st.NextReason || got.FetchURL != st.FetchURL || got.Interval != st.Interval || !got.NextFetch.Equal(st.NextFetch) {
		t.Errorf("got %+v", got)
	}
	if got.Target() != "https://b/feed.xml" || (FeedState{URL: "u"}).Target() != "u" {
		t.Errorf("Target: %q", got.Target())
	}
}

// The writer's page cache grows with the history as feeds and clusters
// are stored, within its bounds, and never shrinks.
func TestWriterCacheGrowsWithHistory(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if got := pragma(t, db, "cache_size"); got != "-65536" {
		t.Fatalf("cache_size at open = %s, want -65536", got)
	}
	if got := pragma(t, db, "wal_autocheckpoint"); got != fmt.Sprint(walCheckpointPages) {
		t.Errorf("wal_autocheckpoint at open = %s, want %d", got, walCheckpointPages)
	}
	// A megabyte an item, so that a few items show it.
	db.cachePerItem = 1 << 20
	st := FeedState{URL: "https://a/feed", LastStatus: StatusOK}
	var items []feed.Item
	for i := range 100 {
		items = append(items, item(fmt.Sprint(i), "", "t", t0))
	}
	mustSave(t, db, st, items, t0)
	if got := pragma(t, db, "cache_size"); got != "-102400" {
		t.Errorf("cache_size after 100 items = %s, want -102400", got)
	}
	// Storing clusters grows it by their members.
	db.cachePerItem = 2 << 20
	var cs []Cluster
	all, _ := db.Items(ctx)
	for i, it := range all {
		cs = append(cs, Cluster{ID: fmt.Sprint(i), Published: t0, Updated: t0, Members: []int64{it.ID}})
	}
	if err := db.ReplaceClusters(ctx, cs); err != nil {
		t.Fatal(err)
	}
	if got := pragma(t, db, "cache_size"); got != "-204800" {
		t.Errorf("cache_size after 100 clusters = %s, want -204800", got)
	}
	db.cachePerItem = 1 << 30
	mustSave(t, db, st, items[:1], t0)
	if got := pragma(t, db, "cache_size"); got != fmt.Sprint(-maxCacheKiB) {
		t.Errorf("cache_size past the bound = %s, want %d", got, -maxCacheKiB)
	}
	db.cachePerItem = 1
	mustSave(t, db, st, items[:1], t0)
	if got := pragma(t, db, "cache_size"); got != fmt.Sprint(-maxCacheKiB) {
		t.Errorf("cache_size after a smaller need = %s, want it kept at %d", got, -maxCacheKiB)
	}
}

func TestFingerprints(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	st := FeedState{URL: "https://a/feed", LastStatus: StatusOK}
	a, b := item("a", "", "A", t0), item("b", "", "B", t0)
	a.Text, b.Text = "text of a", "text of b"
	mustSave(t, db, st, []feed.Item{a, b}, t0)
	items, _ := db.Items(ctx)
	ids := map[string]int64{items[0].GUID: items[0].ID, items[1].GUID: items[1].ID}
	if err := db.SaveFingerprints(ctx, map[int64][]byte{ids["a"]: []byte("fa"), ids["b"]: []byte("fb"), 999: []byte("gone")}); err != nil {
		t.Fatal(err)
	}
	fps, err := scanFingerprints(ctx, db)
	if err != nil || len(fps) != 2 || string(fps[ids["a"]]) != "fa" {
		t.Fatalf("fingerprints %v, %v", fps, err)
	}
	// The same text again keeps it; a changed text drops it.
	a2 := a
	a2.Title = "A, retitled"
	b2 := b
	b2.Text = "text of b, edited"
	mustSave(t, db, st, []feed.Item{a2, b2}, t0.Add(time.Hour))
	fps, _ = scanFingerprints(ctx, db)
	if string(fps[ids["a"]]) != "fa" || fps[ids["b"]] != nil {
		t.Errorf("after an edit: %v", fps)
	}
	// Pruning an item takes its fingerprint.
	if _, err := db.Prune(ctx, time.Time{}, 1); err != nil {
		t.Fatal(err)
	}
	if fps, _ = scanFingerprints(ctx, db); len(fps) > 1 {
		t.Errorf("fingerprints of pruned items remain: %v", fps)
	}
	// And its bodies.
	var bodies int
	if err := db.w.QueryRow("SELECT COUNT(*) FROM item_bodies").Scan(&bodies); err != nil || bodies != 1 {
		t.Errorf("%d bodies left for 1 item, %v", bodies, err)
	}
}

// Fingerprints given with a save are stored with their new items, in the
// same transaction; an item already stored keeps the fingerprint it has,
// and one whose text changed has none, whatever the save gives, so that a
// kept index learns of the change (see ScanItems).
func TestSaveFeedsStoresNewItemsFingerprints(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	st := FeedState{URL: "https://a/feed", LastStatus: StatusOK}
	a, b, c := item("a", "", "A", t0), item("b", "", "B", t0), item("c", "", "C", t0)
	a.Text, b.Text, c.Text = "text of a", "text of b", "text of c"
	// c has no fingerprint, and the save lists a twice: the second time
	// is no longer new.
	if _, err := db.SaveFeeds(ctx, []FeedUpdate{{State: st, Items: []feed.Item{a, b, c, a},
		Fingerprints: [][]byte{[]byte("fa"), []byte("fb"), nil, []byte("fa, again")}}}, t0); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	items, _ := db.Items(ctx)
	for _, it := range items {
		ids[it.GUID] = it.ID
	}
	fps, err := scanFingerprints(ctx, db)
	if err != nil || len(fps) != 2 || string(fps[ids["a"]]) != "fa" || string(fps[ids["b"]]) != "fb" {
		t.Fatalf("after the first save: %d fingerprints, %v", len(fps), err)
	}
	// Saved again: a unchanged, b edited, with new fingerprints for both,
	// and d new.
	b2 := b
	b2.Text = "text of b, edited"
	d := item("d", "", "D", t0)
	d.Text = "text of d"
	if _, err := db.SaveFeeds(ctx, []FeedUpdate{{State: st, Items: []feed.Item{a, b2, d},
		Fingerprints: [][]byte{[]byte("fa2"), []byte("fb2"), []byte("fd")}}}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	items, _ = db.Items(ctx)
	for _, it := range items {
		ids[it.GUID] = it.ID
	}
	fps, _ = scanFingerprints(ctx, db)
	want := map[int64]string{ids["a"]: "fa", ids["d"]: "fd"}
	if len(fps) != len(want) {
		t.Errorf("after the second save: %d fingerprints, want %d", len(fps), len(want))
	}
	for id, fp := range want {
		if string(fps[id]) != fp {
			t.Errorf("item %d: fingerprint %q, want %q", id, fps[id], fp)
		}
	}
}

// A store made before the bodies had a table of their own keeps every
// item's bodies and fingerprint, and an edit of the text still drops the
// fingerprint.
func TestMigrationMovesBodies(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite", path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec("CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version <= 3 {
			if err := applyMigration(ctx, old, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	it := feed.Item{GUID: "a", Text: "a", HTML: "<p>a</p>"}
	for _, q := range []string{
		"INSERT INTO feeds (url) VALUES ('https://a/feed')",
		`INSERT INTO items (id, feed_url, item_key, guid, body_html, body_text, first_seen, last_seen)
			VALUES (7, 'https://a/feed', ?, 'a', '<p>a</p>', 'a', '2025-01-01T00:00:00.000000000Z', '2025-01-01T00:00:00.000000000Z')`,
		"INSERT INTO fingerprints (item_id, fp) VALUES (7, x'0102')",
	} {
		var args []any
		if strings.Contains(q, "?") {
			args = append(args, ItemKey(it))
		}
		if _, err := old.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bodies, err := db.Bodies(ctx, []int64{7})
	if err != nil || bodies[7] != (Body{HTML: "<p>a</p>", Text: "a"}) {
		t.Fatalf("bodies after migration: %+v, %v", bodies, err)
	}
	if fps, err := scanFingerprints(ctx, db); err != nil || string(fps[7]) != "\x01\x02" {
		t.Fatalf("fingerprints after migration: %v, %v", fps, err)
	}
	it.Text, it.HTML = "a, edited", "<p>a, edited</p>"
	mustSave(t, db, FeedState{URL: "https://a/feed", LastStatus: StatusOK}, []feed.Item{it}, t0)
	if fps, _ := scanFingerprints(ctx, db); len(fps) != 0 {
		t.Errorf("fingerprint of an edited text kept: %v", fps)
	}
	if items, err := db.Items(ctx); err != nil || len(items) != 1 || items[0].ID != 7 || items[0].Text != "a, edited" {
		t.Errorf("items after an edit: %+v, %v", items, err)
	}
}

// scanFingerprints returns the stored fingerprints by item, as ScanItems
// gives them.
func scanFingerprints(ctx context.Context, db *DB) (map[int64][]byte, error) {
	out := map[int64][]byte{}
	err := db.ScanItems(ctx, 0, func(it StoredItem, fp []byte, _ bool) error {
		if fp != nil {
			out[it.ID] = fp
		}
		return nil
	})
	return out, err
}

func TestScanItemsAndBodies(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	st := FeedState{URL: "https://a/feed", LastStatus: StatusOK}
	var in []feed.Item
	for i := range 1200 {
		it := item(fmt.Sprint("g", i), fmt.Sprint("https://a/", i), fmt.Sprint("T", i), t0.Add(time.Duration(i)*time.Minute))
		it.HTML, it.Text = fmt.Sprintf("<p>body %d</p>", i), fmt.Sprint("body ", i)
		in = append(in, it)
	}
	mustSave(t, db, st, in, t0)
	all, err := db.Items(ctx)
	if err != nil || len(all) != len(in) {
		t.Fatalf("items: %d, %v", len(all), err)
	}
	if err := db.SaveFingerprints(ctx, map[int64][]byte{all[1].ID: []byte("fp1")}); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountItems(ctx); err != nil || n != len(in) {
		t.Errorf("CountItems = %d, %v; want %d", n, err, len(in))
	}
	// Pages of 7 items: the last one short, none empty.
	db.scanPage = 7
	var got []StoredItem
	var fps [][]byte
	var has []bool
	err = db.ScanItems(ctx, 0, func(it StoredItem, fp []byte, hasFP bool) error {
		got, fps, has = append(got, it), append(fps, fp), append(has, hasFP)
		return nil
	})
	if err != nil || len(got) != len(all) {
		t.Fatalf("scan: %d items, %v", len(got), err)
	}
	for i, it := range got {
		want := all[i]
		want.HTML = ""
		if i == 1 {
			// The fingerprint stands for the text.
			want.Text = ""
			if string(fps[i]) != "fp1" || !has[i] {
				t.Errorf("item 1 fingerprint %q, %v", fps[i], has[i])
			}
		} else if fps[i] != nil || has[i] {
			t.Errorf("item %d has fingerprint %q, %v", i, fps[i], has[i])
		}
		if it != want {
			t.Fatalf("scan item %d:\n got %+v\nwant %+v", i, it, want)
		}
	}
	// fn's error stops the scan and comes back.
	stop := errors.New("stop")
	n := 0
	if err := db.ScanItems(ctx, 0, func(StoredItem, []byte, bool) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("scan stopped with %v after %d items", err, n)
	}
	// Items the caller knows come without their fingerprint, and without
	// their text while the fingerprint stands.
	err = db.ScanItems(ctx, all[1].ID, func(it StoredItem, fp []byte, hasFP bool) error {
		if it.ID == all[1].ID && (fp != nil || !hasFP || it.Text != "") {
			t.Errorf("known item 1: fingerprint %q, %v, text %q", fp, hasFP, it.Text)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Bodies in more than one chunk, an unknown ID left out.
	ids := []int64{424242}
	for _, it := range all {
		ids = append(ids, it.ID)
	}
	bodies, err := db.Bodies(ctx, ids)
	if err != nil || len(bodies) != len(all) {
		t.Fatalf("bodies: %d, %v", len(bodies), err)
	}
	for _, it := range all {
		if b := bodies[it.ID]; b.HTML != it.HTML || b.Text != it.Text {
			t.Errorf("body of %d: %+v", it.ID, b)
		}
	}
}

// Storing fingerprints while the items are scanned (as a run does) must
// not grow the WAL without bound: a page's snapshot is let go before the
// caller sees the page, so the writes can be folded back into the file.
func TestScanLetsTheWALBeCheckpointed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The store's threshold (walCheckpointPages) would take writing
	// hundreds of megabytes here; the scan's part is the same at any.
	if _, err := db.w.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 1000"); err != nil {
		t.Fatal(err)
	}
	var in []feed.Item
	for i := range 1000 {
		in = append(in, item(fmt.Sprint("g", i), "", fmt.Sprint("T", i), t0))
	}
	mustSave(t, db, FeedState{URL: "https://a/feed", LastStatus: StatusOK}, in, t0)
	db.scanPage = 10
	const fpSize = 16 << 10
	batch := map[int64][]byte{}
	maxWAL, written := int64(0), 0
	err = db.ScanItems(ctx, 0, func(it StoredItem, _ []byte, _ bool) error {
		batch[it.ID] = bytes.Repeat([]byte{byte(it.ID)}, fpSize)
		if len(batch) < 10 {
			return nil
		}
		if err := db.SaveFingerprints(ctx, batch); err != nil {
			return err
		}
		written += len(batch) * fpSize
		clear(batch)
		if fi, err := os.Stat(path + "-wal"); err == nil {
			maxWAL = max(maxWAL, fi.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The WAL is checkpointed past 1000 pages (4 MB); held open, it
	// would hold all 16 MB written.
	if maxWAL > 8<<20 {
		t.Errorf("WAL grew to %d bytes while %d were written", maxWAL, written)
	}
}

func TestCopyTo(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSave(t, db, FeedState{URL: "https://a/feed"}, []feed.Item{item("a", "", "A", t0)}, t0)
	p := filepath.Join(t.TempDir(), "copy.db")
	if err := db.CopyTo(ctx, p); err != nil {
		t.Fatal(err)
	}
	c, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustSave(t, c, FeedState{URL: "https://b/feed"}, []feed.Item{item("b", "", "B", t0)}, t0)
	orig, _ := db.Items(ctx)
	cp, _ := c.Items(ctx)
	if len(orig) != 1 || len(cp) != 2 {
		t.Errorf("original %d items, copy %d: want 1 and 2", len(orig), len(cp))
	}
}

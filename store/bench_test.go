package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkReplaceClusters stores the clusters of a first run over n
// items (seven in ten alone, the rest in pairs and threes, under ids as
// random as the pipeline's), from an empty clusters table: the cost per
// member should not grow with n.
func BenchmarkReplaceClusters(b *testing.B) {
	for _, n := range []int{100000, 400000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ids := benchItems(b, db, n)
			cs := benchClusters(ids)
			for b.Loop() {
				b.StopTimer()
				if err := db.ReplaceClusters(ctx, nil); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := db.ReplaceClusters(ctx, cs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/member")
		})
	}
}

// benchItems stores n small items in feeds of 200 and returns their IDs.
func benchItems(b *testing.B, db *DB, n int) []int64 {
	b.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	var ups []FeedUpdate
	flush := func() {
		if _, err := db.SaveFeeds(ctx, ups, t0); err != nil {
			b.Fatal(err)
		}
		ups = ups[:0]
	}
	for f := 0; f*200 < n; f++ {
		u := FeedUpdate{State: FeedState{URL: fmt.Sprintf("https://s%d.example/feed", f), LastStatus: StatusOK}}
		for i := range min(200, n-f*200) {
			it := item(fmt.Sprintf("g%d-%d", f, i), fmt.Sprintf("https://s%d.example/%d", f, i), "title",
				t0.Add(-time.Duration(r.IntN(1e6))*time.Second))
			u.Items = append(u.Items, it)
		}
		if ups = append(ups, u); len(ups) == 64 {
			flush()
		}
	}
	flush()
	var ids []int64
	if err := db.ScanItems(ctx, 0, func(it StoredItem, _ []byte, _ bool) error {
		ids = append(ids, it.ID)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	return ids
}

// benchClusters groups ids as a run over a generated corpus does: most
// alone, the others with one or two copies anywhere in the history.
func benchClusters(ids []int64) []Cluster {
	r := rand.New(rand.NewPCG(3, 4))
	perm := r.Perm(len(ids))
	var cs []Cluster
	for i := 0; i < len(perm); {
		size := 1
		if r.IntN(10) >= 7 {
			size = 2 + r.IntN(2)
		}
		size = min(size, len(perm)-i)
		c := Cluster{Published: t0, Updated: t0}
		for _, p := range perm[i : i+size] {
			c.Members = append(c.Members, ids[p])
		}
		sum := sha256.Sum256(fmt.Append(nil, c.Members[0]))
		c.ID = fmt.Sprintf("urn:uuid:%x", sum[:16])
		cs = append(cs, c)
		i += size
	}
	return cs
}

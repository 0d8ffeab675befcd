package dedupe

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/cmd/benchgen/corpus"
)

// Benchmarks run on benchgen corpora: about 300-word articles in 7
// paragraphs, 60% of sites with a header and a long footer, 30% of items
// copies (verbatim, edited, summaries, rewrites), plus siblings, follow-ups
// and round-ups. Texts are taken as extraction leaves them.

// benchDocs returns n docs of a corpus of 100 sites.
func benchDocs(n int, seed uint64) []Doc {
	feeds := max(1, n/100)
	c := corpus.Generate(corpus.Options{Feeds: feeds, Items: (n + feeds - 1) / feeds, Copies: 0.3, Seed: seed})
	docs := make([]Doc, 0, n)
	for i, it := range c.Items {
		if i == n {
			break
		}
		docs = append(docs, Doc{ID: fmt.Sprint(i), Group: it.Site.ID, Text: it.Text(), Time: it.Published, Keys: []string{it.GUID, it.URL}})
	}
	return docs
}

// oneCore runs f with GOMAXPROCS=1: the figures are per core.
func oneCore(b *testing.B, f func()) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	f()
}

// BenchmarkDedupe is the whole dedupe stage on one core: text to shingles
// and selection, index, candidates, exact verification, boilerplate,
// round-ups and clustering, for 10^4 articles.
func BenchmarkDedupe(b *testing.B) {
	docs := benchDocs(10000, 1)
	o := DefaultOptions()
	oneCore(b, func() {
		cpu := cpuTime()
		for b.Loop() {
			Clusters(docs, o)
		}
		n := float64(len(docs)) * float64(b.N)
		b.ReportMetric(n/b.Elapsed().Seconds(), "articles/s")
		if c := cpuTime() - cpu; c > 0 {
			b.ReportMetric(n/c.Seconds(), "articles/cpu-s")
		}
	})
}

// BenchmarkAddToIndex is the daemon's case on one core: 1,000 new
// articles added to an index of 10^4 and the clusters recomputed.
func BenchmarkAddToIndex(b *testing.B) {
	docs := benchDocs(11000, 2)
	o := DefaultOptions()
	oneCore(b, func() {
		n := 0
		var cpu time.Duration
		for b.Loop() {
			b.StopTimer()
			x := NewIndex(o)
			for _, d := range docs[:10000] {
				x.Add(d)
			}
			x.Clusters()
			b.StartTimer()
			c0 := cpuTime()
			for _, d := range docs[10000:] {
				x.Add(d)
			}
			x.Clusters()
			cpu += cpuTime() - c0
			n += 1000
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
		if cpu > 0 {
			b.ReportMetric(float64(n)/cpu.Seconds(), "articles/cpu-s")
		}
	})
}

// BenchmarkIndexMemory reports what the index holds per article, built
// from 10^5 fingerprints: heap-B/item, the growth of the heap around
// building it, of which index-B/item the candidate index (postings); and
// sets-B/item, the shingle sets, bitmaps and heads, which are on the heap
// too unless the index keeps them on disk.
func BenchmarkIndexMemory(b *testing.B) {
	docs := benchDocs(100000, 3)
	o := DefaultOptions()
	fps := make([][]byte, len(docs))
	for i, d := range docs {
		fps[i] = Fingerprint(d.Text, o)
		docs[i].Text = ""
	}
	for _, onDisk := range []bool{false, true} {
		name := "heap"
		if onDisk {
			name = "disk"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				x := NewIndex(o)
				if onDisk {
					if err := x.KeepOnDisk(b.TempDir()); err != nil {
						b.Fatal(err)
					}
				}
				x.Grow(len(docs))
				for i, d := range docs {
					if err := x.AddFingerprint(d, fps[i]); err != nil {
						b.Fatal(err)
					}
				}
				x.Clusters()
				runtime.GC()
				runtime.ReadMemStats(&after)
				n := float64(len(docs))
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/item")
				b.ReportMetric(float64(x.post.bytes())/n, "index-B/item")
				b.ReportMetric(float64(x.sl.live)/n, "sets-B/item")
				if err := x.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClustersScaling shows that Clusters costs the same per item
// at 10^4 and 10^5 items (ns/item), on all cores.
func BenchmarkClustersScaling(b *testing.B) {
	o := DefaultOptions()
	for _, n := range []int{10000, 20000, 100000, 200000} {
		if testing.Short() && n > 20000 {
			continue
		}
		docs := benchDocs(n, 4)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Clusters(docs, o)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/item")
		})
	}
}

// BenchmarkLoad is a restart: an index filled from 10^6 stored
// fingerprints (made from 10^4 articles, each repeated 100 times under
// other hashes and groups). It reports the load time and the first
// Clusters after it, which finds every neighbour afresh.
func BenchmarkLoad(b *testing.B) {
	const n, base = 1000000, 10000
	docs := benchDocs(base, 5)
	o := DefaultOptions()
	sets := make([][]shingle, base)
	sels := make([][]uint64, base)
	var sh shingler
	for i, d := range docs {
		sets[i], sels[i], _ = sh.sign(d.Text, o.Shingle, Window)
	}
	for b.Loop() {
		x := NewIndex(o)
		var load time.Duration
		for rep := range n / base {
			// Build this slice of fingerprints off the clock.
			fps := make([][]byte, base)
			for i := range base {
				fps[i] = saltedFingerprint(sets[i], sels[i], uint64(rep), o)
			}
			t0 := time.Now()
			for i, d := range docs {
				d.ID = fmt.Sprint(rep, "/", d.ID)
				d.Group = fmt.Sprint(rep, "/", d.Group)
				d.Text = ""
				if err := x.AddFingerprint(d, fps[i]); err != nil {
					b.Fatal(err)
				}
			}
			load += time.Since(t0)
		}
		t0 := time.Now()
		x.Clusters()
		first := time.Since(t0)
		b.ReportMetric(load.Seconds(), "load-s")
		b.ReportMetric(first.Seconds(), "first-clusters-s")
		b.ReportMetric(float64(x.Len()), "items")
	}
}

// saltedFingerprint is the fingerprint of another text with the same
// structure: every hash (and so the selection) moved by salt, through a
// bijection of the shingles, so that the moved set has no duplicates.
func saltedFingerprint(set []shingle, sel []uint64, salt uint64, o Options) []byte {
	if salt == 0 {
		return encodeFingerprint(set, sel, nil, o.Shingle, Window)
	}
	type hs struct {
		h   shingle
		sel bool
	}
	c := shingle(salt) * 0x9e3779b9 // distinct for each salt under 2^32
	moved := make([]hs, len(set))
	for i, h := range set {
		moved[i] = hs{permute32(h ^ c), bit(sel, i)}
	}
	slices.SortFunc(moved, func(a, b hs) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return 0
	})
	ns := make([]shingle, len(set))
	nsel := make([]uint64, len(sel))
	for i, m := range moved {
		ns[i] = m.h
		if m.sel {
			nsel[i>>6] |= 1 << (i & 63)
		}
	}
	return encodeFingerprint(ns, nsel, nil, o.Shingle, Window)
}

// permute32 is a bijection of 32-bit values that spreads every input bit
// over all output bits (Wellons' lowbias32).
func permute32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

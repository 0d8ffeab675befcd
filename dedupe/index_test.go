package dedupe

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// idClusters renders clusters as sorted lists of sorted ids.
func idClusters(docs []Doc, cs []Cluster) []string {
	var out []string
	for _, c := range cs {
		var ids []string
		for _, m := range c.Members {
			ids = append(ids, docs[m].ID)
		}
		out = append(out, strings.Join(ids, " + "))
	}
	return out
}

func storyClusters(ss []Story) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.Join(s.IDs, " + "))
	}
	return out
}

// recall compares the index's neighbours with the exhaustive count of
// shared shingles. A pair is "true" when it shares MinShared shingles or
// more and either would match (near copy, or contained) or its shared
// part is big enough to count as a round-up part of one of the two.
type recall struct {
	pairs, missed       int // true pairs
	anyPairs, anyMissed int // every pair sharing MinShared shingles or more
	extra               int // neighbours the exhaustive count does not have, or one-sided (must be 0)
	missedKinds         map[string]int
}

func (r recall) rate() float64 {
	if r.pairs == 0 {
		return 0
	}
	return float64(r.missed) / float64(r.pairs)
}

func (r recall) String() string {
	return fmt.Sprintf("true pairs %d, missed %d (%.3f%%); all pairs sharing >= min_shared %d, missed %d (%.3f%%)",
		r.pairs, r.missed, 100*r.rate(), r.anyPairs, r.anyMissed, 100*float64(r.anyMissed)/float64(max(1, r.anyPairs)))
}

func measureRecall(docs []Doc, kinds []string, o Options) (recall, *oracle, *Index) {
	p := newOracle(docs, o)
	x := batchIndex(docs, o)
	x.refresh()
	r := recall{missedKinds: map[string]int{}}
	for i := range docs {
		nb := map[int32]int32{}
		for _, ed := range x.docs[i].nb {
			nb[ed.doc] = ed.shared
		}
		for j, shared := range p.shared[i] {
			if shared < o.MinShared {
				continue
			}
			if got, ok := nb[int32(j)]; ok && int(got) != shared {
				panic(fmt.Sprintf("pair %d,%d: index counts %d shared, exhaustive %d", i, j, got, shared))
			}
			_, found := nb[int32(j)]
			delete(nb, int32(j))
			twin := slices.ContainsFunc(x.docs[j].nb, func(e edge) bool { return int(e.doc) == i })
			if found != twin {
				r.extra++ // an edge without its other side
			}
			if j < i {
				continue
			}
			pr := p.pair(i, j)
			relevant := o.nearCopy(pr) || o.contained(pr) || float64(pr.Shared) >= o.RoundupPart*float64(min(pr.SizeA, pr.SizeB))
			r.anyPairs++
			if !found {
				r.anyMissed++
			}
			if relevant {
				r.pairs++
				if !found {
					r.missed++
					if kinds != nil {
						r.missedKinds[kinds[i]+"~"+kinds[j]]++
					}
				}
			}
		}
		r.extra += len(nb)
	}
	return r, p, x
}

// exhaustiveClusters clusters docs with an index that makes every pair
// sharing a shingle a candidate (every shingle selected, no list too
// long): the same decisions as Clusters without the candidate pruning.
func exhaustiveClusters(docs []Doc, o Options) []Cluster {
	cs, _ := exhaustiveIndex(docs, o).cluster()
	out := make([]Cluster, len(cs))
	for i, c := range cs {
		for _, h := range c {
			out[i].Members = append(out[i].Members, int(h))
		}
	}
	return out
}

func exhaustiveIndex(docs []Doc, o Options) *Index {
	x := NewIndex(o)
	x.batch = true
	x.window, x.maxPost, x.common = 1, math.MaxInt, math.MaxInt
	var sh shingler
	for _, d := range docs {
		set, sel, head := sh.sign(d.Text, o.Shingle, 1)
		x.insert(d, set, sel, head)
	}
	return x
}

// TestIndexAgainstExhaustive checks the candidate index against the
// exhaustive comparison: on the crosspost-dev feeds and on generated
// corpora it must find over 99% of the true pairs, and the clusters must
// be the exhaustive method's.
func TestIndexAgainstExhaustive(t *testing.T) {
	o := DefaultOptions()
	type corpusCase struct {
		name  string
		docs  []Doc
		kinds []string
	}
	cases := []corpusCase{{name: "crosspost-dev", docs: devDocs(t)}}
	for _, c := range []struct {
		feeds, items int
		copies       float64
		seed         uint64
	}{{20, 100, 0.3, 1}, {40, 60, 0.5, 2}, {8, 250, 0.3, 3}} {
		l := generated(t, c.feeds, c.items, c.copies, c.seed)
		cases = append(cases, corpusCase{fmt.Sprintf("benchgen feeds=%d items=%d copies=%g seed=%d", c.feeds, c.items, c.copies, c.seed), l.docs, l.kinds})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, _, _ := measureRecall(c.docs, c.kinds, o)
			t.Logf("%d docs: %v; missed by kind: %v", len(c.docs), r, r.missedKinds)
			if r.extra != 0 {
				t.Errorf("%d neighbours that share fewer than min_shared shingles", r.extra)
			}
			if r.pairs == 0 {
				t.Fatal("no true pairs: the corpus tests nothing")
			}
			if r.rate() >= 0.01 {
				t.Errorf("false-negative rate %.4f >= 1%% (missed by kind: %v)", r.rate(), r.missedKinds)
			}
			want := idClusters(c.docs, exhaustiveClusters(c.docs, o))
			got := idClusters(c.docs, Clusters(c.docs, o))
			if !slices.Equal(got, want) {
				diff := 0
				for _, g := range got {
					if !slices.Contains(want, g) {
						diff++
						if diff <= 5 {
							t.Logf("index cluster not in exhaustive: %s", g)
						}
					}
				}
				if r.missed == 0 {
					t.Errorf("clusters differ from the exhaustive method's (%d) although no true pair was missed", diff)
				} else {
					t.Logf("clusters differ from the exhaustive method's in %d places, from %d missed pairs", diff, r.missed)
				}
			}
		})
	}
}

// TestIndexIncrementalEqualsBatch adds docs in random order, asks for the
// clusters on the way, removes and re-adds some, loads others from their
// fingerprints: the final clusters must be those of Clusters on the docs.
func TestIndexIncrementalEqualsBatch(t *testing.T) {
	o := DefaultOptions()
	for _, c := range []struct {
		name string
		docs []Doc
	}{
		{"crosspost-dev", devDocs(t)},
		{"benchgen", generated(t, 12, 60, 0.4, 7).docs},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := idClusters(c.docs, Clusters(c.docs, o))
			r := rand.New(rand.NewPCG(1, 2))
			for round := range 6 {
				x := NewIndex(o)
				// Every other round keeps the sets on disk, and moves
				// them whenever more of the slab is gone than held.
				x.sl.compactFrom = 0
				if round%2 == 0 {
					if err := x.KeepOnDisk(t.TempDir()); err != nil {
						t.Fatal(err)
					}
				}
				if round >= 4 {
					// Tiny lists: shingles cross the sizes that change
					// their candidates all the time. The batch reference
					// uses the same sizes.
					x.maxPost, x.common = 4, 2
					b := batchIndex(c.docs, o)
					b.maxPost, b.common = 4, 2
					cs, _ := b.cluster()
					want = nil
					for _, cl := range cs {
						var ids []string
						for _, h := range cl {
							ids = append(ids, c.docs[h].ID)
						}
						want = append(want, strings.Join(ids, " + "))
					}
				}
				perm := r.Perm(len(c.docs))
				for n, i := range perm {
					d := c.docs[i]
					switch {
					case round%2 == 1 && n%3 == 0:
						fp := Fingerprint(d.Text, o)
						d.Text = ""
						if err := x.AddFingerprint(d, fp); err != nil {
							t.Fatal(err)
						}
					default:
						x.Add(d)
					}
					if n%17 == 0 {
						x.Clusters()
					}
					if n%11 == 5 {
						// Remove an earlier doc and add it back, maybe
						// with another text first.
						back := c.docs[perm[r.IntN(n+1)]]
						x.Remove(back.ID)
						if n%2 == 0 {
							wrong := back
							wrong.Text = c.docs[perm[r.IntN(n+1)]].Text
							x.Add(wrong)
							x.Clusters()
						}
						x.Add(back)
					}
				}
				if x.Len() != len(c.docs) {
					t.Fatalf("Len = %d, want %d", x.Len(), len(c.docs))
				}
				got := storyClusters(x.Clusters())
				if !slices.Equal(got, want) {
					t.Fatalf("round %d: incremental clusters differ from batch\n got %d clusters\nwant %d clusters\nfirst diff: %s", round, len(got), len(want), firstDiff(got, want))
				}
				// Neighbour lists are symmetric and exact.
				for h := range x.docs {
					e := &x.docs[h]
					if !e.live {
						continue
					}
					for _, ed := range e.nb {
						o := &x.docs[ed.doc]
						if !o.live || sharedCount(x.set(int32(h)), x.bp(int32(h)), x.set(ed.doc), x.bp(ed.doc)) != int(ed.shared) {
							t.Fatalf("stale edge %s - %s", e.id, o.id)
						}
						if _, ok := slices.BinarySearchFunc(o.nb, int32(h), func(a edge, t int32) int { return int(a.doc - t) }); !ok {
							t.Fatalf("edge %s - %s has no twin", e.id, o.id)
						}
					}
				}
				// Most docs go and come back: the slab is compacted
				// while they are gone, and nothing changes.
				gone := 0
				for i, d := range c.docs {
					if i%3 != 0 && x.Remove(d.ID) {
						gone++
					}
				}
				x.Clusters()
				if x.sl.dead != 0 {
					t.Fatalf("round %d: %d docs gone, slab not compacted (%d bytes dead, %d live)", round, gone, x.sl.dead, x.sl.live)
				}
				for i, d := range c.docs {
					if i%3 != 0 {
						x.Add(d)
					}
				}
				if got := storyClusters(x.Clusters()); !slices.Equal(got, want) {
					t.Fatalf("round %d: after compaction, clusters differ from batch: %s", round, firstDiff(got, want))
				}
				if err := x.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// When the file of KeepOnDisk cannot grow (a full disk), docs are kept in
// memory and decided alike, and DiskErr tells why.
func TestKeepOnDiskFallsBackToMemory(t *testing.T) {
	o := DefaultOptions()
	docs := generated(t, 12, 60, 0.4, 7).docs
	x := NewIndex(o)
	if err := x.KeepOnDisk(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	x.Add(docs[0])
	x.sl.file.Close() // every later growth of the file fails
	for _, d := range docs[1:] {
		x.Add(d)
	}
	if x.DiskErr() == nil {
		t.Fatalf("no error after %d chunks of which %d mapped", len(x.sl.chunks), len(x.sl.mapped))
	}
	if len(x.sl.chunks) < 2 {
		t.Fatalf("docs fit in the first chunk: the test tests nothing")
	}
	want := idClusters(docs, Clusters(docs, o))
	if got := storyClusters(x.Clusters()); !slices.Equal(got, want) {
		t.Fatalf("clusters differ from batch: %s", firstDiff(got, want))
	}
	x.Close()
}

func TestZeroUnix(t *testing.T) {
	if got := (time.Time{}).Unix(); got != zeroUnix {
		t.Errorf("zero time is %d Unix seconds, zeroUnix %d", got, zeroUnix)
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("%q vs %q", a[i], b[i])
		}
	}
	return "length"
}

// TestIndexHardCases: on each generated hard case, the index finds exactly
// the pairs that the exhaustive count finds sharing min_shared shingles or
// more, and the same round-up flags.
func TestIndexHardCases(t *testing.T) {
	g := newTextgen(11)
	o := DefaultOptions()
	republisher := site{"republisher", ps("By Staff Writer", "Region: World"), append(ps("Disclaimer: the contents of this article are of sole responsibility of the author. We grant permission to cross-post articles on community internet sites as long as the source and copyright are acknowledged."), g.article(3)...)}
	plain := site{"plain", nil, nil}
	art, other, third := g.article(8), g.article(7), g.article(6)
	quote := "\u201cWe will not give up the fight for the northern valley and its people,\u201d the commander said in a statement read on state television."
	rewrite := append([]string{g.paragraph()}, art[1:7]...)
	for i := 2; i < len(rewrite); i += 2 {
		rewrite[i] = g.reword(rewrite[i], 12)
	}
	heavy := slices.Clone(art)
	for i := range heavy {
		heavy[i] = g.reword(heavy[i], 6)
	}
	tests := []struct {
		name string
		docs []Doc
		// wantPairs are id pairs that must be neighbours.
		wantPairs [][2]string
	}{
		{"copy in header and footer", append(republisher.filler(g, 3), plain.doc("a", 1, art...), republisher.doc("b", 2, art...)), [][2]string{{"a", "b"}}},
		{"one-paragraph summary", ps2(plain.doc("a", 1, art...), plain.doc("b", 2, strings.Join(art[:2], " "))), [][2]string{{"a", "b"}}},
		{"summary of the two shortest sentences", ps2(plain.doc("a", 1, art...), plain.doc("b", 2, art[3])), [][2]string{{"a", "b"}}},
		{"rewrite", ps2(plain.doc("a", 1, art...), plain.doc("b", 2, rewrite...)), [][2]string{{"a", "b"}}},
		{"heavily reworded (one word in six)", ps2(plain.doc("a", 1, art...), plain.doc("b", 2, heavy...)), nil},
		{"shared quote only", ps2(plain.doc("a", 1, append(slices.Clone(art), quote)...), plain.doc("b", 2, append(slices.Clone(other), quote)...)), nil},
		{"round-up and its stories", ps2(plain.doc("s1", 1, art...), plain.doc("s2", 2, other...), plain.doc("s3", 3, third...),
			plain.doc("r", 4, "Our round-up.", art[0], art[1], other[0], other[1], third[0], third[1])),
			[][2]string{{"r", "s1"}, {"r", "s2"}, {"r", "s3"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, p, x := measureRecall(tt.docs, nil, o)
			if r.anyMissed != 0 || r.extra != 0 {
				t.Errorf("%v, %d extra", r, r.extra)
			}
			x.cluster()
			ex := exhaustiveIndex(tt.docs, o)
			ex.cluster()
			for i := range tt.docs {
				if x.docs[i].roundup != ex.docs[i].roundup {
					t.Errorf("%s: round-up %v, exhaustive %v", tt.docs[i].ID, x.docs[i].roundup, ex.docs[i].roundup)
				}
			}
			idx := map[string]int{}
			for i, d := range tt.docs {
				idx[d.ID] = i
			}
			for _, pr := range tt.wantPairs {
				a, b := idx[pr[0]], idx[pr[1]]
				if !slices.ContainsFunc(x.docs[a].nb, func(e edge) bool { return int(e.doc) == b }) {
					t.Errorf("%s and %s are not neighbours (exhaustive: %d shared)", pr[0], pr[1], p.shared[a][b])
				}
			}
		})
	}
}

// A posting key is never 0 (the empty slot), distinct shingles have
// distinct keys (but 0 and the one whose key is 1), and the small hashes
// winnowing selects fill a table's slots evenly.
func TestPostingKey(t *testing.T) {
	if postingKey(0) == 0 {
		t.Fatal("postingKey(0) is the empty slot")
	}
	// Bijective on every run of 2^20 shingles, at the bottom, the middle
	// and the top of the range.
	for _, base := range []shingle{0, 1 << 31, 1<<32 - 1<<20} {
		seen := make(map[uint32]shingle, 1<<20)
		for i := range shingle(1 << 20) {
			h := base + i
			k := postingKey(h)
			if k == 0 {
				t.Fatalf("postingKey(%#x) = 0", h)
			}
			if o, ok := seen[k]; ok && !(k == 1 && (o == 0 || h == 0)) {
				t.Fatalf("postingKey(%#x) = postingKey(%#x) = %#x", h, o, k)
			}
			seen[k] = h
		}
	}
	// Shingles under 2^20 (the top 12 bits zero, as the minima of
	// windows mostly are) over a table of 10^4 slots, 100 a slot on
	// average: the counts are as even as uniform keys would make them
	// (chi-square within 5 standard deviations of its mean, each slot
	// within 6 of the mean). Without the mix, all would be in 3 slots.
	var p postings
	p.keys = make([]uint32, 10000)
	counts := make([]int, len(p.keys))
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 1000000
	for range n {
		counts[p.home(postingKey(shingle(rng.Uint32()>>12)))]++
	}
	mean := float64(n) / float64(len(counts))
	chi2 := 0.0
	for i, c := range counts {
		d := float64(c) - mean
		chi2 += d * d / mean
		if math.Abs(d) > 6*math.Sqrt(mean) {
			t.Errorf("slot %d has %d keys, mean %.0f", i, c, mean)
		}
	}
	if df := float64(len(counts) - 1); math.Abs(chi2-df) > 5*math.Sqrt(2*df) {
		t.Errorf("chi-square %.0f for %.0f degrees of freedom", chi2, df)
	}
}

// Near finds one doc's neighbours without bringing the rest of the index
// up to date: the same docs as Neighbours, on an index that has found
// every doc's.
func TestNearEqualsNeighbours(t *testing.T) {
	l := generated(t, 12, 60, 0.4, 7)
	near, full := NewIndex(DefaultOptions()), NewIndex(DefaultOptions())
	for _, d := range l.docs {
		near.Add(d)
		full.Add(d)
	}
	some := 0
	for i, d := range l.docs {
		if i%5 != 0 {
			continue
		}
		got, want := near.Near(d.ID), full.Neighbours(d.ID)
		if !slices.Equal(got, want) {
			t.Errorf("%s: Near %q, Neighbours %q", d.ID, got, want)
		}
		if len(want) > 0 {
			some++
		}
	}
	if some < 10 {
		t.Errorf("only %d of the docs looked at have neighbours: the corpus tests nothing", some)
	}
	if near.Near("no such doc") != nil {
		t.Error("Near of an unknown id")
	}
}

// Grow only makes room: the index decides the same with or without it,
// and after it as docs come and go.
func TestGrowKeepsDecisions(t *testing.T) {
	l := generated(t, 6, 30, 0.4, 11)
	plain, grown := NewIndex(DefaultOptions()), NewIndex(DefaultOptions())
	grown.Grow(len(l.docs))
	for i, d := range l.docs {
		plain.Add(d)
		grown.Add(d)
		if i == len(l.docs)/2 {
			grown.Clusters()
			grown.Grow(10)
		}
	}
	want, got := plain.Clusters(), grown.Clusters()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("with Grow: %d clusters, without: %d", len(got), len(want))
	}
	if len(want) >= len(l.docs) {
		t.Errorf("no merges in the corpus: the test tells nothing")
	}
}

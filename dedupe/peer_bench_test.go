package dedupe

import (
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	minhashlsh "github.com/ekzhu/minhash-lsh"
)

// BenchmarkPeers runs one corpus through three ways of finding the pairs
// whose content (boilerplate removed) has Jaccard >= NearCopy: ours (the
// winnowing index, verified exactly), MinHash LSH (github.com/ekzhu/
// minhash-lsh, the Go port of datasketch's: 128 permutations, candidates
// verified exactly) and exhaustive pairwise Jaccard. Each starts from the
// texts and runs on one core. It reports each one's time and recall
// against the exhaustive pairs.
func BenchmarkPeers(b *testing.B) {
	const n = 3000
	docs := benchDocs(n, 6)
	o := DefaultOptions()
	type pairKey struct{ a, b int }
	truth := map[pairKey]bool{}
	var exhaustiveTime time.Duration

	// contentSets shingles and strips boilerplate as the exhaustive
	// reference does.
	contentSets := func() [][]shingle {
		bp := NewBoilerplate(o.BoilerplateDocs)
		raw := make([][]shingle, len(docs))
		var sh shingler
		for i, d := range docs {
			raw[i], _, _ = sh.sign(d.Text, o.Shingle, 0)
			bp.Add(d.Group, d.ID, raw[i])
		}
		for i, d := range docs {
			raw[i] = bp.Strip(d.Group, raw[i])
		}
		return raw
	}
	jaccard := func(a, b []shingle) float64 {
		s := len(intersection(a, b))
		if u := len(a) + len(b) - s; u > 0 && s >= o.MinShared {
			return float64(s) / float64(u)
		}
		return 0
	}
	recall := func(found map[pairKey]bool) float64 {
		hit := 0
		for p := range truth {
			if found[p] {
				hit++
			}
		}
		return float64(hit) / float64(max(1, len(truth)))
	}

	b.Run("exhaustive", func(b *testing.B) {
		for b.Loop() {
			t0 := time.Now()
			sets := contentSets()
			clear(truth)
			for i := range sets {
				for j := i + 1; j < len(sets); j++ {
					if jaccard(sets[i], sets[j]) >= o.NearCopy {
						truth[pairKey{i, j}] = true
					}
				}
			}
			exhaustiveTime = time.Since(t0)
		}
		b.ReportMetric(float64(len(truth)), "pairs")
	})
	if len(truth) == 0 {
		b.Fatal("no pair at the threshold")
	}
	var oursTime, lshTime time.Duration
	b.Run("ours", func(b *testing.B) {
		found := map[pairKey]bool{}
		// On one core, as the others run.
		prev := runtime.GOMAXPROCS(1)
		defer runtime.GOMAXPROCS(prev)
		for b.Loop() {
			t0 := time.Now()
			x := batchIndex(docs, o)
			x.refresh()
			clear(found)
			for i := range x.docs {
				for _, ed := range x.docs[i].nb {
					if j := int(ed.doc); j > i && x.pair(int32(i), ed.doc, ed.shared).Jaccard >= o.NearCopy {
						found[pairKey{i, j}] = true
					}
				}
			}
			oursTime = time.Since(t0)
		}
		b.ReportMetric(recall(found), "recall")
		b.ReportMetric(float64(len(found)), "pairs")
	})
	b.Run("minhash-lsh", func(b *testing.B) {
		found := map[pairKey]bool{}
		for b.Loop() {
			t0 := time.Now()
			sets := contentSets()
			lsh := minhashlsh.NewMinhashLSH64(128, o.NearCopy)
			sigs := make([][]uint64, len(sets))
			var buf [4]byte
			for i, s := range sets {
				m := minhashlsh.NewMinhash(1, 128)
				for _, h := range s {
					binary.LittleEndian.PutUint32(buf[:], h)
					m.Push(buf[:])
				}
				sigs[i] = m.Signature()
				lsh.Add(i, sigs[i])
			}
			lsh.Index()
			clear(found)
			for i := range sets {
				for _, k := range lsh.Query(sigs[i]) {
					j := k.(int)
					if j > i && jaccard(sets[i], sets[j]) >= o.NearCopy {
						found[pairKey{i, j}] = true
					}
				}
			}
			lshTime = time.Since(t0)
		}
		b.ReportMetric(recall(found), "recall")
		b.ReportMetric(float64(len(found)), "pairs")
	})
	b.Logf("%d docs, %d pairs at Jaccard >= %.2f: ours %v, minhash-lsh %v, exhaustive %v", n, len(truth), o.NearCopy,
		oursTime.Round(time.Millisecond), lshTime.Round(time.Millisecond), exhaustiveTime.Round(time.Millisecond))
}

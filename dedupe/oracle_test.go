package dedupe

import (
	"slices"
	"sort"
)

func uniq(s []uint64) []uint64 {
	slices.Sort(s)
	return slices.Compact(s)
}

// The exhaustive reference: the clustering as it was before the candidate
// index, every pair sharing a shingle counted through an inverted index
// over all shingles. Tests compare the index with it.

type oracle struct {
	docs    []Doc
	sets    [][]uint64 // content shingles, boilerplate removed
	roundup []bool
	shared  []map[int]int
}

func newOracle(docs []Doc, o Options) *oracle {
	p := &oracle{docs: docs, sets: make([][]uint64, len(docs))}
	bp := NewBoilerplate(o.BoilerplateDocs)
	raw := make([][]uint64, len(docs))
	for i, d := range docs {
		raw[i] = shingles(d.Text, o.Shingle)
		bp.Add(d.Group, d.ID, raw[i])
	}
	for i, d := range docs {
		p.sets[i] = bp.Strip(d.Group, raw[i])
	}
	p.shared = oracleSharedCounts(p.sets)
	p.roundup = make([]bool, len(docs))
	for i := range docs {
		p.roundup[i] = p.isRoundup(i, o)
	}
	return p
}

func oracleSharedCounts(sets [][]uint64) []map[int]int {
	post := map[uint64][]int{}
	for i, s := range sets {
		for _, h := range s {
			post[h] = append(post[h], i)
		}
	}
	out := make([]map[int]int, len(sets))
	for i := range out {
		out[i] = map[int]int{}
	}
	for _, ids := range post {
		for x, i := range ids {
			for _, j := range ids[x+1:] {
				out[i][j]++
				out[j][i]++
			}
		}
	}
	return out
}

func (p *oracle) pair(i, j int) Pair {
	return pairOf(p.shared[i][j], len(p.sets[i]), len(p.sets[j]))
}

// isRoundup is the rule as it was, with one change that the index makes:
// the overlapping docs are taken in time order rather than input order,
// so that the result does not depend on the order docs are given in.
func (p *oracle) isRoundup(i int, o Options) bool {
	n := len(p.sets[i])
	if n == 0 {
		return false
	}
	var parts []map[uint64]bool
	js := oracleSortedKeys(p.shared[i])
	sort.SliceStable(js, func(a, b int) bool { return oracleEarlier(p.docs, js[a], js[b]) })
	for _, j := range js {
		pr := p.pair(i, j)
		if pr.Shared < o.MinShared || o.nearCopy(pr) {
			continue
		}
		region := intersection(p.sets[i], p.sets[j])
		merged := false
		for _, part := range parts {
			common := 0
			for _, h := range region {
				if part[h] {
					common++
				}
			}
			if 2*common >= len(region) || 2*common >= len(part) {
				for _, h := range region {
					part[h] = true
				}
				merged = true
				break
			}
		}
		if !merged {
			part := make(map[uint64]bool, len(region))
			for _, h := range region {
				part[h] = true
			}
			parts = append(parts, part)
		}
	}
	big, covered := 0, map[uint64]bool{}
	for _, part := range parts {
		if float64(len(part)) >= o.RoundupPart*float64(n) {
			big++
			for h := range part {
				covered[h] = true
			}
		}
	}
	return big >= o.RoundupParts && float64(len(covered)) >= o.RoundupCoverage*float64(n)
}

func (p *oracle) match(d, m int, viaRep bool, o Options) (float64, bool) {
	pr := p.pair(d, m)
	if o.nearCopy(pr) {
		return pr.Containment, true
	}
	if !viaRep || !o.contained(pr) {
		return 0, false
	}
	larger := d
	if len(p.sets[m]) > len(p.sets[d]) {
		larger = m
	}
	if p.roundup[larger] {
		return 0, false
	}
	return pr.Containment, true
}

func oracleEarlier(docs []Doc, i, j int) bool {
	a, b := &docs[i], &docs[j]
	if a.Time.IsZero() != b.Time.IsZero() {
		return !a.Time.IsZero()
	}
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	if a.Group != b.Group {
		return a.Group < b.Group
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	return i < j
}

// clusters is Clusters as it was.
func (p *oracle) clusters(o Options) []Cluster {
	docs := p.docs
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return oracleEarlier(docs, order[a], order[b]) })
	rank := make([]int, len(docs))
	for r, d := range order {
		rank[d] = r
	}
	var clusters []Cluster
	clusterOf := make([]int, len(docs))
	byKey := map[string]int{}
	for _, d := range order {
		c := -1
		for _, k := range docs[d].Keys {
			if k == "" {
				continue
			}
			if x, ok := byKey[scopedKey(docs[d].Group, k)]; ok {
				c = x
				break
			}
		}
		if c < 0 {
			cands := oracleSortedKeys(p.shared[d])
			sort.Slice(cands, func(a, b int) bool { return rank[cands[a]] < rank[cands[b]] })
			best := 0.0
			for _, m := range cands {
				if clusterOf[m] == 0 {
					continue
				}
				mc := clusterOf[m] - 1
				score, ok := p.match(d, m, clusters[mc].Rep() == m, o)
				if ok && score > best {
					best, c = score, mc
				}
			}
		}
		if c < 0 {
			clusters = append(clusters, Cluster{})
			c = len(clusters) - 1
		}
		clusters[c].Members = append(clusters[c].Members, d)
		clusterOf[d] = c + 1
		for _, k := range docs[d].Keys {
			if k != "" {
				if _, ok := byKey[scopedKey(docs[d].Group, k)]; !ok {
					byKey[scopedKey(docs[d].Group, k)] = c
				}
			}
		}
	}
	return clusters
}

func oracleSortedKeys(m map[int]int) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

package dedupe

import (
	"sort"
)

// prepared holds what comparisons need of each doc.
type prepared struct {
	docs    []Doc
	sets    [][]uint64 // content shingles, boilerplate removed
	roundup []bool
	// shared[i] maps j to the number of content shingles docs i and j
	// share, for every j that shares any.
	shared []map[int]int
}

// Pair is the evidence between two docs.
type Pair struct {
	Shared      int     // content shingles in common
	SizeA       int     // content shingles of A
	SizeB       int     // content shingles of B
	Jaccard     float64 // Shared / |A ∪ B|
	Containment float64 // Shared / min(|A|, |B|)
}

func pairOf(shared, a, b int) Pair {
	p := Pair{Shared: shared, SizeA: a, SizeB: b}
	if u := a + b - shared; u > 0 {
		p.Jaccard = float64(shared) / float64(u)
	}
	if m := min(a, b); m > 0 {
		p.Containment = float64(shared) / float64(m)
	}
	return p
}

// nearCopy reports whether p is symmetric enough to be a copy of the whole
// text rather than of a part.
func (o Options) nearCopy(p Pair) bool {
	return p.Shared >= o.MinShared && p.Jaccard >= o.NearCopy
}

// contained reports whether most of the smaller text lies in the larger.
func (o Options) contained(p Pair) bool {
	return p.Shared >= o.MinShared && p.Containment >= o.Containment
}

func prepare(docs []Doc, o Options) *prepared {
	p := &prepared{docs: docs, sets: make([][]uint64, len(docs))}
	bp := NewBoilerplate(o.BoilerplateDocs)
	raw := make([][]uint64, len(docs))
	for i, d := range docs {
		raw[i] = shingles(d.Text, o.Shingle)
		bp.Add(d.Group, d.ID, raw[i])
	}
	for i, d := range docs {
		p.sets[i] = bp.Strip(d.Group, raw[i])
	}
	p.shared = sharedCounts(p.sets)
	p.roundup = make([]bool, len(docs))
	for i := range docs {
		p.roundup[i] = p.isRoundup(i, o)
	}
	return p
}

// sharedCounts counts, through an inverted index, the shingles each pair of
// sets has in common; pairs with nothing in common are never visited.
func sharedCounts(sets [][]uint64) []map[int]int {
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

func (p *prepared) pair(i, j int) Pair {
	return pairOf(p.shared[i][j], len(p.sets[i]), len(p.sets[j]))
}

// isRoundup tells whether doc i is made of parts of several other stories:
// the texts that share a part of it (not the whole: near copies do not
// count) fall into at least RoundupParts disjoint parts of it, which
// together cover most of it. An article quoted by a summary in one place
// and sharing background with a follow-up in another has two parts and
// keeps most of its text to itself; a round-up of three stories does not.
func (p *prepared) isRoundup(i int, o Options) bool {
	n := len(p.sets[i])
	if n == 0 {
		return false
	}
	var parts []map[uint64]bool
	for _, j := range sortedKeys(p.shared[i]) {
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

// match tells whether doc d may join a cluster through doc m, and how
// strongly. Through the representative a containment match is enough,
// unless the larger of the two is a round-up; through any other member
// only a near copy counts, so clusters never grow by chains of partial
// matches.
func (p *prepared) match(d, m int, viaRep bool, o Options) (float64, bool) {
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

// Clusters groups docs into clusters of copies. Every doc is in exactly one
// cluster; the result is ordered by representative, earliest first.
func Clusters(docs []Doc, o Options) []Cluster {
	p := prepare(docs, o)
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return earlier(&docs[order[a]], &docs[order[b]]) })
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
			// Candidates in time order, so that a tie goes to the older
			// story whatever order the docs were given in.
			cands := sortedKeys(p.shared[d])
			sort.Slice(cands, func(a, b int) bool { return rank[cands[a]] < rank[cands[b]] })
			best := 0.0
			for _, m := range cands {
				if clusterOf[m] == 0 {
					continue // not placed yet: later in time
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

func sortedKeys(m map[int]int) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func intersection(a, b []uint64) []uint64 {
	var out []uint64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

package dedupe

import (
	"slices"
)

func uniq(s []shingle) []shingle {
	slices.Sort(s)
	return slices.Compact(s)
}

// The exhaustive reference for the candidate index: every pair sharing a
// shingle counted through an inverted index over all shingles. Tests
// measure the index's missed pairs against it.

type oracle struct {
	docs   []Doc
	sets   [][]shingle // content shingles, boilerplate removed
	shared []map[int]int
}

func newOracle(docs []Doc, o Options) *oracle {
	p := &oracle{docs: docs, sets: make([][]shingle, len(docs))}
	bp := NewBoilerplate(o.BoilerplateDocs)
	raw := make([][]shingle, len(docs))
	for i, d := range docs {
		raw[i] = shingles(d.Text, o.Shingle)
		bp.Add(d.Group, d.ID, raw[i])
	}
	for i, d := range docs {
		p.sets[i] = bp.Strip(d.Group, raw[i])
	}
	p.shared = oracleSharedCounts(p.sets)
	return p
}

func oracleSharedCounts(sets [][]shingle) []map[int]int {
	post := map[shingle][]int{}
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

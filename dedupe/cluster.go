package dedupe

import (
	"fmt"
	"math/bits"
)

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
	return p.Shared >= o.MinShared && p.Jaccard >= o.NearCopy &&
		float64(p.Shared) >= nearCopyCover*float64(max(p.SizeA, p.SizeB))
}

// nearCopyCover is the least share of the larger text that a near copy
// covers: a text that quotes half of another is not its copy, whatever
// the Jaccard of two short texts says.
const nearCopyCover = 0.55

// ledeShingles is how many opening content shingles make a text's lede:
// about its first sentence.
const ledeShingles = 20

// contained reports whether most of the smaller text lies in the larger.
func (o Options) contained(p Pair) bool {
	return p.Shared >= o.MinShared && p.Containment >= o.Containment
}

// Rule is the rule that decided where a doc went, or why two docs do not
// merge.
type Rule uint8

const (
	// RuleNew: the doc matched no earlier one and starts a cluster, as its
	// representative.
	RuleNew Rule = iota
	// RuleKey: the doc shares a GUID or canonical link with a member.
	RuleKey
	// RuleNearCopy: Jaccard >= near_copy with a member (any member).
	RuleNearCopy
	// RuleContained: containment >= containment with the representative.
	RuleContained

	// The rules below keep two docs apart.

	// RuleTooFewShared: fewer than min_shared shingles in common.
	RuleTooFewShared
	// RuleNoMatch: neither a near copy nor contained.
	RuleNoMatch
	// RuleNotRep: contained, but the other doc is not its cluster's
	// representative: partial matches never chain.
	RuleNotRep
	// RuleRoundup: one of the two is a round-up, which merges only with a
	// near copy of itself (another round-up): it shares a part with each
	// story it gathers, in either direction.
	RuleRoundup
)

func (r Rule) String() string {
	switch r {
	case RuleNew:
		return "new"
	case RuleKey:
		return "same-key"
	case RuleNearCopy:
		return "near-copy"
	case RuleContained:
		return "contained"
	case RuleTooFewShared:
		return "too-few-shared"
	case RuleNoMatch:
		return "no-match"
	case RuleNotRep:
		return "not-representative"
	case RuleRoundup:
		return "round-up"
	}
	return fmt.Sprintf("Rule(%d)", r)
}

// Merges tells whether the rule puts a doc into an existing cluster.
func (r Rule) Merges() bool { return r == RuleKey || r == RuleNearCopy || r == RuleContained }

// Decision is how a doc was placed, or the verdict on a pair of docs.
type Decision struct {
	Merge bool
	Rule  Rule
	Via   string // the member it matched (in a Story); empty for a representative
	Pair  Pair   // the evidence, the placed doc as A
}

// String is the decision in one line.
func (d Decision) String() string {
	p := d.Pair
	via := ""
	if d.Via != "" {
		via = " " + d.Via
	}
	switch d.Rule {
	case RuleNew:
		return "representative: matches no earlier doc"
	case RuleKey:
		return "same item as" + via + ": shares a GUID or canonical link"
	case RuleNearCopy:
		return fmt.Sprintf("near copy of%s: Jaccard %.2f, %d shingles shared", via, p.Jaccard, p.Shared)
	case RuleContained:
		return fmt.Sprintf("contained: %.0f%% of the smaller text lies in the larger%s, %d shingles shared", 100*p.Containment, viaText(via), p.Shared)
	case RuleTooFewShared:
		return fmt.Sprintf("only %d shingles shared", p.Shared)
	case RuleNoMatch:
		return fmt.Sprintf("containment %.2f and Jaccard %.2f are both too low (%d shingles shared)", p.Containment, p.Jaccard, p.Shared)
	case RuleNotRep:
		return fmt.Sprintf("contained (%.2f) in a doc that is not its cluster's representative, and not a near copy (Jaccard %.2f)", p.Containment, p.Jaccard)
	case RuleRoundup:
		return fmt.Sprintf("containment %.2f, Jaccard %.2f, but a round-up merges only with a copy of itself", p.Containment, p.Jaccard)
	}
	return d.Rule.String()
}

func viaText(via string) string {
	if via == "" {
		return ""
	}
	return " (representative" + via + ")"
}

// Cluster is one group of copies: Members are indexes into the docs given
// to Clusters, the representative (earliest) first, then by time.
type Cluster struct {
	Members []int
}

// Rep is the index of the representative.
func (c Cluster) Rep() int { return c.Members[0] }

func intersection(a, b []shingle) []shingle {
	var out []shingle
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

func union(a, b []shingle) []shingle {
	out := make([]shingle, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func tz(x uint64) int { return bits.TrailingZeros64(x) }

package dedupe

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Explanation is the evidence on two docs and what dedupe decides about
// them: for `aggregate explain`.
type Explanation struct {
	A, B    TextReport
	Shared  int     // content shingles in common
	Jaccard float64 // Shared / |A ∪ B|
	AInB    float64 // share of A's content shingles that lie in B
	BInA    float64 // share of B's content shingles that lie in A
	SameKey bool    // they share a GUID or canonical link
	Options Options // the thresholds
	// Decision is the rule on the pair, the later doc compared with the
	// earlier as if the earlier were its cluster's representative (the
	// most a pair can get: through another member only a near copy
	// merges). Via names the earlier doc.
	Decision Decision
	// Together tells whether clustering the two with the context puts them
	// in one cluster; Context is the number of context docs.
	Together bool
	Context  int
}

// TextReport is one doc's side of an Explanation.
type TextReport struct {
	ID, Group             string
	RawWords, RawShingles int // before boilerplate removal
	Words, Shingles       int // after: words that a content shingle covers
	// Boilerplate lists the passages removed as the group's boilerplate
	// (runs of words every shingle of which the group repeats), in order.
	Boilerplate []string
	// Short lists the paragraphs too short to make a shingle (by-lines,
	// "Region: World"): they never count.
	Short []string
	// Roundup tells whether the doc is a round-up, and RoundupParts the
	// sizes (in shingles) of the parts of it that other docs share, when
	// it has at least one big enough to count.
	Roundup      bool
	RoundupParts []int
}

// Explain tells what dedupe makes of docs a and b. Context gives the
// other docs it judges by: boilerplate is learnt from each group's docs
// (pass the other docs of both groups), round-ups from the docs that share
// text with a or b. Docs of context with the ID of a or b are left out.
func Explain(a, b Doc, context []Doc, o Options) Explanation {
	docs := make([]Doc, 0, len(context)+2)
	for _, d := range context {
		if !(d.ID == a.ID && d.Group == a.Group) && !(d.ID == b.ID && d.Group == b.Group) {
			docs = append(docs, d)
		}
	}
	n := len(docs)
	docs = append(docs, a, b)
	x := batchIndex(docs, o)
	cs, _ := x.cluster()
	ha, hb := int32(n), int32(n+1)
	_, rank := x.order()
	ex := Explanation{Options: o, Context: n}
	ea, eb := &x.docs[ha], &x.docs[hb]
	va, vb := x.view(ha), x.view(hb)
	ex.Shared = sharedCount(va.set, va.bp, vb.set, vb.bp)
	pr := pairOf(ex.Shared, int(ea.size), int(eb.size))
	ex.Jaccard = pr.Jaccard
	if ea.size > 0 {
		ex.AInB = float64(ex.Shared) / float64(ea.size)
	}
	if eb.size > 0 {
		ex.BInA = float64(ex.Shared) / float64(eb.size)
	}
	for _, k := range va.keys {
		for _, l := range vb.keys {
			ex.SameKey = ex.SameKey || k == l
		}
	}
	for _, c := range cs {
		in := 0
		for _, h := range c {
			if h == ha || h == hb {
				in++
			}
		}
		ex.Together = ex.Together || in == 2
	}
	ex.A = x.report(ha, a, rank)
	ex.B = x.report(hb, b, rank)

	placed, rep := hb, ha
	if x.earlier(hb, ha) {
		placed, rep = ha, hb
	}
	p := pairOf(ex.Shared, int(x.docs[placed].size), int(x.docs[rep].size))
	r := o.rule(p, true, x.docs[placed].roundup, x.docs[rep].roundup)
	if ex.SameKey {
		r = RuleKey
	}
	ex.Decision = Decision{Merge: r.Merges(), Rule: r, Via: x.docs[rep].id, Pair: p}
	return ex
}

// report describes doc h, whose text is d.Text.
func (x *Index) report(h int32, d Doc, rank []int32) TextReport {
	e, v := &x.docs[h], x.view(h)
	t := TextReport{ID: d.ID, Group: d.Group, RawShingles: len(v.set), Shingles: int(e.size)}
	t.Roundup = e.roundup
	if _, parts := x.isRoundup(h, rank); len(parts) > 0 {
		t.RoundupParts = parts
	}
	bp := map[shingle]bool{}
	for i, s := range v.set {
		if bit(v.bp, i) {
			bp[s] = true
		}
	}
	k := x.o.Shingle
	for _, p := range paragraphs(d.Text) {
		spans := wordSpans(p)
		t.RawWords += len(spans)
		if len(spans) < k {
			t.Short = append(t.Short, p)
			continue
		}
		hs := make([]uint64, len(spans))
		for i, sp := range spans {
			hs[i] = wordHash(strings.ToLower(p[sp[0]:sp[1]]))
		}
		// A word is stripped when every shingle over it is boilerplate.
		content := make([]bool, len(spans))
		for j := 0; j+k <= len(hs); j++ {
			if !bp[shingleHash(hs[j:j+k])] {
				for i := j; i < j+k; i++ {
					content[i] = true
				}
			}
		}
		for i := 0; i < len(spans); {
			if content[i] {
				t.Words++
				i++
				continue
			}
			j := i
			for j < len(spans) && !content[j] {
				j++
			}
			t.Boilerplate = append(t.Boilerplate, p[spans[i][0]:spans[j-1][1]])
			i = j
		}
	}
	return t
}

// wordSpans returns the byte ranges of the words of p, as words finds
// them.
func wordSpans(p string) [][2]int {
	var out [][2]int
	start := -1
	for i, r := range p {
		l := unicode.ToLower(r)
		in := r != utf8.RuneError && (unicode.IsLetter(l) || unicode.IsDigit(l))
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(p)})
	}
	return out
}

// String formats the explanation for a terminal.
func (e Explanation) String() string {
	var b strings.Builder
	o := e.Options
	side := func(name string, t TextReport) {
		fmt.Fprintf(&b, "%s  %s  (%s)\n", name, t.ID, t.Group)
		fmt.Fprintf(&b, "   %d words, %d shingles; after boilerplate removal %d words, %d shingles\n", t.RawWords, t.RawShingles, t.Words, t.Shingles)
		if len(t.Boilerplate) == 0 {
			b.WriteString("   boilerplate removed: none\n")
		} else {
			fmt.Fprintf(&b, "   boilerplate removed (%d passages):\n", len(t.Boilerplate))
			for _, p := range t.Boilerplate {
				fmt.Fprintf(&b, "     - %q (%d words)\n", clip(p, 100), len(wordSpans(p)))
			}
		}
		if len(t.Short) > 0 {
			var q []string
			for _, s := range t.Short {
				q = append(q, fmt.Sprintf("%q", clip(s, 40)))
			}
			fmt.Fprintf(&b, "   too short to count: %s\n", strings.Join(q, ", "))
		}
		switch {
		case t.Roundup:
			fmt.Fprintf(&b, "   round-up: yes, parts shared with other docs of %v shingles\n", t.RoundupParts)
		case len(t.RoundupParts) > 0:
			fmt.Fprintf(&b, "   round-up: no (parts shared with other docs: %v shingles)\n", t.RoundupParts)
		default:
			b.WriteString("   round-up: no\n")
		}
	}
	side("A", e.A)
	side("B", e.B)
	fmt.Fprintf(&b, "shared shingles    %d   (at least %d for any match)\n", e.Shared, o.MinShared)
	fmt.Fprintf(&b, "Jaccard            %.3f   (near copy at >= %.2f)\n", e.Jaccard, o.NearCopy)
	fmt.Fprintf(&b, "containment        A in B %.3f, B in A %.3f   (match at >= %.2f of the smaller)\n", e.AInB, e.BInA, o.Containment)
	fmt.Fprintf(&b, "round-up rule      %d parts covering %.0f%%, each >= %.0f%% of the text\n", o.RoundupParts, 100*o.RoundupCoverage, 100*o.RoundupPart)
	verdict := "APART"
	if e.Decision.Merge {
		verdict = "MERGE"
	}
	fmt.Fprintf(&b, "decision           %s: %s\n", verdict, e.Decision)
	together := "apart"
	if e.Together {
		together = "in one cluster"
	}
	fmt.Fprintf(&b, "with the context   %s (clustered with %d context docs)\n", together, e.Context)
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

package dedupe

import (
	"slices"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	g := newTextgen(21)
	o := DefaultOptions()
	disclaimer := "Disclaimer: the contents of this article are of sole responsibility of the author. We grant permission to cross-post articles on community internet sites as long as the source and copyright are acknowledged."
	republisher := site{"republisher", ps("By Staff Writer", "Region: World"), append(ps(disclaimer), g.article(2)...)}
	plain := site{"plain", nil, nil}
	digest := site{"digest", nil, nil}
	art, other, third := g.article(8), g.article(8), g.article(8)
	quote := "\u201cWe will not give up the fight for the northern valley and its people,\u201d the commander said in a statement read on state television."
	roundup := digest.doc("roundup", 10, "Here is our round-up for the day.", art[0], art[1], other[0], other[1], third[0], third[1])
	stories := ps2(plain.doc("s1", 1, art...), plain.doc("s2", 2, other...), plain.doc("s3", 3, third...))

	tests := []struct {
		name    string
		a, b    Doc
		context []Doc
		merge   bool
		rule    Rule
		check   func(t *testing.T, e Explanation)
	}{
		{"copy in the republisher's header and footer", plain.doc("orig", 1, art...), republisher.doc("copy", 5, art...), republisher.filler(g, 3), true, RuleNearCopy,
			func(t *testing.T, e Explanation) {
				if len(e.B.Boilerplate) == 0 || !strings.HasPrefix(e.B.Boilerplate[0], "Disclaimer: the contents") {
					t.Errorf("B's boilerplate %q, want the disclaimer first", e.B.Boilerplate)
				}
				if len(e.A.Boilerplate) != 0 {
					t.Errorf("A has boilerplate %q", e.A.Boilerplate)
				}
				if !slices.Equal(e.B.Short, []string{"By Staff Writer", "Region: World"}) {
					t.Errorf("B's short lines %q", e.B.Short)
				}
				if e.A.Words != e.B.Words || e.A.Shingles != e.B.Shingles || e.Shared != e.A.Shingles || e.Jaccard != 1 {
					t.Errorf("after boilerplate removal the texts differ: A %+v B %+v shared %d", e.A, e.B, e.Shared)
				}
				if e.B.RawWords <= e.B.Words {
					t.Errorf("B raw %d words, %d after", e.B.RawWords, e.B.Words)
				}
			}},
		{"two-paragraph summary", plain.doc("orig", 1, art...), plain.doc("sum", 2, strings.Join(art[:2], " ")), nil, true, RuleContained,
			func(t *testing.T, e Explanation) {
				if e.BInA < 0.9 || e.AInB > 0.4 {
					t.Errorf("containment A in B %.2f, B in A %.2f", e.AInB, e.BInA)
				}
			}},
		{"summary and a round-up quoting it", plain.doc("sum", 4, strings.Join(art[:2], " ")), roundup, stories, false, RuleRoundup,
			func(t *testing.T, e Explanation) {
				if !e.B.Roundup || len(e.B.RoundupParts) < 3 || e.A.Roundup {
					t.Errorf("round-up flags A %v B %v %v", e.A.Roundup, e.B.Roundup, e.B.RoundupParts)
				}
				if e.Together {
					t.Error("together with the context")
				}
			}},
		{"different articles about the same event", plain.doc("a", 1, append(slices.Clone(art), quote)...), plain.doc("b", 2, append(slices.Clone(other), quote)...), nil, false, RuleNoMatch, nil},
		{"one shared sentence", plain.doc("a", 1, "Markets closed higher today after a long week of heavy trading."), plain.doc("b", 2, "Markets closed higher today after a long week of heavy trading."), nil, false, RuleTooFewShared, nil},
		{"same link", Doc{ID: "k1", Group: "plain", Time: at(1), Text: art[0], Keys: []string{"https://example.org/a"}},
			Doc{ID: "k2", Group: "other", Time: at(2), Text: other[0], Keys: []string{"https://example.org/a"}}, nil, true, RuleKey, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Explain(tt.a, tt.b, tt.context, o)
			s := e.String()
			t.Logf("\n%s", s)
			if e.Decision.Merge != tt.merge || e.Decision.Rule != tt.rule {
				t.Errorf("decision %v (%s), want merge=%v rule %s", e.Decision.Merge, e.Decision.Rule, tt.merge, tt.rule)
			}
			if tt.rule != RuleKey && e.Together != tt.merge {
				t.Errorf("together = %v, want %v", e.Together, tt.merge)
			}
			verdict := "decision           APART"
			if tt.merge {
				verdict = "decision           MERGE"
			}
			for _, want := range []string{verdict, "Jaccard", "containment", "A  " + tt.a.ID, "B  " + tt.b.ID, "(at least 15 for any match)"} {
				if !strings.Contains(s, want) {
					t.Errorf("String() lacks %q", want)
				}
			}
			if strings.Count(s, "decision") != 1 || strings.Count(strings.SplitAfter(s, "decision")[1], "\n") != 2 {
				t.Errorf("the decision is not one line")
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

// The explanation's numbers are the index's: the same boilerplate, sizes
// and shared counts as clustering uses, on the crosspost-dev feeds.
func TestExplainAgreesWithClusters(t *testing.T) {
	docs := devDocs(t)
	o := DefaultOptions()
	cs := Clusters(docs, o)
	p := newOracle(docs, o)
	checked := 0
	for _, c := range cs {
		if len(c.Members) < 2 {
			continue
		}
		i, j := c.Members[0], c.Members[1]
		var context []Doc
		for k, d := range docs {
			if k != i && k != j {
				context = append(context, d)
			}
		}
		e := Explain(docs[i], docs[j], context, o)
		if !e.Decision.Merge || !e.Together {
			t.Errorf("%s + %s: clustered together, but explained as %s (together %v)", docs[i].ID, docs[j].ID, e.Decision, e.Together)
		}
		if e.Shared != p.shared[i][j] || e.A.Shingles != len(p.sets[i]) || e.B.Shingles != len(p.sets[j]) {
			t.Errorf("%s + %s: shared %d sizes %d %d, exhaustive %d %d %d", docs[i].ID, docs[j].ID, e.Shared, e.A.Shingles, e.B.Shingles, p.shared[i][j], len(p.sets[i]), len(p.sets[j]))
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no cluster of two")
	}
}

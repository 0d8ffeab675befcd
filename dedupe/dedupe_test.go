package dedupe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func at(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }

// site makes docs for one source whose every text carries the same header
// and footer, plus a few unrelated articles so that the footer is seen
// often enough to be learnt as boilerplate.
type site struct {
	name           string
	header, footer []string
}

func (s site) doc(id string, h int, body ...string) Doc {
	return Doc{ID: id, Group: s.name, Time: at(h), Text: join(s.header, body, s.footer)}
}

func (s site) filler(g *textgen, n int) []Doc {
	var out []Doc
	for i := range n {
		out = append(out, s.doc(fmt.Sprintf("%s-filler-%d", s.name, i), 100+i, g.article(5)...))
	}
	return out
}

// groups renders clusters as sorted id lists, filler articles left out.
func groups(docs []Doc, cs []Cluster) []string {
	var out []string
	for _, c := range cs {
		var ids []string
		for _, m := range c.Members {
			ids = append(ids, docs[m].ID)
		}
		if len(ids) == 1 && strings.Contains(ids[0], "filler") {
			continue
		}
		slices.Sort(ids)
		out = append(out, strings.Join(ids, "+"))
	}
	slices.Sort(out)
	return out
}

func TestClusters(t *testing.T) {
	g := newTextgen(1)
	republisher := site{"republisher",
		ps("By Staff Writer", "Region: World", "Theme: Conflict"),
		ps("Disclaimer: the contents of this article are of sole responsibility of the author. We will not be responsible for any inaccurate or incorrect statement in this article. We grant permission to cross-post articles on community internet sites as long as the source and copyright are acknowledged.",
			"The original source of this article is the original publisher. Copyright remains with the author and publisher.")}
	// Real disclaimers run to hundreds of words: as long as a short article.
	republisher.footer = append(republisher.footer, g.article(3)...)
	activist := site{"activist", nil, ps("If you are able, and if you like our content and approach, please support the project. Our work would not be possible without your help, your donations, your shares and your comments on every article.")}
	plain := site{"plain", nil, nil}
	digest := site{"digest", nil, nil}

	art := g.article(8)
	other := g.article(8)
	third := g.article(8)
	fourth := g.article(8)
	quote := "\u201cWe will not give up the fight for the northern valley and its people,\u201d the commander said in a statement read on state television."

	// A different article about the same event: shared names, one
	// identical quote, the rest its own.
	sameEvent := append(g.article(6), quote)
	withQuote := append(slices.Clone(art), quote)
	// A follow-up reusing three background paragraphs word for word.
	followUp := join(g.article(4), art[4:7])
	// A rewrite: new lede, one paragraph cut, a few sentences reworded.
	rewrite := append([]string{g.paragraph()}, art[1:7]...)
	for i := 2; i < len(rewrite); i += 2 {
		rewrite[i] = g.reword(rewrite[i], 12)
	}
	summary := strings.Join(art[:2], " ")

	tests := []struct {
		name string
		docs []Doc
		want []string
	}{
		{"copy wrapped in header and footer", append(republisher.filler(g, 3),
			activist.doc("orig", 1, art...), republisher.doc("copy", 5, art...)),
			[]string{"copy+orig"}},
		{"both sites' boilerplate does not merge different articles", append(append(republisher.filler(g, 3), activist.filler(g, 3)...),
			republisher.doc("r1", 1, art[:3]...), republisher.doc("r2", 2, other[:3]...),
			activist.doc("a1", 3, third[:3]...), activist.doc("a2", 4, fourth[:3]...)),
			[]string{"a1", "a2", "r1", "r2"}},
		{"two-paragraph summary", ps2(plain.doc("orig", 1, art...), plain.doc("sum", 2, summary)),
			[]string{"orig+sum"}},
		{"summary first, full copies later", append(republisher.filler(g, 3),
			plain.doc("sum", 1, summary), activist.doc("full", 2, art...), republisher.doc("full2", 3, art...)),
			[]string{"full+full2+sum"}},
		{"rewrite joins through a full copy, summary first", append(republisher.filler(g, 3),
			plain.doc("sum", 1, summary), republisher.doc("full", 2, art...), activist.doc("rewrite", 3, rewrite...)),
			[]string{"full+rewrite+sum"}},
		{"different articles about the same event", ps2(plain.doc("a", 1, withQuote...), activist.doc("b", 2, sameEvent...)),
			[]string{"a", "b"}},
		{"follow-up reusing background", ps2(plain.doc("orig", 1, art...), plain.doc("follow", 30, followUp)),
			[]string{"follow", "orig"}},
		// The summaries are exactly the openings the round-up quotes, so
		// only the round-up rule keeps them apart; the round-up is
		// published after its stories and given first, so that no
		// tie-break or input order can hide a wrong merge.
		{"round-up of three openings", append(ps2(
			digest.doc("roundup", 10, "Here is our round-up for the day.", art[0], art[1], "Source: one.", other[0], other[1], "Source: two.", third[0], third[1], "Source: three."),
			activist.doc("sum2", 12, strings.Join(other[:2], " ")),
			plain.doc("s1", 1, art...), plain.doc("s2", 11, other...), plain.doc("s3", 3, third...),
			activist.doc("sum1", 4, strings.Join(art[:2], " "))), republisher.filler(g, 3)...),
			[]string{"roundup", "s1+sum1", "s2+sum2", "s3"}},
		// Two stories only: the parts rule alone would not see a round-up,
		// and a summary is half of it (Jaccard 0.5), so only the quoted
		// openings give it away.
		{"round-up of two openings", append(ps2(
			digest.doc("roundup2", 10, "Two stories today.", art[0], art[1], "Source: one.", other[0], other[1], "Source: two."),
			activist.doc("sum1", 4, strings.Join(art[:2], " ")),
			activist.doc("sum2", 12, strings.Join(other[:2], " ")),
			plain.doc("s1", 1, art...), plain.doc("s2", 11, other...)), republisher.filler(g, 3)...),
			[]string{"roundup2", "s1+sum1", "s2+sum2"}},
		{"a copy of a round-up merges with it", ps2(
			plain.doc("s1", 1, art...), plain.doc("s2", 2, other...), plain.doc("s3", 3, third...),
			digest.doc("roundup", 10, art[0], art[1], other[0], other[1], third[0], third[1]),
			activist.doc("roundup-copy", 11, art[0], art[1], other[0], other[1], third[0], third[1])),
			[]string{"roundup+roundup-copy", "s1", "s2", "s3"}},
		{"quote and dash styles do not matter", ps2(plain.doc("curly", 1, "\u201cIt\u2019s over \u2014 done,\u201d "+art[0]),
			activist.doc("straight", 2, "\"It's over -- done,\" "+art[0])),
			[]string{"curly+straight"}},
		{"short texts need enough shared words", ps2(plain.doc("x", 1, "Markets closed higher today."), activist.doc("y", 2, "Markets closed higher today.")),
			[]string{"x", "y"}},
		{"exact key merges whatever the text", ps2(
			Doc{ID: "k1", Group: "plain", Time: at(1), Text: art[0], Keys: []string{"https://example.org/a"}},
			Doc{ID: "k2", Group: "activist", Time: at(2), Text: other[0], Keys: []string{"https://example.org/a"}}),
			[]string{"k1+k2"}},
		{"bare GUIDs are scoped to their feed", ps2(
			Doc{ID: "g1", Group: "plain", Time: at(1), Text: art[0], Keys: []string{"1001"}},
			Doc{ID: "g2", Group: "activist", Time: at(2), Text: other[0], Keys: []string{"1001"}}),
			[]string{"g1", "g2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := groups(tt.docs, Clusters(tt.docs, DefaultOptions()))
			if !slices.Equal(got, tt.want) {
				t.Errorf("clusters\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func ps2(d ...Doc) []Doc { return d }

// A rewrite (new lede, its second paragraph reworded too) barely overlaps
// the two-paragraph summary that came first; it belongs to the story
// through the full copy, a near copy of it published after it.
func TestRewriteBeforeFullCopy(t *testing.T) {
	g := newTextgen(1)
	republisher := site{"republisher", ps("By Staff Writer", "Region: World"),
		ps("Disclaimer: the contents of this article are of sole responsibility of the author. We will not be responsible for any inaccurate statement.")}
	republisher.footer = append(republisher.footer, g.article(3)...)
	plain := site{"plain", nil, nil}
	art := g.article(8)
	rewrite := append([]string{g.paragraph()}, art[1:7]...)
	for i := 2; i < len(rewrite); i += 2 {
		rewrite[i] = g.reword(rewrite[i], 12)
	}
	rewrite[1] = g.reword(rewrite[1], 6)
	docs := append(republisher.filler(g, 3),
		plain.doc("sum", 1, strings.Join(art[:2], " ")), plain.doc("rewrite", 2, rewrite...), republisher.doc("full", 3, art...))
	// The premise: the summary alone would not take the rewrite.
	if e := Explain(docs[3], docs[4], docs, DefaultOptions()); e.Decision.Merge {
		t.Fatalf("the summary matches the rewrite directly: %s", e.Decision)
	}
	if got := groups(docs, Clusters(docs, DefaultOptions())); !slices.Equal(got, []string{"full+rewrite+sum"}) {
		t.Errorf("clusters %v, want [full+rewrite+sum]", got)
	}
}

func TestRepresentativeIsEarliest(t *testing.T) {
	g := newTextgen(2)
	art := join(g.article(6))
	docs := []Doc{
		{ID: "undated", Group: "c", Text: art},
		{ID: "late", Group: "a", Time: at(5), Text: art},
		{ID: "early", Group: "b", Time: at(1), Text: art},
	}
	cs := Clusters(docs, DefaultOptions())
	if len(cs) != 1 {
		t.Fatalf("%d clusters, want 1", len(cs))
	}
	var order []string
	for _, m := range cs[0].Members {
		order = append(order, docs[m].ID)
	}
	if want := []string{"early", "late", "undated"}; !slices.Equal(order, want) {
		t.Errorf("members %v, want %v", order, want)
	}
}

// Clusters must not depend on the order docs are given in.
func TestClustersOrderIndependent(t *testing.T) {
	g := newTextgen(3)
	a, b := g.article(6), g.article(6)
	docs := []Doc{
		{ID: "a1", Group: "x", Time: at(1), Text: join(a)},
		{ID: "b1", Group: "x", Time: at(2), Text: join(b)},
		{ID: "a2", Group: "y", Time: at(3), Text: join(a)},
		{ID: "b2", Group: "z", Time: at(4), Text: strings.Join(b[:2], " ")},
	}
	want := groups(docs, Clusters(docs, DefaultOptions()))
	rev := slices.Clone(docs)
	slices.Reverse(rev)
	if got := groups(rev, Clusters(rev, DefaultOptions())); !slices.Equal(got, want) {
		t.Errorf("reversed input gives %v, want %v", got, want)
	}
	if !slices.Equal(want, []string{"a1+a2", "b1+b2"}) {
		t.Errorf("got %v", want)
	}
}

func TestBoilerplate(t *testing.T) {
	b := NewBoilerplate(3)
	foot := []shingle{1, 2, 3}
	b.Add("s", "a", append([]shingle{10}, foot...))
	b.Add("s", "b", append([]shingle{20}, foot...))
	b.Add("s", "b", append([]shingle{20}, foot...)) // the same text again
	if b.Is("s", 1) {
		t.Error("boilerplate after two distinct texts; want three")
	}
	b.Add("s", "c", append([]shingle{30}, foot...))
	if !b.Is("s", 1) || b.Is("s", 10) || b.Is("other", 1) {
		t.Error("want 1 boilerplate in s only, 10 not")
	}
	if got := b.Strip("s", []shingle{1, 2, 3, 30}); !slices.Equal(got, []shingle{30}) {
		t.Errorf("Strip = %v", got)
	}
}

func TestShingles(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"One two three four five six", "ONE two, three -- four five six!", true},
		{"it\u2019s a \u201cquoted\u201d line here now", "it's a \"quoted\" line here now", true},
		{"one two three four five", "one two three four six", false},
	}
	for _, tt := range tests {
		a, b := shingles(tt.a, 5), shingles(tt.b, 5)
		if got := slices.Equal(a, b); got != tt.same {
			t.Errorf("%q vs %q: same=%v", tt.a, tt.b, got)
		}
	}
	if n := len(shingles("Region: World\n\nBy Staff", 5)); n != 0 {
		t.Errorf("short paragraphs gave %d shingles", n)
	}
	if n := len(shingles("a b c d e\n\nf g h i j", 5)); n != 2 {
		t.Errorf("shingles crossed a paragraph break: %d", n)
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Options){
		func(o *Options) { o.Shingle = 0 },
		func(o *Options) { o.Containment = 0 },
		func(o *Options) { o.NearCopy = 2 },
		func(o *Options) { o.MinShared = 0 },
		func(o *Options) { o.BoilerplateDocs = 1 },
		func(o *Options) { o.RoundupParts = 1 },
		func(o *Options) { o.RoundupCoverage = 0 },
		func(o *Options) { o.RoundupPart = 1.5 },
	}
	for i, f := range bad {
		o := DefaultOptions()
		f(&o)
		if o.Validate() == nil {
			t.Errorf("case %d accepted: %+v", i, o)
		}
	}
}

// The shingler's own tokenizer must find exactly the words of words(),
// paragraph by paragraph, whatever the script, case or punctuation.
func TestShinglerMatchesWords(t *testing.T) {
	texts := []string{
		"One two, THREE -- four five six!\n\nSeven eight nine ten eleven",
		"\u201cIt\u2019s over \u2014 done,\u201d said Ana\u00efs M\u00fcller-L\u00fcdenscheid in Z\u00fcrich on 3\u00a0March.",
		"\u0130stanbul \u0130ZM\u0130R \u03a3\u039f\u03a6\u0399\u0391 \u0441\u043b\u043e\u0432\u043e \u0421\u041b\u041e\u0412\u041e \u4e2d\u6587\u5b57 \u0661\u0662\u0663 \u2160 \u2170 x\u0301 fin\ufb01 \u00df\u1e9e",
		"bad \xff\xfe utf8 \xe2\x80 here and\tthere\r\nand\u2028everywhere else today",
		"a\n\n\n\nb c d e f g\n\n  \n\nh",
	}
	var sh shingler
	for _, text := range texts {
		var want []shingle
		for _, p := range paragraphs(text) {
			var hs []uint64
			for _, w := range words(p) {
				hs = append(hs, wordHash(w))
			}
			for i := 0; i+2 <= len(hs); i++ {
				want = append(want, shingleHash(hs[i:i+2]))
			}
		}
		got, _, _ := sh.sign(text, 2, 3)
		if !slices.Equal(got, uniq(want)) {
			t.Errorf("%q: shingles differ from words()", text)
		}
		for _, p := range strings.Split(text, "\n\n") {
			var spans []string
			for _, sp := range wordSpans(p) {
				spans = append(spans, strings.ToLower(p[sp[0]:sp[1]]))
			}
			if w := words(p); !slices.Equal(spans, w) && !(len(w) == 0 && len(spans) == 0) {
				t.Errorf("%q: wordSpans %q, words %q", p, spans, w)
			}
		}
	}
}

// A Fingerprinter reused from text to text, long then short (its buffers
// then hold more than the next text fills), gives each the fingerprint an
// index makes of it, and nothing of the text before.
func TestFingerprinterReused(t *testing.T) {
	o := DefaultOptions()
	g := newTextgen(7)
	texts := []string{join(g.article(12)), join(g.article(2)), "", join(g.article(6)), "one short paragraph"}
	f := NewFingerprinter(o)
	var got [][]byte
	for _, text := range texts {
		got = append(got, f.Fingerprint(text))
	}
	for i, text := range texts {
		x := NewIndex(o)
		x.Add(Doc{ID: "a", Group: "g", Text: text})
		want, _ := x.Fingerprint("a")
		if !slices.Equal(got[i], want) {
			t.Errorf("text %d: the reused Fingerprinter's fingerprint differs from the index's", i)
		}
	}
}

// Fingerprints round-trip, and stale or damaged ones are refused.
func TestFingerprint(t *testing.T) {
	o := DefaultOptions()
	g := newTextgen(5)
	text := join(g.article(6))
	fp := Fingerprint(text, o)
	x := NewIndex(o)
	x.Add(Doc{ID: "a", Group: "g", Text: text})
	if got, ok := x.Fingerprint("a"); !ok || !slices.Equal(got, fp) {
		t.Fatal("Index.Fingerprint differs from Fingerprint")
	}
	if err := x.AddFingerprint(Doc{ID: "b", Group: "g"}, fp); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.Fingerprint("b"); !slices.Equal(got, fp) {
		t.Fatal("fingerprint does not round-trip")
	}
	// "d3": the header, 4 bytes per opening shingle and per shingle, and a
	// bit per shingle for the selection.
	var sh shingler
	set, _, head := sh.sign(text, o.Shingle, Window)
	if len(set) < 64 || len(head) != headShingles {
		t.Fatalf("%d shingles, %d opening: too short a text for this test", len(set), len(head))
	}
	n := len(set)
	if want := 5 + 4*len(head) + len(binary.AppendUvarint(nil, uint64(n))) + 4*n + (n+7)/8; len(fp) != want || string(fp[:2]) != "d3" {
		t.Errorf("fingerprint of %d shingles: %d bytes opening %q, want %d opening \"d3\"", n, len(fp), fp[:2], want)
	}
	other := o
	other.Shingle = 4
	bad := [][]byte{nil, []byte("x"), fp[:len(fp)-1], append(slices.Clone(fp), 0), Fingerprint(text, other)}
	// Swap the first two shingles of the sorted set (after the opening
	// shingles and the count).
	swapped := slices.Clone(fp)
	_, l := binary.Uvarint(fp[5+4*int(fp[4]):])
	at := 5 + 4*int(fp[4]) + l
	copy(swapped[at:at+4], fp[at+4:at+8])
	copy(swapped[at+4:at+8], fp[at:at+4])
	bad = append(bad, swapped)
	for i, b := range bad {
		if err := x.AddFingerprint(Doc{ID: "c", Group: "g"}, b); !errors.Is(err, ErrFingerprint) {
			t.Errorf("case %d: err = %v, want ErrFingerprint", i, err)
		}
	}
	if x.Has("c") || x.Len() != 2 {
		t.Error("a refused fingerprint was added")
	}
	cs := x.Clusters()
	if len(cs) != 1 || len(cs[0].IDs) != 2 {
		t.Errorf("a doc and its fingerprint twin: %+v", cs)
	}
	if nb := x.Neighbours("a"); !slices.Equal(nb, []string{"b"}) {
		t.Errorf("Neighbours(a) = %q, want [b]", nb)
	}
	if cs[0].Why[1].Rule != RuleNearCopy || cs[0].Why[1].Via != cs[0].IDs[0] || !cs[0].Why[1].Merge {
		t.Errorf("the twin joined by %+v", cs[0].Why[1])
	}
}

// A fingerprint of the previous version ("d2": 64-bit hashes) is refused
// with ErrFingerprint, so that callers add the doc from its text; so is
// its body under this version's tag.
func TestFingerprintOldVersion(t *testing.T) {
	o := DefaultOptions()
	g := newTextgen(7)
	text := join(g.article(6))
	var sh shingler
	set, sel, head := sh.sign(text, o.Shingle, Window)
	// The "d2" layout: as "d3", with little-endian uint64 hashes (here
	// this version's shingles in their top bits, which keeps the order).
	d2 := []byte{'d', '2', byte(o.Shingle), byte(Window), byte(len(head))}
	for _, h := range head {
		d2 = binary.LittleEndian.AppendUint64(d2, uint64(h)<<32)
	}
	d2 = binary.AppendUvarint(d2, uint64(len(set)))
	for _, h := range set {
		d2 = binary.LittleEndian.AppendUint64(d2, uint64(h)<<32)
	}
	for i := 0; i < len(set); i += 8 {
		d2 = append(d2, byte(sel[i>>6]>>(i&63)))
	}
	relabelled := slices.Clone(d2)
	relabelled[1] = '3'
	x := NewIndex(o)
	x.Add(Doc{ID: "a", Group: "g", Text: text})
	for name, fp := range map[string][]byte{"d2": d2, "d2 relabelled d3": relabelled} {
		if err := x.AddFingerprint(Doc{ID: "b", Group: "g"}, fp); !errors.Is(err, ErrFingerprint) {
			t.Errorf("%s: err = %v, want ErrFingerprint", name, err)
		}
	}
	if x.Has("b") || x.Len() != 1 {
		t.Error("a refused fingerprint was added")
	}
	// The caller's fallback: the doc from its text, whose fingerprint is
	// this version's.
	x.Add(Doc{ID: "b", Group: "g", Text: text})
	if fp, _ := x.Fingerprint("b"); string(fp[:2]) != "d3" || x.AddFingerprint(Doc{ID: "c", Group: "g"}, fp) != nil {
		t.Errorf("the re-shingled doc's fingerprint %q… is not usable", fp[:min(len(fp), 2)])
	}
}

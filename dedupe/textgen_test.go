package dedupe

import (
	"math/rand/v2"
	"strings"
)

// textgen writes pseudo-English articles for tests: random but repeatable
// words, so that two articles share text only where a test puts it there.
type textgen struct{ r *rand.Rand }

func newTextgen(seed uint64) *textgen {
	return &textgen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var syllables = strings.Fields("ka lo mi ren tas vel or an dri sul pe ko ma ne ti ru sa la mo ber gan tel vor is un pra ste lin dor")

var common = strings.Fields("the a of and to in on for with by from that said after before was were has had will would is are its their government officials people city two three")

func (g *textgen) word() string {
	if g.r.IntN(3) == 0 {
		return common[g.r.IntN(len(common))]
	}
	n := 1 + g.r.IntN(3)
	var b strings.Builder
	for range n {
		b.WriteString(syllables[g.r.IntN(len(syllables))])
	}
	return b.String()
}

func (g *textgen) sentence() string {
	n := 10 + g.r.IntN(15)
	w := make([]string, n)
	for i := range w {
		w[i] = g.word()
	}
	w[0] = strings.ToUpper(w[0][:1]) + w[0][1:]
	return strings.Join(w, " ") + "."
}

func (g *textgen) paragraph() string {
	n := 2 + g.r.IntN(3)
	s := make([]string, n)
	for i := range s {
		s[i] = g.sentence()
	}
	return strings.Join(s, " ")
}

// article returns n paragraphs.
func (g *textgen) article(n int) []string {
	p := make([]string, n)
	for i := range p {
		p[i] = g.paragraph()
	}
	return p
}

// reword replaces about one word in every `every` with a new one, as an
// editor rewording sentences would.
func (g *textgen) reword(p string, every int) string {
	w := strings.Fields(p)
	for i := range w {
		if g.r.IntN(every) == 0 {
			w[i] = g.word()
		}
	}
	return strings.Join(w, " ")
}

func join(ps ...[]string) string {
	var all []string
	for _, p := range ps {
		all = append(all, p...)
	}
	return strings.Join(all, "\n\n")
}

func ps(p ...string) []string { return p }

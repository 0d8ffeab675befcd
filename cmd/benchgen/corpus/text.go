package corpus

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// functionWords take the top ranks of the vocabulary, as in English, so
// that common short phrases recur across unrelated articles.
const functionWords = `the of and to a in that is was for on it with as he
by at from his be this have are an or had not but were which they has been one their
its who after said would we more will also she up about into than there two her new
over when could other last first year some no may government people officials three
because before city country between against under while during since percent week`

// setPhrases are stock phrases of news prose: they give unrelated articles
// identical shingles, as real ones have.
const setPhrases = `according to a statement released on
officials said on condition of anonymity
it was not immediately clear whether
did not respond to a request for comment
in a statement posted on social media
the ministry said in a statement
told reporters at a news conference
at the time of writing
it remains to be seen whether
the situation remains tense
for the first time since
in the wake of the
one of the most important
at the end of the day
on the other hand
as a result of the`

const syllables = "ka lo mi ren tas vel or an dri sul pe ko ma ne ti ru sa la mo ber gan tel vor is un pra ste lin dor bra che de fi gor hal jun ker lum nor pol quin ros sev tur val wen zan"

// vocab is a pseudo-English vocabulary drawn with a Zipf-like law.
type vocab struct {
	words     []string
	cdf       []float64
	phrases   []string // stock phrases of the vocabulary's own
	stock     []string // stock phrases of English news
	syllables []string
}

func newVocab(r *rand.Rand, n int) *vocab {
	seen := map[string]bool{}
	v := &vocab{stock: strings.Split(setPhrases, "\n"), syllables: strings.Fields(syllables)}
	fw := strings.Fields(functionWords)
	for _, w := range fw {
		seen[w] = true
		v.words = append(v.words, w)
	}
	for len(v.words) < n {
		w := v.pseudoWord(r, 1+r.IntN(3))
		if len(w) < 3 || seen[w] {
			continue
		}
		seen[w] = true
		v.words = append(v.words, w)
	}
	// Function words first, the rest in random rank order.
	rest := v.words[len(fw):]
	r.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	v.cdf = make([]float64, n)
	sum := 0.0
	for i := range n {
		sum += 1 / math.Pow(float64(i+1)+2.7, 1.0)
		v.cdf[i] = sum
	}
	for i := range v.cdf {
		v.cdf[i] /= sum
	}
	for range 300 {
		p := make([]string, 5+r.IntN(4))
		for i := range p {
			p[i] = v.word(r)
		}
		v.phrases = append(v.phrases, strings.Join(p, " "))
	}
	return v
}

func (v *vocab) pseudoWord(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(v.syllables[r.IntN(len(v.syllables))])
	}
	return b.String()
}

func (v *vocab) word(r *rand.Rand) string {
	i := sort.SearchFloat64s(v.cdf, r.Float64())
	return v.words[min(i, len(v.words)-1)]
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// event is what several articles are about: they share its names, numbers
// and one quote.
type event struct {
	people, places, orgs []string
	numbers              []string
	quote                string // the words said
	speaker              string
}

func (g *gen) newEvent() *event {
	r := g.r
	e := &event{}
	for range 3 {
		e.people = append(e.people, capitalize(g.v.pseudoWord(r, 2))+" "+capitalize(g.v.pseudoWord(r, 2+r.IntN(2))))
	}
	for range 2 {
		e.places = append(e.places, capitalize(g.v.pseudoWord(r, 2+r.IntN(2))))
	}
	e.orgs = append(e.orgs, "the "+capitalize(g.v.pseudoWord(r, 2))+" "+[]string{"Front", "Union", "Council", "Ministry", "Agency", "Party"}[r.IntN(6)])
	for range 3 {
		switch r.IntN(3) {
		case 0:
			e.numbers = append(e.numbers, fmt.Sprint(2+r.IntN(400)))
		case 1:
			e.numbers = append(e.numbers, fmt.Sprintf("%d.%d million", 1+r.IntN(90), r.IntN(10)))
		default:
			e.numbers = append(e.numbers, fmt.Sprintf("%d percent", 1+r.IntN(99)))
		}
	}
	e.speaker = e.people[0]
	e.quote = g.plainSentence(e, 14+r.IntN(8))
	return e
}

// plainSentence is n words without final punctuation.
func (g *gen) plainSentence(e *event, n int) string {
	r := g.r
	w := make([]string, 0, n+8)
	for len(w) < n {
		switch x := r.IntN(1000); {
		case e != nil && x < 30:
			w = append(w, e.people[r.IntN(len(e.people))])
		case e != nil && x < 50:
			w = append(w, e.places[r.IntN(len(e.places))])
		case e != nil && x < 60:
			w = append(w, e.orgs[0])
		case e != nil && x < 70:
			w = append(w, e.numbers[r.IntN(len(e.numbers))])
		case x < 74:
			// About one stock phrase per article.
			if r.IntN(5) == 0 {
				w = append(w, g.v.stock[r.IntN(len(g.v.stock))])
			} else {
				w = append(w, g.v.phrases[r.IntN(len(g.v.phrases))])
			}
		default:
			w = append(w, g.v.word(r))
		}
	}
	return capitalize(strings.Join(w, " "))
}

func (g *gen) sentence(e *event) string {
	s := g.plainSentence(e, 10+g.r.IntN(16))
	if g.r.IntN(6) == 0 {
		s += ", " + g.v.word(g.r) + " " + g.v.word(g.r) + " " + g.v.word(g.r)
	}
	return s + "."
}

func (g *gen) paragraph(e *event) string {
	n := 2 + g.r.IntN(2)
	s := make([]string, n)
	for i := range s {
		s[i] = g.sentence(e)
	}
	return strings.Join(s, " ")
}

// quoteParagraph carries the event's quote, word for word.
func (g *gen) quoteParagraph(e *event) string {
	return "\u201c" + e.quote + ",\u201d " + e.speaker + " said. " + g.sentence(e)
}

// article is about 300 words in 6 to 8 paragraphs; one of them carries
// the event's quote.
func (g *gen) article(e *event) []string {
	n := 6 + g.r.IntN(3)
	ps := make([]string, n)
	for i := range ps {
		ps[i] = g.paragraph(e)
	}
	ps[1+g.r.IntN(n-2)] = g.quoteParagraph(e)
	return ps
}

func (g *gen) title(e *event) string {
	w := []string{e.people[g.r.IntN(len(e.people))]}
	for range 4 + g.r.IntN(5) {
		w = append(w, g.v.word(g.r))
	}
	w = append(w, "in", e.places[0])
	g.r.Shuffle(len(w)-2, func(i, j int) { w[i], w[j] = w[j], w[i] })
	return capitalize(strings.Join(w, " "))
}

// reword replaces about n words of the paragraph, as an editor would.
func (g *gen) reword(p string, n int) string {
	w := strings.Fields(p)
	for range n {
		i := g.r.IntN(len(w))
		w[i] = g.v.word(g.r)
	}
	return strings.Join(w, " ")
}

// rewrite is a partner's light rewrite: a new lede, one paragraph cut and
// a few sentences reworded.
func (g *gen) rewrite(e *event, ps []string) []string {
	out := []string{g.paragraph(e)}
	cut := 2 + g.r.IntN(len(ps)-2)
	for i, p := range ps[1:] {
		if i+1 == cut {
			continue
		}
		out = append(out, p)
	}
	for range 2 + g.r.IntN(3) {
		i := 1 + g.r.IntN(len(out)-1)
		out[i] = g.reword(out[i], 2)
	}
	return out
}

func slug(title string) string {
	var b strings.Builder
	for _, w := range strings.Fields(strings.ToLower(title)) {
		w = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, w)
		if w == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(w)
		if b.Len() > 60 {
			break
		}
	}
	return b.String()
}

// restyle sets quotes and dashes the way a site does.
func restyle(p string, curly bool) string {
	if curly {
		return p
	}
	return strings.NewReplacer("\u201c", "\"", "\u201d", "\"", "\u2019", "'", "\u2014", "--").Replace(p)
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

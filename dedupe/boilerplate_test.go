package dedupe

// Boilerplate is the exhaustive reference's boilerplate learning; the
// Index learns the same, incrementally. Per group (a source feed), a
// shingle seen in at least minDocs distinct texts of the group is
// boilerplate there.
type Boilerplate struct {
	minDocs int
	seen    map[string]map[shingle]int // group -> shingle -> texts
	docs    map[string]bool            // group+id already counted
}

// NewBoilerplate returns an empty Boilerplate.
func NewBoilerplate(minDocs int) *Boilerplate {
	return &Boilerplate{minDocs: minDocs, seen: map[string]map[shingle]int{}, docs: map[string]bool{}}
}

// Add counts one text's shingles for its group. A text counted before (the
// same id in the same group) is not counted again, so re-reading a feed
// does not turn its articles into boilerplate.
func (b *Boilerplate) Add(group, id string, shingles []shingle) {
	key := group + "\x00" + id
	if b.docs[key] {
		return
	}
	b.docs[key] = true
	g := b.seen[group]
	if g == nil {
		g = map[shingle]int{}
		b.seen[group] = g
	}
	for _, h := range shingles {
		g[h]++
	}
}

// Is tells whether h is boilerplate in group.
func (b *Boilerplate) Is(group string, h shingle) bool {
	return b.seen[group][h] >= b.minDocs
}

// Strip returns the shingles of set that are not boilerplate in group.
func (b *Boilerplate) Strip(group string, set []shingle) []shingle {
	out := make([]shingle, 0, len(set))
	for _, h := range set {
		if !b.Is(group, h) {
			out = append(out, h)
		}
	}
	return out
}

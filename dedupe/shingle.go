package dedupe

import (
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// words splits a paragraph into lower-case words of letters and digits.
// Everything else separates words, so quote styles, dashes, markdown
// leftovers and entities decoded one way or another do not matter.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// paragraphs splits text on blank lines; a body extracted from HTML, plain
// text or markdown all arrive in that shape.
func paragraphs(text string) []string {
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// wordHash hashes a word's bytes eight at a time: they are packed into a
// word, which one multiplication folds in. It is fixed, so that
// fingerprints are stable across runs and can be stored.
func wordHash(w string) uint64 {
	var wh wordHasher
	for i := 0; i < len(w); i++ {
		wh.add(w[i])
	}
	return wh.sum()
}

// wordHasher is wordHash a byte at a time.
type wordHasher struct {
	h, acc uint64
	n      uint64
}

func (w *wordHasher) add(c byte) {
	w.acc = w.acc<<8 | uint64(c)
	w.n++
	if w.n&7 == 0 {
		w.h = (w.h ^ w.acc) * fnvPrime
		w.acc = 0
	}
}

func (w *wordHasher) sum() uint64 {
	h := (w.h ^ w.acc ^ w.n<<56 ^ fnvOffset) * 0x9e3779b97f4a7c15
	*w = wordHasher{}
	return h
}

// mix is splitmix64's finaliser: it spreads a combined hash over all bits.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// shingle is the hash of one shingle: the top 32 bits of a 64-bit hash
// of its words (see shingleHash). Shingle sets are what the index holds,
// so their width is its memory and the fingerprints' size, and 32 bits
// are enough for what they decide:
//
//   - Two docs are compared on their sets of about 300 shingles each: the
//     expected number of spurious shared shingles (two different shingles
//     with one hash) is about 300²/2³² ≈ 2e-5 per pair, far below the
//     MinShared (15) that any match needs, and one stray shared shingle
//     moves a pair's figures by a fraction of a percent.
//   - Boilerplate is counted within one group (a feed): a group of 10⁴ docs
//     holds some 3·10⁶ distinct shingles, of which under 0.1% collide with
//     another; a collision turns a shingle into boilerplate only if the two
//     together reach BoilerplateDocs texts, and then removes one shingle
//     from a few texts.
//
// Word hashes stay 64-bit: a shingle hash mixes all of their bits.
type shingle = uint32

// shingleHash combines the word hashes of one shingle, and keeps the top
// 32 bits of the mixed result.
func shingleHash(ws []uint64) shingle {
	var h uint64
	for _, x := range ws {
		h = (h ^ x) * fnvPrime
		h = h<<13 | h>>51
	}
	return shingle(mix(h) >> 32)
}

// shingles returns the sorted, distinct hashes of the k-word shingles of
// each paragraph. Shingles never span two paragraphs, so that a paragraph
// that a site repeats everywhere can be removed without leaving fragments
// glued to its neighbours. Paragraphs shorter than k words (by-lines,
// "Region: World") give no shingle at all.
func shingles(text string, k int) []shingle {
	var sh shingler
	set, _, _ := sh.sign(text, k, 0)
	return set
}

// shingler turns texts into shingle sets, reusing its buffers between
// texts. Its results are the same as those of words and paragraphs above,
// faster: ASCII paragraphs are read byte by byte without allocating.
type shingler struct {
	wh    []uint64  // word hashes of the paragraph
	all   []shingle // shingle hashes of the text
	sel   []shingle // selected shingle hashes
	count []int32   // sortHashes' buckets
}

// sign returns the sorted distinct shingles of text and, when w > 0, the
// bitmap (over positions in the set) of the shingles that winnowing with
// window w selects: in each run of w consecutive shingles of a paragraph,
// the smallest hash is selected (a paragraph of fewer than w shingles is
// one window). Whatever text two documents share in a run of w shingles
// or more, or as a whole short paragraph, gives them a selected shingle in
// common; about 2/(w+1) of the shingles are selected.
//
// head is the text's first headShingles distinct shingles in text order:
// the opening, which the round-up rule compares (see ledeOf).
func (s *shingler) sign(text string, k, w int) (set []shingle, sel []uint64, head []shingle) {
	s.all, s.sel = s.all[:0], s.sel[:0]
	for len(text) > 0 {
		p := text
		if i := strings.Index(text, "\n\n"); i >= 0 {
			p, text = text[:i], text[i+2:]
		} else {
			text = ""
		}
		s.paragraph(p)
		if len(s.wh) < k {
			continue
		}
		start := len(s.all)
		for i := 0; i+k <= len(s.wh); i++ {
			s.all = append(s.all, shingleHash(s.wh[i:i+k]))
		}
		if w > 0 {
			s.sel = winnow(s.all[start:], w, s.sel)
		}
	}
	for _, h := range s.all {
		if len(head) == headShingles {
			break
		}
		if !slices.Contains(head, h) {
			head = append(head, h)
		}
	}
	set = make([]shingle, len(s.all))
	set = set[:sortHashes(s.all, set, &s.count)]
	if w > 0 {
		sel = make([]uint64, (len(set)+63)/64)
		slices.Sort(s.sel)
		i := 0
		for _, h := range s.sel {
			for set[i] < h {
				i++
			}
			sel[i>>6] |= 1 << (i & 63)
		}
	}
	return set, sel, head
}

// headShingles is how many opening shingles a fingerprint keeps: room for
// a lede of ledeShingles once a header (a by-line block that is the
// group's boilerplate) is skipped.
const headShingles = 40

// winnow appends to out the hashes winnowing selects in hs.
func winnow(hs []shingle, w int, out []shingle) []shingle {
	if len(hs) <= w {
		return append(out, slices.Min(hs))
	}
	m := -1 // position of the current window's minimum
	for end := w - 1; end < len(hs); end++ {
		start := end - w + 1
		if m < start {
			// The minimum left the window: scan it again, the rightmost
			// smallest winning.
			m = start
			for i := start + 1; i <= end; i++ {
				if hs[i] <= hs[m] {
					m = i
				}
			}
			out = append(out, hs[m])
		} else if hs[end] <= hs[m] {
			m = end
			out = append(out, hs[m])
		}
	}
	return out
}

// paragraph sets s.wh to the hashes of p's words, the words of words(p).
// It is wordHasher inlined by hand, so that the state stays in registers.
func (s *shingler) paragraph(p string) {
	wh := s.wh[:0]
	var h, acc, n uint64
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c >= 0x80 {
			// Not ASCII: as words does, lower the rune, then keep it if
			// it is a letter or a digit (invalid UTF-8 separates).
			r, size := utf8.DecodeRuneInString(p[i:])
			i += size - 1
			if l := unicode.ToLower(r); r != utf8.RuneError && (unicode.IsLetter(l) || unicode.IsDigit(l)) {
				var buf [utf8.UTFMax]byte
				for _, b := range utf8.AppendRune(buf[:0], l) {
					acc = acc<<8 | uint64(b)
					n++
					if n&7 == 0 {
						h = (h ^ acc) * fnvPrime
						acc = 0
					}
				}
				continue
			}
		} else if l := c | 0x20; l-'a' < 26 || c-'0' < 10 {
			if c >= 'A' {
				c = l
			}
			acc = acc<<8 | uint64(c)
			n++
			if n&7 == 0 {
				h = (h ^ acc) * fnvPrime
				acc = 0
			}
			continue
		}
		if n > 0 {
			wh = append(wh, (h^acc^n<<56^fnvOffset)*0x9e3779b97f4a7c15)
			h, acc, n = 0, 0, 0
		}
	}
	if n > 0 {
		wh = append(wh, (h^acc^n<<56^fnvOffset)*0x9e3779b97f4a7c15)
	}
	s.wh = wh
}

// sortHashes writes the distinct values of hs, sorted, into out (as long
// as hs) and returns how many there are; count is its scratch space.
// Hashes are uniform, so one counting pass on their top bits puts nearly
// all of them in place, and an insertion sort finishes; a skewed input
// falls back to a full sort.
func sortHashes(hs, out []shingle, count *[]int32) int {
	n := len(hs)
	if n < 32 {
		copy(out, hs)
		slices.Sort(out[:n])
		return len(slices.Compact(out[:n]))
	}
	b := bits.Len(uint(n)) // about n buckets
	if b > 12 {
		copy(out, hs)
		slices.Sort(out[:n])
		return len(slices.Compact(out[:n]))
	}
	shift := 32 - b
	if len(*count) < 1<<b {
		*count = make([]int32, 1<<12)
	}
	cnt := (*count)[:1<<b]
	clear(cnt)
	for _, h := range hs {
		cnt[h>>shift]++
	}
	sum := int32(0)
	for i, c := range cnt {
		cnt[i] = sum
		sum += c
	}
	for _, h := range hs {
		k := h >> shift
		out[cnt[k]] = h
		cnt[k]++
	}
	moves := 0
	for i := 1; i < n; i++ {
		v := out[i]
		j := i
		for j > 0 && out[j-1] > v {
			out[j] = out[j-1]
			j--
		}
		out[j] = v
		if moves += i - j; moves > 8*n {
			slices.Sort(out[:n])
			break
		}
	}
	return len(slices.Compact(out[:n]))
}

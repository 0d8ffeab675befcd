package dedupe

import (
	"sort"
	"strings"
	"unicode"
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

// wordHash is FNV-1a: fixed, so that fingerprints are stable across runs
// and can be stored.
func wordHash(w string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(w); i++ {
		h ^= uint64(w[i])
		h *= 1099511628211
	}
	return h
}

// mix is splitmix64's finaliser: it spreads a combined hash over all bits,
// which the MinHash permutations rely on.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// shingles returns the sorted, distinct hashes of the k-word shingles of
// each paragraph. Shingles never span two paragraphs, so that a paragraph
// that a site repeats everywhere can be removed without leaving fragments
// glued to its neighbours. Paragraphs shorter than k words (by-lines,
// "Region: World") give no shingle at all.
func shingles(text string, k int) []uint64 {
	var out []uint64
	for _, p := range paragraphs(text) {
		w := words(p)
		if len(w) < k {
			continue
		}
		hs := make([]uint64, len(w))
		for i, x := range w {
			hs[i] = wordHash(x)
		}
		for i := 0; i+k <= len(hs); i++ {
			var h uint64
			for _, x := range hs[i : i+k] {
				h = (h ^ x) * 1099511628211
				h = h<<13 | h>>51
			}
			out = append(out, mix(h))
		}
	}
	return uniq(out)
}

func uniq(s []uint64) []uint64 {
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := 0
	for i, v := range s {
		if i == 0 || v != s[n-1] {
			s[n] = v
			n++
		}
	}
	return s[:n]
}

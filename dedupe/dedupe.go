// Package dedupe recognises copies of the same article among texts from
// many sources. It knows nothing of feed formats or storage: texts, times
// and ids come in, groups of ids come out.
//
// How it decides:
//   - Each text becomes a set of word 5-shingles, taken within paragraphs.
//   - Shingles that one source repeats across several of its own texts
//     (a disclaimer, a donation appeal, a by-line block) are that source's
//     boilerplate and are dropped before any comparison: they are learnt
//     from the source's own texts, never from a list of sites.
//   - Two texts match when most of the smaller one lies inside the larger
//     (containment), which covers copies, summaries and light rewrites, or
//     when they are near copies of each other (Jaccard).
//   - A text built from pieces of several other stories (a round-up) is
//     recognised by its parts matching unrelated texts, and only ever
//     merges with a near copy of itself.
//   - Clusters form around a representative, the earliest copy. A later text
//     joins a cluster when it matches the representative, or is a near copy
//     of a member; it never joins through a chain of partial matches.
//   - Texts that share an exact key (a GUID or a canonical link) are the
//     same item and always merge.
//
// No pair is compared unless it shares text: an Index of winnowed shingles
// proposes candidates, each verified exactly (see Index). Clusters is the
// batch form; an Index kept across runs (and filled from stored
// fingerprints at start) gives the same clusters incrementally, and
// Explain shows the evidence on one pair.
package dedupe

import (
	"fmt"
	"strings"
	"time"
)

// Doc is one text to deduplicate.
type Doc struct {
	ID    string
	Group string // its source: boilerplate is learnt per group
	Text  string // paragraphs separated by blank lines
	Time  time.Time
	// Keys identify the item exactly (a GUID, a canonical link): two docs
	// that share a key are the same item.
	Keys []string
}

// Options are the thresholds of the decision; see DefaultOptions.
type Options struct {
	// Shingle is the number of words in a shingle.
	Shingle int `toml:"shingle"`
	// Containment is the share of the smaller text's shingles that must lie
	// in the larger for the two to match.
	Containment float64 `toml:"containment"`
	// NearCopy is the Jaccard similarity at which two texts are near copies:
	// such a match may bring a text into a cluster through any member, and
	// is never vetoed by the round-up rule.
	NearCopy float64 `toml:"near_copy"`
	// MinShared is the least number of shared shingles for any match, so
	// that two very short texts do not match on a phrase.
	MinShared int `toml:"min_shared"`
	// BoilerplateDocs is how many texts of one group a shingle must appear
	// in to count as that group's boilerplate.
	BoilerplateDocs int `toml:"boilerplate_docs"`
	// RoundupParts and RoundupCoverage recognise a round-up: a text whose
	// shingles fall into at least RoundupParts disjoint parts, each shared
	// with different other texts, together covering RoundupCoverage of it.
	RoundupParts    int     `toml:"roundup_parts"`
	RoundupCoverage float64 `toml:"roundup_coverage"`
	// RoundupPart is the least share of a text that one part must cover to
	// count towards RoundupParts.
	RoundupPart float64 `toml:"roundup_part"`
}

// DefaultOptions are tuned on the crosspost benchmark: copies (including
// edited ones) share at least 0.7 of the smaller text and summaries over
// 0.8, while different articles about the same event stay under 0.5.
func DefaultOptions() Options {
	return Options{
		Shingle:         5,
		Containment:     0.6,
		NearCopy:        0.4,
		MinShared:       15,
		BoilerplateDocs: 3,
		RoundupParts:    3,
		RoundupCoverage: 0.6,
		RoundupPart:     0.1,
	}
}

// Validate reports thresholds that cannot work.
func (o Options) Validate() error {
	switch {
	case o.Shingle < 1 || o.Shingle > 20:
		return fmt.Errorf("shingle = %d: want 1 to 20 words", o.Shingle)
	case o.Containment <= 0 || o.Containment > 1:
		return fmt.Errorf("containment = %g: want a share in (0, 1]", o.Containment)
	case o.NearCopy <= 0 || o.NearCopy > 1:
		return fmt.Errorf("near_copy = %g: want a share in (0, 1]", o.NearCopy)
	case o.MinShared < 1:
		return fmt.Errorf("min_shared = %d: want at least 1", o.MinShared)
	case o.BoilerplateDocs < 2:
		return fmt.Errorf("boilerplate_docs = %d: want at least 2", o.BoilerplateDocs)
	case o.RoundupParts < 2:
		return fmt.Errorf("roundup_parts = %d: want at least 2", o.RoundupParts)
	case o.RoundupCoverage <= 0 || o.RoundupCoverage > 1:
		return fmt.Errorf("roundup_coverage = %g: want a share in (0, 1]", o.RoundupCoverage)
	case o.RoundupPart <= 0 || o.RoundupPart > 1:
		return fmt.Errorf("roundup_part = %g: want a share in (0, 1]", o.RoundupPart)
	}
	return nil
}

// scopedKey makes a key comparable across groups: URLs and tag/urn ids are
// global, but a bare GUID such as "1234" only means something in its feed.
func scopedKey(group, key string) string {
	k := strings.TrimSpace(key)
	lk := strings.ToLower(k)
	for _, p := range []string{"http://", "https://", "tag:", "urn:"} {
		if strings.HasPrefix(lk, p) {
			return k
		}
	}
	return group + "\x00" + k
}

package dedupe

import (
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// Index holds the docs seen so far and finds, for each, the others that
// share text with it, without comparing every pair:
//
//   - Each text is reduced to its set of shingles (the fingerprint, which
//     a store can keep: see Fingerprint and AddFingerprint), and winnowing
//     selects about one shingle in seven of them, by content, so that two
//     texts sharing a passage of Window shingles or more (or a whole short
//     paragraph) always share a selected shingle.
//   - An inverted index maps each selected shingle that is not its group's
//     boilerplate to the docs it was selected in. Docs sharing a selected
//     shingle are candidates (two, when the shingle is common: see
//     CommonPostings); a shingle selected in more than MaxPostings docs
//     makes no candidates (a set phrase, not a story).
//   - Each candidate pair is verified exactly on the two full shingle sets,
//     boilerplate removed; the pairs sharing MinShared shingles or more are
//     kept, with their count, as the doc's neighbours. The round-up rule
//     and the clustering read only those.
//
// The index is incremental: Add, AddFingerprint and Remove cost what the
// doc and its neighbours cost, and Clusters recomputes only what changed
// (the neighbours of new docs, the docs whose group learnt or lost
// boilerplate). Its result depends only on the docs it holds, never on the
// order they came in, and is that of Clusters over the same docs.
//
// An Index is not safe for concurrent use.
type Index struct {
	o       Options
	window  int
	maxPost int
	common  int
	batch   bool // Clusters over a slice: ids need not be unique

	docs        []entry
	free        []int32
	byID        map[string]int32
	live        int
	groups      []*group
	groupByName map[string]int32
	post        postings
	stale       []int32 // docs whose neighbours must be found again
	sh          shingler
	sl          *slab // what each doc holds that is not in its entry: see view
	decoded     struct {
		set, head []shingle
		sel       []uint64
	} // AddFingerprint's buffers
}

// Window is the winnowing window of the candidate index, in shingles.
const Window = 12

// MaxPostings is the number of docs past which a selected shingle no
// longer makes candidates. It bounds the work per doc, which would
// otherwise grow with the corpus through the lists of stock phrases (in
// benchgen corpora they pass 256 docs from about 70,000 items on). The
// price: a story copied verbatim by more than MaxPostings items is not
// found through the shingles all its copies share.
const MaxPostings = 256

// CommonPostings is the number of docs past which a selected shingle is
// common (a stock phrase, or a story copied very widely): two docs are
// candidates when they share one selected shingle that is not common, or
// two that are. Docs sharing only a set phrase are then not verified,
// and a widely copied story still finds its copies, which share dozens.
const CommonPostings = 16

type entry struct {
	id                           string
	group                        int32
	gpos                         int32 // position in its group's members
	sec                          int64 // its time: Unix seconds and nanoseconds (a time.Time is twice the size)
	data                         ref   // in the slab: see view
	shape                        shape // of data
	size                         int32 // content shingles: set less boilerplate
	nsec                         int32
	nb                           []edge
	live, stale, rdirty, roundup bool
	hasBP                        bool // some of the set is its group's boilerplate
	indexed                      bool // its shingles are in the postings
}

// zeroUnix is the zero time.Time in Unix seconds.
const zeroUnix = -62135596800

// undated tells whether the doc has no time.
func (e *entry) undated() bool { return e.sec == zeroUnix && e.nsec == 0 }

// edge is a neighbour: a doc sharing at least MinShared content shingles.
type edge struct {
	doc    int32
	shared int32
}

type group struct {
	name    string
	members []int32
	bp      []shingle // its boilerplate shingles, sorted
	dirty   bool
	// Since the last count: the docs added, and whether any went (then
	// the next count starts from scratch).
	added   []int32
	removed bool
}

// NewIndex returns an empty index deciding with o.
func NewIndex(o Options) *Index {
	return &Index{o: o, window: Window, maxPost: MaxPostings, common: CommonPostings, byID: map[string]int32{},
		groupByName: map[string]int32{}, sl: &slab{compactFrom: maxChunk}}
}

// KeepOnDisk moves the docs' shingle sets, two thirds of what the index
// holds, out of the heap into a file in dir, mapped into memory: the OS
// keeps in memory what fits and reads back the rest. The file is deleted
// from dir at once, and goes with Close. Should the disk fill, later docs
// are kept in memory instead (see DiskErr).
func (x *Index) KeepOnDisk(dir string) error {
	ns, err := newFileSlab(dir)
	if err != nil {
		return fmt.Errorf("dedupe: keep on disk: %w", err)
	}
	ns.compactFrom = x.sl.compactFrom
	x.moveTo(ns)
	return nil
}

// DiskErr tells why docs added since KeepOnDisk are kept in memory (the
// file could not grow), or nil.
func (x *Index) DiskErr() error { return x.sl.err }

// Close lets go of the file of KeepOnDisk. The index may not be used after.
func (x *Index) Close() error { return x.sl.close() }

// view returns what doc h holds in the slab: its sorted set of
// shingles; the bitmaps over the set of those selected by winnowing and
// of its group's boilerplate (nil when none is); its first shingles in
// text order; its hashed scoped keys.
func (x *Index) view(h int32) docView {
	e := &x.docs[h]
	v := viewOf(x.sl.bytes(e.data, e.shape.bytes()), e.shape)
	if !e.hasBP {
		v.bp = nil
	}
	return v
}

// set returns doc h's sorted set of shingles.
func (x *Index) set(h int32) []shingle { return x.view(h).set }

// bp returns doc h's boilerplate bitmap, nil when none of its set is.
func (x *Index) bp(h int32) []uint64 { return x.view(h).bp }

// setBP records doc h's boilerplate bitmap (nil: none).
func (x *Index) setBP(h int32, bits []uint64) {
	e := &x.docs[h]
	e.hasBP = bits != nil
	if bits != nil {
		copy(viewOf(x.sl.bytes(e.data, e.shape.bytes()), e.shape).bp, bits)
	}
}

// moveTo moves every doc's bytes into s, which replaces the slab.
func (x *Index) moveTo(s *slab) {
	if s.file != nil {
		// Should the index be dropped unclosed, the file goes with it.
		runtime.AddCleanup(x, func(s *slab) { s.close() }, s)
	}
	for h := range x.docs {
		e := &x.docs[h]
		if !e.live {
			continue
		}
		n := e.shape.bytes()
		r, b := s.alloc(n)
		copy(b, x.sl.bytes(e.data, n))
		e.data = r
	}
	x.sl.close()
	x.sl = s
}

// compact moves the docs held into a new slab once most of the old one
// is docs gone: a long-running index sees every doc go in time.
func (x *Index) compact() {
	if !x.sl.wasteful() {
		return
	}
	s, err := x.sl.like()
	if err != nil {
		s = &slab{err: err, compactFrom: x.sl.compactFrom}
	}
	x.moveTo(s)
}

// Grow makes room for n more docs, so that filling the index with a
// known number of docs (a restart over a million stored fingerprints)
// does not copy it over and over as it grows.
func (x *Index) Grow(n int) {
	x.docs = slices.Grow(x.docs, n)
	x.stale = slices.Grow(x.stale, n)
	if len(x.byID) == 0 {
		x.byID = make(map[string]int32, n)
	}
}

// Options returns the thresholds the index decides with.
func (x *Index) Options() Options { return x.o }

// Len is the number of docs in the index.
func (x *Index) Len() int { return x.live }

// Has tells whether a doc with this id is in the index.
func (x *Index) Has(id string) bool { _, ok := x.byID[id]; return ok }

// Add shingles d.Text and adds the doc. A doc with the same ID is replaced.
func (x *Index) Add(d Doc) {
	set, sel, head := x.sh.sign(d.Text, x.o.Shingle, x.window)
	x.insert(d, set, sel, head)
}

// Remove drops the doc with this id; it reports whether there was one.
func (x *Index) Remove(id string) bool {
	h, ok := x.byID[id]
	if !ok {
		return false
	}
	x.remove(h)
	return true
}

func (x *Index) insert(d Doc, set []shingle, sel []uint64, head []shingle) int32 {
	if !x.batch {
		if old, ok := x.byID[d.ID]; ok {
			x.remove(old)
		}
	}
	var h int32
	if n := len(x.free); n > 0 {
		h, x.free = x.free[n-1], x.free[:n-1]
	} else {
		x.docs = append(x.docs, entry{})
		h = int32(len(x.docs) - 1)
	}
	gi, ok := x.groupByName[d.Group]
	if !ok {
		gi = int32(len(x.groups))
		x.groups = append(x.groups, &group{name: d.Group})
		x.groupByName[d.Group] = gi
	}
	g := x.groups[gi]
	var keys []uint64
	for _, k := range d.Keys {
		if k != "" && len(keys) < 255 {
			keys = append(keys, mix(wordHash(scopedKey(d.Group, k))))
		}
	}
	sh := shape{nset: int32(len(set)), nhead: uint8(len(head)), nkeys: uint8(len(keys))}
	r, b := x.sl.alloc(sh.bytes())
	v := viewOf(b, sh)
	copy(v.sel, sel)
	copy(v.set, set)
	copy(v.head, head)
	copy(v.keys, keys)
	e := entry{id: d.ID, group: gi, gpos: int32(len(g.members)), sec: d.Time.Unix(), nsec: int32(d.Time.Nanosecond()),
		data: r, shape: sh, live: true, stale: true}
	x.docs[h] = e
	g.members = append(g.members, h)
	g.added = append(g.added, h)
	g.dirty = true
	x.stale = append(x.stale, h)
	if !x.batch {
		x.byID[d.ID] = h
	}
	x.live++
	return h
}

func (x *Index) remove(h int32) {
	e := &x.docs[h]
	for _, ed := range e.nb {
		x.dropEdge(ed.doc, h)
	}
	if e.indexed {
		x.eachIndexed(h, func(s shingle) {
			if x.crossed(x.post.remove(s, h), false) {
				x.markList(s)
			}
		})
	}
	g := x.groups[e.group]
	last := g.members[len(g.members)-1]
	g.members[e.gpos] = last
	x.docs[last].gpos = e.gpos
	g.members = g.members[:len(g.members)-1]
	g.dirty, g.removed = true, true
	if x.byID[e.id] == h {
		delete(x.byID, e.id)
	}
	x.sl.free(e.shape.bytes())
	*e = entry{}
	x.free = append(x.free, h)
	x.live--
}

// eachIndexed calls f with each shingle of doc h that the postings hold:
// selected, and not its group's boilerplate.
func (x *Index) eachIndexed(h int32, f func(shingle)) {
	v := x.view(h)
	sel, set := v.sel, v.set
	for w, bits := range sel {
		if v.bp != nil {
			bits &^= v.bp[w]
		}
		for bits != 0 {
			i := w*64 + tz(bits)
			bits &= bits - 1
			f(set[i])
		}
	}
}

// crossed tells whether a list that now holds n docs, after one was added
// (or removed), went over (or back under) one of the sizes that change
// which candidates it makes.
func (x *Index) crossed(n int, added bool) bool {
	if !added {
		n++
	}
	return n == x.maxPost+1 || n == x.common+1
}

// markList marks stale every doc of s's postings: s just started or
// stopped making candidates.
func (x *Index) markList(s shingle) {
	var one [1]int32
	for _, d := range x.post.docs(s, one[:]) {
		x.markStale(d)
	}
}

func (x *Index) markStale(d int32) {
	if e := &x.docs[d]; e.live && !e.stale {
		e.stale = true
		x.stale = append(x.stale, d)
	}
}

func (x *Index) dropEdge(d, other int32) {
	e := &x.docs[d]
	if i, ok := slices.BinarySearchFunc(e.nb, other, func(ed edge, t int32) int { return int(ed.doc - t) }); ok {
		e.nb = slices.Delete(e.nb, i, i+1)
	}
	e.rdirty = true
}

func (x *Index) setEdge(d, other int32, shared int32) {
	e := &x.docs[d]
	i, ok := slices.BinarySearchFunc(e.nb, other, func(ed edge, t int32) int { return int(ed.doc - t) })
	if ok {
		e.nb[i].shared = shared
	} else {
		e.nb = slices.Insert(e.nb, i, edge{other, shared})
	}
	e.rdirty = true
}

// stripBits returns the bitmap of the shingles of set that are in bp
// (both sorted), nil when none is, and how many are not.
func stripBits(set, bp []shingle) ([]uint64, int32) {
	var bits []uint64
	n := int32(len(set))
	i, j := 0, 0
	for i < len(set) && j < len(bp) {
		switch a, b := set[i], bp[j]; {
		case a < b:
			i++
		case a > b:
			j++
		default:
			if bits == nil {
				bits = make([]uint64, (len(set)+63)/64)
			}
			bits[i>>6] |= 1 << (i & 63)
			n--
			i++
			j++
		}
	}
	return bits, n
}

func bit(b []uint64, i int) bool { return b != nil && b[i>>6]&(1<<(i&63)) != 0 }

// refresh brings every derived fact up to date: boilerplate, postings,
// neighbours and round-up flags.
func (x *Index) refresh() {
	x.compact()
	x.learnBoilerplate()
	x.findNeighbours()
}

// learnBoilerplate counts again the shingles of each group that changed,
// re-strips its docs if its boilerplate did, and indexes its new docs.
func (x *Index) learnBoilerplate() {
	var dirty []*group
	for _, g := range x.groups {
		if g.dirty {
			dirty = append(dirty, g)
		}
	}
	selected := 0
	for _, g := range dirty {
		for _, h := range g.added {
			if !x.docs[h].indexed {
				for _, w := range x.view(h).sel {
					selected += bits.OnesCount64(w)
				}
			}
		}
	}
	x.post.reserve(selected)
	fresh := make([][]shingle, len(dirty))
	parallel(len(dirty), func(i int) { fresh[i] = x.count(dirty[i]) })
	for i, g := range dirty {
		g.dirty, g.added, g.removed = false, g.added[:0], false
		changed := !slices.Equal(g.bp, fresh[i])
		g.bp = fresh[i]
		for _, h := range g.members {
			e := &x.docs[h]
			if e.indexed && !changed {
				continue
			}
			v := x.view(h)
			sel, set := v.sel, v.set
			bits, size := stripBits(set, g.bp)
			if !e.indexed {
				x.setBP(h, bits)
				e.size, e.indexed = size, true
				x.eachIndexed(h, func(s shingle) {
					if x.crossed(x.post.add(s, h), true) {
						x.markList(s)
					}
				})
				continue
			}
			if size == e.size && slices.Equal(bits, v.bp) {
				continue
			}
			// Postings follow the new boilerplate.
			for w := range sel {
				var was, is uint64
				if v.bp != nil {
					was = v.bp[w]
				}
				if bits != nil {
					is = bits[w]
				}
				for b := sel[w] & (was ^ is); b != 0; b &= b - 1 {
					s := set[w*64+tz(b)]
					if is&(b&-b) != 0 {
						if x.crossed(x.post.remove(s, h), false) {
							x.markList(s)
						}
					} else if x.crossed(x.post.add(s, h), true) {
						x.markList(s)
					}
				}
			}
			x.setBP(h, bits)
			e.size = size
			x.markStale(h)
		}
	}
}

// count returns, sorted, the shingles found in BoilerplateDocs or more of
// the group's docs (a doc id counted once). When docs were only added
// since the last count, only their shingles can have become boilerplate:
// those are counted in the older docs, which are probed rather than
// counted.
func (x *Index) count(g *group) []shingle {
	min := int32(x.o.BoilerplateDocs)
	var found []shingle
	if !g.removed && !x.batch && 4*len(g.added) < len(g.members) {
		c := newCounter(len(g.added)*512, true)
		isNew := make(map[int32]bool, len(g.added))
		for _, h := range g.added {
			isNew[h] = true
			set := x.set(h)
			bits, _ := stripBits(set, g.bp)
			for i, s := range set {
				if !bit(bits, i) {
					c.add(s)
				}
			}
		}
		for _, h := range g.members {
			if !isNew[h] {
				for _, s := range x.set(h) {
					c.bump(s)
				}
			}
		}
		c.each(min, func(s shingle) { found = append(found, s) })
		if len(found) == 0 {
			return g.bp
		}
		slices.Sort(found)
		return union(g.bp, found)
	}
	members := g.members
	if x.batch {
		// The same id twice in a group counts once: the first.
		seen := make(map[string]bool, len(members))
		members = make([]int32, 0, len(g.members))
		for _, h := range slices.Sorted(slices.Values(g.members)) {
			if !seen[x.docs[h].id] {
				seen[x.docs[h].id] = true
				members = append(members, h)
			}
		}
	}
	return x.countAll(members, min)
}

// countAll returns, sorted, the shingles found in min or more of the
// docs. The sets are sorted and hashes uniform, so the count goes range of
// hashes by range, each small enough for a table that stays in cache.
func (x *Index) countAll(members []int32, min int32) []shingle {
	total := 0
	for _, h := range members {
		total += int(x.docs[h].shape.nset)
	}
	pb := bits.Len(uint(total / 1024)) // 2^pb ranges of 512 to 1024
	c := newCounter(total>>pb+1, false)
	pos := make([]int, len(members))
	var found []shingle
	for p := uint64(0); p < 1<<pb; p++ {
		for m, h := range members {
			set := x.set(h)
			i := pos[m]
			for ; i < len(set) && (pb == 0 || uint64(set[i]>>(32-pb)) == p); i++ {
				if c.add(set[i]) == min {
					found = append(found, set[i])
				}
			}
			pos[m] = i
		}
		c.reset()
	}
	slices.Sort(found)
	return found
}

// findNeighbours finds again the neighbours of every stale doc, and
// updates the other side of each edge that appeared, changed or went.
func (x *Index) findNeighbours() {
	var work []int32
	for _, h := range x.stale {
		if e := &x.docs[h]; e.live && e.stale {
			e.stale = false
			work = append(work, h)
		}
	}
	x.stale = x.stale[:0]
	if len(work) == 0 {
		return
	}
	// A pair of stale docs is verified once, by the doc with the smaller
	// handle; both sides of every edge are then written.
	inWork := make([]bool, len(x.docs))
	for _, h := range work {
		inWork[h] = true
	}
	found := make([][]edge, len(work))
	parallelChunks(len(work), func(lo, hi int) {
		var q querier
		for i := lo; i < hi; i++ {
			found[i] = x.query(work[i], &q, inWork)
		}
	})
	for i, h := range work {
		e := &x.docs[h]
		for _, ed := range e.nb {
			x.docs[ed.doc].rdirty = true
			if !inWork[ed.doc] {
				if _, ok := slices.BinarySearchFunc(found[i], ed.doc, func(a edge, t int32) int { return int(a.doc - t) }); !ok {
					x.dropEdge(ed.doc, h)
				}
			}
		}
		// Clipped: inserting the other side of an edge must not write
		// into found[i] while it is read below.
		e.nb = slices.Clip(found[i])
		e.rdirty = true
	}
	for i, h := range work {
		for _, ed := range found[i] {
			x.setEdge(ed.doc, h, ed.shared)
		}
	}
}

// querier holds one worker's scratch space.
type querier struct {
	cands  []int32
	common []int32
	one    [1]int32
}

// query returns the docs sharing at least MinShared content shingles with
// doc h among its candidates, by doc.
// Candidates that are stale with a smaller handle are left to verify
// the pair themselves.
func (x *Index) query(h int32, q *querier, inWork []bool) []edge {
	e := &x.docs[h]
	hv := x.view(h)
	set, bp := hv.set, hv.bp
	q.cands, q.common = q.cands[:0], q.common[:0]
	x.eachIndexed(h, func(s shingle) {
		ds := x.post.docs(s, q.one[:])
		if len(ds) > x.maxPost {
			return
		}
		for _, d := range ds {
			if d == h || (d < h && inWork[d]) {
				continue
			}
			if len(ds) > x.common {
				q.common = append(q.common, d)
			} else {
				q.cands = append(q.cands, d)
			}
		}
	})
	if len(q.common) > 1 {
		slices.Sort(q.common)
		for i := 1; i < len(q.common); i++ {
			if q.common[i] == q.common[i-1] {
				q.cands = append(q.cands, q.common[i])
			}
		}
	}
	if len(q.cands) == 0 {
		return nil
	}
	slices.Sort(q.cands)
	var out []edge
	for i, d := range q.cands {
		if i > 0 && q.cands[i-1] == d {
			continue
		}
		o := &x.docs[d]
		if int(min(e.size, o.size)) < x.o.MinShared {
			continue
		}
		v := x.view(d)
		if n := sharedCount(set, bp, v.set, v.bp); n >= x.o.MinShared {
			out = append(out, edge{d, int32(n)})
		}
	}
	return out
}

// sharedCount counts the content shingles two docs have in common: their
// sets as and bs, less the boilerplate marked in abp and bbp.
func sharedCount(as []shingle, abp []uint64, bs []shingle, bbp []uint64) int {
	n, i, j := 0, 0, 0
	for i < len(as) && j < len(bs) {
		x, y := as[i], bs[j]
		if x == y && !bit(abp, i) && !bit(bbp, j) {
			n++
		}
		// Branch-free steps: the comparisons are unpredictable.
		i += b2i(x <= y)
		j += b2i(y <= x)
	}
	return n
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// region returns the content shingles docs a and b have in common.
func (x *Index) region(a, b int32) []shingle {
	var out []shingle
	i, j := 0, 0
	as, bs := x.set(a), x.set(b)
	abp, bbp := x.bp(a), x.bp(b)
	for i < len(as) && j < len(bs) {
		switch x, y := as[i], bs[j]; {
		case x < y:
			i++
		case x > y:
			j++
		default:
			if !bit(abp, i) && !bit(bbp, j) {
				out = append(out, x)
			}
			i++
			j++
		}
	}
	return out
}

// content returns doc h's shingles less its group's boilerplate.
func (x *Index) content(h int32) []shingle {
	v := x.view(h)
	if v.bp == nil {
		return v.set
	}
	out := make([]shingle, 0, x.docs[h].size)
	for i, s := range v.set {
		if !bit(v.bp, i) {
			out = append(out, s)
		}
	}
	return out
}

func (x *Index) pair(a, b int32, shared int32) Pair {
	return pairOf(int(shared), int(x.docs[a].size), int(x.docs[b].size))
}

// order returns the live docs in time order (see earlier), and each doc's
// rank in it.
func (x *Index) order() (order []int32, rank []int32) {
	order = make([]int32, 0, x.live)
	for h := range x.docs {
		if x.docs[h].live {
			order = append(order, int32(h))
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		return x.earlier(order[i], order[j])
	})
	rank = make([]int32, len(x.docs))
	for r, h := range order {
		rank[h] = int32(r)
	}
	return order, rank
}

func (x *Index) earlier(i, j int32) bool {
	a, b := &x.docs[i], &x.docs[j]
	if a.undated() != b.undated() {
		return !a.undated()
	}
	if a.sec != b.sec {
		return a.sec < b.sec
	}
	if a.nsec != b.nsec {
		return a.nsec < b.nsec
	}
	if ga, gb := x.groups[a.group].name, x.groups[b.group].name; ga != gb {
		return ga < gb
	}
	if a.id != b.id {
		return a.id < b.id
	}
	return i < j
}

// roundups recomputes the round-up flag of every doc whose neighbours
// changed.
func (x *Index) roundups(rank []int32) {
	var work []int32
	for h := range x.docs {
		if e := &x.docs[h]; e.live && e.rdirty {
			e.rdirty = false
			work = append(work, int32(h))
		}
	}
	flags := make([]bool, len(work))
	parallelChunks(len(work), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			flags[i], _ = x.isRoundup(work[i], rank)
		}
	})
	for i, h := range work {
		x.docs[h].roundup = flags[i]
	}
}

// lede returns doc h's opening: its first ledeShingles shingles in text
// order that are not its group's boilerplate (a by-line block is not an
// opening), as a sorted set.
func (x *Index) lede(h int32) []shingle {
	v := x.view(h)
	var out []shingle
	for _, s := range v.head {
		if len(out) == ledeShingles {
			break
		}
		if i, ok := slices.BinarySearch(v.set, s); ok && bit(v.bp, i) {
			continue
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// foreignLedes counts the distinct openings of other texts that doc h
// quotes whole: a round-up quotes the first paragraphs of each story it
// gathers, while an article contains no opening but its own (its copies
// and summaries open the same way, and count once; a rewrite opens with a
// new lede the original does not have).
func (x *Index) foreignLedes(h int32) int {
	content := x.content(h)
	var found [][]shingle
	for _, ed := range x.docs[h].nb {
		if int(ed.shared) < x.o.MinShared {
			continue
		}
		l := x.lede(ed.doc)
		if len(l) < ledeShingles/2 || 5*len(intersection(l, content)) < 4*len(l) {
			continue // too short to tell, or not quoted whole
		}
		same := false
		for _, f := range found {
			if 2*len(intersection(l, f)) >= len(l) {
				same = true
				break
			}
		}
		if !same {
			found = append(found, l)
		}
	}
	return len(found)
}

// isRoundup tells whether doc h is made of parts of several other stories:
// it quotes the openings of two or more other stories whole (see
// foreignLedes), or the texts that share a part of it (not the whole: near
// copies do not count) fall into at least RoundupParts disjoint parts of
// it, which together cover most of it. An article quoted by a summary in one place
// and sharing background with a follow-up in another has two parts and
// keeps most of its text to itself; a round-up of three stories does not.
// Neighbours are taken in time order. It also returns the sizes of the
// parts that count.
func (x *Index) isRoundup(h int32, rank []int32) (bool, []int) {
	e := &x.docs[h]
	n := int(e.size)
	if n == 0 || len(e.nb) == 0 {
		return false, nil
	}
	quotesLedes := x.foreignLedes(h) >= 2
	// Cheap bounds first: each part needs a doc of its own, and the parts
	// cover at most what the docs share with this one.
	docs, sum := 0, 0
	for _, ed := range e.nb {
		if pr := x.pair(h, ed.doc, ed.shared); !x.o.nearCopy(pr) {
			docs++
			sum += pr.Shared
		}
	}
	if docs < x.o.RoundupParts || float64(sum) < x.o.RoundupCoverage*float64(n) {
		return quotesLedes, nil
	}
	nbs := slices.Clone(e.nb)
	slices.SortFunc(nbs, func(a, b edge) int { return int(rank[a.doc] - rank[b.doc]) })
	var parts [][]shingle
	for _, ed := range nbs {
		pr := x.pair(h, ed.doc, ed.shared)
		if pr.Shared < x.o.MinShared || x.o.nearCopy(pr) {
			continue
		}
		reg := x.region(h, ed.doc)
		merged := false
		for pi, part := range parts {
			common := len(intersection(part, reg))
			if 2*common >= len(reg) || 2*common >= len(part) {
				parts[pi] = union(part, reg)
				merged = true
				break
			}
		}
		if !merged {
			parts = append(parts, reg)
		}
	}
	var big []int
	var covered []shingle
	for _, part := range parts {
		if float64(len(part)) >= x.o.RoundupPart*float64(n) {
			big = append(big, len(part))
			covered = union(covered, part)
		}
	}
	return quotesLedes || (len(big) >= x.o.RoundupParts && float64(len(covered)) >= x.o.RoundupCoverage*float64(n)), big
}

// match tells whether doc d may join a cluster through doc m, and how
// strongly. Through the representative a containment match is enough,
// unless the larger of the two is a round-up; through any other member
// only a near copy counts, so clusters never grow by chains of partial
// matches.
func (x *Index) match(d int32, ed edge, viaRep bool) (Rule, Pair) {
	m := ed.doc
	pr := x.pair(d, m, ed.shared)
	return x.o.rule(pr, viaRep, x.docs[d].roundup, x.docs[m].roundup), pr
}

// rule decides a pair: a is the doc being placed, b the member it is
// compared with.
func (o Options) rule(pr Pair, viaRep, roundupA, roundupB bool) Rule {
	if roundupA != roundupB && (o.nearCopy(pr) || o.contained(pr)) {
		return RuleRoundup // a round-up and a story: never the same text
	}
	if o.nearCopy(pr) {
		return RuleNearCopy
	}
	if pr.Shared < o.MinShared {
		return RuleTooFewShared
	}
	if !o.contained(pr) {
		return RuleNoMatch
	}
	if !viaRep {
		return RuleNotRep
	}
	if roundupA || roundupB {
		return RuleRoundup
	}
	return RuleContained
}

type placed struct {
	rule Rule
	via  int32
	pair Pair
}

// cluster brings the index up to date and forms the clusters: docs are
// taken oldest first; each joins the cluster of a doc it shares a key
// with, else the cluster of a near copy of it, else the cluster it (or a
// near copy of it) matches best (the older on a tie), else starts one.
func (x *Index) cluster() (clusters [][]int32, why []placed) {
	x.refresh()
	order, rank := x.order()
	x.roundups(rank)
	// Near copies of each other (copies, edited copies, whole rewrites)
	// always end up together, whichever comes first: a rewrite published
	// before the full copy still joins the story whose summary came first,
	// through that copy.
	uf := newUnionFind(len(x.docs))
	for h := range x.docs {
		e := &x.docs[h]
		if !e.live {
			continue
		}
		for _, ed := range e.nb {
			if int(ed.doc) > h && e.roundup == x.docs[ed.doc].roundup && x.o.nearCopy(x.pair(int32(h), ed.doc, ed.shared)) {
				uf.union(h, int(ed.doc))
			}
		}
	}
	members := map[int][]int32{} // near-copy group -> docs, oldest first
	for _, d := range order {
		g := uf.find(int(d))
		members[g] = append(members[g], d)
	}
	groupCluster := map[int]int32{}

	why = make([]placed, len(x.docs))
	clusterOf := make([]int32, len(x.docs)) // cluster+1
	byKey := map[uint64]int32{}
	var cands []edge
	for _, d := range order {
		g := uf.find(int(d))
		c := int32(-1)
		keys := x.view(d).keys
		for _, k := range keys {
			if cl, ok := byKey[k]; ok {
				c = cl
				why[d] = placed{rule: RuleKey, via: clusters[cl][0]}
				break
			}
		}
		if gc, ok := groupCluster[g]; c < 0 && ok {
			c = gc
			for _, m := range members[g] {
				if clusterOf[m] != 0 {
					why[d] = placed{rule: RuleNearCopy, via: m, pair: x.pairOf(d, m)}
					break
				}
			}
		}
		if c < 0 {
			// d, or any near copy of it placed later, may match a story.
			// Candidates in time order, so that a tie goes to the older
			// story whatever order the docs came in.
			best := 0.0
			for _, q := range members[g] {
				cands = append(cands[:0], x.docs[q].nb...)
				slices.SortFunc(cands, func(a, b edge) int { return int(rank[a.doc] - rank[b.doc]) })
				for _, ed := range cands {
					if clusterOf[ed.doc] == 0 {
						continue // not placed yet: later in time
					}
					mc := clusterOf[ed.doc] - 1
					r, pr := x.match(q, ed, clusters[mc][0] == ed.doc)
					if (r == RuleNearCopy || r == RuleContained) && pr.Containment > best {
						best, c = pr.Containment, mc
						why[d] = placed{rule: r, via: ed.doc, pair: pr}
					}
				}
			}
		}
		if c < 0 {
			clusters = append(clusters, nil)
			c = int32(len(clusters) - 1)
			why[d] = placed{rule: RuleNew, via: -1}
		}
		clusters[c] = append(clusters[c], d)
		clusterOf[d] = c + 1
		if _, ok := groupCluster[g]; !ok {
			groupCluster[g] = c
		}
		for _, k := range keys {
			if _, ok := byKey[k]; !ok {
				byKey[k] = c
			}
		}
	}
	return clusters, why
}

// pairOf is the evidence between two neighbours.
func (x *Index) pairOf(a, b int32) Pair {
	for _, ed := range x.docs[a].nb {
		if ed.doc == b {
			return x.pair(a, b, ed.shared)
		}
	}
	return x.pair(a, b, 0)
}

type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

func (u unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra < rb {
		u[rb] = ra
	} else {
		u[ra] = rb
	}
}

// Neighbours brings the index up to date and returns the ids of the docs
// that share MinShared content shingles or more with the doc with this id
// (nil when there is none): with the other docs of both groups, the
// context that Explain needs to judge a pair as Clusters does.
func (x *Index) Neighbours(id string) []string {
	h, ok := x.byID[id]
	if !ok {
		return nil
	}
	x.refresh()
	var out []string
	for _, ed := range x.docs[h].nb {
		out = append(out, x.docs[ed.doc].id)
	}
	slices.Sort(out)
	return out
}

// Near returns the ids of the docs that share MinShared content shingles
// or more with the doc with this id, as Neighbours does, but finds them for
// this doc alone: on an index just filled from a million stored
// fingerprints, it costs learning the boilerplate and one lookup rather
// than finding every doc's neighbours.
func (x *Index) Near(id string) []string {
	h, ok := x.byID[id]
	if !ok {
		return nil
	}
	x.learnBoilerplate()
	var q querier
	var out []string
	// No doc is being worked on: every candidate is verified here.
	for _, ed := range x.query(h, &q, make([]bool, len(x.docs))) {
		out = append(out, x.docs[ed.doc].id)
	}
	slices.Sort(out)
	return out
}

// Story is one cluster of the index, named by doc ids.
type Story struct {
	IDs []string   // the representative (earliest) first, then by time
	Why []Decision // Why[i] tells how IDs[i] joined
}

// Clusters brings the index up to date and returns its clusters, ordered
// by representative, earliest first: the same clusters as Clusters over
// the same docs.
func (x *Index) Clusters() []Story {
	cs, why := x.cluster()
	out := make([]Story, len(cs))
	for i, c := range cs {
		s := Story{IDs: make([]string, len(c)), Why: make([]Decision, len(c))}
		for j, h := range c {
			s.IDs[j] = x.docs[h].id
			w := why[h]
			s.Why[j] = Decision{Merge: w.rule != RuleNew, Rule: w.rule, Pair: w.pair}
			if w.via >= 0 {
				s.Why[j].Via = x.docs[w.via].id
			}
		}
		out[i] = s
	}
	return out
}

// Clusters groups docs into clusters of copies. Every doc is in exactly one
// cluster; the result is ordered by representative, earliest first.
func Clusters(docs []Doc, o Options) []Cluster {
	cs, _ := batchIndex(docs, o).cluster()
	out := make([]Cluster, len(cs))
	for i, c := range cs {
		m := make([]int, len(c))
		for j, h := range c {
			m[j] = int(h)
		}
		out[i] = Cluster{Members: m}
	}
	return out
}

// batchIndex indexes docs, doc i as handle i. Ids need not be unique: as
// in Boilerplate, a group counts each id once, the first time.
func batchIndex(docs []Doc, o Options) *Index {
	x := NewIndex(o)
	x.batch = true
	x.docs = make([]entry, 0, len(docs))
	sets := make([][]shingle, len(docs))
	sels := make([][]uint64, len(docs))
	heads := make([][]shingle, len(docs))
	parallelChunks(len(docs), func(lo, hi int) {
		var sh shingler
		for i := lo; i < hi; i++ {
			sets[i], sels[i], heads[i] = sh.sign(docs[i].Text, o.Shingle, x.window)
		}
	})
	for i, d := range docs {
		x.insert(d, sets[i], sels[i], heads[i])
	}
	return x
}

// parallel runs f(0..n-1) on all cores, one i at a time.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// parallelChunks splits 0..n-1 into chunks run on all cores.
func parallelChunks(n int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+255)/256)
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	wg.Wait()
}

package dedupe

import "math/bits"

// postings maps a selected shingle to the docs it was selected in: an open
// addressing table (linear probing, at most 3/4 full, grown by half) of
// 32-bit keys whose slots hold the doc itself when a shingle has one doc,
// as most do, and a list otherwise. It costs 11 to 16 bytes per selected
// shingle, against some 60 for a Go map of slices.
//
// A key is the shingle mixed again (see postingKey): winnowing selects
// the smallest hashes, whose high bits are mostly zero, and a key's slot
// is read from its high bits. Two shingles with the same key (only 0 and
// the shingle whose key is 1 can have one) share a list: a false
// candidate at worst, which the exact verification drops, and the same
// whatever the order docs came in.
type postings struct {
	keys  []uint32 // 0: empty slot
	vals  []uint32 // doc, or listBit|index into lists
	lists [][]int32
	free  []uint32 // unused entries of lists
	n     int      // occupied slots
}

const listBit = 1 << 31

// postingKey is a shingle's key: the shingle times an odd constant (a
// bijection, which carries every bit upwards into the high bits that pick
// the slot), its high half folded into the low one (a bijection too), and
// 0, the empty slot, made 1.
func postingKey(h shingle) uint32 {
	k := h * 0x9e3779b1
	k ^= k >> 16
	if k == 0 {
		return 1
	}
	return k
}

// home is a key's first slot: the table's size need not be a power of
// two.
func (p *postings) home(k uint32) int {
	hi, _ := bits.Mul32(k, uint32(len(p.keys)))
	return int(hi)
}

func (p *postings) find(k uint32) (int, bool) {
	if len(p.keys) == 0 {
		return 0, false
	}
	i := p.home(k)
	for {
		switch p.keys[i] {
		case k:
			return i, true
		case 0:
			return i, false
		}
		if i++; i == len(p.keys) {
			i = 0
		}
	}
}

// docs returns the docs of h; one is a scratch slice of length 1 for the
// common case of a single doc.
func (p *postings) docs(h shingle, one []int32) []int32 {
	i, ok := p.find(postingKey(h))
	if !ok {
		return nil
	}
	v := p.vals[i]
	if v&listBit != 0 {
		return p.lists[v&^listBit]
	}
	one[0] = int32(v)
	return one[:1]
}

// add records doc under h and returns the new number of docs of h.
func (p *postings) add(h shingle, doc int32) int {
	k := postingKey(h)
	if 4*(p.n+1) > 3*len(p.keys) {
		p.grow()
	}
	i, ok := p.find(k)
	if !ok {
		p.keys[i], p.vals[i] = k, uint32(doc)
		p.n++
		return 1
	}
	v := p.vals[i]
	if v&listBit != 0 {
		l := &p.lists[v&^listBit]
		*l = append(*l, doc)
		return len(*l)
	}
	l := []int32{int32(v), doc}
	if n := len(p.free); n > 0 {
		idx := p.free[n-1]
		p.free = p.free[:n-1]
		p.lists[idx] = l
		p.vals[i] = listBit | idx
	} else {
		p.lists = append(p.lists, l)
		p.vals[i] = listBit | uint32(len(p.lists)-1)
	}
	return 2
}

// remove drops doc from h and returns the number of docs left.
func (p *postings) remove(h shingle, doc int32) int {
	i, ok := p.find(postingKey(h))
	if !ok {
		return 0
	}
	v := p.vals[i]
	if v&listBit == 0 {
		if int32(v) != doc {
			return 1
		}
		p.delete(i)
		return 0
	}
	idx := v &^ listBit
	l := p.lists[idx]
	for j, d := range l {
		if d == doc {
			l = append(l[:j], l[j+1:]...)
			break
		}
	}
	if len(l) == 1 {
		p.vals[i] = uint32(l[0])
		p.lists[idx] = nil
		p.free = append(p.free, idx)
		return 1
	}
	p.lists[idx] = l
	return len(l)
}

// delete empties slot i, shifting back the slots of its probe run so that
// no lookup stops early.
func (p *postings) delete(i int) {
	p.n--
	for {
		p.keys[i] = 0
		j := i
		for {
			if j++; j == len(p.keys) {
				j = 0
			}
			if p.keys[j] == 0 {
				return
			}
			home := p.home(p.keys[j])
			// Move j into the hole at i unless its home lies in (i, j].
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				break
			}
		}
		p.keys[i], p.vals[i] = p.keys[j], p.vals[j]
		i = j
	}
}

// reserve makes room for n more shingles without growing.
func (p *postings) reserve(n int) {
	if want := 4 * (p.n + n) / 3; want > len(p.keys) {
		p.resize(want + 1)
	}
}

func (p *postings) grow() {
	p.resize(max(1024, len(p.keys)+len(p.keys)/2))
}

func (p *postings) resize(n int) {
	oldK, oldV := p.keys, p.vals
	p.keys, p.vals = make([]uint32, n), make([]uint32, n)
	for s, k := range oldK {
		if k == 0 {
			continue
		}
		i := p.home(k)
		for p.keys[i] != 0 {
			if i++; i == n {
				i = 0
			}
		}
		p.keys[i], p.vals[i] = k, oldV[s]
	}
}

// bytes is the memory the table holds.
func (p *postings) bytes() int {
	b := 4*cap(p.keys) + 4*cap(p.vals) + 24*cap(p.lists) + 4*cap(p.free)
	for _, l := range p.lists {
		b += 4 * cap(l)
	}
	return b
}

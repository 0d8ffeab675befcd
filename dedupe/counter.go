package dedupe

import "math/bits"

// counter counts shingles: an open addressing table sized for a known
// number of keys, several times faster than a map for this.
type counter struct {
	keys   []shingle
	counts []int32
	shift  uint
	zero   int32 // the count of shingle 0, which marks empty slots
	filter []uint64
}

// newCounter returns a counter for up to n distinct keys. With a filter,
// has and bump first test a bitmap of the keys, which makes probing for
// absent keys nearly free.
func newCounter(n int, filter bool) *counter {
	b := bits.Len(uint(2*n + 16))
	c := &counter{keys: make([]shingle, 1<<b), counts: make([]int32, 1<<b), shift: uint(64 - b)}
	if filter {
		c.filter = make([]uint64, max(1, (1<<b)/8))
	}
	return c
}

func (c *counter) slot(h shingle) int {
	i := int((uint64(h) * 0x9e3779b97f4a7c15) >> c.shift)
	mask := len(c.keys) - 1
	for c.keys[i] != h && c.keys[i] != 0 {
		i = (i + 1) & mask
	}
	return i
}

func (c *counter) fbit(h shingle) (int, uint64) {
	f := uint64(h) % uint64(64*len(c.filter))
	return int(f >> 6), 1 << (f & 63)
}

// add counts h once more and returns its count.
func (c *counter) add(h shingle) int32 {
	if h == 0 {
		c.zero++
		return c.zero
	}
	i := c.slot(h)
	c.keys[i] = h
	c.counts[i]++
	if c.filter != nil {
		w, b := c.fbit(h)
		c.filter[w] |= b
	}
	return c.counts[i]
}

// bump counts h once more if it is a key already.
func (c *counter) bump(h shingle) {
	if h == 0 {
		if c.zero > 0 {
			c.zero++
		}
		return
	}
	if c.filter != nil {
		if w, b := c.fbit(h); c.filter[w]&b == 0 {
			return
		}
	}
	if i := c.slot(h); c.keys[i] == h {
		c.counts[i]++
	}
}

// each calls f with every key counted at least min times.
func (c *counter) each(min int32, f func(shingle)) {
	if c.zero >= min {
		f(0)
	}
	for i, k := range c.keys {
		if k != 0 && c.counts[i] >= min {
			f(k)
		}
	}
}

// reset empties the counter.
func (c *counter) reset() {
	clear(c.keys)
	clear(c.counts)
	clear(c.filter)
	c.zero = 0
}

package dedupe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// A fingerprint is what the index keeps of a text: its sorted shingle
// hashes and which of them winnowing selected. A store that keeps each
// item's fingerprint (Fingerprint, Index.Fingerprint) can fill an index at
// start with AddFingerprint, without reading or shingling any text.
//
// Layout: "d3", shingle size, window, the number of opening shingles m
// (one byte each), the m opening shingles in text order (little-endian
// uint32), the number of shingles n (uvarint), n little-endian uint32
// hashes in increasing order, then the selection bitmap in ceil(n/8)
// bytes, lowest bit first: about 4.1 bytes per shingle and 4 per opening
// shingle. Hashes are fixed (FNV-1a and splitmix64), so fingerprints stay
// valid across runs, builds and machines; only another version (such as
// "d2", which held 64-bit hashes), shingle size or window makes them stale
// (ErrFingerprint).

// ErrFingerprint is returned for a fingerprint that is damaged, of another
// version, or made with another shingle size or window: add the doc from
// its text instead.
var ErrFingerprint = errors.New("dedupe: fingerprint unusable")

// Fingerprint returns the fingerprint of text under o: the bytes that
// Index.Fingerprint returns once a doc with this text is added.
func Fingerprint(text string, o Options) []byte {
	return NewFingerprinter(o).Fingerprint(text)
}

// A Fingerprinter makes fingerprints one after another, reusing its
// buffers: what a reader of feeds keeps, so that each item is shingled
// while its text is at hand, in parallel with the others, and stored with
// it. A Fingerprinter is not safe for concurrent use; it is cheap to make
// one per goroutine.
type Fingerprinter struct {
	o  Options
	sh shingler
}

// NewFingerprinter returns a Fingerprinter for an index deciding with o.
func NewFingerprinter(o Options) *Fingerprinter { return &Fingerprinter{o: o} }

// Fingerprint returns the fingerprint of text (see the package function).
func (f *Fingerprinter) Fingerprint(text string) []byte {
	set, sel, head := f.sh.sign(text, f.o.Shingle, Window)
	return encodeFingerprint(set, sel, head, f.o.Shingle, Window)
}

// Fingerprint returns the fingerprint of the doc with this id.
func (x *Index) Fingerprint(id string) ([]byte, bool) {
	h, ok := x.byID[id]
	if !ok {
		return nil, false
	}
	v := x.view(h)
	return encodeFingerprint(v.set, v.sel, v.head, x.o.Shingle, x.window), true
}

// AddFingerprint adds d as Add does, its shingles read from fp rather
// than from d.Text (which may be empty). A doc with the same ID is
// replaced. It fails with ErrFingerprint, adding nothing, when fp cannot
// be used.
func (x *Index) AddFingerprint(d Doc, fp []byte) error {
	// Decoded into the index's own buffers: insert copies them into the
	// slab, and a restart over a million fingerprints should not leave
	// 2 KB of garbage for each.
	var err error
	f := &x.decoded
	f.set, f.sel, f.head, err = decodeFingerprint(fp, x.o.Shingle, x.window, f.set, f.sel, f.head)
	if err != nil {
		return err
	}
	x.insert(d, f.set, f.sel, f.head)
	return nil
}

// fingerprintVersion opens every fingerprint; see the layout above.
const fingerprintVersion = "d3"

func encodeFingerprint(set []shingle, sel []uint64, head []shingle, k, w int) []byte {
	n := len(set)
	b := make([]byte, 0, 5+4*len(head)+binary.MaxVarintLen64+4*n+(n+7)/8)
	b = append(b, fingerprintVersion...)
	b = append(b, byte(k), byte(w), byte(len(head)))
	for _, h := range head {
		b = binary.LittleEndian.AppendUint32(b, h)
	}
	b = binary.AppendUvarint(b, uint64(n))
	for _, s := range set {
		b = binary.LittleEndian.AppendUint32(b, s)
	}
	for i := 0; i < n; i += 8 {
		b = append(b, byte(sel[i>>6]>>(i&63)))
	}
	return b
}

// decodeFingerprint decodes b into set, sel and head, reusing their
// arrays.
func decodeFingerprint(b []byte, k, w int, set []shingle, sel []uint64, head []shingle) ([]shingle, []uint64, []shingle, error) {
	head = head[:0]
	if len(b) < 6 || string(b[:2]) != fingerprintVersion {
		return nil, nil, nil, fmt.Errorf("%w: not a fingerprint of this version", ErrFingerprint)
	}
	if int(b[2]) != k || int(b[3]) != w {
		return nil, nil, nil, fmt.Errorf("%w: made with shingle %d and window %d, want %d and %d", ErrFingerprint, b[2], b[3], k, w)
	}
	nh := int(b[4])
	b = b[5:]
	if nh > headShingles || len(b) < 4*nh+1 {
		return nil, nil, nil, fmt.Errorf("%w: bad head", ErrFingerprint)
	}
	for i := range nh {
		head = append(head, binary.LittleEndian.Uint32(b[4*i:]))
	}
	b = b[4*nh:]
	n, l := binary.Uvarint(b)
	if l <= 0 || n > uint64(len(b)) {
		return nil, nil, nil, fmt.Errorf("%w: bad length", ErrFingerprint)
	}
	b = b[l:]
	if uint64(len(b)) != 4*n+(n+7)/8 {
		return nil, nil, nil, fmt.Errorf("%w: %d bytes for %d shingles", ErrFingerprint, len(b), n)
	}
	set = slices.Grow(set[:0], int(n))[:n]
	for i := range set {
		set[i] = binary.LittleEndian.Uint32(b[4*i:])
		if i > 0 && set[i] <= set[i-1] {
			return nil, nil, nil, fmt.Errorf("%w: shingles out of order", ErrFingerprint)
		}
	}
	b = b[4*n:]
	sel = slices.Grow(sel[:0], int(n+63)/64)[:(n+63)/64]
	clear(sel)
	for i, c := range b {
		sel[i>>3] |= uint64(c) << (8 * (i & 7))
	}
	if r := n % 64; r != 0 && sel[len(sel)-1]>>r != 0 {
		return nil, nil, nil, fmt.Errorf("%w: selection past the end", ErrFingerprint)
	}
	return set, sel, head, nil
}

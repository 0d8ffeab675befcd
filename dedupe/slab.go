package dedupe

import (
	"fmt"
	"os"
	"unsafe"
)

// slab holds what the index knows of each doc and never changes once the
// doc is in (its shingle set, winnowing bitmap and opening): 2 KB a doc,
// two thirds of the index, read only to verify a pair or count a group's
// boilerplate. Held in a few large chunks rather than three slices a doc,
// it costs no slice headers and no allocator rounding, and the garbage
// collector neither scans it nor doubles it as headroom. Backed by a file
// (see Index.KeepOnDisk), it leaves the heap altogether: the OS keeps in
// memory what fits and pages the rest.
//
// A doc's bytes never move while the index holds it, so slices into them
// stay valid; compact moves them, between refreshes.
type slab struct {
	chunks [][]byte
	used   int // bytes used in the last chunk
	live   int // bytes of the docs held
	dead   int // bytes of docs gone, until compact

	file   *os.File // nil: chunks are on the heap
	dir    string   // where file was made
	size   int64    // bytes of the file mapped so far
	mapped [][]byte // the chunks mapped from file
	err    error    // why the file could not grow: chunks since are on the heap

	compactFrom int // bytes gone past which compacting is worth it
}

// ref is where a doc's bytes start.
type ref struct{ chunk, off int32 }

const (
	firstChunk = 64 << 10
	maxChunk   = 64 << 20
)

// newFileSlab returns a slab backed by a new file in dir. The file is
// unlinked at once: nothing is left behind, even by a crash.
func newFileSlab(dir string) (*slab, error) {
	f, err := os.CreateTemp(dir, "dedupe-*.slab")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	return &slab{file: f, dir: dir, compactFrom: maxChunk}, nil
}

// alloc returns n bytes, 8-aligned, for a new doc.
func (s *slab) alloc(n int) (ref, []byte) {
	n = (n + 7) &^ 7
	if len(s.chunks) == 0 || s.used+n > len(s.chunks[len(s.chunks)-1]) {
		size := firstChunk
		if k := len(s.chunks); k > 0 {
			size = min(2*len(s.chunks[k-1]), maxChunk)
		}
		size = max(size, n)
		c := s.newChunk(size)
		s.chunks = append(s.chunks, c)
		s.used = 0
	}
	r := ref{int32(len(s.chunks) - 1), int32(s.used)}
	s.used += n
	s.live += n
	return r, s.chunks[r.chunk][r.off : int(r.off)+n : int(r.off)+n]
}

func (s *slab) newChunk(size int) []byte {
	if s.file != nil && s.err == nil {
		c, err := s.mapChunk(size)
		if err == nil {
			return c
		}
		// A full disk costs memory, not the doc.
		s.err = err
	}
	// uint64s, so that the chunk is 8-aligned.
	w := make([]uint64, (size+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), size)
}

func (s *slab) mapChunk(size int) ([]byte, error) {
	size = (size + os.Getpagesize() - 1) &^ (os.Getpagesize() - 1)
	if err := s.file.Truncate(s.size + int64(size)); err != nil {
		return nil, fmt.Errorf("dedupe: grow %s: %w", s.file.Name(), err)
	}
	c, err := mapFile(s.file, s.size, size)
	if err != nil {
		return nil, fmt.Errorf("dedupe: map %s: %w", s.file.Name(), err)
	}
	s.size += int64(size)
	s.mapped = append(s.mapped, c)
	return c, nil
}

// bytes returns the n bytes of a doc at r.
func (s *slab) bytes(r ref, n int) []byte {
	n = (n + 7) &^ 7
	return s.chunks[r.chunk][r.off : int(r.off)+n : int(r.off)+n]
}

// free counts a doc's n bytes as gone.
func (s *slab) free(n int) {
	n = (n + 7) &^ 7
	s.live -= n
	s.dead += n
}

// wasteful tells whether more of the slab is gone than held, by enough
// to be worth moving the docs held into a new one.
func (s *slab) wasteful() bool { return s.dead > s.live && s.dead > s.compactFrom }

// like returns an empty slab of the same kind: in a new file beside this
// one's, or on the heap.
func (s *slab) like() (*slab, error) {
	if s.file == nil {
		return &slab{compactFrom: s.compactFrom}, nil
	}
	n, err := newFileSlab(s.dir)
	if err != nil {
		return nil, err
	}
	n.compactFrom = s.compactFrom
	return n, nil
}

// close lets the slab's memory and file go; nothing may read it after.
// It may be called more than once.
func (s *slab) close() error {
	var err error
	for _, c := range s.mapped {
		if uerr := unmapFile(c); err == nil {
			err = uerr
		}
	}
	if s.file != nil {
		if cerr := s.file.Close(); err == nil {
			err = cerr
		}
	}
	s.chunks, s.mapped, s.file = nil, nil, nil
	return err
}

// shape is what locates the parts of a doc's bytes.
type shape struct {
	nset         int32 // shingles in the set
	nhead, nkeys uint8 // shingles in the head, keys
}

// bytes is the size of a doc's bytes: its winnowing bitmap, boilerplate
// bitmap, keys, set and head, the 8-byte parts first.
func (s shape) bytes() int {
	w := (int(s.nset) + 63) / 64
	return 16*w + 8*int(s.nkeys) + 4*int(s.nset) + 4*int(s.nhead)
}

// docView is a doc's bytes read as its parts.
type docView struct {
	sel, bp, keys []uint64
	set, head     []shingle
}

func viewOf(b []byte, s shape) docView {
	var v docView
	w := (int(s.nset) + 63) / 64
	if w > 0 {
		v.sel = unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), w)
		v.bp = unsafe.Slice((*uint64)(unsafe.Pointer(&b[8*w])), w)
		v.set = unsafe.Slice((*shingle)(unsafe.Pointer(&b[16*w+8*int(s.nkeys)])), s.nset)
	}
	if s.nkeys > 0 {
		v.keys = unsafe.Slice((*uint64)(unsafe.Pointer(&b[16*w])), s.nkeys)
	}
	if s.nhead > 0 {
		v.head = unsafe.Slice((*shingle)(unsafe.Pointer(&b[16*w+8*int(s.nkeys)+4*int(s.nset)])), s.nhead)
	}
	return v
}

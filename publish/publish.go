// Package publish renders the merged feed in every format and puts the
// results in a directory without ever exposing a half-written file.
//
// Render gives the four documents as bytes (a server can serve them from
// memory); Write renders them and replaces the files in a directory, each
// through a temporary file in the same directory that is written in full,
// fsynced and then renamed over the target.
package publish

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/aggregate-dev/aggregate/feed"
)

// Names lists the files Render produces, in the order Write replaces them:
// the three feeds first, the page that links them last.
var Names = []string{feed.RSSFile, feed.AtomFile, feed.JSONFile, feed.HTMLFile}

// writer is the method of feed.Prepared that writes one file.
func writer(p *feed.Prepared, name string) func(io.Writer) error {
	switch name {
	case feed.RSSFile:
		return p.WriteRSS
	case feed.AtomFile:
		return p.WriteAtom
	case feed.JSONFile:
		return p.WriteJSON
	default:
		return p.WriteHTML
	}
}

var contentTypes = map[string]string{
	feed.RSSFile:  "application/rss+xml; charset=utf-8",
	feed.AtomFile: "application/atom+xml; charset=utf-8",
	feed.JSONFile: "application/feed+json; charset=utf-8",
	feed.HTMLFile: "text/html; charset=utf-8",
}

// ContentType is the media type to serve a file of Names with, or
// "application/octet-stream" for any other name.
func ContentType(name string) string {
	if ct, ok := contentTypes[name]; ok {
		return ct
	}
	return "application/octet-stream"
}

// Render renders entries in every format. The map is keyed by the names in
// Names. The output is a pure function of the input: the same Meta and
// entries always give the same bytes. An error names the file that could
// not be rendered.
func Render(m feed.Meta, entries []feed.Entry) (map[string][]byte, error) {
	// The work the formats share (sanitising every body, above all) is
	// done once for the four.
	p, err := feed.Prepare(m, entries)
	if err != nil {
		return nil, fmt.Errorf("publish: render: %w", err)
	}
	out := make(map[string][]byte, len(Names))
	for _, name := range Names {
		var b bytes.Buffer
		if err := writer(p, name)(&b); err != nil {
			return nil, fmt.Errorf("publish: render %s: %w", name, err)
		}
		out[name] = b.Bytes()
	}
	return out, nil
}

// Files is what Write wrote.
type Files struct {
	Dir string
	// Bodies holds the bytes written, by file name (see Names).
	Bodies map[string][]byte
}

// Path is the path of the file called name.
func (f Files) Path(name string) string { return filepath.Join(f.Dir, name) }

// Write renders entries (see Render) and replaces feed.xml, feed.atom,
// feed.json and index.html in dir, creating dir if needed. See WriteRendered
// for what happens on failure.
func (p *Publisher) Write(dir string, m feed.Meta, entries []feed.Entry) (Files, error) {
	bodies, err := Render(m, entries)
	if err != nil {
		return Files{}, err
	}
	return p.WriteRendered(dir, bodies)
}

// Publisher writes the output files. Writers that share a Publisher are
// serialised, so that two concurrent writes never leave files from two
// renders side by side.
type Publisher struct {
	mu sync.Mutex
	// sync and rename are the file system's; tests make one step fail.
	sync   func(*os.File) error
	rename func(oldpath, newpath string) error
}

// New returns a Publisher.
func New() *Publisher {
	return &Publisher{sync: (*os.File).Sync, rename: os.Rename}
}

// Write renders and writes with a Publisher of its own.
func Write(dir string, m feed.Meta, entries []feed.Entry) (Files, error) {
	return New().Write(dir, m, entries)
}

// WriteRendered writes with a Publisher of its own.
func WriteRendered(dir string, bodies map[string][]byte) (Files, error) {
	return New().WriteRendered(dir, bodies)
}

// WriteRendered writes already rendered files (keyed by plain file names)
// into dir. Every file is first written in full to a temporary file in dir,
// fsynced and closed; only when all of them are ready are they renamed
// over their targets, one after the other, and dir is fsynced.
//
// On any error the temporary files are removed and the error names the
// path concerned. If writing a temporary file fails, or a target is a
// directory, no target has been touched. A rename that fails (rare: the
// directory is writable by then) leaves the files before it replaced and
// the ones after it with their old content; each file is always either
// wholly old or wholly new.
func (p *Publisher) WriteRendered(dir string, bodies map[string][]byte) (Files, error) {
	names := make([]string, 0, len(bodies))
	for name := range bodies {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || name != filepath.Base(name) {
			return Files{}, fmt.Errorf("publish: %q is not a plain file name", name)
		}
		names = append(names, name)
	}
	// Names order first, any others after them by name: deterministic.
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := slices.Index(Names, a), slices.Index(Names, b)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		}
		return strings.Compare(a, b)
	})

	p.mu.Lock()
	defer p.mu.Unlock()

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Files{}, fmt.Errorf("publish: create directory: %w", err)
	}

	temps := make(map[string]string, len(names)) // name -> temp path
	cleanup := func() {
		for _, p := range temps {
			os.Remove(p)
		}
	}
	for _, name := range names {
		target := filepath.Join(dir, name)
		if fi, err := os.Lstat(target); err == nil && fi.IsDir() {
			cleanup()
			return Files{}, fmt.Errorf("publish: write %s: target is a directory", target)
		}
		tmp, err := writeTemp(dir, name, bodies[name], p.sync)
		if tmp != "" {
			temps[name] = tmp
		}
		if err != nil {
			cleanup()
			return Files{}, fmt.Errorf("publish: write %s: %w", target, err)
		}
	}
	for _, name := range names {
		target := filepath.Join(dir, name)
		if err := p.rename(temps[name], target); err != nil {
			cleanup()
			return Files{}, fmt.Errorf("publish: replace %s: %w", target, err)
		}
		delete(temps, name)
	}
	if err := syncDir(dir); err != nil {
		return Files{}, fmt.Errorf("publish: sync directory %s: %w", dir, err)
	}

	f := Files{Dir: dir, Bodies: make(map[string][]byte, len(names))}
	for _, name := range names {
		f.Bodies[name] = bodies[name]
	}
	return f, nil
}

// writeTemp writes data to a new temporary file next to the target and
// returns its path (also on error, when the file was created, so that the
// caller removes it).
func writeTemp(dir, name string, data []byte, syncFile func(*os.File) error) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return "", err
	}
	p := f.Name()
	_, err = f.Write(data)
	if err == nil {
		// CreateTemp makes 0600; the files are meant to be served.
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = syncFile(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return p, err
}

// syncDir makes the renames durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	// Some file systems cannot fsync a directory; the renames are done.
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}

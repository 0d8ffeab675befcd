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
	"testing"
	"time"

	"github.com/aggregate-dev/aggregate/feed"
)

func input(title string) (feed.Meta, []feed.Entry) {
	m := feed.Meta{
		Title:   title,
		Link:    "http://127.0.0.1:8080/",
		BaseURL: "http://127.0.0.1:8080/",
		Updated: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
	}
	return m, []feed.Entry{{
		ID:        "tag:aggregate,2026:one",
		Title:     title + ": a story",
		Link:      "https://a.example/1",
		Published: time.Date(2026, 4, 30, 9, 0, 0, 0, time.UTC),
		HTML:      "<p>Body</p>",
		Summary:   "Body",
		Sources: []feed.Source{
			{URL: "https://a.example/1", FeedURL: "https://a.example/feed", FeedTitle: "A", Title: "A story"},
			{URL: "https://b.example/x", FeedURL: "https://b.example/rss", FeedTitle: "B", Title: "A story"},
		},
	}}
}

func mustRender(t *testing.T, title string) map[string][]byte {
	t.Helper()
	b, err := Render(input(title))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dirState reads every file in dir, by name.
func dirState(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, de := range des {
		if de.IsDir() {
			out[de.Name()+"/"] = nil
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[de.Name()] = b
	}
	return out
}

// assertState checks that dir holds exactly want (no temporary files left).
func assertState(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	got := dirState(t, dir)
	var gotNames, wantNames []string
	for n := range got {
		gotNames = append(gotNames, n)
	}
	for n := range want {
		wantNames = append(wantNames, n)
	}
	slices.Sort(gotNames)
	slices.Sort(wantNames)
	if !slices.Equal(gotNames, wantNames) {
		t.Fatalf("dir holds %v, want %v", gotNames, wantNames)
	}
	for n, b := range want {
		if !bytes.Equal(got[n], b) {
			t.Errorf("%s: content is not what it should be (%d bytes, want %d)", n, len(got[n]), len(b))
		}
	}
}

func TestRenderMatchesWriters(t *testing.T) {
	m, entries := input("Merged")
	got, err := Render(m, entries)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d files, want 4", len(got))
	}
	writers := map[string]func(io.Writer, feed.Meta, []feed.Entry) error{
		feed.RSSFile:  feed.WriteRSS,
		feed.AtomFile: feed.WriteAtom,
		feed.JSONFile: feed.WriteJSON,
		feed.HTMLFile: feed.WriteHTML,
	}
	for name, write := range writers {
		var b bytes.Buffer
		if err := write(&b, m, entries); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[name], b.Bytes()) {
			t.Errorf("%s: Render differs from the writer", name)
		}
		if ContentType(name) == "application/octet-stream" {
			t.Errorf("%s: no content type", name)
		}
	}
	again, _ := Render(m, entries)
	for name := range got {
		if !bytes.Equal(got[name], again[name]) {
			t.Errorf("%s: two renders differ", name)
		}
	}
}

func TestRenderErrorNamesFile(t *testing.T) {
	m, entries := input("x")
	m.Link, m.BaseURL = "", "" // RSS needs a channel link
	_, err := Render(m, entries)
	if err == nil || !strings.Contains(err.Error(), feed.RSSFile) || !errors.Is(err, feed.ErrNoFeedLink) {
		t.Fatalf("err = %v, want one naming %s and wrapping ErrNoFeedLink", err, feed.RSSFile)
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "site") // created by Write
	old := mustRender(t, "Old")
	om, oentries := input("Old")
	files, err := Write(dir, om, oentries)
	if err != nil {
		t.Fatal(err)
	}
	assertState(t, dir, old)
	if files.Dir != dir || !bytes.Equal(files.Bodies[feed.JSONFile], old[feed.JSONFile]) ||
		files.Path(feed.HTMLFile) != filepath.Join(dir, "index.html") {
		t.Errorf("Files = %+v", files.Dir)
	}
	for _, name := range Names {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", name, fi.Mode().Perm())
		}
	}

	// A second write replaces every file, and leaves nothing else behind.
	m, entries := input("New")
	if _, err := Write(dir, m, entries); err != nil {
		t.Fatal(err)
	}
	assertState(t, dir, mustRender(t, "New"))
}

// prepare returns a directory holding the "Old" files.
func prepare(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	m, entries := input("Old")
	if _, err := Write(dir, m, entries); err != nil {
		t.Fatal(err)
	}
	return dir, mustRender(t, "Old")
}

func wantErrNaming(t *testing.T, err error, path string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

func TestWriteFailures(t *testing.T) {
	newM, newEntries := input("New")
	newFiles := mustRender(t, "New")

	t.Run("dir is a file", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(p, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Write(p, newM, newEntries)
		wantErrNaming(t, err, p)
		if b, _ := os.ReadFile(p); string(b) != "keep" {
			t.Errorf("the file was changed: %q", b)
		}
	})

	t.Run("target is a directory", func(t *testing.T) {
		dir, old := prepare(t)
		target := filepath.Join(dir, feed.HTMLFile)
		if err := os.Remove(target); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(target, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Write(dir, newM, newEntries)
		wantErrNaming(t, err, target)
		delete(old, feed.HTMLFile)
		old[feed.HTMLFile+"/"] = nil
		assertState(t, dir, old) // the three feeds still hold the old content
	})

	t.Run("fsync fails", func(t *testing.T) {
		dir, old := prepare(t)
		p := New()
		p.sync = func(f *os.File) error {
			if strings.Contains(filepath.Base(f.Name()), feed.JSONFile) {
				return errors.New("injected fsync failure")
			}
			return f.Sync()
		}
		_, err := p.Write(dir, newM, newEntries)
		wantErrNaming(t, err, filepath.Join(dir, feed.JSONFile))
		assertState(t, dir, old) // nothing was renamed: every file is old
	})

	t.Run("rename fails", func(t *testing.T) {
		dir, old := prepare(t)
		p := New()
		p.rename = func(from, to string) error {
			if filepath.Base(to) == feed.JSONFile {
				return &os.LinkError{Op: "rename", Old: from, New: to, Err: errors.New("injected")}
			}
			return os.Rename(from, to)
		}
		_, err := p.Write(dir, newM, newEntries)
		wantErrNaming(t, err, filepath.Join(dir, feed.JSONFile))
		// The feeds before it are new, it and the page are old; each file
		// is whole, and no temporary file is left.
		assertState(t, dir, map[string][]byte{
			feed.RSSFile:  newFiles[feed.RSSFile],
			feed.AtomFile: newFiles[feed.AtomFile],
			feed.JSONFile: old[feed.JSONFile],
			feed.HTMLFile: old[feed.HTMLFile],
		})
	})

	t.Run("render fails", func(t *testing.T) {
		dir, old := prepare(t)
		bad := newM
		bad.BaseURL = "not a url"
		if _, err := Write(dir, bad, newEntries); err == nil {
			t.Fatal("no error")
		}
		assertState(t, dir, old)
	})

	t.Run("bad name", func(t *testing.T) {
		dir, old := prepare(t)
		for _, name := range []string{"", ".", "..", "../x", "a/b"} {
			if _, err := WriteRendered(dir, map[string][]byte{name: []byte("x")}); err == nil {
				t.Errorf("%q: no error", name)
			}
		}
		assertState(t, dir, old)
	})
}

// TestConcurrentWrites: writers racing on one directory leave every file
// whole and equal to one of the renders, and no temporary files.
func TestConcurrentWrites(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	p := New() // writers sharing a Publisher are serialised
	renders := make([]map[string][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		title := fmt.Sprintf("Feed %d", i)
		renders[i] = mustRender(t, title)
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, entries := input(title)
			if _, err := p.Write(dir, m, entries); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := dirState(t, dir)
	if len(got) != len(Names) {
		t.Fatalf("dir holds %d files, want %d", len(got), len(Names))
	}
	// The Publisher holds a lock for the whole replacement, so all four files come
	// from the same render.
	match := -1
	for i, r := range renders {
		if bytes.Equal(got[feed.RSSFile], r[feed.RSSFile]) {
			match = i
		}
	}
	if match < 0 {
		t.Fatal("feed.xml matches no render")
	}
	for _, name := range Names {
		if !bytes.Equal(got[name], renders[match][name]) {
			t.Errorf("%s is not from the same render as feed.xml", name)
		}
	}
}

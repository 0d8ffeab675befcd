package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// The config file is the single source of truth for the feed list and
// stays hand-editable: the functions here change only the [[feed]] blocks
// they are asked to change, byte for byte, and replace the file atomically
// only when the result still loads.

// LoadForEdit reads the file at path as a command that edits the feed list
// needs it: like Load, except that a file with no [[feed]] yet is fine, and
// a missing file reads as the defaults (AppendFeeds creates it).
func LoadForEdit(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		src = nil
	} else if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return parseForEdit(path, src)
}

// parseForEdit is Parse that accepts a file without feeds. validate checks
// the feeds last, so a "feed" error with no feeds means all else is fine.
func parseForEdit(path string, src []byte) (*Config, error) {
	c, err := Parse(path, src)
	var ce *Error
	if err != nil && errors.As(err, &ce) && ce.Key == "feed" {
		d := Default()
		d.Feeds = nil
		if _, derr := decodeOnly(src, &d); derr == nil && len(d.Feeds) == 0 {
			abs, aerr := filepath.Abs(path)
			if aerr != nil {
				return nil, fmt.Errorf("config %s: %w", path, aerr)
			}
			d.Path = abs
			return &d, nil
		}
	}
	return c, err
}

func decodeOnly(src []byte, c *Config) (toml.MetaData, error) { return toml.Decode(string(src), c) }

// CheckFeedURL says whether url is one a [[feed]] may have: http(s), file://
// or a path.
func CheckFeedURL(url string) error {
	if strings.TrimSpace(url) == "" {
		return errors.New("empty URL")
	}
	return checkFeedURL(url)
}

// AppendFeeds adds a [[feed]] block (url, and name when set) for each of
// feeds at the end of the file at path, leaving every byte already there as
// it was. A feed whose URL is already configured, or that comes twice in
// feeds, is skipped. The file is replaced atomically, keeping its mode, and
// only if the result loads; otherwise it is left untouched and the error
// says why. A missing file is created.
func AppendFeeds(path string, feeds []Feed) (added, skipped int, err error) {
	target, src, mode, err := readForEdit(path)
	if err != nil {
		return 0, 0, err
	}
	cur, err := parseForEdit(path, src)
	if err != nil {
		return 0, 0, err
	}
	have := map[string]bool{}
	for _, f := range cur.Feeds {
		have[f.URL] = true
	}
	var add bytes.Buffer
	for _, f := range feeds {
		u := strings.TrimSpace(f.URL)
		if err := CheckFeedURL(u); err != nil {
			return 0, 0, fmt.Errorf("feed %q: %w", f.URL, err)
		}
		if have[u] {
			skipped++
			continue
		}
		have[u] = true
		uq, err := tomlString(u)
		if err != nil {
			return 0, 0, fmt.Errorf("feed %q: %w", f.URL, err)
		}
		if add.Len() > 0 {
			add.WriteString("\n")
		}
		fmt.Fprintf(&add, "[[feed]]\nurl = %s\n", uq)
		if name := strings.TrimSpace(f.Name); name != "" {
			nq, err := tomlString(name)
			if err != nil {
				return 0, 0, fmt.Errorf("feed %q: name: %w", f.URL, err)
			}
			fmt.Fprintf(&add, "name = %s\n", nq)
		}
		added++
	}
	if added == 0 {
		return 0, skipped, nil
	}
	out := bytes.Clone(src)
	if len(out) > 0 {
		if !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		if !bytes.HasSuffix(out, []byte("\n\n")) {
			out = append(out, '\n')
		}
	}
	out = append(out, add.Bytes()...)
	if _, err := Parse(path, out); err != nil {
		return 0, 0, fmt.Errorf("adding the feeds would break %s, left as it was: %w", path, err)
	}
	if err := replaceFile(target, src, out, mode); err != nil {
		return 0, 0, err
	}
	return added, skipped, nil
}

// RemoveFeed removes the [[feed]] block whose url is url: its header, its
// keys and the comments among them, and the blank lines after it. Comments
// after its last key belong to what follows and stay. The file is replaced
// atomically, and only if what remains reads as the same configuration
// less that one feed (which also guards against files laid out in ways a
// line-based edit cannot follow, such as multi-line strings).
func RemoveFeed(path, url string) error {
	url = strings.TrimSpace(url)
	target, src, mode, err := readForEdit(path)
	if err != nil {
		return err
	}
	if src == nil {
		return fmt.Errorf("read config: %s does not exist", path)
	}
	cur, err := parseForEdit(path, src)
	if err != nil {
		return err
	}
	k := -1
	for i, f := range cur.Feeds {
		if f.URL == url {
			k = i
		}
	}
	if k < 0 {
		return fmt.Errorf("%s: no [[feed]] has url %q", path, url)
	}
	lines := splitLines(src)
	var feedHeaders, headers []int
	for i, l := range lines {
		if tableHeaderRe.Match(l) {
			headers = append(headers, i)
			if feedHeaderRe.Match(l) {
				feedHeaders = append(feedHeaders, i)
			}
		}
	}
	if len(feedHeaders) != len(cur.Feeds) {
		return fmt.Errorf("%s: the feeds are not all written as [[feed]] blocks; remove %q by hand", path, url)
	}
	start := feedHeaders[k]
	end := len(lines) // the next header, or EOF
	for _, h := range headers {
		if h > start {
			end = h
			break
		}
	}
	last := start // the block's last key (or value) line
	for i := start + 1; i < end; i++ {
		if !blankOrComment(lines[i]) {
			last = i
		}
	}
	stop := last + 1
	for stop < end && len(bytes.TrimSpace(lines[stop])) == 0 {
		stop++
	}
	if stop == len(lines) {
		// Last in the file: take the blank lines before it instead.
		for start > 0 && len(bytes.TrimSpace(lines[start-1])) == 0 {
			start--
		}
	}
	var out []byte
	for _, l := range lines[:start] {
		out = append(out, l...)
	}
	for _, l := range lines[stop:] {
		out = append(out, l...)
	}
	after, err := parseForEdit(path, out)
	if err != nil {
		return fmt.Errorf("removing %q would break %s, left as it was: %w", url, path, err)
	}
	want := *cur
	want.Feeds = append(append([]Feed(nil), cur.Feeds[:k]...), cur.Feeds[k+1:]...)
	if len(want.Feeds) == 0 {
		want.Feeds = nil
	}
	if !reflect.DeepEqual(*after, want) {
		return fmt.Errorf("%s: cannot remove %q safely with a line edit; remove it by hand", path, url)
	}
	return replaceFile(target, src, out, mode)
}

var (
	// tableHeaderRe matches a line that opens a table: [x] or [[x]].
	tableHeaderRe = regexp.MustCompile(`^[ \t]*\[`)
	feedHeaderRe  = regexp.MustCompile(`^[ \t]*\[\[[ \t]*feed[ \t]*\]\][ \t]*(#.*)?\r?\n?$`)
)

func blankOrComment(l []byte) bool {
	t := bytes.TrimSpace(l)
	return len(t) == 0 || t[0] == '#'
}

// splitLines splits src after each "\n", keeping the line ends.
func splitLines(src []byte) [][]byte {
	var out [][]byte
	for len(src) > 0 {
		i := bytes.IndexByte(src, '\n')
		if i < 0 {
			out = append(out, src)
			break
		}
		out = append(out, src[:i+1])
		src = src[i+1:]
	}
	return out
}

// readForEdit returns the file path resolves to (following symlinks, so a
// linked config stays a link), its content (nil if it does not exist) and
// its mode (0644 for a new file).
func readForEdit(path string) (target string, src []byte, mode fs.FileMode, err error) {
	target = path
	if t, err := filepath.EvalSymlinks(path); err == nil {
		target = t
	}
	info, err := os.Stat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return target, nil, 0o644, nil
	}
	if err != nil {
		return "", nil, 0, fmt.Errorf("read config: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", nil, 0, fmt.Errorf("read config: %s is not a regular file", path)
	}
	src, err = os.ReadFile(target)
	if err != nil {
		return "", nil, 0, fmt.Errorf("read config: %w", err)
	}
	if src == nil {
		src = []byte{}
	}
	return target, src, info.Mode().Perm(), nil
}

// replaceFile writes data to a temporary file beside path, syncs it and
// renames it over path. It refuses when path no longer holds old (someone
// edited it meanwhile); old == nil means path must not exist.
func replaceFile(path string, old, data []byte, mode fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err = tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	now, rerr := os.ReadFile(path)
	switch {
	case old == nil && rerr == nil, old != nil && (rerr != nil || !bytes.Equal(now, old)):
		err = fmt.Errorf("write config: %s changed while it was being edited; try again", path)
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", s)
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

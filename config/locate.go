package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
)

// locator finds the line of a key in the source. The TOML decoder reports
// lines for syntax errors only; unknown keys and bad values are found here
// by walking the table headers, which is enough for the files people write
// by hand.
type locator struct{ lines []string }

func newLocator(src string) locator { return locator{lines: strings.Split(src, "\n")} }

var (
	headerRe = regexp.MustCompile(`^\s*\[\[?\s*([^\]]+?)\s*\]\]?`)
	keyRe    = regexp.MustCompile(`^\s*("?)([A-Za-z0-9_.-]+)("?)\s*=`)
)

// find returns the 1-based line of key, 0 if not found. The n-th [[feed]]
// block is addressed as the key's feed table occurrences, in order.
func (l locator) find(k toml.Key) int {
	if len(k) == 0 {
		return 0
	}
	table := strings.Join(k[:len(k)-1], ".")
	name := k[len(k)-1]
	return l.lookup(table, 0, name)
}

// findDotted resolves keys in the form validate produces: "output.dir",
// "feed[3].url", "title", or a bare table "feed".
func (l locator) findDotted(key string) int {
	if m := regexp.MustCompile(`^(\w+)\[(\d+)\]\.(\w+)$`).FindStringSubmatch(key); m != nil {
		var n int
		fmt.Sscan(m[2], &n)
		if line := l.lookup(m[1], n, m[3]); line > 0 {
			return line
		}
		return l.header(m[1], n)
	}
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		if line := l.lookup("", 0, key); line > 0 {
			return line
		}
		return l.header(key, 1)
	}
	if line := l.lookup(key[:i], 0, key[i+1:]); line > 0 {
		return line
	}
	return l.header(key[:i], 1)
}

// lookup finds name inside table (the n-th occurrence of an array table
// when n > 0, any occurrence otherwise).
func (l locator) lookup(table string, n int, name string) int {
	cur, occ := "", 0
	for i, line := range l.lines {
		if m := headerRe.FindStringSubmatch(line); m != nil {
			cur = m[1]
			if cur == table {
				occ++
			}
			continue
		}
		if cur != table || (n > 0 && occ != n) {
			continue
		}
		if m := keyRe.FindStringSubmatch(line); m != nil && m[2] == name {
			return i + 1
		}
	}
	return 0
}

func (l locator) header(table string, n int) int {
	occ := 0
	for i, line := range l.lines {
		if m := headerRe.FindStringSubmatch(line); m != nil && m[1] == table {
			occ++
			if occ == n || n == 0 {
				return i + 1
			}
		}
	}
	return 0
}

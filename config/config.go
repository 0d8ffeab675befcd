// Package config reads aggregate's TOML configuration. A bad file is
// refused as a whole, before anything is fetched, with the file, the line
// and the key at fault.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/robfig/cron/v3"

	"github.com/aggregate-dev/aggregate/dedupe"
)

// Config is the whole file.
type Config struct {
	Title       string         `toml:"title"`
	Link        string         `toml:"link"`
	Description string         `toml:"description"`
	Schedule    string         `toml:"schedule"`
	Output      Output         `toml:"output"`
	Store       Store          `toml:"store"`
	Server      Server         `toml:"server"`
	Fetch       Fetch          `toml:"fetch"`
	Dedupe      dedupe.Options `toml:"dedupe"`
	Feeds       []Feed         `toml:"feed"`

	// Path is the file the config was read from; relative paths in it
	// resolve against its directory.
	Path string `toml:"-"`
}

// Output says where and how much the merged feed is written.
type Output struct {
	Dir      string `toml:"dir"`
	MaxItems int    `toml:"max_items"`
}

// Store is the state database.
type Store struct {
	Path     string   `toml:"path"`
	Keep     Duration `toml:"keep"`
	MaxItems int      `toml:"max_items"`
}

// Server is the daemon's HTTP face.
type Server struct {
	Listen  string `toml:"listen"`
	BaseURL string `toml:"base_url"`
}

// Fetch bounds the fetching of source feeds.
type Fetch struct {
	Timeout        Duration `toml:"timeout"`
	ConnectTimeout Duration `toml:"connect_timeout"`
	MaxBodyMB      int      `toml:"max_body_mb"`
	MaxItems       int      `toml:"max_items"` // taken from one feed, newest first as the feed lists them
	Concurrency    int      `toml:"concurrency"`
	PerHost        int      `toml:"per_host"`
	HostInterval   Duration `toml:"host_interval"`
	BackoffBase    Duration `toml:"backoff_base"`
	BackoffMax     Duration `toml:"backoff_max"`
	UserAgent      string   `toml:"user_agent"`
}

// Feed is one source.
type Feed struct {
	URL  string `toml:"url"`
	Name string `toml:"name"`
}

// Duration reads "90s", "15m", "30d" (days are added to Go's units because
// retention is naturally counted in them).
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err != nil || fmt.Sprint(days) != n {
			return fmt.Errorf("invalid duration %q", s)
		}
		d.Duration = time.Duration(days) * 24 * time.Hour
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q (want e.g. 30s, 15m, 2h, 30d)", s)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Default returns the configuration used for keys a file leaves out.
func Default() Config {
	return Config{
		Title:       "aggregate",
		Link:        "http://127.0.0.1:8080/",
		Description: "One merged feed, each story once.",
		Schedule:    "@every 15m",
		Output:      Output{Dir: "public", MaxItems: 500},
		Store:       Store{Path: "data/aggregate.db", Keep: Duration{30 * 24 * time.Hour}, MaxItems: 100000},
		Server:      Server{Listen: "127.0.0.1:8080"},
		Fetch: Fetch{Timeout: Duration{30 * time.Second}, ConnectTimeout: Duration{10 * time.Second},
			MaxBodyMB: 10, MaxItems: 200, Concurrency: 16, PerHost: 2,
			BackoffBase: Duration{time.Minute}, BackoffMax: Duration{24 * time.Hour}},
		Dedupe: dedupe.DefaultOptions(),
	}
}

// Error is a problem in the file, located as precisely as the file allows.
type Error struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted, e.g. "output.max_items" or "feed[2].url"
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

var decodeErrRe = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): (.*)$`)

// Load reads and checks the file at path.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, src)
}

// Parse reads and checks src, which was read from path.
func Parse(path string, src []byte) (*Config, error) {
	c := Default()
	c.Feeds = nil
	md, err := toml.Decode(string(src), &c)
	if err != nil {
		var pe toml.ParseError
		var ppe *toml.ParseError
		if errors.As(err, &ppe) {
			pe = *ppe
		}
		if ppe != nil || errors.As(err, &pe) {
			msg := pe.Message
			if msg == "" {
				// Type mismatches carry their text only in Error().
				msg = pe.Error()
				if _, rest, ok := strings.Cut(msg, "): "); ok {
					msg = rest
				}
			}
			line := pe.Position.Line
			if line == 0 {
				line = pe.Line
			}
			return nil, &Error{File: path, Line: line, Key: pe.LastKey, Msg: msg}
		}
		// Type mismatches come as plain errors with the line in the text.
		if m := decodeErrRe.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &Error{File: path, Line: line, Key: m[2], Msg: m[3]}
		}
		return nil, &Error{File: path, Msg: err.Error()}
	}
	lines := newLocator(string(src))
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, &Error{File: path, Line: lines.find(k), Key: k.String(), Msg: "unknown key"}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.Path = abs
	if err := c.validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.File = path
			ce.Line = lines.findDotted(ce.Key)
		}
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate() error {
	bad := func(key, format string, args ...any) error {
		return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	if strings.TrimSpace(c.Title) == "" {
		return bad("title", "must not be empty")
	}
	if u, err := url.Parse(c.Link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("link", "%q is not an absolute http(s) URL", c.Link)
	}
	if _, err := cron.ParseStandard(c.Schedule); err != nil {
		return bad("schedule", "%q is not a cron spec (five fields, or @every 15m, @hourly ...): %v", c.Schedule, err)
	}
	if c.Output.Dir == "" {
		return bad("output.dir", "must not be empty")
	}
	if c.Output.MaxItems < 1 {
		return bad("output.max_items", "must be at least 1, got %d", c.Output.MaxItems)
	}
	if c.Store.Path == "" {
		return bad("store.path", "must not be empty")
	}
	if c.Store.Keep.Duration <= 0 {
		return bad("store.keep", "must be positive")
	}
	if c.Store.MaxItems < 1 {
		return bad("store.max_items", "must be at least 1")
	}
	if c.Fetch.Timeout.Duration <= 0 {
		return bad("fetch.timeout", "must be positive")
	}
	if c.Fetch.MaxBodyMB < 1 {
		return bad("fetch.max_body_mb", "must be at least 1")
	}
	if c.Fetch.Concurrency < 1 {
		return bad("fetch.concurrency", "must be at least 1")
	}
	if c.Fetch.ConnectTimeout.Duration <= 0 {
		return bad("fetch.connect_timeout", "must be positive")
	}
	if c.Fetch.MaxItems < 1 {
		return bad("fetch.max_items", "must be at least 1")
	}
	if c.Fetch.PerHost < 1 {
		return bad("fetch.per_host", "must be at least 1")
	}
	if c.Fetch.HostInterval.Duration < 0 {
		return bad("fetch.host_interval", "must not be negative")
	}
	if c.Fetch.BackoffBase.Duration <= 0 || c.Fetch.BackoffMax.Duration < c.Fetch.BackoffBase.Duration {
		return bad("fetch.backoff_base", "must be positive and at most fetch.backoff_max")
	}
	if err := c.Dedupe.Validate(); err != nil {
		key, msg, _ := strings.Cut(err.Error(), " = ")
		return bad("dedupe."+key, "= %s", msg)
	}
	if len(c.Feeds) == 0 {
		return bad("feed", "no [[feed]] configured: add at least one [[feed]] table with a url")
	}
	seen := map[string]int{}
	for i, f := range c.Feeds {
		key := fmt.Sprintf("feed[%d].url", i+1)
		if strings.TrimSpace(f.URL) == "" {
			return bad(key, "missing")
		}
		if err := checkFeedURL(f.URL); err != nil {
			return bad(key, "%v", err)
		}
		if j, dup := seen[f.URL]; dup {
			return bad(key, "%q is already feed %d", f.URL, j)
		}
		seen[f.URL] = i + 1
	}
	return nil
}

// checkFeedURL accepts http(s) URLs, file:// URLs and plain paths.
func checkFeedURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL or path: %v", raw, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("%q has no host", raw)
		}
	case "file", "":
	default:
		if len(u.Scheme) == 1 { // a Windows drive letter, read as a path
			return nil
		}
		return fmt.Errorf("%q: scheme %q is not supported (use http, https, file or a path)", raw, u.Scheme)
	}
	return nil
}

// Resolve returns p relative to the config file's directory unless it is
// absolute.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

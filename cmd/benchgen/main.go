// Command benchgen writes a labelled corpus of feeds for benchmarking
// aggregate's deduplication: sites that copy each other's articles in the
// ways real ones do, hard negatives, the true clusters and a config.
//
//	go run ./cmd/benchgen -feeds 1000 -items 200 -copies 0.3 -seed 1 -out DIR
//	go run ./cmd/aggregate --once --config DIR/config.toml
//	python3 ../shared/crosspost-dev/score.py DIR/labels.json DIR/public/feed.json
//
// DIR gets feeds/ (RSS 2.0, Atom and JSON Feed files), labels.json (in
// crosspost-dev's format) and config.toml. The same flags give the same
// files.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aggregate-dev/aggregate/cmd/benchgen/corpus"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o corpus.Options
	fs.IntVar(&o.Feeds, "feeds", 50, "number of sites (one feed each)")
	fs.IntVar(&o.Items, "items", 200, "items per feed")
	fs.Float64Var(&o.Copies, "copies", 0.3, "share of items that copy another site's article")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: the same seed gives the same corpus")
	fs.IntVar(&o.Entries, "entries", 0, "merged entries the config writes (0: all of them, for score.py)")
	out := fs.String("out", "", "directory to write (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *out == "":
		fmt.Fprintln(stderr, "benchgen: -out DIR is required")
		return 2
	case o.Feeds < 1 || o.Items < 1:
		fmt.Fprintln(stderr, "benchgen: -feeds and -items must be at least 1")
		return 2
	case o.Copies < 0 || o.Copies > 0.8:
		fmt.Fprintln(stderr, "benchgen: -copies must be in [0, 0.8]")
		return 2
	}
	c := corpus.Generate(o)
	if err := c.Write(*out); err != nil {
		fmt.Fprintln(stderr, "benchgen:", err)
		return 1
	}
	kinds := map[string]int{}
	for _, it := range c.Items {
		kinds[it.Kind]++
	}
	fmt.Fprintf(stdout, "wrote %d feeds, %d items to %s (kinds: %v)\n", len(c.Sites), len(c.Items), *out, kinds)
	return 0
}

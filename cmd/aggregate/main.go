// Command aggregate pulls many feeds, merges the copies of each story into
// one entry, and publishes the result as one feed (RSS, Atom, JSON Feed and
// an HTML page).
//
//	aggregate [--config FILE]          daemon: run now and on the schedule, serve the merged feed over HTTP
//	aggregate --once [--config FILE]   one run: fetch, dedupe, write, exit
//	aggregate status [--config FILE]   each feed's last fetch, status and items
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/aggregate-dev/aggregate/clock"
	"github.com/aggregate-dev/aggregate/config"
	"github.com/aggregate-dev/aggregate/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	stop()
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "aggregate:", err)
		}
		os.Exit(1)
	}
}

// errUsage marks an error whose message was already printed with usage.
var errUsage = errors.New("usage")

// Main is the program, separated from process globals so that tests can
// run it end to end: arguments in, files, HTTP and logs out.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	// Clock drives the schedule, retention and dates; tests use a fake.
	Clock clock.Clock
	// LogLevel is the least level logged.
	LogLevel slog.Level
	// OnListen, when set, is told the daemon's address once it listens.
	OnListen func(net.Addr)
	// OnRun, when set, is told the outcome of every daemon run.
	OnRun func(*stats, error)

	db *store.DB
}

// NewMain returns a Main wired to the process's standard streams.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Clock: clock.Real{}, LogLevel: slog.LevelInfo}
}

// Close releases what Run opened.
func (m *Main) Close() error {
	if m.db == nil {
		return nil
	}
	err := m.db.Close()
	m.db = nil
	return err
}

const usage = `aggregate: follow many feeds, read each story once.

Usage:
  aggregate [--config FILE]          run now and then on the schedule, serving the merged feed over HTTP
  aggregate --once [--config FILE]   fetch every feed, merge copies, write the merged feed, exit
  aggregate status [--config FILE]   show each feed's last fetch, status, error and stored items
  aggregate --version                print the version

Flags:
`

const examples = `
Examples:
  aggregate --once                             one run on ./config.toml; output in public/
  aggregate --config /etc/aggregate.toml       the daemon; open http://127.0.0.1:8080/
  aggregate status                             how each feed fared last time
`

// Run parses args and does what they say.
func (m *Main) Run(ctx context.Context, args []string) error {
	cmd := ""
	if len(args) > 0 && args[0] == "status" {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("aggregate", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	configPath := fs.String("config", "config.toml", "the configuration `file`")
	once := fs.Bool("once", false, "run once: fetch, dedupe, write the output, and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	verbose := fs.Bool("v", false, "log debug detail (each feed read)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), examples)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *showVersion {
		fmt.Fprintln(m.Stdout, "aggregate", version)
		return nil
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(m.Stderr, "aggregate: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	level := m.LogLevel
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	if m.db, err = store.Open(ctx, cfg.Resolve(cfg.Store.Path)); err != nil {
		return err
	}
	switch {
	case cmd == "status":
		return m.status(ctx, cfg)
	case *once:
		_, err := newPipeline(cfg, m.db, log, m.Clock).run(ctx)
		return err
	default:
		return m.daemon(ctx, cfg, log)
	}
}

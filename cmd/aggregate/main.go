// Command aggregate pulls many feeds, merges the copies of each story into
// one entry, and publishes the result as one feed (RSS, Atom, JSON Feed and
// an HTML page).
//
//	aggregate --once [--config config.toml]   one run: fetch, dedupe, write, exit
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
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
// run it end to end: arguments in, files and logs out.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	// Now is the clock; tests pin it.
	Now func() time.Time
	// LogLevel is the least level logged.
	LogLevel slog.Level
}

// NewMain returns a Main wired to the process's standard streams.
func NewMain() *Main {
	return &Main{Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now, LogLevel: slog.LevelInfo}
}

// Close releases what Run opened.
func (m *Main) Close() error { return nil }

const usage = `aggregate: follow many feeds, read each story once.

Usage:
  aggregate --once [--config FILE]   fetch every feed, merge copies, write the merged feed, exit
  aggregate --version                print the version

Flags:
`

// Run parses args and does what they say.
func (m *Main) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("aggregate", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	configPath := fs.String("config", "config.toml", "the configuration `file`")
	once := fs.Bool("once", false, "run once: fetch, dedupe, write the output, and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	verbose := fs.Bool("v", false, "log debug detail (each feed and each merge)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nExample:\n  aggregate --once --config config.toml && ls public/\n")
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
	if !*once {
		fmt.Fprintln(m.Stderr, "aggregate: the daemon mode is not built yet; use --once")
		return errUsage
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	_, err = runOnce(ctx, cfg, log, m.Now)
	return err
}

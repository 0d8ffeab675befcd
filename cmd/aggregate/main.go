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
	"strings"
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
  aggregate [flags]                  run now and then on the schedule, serving the merged feed over HTTP
  aggregate --once [flags]           fetch every feed, merge copies, write the merged feed, exit
  aggregate COMMAND [flags] [args]   see the commands below; aggregate help COMMAND tells more

Commands:
`

// command is one subcommand: aggregate NAME [flags] [args].
type command struct {
	name    string
	args    string // what follows the flags, for the usage line
	summary string
	example string
	// flags registers the command's own flags; the common ones (--config,
	// -v) are always there.
	flags func(fs *flag.FlagSet)
	// run does the command. env holds the loaded config and the open store.
	run func(ctx context.Context, m *Main, e *env, args []string) error
	// noStore commands get a config but no store.
	noStore bool
	// editsConfig commands change the feed list, so a config with no
	// [[feed]] yet, or no file at all, is where they start.
	editsConfig bool
}

// env is what a command runs with.
type env struct {
	cfg        *config.Config
	configPath string
	log        *slog.Logger
}

// commands lists the subcommands, in the order help shows them.
func commands() []command {
	return []command{
		statusCommand(),
		explainCommand(),
		feedsCommand(),
		importOPMLCommand(),
		exportOPMLCommand(),
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func (m *Main) printUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprint(w, usage)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	fmt.Fprintf(w, "  %-28s %s\n", "help [COMMAND]", "this text, or a command's flags and an example")
	fmt.Fprint(w, "\nFlags:\n")
	fs.PrintDefaults()
	fmt.Fprint(w, `
Examples:
  aggregate --once                             one run on ./config.toml; output in public/
  aggregate --config /etc/aggregate.toml       the daemon; open http://127.0.0.1:8080/
  aggregate status                             how each feed fared last time
`)
}

func (m *Main) printCommandUsage(c command, fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: aggregate %s [flags] %s\n\n%s\n\nFlags:\n", c.name, c.args, c.summary)
	fs.PrintDefaults()
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", c.example)
	}
}

// Run parses args and does what they say.
func (m *Main) Run(ctx context.Context, args []string) error {
	var cmd *command
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name := args[0]
		if name == "help" {
			return m.help(args[1:])
		}
		c, ok := findCommand(name)
		if !ok {
			fmt.Fprintf(m.Stderr, "aggregate: unknown command %q (aggregate --help lists them)\n", name)
			return errUsage
		}
		cmd, args = &c, args[1:]
	}
	fs := flag.NewFlagSet("aggregate", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	configPath := fs.String("config", "config.toml", "the configuration `file`")
	verbose := fs.Bool("v", false, "log debug detail (each feed read)")
	var once, force, dryRun, showVersion *bool
	if cmd == nil {
		once = fs.Bool("once", false, "run once: fetch, dedupe, write the output, and exit")
		force = fs.Bool("force", false, "with --once: fetch every feed now, even those waiting out a backoff or their own interval")
		dryRun = fs.Bool("dry-run", false, "with --once: print the stories it would form, and why each copy joined, writing nothing")
		showVersion = fs.Bool("version", false, "print the version and exit")
		fs.Usage = func() { m.printUsage(fs) }
	} else {
		if cmd.flags != nil {
			cmd.flags(fs)
		}
		fs.Usage = func() { m.printCommandUsage(*cmd, fs) }
	}
	// Flags may come after a command's arguments too ("feeds add URL
	// --name N"): parse, set the first argument aside, parse the rest.
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		if fs.NArg() == 0 || cmd == nil {
			rest = append(rest, fs.Args()...)
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if showVersion != nil && *showVersion {
		fmt.Fprintln(m.Stdout, "aggregate", version)
		return nil
	}
	if cmd == nil && (*force || *dryRun) && !*once {
		fmt.Fprintln(m.Stderr, "aggregate: --force and --dry-run go with --once")
		return errUsage
	}
	if cmd == nil && len(rest) > 0 {
		fmt.Fprintf(m.Stderr, "aggregate: unexpected argument %q\n", rest[0])
		fs.Usage()
		return errUsage
	}
	level := m.LogLevel
	if *verbose {
		level = slog.LevelDebug
	}
	e := &env{configPath: *configPath, log: slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))}
	var err error
	load := config.Load
	if cmd != nil && cmd.editsConfig {
		load = config.LoadForEdit
	}
	if e.cfg, err = load(*configPath); err != nil {
		return err
	}
	if cmd == nil || !cmd.noStore {
		if m.db, err = store.Open(ctx, e.cfg.Resolve(e.cfg.Store.Path)); err != nil {
			return err
		}
	}
	switch {
	case cmd != nil:
		return cmd.run(ctx, m, e, rest)
	case *once && *dryRun:
		return m.dryRun(ctx, e, *force)
	case *once:
		p := newPipeline(e.cfg, m.db, e.log, m.Clock)
		p.progressTo = m.Stderr
		p.force = *force
		defer p.close()
		_, err := p.run(ctx)
		return err
	default:
		return m.daemon(ctx, e.cfg, e.log)
	}
}

// help prints the general usage, or one command's.
func (m *Main) help(args []string) error {
	fs := flag.NewFlagSet("aggregate", flag.ContinueOnError)
	fs.SetOutput(m.Stdout)
	fs.String("config", "config.toml", "the configuration `file`")
	fs.Bool("v", false, "log debug detail (each feed read)")
	if len(args) == 0 {
		fs.Bool("once", false, "run once: fetch, dedupe, write the output, and exit")
		fs.Bool("force", false, "with --once: fetch every feed now, even those waiting out a backoff or their own interval")
		fs.Bool("dry-run", false, "with --once: print the stories it would form, and why each copy joined, writing nothing")
		fs.Bool("version", false, "print the version and exit")
		m.printUsage(fs)
		return nil
	}
	c, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(m.Stderr, "aggregate: unknown command %q\n", args[0])
		return errUsage
	}
	if c.flags != nil {
		c.flags(fs)
	}
	m.printCommandUsage(c, fs)
	return nil
}

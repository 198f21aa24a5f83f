// Command claudit gives a security team continuous, investigable oversight of
// how their organization uses Claude, from Anthropic's Compliance API.
// This file holds flags and subcommands only; the work happens in internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/claudit/claudit/internal/app"
	"github.com/claudit/claudit/internal/config"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

var commands []command

func register(name, summary string, run func(ctx context.Context, args []string) error) {
	commands = append(commands, command{name, summary, run})
}

func usage(w io.Writer) {
	fmt.Fprintf(w, `claudit %s: continuous, investigable oversight of your organization's Claude usage,
pulled from Anthropic's Compliance API, checked against runtime policies, alerted and searchable.

Usage: claudit <command> [flags]

Commands:
`, app.Version)
	sort.Slice(commands, func(i, j int) bool { return commands[i].name < commands[j].name })
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'claudit <command> --help' for a command's flags.\nStart here: 'claudit demo' runs the whole product against the built-in simulator.\n")
}

func main() {
	limitMemory(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(os.Stdout)
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Println("claudit", app.VersionString())
		return 0
	}
	args = globalFlagsAfterCommand(args)
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			var ec exitCode
			if errors.As(err, &ec) {
				return int(ec)
			}
			fmt.Fprintln(os.Stderr, "claudit "+c.name+": "+err.Error())
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "claudit: unknown command %q\n\n", args[0])
	usage(os.Stderr)
	return 2
}

// errUsage marks a flag error already printed by the flag package.
var errUsage = errors.New("usage")

// exitCode ends the process with a code and no extra message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// globalFlagsAfterCommand moves --log-level given before the command
// ("claudit --log-level debug sync --once") to the command's own arguments,
// before any "--", where every command's flag set reads it.
func globalFlagsAfterCommand(args []string) []string {
	n := 0 // how many leading arguments are --log-level and its value
	for n < len(args) {
		a := args[n]
		if a == "-log-level" || a == "--log-level" {
			n += 2
		} else if strings.HasPrefix(a, "-log-level=") || strings.HasPrefix(a, "--log-level=") {
			n++
		} else {
			break
		}
	}
	if n == 0 || n >= len(args) {
		return args // nothing to move, or no command to move it after
	}
	global, cmd, rest := args[:n], args[n], args[n+1:]
	end := slices.Index(rest, "--")
	if end < 0 {
		end = len(rest)
	}
	out := append([]string{cmd}, rest[:end]...)
	out = append(out, global...)
	return append(out, rest[end:]...)
}

// logLevels are the values of --log-level and log_level.
var logLevels = []string{"debug", "info", "warn", "error"}

// logLevel is --log-level when given, else def; an unknown level is an error.
func logLevel(fs *flag.FlagSet, def string) (string, error) {
	f := fs.Lookup("log-level")
	if f == nil || f.Value.String() == "" {
		return def, nil
	}
	v := strings.ToLower(f.Value.String())
	if !slices.Contains(logLevels, v) {
		return "", fmt.Errorf("--log-level %q: use one of %s", f.Value.String(), strings.Join(logLevels, ", "))
	}
	return v, nil
}

// newFlags builds a flag set whose --help prints a summary and the flags.
// Every command takes --log-level.
func newFlags(name, synopsis, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.String("log-level", "", "log level: debug, info, warn or error (overrides log_level in the config)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: claudit %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(help))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags in any position ("backfill status 1 --config X"),
// leaving the positional arguments in fs.Args(); after "--" every argument
// is positional.
func parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// flag.Parse stops after consuming "--": the rest is positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	// A last parse of only "--" and the positional arguments sets fs.Args().
	return fs.Parse(append([]string{"--"}, pos...))
}

// configFlag adds --config with the documented default.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "claudit.yaml", "path of the YAML configuration")
}

// loadConfig reads the config; the default path may be absent (defaults apply).
func loadConfig(fs *flag.FlagSet, path string) (*config.Config, error) {
	explicit := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			explicit = true
		}
	})
	cfg, err := config.Load(path, explicit)
	if err != nil {
		return nil, err
	}
	if cfg.LogLevel, err = logLevel(fs, cfg.LogLevel); err != nil {
		return nil, err
	}
	return cfg, nil
}

// openApp loads config, logger and store.
func openApp(ctx context.Context, fs *flag.FlagSet, path string) (*app.App, error) {
	cfg, err := loadConfig(fs, path)
	if err != nil {
		return nil, err
	}
	cfg.Process = fs.Name()
	return app.Open(ctx, cfg, app.NewLogger(os.Stderr, cfg.LogLevel))
}

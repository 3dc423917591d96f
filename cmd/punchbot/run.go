package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

const usage = `punchbot — punch in and out from WeCom, Feishu and Slack by sharing a location.

Usage:
  punchbot [serve]              run the server (configuration from PUNCHBOT_* variables)
  punchbot demo [-serve=false]  embedded store, sample organisation, sample punches, then serve
  punchbot migrate              apply database migrations (PostgreSQL; SQLite migrates itself)
  punchbot doctor               check this environment against the platforms, database, Redis and public URL
  punchbot apply -f org.yaml    create or update the organisation from a file
  punchbot bench broadcast      load test: a broadcast to 100,000 employees against fake platforms
  punchbot bench webhook        load test: signed platform callbacks through the whole server
  punchbot bench rush           load test: a compressed morning rush against fakes with the documented limits
  punchbot report --month 2026-11 --format csv|xlsx|json [--daily 2026-11-26] [--lang zh|en] [-o file]
                                payroll report from punches and approved make-ups (CSV: UTF-8 with BOM)
  punchbot healthcheck [-path /readyz]
                                exit 0 when the local server answers 200 (for container health checks)
  punchbot version              print the version
  punchbot help [command]       print this, or one command's usage

Every command accepts -h or --help. See README.md for the configuration
variables and the org file format.
`

// run is the whole program behind main, with its environment injected so
// tests can drive every subcommand. It exits 0 on success and on help, 1
// when a command fails and 2 on a command line or configuration it refuses.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd, args, act, text := parseCommandLine(args) // cli.go
	switch act {
	case actHelp:
		fmt.Fprint(stdout, text)
		return 0
	case actUsage:
		fmt.Fprint(stderr, text)
		return 2
	}
	var err error
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, versionLine()) // version.go
		return 0
	case "healthcheck":
		// It runs beside a server whose configuration was already
		// checked, and reads only PUNCHBOT_ADDR.
		err = healthcheck(ctx, getenv, args, stdout) // healthcheck.go
	default:
		var cfg config
		cfg, err = loadConfig(getenv)
		// doctor reports configuration errors itself, beside the checks it
		// can still run, so that one run lists everything to fix.
		if err != nil && cmd != "doctor" {
			fmt.Fprintf(stderr, "punchbot: configuration:\n%v\n", err)
			return 2
		}
		err = runCommand(ctx, cmd, cfg, err, getenv, args, stdout, stderr)
	}
	if err != nil {
		if isUsageError(err) {
			printUsageError(stderr, cmd, err)
			return 2
		}
		fmt.Fprintf(stderr, "punchbot %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

// runCommand runs a command that needs the configuration.
func runCommand(ctx context.Context, cmd string, cfg config, cfgErr error, getenv func(string) string, args []string, stdout, stderr io.Writer) error {
	log := newLogger(cfg, stderr)
	for _, name := range unknownVariables(os.Environ()) { // envcheck.go
		log.Warn("punchbot reads no variable of this name: a typo leaves the setting at its default", "variable", name, "did_you_mean", closestVariable(name))
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, stdout, nil)
	case "demo":
		cfg.Addr = demoListen(getenv, cfg.Addr)
		return demo(ctx, cfg, log, args, stdout)
	case "migrate":
		return migrate(ctx, cfg, stdout)
	case "doctor":
		return doctor(ctx, cfg, cfgErr, getenv, stdout, doctorDeps{})
	case "apply":
		return apply(ctx, cfg, args, os.Stdin, stdout)
	case "bench":
		return bench(ctx, cfg, log, args, stdout)
	case "report":
		return report(ctx, cfg, args, stdout)
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel, ReplaceAttr: durationsAsText}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// durationsAsText logs a time.Duration as Go writes it ("12.3ms", "12h0m0s"),
// in JSON too, whose handler would otherwise print a number of nanoseconds
// nobody reads at a glance. Attributes that are numbers on purpose carry
// their unit in their name (duration_ms in the access log).
func durationsAsText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

func migrate(ctx context.Context, cfg config, stdout io.Writer) error {
	if cfg.DatabaseURL == "" {
		s, err := openSQLite(ctx, cfg)
		if err != nil {
			return err
		}
		defer s.Close()
		fmt.Fprintf(stdout, "embedded store %s is up to date (it migrates itself on open)\n", cfg.DBPath)
		return nil
	}
	s, err := openPostgres(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s); schema is up to date\n", n)
	return nil
}

// apply reads the organisation file -f names, or stdin for "-", and
// applies it in one transaction.
func apply(ctx context.Context, cfg config, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("f", "", "organisation file (YAML); - for standard input")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v (usage: punchbot apply -f org.yaml)", err)
	}
	if *file == "" && fs.NArg() == 1 {
		// `punchbot apply org.yaml`: the file without its flag.
		return usageError{fmt.Sprintf("unexpected argument %q: did you mean -f %s? (usage: punchbot apply -f org.yaml)", fs.Arg(0), fs.Arg(0))}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (usage: punchbot apply -f org.yaml)", fs.Arg(0))}
	}
	if *file == "" {
		return usageError{"-f is required (usage: punchbot apply -f org.yaml)"}
	}
	// name is how the messages and the audit entry name the file.
	name := *file
	var data []byte
	var err error
	if *file == "-" {
		name = "standard input"
		data, err = io.ReadAll(io.LimitReader(stdin, 8<<20))
	} else {
		data, err = os.ReadFile(*file)
	}
	if err != nil {
		return err
	}
	// The file alone first, so that its problems show without a database.
	if _, err := admin.ParseOrg(data, scheduler.CheckReminders); err != nil {
		return fmt.Errorf("%s: %w (nothing was changed)", name, err)
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	// Then over what is stored: a setting the file leaves out keeps its
	// value, as PUT /api/v1/org and the console's apply page do, and an
	// edit landing between that read and the apply is not undone
	// (admin.ApplyOrgOver reads and applies again).
	_, res, err := admin.ApplyOrgOver(ctx, store, data, func(core.Org) core.AuditEntry {
		return core.AuditEntry{At: time.Now(), Actor: "cli", Action: "org.applied", Subject: name}
	}, scheduler.CheckReminders)
	var fe *admin.FileError
	if errors.As(err, &fe) {
		return fmt.Errorf("%s: %w (nothing was changed)", name, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %s: %d site(s), %d schedule(s), %d calendar(s), %d employee(s), %d identity(ies), %d reminder(s)\n",
		name, res.Sites, res.Schedules, res.Calendars, res.Employees, res.Identities, res.Reminders)
	return nil
}

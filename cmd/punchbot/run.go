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

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `punchbot — punch in and out from WeCom, Feishu and Slack by sharing a location.

Usage:
  punchbot [serve]              run the server (configuration from PUNCHBOT_* variables)
  punchbot demo [-serve=false]  embedded store, sample organisation, sample punches, then serve
  punchbot migrate              apply database migrations (PostgreSQL; SQLite migrates itself)
  punchbot doctor               check this environment against the platforms, database, Redis and public URL
  punchbot apply -f org.yaml    create or update the organisation from a file
  punchbot bench broadcast      load test: a broadcast to 100,000 employees against fake platforms
  punchbot bench webhook        load test: signed platform callbacks through the whole server
  punchbot report --month 2026-11 --format csv|xlsx|json [--daily 2026-11-26] [--lang zh|en] [-o file]
                                payroll report from punches and approved make-ups (CSV: UTF-8 with BOM)
  punchbot version              print the version

See README.md for the configuration variables and the org file format.
`

// run is the whole program behind main, with its environment injected so
// tests can drive every subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	cfg, err := loadConfig(getenv)
	// doctor reports configuration errors itself, beside the checks it can
	// still run, so that one run lists everything to fix.
	if err != nil && cmd != "version" && cmd != "help" && cmd != "doctor" {
		fmt.Fprintf(stderr, "punchbot: configuration:\n%v\n", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log, stdout, nil)
	case "demo":
		err = demo(ctx, cfg, log, args, stdout)
	case "migrate":
		err = migrate(ctx, cfg, stdout)
	case "doctor":
		err = doctor(ctx, cfg, err, getenv, stdout, doctorDeps{})
	case "apply":
		err = apply(ctx, cfg, args, stdout)
	case "bench":
		err = bench(ctx, cfg, log, args, stdout)
	case "report":
		err = report(ctx, cfg, args, stdout)
	case "version":
		fmt.Fprintln(stdout, "punchbot", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "punchbot: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "punchbot %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
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

func apply(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("f", "", "organisation file (YAML); - for standard input")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v (usage: punchbot apply -f org.yaml)", err)
	}
	if *file == "" {
		return errors.New("usage: punchbot apply -f org.yaml")
	}
	var data []byte
	var err error
	if *file == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, 8<<20))
	} else {
		data, err = os.ReadFile(*file)
	}
	if err != nil {
		return err
	}
	org, err := admin.ParseOrg(data, scheduler.CheckReminders)
	if err != nil {
		return fmt.Errorf("%s: %w (nothing was changed)", *file, err)
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	res, err := store.ApplyOrg(ctx, org, core.AuditEntry{At: time.Now(), Actor: "cli", Action: "org.applied", Subject: *file})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %s: %d site(s), %d schedule(s), %d calendar(s), %d employee(s), %d identity(ies), %d reminder(s)\n",
		*file, res.Sites, res.Schedules, res.Calendars, res.Employees, res.Identities, res.Reminders)
	return nil
}

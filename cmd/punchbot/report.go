package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/punchbot/punchbot/bots/admin"
	"github.com/punchbot/punchbot/bots/console"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/scheduler"
)

// reportStore is what reports, the console and the retention job need from
// either SQL store.
type reportStore interface {
	console.Store
	core.RetentionStore
}

// report runs `punchbot report --month 2026-11 --format csv|xlsx|json
// [--daily 2026-11-26 [--to 2026-11-30]] [--lang zh|en] [-o file]`: a
// monthly report, or with --daily the daily report of one date (or, with
// --to, of every date up to that one, as the API's daily report has), computed
// from punches and approved make-ups, with headers in the organisation's
// language.
func report(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	const usage = "usage: punchbot report --month 2026-11 --format csv|xlsx|json [--daily 2026-11-26 [--to 2026-11-30]] [--lang zh|en] [-o file]"
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	zone, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return err
	}
	month := fs.String("month", time.Now().In(zone).Format(core.MonthLayout), "YYYY-MM")
	daily := fs.String("daily", "", "YYYY-MM-DD: the daily report of that date")
	until := fs.String("to", "", "YYYY-MM-DD: with --daily, the last date of a daily report over several dates")
	format := fs.String("format", admin.FormatCSV, "csv, xlsx or json")
	lang := fs.String("lang", "", "zh or en; default: the organisation's language")
	out := fs.String("o", "", "output file; default: standard output")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v (%s)", err, usage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (%s)", fs.Arg(0), usage)
	}
	f, err := admin.ParseFormat(*format, admin.FormatCSV)
	if err != nil {
		return fmt.Errorf("%s (%s)", core.ErrorMessage(err), usage)
	}
	// -o report.xlsx alone used to write CSV into a file Excel then refused
	// to open: the file's extension picks the format unless --format says
	// otherwise, and a --format that contradicts it is refused.
	if ext := outputFormat(*out); ext != "" {
		if !isSet(fs, "format") {
			f = ext
		} else if ext != f {
			return fmt.Errorf("-o %s names a .%s file but --format is %s: drop --format or make them agree", *out, ext, f)
		}
	}
	if *lang != "" && *lang != "zh" && *lang != "en" {
		return fmt.Errorf("--lang must be zh or en, not %q", *lang)
	}
	if *out == "" && f == admin.FormatXLSX && isTerminal(stdout) { // terminal.go
		return usageError{"an xlsx report is binary and standard output is a terminal: give -o report.xlsx, or redirect: punchbot report --format xlsx > report.xlsx"}
	}
	from, to, err := core.MonthRange(*month)
	if err != nil {
		return errors.New(core.ErrorMessage(err))
	}
	if *daily != "" {
		if _, err := time.Parse(core.DateLayout, *daily); err != nil {
			return fmt.Errorf("--daily %q is not a date like 2026-11-26", *daily)
		}
		if isSet(fs, "month") && (*daily < from || *daily > to) {
			return fmt.Errorf("--daily %s is not in --month %s", *daily, *month)
		}
	}
	if *until != "" {
		if *daily == "" {
			return fmt.Errorf("--to %s needs --daily, the first date of the range (%s)", *until, usage)
		}
		if _, err := time.Parse(core.DateLayout, *until); err != nil {
			return fmt.Errorf("--to %q is not a date like 2026-11-30", *until)
		}
		if _, err := core.Dates(*daily, *until); err != nil {
			return errors.New(core.ErrorMessage(err))
		}
		if isSet(fs, "month") && *until > to {
			return fmt.Errorf("--to %s is not in --month %s", *until, *month)
		}
	} else {
		*until = *daily
	}

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if *lang == "" {
		info, err := st.OrgInfo(ctx)
		if err != nil {
			return err
		}
		emps, err := st.ListEmployees(ctx)
		if err != nil {
			return err
		}
		*lang = core.ReportLang(info, emps)
	}
	kind, period := "monthly", *month
	var body []byte
	var rows int
	if *daily != "" {
		kind, period = "daily", *daily
		if *until != *daily {
			period += "_" + *until // as the API names a range
		}
		rep, err := core.BuildDailyReport(ctx, st, *daily, *until, core.ScopeAll(), time.Now())
		if err != nil {
			return err
		}
		rows = len(rep.Rows)
		body, err = admin.EncodeDaily(rep, f, *lang)
		if err != nil {
			return err
		}
	} else {
		rep, err := core.BuildMonthlyReport(ctx, st, *month, core.ScopeAll(), time.Now())
		if err != nil {
			return err
		}
		rows = len(rep.Rows)
		body, err = admin.EncodeMonthly(rep, f, *lang)
		if err != nil {
			return err
		}
	}
	// The export is audited like one from the API or the console.
	detail, _ := json.Marshal(map[string]any{"format": f, "rows": rows, "via": "cli", "file": filepath.Base(*out)})
	err = st.InTx(ctx, func(tx core.Tx) error {
		return tx.InsertAudit(ctx, core.AuditEntry{At: time.Now(), Actor: "cli", Action: "report.exported", Subject: kind + ":" + period, Detail: string(detail)})
	})
	if err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(body)
		return err
	}
	if err := writeFileAtomic(*out, body); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote the %s report %s (%d rows, %s, headers in %s) to %s\n", kind, period, rows, f, *lang, *out)
	return nil
}

// outputFormat is the report format an output file's extension names
// (.csv, .xlsx, .json, in any case), or "" for another or no extension.
func outputFormat(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return admin.FormatCSV
	case ".xlsx":
		return admin.FormatXLSX
	case ".json":
		return admin.FormatJSON
	}
	return ""
}

// isSet reports whether a flag was given on the command line.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// writeFileAtomic writes through a temporary file in the same directory, so
// a payroll system watching the directory never reads half a report.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		// The error names the temporary file, which the user never asked
		// for; name the file and the directory instead.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("cannot write %s: directory %s: %v", path, filepath.Dir(path), pe.Err)
		}
		return fmt.Errorf("cannot write %s: %v", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// newConsole wires the console at "/" and makes the core answer the admin
// and mydata chat commands with its sign-in links.
func (s *server) newConsole(zone *time.Location, now func() time.Time) error {
	c, err := console.New(console.Config{Secret: []byte(s.cfg.Secret), PublicURL: s.cfg.PublicURL, AdminToken: s.cfg.AdminToken, Zone: zone,
		RetentionDays: s.cfg.RetentionDays, RemindersAPI: "/api/v1/reminders", MapTileURL: s.cfg.MapTileURL},
		console.Deps{Store: s.store, Used: s.kv, Sessions: s.kv, Makeups: s.svc, Reminders: firingNotice{s.sched, s.senders, s.configErrs}, Problems: s.configErrs,
			CheckOrg: scheduler.CheckReminders, Now: now, Log: s.log})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	c.Register(s.mux)
	s.svc.SetLinkSigner(c)
	s.console = c
	return nil
}

// retentionInterval is how often each replica checks whether today's
// retention run is done; the store's daily claim makes all but one check a
// single insert that finds the day taken.
const retentionInterval = time.Hour

// newRetentionJob is the daily job that reduces precise positions older
// than PUNCHBOT_RETENTION_DAYS to a site and a distance band.
func newRetentionJob(st reportStore, days int, zone *time.Location, log *slog.Logger, now func() time.Time) *core.RetentionJob {
	return &core.RetentionJob{Store: st, Days: days, Zone: zone, Now: now, Log: log.With("job", "retention")}
}

// runRetention runs the retention job until ctx ends, on every replica: the
// store's daily claim lets one of them do each day's work. The returned
// channel closes when the job has stopped.
func (s *server) runRetention(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.retention.Run(ctx, retentionInterval)
	}()
	return done
}

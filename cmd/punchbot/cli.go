package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// The command line: which subcommand runs, and when the answer is a usage
// text instead. Help never loads the configuration or opens anything, so
// `punchbot serve -h` on a production host prints and exits.

// cliCommand is one subcommand as help and dispatch see it.
type cliCommand struct {
	name  string
	usage string // printed by `punchbot <name> -h` and `punchbot help <name>`
	// takesArgs is false for a command that accepts no flags or arguments,
	// so anything after its name is a usage error rather than ignored.
	takesArgs bool
	// subcommands, when set, select the usage of `punchbot <name> <sub> -h`.
	subcommands map[string]string
}

var cliCommands = []cliCommand{
	{name: "serve", usage: serveUsage},
	{name: "demo", usage: demoUsage, takesArgs: true},
	{name: "migrate", usage: migrateUsage},
	{name: "doctor", usage: doctorUsage},
	{name: "apply", usage: applyUsage, takesArgs: true},
	{name: "bench", usage: benchUsage + "\n" + benchWebhookUsage + "\n" + benchRushUsage, takesArgs: true,
		subcommands: map[string]string{"broadcast": benchUsage, "webhook": benchWebhookUsage, "rush": benchRushUsage}},
	{name: "report", usage: reportUsage, takesArgs: true},
	{name: "healthcheck", usage: healthcheckUsage, takesArgs: true},
	{name: "version", usage: versionUsage},
	{name: "help", usage: helpUsage, takesArgs: true},
}

const serveUsage = `usage: punchbot [serve]

Runs the server: the platform callbacks, the location pages, the console,
the admin API, /healthz, /readyz and /metrics on PUNCHBOT_ADDR (default
:8080), the outbox workers and, on the replica holding the leader lock, the
reminder scheduler. It takes no flags: every setting is a PUNCHBOT_*
environment variable (README, "Configuration"), and all of them are checked
before anything opens, every problem reported at once. SIGINT or SIGTERM
shut it down gracefully.
`

const demoUsage = `usage: punchbot demo [-serve=false]

Applies the sample organisation to the embedded store (PUNCHBOT_DB_PATH),
sends a few sample punches through the real pipeline, prints the replies and
then serves, with fresh location-page links on /demo.

  -serve true            keep serving after the sample punches
`

const migrateUsage = `usage: punchbot migrate

Applies the database migrations to PUNCHBOT_DATABASE_URL (PostgreSQL) under
an advisory lock, so replicas or jobs started together migrate once; serve
refuses an out-of-date PostgreSQL schema. The embedded SQLite store migrates
itself when it opens.
`

const doctorUsage = `usage: punchbot doctor

Checks this environment the way serve would use it: the PUNCHBOT_*
variables, the secret, the public URL and its /healthz, the database, Redis
and each configured platform's credentials, permissions and callback
set-up. Prints one line per check with what to fix; exits 1 when any failed.
`

const applyUsage = `usage: punchbot apply -f org.yaml

Creates or updates the organisation (sites, schedules, calendars, employees
and their chat identities, the make-up policy, reminders) from a file,
validated first: an invalid file names the line and changes nothing. What
the file leaves out keeps its stored value, also when a console edit lands
while the file is being applied (it is applied again over that edit).

  -f org.yaml            the organisation file; - reads standard input
`

const reportUsage = `usage: punchbot report --month 2026-11 --format csv|xlsx|json [--daily 2026-11-26 [--to 2026-11-30]] [--lang zh|en] [-o file]

The payroll report computed from punches and approved make-ups: monthly, or
with --daily the daily report of one date (with --to, of every date up to
that one, in the same month). CSV is UTF-8 with a BOM. The
export is audited. An xlsx report is not written to a terminal: give -o or
redirect standard output.

  --month YYYY-MM        the month (default: this month in PUNCHBOT_TIMEZONE)
  --daily YYYY-MM-DD     the daily report of that date instead
  --to YYYY-MM-DD        with --daily, the last date of a range (inclusive)
  --format csv           csv, xlsx or json (default: the -o file's extension, else csv)
  --lang zh|en           header language (default: the organisation's)
  -o file                write to file (atomically) instead of standard output
`

const versionUsage = `usage: punchbot version

Prints the version, the commit and the Go version the binary was built with.
`

const helpUsage = `usage: punchbot help [command]

Prints the usage of punchbot, or of one command.
`

// helpFlags are the spellings of help the flag package itself accepts.
var helpFlags = []string{"-h", "--h", "-help", "--help"}

// cliAction is what the command line asks for.
type cliAction int

const (
	actRun   cliAction = iota // run cmd with rest
	actHelp                   // print text to stdout, exit 0
	actUsage                  // print text to stderr, exit 2
)

// parseCommandLine splits args into the command and its arguments and
// decides whether the answer is a usage text. Only no arguments or serve
// serve; a flag before any command is help or a usage error, never a
// server started by accident.
func parseCommandLine(args []string) (cmd string, rest []string, act cliAction, text string) {
	if len(args) == 0 {
		return "serve", nil, actRun, ""
	}
	first := args[0]
	if slices.Contains(helpFlags, first) {
		return "help", nil, actHelp, usage
	}
	if strings.HasPrefix(first, "-") {
		return "", nil, actUsage, fmt.Sprintf("punchbot: unknown flag %s: the configuration is read from PUNCHBOT_* variables, and flags belong after a command\n\n%s", first, usage)
	}
	c, ok := lookupCommand(first)
	if !ok {
		return first, nil, actUsage, fmt.Sprintf("punchbot: unknown command %q\n\n%s", first, usage)
	}
	rest = args[1:]
	if c.name == "help" {
		return helpFor(rest)
	}
	if wantsHelp(rest) {
		return c.name, rest, actHelp, c.usageFor(rest)
	}
	if !c.takesArgs && len(rest) > 0 {
		return c.name, rest, actUsage, fmt.Sprintf("punchbot %s: unexpected argument %q: it takes none\n\n%s", c.name, rest[0], c.usage)
	}
	return c.name, rest, actRun, ""
}

// helpFor answers `punchbot help [command [subcommand]]`.
func helpFor(args []string) (string, []string, cliAction, string) {
	if len(args) == 0 {
		return "help", nil, actHelp, usage
	}
	if slices.Contains(helpFlags, args[0]) {
		return "help", args, actHelp, helpUsage
	}
	c, ok := lookupCommand(args[0])
	if !ok {
		return "help", args, actUsage, fmt.Sprintf("punchbot help: unknown command %q\n\n%s", args[0], usage)
	}
	return "help", args, actHelp, c.usageFor(args[1:])
}

func lookupCommand(name string) (cliCommand, bool) {
	for _, c := range cliCommands {
		if c.name == name {
			return c, true
		}
	}
	return cliCommand{}, false
}

// usageFor is the usage of the subcommand rest names, if any, else c's.
func (c cliCommand) usageFor(rest []string) string {
	if len(rest) > 0 {
		if u, ok := c.subcommands[rest[0]]; ok {
			return u
		}
	}
	return c.usage
}

// wantsHelp reports whether a help flag appears among a command's
// arguments, before a "--" that ends the flags. It is checked before the
// command's own flags are parsed, so help works whatever else is wrong.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if slices.Contains(helpFlags, a) {
			return true
		}
	}
	return false
}

// flagErrorPrefixes start the errors the flag package returns for a
// command line it cannot parse; the commands keep its text.
var flagErrorPrefixes = []string{"flag provided but not defined", "flag needs an argument", "invalid value", "invalid boolean value", "bad flag syntax"}

// isUsageError reports whether a command failed on its command line
// (exit 2, with usage) rather than at its work (exit 1).
func isUsageError(err error) bool {
	if _, ok := err.(usageError); ok {
		return true
	}
	msg := err.Error()
	for _, p := range flagErrorPrefixes {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// usageError is a command line a command refuses, such as a missing
// required flag.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// printUsageError reports a command-line error with the command's usage,
// unless the message already carries it.
func printUsageError(w io.Writer, cmd string, err error) {
	msg := strings.TrimRight(err.Error(), "\n")
	fmt.Fprintf(w, "punchbot %s: %s\n", cmd, msg)
	if c, ok := lookupCommand(cmd); ok && !strings.Contains(msg, "usage: ") {
		fmt.Fprintf(w, "\n%s", c.usage)
	}
}

// Command nusapay operates a payments database without SQL: it migrates
// the schema, lists and shows payments with their timeline, runs the
// operations of the Service (sync, refund, cancel, …), requeues a dead hook
// event, replays a stored notification, prunes old delivered events and
// finished notifications, and runs the Midtrans simulator
// standalone for a host application's manual testing.
//
//	nusapay help
//	nusapay payment list -dsn sqlite:shop.db -email a@example.com
//
// Configuration comes from flags or the environment: -dsn or NUSAPAY_DSN,
// -account or NUSAPAY_ACCOUNT, -midtrans-url or NUSAPAY_MIDTRANS_URL, and
// MIDTRANS_SERVER_KEY and MIDTRANS_ENV (environment only, so the key never
// shows in a process list or a shell history). Usage errors and missing
// configuration exit 2, failures 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line or the configuration: the
// command exits 2 and says what to set.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// command is one subcommand: its name as typed (possibly two words), a
// one-line summary, and what it does with its arguments.
type command struct {
	name    string
	args    string // shown after the name in usage
	summary string
	run     func(c *cli, args []string) error
}

// cli is one invocation: where it writes, where it reads its environment.
type cli struct {
	ctx    context.Context
	env    func(string) string
	stdout io.Writer
	stderr io.Writer
}

func commands() []command {
	cmds := []command{
		{name: "migrate", summary: "create or update the module's tables (store.Migrate)", run: (*cli).migrate},
		{name: "payment show", args: "ORDER_ID", summary: "a payment and its timeline: audit, notifications, refunds, hook events", run: (*cli).paymentShow},
		{name: "payment list", summary: "payments matching filters, newest first, and the next page's cursor", run: (*cli).paymentList},
	}
	cmds = append(cmds, operationCommands()...)
	return append(cmds,
		command{name: "events requeue", args: "EVENT_ID", summary: "put a dead hook event back to be delivered", run: (*cli).eventsRequeue},
		command{name: "prune", summary: "delete delivered hook events and finished notifications older than an age (audit rows stay)", run: (*cli).prune},
		command{name: "notifications replay", args: "NOTIFICATION_ID", summary: "apply a stored notification again (confirmed with Midtrans by default)", run: (*cli).notificationsReplay},
		command{name: "simulate", summary: "run the Midtrans simulator on a port until interrupted", run: (*cli).simulate},
	)
}

// run is the whole command, callable in-process: it returns the exit code.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, env: env, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		c.usage(stderr)
		return 2
	}
	if a := args[0]; a == "help" || a == "-h" || a == "-help" || a == "--help" {
		if len(args) > 1 {
			if cmd, _, ok := lookup(args[1:]); ok {
				return c.exit(cmd.run(c, []string{"-h"}))
			}
		}
		c.usage(stdout)
		return 0
	}
	cmd, rest, ok := lookup(args)
	if !ok {
		fmt.Fprintf(stderr, "nusapay: unknown command %q\n\n", strings.Join(args[:min(2, len(args))], " "))
		c.usage(stderr)
		return 2
	}
	return c.exit(cmd.run(c, rest))
}

// lookup finds the command args start with: a two-word name first.
func lookup(args []string) (command, []string, bool) {
	for _, n := range []int{2, 1} {
		if len(args) < n {
			continue
		}
		name := strings.Join(args[:n], " ")
		for _, cmd := range commands() {
			if cmd.name == name {
				return cmd, args[n:], true
			}
		}
	}
	return command{}, nil, false
}

func (c *cli) exit(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(c.stderr, "nusapay:", err)
		return 2
	default:
		fmt.Fprintln(c.stderr, "nusapay:", err)
		return 1
	}
}

func (c *cli) usage(w io.Writer) {
	fmt.Fprint(w, `nusapay operates a payments database: nusapay COMMAND [flags] [args]

Commands:
`)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-40s %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	}
	fmt.Fprint(w, `  help [COMMAND]                           this text, or a command's flags

Configuration (flags win over the environment):
  -dsn, NUSAPAY_DSN              the database:
                                   postgres://… or postgresql://…     PostgreSQL
                                   mysql://USER:PASS@tcp(HOST:PORT)/DB  MySQL or MariaDB
                                   sqlite:PATH, or a PATH ending .db, .sqlite or .sqlite3
  -account, NUSAPAY_ACCOUNT      the merchant account (default "default")
  -actor, NUSAPAY_ACTOR          who is acting, recorded with every action
                                 (default "cli:" and $USER)
  -midtrans-url, NUSAPAY_MIDTRANS_URL
                                 Midtrans' base URL, e.g. a simulator's
  MIDTRANS_SERVER_KEY            the server key (environment only); needed by the
                                 commands that call Midtrans
  MIDTRANS_ENV                   sandbox (default) or production

Exit status: 0 done, 1 failed, 2 usage error or missing configuration.
`)
}

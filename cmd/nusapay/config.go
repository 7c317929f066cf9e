package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/store"
)

// config is what the commands share: the database, the account, Midtrans.
type config struct {
	dsn, account, midtransURL, actor string
}

// newFlags returns a command's flag set; with db it carries -dsn and
// -account, with mid also -midtrans-url.
func (c *cli) newFlags(cmd command, cfg *config, db, mid bool) *flag.FlagSet {
	fs := flag.NewFlagSet("nusapay "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	if db {
		fs.StringVar(&cfg.dsn, "dsn", "", "the database (default $NUSAPAY_DSN): postgres://…, mysql://…, sqlite:PATH or PATH.db")
		fs.StringVar(&cfg.account, "account", "", `the merchant account (default $NUSAPAY_ACCOUNT, else "default")`)
		fs.StringVar(&cfg.actor, "actor", "", `who is acting, recorded with every action (default $NUSAPAY_ACTOR, else "cli:$USER")`)
	}
	if mid {
		fs.StringVar(&cfg.midtransURL, "midtrans-url", "", "Midtrans' base URL, e.g. a simulator's (default $NUSAPAY_MIDTRANS_URL)")
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: nusapay %s [flags] %s\n  %s\n\nFlags:\n", cmd.name, cmd.args, cmd.summary)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args with flags allowed before and after the positional
// arguments (flag stops at the first one), and checks their number.
func (c *cli) parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				fs.SetOutput(c.stdout)
				fs.Usage()
				return nil, err
			}
			return nil, usagef("%s", err) // flag has printed the usage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != want {
		fs.Usage()
		if want == 0 {
			return nil, usagef("%s takes no arguments, got %q", strings.TrimPrefix(fs.Name(), "nusapay "), pos)
		}
		return nil, usagef("%s wants %d argument(s), got %d", strings.TrimPrefix(fs.Name(), "nusapay "), want, len(pos))
	}
	return pos, nil
}

// openDB opens the database -dsn or NUSAPAY_DSN names. The scheme rule:
// postgres:// or postgresql:// is PostgreSQL; mysql:// is MySQL or MariaDB
// with the rest a go-sql-driver DSN (user:pass@tcp(host:port)/db);
// sqlite:PATH, or a bare path ending .db, .sqlite or .sqlite3, is SQLite.
// Anything else is refused; the error never repeats the DSN, which may
// hold a password.
func (c *cli) openDB(cfg *config) (*bun.DB, error) {
	dsn := cfg.dsn
	if dsn == "" {
		dsn = c.env("NUSAPAY_DSN")
	}
	switch {
	case dsn == "":
		return nil, usagef("no database: set -dsn or NUSAPAY_DSN")
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return store.OpenPostgres(dsn)
	case strings.HasPrefix(dsn, "mysql://"):
		return store.OpenMySQL(strings.TrimPrefix(dsn, "mysql://"))
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, usagef("-dsn/NUSAPAY_DSN: sqlite: needs a file path (sqlite:PATH)")
		}
		return store.OpenSQLite(path)
	case !strings.Contains(dsn, "://") && hasSQLiteSuffix(dsn):
		return store.OpenSQLite(dsn)
	}
	return nil, usagef("-dsn/NUSAPAY_DSN: unrecognised database: want postgres://…, mysql://USER:PASS@tcp(HOST:PORT)/DB, sqlite:PATH or a PATH ending .db")
}

func hasSQLiteSuffix(path string) bool {
	for _, s := range []string{".db", ".sqlite", ".sqlite3"} {
		if strings.HasSuffix(path, s) {
			return true
		}
	}
	return false
}

// placeholderKey stands in for the server key in commands that only read
// and write the database: the Service needs a client, which they never
// call.
const placeholderKey = "nusapay-cmd-no-midtrans-calls"

// service opens the database and builds a Service on it with the built-in
// methods and opts. needMidtrans: the command calls Midtrans, so the server
// key is required. The caller closes the returned database.
func (c *cli) service(cfg *config, needMidtrans bool, opts ...payments.Option) (*payments.Service, *bun.DB, error) {
	key := c.env("MIDTRANS_SERVER_KEY")
	if key == "" {
		if needMidtrans {
			return nil, nil, usagef("no Midtrans server key: set MIDTRANS_SERVER_KEY")
		}
		key = placeholderKey
	}
	env := midtrans.Environment(c.env("MIDTRANS_ENV"))
	if env != "" && env != midtrans.Sandbox && env != midtrans.Production {
		return nil, nil, usagef("MIDTRANS_ENV must be sandbox or production, got %q", string(env))
	}
	base := cfg.midtransURL
	if base == "" {
		base = c.env("NUSAPAY_MIDTRANS_URL")
	}
	client, err := midtrans.New(midtrans.Config{ServerKey: key, Environment: env, BaseURL: base})
	if err != nil {
		return nil, nil, usagef("-midtrans-url or MIDTRANS_*: %v", err)
	}
	account := cfg.account
	if account == "" {
		account = c.env("NUSAPAY_ACCOUNT")
	}
	if account == "" {
		account = payments.DefaultAccount
	}
	db, err := c.openDB(cfg)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.New(db)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	svc, err := payments.New(client, st, append([]payments.Option{payments.WithMethods(methods.Default()...),
		payments.WithAccount(account)}, opts...)...)
	if err != nil {
		db.Close()
		return nil, nil, usagef("-account/NUSAPAY_ACCOUNT: %v", err)
	}
	// Every action the command takes is recorded with who took it.
	c.ctx = payments.WithActor(c.ctx, c.actor(cfg))
	return svc, db, nil
}

// actor is who runs the command: -actor, else $NUSAPAY_ACTOR, else
// "cli:" and the login name.
func (c *cli) actor(cfg *config) string {
	if cfg.actor != "" {
		return cfg.actor
	}
	if a := c.env("NUSAPAY_ACTOR"); a != "" {
		return a
	}
	if u := c.env("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

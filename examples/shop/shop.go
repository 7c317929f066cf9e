package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/adapters/nethttp"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
	"github.com/nusapay/payments/store"
)

// assets are the page templates and the static files, served by the shop
// itself: no CDN or web font, so the page works offline.
//
//go:embed templates static
var assets embed.FS // read-only

// Config configures a Shop.
type Config struct {
	// BaseURL is the shop's own URL as browsers (and the simulator) reach
	// it, e.g. "http://127.0.0.1:8080". Required: the simulator posts its
	// notifications there, and e-wallets send the customer back to it.
	BaseURL string
	// DBPath is the SQLite database file (default "shop.db"). The module's
	// tables and the shop's live in it side by side.
	DBPath string
	// ServerKey and ClientKey are the merchant's Midtrans keys. Without a
	// ServerKey the shop runs on the in-process simulator (midtranstest).
	ServerKey string
	ClientKey string
	// Environment is midtrans.Sandbox (default) or midtrans.Production.
	Environment midtrans.Environment
	// MidtransURL overrides the Midtrans API host used with real keys, e.g.
	// a proxy, or a simulator run elsewhere in tests; empty means the
	// Environment's own host.
	MidtransURL string
	// SyncEvery is how often, at most, the order page asks Midtrans for the
	// status of a pending payment when real keys are set (default 5 s):
	// Midtrans cannot reach a webhook on localhost. Negative turns it off.
	SyncEvery time.Duration
	// Logger receives the shop's and the module's logs (default: discard).
	Logger *slog.Logger
	// StaffPassword is the password of the user "staff" (StaffUser) for
	// the ops console at /payments/console and the operation routes;
	// empty means a random one (Shop.StaffPassword, printed on start).
	StaffPassword string
	// Telemetry, when set, receives the shop's traces and metrics as JSON
	// (the -telemetry flag sets it to stdout): the shop installs the
	// OpenTelemetry SDK with stdout exporters and hands its providers to
	// the Service, the Midtrans client and the store's query hook. Nil
	// leaves the module on the global providers, which do nothing unless
	// a host sets them.
	Telemetry io.Writer
}

func (c *Config) setDefaults() {
	if c.DBPath == "" {
		c.DBPath = "shop.db"
	}
	if c.Environment == "" {
		c.Environment = midtrans.Sandbox
	}
	if c.SyncEvery == 0 {
		c.SyncEvery = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.StaffPassword == "" {
		c.StaffPassword = newStaffPassword()
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
}

// Validate reports what is missing or malformed.
func (c *Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("BaseURL %q must be an absolute http(s) URL", c.BaseURL))
	}
	if c.ServerKey != "" && c.ClientKey == "" {
		errs = append(errs, errors.New("MIDTRANS_CLIENT_KEY is required with MIDTRANS_SERVER_KEY: the browser tokenises cards with it"))
	}
	if c.Environment != midtrans.Sandbox && c.Environment != midtrans.Production {
		errs = append(errs, fmt.Errorf("environment %q must be sandbox or production", c.Environment))
	}
	return errors.Join(errs...)
}

// webhookPath is where the module's notification route is mounted.
const (
	prefix      = "/payments"
	webhookPath = prefix + "/notifications"
)

// Shop is the demo shop: its pages, its order book and one payments
// Service, wired the way an integrator would wire them.
type Shop struct {
	cfg     Config
	log     *slog.Logger
	db      *bun.DB
	svc     *payments.Service
	sim     *midtranstest.Server // nil with real keys
	orders  *orders
	pages   *template.Template
	methods []methodInfo
	locales map[string]*locale
	threeDS threeDS
	snapJS  snapJS
	csp     string
	handler http.Handler
	// tel is the SDK installed for Config.Telemetry (nil without); tp and
	// mp are its providers, or nil for the global ones.
	tel *telemetry
	tp  trace.TracerProvider
	mp  metric.MeterProvider

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

// threeDS is how the page loads Midtrans' card library.
type threeDS struct {
	ScriptURL   string
	Environment string
	ClientKey   string
}

// snapJS is how the page loads Midtrans' snap.js (real keys only).
type snapJS struct {
	ScriptURL string
	ClientKey string
}

// New opens the database, migrates it, connects to Midtrans (or starts the
// simulator), and starts the Service's delivery and reconciler workers. ctx
// bounds the setup only; the workers run until Close.
func New(ctx context.Context, cfg Config) (_ *Shop, err error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Shop{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
	defer func() {
		if err != nil {
			s.closeResources()
		}
	}()

	if cfg.Telemetry != nil {
		if s.tel, err = newTelemetry(cfg.Telemetry); err != nil {
			return nil, err
		}
		s.tp, s.mp = s.tel.tp, s.tel.mp
	}
	if s.db, err = store.OpenSQLite(cfg.DBPath); err != nil {
		return nil, err
	}
	if s.tel != nil {
		// A span per query, without its text or arguments.
		s.db = s.db.WithQueryHook(store.QueryHook(s.tp))
	}
	if err := store.Migrate(ctx, s.db); err != nil {
		return nil, err
	}
	st, err := store.New(s.db)
	if err != nil {
		return nil, err
	}

	client, err := s.midtransClient()
	if err != nil {
		return nil, err
	}
	s.svc, err = payments.New(client, st, payments.WithMethods(methods.Default()...), payments.WithLogger(s.log),
		payments.WithTracerProvider(s.tp), payments.WithMeterProvider(s.mp))
	if err != nil {
		return nil, err
	}

	s.orders = &orders{db: s.db, svc: s.svc, log: s.log, now: time.Now, baseURL: cfg.BaseURL}
	if err := s.orders.migrate(ctx); err != nil {
		return nil, err
	}
	// Receivers are connected before Run delivers anything.
	s.svc.Connect(payments.SignalPaid, s.orders.fulfil)
	s.svc.Connect(payments.SignalReversed, s.orders.reverse)

	api, err := adapters.New(s.svc, adapters.WithOrderSource(s.orders), adapters.WithPrefix(prefix),
		adapters.WithAuthorizer(s.authorizeStaff), adapters.WithConsole(), adapters.WithLogger(s.log))
	if err != nil {
		return nil, err
	}
	if s.pages, err = template.New("").Funcs(templateFuncs()).ParseFS(assets, "templates/*.html"); err != nil {
		return nil, err
	}
	s.methods = methodChoices(s.svc.Methods())
	s.locales = locales()
	s.csp = s.contentSecurityPolicy()

	mux := http.NewServeMux()
	nethttp.Mount(mux, api)
	s.routes(mux)
	s.handler = s.secure(challenge(http.NewCrossOriginProtection().Handler(mux)))

	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	go func() {
		defer close(s.done)
		_ = s.svc.Run(runCtx)
	}()
	return s, nil
}

// midtransClient returns a client for the real Midtrans, or starts the
// simulator and returns one for it.
func (s *Shop) midtransClient() (*midtrans.Client, error) {
	if s.cfg.ServerKey != "" {
		s.threeDS = threeDS{ScriptURL: "https://api.midtrans.com/v2/assets/js/midtrans-new-3ds.min.js",
			Environment: string(s.cfg.Environment), ClientKey: s.cfg.ClientKey}
		s.snapJS = snapJS{ScriptURL: snapOrigin(s.cfg.Environment) + "/snap/snap.js", ClientKey: s.cfg.ClientKey}
		return midtrans.New(midtrans.Config{ServerKey: s.cfg.ServerKey, ClientKey: s.cfg.ClientKey,
			Environment: s.cfg.Environment, BaseURL: s.cfg.MidtransURL, Logger: s.log, MeterProvider: s.mp})
	}
	s.sim = midtranstest.NewServer(midtranstest.Config{NotificationURL: s.cfg.BaseURL + webhookPath})
	// The same 3DS code runs against the simulator's stand-in library,
	// which tokenises with simulated tokens.
	s.threeDS = threeDS{ScriptURL: s.sim.URL() + "/v2/assets/js/midtrans-new-3ds.min.js",
		Environment: string(midtrans.Sandbox), ClientKey: s.sim.ClientKey()}
	return midtrans.New(midtrans.Config{ServerKey: s.sim.ServerKey(), ClientKey: s.sim.ClientKey(),
		BaseURL: s.sim.URL(), Logger: s.log, MeterProvider: s.mp})
}

// snapOrigin is where snap.js and the Snap page live for env.
func snapOrigin(env midtrans.Environment) string {
	if env == midtrans.Production {
		return "https://app.midtrans.com"
	}
	return "https://app.sandbox.midtrans.com"
}

// contentSecurityPolicy allows the shop's own files plus what Midtrans'
// card flow needs: its library, its token endpoint and its 3DS pages;
// with real keys also snap.js and what it calls, from the environment's
// Snap origin only. With the simulator the Snap page is a plain
// navigation, which the policy does not restrict.
func (s *Shop) contentSecurityPolicy() string {
	var script, connect, frame, img string
	if s.sim != nil {
		o := s.sim.URL()
		script, connect, frame, img = o, o, o, o
	} else {
		// The 3DS page may hand over to the issuing bank's pages, so
		// frames may come from any https origin.
		hosts := "https://api.midtrans.com https://api.sandbox.midtrans.com"
		snap := snapOrigin(s.cfg.Environment)
		script, connect, frame, img = hosts+" "+snap, hosts+" "+snap, "https:", "https:"
	}
	return "default-src 'self'; script-src 'self' " + script + "; connect-src 'self' " + connect +
		"; frame-src " + frame + "; img-src 'self' data: " + img +
		"; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}

// secure adds the headers every answer carries.
func (s *Shop) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr.Set("Content-Security-Policy", s.csp)
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// Handler serves the shop and the module's routes under /payments.
func (s *Shop) Handler() http.Handler { return s.handler }

// Service is the shop's payments Service.
func (s *Shop) Service() *payments.Service { return s.svc }

// DBPath is the absolute path of the shop's SQLite database.
func (s *Shop) DBPath() string {
	if abs, err := filepath.Abs(s.cfg.DBPath); err == nil {
		return abs
	}
	return s.cfg.DBPath
}

// ConsoleURL is the ops console's URL.
func (s *Shop) ConsoleURL() string { return s.cfg.BaseURL + consolePath }

// StaffPassword is the console's password for StaffUser.
func (s *Shop) StaffPassword() string { return s.cfg.StaffPassword }

// Simulator is the Midtrans simulator, or nil with real keys.
func (s *Shop) Simulator() *midtranstest.Server { return s.sim }

// Close stops the workers, prints the last of the telemetry, and stops the
// simulator and the database. Stop the HTTP server first, so no request
// finds them gone.
func (s *Shop) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.stop()
			<-s.done
		}
		err = s.closeResources()
	})
	return err
}

func (s *Shop) closeResources() error {
	var errs []error
	if s.tel != nil {
		errs = append(errs, s.tel.shutdown())
	}
	if s.sim != nil {
		s.sim.Close()
	}
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	return errors.Join(errs...)
}

func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"rupiah": rupiah,
		// methodsArgs passes the method list and the preselected method to
		// the shared "methods" template.
		"methodsArgs": func(l *locale, groups []methodGroup, selected string) any {
			return struct {
				L        *locale
				Groups   []methodGroup
				Selected string
			}{l, groups, selected}
		},
		"digits": digitGroups,
		"upper":  strings.ToUpper,
		"plain":  func(a payments.Amount) int64 { return int64(a) },
	}
}

// rupiah formats an amount the Indonesian way: "Rp 245.000".
func rupiah(a any) string {
	var n int64
	switch v := a.(type) {
	case int64:
		n = v
	case payments.Amount:
		n = int64(v)
	case int:
		n = int64(v)
	}
	neg := n < 0
	if neg {
		n = -n
	}
	digits := fmt.Sprint(n)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(d)
	}
	if neg {
		return "-Rp " + b.String()
	}
	return "Rp " + b.String()
}

// digitGroups splits a VA number, bill key or payment code into groups of
// four, which the page sets apart with space that is not a character: the
// number stays easy to read, never wraps mid-group, and copies whole.
func digitGroups(s string) []string {
	var out []string
	for len(s) > 4 {
		out = append(out, s[:4])
		s = s[4:]
	}
	return append(out, s)
}

// static is the embedded static directory.
func static() fs.FS {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

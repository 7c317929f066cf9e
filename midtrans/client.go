package midtrans

import (
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.opentelemetry.io/otel/metric"
)

// Environment selects the Midtrans hosts and which keys are valid.
type Environment string

// The two Midtrans environments. Sandbox and production have different keys.
const (
	Sandbox    Environment = "sandbox"
	Production Environment = "production"
)

// Hosts of the two environments. Core API paths do not exist
// on the Snap host and the other way round, so the two are kept apart.
const (
	sandboxCoreURL    = "https://api.sandbox.midtrans.com"
	sandboxSnapURL    = "https://app.sandbox.midtrans.com"
	productionCoreURL = "https://api.midtrans.com"
	productionSnapURL = "https://app.midtrans.com"

	snapCreatePath = "/snap/v1/transactions"
)

// Defaults applied by New for zero Config fields.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRetries   = 2
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 5 * time.Second
	DefaultUserAgent    = "nusapay-payments-go"

	// maxResponseBytes caps how much of a response body is read. Real
	// Midtrans answers are a few KiB; anything near this is not Midtrans.
	maxResponseBytes = 4 << 20
)

// redacted replaces a secret wherever it could be printed.
const redacted = "[REDACTED]"

// Config configures a Client. The zero value of every field except
// ServerKey is a sensible default. New copies the Config; changing it
// afterwards has no effect on the Client.
//
// Config redacts ServerKey when printed with any fmt verb, logged with
// log/slog or encoded as JSON, so a Config can be logged safely.
type Config struct {
	// ServerKey is the merchant's secret server key (SB-Mid-server-… in
	// sandbox). Required; it must not contain whitespace.
	ServerKey string
	// ClientKey is the public client key, only carried for front-end use
	// (snap.js, card tokenization). Optional; no whitespace when set.
	ClientKey string
	// Environment is Sandbox (default) or Production.
	Environment Environment
	// BaseURL overrides the Core API host, e.g. with a simulator's URL. It
	// must be an absolute http(s) URL without user info, query or fragment;
	// a trailing slash is trimmed.
	BaseURL string
	// SnapBaseURL overrides the Snap host. When empty and BaseURL is set,
	// Snap calls go to BaseURL too (a simulator serves both).
	SnapBaseURL string
	// HTTPClient sends the requests. Default: a new client that does not
	// follow redirects (a redirected POST would silently become a GET),
	// with a transport of its own that keeps up to 100 idle connections
	// per host, so concurrent calls reuse their connections (the standard
	// transport keeps 2 and opens a new one for every call beyond them).
	HTTPClient *http.Client
	// Timeout bounds each attempt, including reading the body. Default 30s.
	Timeout time.Duration
	// MaxRetries is the number of retries after the first attempt, for
	// calls that may be retried (see the package doc). 0 means the default
	// (2); a negative value disables retries.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the backoff between attempts.
	// Defaults 500ms and 5s.
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// Logger receives one Debug record per attempt and one Warn record per
	// retry. It never receives keys or the Authorization header. Default:
	// discard.
	Logger *slog.Logger
	// UserAgent is sent as the User-Agent header. Default
	// "nusapay-payments-go".
	UserAgent string
	// MeterProvider records the request duration histogram
	// (midtrans.request.duration) and the retry counter (midtrans.retries),
	// by operation, HTTP status class and retry reason only. Default (and
	// nil): the global one, otel.GetMeterProvider(). Only the OpenTelemetry
	// API is used.
	MeterProvider metric.MeterProvider

	// Headers are sent on every call, e.g. X-Payment-Locale or a header
	// Midtrans asked the merchant to send (X-POP-ID). A per-call WithHeader
	// of the same name wins. One value per name. Refused (ErrInvalidConfig):
	// the headers WithHeader refuses, and Content-Type, Accept and
	// User-Agent, which the client controls (see UserAgent).
	Headers http.Header
	// OverrideNotificationURLs and AppendNotificationURLs are the defaults
	// of WithOverrideNotification and WithAppendNotification (1 to 3
	// absolute http(s) URLs each), sent on the calls that create a
	// transaction (Charge, CreateSnapTransaction). A call that passes
	// either option itself gets none of these defaults, since Midtrans
	// ignores Append whenever Override is present.
	OverrideNotificationURLs []string
	AppendNotificationURLs   []string
}

// String describes the Config with the server key redacted.
func (c Config) String() string {
	return fmt.Sprintf("midtrans.Config{Environment: %q, ServerKey: %s, ClientKey: %q, BaseURL: %q, SnapBaseURL: %q, Timeout: %s, MaxRetries: %d}",
		c.Environment, redactIfSet(c.ServerKey), c.ClientKey, c.BaseURL, c.SnapBaseURL, c.Timeout, c.MaxRetries)
}

// GoString is used by %#v; it redacts the server key like String.
func (c Config) GoString() string { return c.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %d, %x …) print the
// redacted form; without it verbs such as %x would print the fields raw.
func (c Config) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String()) }

// LogValue logs the Config with the server key redacted.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("environment", string(c.Environment)),
		slog.String("server_key", redactIfSet(c.ServerKey)),
		slog.String("client_key", c.ClientKey),
		slog.String("base_url", c.BaseURL),
		slog.String("snap_base_url", c.SnapBaseURL),
	)
}

// MarshalJSON encodes the Config with the server key redacted, so dumping
// a configuration struct that embeds it cannot leak the key.
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Environment Environment `json:"environment,omitempty"`
		ServerKey   string      `json:"server_key,omitempty"`
		ClientKey   string      `json:"client_key,omitempty"`
		BaseURL     string      `json:"base_url,omitempty"`
		SnapBaseURL string      `json:"snap_base_url,omitempty"`
		Timeout     string      `json:"timeout,omitempty"`
		MaxRetries  int         `json:"max_retries,omitempty"`
		UserAgent   string      `json:"user_agent,omitempty"`
	}{c.Environment, redactIfSet(c.ServerKey), c.ClientKey, c.BaseURL, c.SnapBaseURL, c.Timeout.String(), c.MaxRetries, c.UserAgent})
}

func redactIfSet(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

func formatRedacted(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s)
		return
	}
	io.WriteString(f, s)
}

// secret holds a key. Every way the standard library prints or encodes a
// value goes through one of its methods, and all of them redact; reveal is
// the only way to read it.
type secret string

func (secret) String() string                { return redacted }
func (secret) GoString() string              { return `"` + redacted + `"` }
func (secret) Format(f fmt.State, verb rune) { formatRedacted(f, verb, redacted) }
func (secret) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (secret) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (secret) MarshalText() ([]byte, error)  { return []byte(redacted), nil }
func (s secret) reveal() string              { return string(s) }

// credentials are the server key and the Authorization header made from it.
type credentials struct {
	auth      secret // "Basic " + base64(serverKey + ":")
	serverKey secret // for notification signatures
	// header is what every request starts with: Accept, Content-Type,
	// User-Agent and the server key's Authorization. Cloning it costs one
	// map and one slice instead of a slice per header. It holds the key,
	// so it lives here, behind the pointer, with the key.
	header http.Header
}

// Client calls the Midtrans Core API and Snap. It is safe for concurrent
// use; per-call settings travel in CallOptions, never on the Client.
type Client struct {
	env       Environment
	clientKey string
	// creds sits behind a pointer: fmt prints an unexported field's raw
	// value without calling its methods, but prints a nested pointer as an
	// address, so even a copied Client value cannot show a key.
	creds   *credentials
	coreURL string
	snapURL string
	http    *http.Client
	timeout time.Duration
	retries int
	waitMin time.Duration
	waitMax time.Duration
	log     *slog.Logger
	inst    *instruments
	// defaults are Config.Headers and the notification URLs, checked once.
	defaults callOptions

	// The jitter source belongs to the Client (no global random state);
	// *rand.Rand is not safe for concurrent use, hence the mutex.
	rngMu sync.Mutex
	rng   *rand.Rand
}

// New validates cfg, applies defaults and returns a Client. Errors wrap
// ErrInvalidConfig and name the offending field; they never contain a key.
func New(cfg Config) (*Client, error) {
	if err := checkKey("ServerKey", cfg.ServerKey, true); err != nil {
		return nil, err
	}
	if err := checkKey("ClientKey", cfg.ClientKey, false); err != nil {
		return nil, err
	}
	env := cfg.Environment
	if env == "" {
		env = Sandbox
	}
	var coreURL, snapURL string
	switch env {
	case Sandbox:
		coreURL, snapURL = sandboxCoreURL, sandboxSnapURL
	case Production:
		coreURL, snapURL = productionCoreURL, productionSnapURL
	default:
		return nil, configError("Environment", fmt.Sprintf("must be %q or %q, got %q", Sandbox, Production, cfg.Environment))
	}
	if cfg.BaseURL != "" {
		u, err := checkBaseURL("BaseURL", cfg.BaseURL)
		if err != nil {
			return nil, err
		}
		coreURL, snapURL = u, u
	}
	if cfg.SnapBaseURL != "" {
		u, err := checkBaseURL("SnapBaseURL", cfg.SnapBaseURL)
		if err != nil {
			return nil, err
		}
		snapURL = u
	}

	timeout := cfg.Timeout
	switch {
	case timeout < 0:
		return nil, configError("Timeout", "must not be negative")
	case timeout == 0:
		timeout = DefaultTimeout
	}
	retries := cfg.MaxRetries
	switch {
	case retries == 0:
		retries = DefaultMaxRetries
	case retries < 0:
		retries = 0
	}
	if cfg.RetryWaitMin < 0 {
		return nil, configError("RetryWaitMin", "must not be negative")
	}
	if cfg.RetryWaitMax < 0 {
		return nil, configError("RetryWaitMax", "must not be negative")
	}
	waitMin, waitMax := cfg.RetryWaitMin, cfg.RetryWaitMax
	if waitMax == 0 {
		waitMax = max(DefaultRetryWaitMax, waitMin)
	}
	if waitMin == 0 {
		waitMin = min(DefaultRetryWaitMin, waitMax)
	}
	if waitMin > waitMax {
		return nil, configError("RetryWaitMin", "must not exceed RetryWaitMax")
	}

	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Transport:     defaultTransport(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	if strings.ContainsAny(ua, "\r\n\x00") {
		return nil, configError("UserAgent", "must not contain line breaks")
	}

	defaults, err := configDefaults(cfg)
	if err != nil {
		return nil, err
	}

	var seed [32]byte
	crand.Read(seed[:]) // never fails (crypto/rand panics instead on a broken system)

	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.ServerKey+":"))
	return &Client{
		env:       env,
		clientKey: cfg.ClientKey,
		creds: &credentials{
			auth:      secret(auth),
			serverKey: secret(cfg.ServerKey),
			header: http.Header{
				"Accept":        {"application/json"},
				"Content-Type":  {"application/json"},
				"User-Agent":    {ua},
				"Authorization": {auth},
			},
		},
		coreURL:  coreURL,
		snapURL:  snapURL,
		http:     hc,
		timeout:  timeout,
		retries:  retries,
		waitMin:  waitMin,
		waitMax:  waitMax,
		log:      logger,
		inst:     newInstruments(cfg.MeterProvider),
		defaults: defaults,
		rng:      rand.New(rand.NewChaCha8(seed)),
	}, nil
}

// defaultTransport is the standard transport's settings with as many idle
// connections per host as in all: a Client talks to two hosts, and with the
// standard 2 per host every concurrent call beyond two would dial (and
// shake hands) afresh and close its connection after. nil, meaning the
// standard transport, when the program replaced http.DefaultTransport with
// a RoundTripper that cannot be cloned.
func defaultTransport() http.RoundTripper {
	std, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return nil
	}
	t := std.Clone()
	t.MaxIdleConnsPerHost = max(t.MaxIdleConns, 100)
	return t
}

func configError(field, msg string) error {
	return fmt.Errorf("%w: Config.%s %s", ErrInvalidConfig, field, msg)
}

// checkKey refuses keys that cannot be right. The value is never put in
// the error: a key with a stray newline is still a key.
func checkKey(field, key string, required bool) error {
	if key == "" {
		if required {
			return configError(field, "is required")
		}
		return nil
	}
	for _, r := range key {
		if unicode.IsSpace(r) {
			return configError(field, "must not contain whitespace")
		}
		if unicode.IsControl(r) {
			return configError(field, "must not contain control characters")
		}
	}
	return nil
}

func checkBaseURL(field, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", configError(field, "is not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", configError(field, "must be an absolute http or https URL")
	case u.Host == "":
		return "", configError(field, "must have a host")
	case u.User != nil:
		// Credentials in a URL end up in error messages and logs.
		return "", configError(field, "must not contain user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", configError(field, "must not contain a query or fragment")
	}
	return strings.TrimRight(raw, "/"), nil
}

// Environment reports the configured environment.
func (c *Client) Environment() Environment { return c.env }

// ClientKey returns the public client key, for handing to front-end code.
func (c *Client) ClientKey() string { return c.clientKey }

// CoreBaseURL returns the Core API base URL in use, without trailing slash.
func (c *Client) CoreBaseURL() string { return c.coreURL }

// SnapBaseURL returns the Snap base URL in use, without trailing slash.
func (c *Client) SnapBaseURL() string { return c.snapURL }

// String describes the Client without its key.
func (c *Client) String() string {
	return fmt.Sprintf("midtrans.Client{Environment: %q, ServerKey: %s, CoreBaseURL: %q, SnapBaseURL: %q}",
		c.env, redacted, c.coreURL, c.snapURL)
}

// GoString is used by %#v; it redacts like String.
func (c *Client) GoString() string { return c.String() }

// Format makes every fmt verb print the redacted form.
func (c *Client) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String()) }

// LogValue logs the Client without its key.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("environment", string(c.env)),
		slog.String("server_key", redacted),
		slog.String("core_base_url", c.coreURL),
		slog.String("snap_base_url", c.snapURL),
	)
}

// jitter returns a uniformly random duration in [lo, hi].
func (c *Client) jitter(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	c.rngMu.Lock()
	defer c.rngMu.Unlock()
	return lo + time.Duration(c.rng.Int64N(int64(hi-lo)+1))
}

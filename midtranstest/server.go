package midtranstest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Sentinel errors returned by the test controls (Pay, Settle, Refund, …).
var (
	// ErrUnknownTransaction: no transaction (or Snap order) has that order_id or transaction_id.
	ErrUnknownTransaction = errors.New("midtranstest: unknown transaction")
	// ErrInvalidState: the change is not allowed from the transaction's current status.
	// The wrapping error names the from and to statuses.
	ErrInvalidState = errors.New("midtranstest: invalid state transition")
	// ErrInvalidAmount: a refund or chargeback amount is not positive or exceeds what remains.
	ErrInvalidAmount = errors.New("midtranstest: invalid amount")
)

const timeLayout = "2006-01-02 15:04:05"

// Config configures a simulated Midtrans merchant account. The zero value is usable.
type Config struct {
	ServerKey  string // default "SB-Mid-server-simulator"
	ClientKey  string // default "SB-Mid-client-simulator"
	MerchantID string // default "G000000001"

	// NotificationURL is the dashboard's Payment Notification URL. Empty means none:
	// only the per-transaction X-Override-Notification / X-Append-Notification URLs
	// receive notifications. When the receiving server starts after the simulator,
	// leave it empty and call SetNotificationURL once that server listens.
	NotificationURL string

	// RetryDelays is the notification retry schedule (delay before retry 1, 2, …).
	// nil means Midtrans' 2m, 10m, 30m, 90m, 210m divided by 10,000. Each delay gets
	// a uniform jitter of up to 10%. Its length also caps the number of retries
	// (Midtrans never retries more than 5 times).
	RetryDelays []time.Duration

	// NotificationTimeout bounds one delivery attempt (Midtrans waits up to 15 s).
	NotificationTimeout time.Duration

	// IdempotencyWindow is how long an Idempotency-Key answer is remembered (Midtrans: 5 minutes).
	IdempotencyWindow time.Duration

	// Now is the clock (transaction times, expiry, idempotency window). Default time.Now.
	Now func() time.Time

	// HTTPClient posts notifications. Default: a fresh client with its own transport,
	// whose idle connections Close releases.
	HTTPClient *http.Client

	// Logger receives debug logs of API calls and deliveries. Default: discard.
	Logger *slog.Logger

	// PaymentTypes teaches the simulator Core API payment types it does not
	// know, by payment_type: a charge of one is validated like every
	// charge (transaction details, items, custom expiry), then the function
	// shapes its answer (see PaymentTypeFunc). The transaction then behaves
	// like any other: Pay settles it, notifications and status carry the
	// function's fields. Entries for types the simulator knows are ignored.
	PaymentTypes map[string]PaymentTypeFunc
}

// defaultRetryDelays is Midtrans' schedule (2, 10, 30, 90, 210 minutes) divided by 10,000.
func defaultRetryDelays() []time.Duration {
	return []time.Duration{12 * time.Millisecond, 60 * time.Millisecond, 180 * time.Millisecond,
		540 * time.Millisecond, 1260 * time.Millisecond}
}

func (c *Config) setDefaults() (ownTransport *http.Transport) {
	if c.ServerKey == "" {
		c.ServerKey = "SB-Mid-server-simulator"
	}
	if c.ClientKey == "" {
		c.ClientKey = "SB-Mid-client-simulator"
	}
	if c.MerchantID == "" {
		c.MerchantID = "G000000001"
	}
	if c.RetryDelays == nil {
		c.RetryDelays = defaultRetryDelays()
	} else {
		c.RetryDelays = append([]time.Duration(nil), c.RetryDelays...)
	}
	if len(c.RetryDelays) > maxRetries {
		c.RetryDelays = c.RetryDelays[:maxRetries]
	}
	if c.NotificationTimeout <= 0 {
		c.NotificationTimeout = 15 * time.Second
	}
	if c.IdempotencyWindow <= 0 {
		c.IdempotencyWindow = 5 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		ownTransport = http.DefaultTransport.(*http.Transport).Clone()
		c.HTTPClient = &http.Client{Transport: ownTransport}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.PaymentTypes = maps.Clone(c.PaymentTypes) // the caller's map may change later
	return ownTransport
}

// Server is one simulated Midtrans merchant account: Core API v2 and Snap on one base
// URL, state in memory. All methods are safe for concurrent use.
type Server struct {
	cfg       Config
	transport *http.Transport // ours, closed on Close; nil when the caller gave HTTPClient
	ts        *httptest.Server

	mu          sync.Mutex
	baseURL     string
	notifyURL   string
	byOrder     map[string]*txn // latest transaction per order_id
	byTxID      map[string]*txn
	snapByOrder map[string]*snapOrder
	snapByToken map[string]*snapOrder
	activeCodes map[string]*txn // "bca:1234…" → pending transaction holding that VA/bill key/payment code
	savedCards  map[string]string
	refundKeys  map[string]*refundRecord
	refundSeq   int64
	idem        map[string]*idemEntry
	calls       []Call
	failN       int
	failCode    int
	latency     time.Duration
	dropN       int
	subs        map[string]*subscription // by id; created on first use

	// notification delivery
	dmu        sync.Mutex
	deliveries []Delivery
	pending    int
	idle       chan struct{} // closed while pending == 0
	closed     bool
	stop       chan struct{}
	wg         sync.WaitGroup
	closeOnce  sync.Once
	chains     map[string]chan struct{} // transaction_id + URL → first attempt of the latest notification done

	disabled map[string]bool // payment types whose channel is not activated (guarded by mu)
	pay      payAccounts     // GoPay tokenization, guarded by mu
}

// NewServer starts a simulator on an httptest.Server. Call Close when done.
func NewServer(cfg Config) *Server {
	s := NewHandler(cfg)
	s.ts = httptest.NewServer(s.Handler())
	s.SetBaseURL(s.ts.URL)
	return s
}

// NewHandler creates a simulator without a listener: mount s.Handler() on your own server
// and tell it its public URL with SetBaseURL (used in actions and redirect URLs).
func NewHandler(cfg Config) *Server {
	tr := cfg.setDefaults()
	s := &Server{
		cfg:         cfg,
		transport:   tr,
		notifyURL:   cfg.NotificationURL,
		byOrder:     map[string]*txn{},
		byTxID:      map[string]*txn{},
		snapByOrder: map[string]*snapOrder{},
		snapByToken: map[string]*snapOrder{},
		activeCodes: map[string]*txn{},
		savedCards:  map[string]string{},
		refundKeys:  map[string]*refundRecord{},
		idem:        map[string]*idemEntry{},
		idle:        make(chan struct{}),
		stop:        make(chan struct{}),
		chains:      map[string]chan struct{}{},
	}
	close(s.idle)
	return s
}

// URL is the base URL of both Core API and Snap (use it as the client's BaseURL).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// SetBaseURL sets the public URL the simulator uses in actions, redirect_url and Snap links.
func (s *Server) SetBaseURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimRight(url, "/")
}

// SetNotificationURL changes the dashboard Payment Notification URL; it applies to
// notifications sent from now on, as a dashboard change would (retries of earlier ones
// keep their URL). This is how an application whose server starts after the simulator
// wires its webhook; "" removes the URL.
func (s *Server) SetNotificationURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyURL = url
}

// ServerKey is the server key API calls must authenticate with.
func (s *Server) ServerKey() string { return s.cfg.ServerKey }

// ClientKey is the public client key (card tokenization, snap.js).
func (s *Server) ClientKey() string { return s.cfg.ClientKey }

// Handler serves Core API, Snap and the simulator's browser pages.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close stops scheduling notification retries, waits for in-flight delivery attempts
// (each bounded by NotificationTimeout) and closes the listener. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.dmu.Lock()
		s.closed = true
		close(s.stop)
		s.dmu.Unlock()
		s.wg.Wait()
		if s.ts != nil {
			s.ts.Close()
		}
		if s.transport != nil {
			s.transport.CloseIdleConnections()
		}
	})
}

// Call is one API call the simulator received.
type Call struct {
	Method         string
	Path           string // URL path as received (escaped)
	IdempotencyKey string
	// Header holds the request's headers except Authorization.
	Header http.Header
	Body   []byte
	// StatusCode is the HTTP status answered; for a dropped response, the one that
	// would have been sent.
	StatusCode int
	Dropped    bool
	At         time.Time
}

// Calls returns every API call received so far, in order of arrival.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Header = c.Header.Clone()
		c.Body = append([]byte(nil), c.Body...)
		out[i] = c
	}
	return out
}

// FailNext makes the next n API calls fail with the HTTP status code (500, 502, 503,
// 504, 429, …) and a Midtrans-like body. Nothing is processed for them.
func (s *Server) FailNext(n int, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// SetLatency adds d before every API response (0 removes it). The wait ends early
// when the client goes away; what was processed stays processed.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// DropNextResponses makes the next n API calls be processed normally (state changes,
// notifications) but never answered: the connection is closed without a response, so
// the client sees a network error and an unknown outcome.
func (s *Server) DropNextResponses(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropN = n
}

// now is the configured clock.
func (s *Server) now() time.Time { return s.cfg.Now() }

// sleepCtx waits d, or less if the client goes away or the simulator is closed.
func sleepCtx(ctx context.Context, d time.Duration, stop <-chan struct{}) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-stop:
	}
}

// readBody reads at most 1 MiB; Midtrans payloads are far smaller.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

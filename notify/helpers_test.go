package notify_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/adapters/nethttp"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
)

// webhook serves h over real HTTP through the net/http adapter, as a host
// would, and counts the status codes answered.
type webhook struct {
	*httptest.Server
	// URL is the webhook route's.
	URL   string
	mu    sync.Mutex
	codes []int
}

func serve(t testing.TB, svc *payments.Service, h *notify.Handler) *webhook {
	t.Helper()
	api, err := adapters.New(svc, adapters.WithNotifyHandler(h))
	if err != nil {
		t.Fatal(err)
	}
	routes := nethttp.Handler(api)
	w := &webhook{}
	w.Server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: rw}
		routes.ServeHTTP(sw, r)
		w.mu.Lock()
		w.codes = append(w.codes, sw.status)
		w.mu.Unlock()
	}))
	w.URL = w.Server.URL + api.Prefix() + "/notifications"
	t.Cleanup(w.Close)
	return w
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *webhook) answered() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int(nil), w.codes...)
}

// recorder connects to every signal and remembers what it received.
type recorder struct {
	mu     sync.Mutex
	events []*payments.Event
}

func record(svc *payments.Service) *recorder {
	r := &recorder{}
	for _, sig := range payments.Signals() {
		svc.Connect(sig, func(_ context.Context, e *payments.Event) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.events = append(r.events, e)
			return nil
		})
	}
	return r
}

// signals returns, per order, the signals received, in delivery order.
func (r *recorder) signals(orderID string) []payments.Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []payments.Signal
	for _, e := range r.events {
		if e.Payment.OrderID == orderID {
			out = append(out, e.Signal)
		}
	}
	return out
}

func (r *recorder) count(orderID string, sig payments.Signal) int {
	n := 0
	for _, s := range r.signals(orderID) {
		if s == sig {
			n++
		}
	}
	return n
}

// stack is a Service with a notify.Handler served over HTTP, registered as
// the simulator's notification URL.
type stack struct {
	*testenv.Env
	handler *notify.Handler
	hook    *webhook
	rec     *recorder
}

func newStack(t *testing.T, env *testenv.Env, opts ...notify.Option) *stack {
	t.Helper()
	h, err := notify.New(env.Service, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{Env: env, handler: h, hook: serve(t, env.Service, h), rec: record(env.Service)}
	env.Sim.SetNotificationURL(s.hook.URL)
	return s
}

// settle waits until the simulator delivered everything and every due hook
// event was handed to the receivers.
func (s *stack) settle(t *testing.T) {
	t.Helper()
	ctx := testenv.Ctx(t)
	if err := s.Sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		n, err := s.Service.DeliverDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func sqlite(t *testing.T) *bun.DB { return dbtest.SQLite(t) }

// answered reports whether a result is one the webhook answers 2xx.
func answered(r notify.Result) bool {
	return r.Kind == notify.Processed || r.Kind == notify.Duplicate || r.Kind == notify.Ignored
}

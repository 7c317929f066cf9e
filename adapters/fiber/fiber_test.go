package fiberadapter_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/csrf"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/adapters"
	fiberadapter "github.com/nusapay/payments/adapters/fiber"
	"github.com/nusapay/payments/adapters/internal/routetest"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// listen serves app on a real listener until t ends and returns its URL.
func listen(t testing.TB, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() {
		// Shutdown waits for requests in flight; on CI's two loaded cores
		// one took longer than 5 s once (TestRoutes/postgres). A hang
		// still fails, after 20 s.
		if err := app.ShutdownWithTimeout(20 * time.Second); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("listener: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func TestRoutes(t *testing.T) {
	routetest.Run(t, func(t testing.TB, api *adapters.API) string {
		app := fiber.New()
		fiberadapter.Mount(app, api)
		return listen(t, app)
	})
}

// TestConsoleBrowser: the ops console in headless Chromium.
func TestConsoleBrowser(t *testing.T) {
	routetest.Browse(t, func(t testing.TB, api *adapters.API) string {
		app := fiber.New()
		fiberadapter.Mount(app, api)
		return listen(t, app)
	})
}

// TestGroup: Mount on a Group puts the group's prefix first; the host's
// routes under the prefix, registered before or after Mount, stay the
// host's, and only what none serves is the routes' 404 or 405.
func TestGroup(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		h := routetest.NewHarness(t, env, func(t testing.TB, api *adapters.API) string {
			app := fiber.New()
			g := app.Group("/api")
			g.Get("/payments/before", func(c fiber.Ctx) error { return c.SendString("before") })
			fiberadapter.Mount(g, api)
			g.Get("/payments/after", func(c fiber.Ctx) error { return c.SendString("after") })
			return listen(t, app) + "/api"
		})
		o := h.NewOrder(50000)
		v := h.Charged(t, o.Ref, "bca_va", "")
		if got := h.View(t, v.OrderID); got.OrderID != o.OrderID {
			t.Fatalf("view of %s", got.OrderID)
		}
		for _, path := range []string{"before", "after"} {
			if r := h.Do(t, http.MethodGet, h.URL+"/"+path, nil); r.Status != http.StatusOK || string(r.Body) != path {
				t.Errorf("host route %s under the prefix: %d %s", path, r.Status, r.Body)
			}
		}
		routetest.WantError(t, h.Do(t, http.MethodGet, h.URL+"/nope", nil), http.StatusNotFound, "not_found")
		routetest.WantError(t, h.Do(t, http.MethodGet, h.URL+"/charges", nil), http.StatusMethodNotAllowed, "method_not_allowed")
	})
}

var csrfInput = regexp.MustCompile(`csrf=([A-Za-z0-9_-]+)`)

// TestCSRF: with Fiber's csrf middleware on the whole app, SkipWebhook lets
// Midtrans' webhook through while the charges route still needs the token,
// and the token still works.
func TestCSRF(t *testing.T) {
	for _, mount := range []struct {
		name  string
		group string
		cfg   fiber.Config
	}{
		{"app", "", fiber.Config{}},
		{"group", "/api", fiber.Config{}},
		{"case-sensitive strict", "", fiber.Config{CaseSensitive: true, StrictRouting: true}},
	} {
		t.Run(mount.name, func(t *testing.T) {
			testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
				h := routetest.NewHarness(t, env, func(t testing.TB, api *adapters.API) string {
					app := fiber.New(mount.cfg)
					var router fiber.Router = app
					if mount.group != "" {
						router = app.Group(mount.group)
					}
					app.Use(csrf.New(csrf.Config{Next: fiberadapter.SkipWebhook(router, api)}))
					// The host's page that hands the browser its token.
					app.Get("/checkout", func(c fiber.Ctx) error {
						return c.SendString("csrf=" + csrf.TokenFromContext(c))
					})
					fiberadapter.Mount(router, api)
					return listen(t, app) + mount.group
				})
				o := h.NewOrder(150000)
				charge := []byte(`{"order_ref":"` + o.Ref + `","method":"bca_va"}`)

				// Without the token: refused by csrf, never reaches the routes.
				if r := h.Do(t, http.MethodPost, h.URL+"/charges", charge); r.Status != http.StatusForbidden {
					t.Fatalf("charge without a CSRF token: status %d, want 403: %s", r.Status, r.Body)
				}
				if _, ok := env.Sim.Transaction(o.OrderID); ok {
					t.Fatal("a charge without a CSRF token reached Midtrans")
				}

				// The webhook has no token and needs none.
				ping := []byte(`{"order_id":"ping","status_code":"200","gross_amount":"1.00"}`)
				if r := h.Do(t, http.MethodPost, h.URL+"/notifications", ping); r.Status != http.StatusOK {
					t.Fatalf("webhook under csrf: status %d, want 200: %s", r.Status, r.Body)
				}
				// Only the webhook: a path that merely looks like it is not skipped.
				if r := h.Do(t, http.MethodPost, h.URL+"/notifications/x", ping); r.Status != http.StatusForbidden {
					t.Fatalf("POST near the webhook: status %d, want 403 from csrf", r.Status)
				}

				// With the token, as a browser would send it.
				root := strings.TrimSuffix(h.URL, mount.group+"/payments")
				page := h.Do(t, http.MethodGet, root+"/checkout", nil)
				m := csrfInput.FindSubmatch(page.Body)
				if m == nil {
					t.Fatalf("no token in %q", page.Body)
				}
				token := string(m[1])
				v := routetest.WantPayment(t, h.Do(t, http.MethodPost, h.URL+"/charges", charge,
					"X-Csrf-Token", token, "Cookie", "csrf_="+token), http.StatusCreated)

				// A signed notification for it goes through and pays it.
				if err := env.Sim.Pay(v.OrderID); err != nil {
					t.Fatal(err)
				}
				body := h.SettlementBody(t, v.OrderID, env.Sim.ServerKey())
				if r := h.Do(t, http.MethodPost, h.URL+"/notifications", body); r.Status != http.StatusOK {
					t.Fatalf("webhook: status %d: %s", r.Status, r.Body)
				}
				if got := h.View(t, v.OrderID); got.Outcome != payments.OutcomePaid {
					t.Fatalf("after the webhook: %s", got.Outcome)
				}
			})
		})
	}
}

func serveFiber(t testing.TB, api *adapters.API) string {
	app := fiber.New()
	fiberadapter.Mount(app, api)
	return listen(t, app)
}

func FuzzRoutesSQLite(f *testing.F) { routetest.Fuzz(f, dbtest.SQLite, serveFiber) }

func FuzzRoutesPostgres(f *testing.F) { routetest.Fuzz(f, dbtest.Postgres, serveFiber) }

// TestServerBodyLimit: a body over Fiber's own Config.BodyLimit is refused
// before any route runs, by the app's ErrorHandler; with
// fiberadapter.ErrorHandler it is the routes' 413 body_too_large under the
// prefix, and the host's answer elsewhere.
func TestServerBodyLimit(t *testing.T) {
	testenv.Each(t, testenv.Config{}, func(t *testing.T, env *testenv.Env) {
		h := routetest.NewHarness(t, env, func(t testing.TB, api *adapters.API) string {
			app := fiber.New(fiber.Config{BodyLimit: 64 << 10, ErrorHandler: fiberadapter.ErrorHandler(nil)})
			app.Post("/shop", func(c fiber.Ctx) error { return c.SendString("shop") })
			fiberadapter.Mount(app.Group("/api"), api)
			return listen(t, app) + "/api"
		})
		// Just over the limit: Fiber answers from the Content-Length, before
		// reading the body, and closes; a body that fits the loopback
		// socket's buffers is written whole before that close.
		big := []byte(`{"reason":"` + strings.Repeat("x", 64<<10+1024) + `"}`)
		for _, path := range []string{"/charges", "/notifications", "/payments/INV-1/sync", "/nope"} {
			r := h.DoOversized(t, http.MethodPost, h.URL+path, big, "Authorization", "Bearer "+routetest.AdminToken)
			routetest.WantError(t, r, http.StatusRequestEntityTooLarge, "body_too_large")
			if allow := r.Header.Get("Allow"); allow != "" {
				t.Errorf("%s: Allow %q on a 413", path, allow)
			}
		}
		// The host's own route gets Fiber's answer, never ours. Fiber may
		// answer and close before the client has written the whole body,
		// so a reset connection is Fiber's answer too.
		root := strings.TrimSuffix(h.URL, "/api/payments")
		resp, err := http.Post(root+"/shop", "application/json", bytes.NewReader(big))
		switch {
		case err != nil && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)):
		case err != nil:
			t.Fatalf("host route: %v", err)
		default:
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || strings.Contains(string(body), `"error"`) {
				t.Errorf("host route: %d %s, want Fiber's own 413", resp.StatusCode, body)
			}
		}
	})
}

package adapters_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/nusapay/payments/adapters"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// TestNilOptions: an option given nil keeps its default (no OrderSource or
// Authorizer: that route is not mounted; the default logger and notify
// Handler) and a nil Option is skipped; every route mounted then answers,
// including the ones that log.
func TestNilOptions(t *testing.T) {
	env := testenv.New(t, dbtest.SQLite(t), testenv.Config{})
	failing := adapters.WithOrderSource(adapters.OrderSourceFunc(func(context.Context, string, string) (*adapters.Order, error) {
		return nil, errors.New("order table unavailable") // logged, 500
	}))
	allow := adapters.WithAuthorizer(func(context.Context, *adapters.Request, string, string) (string, error) { return "staff", nil })
	subs := []string{adapters.RouteSubscriptions, adapters.RouteSubscription, adapters.RouteSubscriptionUpdate, adapters.RouteSubscriptionOp}
	all := append([]string{adapters.RouteNotifications, adapters.RoutePayment, adapters.RouteCharges, adapters.RouteOperation}, subs...)
	for _, c := range []struct {
		name   string
		opts   []adapters.Option
		routes []string
	}{
		{"WithLogger", []adapters.Option{adapters.WithLogger(nil), failing, allow}, all},
		{"WithNotifyHandler", []adapters.Option{adapters.WithNotifyHandler(nil), failing, allow}, all},
		{"WithOrderSource", []adapters.Option{adapters.WithOrderSource(nil), allow},
			append([]string{adapters.RouteNotifications, adapters.RoutePayment, adapters.RouteOperation}, subs...)},
		{"WithOrderSource(OrderSourceFunc(nil))", []adapters.Option{adapters.WithOrderSource(adapters.OrderSourceFunc(nil)), allow},
			append([]string{adapters.RouteNotifications, adapters.RoutePayment, adapters.RouteOperation}, subs...)},
		{"WithAuthorizer", []adapters.Option{adapters.WithAuthorizer(nil), failing}, []string{adapters.RouteNotifications, adapters.RoutePayment, adapters.RouteCharges}},
		{"WithTrustedOrigins()", []adapters.Option{adapters.WithTrustedOrigins(), failing, allow}, all},
		{"nil Option", []adapters.Option{nil, failing, allow}, all},
	} {
		t.Run(c.name, func(t *testing.T) {
			api, err := adapters.New(env.Service, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range api.Routes() {
				names = append(names, r.Name)
				req := &adapters.Request{Method: r.Method, Host: "shop.example", Header: http.Header{"Content-Type": {"application/json"}},
					Params: map[string]string{"order_id": "INV-nil-opt", "op": "sync", "subscription_id": "sub-nil-opt"}}
				want := map[string]int{
					adapters.RouteNotifications: http.StatusOK, adapters.RoutePayment: http.StatusNotFound,
					adapters.RouteCharges: http.StatusInternalServerError, adapters.RouteOperation: http.StatusNotFound,
					adapters.RouteSubscriptions: http.StatusBadRequest, adapters.RouteSubscription: http.StatusNotFound,
					adapters.RouteSubscriptionUpdate: http.StatusBadRequest, adapters.RouteSubscriptionOp: http.StatusNotFound,
				}[r.Name]
				switch r.Name {
				case adapters.RouteNotifications:
					req.Body = []byte(`{"order_id":"ping","status_code":"200","gross_amount":"1.00"}`)
				case adapters.RouteCharges:
					req.Body = []byte(`{"order_ref":"cart-1","method":"bca_va"}`)
				}
				if resp := r.Handle(testenv.Ctx(t), req); resp.Status != want {
					t.Errorf("%s: status %d, want %d: %s", r.Name, resp.Status, want, resp.Body)
				}
			}
			if !slices.Equal(names, c.routes) {
				t.Errorf("routes %v, want %v", names, c.routes)
			}
		})
	}
}

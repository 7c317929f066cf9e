package midtranstest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
)

// TestNotificationURLSetLater is the order an application starts in: the
// simulator first (the Midtrans client needs its URL), the application's
// server after it, and only then the dashboard URL. Changes before
// SetNotificationURL notify nobody; every change after it reaches the URL,
// retries included, and a later SetNotificationURL moves new notifications
// elsewhere.
func TestNotificationURLSetLater(t *testing.T) {
	s := newSim(t, Config{RetryDelays: fastRetries})
	a := newAPI(t, s)
	a.charge(vaCharge("late-1", 1000, "bca"), "201") // before the host's server exists
	waitIdle(t, s)
	if d := s.Deliveries(); len(d) != 0 {
		t.Fatalf("%d deliveries with no notification URL, want 0", len(d))
	}

	first := newSink(t, http.StatusOK)
	s.SetNotificationURL(first.srv.URL + "/payments/notifications")
	if err := s.Pay("late-1"); err != nil {
		t.Fatal(err)
	}
	a.charge(vaCharge("late-2", 1000, "bni"), "201")
	waitIdle(t, s)
	// Notifications of different transactions are delivered independently:
	// compare them in any order.
	if got, want := slices.Sorted(slices.Values(statuses(first.received()))), []string{"late-1 settlement", "late-2 pending"}; !slices.Equal(got, want) {
		t.Errorf("first URL received %v, want %v", got, want)
	}
	for _, d := range s.Deliveries() {
		if d.URL != first.srv.URL+"/payments/notifications" {
			t.Errorf("delivery to %s", d.URL)
		}
	}

	// A receiver that is not ready yet is retried as Midtrans would.
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer flaky.Close()
	s.SetNotificationURL(flaky.URL)
	if err := s.Pay("late-2"); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, s)
	if n := calls.Load(); n != 2 {
		t.Errorf("the moved URL got %d attempts, want 2 (503, then 200)", n)
	}
	if n := len(first.received()); n != 2 {
		t.Errorf("the old URL got %d notifications after the move, want none new (2 in all)", n)
	}
}

func statuses(ns []map[string]any) []string {
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n["order_id"].(string)+" "+n["transaction_status"].(string))
	}
	return out
}

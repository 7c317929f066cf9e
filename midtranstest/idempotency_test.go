package midtranstest

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIdempotency(t *testing.T) {
	t.Run("replay is byte-identical whatever the body", func(t *testing.T) {
		s := newSim(t, Config{})
		a := newAPI(t, s)
		code1, first := a.do("POST", "/v2/charge", vaCharge("idem-1", 10000, "bca"), "Idempotency-Key", "key-1")
		code2, second := a.do("POST", "/v2/charge", vaCharge("idem-other", 99000, "bni"), "Idempotency-Key", "key-1")
		if code1 != http.StatusOK || code2 != code1 || string(first) != string(second) {
			t.Errorf("replay differs:\n%d %s\n%d %s", code1, first, code2, second)
		}
		if _, ok := s.Transaction("idem-other"); ok {
			t.Error("the replayed request was processed")
		}
		// keys are global across endpoints: a refund sent with the charge's key gets the charge answer
		if _, third := a.do("POST", "/v2/idem-1/refund", map[string]any{}, "Idempotency-Key", "key-1"); string(third) != string(first) {
			t.Errorf("key not global: %s", third)
		}
	})
	t.Run("in-flight repeat gets 202", func(t *testing.T) {
		s := newSim(t, Config{})
		a := newAPI(t, s)
		s.SetLatency(time.Second)
		var wg sync.WaitGroup
		var code1 int
		var body1 []byte
		wg.Add(1)
		go func() {
			defer wg.Done()
			code1, body1, _ = a.try(t.Context(), "POST", "/v2/charge", vaCharge("idem-2", 10000, "bca"), "Idempotency-Key", "key-2")
		}()
		// Wait until the first request holds the key, not merely until it
		// is recorded: a call is recorded before its key is claimed, and a
		// repeat sent in between (a loaded machine) would claim it first.
		inFlight := func() bool {
			s.mu.Lock()
			defer s.mu.Unlock()
			e, ok := s.idem["key-2"]
			return ok && !e.done
		}
		for deadline := time.Now().Add(5 * time.Second); !inFlight() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		code2, body2 := a.do("POST", "/v2/charge", vaCharge("idem-2", 10000, "bca"), "Idempotency-Key", "key-2")
		wg.Wait()
		if code1 != http.StatusOK || !strings.Contains(string(body1), `"status_code":"201"`) {
			t.Errorf("first: %d %s", code1, body1)
		}
		if code2 != http.StatusAccepted || string(body2) != `{"status_message":"`+msgInFlight+`"}` {
			t.Errorf("concurrent repeat: %d %s", code2, body2)
		}
		s.SetLatency(0)
		if _, third := a.do("POST", "/v2/charge", nil, "Idempotency-Key", "key-2"); string(third) != string(body1) {
			t.Errorf("after completion: %s", third)
		}
	})
	t.Run("window expiry", func(t *testing.T) {
		var mu sync.Mutex
		now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		s := newSim(t, Config{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
		a := newAPI(t, s)
		req := vaCharge("idem-3", 10000, "bca")
		_, first := a.do("POST", "/v2/charge", req, "Idempotency-Key", "key-3")
		mu.Lock()
		now = now.Add(4*time.Minute + 59*time.Second)
		mu.Unlock()
		if _, again := a.do("POST", "/v2/charge", req, "Idempotency-Key", "key-3"); string(again) != string(first) {
			t.Errorf("inside the window: %s", again)
		}
		mu.Lock()
		now = now.Add(2 * time.Second)
		mu.Unlock()
		// processed again: the order now exists, so the duplicate-order rule answers
		if _, m := a.doJSON("POST", "/v2/charge", req, "Idempotency-Key", "key-3"); m["status_code"] != "406" {
			t.Errorf("after the window: %v", m)
		}
	})
	t.Run("failed answers are not stored", func(t *testing.T) {
		s := newSim(t, Config{})
		a := newAPI(t, s)
		if code, _ := a.do("POST", "/v2/charge", vaCharge("idem-4", 0, "bca"), "Idempotency-Key", "key-4"); code != http.StatusBadRequest {
			t.Fatalf("invalid charge: %d", code)
		}
		a.charge(vaCharge("idem-4", 1000, "bca"), "201", "Idempotency-Key", "key-4")
		s.FailNext(1, 500)
		a.do("POST", "/v2/charge", vaCharge("idem-5", 1000, "bca"), "Idempotency-Key", "key-5")
		a.charge(vaCharge("idem-5", 1000, "bca"), "201", "Idempotency-Key", "key-5")
	})
	t.Run("keys longer than 46 are ignored", func(t *testing.T) {
		s := newSim(t, Config{})
		a := newAPI(t, s)
		long := strings.Repeat("k", 47)
		a.charge(vaCharge("idem-6", 1000, "bca"), "201", "Idempotency-Key", long)
		a.charge(vaCharge("idem-6", 1000, "bca"), "406", "Idempotency-Key", long)
		ok46 := strings.Repeat("k", 46)
		first := a.charge(vaCharge("idem-7", 1000, "bca"), "201", "Idempotency-Key", ok46)
		if again := a.charge(vaCharge("idem-7", 1000, "bca"), "201", "Idempotency-Key", ok46); again["transaction_id"] != first["transaction_id"] {
			t.Error("46-char key not honoured")
		}
	})
	t.Run("not supported for Permata and Indomaret", func(t *testing.T) {
		s := newSim(t, Config{})
		a := newAPI(t, s)
		a.charge(vaCharge("idem-8", 1000, "permata"), "201", "Idempotency-Key", "key-8")
		a.charge(vaCharge("idem-8", 1000, "permata"), "406", "Idempotency-Key", "key-8")
		ind := map[string]any{"payment_type": "cstore", "transaction_details": map[string]any{"order_id": "idem-9", "gross_amount": 1000},
			"cstore": map[string]any{"store": "indomaret"}}
		a.charge(ind, "201", "Idempotency-Key", "key-9")
		a.charge(ind, "406", "Idempotency-Key", "key-9")
	})
	t.Run("snap", func(t *testing.T) {
		s := newSim(t, Config{})
		a := newAPI(t, s)
		body := map[string]any{"transaction_details": map[string]any{"order_id": "idem-snap", "gross_amount": 1000}}
		c1, b1 := a.do("POST", "/snap/v1/transactions", body, "Idempotency-Key", "snap-key")
		c2, b2 := a.do("POST", "/snap/v1/transactions", body, "Idempotency-Key", "snap-key")
		if c1 != http.StatusCreated || c2 != c1 || string(b1) != string(b2) {
			t.Errorf("snap replay: %d %s / %d %s", c1, b1, c2, b2)
		}
	})
}

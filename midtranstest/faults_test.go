package midtranstest

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestFailNext(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	for _, code := range []int{500, 502, 503, 504, 429} {
		s.FailNext(2, code)
		for range 2 {
			got, m := a.doJSON("POST", "/v2/charge", vaCharge("fail-1", 1000, "bca"))
			if got != code || m["status_code"] == nil || m["status_message"] == "" || m["id"] == nil {
				t.Errorf("FailNext(%d): HTTP %d %v", code, got, m)
			}
		}
		if _, ok := s.Transaction("fail-1"); ok {
			t.Fatalf("FailNext(%d): the charge was processed", code)
		}
	}
	s.FailNext(1, 500)
	if _, m := a.doJSON("POST", "/v2/charge", vaCharge("fail-1", 1000, "bca")); m["status_message"] != "Sorry. Our system is recovering from unexpected issues. Please retry." {
		t.Errorf("500 body %v", m)
	}
	a.charge(vaCharge("fail-1", 1000, "bca"), "201") // the third call goes through

	s.FailNext(1, 500)
	code, m := a.doJSON("POST", "/snap/v1/transactions", map[string]any{"transaction_details": map[string]any{"order_id": "fail-snap", "gross_amount": 1000}})
	if code != 500 || len(m["error_messages"].([]any)) != 1 {
		t.Errorf("snap 500: %d %v", code, m)
	}
	calls := s.Calls()
	if last := calls[len(calls)-1]; last.StatusCode != 500 || last.Path != "/snap/v1/transactions" {
		t.Errorf("last call %+v", last)
	}
}

func TestLatency(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	s.SetLatency(150 * time.Millisecond)
	start := time.Now()
	a.charge(vaCharge("lat-1", 1000, "bca"), "201")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %v", d)
	}
	// a client that gives up: the call was processed anyway
	s.SetLatency(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, _, err := a.try(ctx, "POST", "/v2/charge", vaCharge("lat-2", 1000, "bca")); err == nil {
		t.Fatal("no timeout")
	}
	if _, ok := s.Transaction("lat-2"); !ok {
		t.Error("timed-out charge was not processed")
	}
	s.SetLatency(0)
	// the server stops waiting once the client is gone, so Close is not held up
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if calls := s.Calls(); calls[len(calls)-1].StatusCode != 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("handler kept waiting %v after the client left", d)
	}
}

func TestDropNextResponses(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	s.DropNextResponses(1)
	if _, _, err := a.try(context.Background(), "POST", "/v2/charge", vaCharge("drop-1", 1000, "bca"), "Idempotency-Key", "drop-key"); err == nil {
		t.Fatal("the client got an answer")
	}
	// outcome unknown to the client, but the charge exists and was notified
	if _, m := a.doJSON("GET", "/v2/drop-1/status", nil); m["status_code"] != "201" {
		t.Errorf("status after drop: %v", m)
	}
	waitIdle(t, s)
	if got := k.received(); len(got) != 1 || got[0]["order_id"] != "drop-1" {
		t.Errorf("notifications %v", got)
	}
	// the idempotent retry gets the answer that was lost
	m := a.charge(vaCharge("drop-1", 1000, "bca"), "201", "Idempotency-Key", "drop-key")
	if tr, _ := s.Transaction("drop-1"); m["transaction_id"] != tr.TransactionID {
		t.Errorf("retry answered another transaction: %v", m)
	}
	calls := s.Calls()
	if !calls[0].Dropped || calls[0].StatusCode != 200 || calls[0].IdempotencyKey != "drop-key" {
		t.Errorf("first call %+v", calls[0])
	}
}

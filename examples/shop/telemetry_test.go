package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestTelemetry runs the shop with Config.Telemetry (what -telemetry sets)
// into a buffer, pays an order, closes the shop, and reads back what it
// printed: spans for the charge, the notification, the hook delivery and
// their queries (each query a child of one of them: the polling is left
// out), and the metrics, printed once more on Close.
func TestTelemetry(t *testing.T) {
	out := &syncBuffer{}
	shop, base := newTestShop(t, Config{Telemetry: out})
	c := client(t)
	ref := placeOrder(t, c, base, newOrderForm("sambal-matah", "indomaret"))
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"indomaret"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	if err := shop.Simulator().Pay(ref + "-1"); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, base, ref, fulfilled)
	c.CloseIdleConnections()
	if err := shop.Close(); err != nil {
		t.Fatal(err)
	}

	type span struct {
		Name        string
		SpanContext struct{ SpanID string }
		Parent      struct{ SpanID string }
		Attributes  []struct{ Key string }
	}
	type metrics struct {
		ScopeMetrics []struct {
			Metrics []struct{ Name string }
		}
	}
	spans := map[string]int{}
	var queries int
	metricNames := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	for {
		var doc json.RawMessage
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("telemetry output is not a stream of JSON documents: %v\n%s", err, out.String())
		}
		var m metrics
		if err := json.Unmarshal(doc, &m); err == nil && len(m.ScopeMetrics) > 0 {
			for _, sm := range m.ScopeMetrics {
				for _, x := range sm.Metrics {
					metricNames[x.Name] = true
				}
			}
			continue
		}
		var s span
		if err := json.Unmarshal(doc, &s); err != nil || s.Name == "" || s.SpanContext.SpanID == "" {
			t.Fatalf("neither a span nor metrics: %s", doc)
		}
		spans[s.Name]++
		for _, a := range s.Attributes {
			if a.Key == "db.system.name" {
				queries++
				if s.Parent.SpanID == "" || strings.Trim(s.Parent.SpanID, "0") == "" {
					t.Errorf("query span %q is a root: the polling is printed", s.Name)
				}
			}
		}
	}
	t.Logf("spans %v; %d query spans; metrics %v", spans, queries, metricNames)
	for _, name := range []string{"payments.CreateCharge", "notify.Handle", "payments.deliver"} {
		if spans[name] == 0 {
			t.Errorf("no %s span; have %v", name, spans)
		}
	}
	if queries == 0 {
		t.Errorf("no query span; have %v", spans)
	}
	for _, name := range []string{"payments.charges", "payments.notifications", "payments.hook.deliveries",
		"payments.outbox.oldest_pending_age", "midtrans.request.duration"} {
		if !metricNames[name] {
			t.Errorf("no metric %s; have %v", name, metricNames)
		}
	}
	if key := shop.Simulator().ServerKey(); strings.Contains(out.String(), key) {
		t.Error("the server key is printed")
	}
}

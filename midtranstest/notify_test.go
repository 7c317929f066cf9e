package midtranstest

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments/internal/fixture"
)

// verifySignature recomputes signature_key independently of the simulator's code.
func verifySignature(t *testing.T, n map[string]any, serverKey string) {
	t.Helper()
	sum := sha512.Sum512([]byte(n["order_id"].(string) + n["status_code"].(string) + n["gross_amount"].(string) + serverKey))
	if n["signature_key"] != hex.EncodeToString(sum[:]) {
		t.Errorf("signature_key does not verify for %v", n)
	}
}

func TestNotificationSignatureAndHeaders(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{ServerKey: "SB-Mid-server-abc123cde456", NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	a.charge(map[string]any{"payment_type": "gopay", "transaction_details": map[string]any{"order_id": "sig-1", "gross_amount": 275000}}, "201")
	if err := s.Pay("sig-1"); err != nil {
		t.Fatal(err)
	}
	a.charge(vaCharge("sig-2", 5000, "bni"), "201")
	if err := s.Expire("sig-2"); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, s)
	got := k.received()
	if len(got) != 4 {
		t.Fatalf("%d notifications, want 4 (pending+settlement, pending+expire)", len(got))
	}
	wantStatus := map[string][]string{"sig-1": {"201 pending", "200 settlement"}, "sig-2": {"201 pending", "202 expire"}}
	seen := map[string][]string{}
	for i, n := range got {
		verifySignature(t, n, s.ServerKey())
		if n["status_message"] != "midtrans payment notification" {
			t.Errorf("status_message %v", n["status_message"])
		}
		seen[n["order_id"].(string)] = append(seen[n["order_id"].(string)], n["status_code"].(string)+" "+n["transaction_status"].(string))
		h := k.hdrs[i]
		if h.Get("Content-Type") != "application/json" || h.Get("Accept") != "application/json" || h.Get("User-Agent") != "Veritrans" {
			t.Errorf("headers %v", h)
		}
	}
	for id, want := range wantStatus {
		if !slices.Equal(seen[id], want) { // first attempts are ordered per transaction
			t.Errorf("%s: notifications %v, want %v", id, seen[id], want)
		}
	}
}

func TestSignatureVector(t *testing.T) {
	want := fixture.Object(t, "recorded/synthetic/snap-notification-settlement.json")["signature_key"]
	if got := Signature("ORDER-sandbox-0001", "200", "150000.00", "SB-Mid-server-test"); got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
	// the same through a status object of the simulator
	s := newSim(t, Config{ServerKey: "SB-Mid-server-test"})
	a := newAPI(t, s)
	a.charge(cardCharge("ORDER-sandbox-0001", 150000, "4811111111111114", nil), "200")
	if err := s.Settle("ORDER-sandbox-0001"); err != nil {
		t.Fatal(err)
	}
	if _, m := a.doJSON("GET", "/v2/ORDER-sandbox-0001/status", nil); m["signature_key"] != want {
		t.Errorf("status signature_key %v, want %v", m["signature_key"], want)
	}
	// every synthetic vector verifies with the same formula
	for _, f := range fixture.Glob(t, "recorded/synthetic/*.json") {
		n := fixture.Object(t, f)
		verifySignature(t, n, "SB-Mid-server-test")
	}
}

func TestNotificationRouting(t *testing.T) {
	dash, o1, o2, ap := newSink(t, 200), newSink(t, 200), newSink(t, 200), newSink(t, 200)
	s := newSim(t, Config{NotificationURL: dash.srv.URL})
	a := newAPI(t, s)
	count := func(k *sink, id string) int {
		n := 0
		for _, m := range k.received() {
			if m["order_id"] == id {
				n++
			}
		}
		return n
	}
	a.charge(vaCharge("route-override", 1000, "bca"), "201", "X-Override-Notification", o1.srv.URL+", "+o2.srv.URL)
	a.charge(vaCharge("route-append", 1000, "bca"), "201", "X-Append-Notification", ap.srv.URL)
	a.charge(vaCharge("route-both", 1000, "bca"), "201", "X-Override-Notification", o1.srv.URL, "X-Append-Notification", ap.srv.URL)
	a.charge(vaCharge("route-plain", 1000, "bca"), "201")
	waitIdle(t, s)
	for _, c := range []struct {
		id              string
		dash, o1, o2, a int
	}{
		{"route-override", 0, 1, 1, 0},
		{"route-append", 1, 0, 0, 1},
		{"route-both", 0, 1, 0, 0}, // Override wins
		{"route-plain", 1, 0, 0, 0},
	} {
		got := []int{count(dash, c.id), count(o1, c.id), count(o2, c.id), count(ap, c.id)}
		if want := []int{c.dash, c.o1, c.o2, c.a}; !slices.Equal(got, want) {
			t.Errorf("%s: dashboard/override1/override2/append got %v, want %v", c.id, got, want)
		}
	}
	tr, _ := s.Transaction("route-append")
	if !slices.Equal(tr.NotificationURLs, []string{dash.srv.URL, ap.srv.URL}) {
		t.Errorf("NotificationURLs %v", tr.NotificationURLs)
	}
	// at most 3 URLs per header
	many := strings.Repeat(o1.srv.URL+",", 5)
	a.charge(vaCharge("route-many", 1000, "bca"), "201", "X-Override-Notification", many)
	waitIdle(t, s)
	if n := count(o1, "route-many"); n != 3 {
		t.Errorf("%d deliveries for 5 override URLs, want 3", n)
	}
	// the dashboard URL can change later; SetNotificationURL("") disables it
	s.SetNotificationURL("")
	a.charge(vaCharge("route-none", 1000, "bca"), "201")
	waitIdle(t, s)
	if count(dash, "route-none") != 0 {
		t.Error("notification sent to a removed dashboard URL")
	}
}

func TestNotificationRetries(t *testing.T) {
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}
	cases := []struct {
		name     string
		code     int // 0: connection refused
		attempts int
	}{
		{"200", 200, 1}, {"204", 204, 1},
		{"500", 500, 2}, {"503", 503, 5}, {"400", 400, 3}, {"404", 404, 3},
		{"301", 301, 1}, {"302", 302, 1}, {"303", 303, 1},
		{"418", 418, 6}, {"502", 502, 6}, {"connection refused", 0, 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			target := refused()
			if c.code != 0 {
				target = newSink(t, c.code).srv.URL
			}
			s := newSim(t, Config{NotificationURL: target})
			a := newAPI(t, s)
			a.charge(vaCharge("retry", 1000, "bca"), "201")
			waitIdle(t, s)
			ds := s.Deliveries()
			if len(ds) != c.attempts {
				t.Fatalf("%d attempts, want %d: %+v", len(ds), c.attempts, ds)
			}
			for i, d := range ds {
				if d.Attempt != i+1 || d.URL != target || d.StatusCode != c.code || (c.code == 0) != (d.Err != "") {
					t.Errorf("attempt %d: %+v", i, d)
				}
			}
		})
	}
}

func TestNotificationRedirect(t *testing.T) {
	final := newSink(t, http.StatusOK)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/loop" {
			http.Redirect(w, r, "/loop", http.StatusPermanentRedirect)
			return
		}
		http.Redirect(w, r, final.srv.URL+"/final", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)

	s := newSim(t, Config{NotificationURL: redirector.URL + "/hook"})
	a := newAPI(t, s)
	a.charge(vaCharge("redir-1", 1000, "bca"), "201")
	waitIdle(t, s)
	ds := s.Deliveries()
	if len(ds) != 2 || ds[0].StatusCode != 307 || ds[1].StatusCode != 200 || ds[1].URL != final.srv.URL+"/final" || ds[1].Attempt != 1 {
		t.Fatalf("deliveries %+v", ds)
	}
	if got := final.received(); len(got) != 1 || got[0]["order_id"] != "redir-1" {
		t.Errorf("final receiver got %v", got)
	}

	// a redirect loop: 1 request + 5 followed redirects, then retried as any other failure
	s2 := newSim(t, Config{NotificationURL: redirector.URL + "/loop", RetryDelays: fastRetries[:1]})
	a2 := newAPI(t, s2)
	a2.charge(vaCharge("redir-2", 1000, "bca"), "201")
	waitIdle(t, s2)
	if n := len(s2.Deliveries()); n != 12 {
		t.Errorf("%d requests for a redirect loop with one retry, want 12", n)
	}
}

func TestRefundNotifications(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	settledCard(t, s, a, "rn-1", 30000)
	waitIdle(t, s)
	before := len(k.received())
	code, m := a.doJSON("POST", "/v2/rn-1/refund", map[string]any{"refund_key": "r1", "amount": 12000, "reason": "damaged"})
	if code != http.StatusOK || m["status_code"] != "200" {
		t.Fatalf("refund: %d %v", code, m)
	}
	waitIdle(t, s)
	got := k.received()[before:]
	if len(got) != 2 {
		t.Fatalf("%d refund notifications, want 2", len(got))
	}
	for i, n := range got {
		verifySignature(t, n, s.ServerKey())
		refunds := n["refunds"].([]any)
		_, confirmed := refunds[0].(map[string]any)["bank_confirmed_at"]
		if n["transaction_status"] != "partial_refund" || n["refund_amount"] != "12000.00" || confirmed != (i == 1) {
			t.Errorf("notification %d: %v", i, n)
		}
	}
	compareKeys(t, got[1], "docs/notification-partial-refund.json",
		[]string{"currency", "merchant_id", "eci", "on_us", "settlement_time", "three_ds_version", "challenge_completion"}, nil)
	compareArrayElems(t, map[string]any{"refunds": []any{withoutKey(got[0]["refunds"].([]any)[0], "bank_confirmed_at")}},
		"docs/notification-partial-refund.json", "refunds")

	// the Refund control sends the same pair
	if err := s.Refund("rn-1", 0); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, s)
	if n := len(k.received()) - before; n != 4 {
		t.Errorf("%d notifications after two refunds, want 4", n)
	}
}

func withoutKey(v any, key string) map[string]any {
	m := clone(v.(map[string]any))
	delete(m, key)
	return m
}

func TestWaitIdleAndClose(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	s := newSim(t, Config{NotificationURL: slow.URL, RetryDelays: []time.Duration{50 * time.Millisecond}})
	a := newAPI(t, s)
	a.charge(vaCharge("idle-1", 1000, "bca"), "201")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.WaitIdle(ctx); err == nil {
		t.Fatal("WaitIdle returned while a delivery was in flight")
	}
	close(release)
	start := time.Now()
	waitIdle(t, s) // first attempt (500) + one retry after ~50ms
	if len(s.Deliveries()) != 2 || time.Since(start) < 50*time.Millisecond {
		t.Errorf("WaitIdle did not wait for the retry: %+v", s.Deliveries())
	}
}

func TestCloseWaitsAndLeaksNothing(t *testing.T) {
	k := newSink(t, http.StatusServiceUnavailable)
	settle := func(limit int) int {
		n := runtime.NumGoroutine()
		for i := 0; i < 200 && n > limit; i++ {
			time.Sleep(10 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		return n
	}
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ { // let goroutines of earlier tests finish
		time.Sleep(5 * time.Millisecond)
		before = min(before, runtime.NumGoroutine())
	}

	s := NewServer(Config{NotificationURL: k.srv.URL, RetryDelays: []time.Duration{time.Hour}})
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	for i := range 5 {
		b, _ := json.Marshal(vaCharge("close-"+string(rune('a'+i)), 1000, "bca"))
		req, _ := http.NewRequest("POST", s.URL()+"/v2/charge", strings.NewReader(string(b)))
		req.SetBasicAuth(s.ServerKey(), "")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// wait until every first attempt happened: each is now sleeping an hour before its retry
	for deadline := time.Now().Add(5 * time.Second); len(s.Deliveries()) < 5 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not abandon scheduled retries")
	}
	s.Close() // idempotent
	tr.CloseIdleConnections()
	if after := settle(before); after > before {
		buf := make([]byte, 1<<16)
		t.Errorf("goroutines: %d before, %d after Close\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	if n := len(s.Deliveries()); n != 5 {
		t.Errorf("%d deliveries, want 5 (retries abandoned)", n)
	}
}

func TestDefaultRetrySchedule(t *testing.T) {
	k := newSink(t, 418)
	s := NewServer(Config{NotificationURL: k.srv.URL})
	t.Cleanup(s.Close)
	a := newAPI(t, s)
	a.charge(vaCharge("sched-1", 1000, "bca"), "201")
	waitIdle(t, s)
	ds := s.Deliveries()
	if len(ds) != 6 {
		t.Fatalf("%d attempts", len(ds))
	}
	for i, want := range defaultRetryDelays() {
		gap := ds[i+1].At.Sub(ds[i].At)
		if gap < want || gap > want+want/10+500*time.Millisecond { // generous: -race and a busy CI
			t.Errorf("retry %d after %v, want %v (+≤10%% jitter)", i+1, gap, want)
		}
	}
}

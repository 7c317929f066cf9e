package midtrans_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/nusapay/payments/midtrans"
)

// The card utilities against the simulator over real HTTP.

// logSink collects log output.
type logSink struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var visa = midtrans.Card{Number: "4811 1111 1111 1114", ExpMonth: 12, ExpYear: 2031, CVV: "123"}

func cardCharge(orderID, token string) *midtrans.ChargeRequest {
	return &midtrans.ChargeRequest{PaymentType: "credit_card",
		TransactionDetails: midtrans.TransactionDetails{OrderID: orderID, GrossAmount: 25000},
		CreditCard:         &midtrans.CreditCard{TokenID: token}}
}

func TestCardTokenCharges(t *testing.T) {
	sim := newSim(t)
	var logs logSink
	c := simClient(t, sim, func(cfg *midtrans.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	tok, err := c.CardToken(ctxT(t), visa)
	if err != nil {
		t.Fatal(err)
	}
	if tok.StatusCode != "200" || !strings.HasPrefix(tok.TokenID, "48111111-1114-") || tok.HTTPStatus != 200 || len(tok.Raw) == 0 {
		t.Fatalf("token answer = %+v", tok)
	}
	r, err := c.Charge(ctxT(t), cardCharge("tok-1", tok.TokenID))
	if err != nil {
		t.Fatal(err)
	}
	if r.TransactionStatus != "capture" || r.MaskedCard != "48111111-1114" {
		t.Fatalf("charge with the token: %s %s", r.TransactionStatus, r.MaskedCard)
	}
	// The token call was authenticated by the client key in the query only.
	calls := sim.Calls()
	if calls[0].Path != "/v2/token" {
		t.Fatalf("first call %s", calls[0].Path)
	}
	for _, secret := range []string{"4811111111111114", "card_cvv", sim.ClientKey(), tok.TokenID} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
}

func TestCardTokenRefusedBeforeSending(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	noClientKey := simClient(t, sim, func(cfg *midtrans.Config) { cfg.ClientKey = "" })
	cases := []struct {
		name string
		c    *midtrans.Client
		card midtrans.Card
		want string
	}{
		{"short number", c, midtrans.Card{Number: "4811", ExpMonth: 1, ExpYear: 2030, CVV: "123"}, "card number"},
		{"month 13", c, midtrans.Card{Number: visa.Number, ExpMonth: 13, ExpYear: 2030, CVV: "123"}, "month"},
		{"two-digit year", c, midtrans.Card{Number: visa.Number, ExpMonth: 1, ExpYear: 30, CVV: "123"}, "year"},
		{"no cvv", c, midtrans.Card{Number: visa.Number, ExpMonth: 1, ExpYear: 2030}, "CVV"},
		{"no client key", noClientKey, visa, "ClientKey"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.CardToken(ctxT(t), tc.card)
			if !errors.Is(err, midtrans.ErrInvalidRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidRequest naming %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "48111111") {
				t.Fatalf("error quotes the card number: %v", err)
			}
		})
	}
	if n := len(sim.Calls()); n != 0 {
		t.Fatalf("%d calls reached the simulator", n)
	}
}

func TestCardTokenMidtransValidation(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	// Digits, but not a card: Midtrans runs the Luhn check.
	_, err := c.CardToken(ctxT(t), midtrans.Card{Number: "4811111111111113", ExpMonth: 12, ExpYear: 2031, CVV: "123"})
	var apiErr *midtrans.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, midtrans.ErrValidation) ||
		len(apiErr.ValidationMessages) != 1 || !strings.Contains(apiErr.ValidationMessages[0], "luhn") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "4811111111111113") {
		t.Fatalf("error quotes the card number: %v", err)
	}
	// A wrong client key is refused like Midtrans refuses it.
	wrong := simClient(t, sim, func(cfg *midtrans.Config) { cfg.ClientKey = "SB-Mid-client-wrong" })
	if _, err := wrong.CardToken(ctxT(t), visa); !errors.Is(err, midtrans.ErrUnauthorized) {
		t.Fatalf("wrong client key: %v", err)
	}
}

func TestCardTokenTransportErrorHidesQuery(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, func(cfg *midtrans.Config) { cfg.MaxRetries = -1 })
	sim.DropNextResponses(1)
	_, err := c.CardToken(ctxT(t), visa)
	if err == nil {
		t.Fatal("no error for a dropped answer")
	}
	for _, secret := range []string{"4811111111111114", "card_cvv", "123&", sim.ClientKey()} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error shows %q: %v", secret, err)
		}
	}
	if !strings.Contains(err.Error(), "/v2/token") {
		t.Fatalf("error does not name the path: %v", err)
	}
}

func TestRegisterCardThenCharge(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	reg, err := c.RegisterCard(ctxT(t), midtrans.Card{Number: "4811111111111114", ExpMonth: 12, ExpYear: 2031})
	if err != nil {
		t.Fatal(err)
	}
	if reg.StatusCode != "200" || len(reg.SavedTokenID) != 32 || reg.MaskedCard != "48111111-1114" || reg.TransactionID == "" {
		t.Fatalf("register answer = %+v", reg)
	}
	r, err := c.Charge(ctxT(t), cardCharge("reg-1", reg.SavedTokenID))
	if err != nil {
		t.Fatal(err)
	}
	if r.TransactionStatus != "capture" {
		t.Fatalf("one-click charge: %s", r.TransactionStatus)
	}
	// A registered card keeps its sandbox outcome: this one is denied by the bank.
	deny, err := c.RegisterCard(ctxT(t), midtrans.Card{Number: "4911111111111113", ExpMonth: 1, ExpYear: 2032, CVV: "123"})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = c.Charge(ctxT(t), cardCharge("reg-2", deny.SavedTokenID)); err != nil || r.TransactionStatus != "deny" {
		t.Fatalf("denied card: %v %+v", err, r)
	}
	if _, err := c.RegisterCard(ctxT(t), midtrans.Card{Number: visa.Number, ExpMonth: 0, ExpYear: 2031}); !errors.Is(err, midtrans.ErrInvalidRequest) {
		t.Fatalf("month 0: %v", err)
	}
}

func TestPointInquiry(t *testing.T) {
	sim := newSim(t)
	var logs logSink
	c := simClient(t, sim, func(cfg *midtrans.Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	tok, err := c.CardToken(ctxT(t), visa)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.PointInquiry(ctxT(t), tok.TokenID, 25000)
	if err != nil {
		t.Fatal(err)
	}
	if p.StatusCode != "200" || p.PointBalanceAmount != "10000.00" || p.TransactionTime == "" {
		t.Fatalf("point inquiry = %+v", p)
	}
	if _, err := midtrans.ParseTime(p.TransactionTime); err != nil {
		t.Fatalf("transaction_time %q: %v", p.TransactionTime, err)
	}
	if strings.Contains(logs.String(), tok.TokenID) || !strings.Contains(logs.String(), "/v2/point_inquiry/[REDACTED]") {
		t.Fatalf("logs show the token or not the redacted path:\n%s", logs.String())
	}
	calls := sim.Calls()
	if last := calls[len(calls)-1]; !strings.HasPrefix(last.Path, "/v2/point_inquiry/48111111-1114-") {
		t.Fatalf("path %s", last.Path)
	}
	if _, err := c.PointInquiry(ctxT(t), "48111111-1114-00000000-0000-4000-8000-000000000000", 0); !errors.Is(err, midtrans.ErrTokenInvalid) {
		t.Fatalf("unknown token: %v", err)
	}
	for _, bad := range []struct {
		tok    string
		amount int64
	}{{"", 0}, {tok.TokenID, -1}} {
		if _, err := c.PointInquiry(ctxT(t), bad.tok, bad.amount); !errors.Is(err, midtrans.ErrInvalidRequest) {
			t.Fatalf("PointInquiry(%q, %d): %v", bad.tok, bad.amount, err)
		}
	}
}

func TestBIN(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	for bin, brand := range map[string]string{"48111111": "visa", "521111": "mastercard", "3528000": "jcb"} {
		r, err := c.BIN(ctxT(t), bin)
		if err != nil {
			t.Fatal(err)
		}
		if r.Data.Bin != bin || r.Data.Brand != brand || r.Data.BinType == "" || r.Data.CountryCode == "" || r.HTTPStatus != http.StatusOK {
			t.Fatalf("BIN(%s) = %+v", bin, r.Data)
		}
	}
	// Authenticated by the client key: a client whose client key is wrong is refused.
	wrong := simClient(t, sim, func(cfg *midtrans.Config) { cfg.ClientKey = "SB-Mid-client-wrong" })
	if _, err := wrong.BIN(ctxT(t), "481111"); !errors.Is(err, midtrans.ErrUnauthorized) {
		t.Fatalf("wrong client key: %v", err)
	}
	if _, err := c.BIN(ctxT(t), "99999999"); !errors.Is(err, midtrans.ErrNotFound) {
		t.Fatalf("unknown BIN: %v", err)
	}
	before := len(sim.Calls())
	for _, bad := range []string{"", "4811", "481111111", "48111a"} {
		if _, err := c.BIN(ctxT(t), bad); !errors.Is(err, midtrans.ErrInvalidRequest) {
			t.Fatalf("BIN(%q): %v", bad, err)
		}
	}
	if len(sim.Calls()) != before {
		t.Fatal("an invalid BIN reached the simulator")
	}
}

func TestCardNeverPrintsItsNumber(t *testing.T) {
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		if s := fmt.Sprintf(verb, visa); strings.Contains(s, "4811 1111 1111 1114") || strings.Contains(s, "123") {
			t.Errorf("%s prints %s", verb, s)
		}
	}
	var logs logSink
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("card", "card", visa)
	if strings.Contains(logs.String(), "1111 1114") || strings.Contains(logs.String(), `"123"`) {
		t.Errorf("slog prints %s", logs.String())
	}
}

// A nil CallOption is skipped by the card utilities like by every call.
func TestCardUtilitiesNilOptions(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	tok, err := c.CardToken(ctxT(t), visa, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterCard(ctxT(t), visa, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PointInquiry(ctxT(t), tok.TokenID, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BIN(ctxT(t), "481111", nil); err != nil {
		t.Fatal(err)
	}
}

// StatusB2B's paging reaches the simulator: page 0 holds the transaction,
// page 1 of one per page is empty.
func TestStatusB2BPagingOnSimulator(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	req := charge("b2b-page", "bank_transfer")
	req.BankTransfer = &midtrans.BankTransfer{Bank: "bni"}
	tx, err := c.Charge(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ page, perPage, want int }{{0, 0, 1}, {0, 1, 1}, {1, 1, 0}, {2, 10, 0}} {
		r, err := c.StatusB2B(ctxT(t), tx.TransactionID, tc.page, tc.perPage)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Transactions) != tc.want || r.StatusCode != "200" {
			t.Errorf("page %d per_page %d: %d transactions, want %d", tc.page, tc.perPage, len(r.Transactions), tc.want)
		}
		if tc.want == 1 && r.Transactions[0].OrderID != "b2b-page" {
			t.Errorf("child %+v", r.Transactions[0])
		}
	}
}

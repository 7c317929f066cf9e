package methods_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// The plugins' requests, sent over real HTTP with the midtrans client, are
// what the simulator (which validates like Midtrans) accepts, and the
// instructions read from its real answers are what a customer needs.

// simClient returns a client for sim with a transport of its own.
func simClient(t *testing.T, sim *midtranstest.Server) *midtrans.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL(), Timeout: 10 * time.Second,
		HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type simCase struct {
	name   string
	method payments.Method
	req    payments.ChargeRequest
	// check looks at the answer, the instructions from it and the
	// simulator's own record of the transaction.
	check func(t *testing.T, resp *midtrans.TransactionResponse, in payments.Instructions, tr midtranstest.Transaction)
}

func TestSimulatorAcceptsBuiltRequests(t *testing.T) {
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	client := simClient(t, sim)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)

	items := []payments.Item{{ID: "sku-1", Name: "Kopi", Price: 20000, Quantity: 1}, {ID: "sku-2", Name: "Roti", Price: 24000, Quantity: 1}}
	customer := &payments.Customer{FirstName: "Budi", LastName: "Utomo", Email: "budi@example.com", Phone: "081223323423"}
	card := midtranstest.CardToken("4811111111111114")
	noAuth := ptr(false)

	vaCheck := func(bank string) func(*testing.T, *midtrans.TransactionResponse, payments.Instructions, midtranstest.Transaction) {
		return func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, tr midtranstest.Transaction) {
			if in.Bank != bank || in.VANumber == "" || in.VANumber != tr.VANumber {
				t.Errorf("VA %q at %q, simulator has %q", in.VANumber, in.Bank, tr.VANumber)
			}
		}
	}
	status := func(want string) func(*testing.T, *midtrans.TransactionResponse, payments.Instructions, midtranstest.Transaction) {
		return func(t *testing.T, resp *midtrans.TransactionResponse, _ payments.Instructions, _ midtranstest.Transaction) {
			if resp.TransactionStatus != want {
				t.Errorf("transaction_status %q, want %q", resp.TransactionStatus, want)
			}
		}
	}
	both := func(fs ...func(*testing.T, *midtrans.TransactionResponse, payments.Instructions, midtranstest.Transaction)) func(*testing.T, *midtrans.TransactionResponse, payments.Instructions, midtranstest.Transaction) {
		return func(t *testing.T, r *midtrans.TransactionResponse, in payments.Instructions, tr midtranstest.Transaction) {
			for _, f := range fs {
				f(t, r, in, tr)
			}
		}
	}

	cases := []simCase{
		{"card 3ds", methods.NewCard(), payments.ChargeRequest{Amount: 44000, Items: items, Customer: customer,
			Options: methods.CardOptions{TokenID: card}},
			both(status("pending"), func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.RedirectURL == "" || in.Card == nil || in.Card.MaskedCard != "48111111-1114" || in.Card.ThreeDSVersion != "2" {
					t.Errorf("3DS instructions %+v card %+v", in, in.Card)
				}
			})},
		{"card sale", methods.NewCard(), payments.ChargeRequest{Amount: 44000, Options: &methods.CardOptions{TokenID: card, Authentication: noAuth}},
			both(status("capture"), func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.Card == nil || in.Card.ApprovalCode == "" || in.Card.Bank != "bni" || in.ChannelResponseCode != "00" {
					t.Errorf("card %+v, instructions %+v", in.Card, in)
				}
			})},
		{"card authorize", methods.NewCard(), payments.ChargeRequest{Amount: 44000,
			Options: methods.CardOptions{TokenID: card, Authentication: noAuth, Authorize: true, Bank: "bca"}},
			both(status("authorize"), func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.Card == nil || in.Card.Bank != "bca" || in.Card.ECI != "05" {
					t.Errorf("card %+v", in.Card)
				}
			})},
		{"card installment", methods.NewCard(), payments.ChargeRequest{Amount: 1200000,
			Options: methods.CardOptions{TokenID: card, Authentication: noAuth, Bank: "bni", InstallmentTerm: 6, InstallmentTerms: []int{3, 6}}},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.Card == nil || in.Card.InstallmentTerm != 6 {
					t.Errorf("card %+v", in.Card)
				}
			}},
		{"bca va", methods.NewBCAVA(), payments.ChargeRequest{Amount: 44000, Customer: customer}, vaCheck("bca")},
		{"bca va options", methods.NewBCAVA(), payments.ChargeRequest{Amount: 44000, Options: methods.VAOptions{VANumber: "111111",
			SubCompanyCode: "00000", FreeText: &midtrans.FreeText{Inquiry: []midtrans.FreeTextItem{{ID: "Bayar pesanan", EN: "Pay the order"}}}}},
			both(vaCheck("bca"), func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if !strings.HasSuffix(in.VANumber, "111111") {
					t.Errorf("custom VA number not used: %q", in.VANumber)
				}
			})},
		{"bni va", methods.NewBNIVA(), payments.ChargeRequest{Amount: 44000, Customer: customer}, vaCheck("bni")},
		{"bri va", methods.NewBRIVA(), payments.ChargeRequest{Amount: 44000}, vaCheck("bri")},
		{"cimb va", methods.NewCIMBVA(), payments.ChargeRequest{Amount: 44000}, vaCheck("cimb")},
		{"permata va", methods.NewPermataVA(), payments.ChargeRequest{Amount: 44000, Options: methods.VAOptions{RecipientName: "BUDI UTOMO"}},
			vaCheck("permata")},
		{"va custom expiry", methods.NewBRIVA(), payments.ChargeRequest{Amount: 44000, Expiry: 2 * time.Hour},
			func(t *testing.T, resp *midtrans.TransactionResponse, _ payments.Instructions, tr midtranstest.Transaction) {
				exp, err := midtrans.ParseTime(resp.ExpiryTime)
				if err != nil || time.Until(exp) < 119*time.Minute || time.Until(exp) > 121*time.Minute {
					t.Errorf("expiry_time %q (%v), want two hours from now", resp.ExpiryTime, err)
				}
			}},
		{"echannel", methods.NewEChannel(), payments.ChargeRequest{Amount: 44000},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, tr midtranstest.Transaction) {
				if in.BillKey == "" || in.BillKey != tr.BillKey || in.BillerCode != "70012" {
					t.Errorf("bill key %q biller %q, simulator %q", in.BillKey, in.BillerCode, tr.BillKey)
				}
			}},
		{"echannel bill key", methods.NewEChannel(), payments.ChargeRequest{Amount: 44000, Options: methods.EChannelOptions{BillKey: "081211111111"}},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.BillKey != "081211111111" {
					t.Errorf("bill key %q", in.BillKey)
				}
			}},
		{"gopay", methods.NewGoPay(), payments.ChargeRequest{Amount: 44000, Items: items, Customer: customer,
			Options: methods.GoPayOptions{CallbackURL: "https://shop.example/gopay/finish"}},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				_, hasStatus := in.Action(payments.ActionGetStatus)
				if in.QRImageURL == "" || in.DeeplinkURL == "" || !hasStatus {
					t.Errorf("gopay instructions %+v", in)
				}
			}},
		{"shopeepay", methods.NewShopeePay(), payments.ChargeRequest{Amount: 44000, Options: methods.ShopeePayOptions{CallbackURL: "myshop://paid"}},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.DeeplinkURL == "" {
					t.Errorf("shopeepay instructions %+v", in)
				}
			}},
		{"qris", methods.NewQRIS(), payments.ChargeRequest{Amount: 44000},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, tr midtranstest.Transaction) {
				if in.QRString == "" || in.QRString != tr.QRString || in.QRImageURL == "" || in.Acquirer != "gopay" {
					t.Errorf("qris instructions %+v", in)
				}
			}},
		{"qris shopee", methods.NewQRIS(), payments.ChargeRequest{Amount: 44000, Options: methods.QRISOptions{Acquirer: methods.AcquirerAirpayShopee}},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.Acquirer != "airpay shopee" || in.QRString == "" {
					t.Errorf("qris instructions %+v", in)
				}
			}},
		{"indomaret", methods.NewIndomaret(), payments.ChargeRequest{Amount: 44000, Options: methods.CStoreOptions{Message: "Pesanan 42"}},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, tr midtranstest.Transaction) {
				if in.Store != "indomaret" || in.PaymentCode == "" || in.PaymentCode != tr.PaymentCode {
					t.Errorf("store %q code %q", in.Store, in.PaymentCode)
				}
			}},
		{"alfamart", methods.NewAlfamart(), payments.ChargeRequest{Amount: 44000, Items: items,
			Options: methods.CStoreOptions{AlfamartFreeText1: "Terima kasih"}},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.Store != "alfamart" || in.PaymentCode == "" {
					t.Errorf("store %q code %q", in.Store, in.PaymentCode)
				}
			}},
		{"akulaku", methods.NewAkulaku(), payments.ChargeRequest{Amount: 44000, Items: items, Customer: customer},
			func(t *testing.T, _ *midtrans.TransactionResponse, in payments.Instructions, _ midtranstest.Transaction) {
				if in.RedirectURL == "" {
					t.Errorf("akulaku instructions %+v", in)
				}
			}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.req.OrderID = fmt.Sprintf("sim-%d", i)
			c.req.Method = c.method.Name()
			var v payments.ValidationError
			c.method.Validate(&c.req, &v)
			if err := v.Err(); err != nil {
				t.Fatal(err)
			}
			out, err := c.method.Build(&c.req)
			if err != nil || out.Core == nil {
				t.Fatalf("Build: %+v, %v", out, err)
			}
			resp, err := client.Charge(ctx, out.Core)
			if err != nil {
				t.Fatalf("the simulator refused the request: %v", err)
			}
			tr, ok := sim.Transaction(c.req.OrderID)
			if !ok {
				t.Fatal("the simulator has no transaction")
			}
			c.check(t, resp, payments.ParseInstructions(resp), tr)
		})
	}
}

// A card saved on the first charge pays the second one with its saved
// token (one-click), and a 3DS charge is paid by completing 3DS.
func TestSimulatorCardFlows(t *testing.T) {
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	client := simClient(t, sim)
	ctx := context.Background()
	m := methods.NewCard()
	charge := func(orderID string, o methods.CardOptions) payments.Instructions {
		t.Helper()
		req := payments.ChargeRequest{OrderID: orderID, Method: m.Name(), Amount: 25000, Options: o}
		var v payments.ValidationError
		if m.Validate(&req, &v); v.Err() != nil {
			t.Fatal(v.Err())
		}
		out, err := m.Build(&req)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Charge(ctx, out.Core)
		if err != nil {
			t.Fatal(err)
		}
		return payments.ParseInstructions(resp)
	}

	first := charge("oneclick-1", methods.CardOptions{TokenID: midtranstest.CardToken("4811111111111114"), Authentication: ptr(false), SaveToken: true})
	if first.Card == nil || first.Card.SavedTokenID == "" || first.Card.SavedTokenExpiresAt.IsZero() {
		t.Fatalf("no saved token: %+v", first.Card)
	}
	second := charge("oneclick-2", methods.CardOptions{SavedTokenID: first.Card.SavedTokenID, Authentication: ptr(false)})
	if second.Card == nil || second.Card.ApprovalCode == "" || second.Card.MaskedCard != "48111111-1114" {
		t.Fatalf("one-click charge: %+v", second.Card)
	}

	charge("3ds-1", methods.CardOptions{TokenID: midtranstest.CardToken("4811111111111114")})
	if err := sim.Pay("3ds-1"); err != nil {
		t.Fatal(err)
	}
	st, err := client.Status(ctx, "3ds-1")
	if err != nil {
		t.Fatal(err)
	}
	in := payments.ParseInstructions(st)
	if st.TransactionStatus != "capture" || in.Card == nil || in.Card.ApprovalCode == "" {
		t.Fatalf("after 3DS: %s %+v", st.TransactionStatus, in.Card)
	}
}

// DANA goes through Snap; once the customer picks DANA the transaction is
// known by its transaction id only.
func TestSimulatorDana(t *testing.T) {
	sim := midtranstest.NewServer(midtranstest.Config{})
	t.Cleanup(sim.Close)
	client := simClient(t, sim)
	ctx := context.Background()
	m := methods.NewDana()
	req := payments.ChargeRequest{OrderID: "dana-1", Method: "dana", Amount: 30000, Expiry: 30 * time.Minute,
		Options: methods.DanaOptions{CallbackURL: "https://shop.example/dana/finish"}}
	var v payments.ValidationError
	if m.Validate(&req, &v); v.Err() != nil {
		t.Fatal(v.Err())
	}
	out, err := m.Build(&req)
	if err != nil || out.Snap == nil {
		t.Fatalf("Build: %+v, %v", out, err)
	}
	snap, err := client.CreateSnapTransaction(ctx, out.Snap)
	if err != nil {
		t.Fatalf("the simulator refused the Snap request: %v", err)
	}
	if snap.Token == "" || snap.RedirectURL == "" {
		t.Fatalf("snap answer %+v", snap)
	}
	if err := sim.SelectSnapPayment("dana-1", "dana"); err != nil {
		t.Fatal(err)
	}
	tr, _ := sim.Transaction("dana-1")
	if _, err := client.Status(ctx, "dana-1"); err == nil {
		t.Error("DANA answered a status by order id; want transaction id only")
	}
	st, err := client.Status(ctx, tr.TransactionID, midtrans.WithHeader("transaction-source", "SNAP_API"))
	if err != nil {
		t.Fatal(err)
	}
	if st.PaymentType != "dana" || !strings.EqualFold(st.TransactionStatus, "pending") {
		t.Fatalf("status %s %s", st.PaymentType, st.TransactionStatus)
	}
	if !m.Capabilities().TransactionIDOnly {
		t.Error("dana must be TransactionIDOnly")
	}
}

package methods_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/methods"
	"github.com/nusapay/payments/midtrans"
)

func build(t *testing.T, m payments.Method, req payments.ChargeRequest) payments.Request {
	t.Helper()
	if req.OrderID == "" {
		req.OrderID, req.Amount = "order-1", 50000
	}
	req.Method = m.Name()
	out, err := m.Build(&req)
	if err != nil {
		t.Fatalf("%s: Build: %v", m.Name(), err)
	}
	return out
}

func TestBuildCard(t *testing.T) {
	c := methods.NewCard()
	if cc := build(t, c, opts(methods.CardOptions{TokenID: "tok"})).Core.CreditCard; !cc.Authentication || cc.Type != "" {
		t.Errorf("default: 3DS must be on and the type a sale: %+v", cc)
	}
	if cc := build(t, c, opts(methods.CardOptions{TokenID: "tok", Authentication: ptr(false)})).Core.CreditCard; cc.Authentication {
		t.Errorf("Authentication false is not honoured: %+v", cc)
	}
	cc := build(t, c, opts(methods.CardOptions{SavedTokenID: "saved", Authorize: true, SaveToken: true})).Core.CreditCard
	if cc.TokenID != "saved" || cc.Type != "authorize" || !cc.SaveTokenID {
		t.Errorf("saved token, authorize: %+v", cc)
	}

	// The request shares no slice with the options: the Service may adjust it.
	o := methods.CardOptions{TokenID: "tok", Bins: []string{"48111111"}}
	out := build(t, c, opts(&o))
	out.Core.CreditCard.Bins[0] = "changed"
	if o.Bins[0] != "48111111" {
		t.Error("the built request shares Bins with the options")
	}
}

func TestBuildVirtualAccount(t *testing.T) {
	ft := &midtrans.FreeText{Inquiry: []midtrans.FreeTextItem{{ID: "a", EN: "b"}}}
	o := methods.VAOptions{FreeText: ft, SubCompanyCode: "00000"}
	out := build(t, methods.NewBCAVA(), opts(o))
	out.Core.BankTransfer.FreeText.Inquiry[0].ID = "changed"
	if ft.Inquiry[0].ID != "a" {
		t.Error("the built request shares FreeText with the options")
	}
	p := build(t, methods.NewPermataVA(), opts(methods.VAOptions{RecipientName: "BUDI"})).Core
	if p.PaymentType != "bank_transfer" || p.BankTransfer.Bank != "permata" || p.BankTransfer.Permata.RecipientName != "BUDI" {
		t.Errorf("permata: %+v %+v", p, p.BankTransfer)
	}
}

func TestBuildDefaults(t *testing.T) {
	e := build(t, methods.NewEChannel(), opts(methods.EChannelOptions{BillInfo2: "Order 42"})).Core.EChannel
	if e.BillInfo1 != methods.DefaultBillInfo1 || e.BillInfo2 != "Order 42" {
		t.Errorf("echannel: %+v", e)
	}
	if q := build(t, methods.NewQRIS(), opts(nil)).Core.QRIS; q.Acquirer != "gopay" {
		t.Errorf("qris: %+v", q)
	}
	if g := build(t, methods.NewGoPay(), opts(nil)).Core; g.GoPay != nil {
		t.Errorf("gopay without options sends %+v", g.GoPay)
	}
	if s := build(t, methods.NewShopeePay(), opts(nil)).Core; s.ShopeePay != nil {
		t.Errorf("shopeepay without options sends %+v", s.ShopeePay)
	}
	// Indomaret has no receipt lines; they are never sent there.
	i := build(t, methods.NewIndomaret(), opts(methods.CStoreOptions{AlfamartFreeText1: "x"})).Core.CStore
	if i.Store != "indomaret" || i.AlfamartFreeText1 != "" {
		t.Errorf("indomaret: %+v", i)
	}
}

func TestBuildDana(t *testing.T) {
	out := build(t, methods.NewDana(), payments.ChargeRequest{OrderID: "o-1", Amount: 10000, Expiry: 30 * time.Minute})
	if out.Core != nil || out.Snap == nil {
		t.Fatalf("want a Snap request only: %+v", out)
	}
	if !slices.Equal(out.Snap.EnabledPayments, []string{"dana"}) || out.Snap.Dana != nil {
		t.Errorf("snap: %+v", out.Snap)
	}
	if e := out.Snap.Expiry; e == nil || e.Duration != 30 || e.Unit != "minute" {
		t.Errorf("expiry: %+v", e)
	}
}

// A caller who skipped Validate gets an error, never a panic or a request
// built from the wrong options.
func TestBuildRefusesForeignOptions(t *testing.T) {
	for _, m := range methods.Default() {
		if m.NewOptions() == nil {
			continue
		}
		req := payments.ChargeRequest{OrderID: "o-1", Method: m.Name(), Amount: 10000, Options: json.RawMessage(`{}`)}
		if _, err := m.Build(&req); err == nil {
			t.Errorf("%s: Build accepted options of type %T", m.Name(), req.Options)
		}
	}
}

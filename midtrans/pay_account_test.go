package midtrans_test

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// bodies collects notification bodies POSTed to it.
type bodies struct {
	mu  sync.Mutex
	got [][]byte
}

func (b *bodies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.got = append(b.got, data)
	b.mu.Unlock()
}

func (b *bodies) all() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.got...)
}

func linkReq(phone string) *midtrans.PaymentAccountRequest {
	return &midtrans.PaymentAccountRequest{PaymentType: "gopay",
		GoPayPartner: &midtrans.GoPayPartner{PhoneNumber: phone, CountryCode: "62", RedirectURL: "https://shop.example/linked"}}
}

func TestPaymentAccountLifecycle(t *testing.T) {
	recv := &bodies{}
	hook := httptest.NewServer(recv)
	t.Cleanup(hook.Close)
	sim := newSim(t)
	sim.SetNotificationURL(hook.URL)
	c := simClient(t, sim, nil)
	ctx := ctxT(t)

	linked, err := c.LinkPaymentAccount(ctx, linkReq("81212345678"))
	if err != nil {
		t.Fatal(err)
	}
	act, ok := linked.Action(midtrans.ActionActivationLinkURL)
	if linked.StatusCode != "201" || linked.AccountStatus != midtrans.AccountPending || linked.AccountID == "" || !ok {
		t.Fatalf("link: %+v", linked)
	}
	if _, ok := linked.Action(midtrans.ActionActivationLinkApp); !ok {
		t.Errorf("link: no %s action: %s", midtrans.ActionActivationLinkApp, linked.Raw)
	}
	got, err := c.GetPaymentAccount(ctx, linked.AccountID)
	if err != nil || got.StatusCode != "201" || got.AccountStatus != midtrans.AccountPending || got.Metadata != nil {
		t.Fatalf("get pending: %+v, %v", got, err)
	}

	// The customer confirms on the activation page.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Post(act.URL, "application/x-www-form-urlencoded", strings.NewReader("action=confirm"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://shop.example/linked" {
		t.Fatalf("activation: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	notes := recv.all()
	if len(notes) != 1 || !midtrans.IsPaymentAccountNotification(notes[0]) {
		t.Fatalf("notifications: %q", notes)
	}
	n, err := midtrans.ParsePaymentAccountNotification(notes[0])
	if err != nil || n.AccountID != linked.AccountID || n.AccountStatus != midtrans.AccountEnabled || n.StatusCode != "200" {
		t.Fatalf("notification: %+v, %v", n, err)
	}
	sum := sha512.Sum512([]byte(n.AccountID + n.AccountStatus + n.StatusCode + sim.ServerKey()))
	if n.SignatureKey != hex.EncodeToString(sum[:]) || !c.VerifyPaymentAccountSignature(n.AccountID, n.AccountStatus, n.StatusCode, n.SignatureKey) {
		t.Errorf("notification signature %s does not verify", n.SignatureKey)
	}
	if c.VerifyPaymentAccountSignature(n.AccountID, midtrans.AccountDisabled, n.StatusCode, n.SignatureKey) {
		t.Error("a signature verified for another account_status")
	}

	got, err = c.GetPaymentAccount(ctx, linked.AccountID)
	if err != nil || got.StatusCode != "200" || got.AccountStatus != midtrans.AccountEnabled || got.Metadata == nil {
		t.Fatalf("get enabled: %+v, %v", got, err)
	}
	var wallet midtrans.PaymentOption
	for _, o := range got.Metadata.PaymentOptions {
		if o.Name == "GOPAY_WALLET" {
			wallet = o
		}
	}
	if !wallet.Active || wallet.Balance.Value != "1000000.00" || wallet.Balance.Currency != "IDR" || wallet.Token == "" {
		t.Fatalf("wallet option: %+v", wallet)
	}
	if masked := string(midtrans.MaskPayload(got.Raw)); strings.Contains(masked, wallet.Token) {
		t.Errorf("MaskPayload kept the payment option token: %s", masked)
	}

	// A charge from the linked account settles at once, without a deeplink.
	req := charge("linked-1", "gopay")
	req.GoPay = &midtrans.GoPay{AccountID: linked.AccountID, PaymentOptionToken: wallet.Token}
	res, err := c.Charge(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != "200" || res.TransactionStatus != "settlement" || len(res.Actions) != 0 {
		t.Fatalf("linked charge: %s", res.Raw)
	}
	if a, _ := sim.PayAccount(linked.AccountID); a.Balances["GOPAY_WALLET"] != midtranstest.DefaultWalletBalance-44000 {
		t.Errorf("balance after the charge: %d", a.Balances["GOPAY_WALLET"])
	}
	st, err := c.Status(ctx, "linked-1")
	if err != nil || st.TransactionStatus != "settlement" {
		t.Fatalf("status: %+v, %v", st, err)
	}

	// Beyond the balance: denied.
	if err := sim.SetPayAccountBalance(linked.AccountID, "GOPAY_WALLET", 1000); err != nil {
		t.Fatal(err)
	}
	res, err = c.Charge(ctx, func() *midtrans.ChargeRequest { r := charge("linked-2", "gopay"); r.GoPay = req.GoPay; return r }())
	if err != nil || res.StatusCode != "202" || res.TransactionStatus != "deny" {
		t.Fatalf("charge beyond the balance: %+v, %v", res, err)
	}

	// A token that is not the account's: 400, nothing made.
	bad := charge("linked-3", "gopay")
	bad.GoPay = &midtrans.GoPay{AccountID: linked.AccountID, PaymentOptionToken: "not-a-token"}
	if _, err := c.Charge(ctx, bad); !errors.Is(err, midtrans.ErrValidation) {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := c.Status(ctx, "linked-3"); !errors.Is(err, midtrans.ErrNotFound) {
		t.Errorf("a refused charge made a transaction: %v", err)
	}

	// Unlink: 204 DISABLED is a result; the token stops working.
	un, err := c.UnlinkPaymentAccount(ctx, linked.AccountID)
	if err != nil || un.StatusCode != "204" || un.AccountStatus != midtrans.AccountDisabled {
		t.Fatalf("unlink: %+v, %v", un, err)
	}
	got, err = c.GetPaymentAccount(ctx, linked.AccountID)
	if err != nil || got.StatusCode != "204" || got.AccountStatus != midtrans.AccountDisabled {
		t.Fatalf("get disabled: %+v, %v", got, err)
	}
	again := charge("linked-4", "gopay")
	again.GoPay = req.GoPay
	if _, err := c.Charge(ctx, again); !errors.Is(err, midtrans.ErrValidation) {
		t.Fatalf("charge with an unlinked account's token: %v", err)
	}
	if err := sim.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var unlinked *midtrans.PaymentAccountResponse
	for _, b := range recv.all() {
		if midtrans.IsPaymentAccountNotification(b) {
			if n, err := midtrans.ParsePaymentAccountNotification(b); err == nil && n.AccountStatus == midtrans.AccountDisabled {
				unlinked = n
			}
		}
	}
	if unlinked == nil || unlinked.StatusCode != "204" ||
		!c.VerifyPaymentAccountSignature(unlinked.AccountID, unlinked.AccountStatus, unlinked.StatusCode, unlinked.SignatureKey) {
		t.Fatalf("no verifiable unlinking notification: %+v", unlinked)
	}
}

func TestPaymentAccountErrors(t *testing.T) {
	sim := newSim(t)
	c := simClient(t, sim, nil)
	ctx := ctxT(t)

	if _, err := c.GetPaymentAccount(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, midtrans.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if _, err := c.UnlinkPaymentAccount(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, midtrans.ErrNotFound) {
		t.Errorf("unlink unknown account: %v", err)
	}
	if _, err := c.LinkPaymentAccount(ctx, linkReq("0812")); !errors.Is(err, midtrans.ErrValidation) {
		t.Errorf("bad phone: %v", err)
	}
	for name, req := range map[string]*midtrans.PaymentAccountRequest{
		"nil": nil, "no type": {}, "no partner": {PaymentType: "gopay"},
	} {
		if _, err := c.LinkPaymentAccount(ctx, req); !errors.Is(err, midtrans.ErrInvalidRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, id := range []string{"", ".", ".."} {
		if _, err := c.GetPaymentAccount(ctx, id); !errors.Is(err, midtrans.ErrInvalidRequest) {
			t.Errorf("GetPaymentAccount(%q): %v", id, err)
		}
	}
	before := len(sim.Calls())
	if _, err := c.LinkPaymentAccount(ctx, nil); err == nil || len(sim.Calls()) != before {
		t.Error("an invalid request was sent")
	}

	// A read is retried through a transient failure; a link without an
	// idempotency key is not.
	linked, err := c.LinkPaymentAccount(ctx, linkReq("81299990000"))
	if err != nil {
		t.Fatal(err)
	}
	sim.FailNext(1, 503)
	if got, err := c.GetPaymentAccount(ctx, linked.AccountID); err != nil || got.AccountStatus != midtrans.AccountPending {
		t.Errorf("get after a 503: %+v, %v", got, err)
	}
	sim.FailNext(1, 503)
	if _, err := c.LinkPaymentAccount(ctx, linkReq("81299990001")); !errors.Is(err, midtrans.ErrUpstreamUnavailable) {
		t.Errorf("link through a 503: %v", err)
	}
	sim.FailNext(1, 503)
	if got, err := c.LinkPaymentAccount(ctx, linkReq("81299990001"), midtrans.WithIdempotencyKey("link-81299990001")); err != nil || got.AccountStatus != midtrans.AccountPending {
		t.Errorf("keyed link through a 503: %+v, %v", got, err)
	}

	// Expired: 204, a result.
	if err := sim.ExpirePayAccount(linked.AccountID); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetPaymentAccount(ctx, linked.AccountID); err != nil || got.StatusCode != "204" || got.AccountStatus != midtrans.AccountExpired {
		t.Errorf("expired: %+v, %v", got, err)
	}
	if err := sim.ActivatePayAccount(linked.AccountID); !errors.Is(err, midtranstest.ErrInvalidState) {
		t.Errorf("activating an expired account: %v", err)
	}
}

func TestPaymentAccountNotificationShape(t *testing.T) {
	// The unbind notification sample of the docs, re-signed with a known key.
	key := "SB-Mid-server-test"
	body := map[string]string{"account_id": "00000269-7836-49e5-bc65-e592afafec14", "merchant_id": "M099098",
		"payment_type": "gopay", "status_code": "204", "account_status": "DISABLED",
		"status_message": "Midtrans account_unlinked notification"}
	body["signature_key"] = midtrans.PaymentAccountSignature(body["account_id"], body["account_status"], body["status_code"], key)
	raw, _ := json.Marshal(body)
	if !midtrans.IsPaymentAccountNotification(raw) {
		t.Fatal("not recognised as a pay account notification")
	}
	n, err := midtrans.ParsePaymentAccountNotification(raw)
	if err != nil || !midtrans.VerifyPaymentAccountSignature(n.AccountID, n.AccountStatus, n.StatusCode, n.SignatureKey, key) {
		t.Fatalf("%+v, %v", n, err)
	}
	for _, other := range []string{`{"order_id":"A","account_id":"x"}`, `{"order_id":"A"}`, `[]`, `not json`, `{"account_id":null}`} {
		if midtrans.IsPaymentAccountNotification([]byte(other)) {
			t.Errorf("%s taken for a pay account notification", other)
		}
	}
}

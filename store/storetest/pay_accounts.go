package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nusapay/payments"
)

func newPayAccount(id, customer string) *payments.PaymentAccount {
	return &payments.PaymentAccount{ID: "pa-" + id, AccountID: id, CustomerID: customer, PaymentType: "gopay",
		Status: payments.PayAccountPending, ActivationURL: "https://sim.example/v2/gopay/redirect/gpar_" + id + "/link"}
}

func enabledChange(id string, wallet payments.Amount, token string) *payments.PaymentAccountChange {
	return &payments.PaymentAccountChange{AccountID: id, Status: payments.PayAccountEnabled, HasOptions: true,
		Options: []payments.PayAccountOption{
			{Name: "GOPAY_WALLET", Active: true, Balance: wallet, Currency: "IDR", Token: payments.SecretToken(token)},
			{Name: "PAY_LATER", Active: true, Balance: 350000, Currency: "IDR", Token: payments.SecretToken(token + "-later")},
		}}
}

// testPayAccounts: create, read back, per-account scoping, uniqueness by
// constraint, a customer's accounts newest first, tokens kept exactly.
func testPayAccounts(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	other := s.ForAccount("pay-other")
	a := newPayAccount("acc-1", "cust-1")
	if err := s.CreatePaymentAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a.Account != payments.DefaultAccount || a.Version != 1 || a.CreatedAt.IsZero() || !a.UpdatedAt.Equal(a.CreatedAt) {
		t.Errorf("created: %+v", a)
	}
	got, err := s.PaymentAccount(ctx, "acc-1")
	if err != nil || got.ID != a.ID || got.CustomerID != "cust-1" || got.Status != payments.PayAccountPending ||
		got.ActivationURL != a.ActivationURL || !got.CreatedAt.Equal(a.CreatedAt) || len(got.Options) != 0 {
		t.Fatalf("read back: %+v, %v", got, err)
	}
	if err := s.CreatePaymentAccount(ctx, newPayAccount("acc-1", "cust-2")); !errors.Is(err, payments.ErrDuplicatePayAccount) {
		t.Errorf("duplicate account_id: %v", err)
	}
	// Another merchant account neither sees it nor collides with it.
	if _, err := other.PaymentAccount(ctx, "acc-1"); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("another account read it: %v", err)
	}
	otherRow := newPayAccount("acc-1", "cust-1")
	otherRow.ID = "pa-acc-1-other"
	if err := other.CreatePaymentAccount(ctx, otherRow); err != nil {
		t.Errorf("the same account_id in another account: %v", err)
	}
	if _, _, err := other.UpdatePaymentAccount(ctx, enabledChange("acc-x", 1, "t")); !errors.Is(err, payments.ErrNotFound) {
		t.Errorf("update of an unknown account: %v", err)
	}

	time.Sleep(5 * time.Millisecond)
	b := newPayAccount("acc-2", "cust-1")
	if err := s.CreatePaymentAccount(ctx, b); err != nil {
		t.Fatal(err)
	}
	list, err := s.CustomerPaymentAccounts(ctx, "cust-1")
	if err != nil || len(list) != 2 || list[0].AccountID != "acc-2" || list[1].AccountID != "acc-1" {
		t.Fatalf("customer's accounts: %v, %v", ids(list), err)
	}
	if list, err := s.CustomerPaymentAccounts(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Errorf("nobody's accounts: %v, %v", ids(list), err)
	}

	token := "eyJ0eXBlIjogIkdPUEFZX1dBTExFVCIsICJpZCI6ICIifQ=="
	up, changed, err := s.UpdatePaymentAccount(ctx, enabledChange("acc-1", 1000000, token))
	if err != nil || !changed || up.Status != payments.PayAccountEnabled || up.Version != 2 || up.ActivationURL != "" {
		t.Fatalf("enable: %+v, %v, %v", up, changed, err)
	}
	got, err = s.PaymentAccount(ctx, "acc-1")
	if err != nil {
		t.Fatal(err)
	}
	w, ok := got.Option("GOPAY_WALLET")
	if !ok || w.Token.Reveal() != token || w.Balance != 1000000 || w.Currency != "IDR" || !w.Active || len(got.Options) != 2 {
		t.Fatalf("options read back: %+v", got.Options)
	}
	if s := fmt.Sprintf("%v %+v %#v", got, got, got); strings.Contains(s, token) {
		t.Errorf("a printed account shows its token: %s", s)
	}
	// The same report again changes nothing.
	if _, changed, err := s.UpdatePaymentAccount(ctx, enabledChange("acc-1", 1000000, token)); err != nil || changed {
		t.Errorf("a repeated report: changed=%v, %v", changed, err)
	}
	if _, err := other.PaymentAccount(ctx, "acc-1"); err != nil {
		t.Fatal(err)
	} else if o, _ := other.PaymentAccount(ctx, "acc-1"); o.Status != payments.PayAccountPending {
		t.Errorf("another account's row changed: %+v", o)
	}
}

// testPayAccountPlan: the store follows PlanPaymentAccount — disabled is
// final, tokens go with it, an unknown status is refused and writes nothing.
func testPayAccountPlan(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	if err := s.CreatePaymentAccount(ctx, newPayAccount("acc-plan", "cust-plan")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.UpdatePaymentAccount(ctx, &payments.PaymentAccountChange{AccountID: "acc-plan", Status: "LINKED"}); err == nil {
		t.Error("an unknown status was stored")
	}
	if _, _, err := s.UpdatePaymentAccount(ctx, enabledChange("acc-plan", 5000, "tok")); err != nil {
		t.Fatal(err)
	}
	// A notification-like report without options keeps the options.
	a, changed, err := s.UpdatePaymentAccount(ctx, &payments.PaymentAccountChange{AccountID: "acc-plan", Status: payments.PayAccountEnabled})
	if err != nil || changed || len(a.Options) != 2 {
		t.Errorf("enabled without options: %+v, %v, %v", a, changed, err)
	}
	a, changed, err = s.UpdatePaymentAccount(ctx, &payments.PaymentAccountChange{AccountID: "acc-plan", Status: payments.PayAccountDisabled})
	if err != nil || !changed || a.Status != payments.PayAccountDisabled || len(a.Options) != 0 {
		t.Fatalf("disable: %+v, %v, %v", a, changed, err)
	}
	a, changed, err = s.UpdatePaymentAccount(ctx, enabledChange("acc-plan", 5000, "tok"))
	if err != nil || changed || a.Status != payments.PayAccountDisabled {
		t.Errorf("a late enabled report revived a disabled account: %+v, %v, %v", a, changed, err)
	}
	got, err := s.PaymentAccount(ctx, "acc-plan")
	if err != nil || got.Status != payments.PayAccountDisabled || len(got.Options) != 0 || got.Version != 3 {
		t.Errorf("stored: %+v, %v", got, err)
	}
}

// testConcurrentPayAccountUpdates: concurrent reports each see the row
// under its lock; the version counts every applied change exactly once.
func testConcurrentPayAccountUpdates(t *testing.T, s payments.Store) {
	ctx := ctxT(t)
	if err := s.CreatePaymentAccount(ctx, newPayAccount("acc-race", "cust-race")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, changed, err := s.UpdatePaymentAccount(ctx, enabledChange("acc-race", payments.Amount(1000+i), "tok"))
			if err != nil {
				t.Error(err)
				return
			}
			if changed {
				mu.Lock()
				applied++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got, err := s.PaymentAccount(ctx, "acc-race")
	if err != nil {
		t.Fatal(err)
	}
	if applied == 0 || got.Version != int64(1+applied) || got.Status != payments.PayAccountEnabled {
		t.Errorf("%d applied, stored %+v", applied, got)
	}
}

func ids(as []*payments.PaymentAccount) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.AccountID
	}
	return out
}

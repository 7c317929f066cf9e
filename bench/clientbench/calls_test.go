package clientbench

import (
	"context"
	"fmt"
	"strings"

	"github.com/nusapay/payments/midtrans"
)

// operation is one API call made the same way by both clients. Each func
// makes one call and fails unless the answer is the expected one, so a
// benchmark cannot time a fast failure.
type operation struct {
	name string
	// fresh: the call creates a transaction and needs an unused order id;
	// otherwise it reads pair.statusOrder.
	fresh    bool
	ours     func(ctx context.Context, p *pair, orderID string) error
	official func(ctx context.Context, p *pair, orderID string) error
}

var operations = []operation{
	{name: "charge", fresh: true, ours: ourChargeCall, official: officialChargeCall},
	{name: "status", ours: ourStatusCall, official: officialStatusCall},
	{name: "snap", fresh: true, ours: ourSnapCall, official: officialSnapCall},
}

func ourChargeCall(ctx context.Context, p *pair, orderID string) error {
	r, err := p.ours.Charge(ctx, ourCharge(orderID))
	if err != nil {
		return err
	}
	return checkPending(r.StatusCode, r.TransactionStatus, r.OrderID, orderID, len(r.VANumbers), vaBank(r.VANumbers))
}

func officialChargeCall(_ context.Context, p *pair, orderID string) error {
	r, mErr := p.official.ChargeTransaction(officialCharge(orderID))
	if mErr != nil {
		return mErr
	}
	bank := ""
	if len(r.VaNumbers) > 0 {
		bank = r.VaNumbers[0].Bank
	}
	return checkPending(r.StatusCode, r.TransactionStatus, r.OrderID, orderID, len(r.VaNumbers), bank)
}

func ourStatusCall(ctx context.Context, p *pair, orderID string) error {
	r, err := p.ours.Status(ctx, orderID)
	if err != nil {
		return err
	}
	return checkPending(r.StatusCode, r.TransactionStatus, r.OrderID, orderID, len(r.VANumbers), vaBank(r.VANumbers))
}

func officialStatusCall(_ context.Context, p *pair, orderID string) error {
	r, mErr := p.official.CheckTransaction(orderID)
	if mErr != nil {
		return mErr
	}
	bank := ""
	if len(r.VaNumbers) > 0 {
		bank = r.VaNumbers[0].Bank
	}
	return checkPending(r.StatusCode, r.TransactionStatus, r.OrderID, orderID, len(r.VaNumbers), bank)
}

func ourSnapCall(ctx context.Context, p *pair, orderID string) error {
	r, err := p.ours.CreateSnapTransaction(ctx, ourSnap(orderID))
	if err != nil {
		return err
	}
	return checkSnap(r.Token, r.RedirectURL, p.sim.URL())
}

func officialSnapCall(_ context.Context, p *pair, orderID string) error {
	r, mErr := p.snap.CreateTransaction(officialSnap(orderID))
	if mErr != nil {
		return mErr
	}
	return checkSnap(r.Token, r.RedirectURL, p.sim.URL())
}

func vaBank(vas []midtrans.VANumber) string {
	if len(vas) == 0 {
		return ""
	}
	return vas[0].Bank
}

// checkPending accepts what the simulator answers for a new BCA virtual
// account, at charge and at status: 201, pending, the order, one BCA VA.
func checkPending(code, status, gotOrder, wantOrder string, vas int, bank string) error {
	if code != "201" || status != "pending" || gotOrder != wantOrder || vas != 1 || bank != "bca" {
		return fmt.Errorf("want 201 pending %s with one bca VA, got %s %s %s with %d VAs (first %q)",
			wantOrder, code, status, gotOrder, vas, bank)
	}
	return nil
}

func checkSnap(token, redirect, simURL string) error {
	if token == "" || !strings.HasPrefix(redirect, simURL+"/") || !strings.HasSuffix(redirect, token) {
		return fmt.Errorf("want a token and a redirect_url on the simulator ending in it, got %q %q", token, redirect)
	}
	return nil
}

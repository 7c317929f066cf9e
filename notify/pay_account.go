package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// A pay account notification (GoPay tokenization: an account linked, or
// unlinked from the GoPay app) has account_id and account_status and no
// order_id. It arrives at the same route when the dashboard's Pay Account
// Notification URL points there, and takes its own path: signature
// SHA512(account_id + account_status + status_code + server key), checked
// against every accepted key; then one Service call,
// ApplyPaymentAccountNotification, which confirms with Midtrans and
// commits before the answer. It does not go through the inbox: applying it
// again is harmless (the account plan is idempotent and a disabled account
// stays disabled). Unknown accounts are Ignored; a transient failure is
// Retry, so Midtrans delivers it again.

func (h *Handler) handleAccount(ctx context.Context, body []byte) Result {
	n, err := midtrans.ParsePaymentAccountNotification(body)
	if err != nil {
		return rejected("", fmt.Errorf("%w: %w", ErrMalformed, err))
	}
	if n.SignatureKey == "" {
		return Result{Kind: Ignored, AccountID: n.AccountID, Message: "unsigned notification (test ping): nothing done"}
	}
	var missing []string
	for _, f := range []struct{ name, v string }{{"account_id", n.AccountID}, {"account_status", n.AccountStatus}, {"status_code", n.StatusCode}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return Result{Kind: Rejected, Message: fmt.Sprintf("%s: missing %v", ErrMalformed, missing), Err: fmt.Errorf("%w: missing %v", ErrMalformed, missing)}
	}
	if !h.verifyAccount(n) {
		h.rejected.Add(1)
		h.log.LogAttrs(ctx, slog.LevelWarn, "notify: bad pay account signature", slog.String("account_id", clip(n.AccountID)), slog.Int("bytes", len(body)))
		return Result{Kind: Rejected, Message: ErrInvalidSignature.Error(), Err: ErrInvalidSignature}
	}
	a, err := h.svc.ApplyPaymentAccountNotification(ctx, n)
	switch {
	case errors.Is(err, payments.ErrValidation):
		return Result{Kind: Rejected, AccountID: n.AccountID, Message: err.Error(), Err: err}
	case errors.Is(err, payments.ErrNotFound):
		return Result{Kind: Ignored, AccountID: n.AccountID, Message: "unknown pay account: nothing done"}
	case err != nil:
		h.log.LogAttrs(ctx, slog.LevelError, "notify: transient failure on a pay account notification, asking Midtrans to retry",
			slog.String("account_id", n.AccountID), slog.String("error", err.Error()))
		return Result{Kind: Retry, AccountID: n.AccountID, Message: "not processed; retry later", Err: err}
	}
	return Result{Kind: Processed, AccountID: n.AccountID, Message: "pay account " + string(a.Status)}
}

// verifyAccount checks a pay account signature against every accepted key.
func (h *Handler) verifyAccount(n *midtrans.PaymentAccountResponse) bool {
	ok := h.svc.VerifyPaymentAccountSignature(n.AccountID, n.AccountStatus, n.StatusCode, n.SignatureKey)
	for _, k := range h.keys {
		if midtrans.VerifyPaymentAccountSignature(n.AccountID, n.AccountStatus, n.StatusCode, n.SignatureKey, k) {
			ok = true
		}
	}
	return ok
}

// SignedPaymentAccount returns a pay account notification body with a
// correct signature_key under serverKey — for tests.
func SignedPaymentAccount(serverKey, accountID, accountStatus, statusCode string) []byte {
	b, _ := json.Marshal(map[string]string{
		"account_id": accountID, "account_status": accountStatus, "status_code": statusCode, "payment_type": "gopay",
		"status_message": "Midtrans account notification",
		"signature_key":  midtrans.PaymentAccountSignature(accountID, accountStatus, statusCode, serverKey),
	})
	return b
}

// The README's "Or call the Service directly" is cut from this file; its
// Example is ExampleService_CreateCharge_direct in example_test.go.

package payments_test

// snippet:start direct
import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nusapay/payments"
)

// checkout charges an order from your own handler, without the routes, and
// tells the customer what to do next.
func checkout(ctx context.Context, svc *payments.Service, out io.Writer, orderID string) error {
	p, err := svc.CreateCharge(ctx, &payments.ChargeRequest{
		OrderID:  orderID,
		Method:   "gopay", // bca_va, bni_va, bri_va, permata_va, cimb_va, echannel, credit_card, shopeepay,
		Amount:   150000,  // qris, indomaret, alfamart, akulaku, dana, or your own plugin
		Items:    []payments.Item{{ID: "kopi", Name: "Kopi Gayo 250 g", Price: 75000, Quantity: 2}},
		Customer: &payments.Customer{Email: "budi@example.com"},
	})
	switch {
	case errors.Is(err, payments.ErrValidation): // a *payments.ValidationError names every bad field; nothing stored or sent
		return err
	case errors.Is(err, payments.ErrOutcomeUnknown): // Midtrans did not answer: a notification or Sync decides
		_, err = fmt.Fprintf(out, "%s: processing, check again shortly\n", orderID)
		return err
	case err != nil:
		return err
	}
	// Show p.DeeplinkURL, p.QRString, p.VANumber … as the method gives them; poll p.Outcome().
	_, err = fmt.Fprintf(out, "%s: %s, open GoPay: %t\n", p.OrderID, p.Outcome(), p.DeeplinkURL != "")
	return err
}

// refundPart gives part of a paid order back; the refund is recorded before
// Midtrans is asked, so a retry after a timeout cannot refund twice.
func refundPart(ctx context.Context, svc *payments.Service, out io.Writer, orderID string) error {
	p, r, err := svc.Refund(ctx, orderID, payments.RefundRequest{Amount: 50000, Reason: "out of stock"})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s: refund %s, %s of %s refunded\n", orderID, r.Status, p.RefundedAmount, p.Amount)
	return err
}

// snippet:end direct

package payments

import (
	"errors"
	"strings"
)

// Sentinel errors. Compare with errors.Is; the errors returned wrap these
// with the order id and the operation.
var (
	// ErrInvalidAmount: an amount string is not a whole, non-negative rupiah value.
	ErrInvalidAmount = errors.New("payments: invalid amount")
	// ErrValidation: the input was rejected before anything was stored or
	// sent. The error is a *ValidationError that names every bad field.
	ErrValidation = errors.New("payments: validation failed")
	// ErrNotFound: no payment with that order id or transaction id.
	ErrNotFound = errors.New("payments: payment not found")
	// ErrDuplicateOrder: the order id already has a payment. Decided by the
	// store's unique constraint, never by a read before the write.
	ErrDuplicateOrder = errors.New("payments: order already has a payment")
	// ErrNotAllowed: the payment's current status forbids the operation
	// (refunding a pending payment, capturing a settled one). Refused locally,
	// with no call to Midtrans.
	ErrNotAllowed = errors.New("payments: operation not allowed in the current status")
	// ErrUnsupported: the payment method cannot do the operation (a partial
	// refund on ShopeePay, a refund on a virtual account). Refused locally.
	ErrUnsupported = errors.New("payments: operation not supported by the payment method")
	// ErrOutcomeUnknown: Midtrans may or may not have acted (timeout, broken
	// connection). The payment is left for status sync to resolve; it is
	// never assumed failed.
	ErrOutcomeUnknown = errors.New("payments: outcome unknown")
	// ErrConflict: a write would break a uniqueness rule other than the
	// order id, such as a Midtrans transaction id already held by another payment.
	ErrConflict = errors.New("payments: conflicts with stored data")
	// ErrAmountMismatch: Midtrans reported a different amount than the
	// payment holds. Such a change is never applied as paid.
	ErrAmountMismatch = errors.New("payments: amount mismatch")
)

// FieldError is one rejected input field.
type FieldError struct {
	// Field is the JSON name of the field, with a path for nested values:
	// "order_id", "item_details[1].price", "customer_details.email".
	Field string `json:"field"`
	// Message says what is wrong, in plain words.
	Message string `json:"message"`
}

// ValidationError lists every bad field of one request; nothing was stored
// or sent. errors.Is(err, ErrValidation) reports true for it.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

// Add records a bad field.
func (e *ValidationError) Add(field, message string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message})
}

// Err returns e as an error, or nil when no field was added.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Has reports whether field was rejected.
func (e *ValidationError) Has(field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("payments: invalid input: ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrValidation) true.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

package midtrans

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Charge creates a transaction: POST /v2/charge. A body status_code of
// 201 (pending), 200 (captured/settled) or 202 (denied) is a result, not
// an error: check TransactionStatus. Without WithIdempotencyKey a charge
// is never retried, and a timeout returns an error matching
// ErrOutcomeUnknown.
func (c *Client) Charge(ctx context.Context, req *ChargeRequest, opts ...CallOption) (*TransactionResponse, error) {
	if req == nil {
		return nil, invalidRequest(opCharge, "nil request")
	}
	if req.PaymentType == "" {
		return nil, invalidRequest(opCharge, "payment_type is empty")
	}
	if req.TransactionDetails.OrderID == "" {
		return nil, invalidRequest(opCharge, "transaction_details.order_id is empty")
	}
	return c.transaction(ctx, call{op: opCharge, method: http.MethodPost, path: "/v2/charge", body: req}, opts)
}

// Status fetches the current state of a transaction by order id or
// transaction id: GET /v2/{id}/status. An expired transaction comes back
// as a result with status_code 407. A Snap order whose customer has not
// chosen a method yet is ErrNotFound. DANA transactions need the
// transaction id and WithHeader("transaction-source", "SNAP_API").
func (c *Client) Status(ctx context.Context, id string, opts ...CallOption) (*TransactionResponse, error) {
	return c.onID(ctx, opStatus, http.MethodGet, id, "/status", nil, opts)
}

// StatusB2B lists the child transactions of a multi-use (B2B) virtual
// account: GET /v2/{id}/status/b2b?page=&per_page=. page starts at 0;
// perPage 0 leaves Midtrans' default (10).
func (c *Client) StatusB2B(ctx context.Context, id string, page, perPage int, opts ...CallOption) (*B2BStatusResponse, error) {
	path, err := idPath(opStatusB2B, id, "/status/b2b")
	if err != nil {
		return nil, err
	}
	if page < 0 || perPage < 0 {
		return nil, invalidRequest(opStatusB2B, "page and perPage must not be negative")
	}
	q := url.Values{"page": {strconv.Itoa(page)}}
	if perPage > 0 {
		q.Set("per_page", strconv.Itoa(perPage))
	}
	var r B2BStatusResponse
	err = c.send(ctx, call{op: opStatusB2B, method: http.MethodGet, base: c.coreURL, path: path, query: q.Encode()}, opts,
		func(a answer) error {
			if err := a.decodeFields(&r); err != nil {
				return err
			}
			r.HTTPStatus, r.Raw = a.status, a.body
			return nil
		})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Approve accepts a card transaction held with fraud_status "challenge":
// POST /v2/{id}/approve.
func (c *Client) Approve(ctx context.Context, id string, opts ...CallOption) (*TransactionResponse, error) {
	return c.onID(ctx, opApprove, http.MethodPost, id, "/approve", struct{}{}, opts)
}

// Deny rejects a card transaction held with fraud_status "challenge":
// POST /v2/{id}/deny.
func (c *Client) Deny(ctx context.Context, id string, opts ...CallOption) (*TransactionResponse, error) {
	return c.onID(ctx, opDeny, http.MethodPost, id, "/deny", struct{}{}, opts)
}

// Cancel voids a transaction before settlement: POST /v2/{id}/cancel.
func (c *Client) Cancel(ctx context.Context, id string, opts ...CallOption) (*TransactionResponse, error) {
	return c.onID(ctx, opCancel, http.MethodPost, id, "/cancel", struct{}{}, opts)
}

// Expire forces a pending transaction to expire: POST /v2/{id}/expire.
// Success is a result with status_code 407 and TransactionStatus "expire".
func (c *Client) Expire(ctx context.Context, id string, opts ...CallOption) (*TransactionResponse, error) {
	return c.onID(ctx, opExpire, http.MethodPost, id, "/expire", struct{}{}, opts)
}

// Refund refunds a settled transaction, fully or partly: POST
// /v2/{id}/refund. Set RefundKey to make a retry refer to the same refund.
func (c *Client) Refund(ctx context.Context, id string, req RefundRequest, opts ...CallOption) (*TransactionResponse, error) {
	if req.Amount < 0 {
		return nil, invalidRequest(opRefund, "amount is negative")
	}
	return c.onID(ctx, opRefund, http.MethodPost, id, "/refund", req, opts)
}

// DirectRefund asks the provider to refund synchronously: POST
// /v2/{id}/refund/online/direct. A bank refusal is a result with
// status_code 202 and TransactionStatus still "settlement". Midtrans now
// recommends Refund for all cases.
func (c *Client) DirectRefund(ctx context.Context, id string, req RefundRequest, opts ...CallOption) (*TransactionResponse, error) {
	if req.Amount < 0 {
		return nil, invalidRequest(opDirectRefund, "amount is negative")
	}
	return c.onID(ctx, opDirectRefund, http.MethodPost, id, "/refund/online/direct", req, opts)
}

// Capture captures a pre-authorized card transaction: POST /v2/capture.
// A bank refusal is a result with status_code 202 and TransactionStatus
// "deny"; the transaction stays authorized.
func (c *Client) Capture(ctx context.Context, req CaptureRequest, opts ...CallOption) (*TransactionResponse, error) {
	if req.TransactionID == "" {
		return nil, invalidRequest(opCapture, "transaction_id is empty")
	}
	if req.GrossAmount < 0 {
		return nil, invalidRequest(opCapture, "gross_amount is negative")
	}
	return c.transaction(ctx, call{op: opCapture, method: http.MethodPost, path: "/v2/capture", body: req}, opts)
}

// CreateSnapTransaction creates a Snap payment page: POST
// {snap}/snap/v1/transactions. Success is HTTP 201 with a token; no Core
// API transaction exists until the customer picks a method.
func (c *Client) CreateSnapTransaction(ctx context.Context, req *SnapRequest, opts ...CallOption) (*SnapResponse, error) {
	if req == nil {
		return nil, invalidRequest(opSnap, "nil request")
	}
	if req.TransactionDetails.OrderID == "" {
		return nil, invalidRequest(opSnap, "transaction_details.order_id is empty")
	}
	var r SnapResponse
	err := c.send(ctx, call{op: opSnap, method: http.MethodPost, base: c.snapURL, path: snapCreatePath, body: req}, opts,
		func(a answer) error {
			if err := a.decodeFields(&r); err != nil {
				return err
			}
			if r.Token == "" {
				return errors.New("no token")
			}
			r.HTTPStatus, r.Raw = a.status, a.body
			return nil
		})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// onID calls /v2/{id}{suffix}. POSTs without a request body send {}: the
// recordings show Midtrans accepting it, and some proxies refuse a POST
// without a body.
func (c *Client) onID(ctx context.Context, op, method, id, suffix string, body any, opts []CallOption) (*TransactionResponse, error) {
	path, err := idPath(op, id, suffix)
	if err != nil {
		return nil, err
	}
	return c.transaction(ctx, call{op: op, method: method, path: path, body: body}, opts)
}

func (c *Client) transaction(ctx context.Context, cl call, opts []CallOption) (*TransactionResponse, error) {
	cl.base = c.coreURL
	var r TransactionResponse
	err := c.send(ctx, cl, opts, func(a answer) error {
		if err := r.decodeObject(a.body); err != nil {
			return err
		}
		r.HTTPStatus, r.Raw = a.status, a.body
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// idPath builds /v2/{id}{suffix}. The id is one path segment: order ids
// may hold spaces, "/", "?" or "#", all escaped. "." and ".." are refused
// because clients and proxies resolve them as relative paths.
func idPath(op, id, suffix string) (string, error) {
	switch id {
	case "":
		return "", invalidRequest(op, "id is empty")
	case ".", "..":
		return "", invalidRequest(op, fmt.Sprintf("id %q cannot be used in a URL path", id))
	}
	return "/v2/" + url.PathEscape(id) + suffix, nil
}

func invalidRequest(op, msg string) error {
	return invalid(ErrInvalidRequest, op, msg)
}

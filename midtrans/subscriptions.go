package midtrans

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Subscription (recurring) API operation names, used in errors and logs.
const (
	opCreateSubscription  = "create_subscription"
	opGetSubscription     = "get_subscription"
	opUpdateSubscription  = "update_subscription"
	opEnableSubscription  = "enable_subscription"
	opDisableSubscription = "disable_subscription"
	opCancelSubscription  = "cancel_subscription"
)

// Subscription payment types and interval units Midtrans supports.
const (
	SubscriptionPaymentCard  = "credit_card"
	SubscriptionPaymentGoPay = "gopay"

	IntervalDay   = "day"
	IntervalWeek  = "week"
	IntervalMonth = "month"
)

// Subscription statuses as Midtrans reports them.
const (
	SubscriptionActive   = "active"
	SubscriptionInactive = "inactive"
)

// SubscriptionRequest is the body of POST /v1/subscriptions: Midtrans
// charges Token for Amount every Schedule.Interval IntervalUnits and
// notifies each charge as a normal transaction whose order id it
// generates from Name and a 10-digit number.
type SubscriptionRequest struct {
	// Name generates the charges' order ids: letters, digits and - _ ~ .
	Name string `json:"name"`
	// Amount in whole rupiah. Sent as a string, as the docs' samples do.
	Amount   int64  `json:"amount,string"`
	Currency string `json:"currency"` // "IDR", the only one supported
	// PaymentType is SubscriptionPaymentCard or SubscriptionPaymentGoPay.
	PaymentType string `json:"payment_type"`
	// Token is a card's saved_token_id, or a linked GoPay account's
	// payment option token. A secret: it charges the customer.
	Token    string               `json:"token"`
	Schedule SubscriptionSchedule `json:"schedule"`
	// RetrySchedule makes Midtrans retry a failed charge.
	RetrySchedule *SubscriptionSchedule `json:"retry_schedule,omitempty"`
	// Metadata is echoed back; at most 1 KB.
	Metadata        json.RawMessage    `json:"metadata,omitempty"`
	CustomerDetails *CustomerDetails   `json:"customer_details,omitempty"`
	GoPay           *SubscriptionGoPay `json:"gopay,omitempty"`
}

// SubscriptionSchedule says when a subscription charges.
type SubscriptionSchedule struct {
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"interval_unit,omitempty"` // IntervalDay, IntervalWeek or IntervalMonth
	// MaxInterval ends the subscription after that many charges; 0 omits it.
	MaxInterval int `json:"max_interval,omitempty"`
	// StartTime is the first charge, in ZoneTimeLayout and in the future;
	// empty means one interval from now. FormatZoneTime builds it.
	StartTime string `json:"start_time,omitempty"`
}

// SubscriptionGoPay names the linked GoPay account a gopay subscription
// charges.
type SubscriptionGoPay struct {
	AccountID string `json:"account_id"`
}

// SubscriptionUpdate is the body of PATCH /v1/subscriptions/{id}. Only
// the members set are sent; Midtrans keeps the others.
type SubscriptionUpdate struct {
	Name     string                `json:"name,omitempty"`
	Amount   int64                 `json:"amount,string,omitempty"`
	Currency string                `json:"currency,omitempty"`
	Token    string                `json:"token,omitempty"`
	Schedule *SubscriptionSchedule `json:"schedule,omitempty"`
	Metadata json.RawMessage       `json:"metadata,omitempty"`
	GoPay    *SubscriptionGoPay    `json:"gopay,omitempty"`
}

// SubscriptionResponse is a subscription as Midtrans describes it (the
// answer of create and get). Times are kept as sent; ParseSubscriptionTime
// reads them.
type SubscriptionResponse struct {
	ID              string                     `json:"id"`
	Name            string                     `json:"name"`
	Amount          string                     `json:"amount"`
	Currency        string                     `json:"currency"`
	CreatedAt       string                     `json:"created_at"`
	UpdatedAt       string                     `json:"updated_at"`
	Schedule        SubscriptionScheduleStatus `json:"schedule"`
	Status          string                     `json:"status"`
	Token           string                     `json:"token"`
	PaymentType     string                     `json:"payment_type"`
	Metadata        json.RawMessage            `json:"metadata"`
	CustomerDetails *CustomerDetails           `json:"customer_details"`
	GoPay           *SubscriptionGoPay         `json:"gopay"`
	// TransactionIDs are the transactions the subscription has created.
	TransactionIDs []string `json:"transaction_ids"`
	StatusMessage  string   `json:"status_message"`

	HTTPStatus int             `json:"-"`
	Raw        json.RawMessage `json:"-"`
}

// SubscriptionScheduleStatus is the schedule with Midtrans' progress.
type SubscriptionScheduleStatus struct {
	Interval            int    `json:"interval"`
	IntervalUnit        string `json:"interval_unit"`
	MaxInterval         int    `json:"max_interval"`
	CurrentInterval     int    `json:"current_interval"`
	StartTime           string `json:"start_time"`
	PreviousExecutionAt string `json:"previous_execution_at"`
	NextExecutionAt     string `json:"next_execution_at"`
}

// SubscriptionActionResponse is the answer of update, enable, disable and
// cancel: only a message ("Subscription is updated.").
type SubscriptionActionResponse struct {
	StatusMessage string          `json:"status_message"`
	HTTPStatus    int             `json:"-"`
	Raw           json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes leniently (numbers or strings for strings) and
// keeps a copy of data in Raw. midtrans-go names the transaction list
// "transaction_id"; both spellings are read.
func (r *SubscriptionResponse) UnmarshalJSON(data []byte) error {
	var v SubscriptionResponse
	members, err := decodeLenient(data, &v)
	if err != nil {
		return err
	}
	if len(v.TransactionIDs) == 0 {
		if err := decodeMember(members, "transaction_id", &v.TransactionIDs); err != nil {
			return err
		}
	}
	v.HTTPStatus = r.HTTPStatus
	v.Raw = bytes.Clone(data)
	*r = v
	return nil
}

// UnmarshalJSON decodes leniently.
func (s *SubscriptionScheduleStatus) UnmarshalJSON(data []byte) error {
	_, err := decodeLenient(data, s)
	return err
}

// UnmarshalJSON decodes leniently.
func (g *SubscriptionGoPay) UnmarshalJSON(data []byte) error {
	_, err := decodeLenient(data, g)
	return err
}

// FormatZoneTime formats t for SubscriptionSchedule.StartTime (and other
// request times with a zone), in WIB.
func FormatZoneTime(t time.Time) string { return t.In(wib()).Format(ZoneTimeLayout) }

// ParseSubscriptionTime reads a subscription time: RFC 3339 as the
// notification samples send ("2022-10-26T04:20:00.000000Z"), the request
// layout with a zone, or a Midtrans time in WIB. It returns UTC; "" is
// the zero time.
func ParseSubscriptionTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(ZoneTimeLayout, s); err == nil {
		return t.UTC(), nil
	}
	return ParseTime(s)
}

// CreateSubscription creates a subscription: POST /v1/subscriptions.
// Midtrans honours WithIdempotencyKey here (for 3 minutes); without one
// the call is never retried and a timeout is ErrOutcomeUnknown: the
// subscription may exist and will charge.
func (c *Client) CreateSubscription(ctx context.Context, req *SubscriptionRequest, opts ...CallOption) (*SubscriptionResponse, error) {
	if req == nil {
		return nil, invalidRequest(opCreateSubscription, "nil request")
	}
	switch {
	case req.Name == "":
		return nil, invalidRequest(opCreateSubscription, "name is empty")
	case req.Token == "":
		return nil, invalidRequest(opCreateSubscription, "token is empty")
	case req.PaymentType == "":
		return nil, invalidRequest(opCreateSubscription, "payment_type is empty")
	case req.Amount <= 0:
		return nil, invalidRequest(opCreateSubscription, "amount must be positive")
	}
	var r SubscriptionResponse
	err := c.send(ctx, call{op: opCreateSubscription, method: http.MethodPost, base: c.coreURL, path: "/v1/subscriptions", body: req}, opts,
		decodeSubscription(&r))
	if err != nil {
		return nil, subscriptionError(err)
	}
	return &r, nil
}

// GetSubscription fetches a subscription: GET /v1/subscriptions/{id}. An
// unknown id is ErrNotFound.
func (c *Client) GetSubscription(ctx context.Context, id string, opts ...CallOption) (*SubscriptionResponse, error) {
	path, err := subscriptionPath(opGetSubscription, id, "")
	if err != nil {
		return nil, err
	}
	var r SubscriptionResponse
	err = c.send(ctx, call{op: opGetSubscription, method: http.MethodGet, base: c.coreURL, path: path}, opts, decodeSubscription(&r))
	if err != nil {
		return nil, subscriptionError(err)
	}
	return &r, nil
}

// UpdateSubscription changes a subscription: PATCH /v1/subscriptions/{id}.
func (c *Client) UpdateSubscription(ctx context.Context, id string, req *SubscriptionUpdate, opts ...CallOption) (*SubscriptionActionResponse, error) {
	if req == nil {
		return nil, invalidRequest(opUpdateSubscription, "nil request")
	}
	if req.Amount < 0 {
		return nil, invalidRequest(opUpdateSubscription, "amount is negative")
	}
	return c.subscriptionAction(ctx, opUpdateSubscription, http.MethodPatch, id, "", req, opts)
}

// EnableSubscription makes a subscription charge again: POST
// /v1/subscriptions/{id}/enable.
func (c *Client) EnableSubscription(ctx context.Context, id string, opts ...CallOption) (*SubscriptionActionResponse, error) {
	return c.subscriptionAction(ctx, opEnableSubscription, http.MethodPost, id, "/enable", struct{}{}, opts)
}

// DisableSubscription stops a subscription's charges until it is enabled
// again: POST /v1/subscriptions/{id}/disable.
func (c *Client) DisableSubscription(ctx context.Context, id string, opts ...CallOption) (*SubscriptionActionResponse, error) {
	return c.subscriptionAction(ctx, opDisableSubscription, http.MethodPost, id, "/disable", struct{}{}, opts)
}

// CancelSubscription ends a subscription for good: POST
// /v1/subscriptions/{id}/cancel. A cancelled subscription cannot be
// enabled again.
func (c *Client) CancelSubscription(ctx context.Context, id string, opts ...CallOption) (*SubscriptionActionResponse, error) {
	return c.subscriptionAction(ctx, opCancelSubscription, http.MethodPost, id, "/cancel", struct{}{}, opts)
}

func (c *Client) subscriptionAction(ctx context.Context, op, method, id, suffix string, body any, opts []CallOption) (*SubscriptionActionResponse, error) {
	path, err := subscriptionPath(op, id, suffix)
	if err != nil {
		return nil, err
	}
	var r SubscriptionActionResponse
	err = c.send(ctx, call{op: op, method: method, base: c.coreURL, path: path, body: body}, opts,
		func(a answer) error {
			if err := a.decodeFields(&r); err != nil {
				return err
			}
			r.HTTPStatus, r.Raw = a.status, bytes.Clone(a.body)
			return nil
		})
	if err != nil {
		return nil, subscriptionError(err)
	}
	return &r, nil
}

func decodeSubscription(r *SubscriptionResponse) func(answer) error {
	return func(a answer) error {
		if err := json.Unmarshal(a.body, r); err != nil {
			return err
		}
		if r.ID == "" {
			return errors.New("no subscription id")
		}
		r.HTTPStatus = a.status
		return nil
	}
}

// subscriptionPath builds /v1/subscriptions/{id}{suffix}, with the id as
// one escaped path segment.
func subscriptionPath(op, id, suffix string) (string, error) {
	switch id {
	case "":
		return "", invalidRequest(op, "subscription id is empty")
	case ".", "..":
		return "", invalidRequest(op, fmt.Sprintf("subscription id %q cannot be used in a URL path", id))
	}
	return "/v1/subscriptions/" + url.PathEscape(id) + suffix, nil
}

// subscriptionError fills an *APIError's ValidationMessages from the
// subscription API's own member, validation_message (singular), which the
// shared error rule does not know. The error is returned unchanged
// otherwise, so errors.Is and errors.As work as for any call.
func subscriptionError(err error) error {
	var e *APIError
	if !errors.As(err, &e) || len(e.ValidationMessages) > 0 || len(e.Body) == 0 {
		return err
	}
	var body struct {
		ValidationMessage []flexString `json:"validation_message"`
	}
	if json.Unmarshal(e.Body, &body) == nil {
		for _, m := range body.ValidationMessage {
			if s := strings.TrimSpace(string(m)); s != "" {
				e.ValidationMessages = append(e.ValidationMessages, s)
			}
		}
	}
	return err
}

// SubscriptionAmount parses a subscription's amount ("14000", or
// "14000.00") as whole rupiah.
func SubscriptionAmount(s string) (int64, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".00")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("midtrans: subscription amount %q: %w", s, err)
	}
	return n, nil
}

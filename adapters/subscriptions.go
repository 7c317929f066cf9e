package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nusapay/payments"
)

// Subscription routes, mounted with the operation routes behind the
// Authorizer (never without one: a subscription's token charges a
// customer, so only the host or its staff create one):
//
//	POST  {prefix}/subscriptions              op "subscription.create", orderID ""
//	GET   {prefix}/subscriptions/{id}         op "subscription.view",   orderID the subscription id
//	PATCH {prefix}/subscriptions/{id}         op "subscription.update", orderID the subscription id
//	POST  {prefix}/subscriptions/{id}/{op}    op "subscription.enable", "subscription.disable" or "subscription.sync"
//
// The Authorizer is asked first and its staff identity is recorded as the
// actor (payments.WithActor); for these ops its orderID argument is the
// subscription's id (this module's, a UUID), or "" for create.
const (
	RouteSubscriptions      = "subscriptions"
	RouteSubscription       = "subscription"
	RouteSubscriptionUpdate = "subscription_update"
	RouteSubscriptionOp     = "subscription_operation"

	OpSubscriptionCreate  = "subscription.create"
	OpSubscriptionView    = "subscription.view"
	OpSubscriptionUpdate  = "subscription.update"
	OpSubscriptionEnable  = "subscription.enable"
	OpSubscriptionDisable = "subscription.disable"
	OpSubscriptionSync    = "subscription.sync"

	// MaxSubscriptionBody bounds a subscription request (metadata is at
	// most 1 KB).
	MaxSubscriptionBody = 8 << 10
)

func (a *API) subscriptionRoutes() []Route {
	return []Route{
		{Name: RouteSubscriptions, Method: http.MethodPost, Path: "/subscriptions", MaxBody: MaxSubscriptionBody,
			Handle: a.stateChanging(a.handleSubscriptionCreate)},
		{Name: RouteSubscription, Method: http.MethodGet, Path: "/subscriptions/{subscription_id}", Handle: a.handleSubscriptionView},
		{Name: RouteSubscriptionUpdate, Method: http.MethodPatch, Path: "/subscriptions/{subscription_id}", MaxBody: MaxSubscriptionBody,
			Handle: a.stateChanging(a.handleSubscriptionUpdate)},
		{Name: RouteSubscriptionOp, Method: http.MethodPost, Path: "/subscriptions/{subscription_id}/{op}", MaxBody: MaxOperationBody,
			Handle: a.stateChanging(a.handleSubscriptionOp)},
	}
}

// SubscriptionSchedule is the schedule in a subscription request.
type SubscriptionSchedule struct {
	Interval     int       `json:"interval"`
	IntervalUnit string    `json:"interval_unit"`
	MaxInterval  int       `json:"max_interval,omitempty"`
	StartTime    time.Time `json:"start_time,omitzero"` // RFC 3339
}

// SubscriptionGoPay names the linked GoPay account.
type SubscriptionGoPay struct {
	AccountID string `json:"account_id"`
}

// SubscriptionCreateRequest is the body of POST {prefix}/subscriptions.
type SubscriptionCreateRequest struct {
	Name        string               `json:"name"`
	Amount      payments.Amount      `json:"amount"`
	PaymentType string               `json:"payment_type"`
	Token       string               `json:"token"`
	GoPay       *SubscriptionGoPay   `json:"gopay,omitempty"`
	Schedule    SubscriptionSchedule `json:"schedule"`
	Customer    *payments.Customer   `json:"customer_details,omitempty"`
	Metadata    json.RawMessage      `json:"metadata,omitempty"`
}

// SubscriptionUpdateRequest is the body of PATCH {prefix}/subscriptions/{id}.
type SubscriptionUpdateRequest struct {
	Name     string          `json:"name,omitempty"`
	Amount   payments.Amount `json:"amount,omitempty"`
	Token    string          `json:"token,omitempty"`
	Schedule *struct {
		Interval    int `json:"interval,omitempty"`
		MaxInterval int `json:"max_interval,omitempty"`
	} `json:"schedule,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// authorizeSubscription checks the subscription id (before the Authorizer
// sees it) and asks the Authorizer; ok=false carries the answer.
func (a *API) authorizeSubscription(ctx context.Context, r *Request, op, id string) (context.Context, Response, bool) {
	if op != OpSubscriptionCreate && !payments.ValidOrderID(id) {
		var b ErrorBody
		b.Error.Code, b.Error.Message = "invalid_subscription_id", "not a valid subscription id"
		b.Error.Fields = []payments.FieldError{{Field: "subscription_id", Message: "must be 1-50 characters of A-Z a-z 0-9 - _ . ~"}}
		return ctx, jsonResponse(http.StatusBadRequest, b), false
	}
	staff, err := a.authorize(ctx, r, op, id)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			return ctx, errorResponse(http.StatusUnauthorized, "unauthenticated", "authentication required", nil), false
		}
		return ctx, errorResponse(http.StatusForbidden, "forbidden", "not allowed", nil), false
	}
	return payments.WithActor(ctx, staff), Response{}, true
}

func subscriptionResponse(status int, sub *payments.Subscription) Response {
	return jsonResponse(status, map[string]any{"subscription": sub}) // Token is never serialised
}

func (a *API) handleSubscriptionCreate(ctx context.Context, r *Request) Response {
	ctx, resp, ok := a.authorizeSubscription(ctx, r, OpSubscriptionCreate, "")
	if !ok {
		return resp
	}
	if r.TooLarge {
		return errorResponse(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body larger than %d bytes", MaxSubscriptionBody), nil)
	}
	var body SubscriptionCreateRequest
	if err := decodeBody(r.Body, &body); err != nil {
		return a.fail(ctx, err, nil)
	}
	req := &payments.SubscriptionRequest{Name: body.Name, Amount: body.Amount, PaymentType: body.PaymentType, Token: body.Token,
		Interval: body.Schedule.Interval, IntervalUnit: body.Schedule.IntervalUnit, MaxInterval: body.Schedule.MaxInterval,
		StartTime: body.Schedule.StartTime, Customer: body.Customer, Metadata: body.Metadata}
	if body.GoPay != nil {
		req.GoPayAccountID = body.GoPay.AccountID
	}
	sub, err := a.svc.CreateSubscription(ctx, req)
	if err != nil {
		return a.failSubscription(ctx, err)
	}
	return subscriptionResponse(http.StatusCreated, sub)
}

func (a *API) handleSubscriptionView(ctx context.Context, r *Request) Response {
	id := r.Params["subscription_id"]
	ctx, resp, ok := a.authorizeSubscription(ctx, r, OpSubscriptionView, id)
	if !ok {
		return resp
	}
	sub, err := a.svc.Subscription(ctx, id)
	if err != nil {
		return a.failSubscription(ctx, err)
	}
	return subscriptionResponse(http.StatusOK, sub)
}

func (a *API) handleSubscriptionUpdate(ctx context.Context, r *Request) Response {
	id := r.Params["subscription_id"]
	ctx, resp, ok := a.authorizeSubscription(ctx, r, OpSubscriptionUpdate, id)
	if !ok {
		return resp
	}
	if r.TooLarge {
		return errorResponse(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body larger than %d bytes", MaxSubscriptionBody), nil)
	}
	var body SubscriptionUpdateRequest
	if err := decodeBody(r.Body, &body); err != nil {
		return a.fail(ctx, err, nil)
	}
	u := &payments.SubscriptionUpdate{Name: body.Name, Amount: body.Amount, Token: body.Token, Metadata: body.Metadata}
	if body.Schedule != nil {
		u.Interval, u.MaxInterval = body.Schedule.Interval, body.Schedule.MaxInterval
	}
	sub, err := a.svc.UpdateSubscription(ctx, id, u)
	if err != nil {
		return a.failSubscription(ctx, err)
	}
	return subscriptionResponse(http.StatusOK, sub)
}

func (a *API) handleSubscriptionOp(ctx context.Context, r *Request) Response {
	id, op := r.Params["subscription_id"], r.Params["op"]
	ctx, resp, ok := a.authorizeSubscription(ctx, r, "subscription."+op, id)
	if !ok {
		return resp
	}
	var call func(context.Context, string) (*payments.Subscription, error)
	switch op {
	case "enable":
		call = a.svc.EnableSubscription
	case "disable":
		call = a.svc.DisableSubscription
	case "sync":
		call = a.svc.SyncSubscription
	default:
		return errorResponse(http.StatusNotFound, "unknown_operation", fmt.Sprintf("unknown operation %q", op), nil)
	}
	if r.TooLarge || len(r.Body) > 0 && string(r.Body) != "{}" {
		return errorResponse(http.StatusBadRequest, "bad_request", "this operation takes no body", nil)
	}
	sub, err := call(ctx, id)
	if err != nil {
		return a.failSubscription(ctx, err)
	}
	return subscriptionResponse(http.StatusOK, sub)
}

// failSubscription answers a subscription error: the subscription's own
// kinds first, then the shared table (classify).
func (a *API) failSubscription(ctx context.Context, err error) Response {
	switch {
	case errors.Is(err, payments.ErrSubscriptionNotFound):
		return errorResponse(http.StatusNotFound, "not_found", "no such subscription", nil)
	case errors.Is(err, payments.ErrDuplicateSubscription):
		return errorResponse(http.StatusConflict, "duplicate_subscription", "the name is used by another subscription", nil)
	case errors.Is(err, payments.ErrNotAllowed):
		return errorResponse(http.StatusConflict, "not_allowed", "not allowed in the subscription's current status", nil)
	case errors.Is(err, payments.ErrOutcomeUnknown):
		return errorResponse(http.StatusAccepted, "outcome_unknown", "Midtrans did not answer in time; send the request again", nil)
	}
	return a.fail(ctx, err, nil)
}

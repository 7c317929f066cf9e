package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nusapay/payments/internal/uid"
)

// Subscriptions: Midtrans' recurring API charges a saved card token or a
// linked GoPay account on a schedule. This file holds the model and its
// rules (validation, which changes fire which signals), as pure code; the
// Service methods are in subscriptions.go and the store only persists.

// SubscriptionStatus is where a subscription stands.
type SubscriptionStatus string

const (
	// SubscriptionInitiated: stored, Midtrans not answered yet (or the
	// answer was lost: the outcome is unknown). It does not charge as far
	// as this module knows.
	SubscriptionInitiated SubscriptionStatus = "initiated"
	// SubscriptionActive: Midtrans charges it on schedule.
	SubscriptionActive SubscriptionStatus = "active"
	// SubscriptionInactive: disabled, or finished after MaxInterval
	// charges. Enable makes a disabled one charge again.
	SubscriptionInactive SubscriptionStatus = "inactive"
)

// Interval units a schedule counts in.
const (
	IntervalDay   = "day"
	IntervalWeek  = "week"
	IntervalMonth = "month"
)

// Subscription payment types: a saved card token or a GoPay account.
const (
	SubscriptionCard  = "credit_card"
	SubscriptionGoPay = "gopay"
)

// SourceSubscription is the source of subscription events.
const SourceSubscription Source = "subscription"

// MaxSubscriptionNameLen keeps the order ids Midtrans generates for the
// charges ("SUBS-" + name + "-" + 10 digits) within 50 characters.
const MaxSubscriptionNameLen = MaxOrderIDLen - len("SUBS-") - len("-0123456789")

// Errors of subscriptions.
var (
	// ErrDuplicateSubscription: the account already has a subscription
	// with that name. Names are unique per account because the charges'
	// order ids are made from them, and that is how a charge finds its
	// subscription.
	ErrDuplicateSubscription = errors.New("payments: subscription name already used")
	// ErrSubscriptionNotFound: no subscription with that id. It matches
	// ErrNotFound too.
	ErrSubscriptionNotFound = fmt.Errorf("payments: subscription not found: %w", ErrNotFound)
)

// Schedule says when a subscription charges.
type Schedule struct {
	// Interval IntervalUnits pass between charges.
	Interval     int    `json:"interval"`
	IntervalUnit string `json:"interval_unit"`
	// MaxInterval ends the subscription after that many charges; 0 never.
	MaxInterval int `json:"max_interval,omitempty"`
	// StartTime is the first charge (without one: one interval after
	// creation).
	StartTime time.Time `json:"start_time,omitzero"`
	// CurrentInterval counts the charges made so far, as Midtrans last
	// reported.
	CurrentInterval int `json:"current_interval"`
	// NextExecutionAt is the next charge, as Midtrans last reported.
	NextExecutionAt time.Time `json:"next_execution_at,omitzero"`
}

// Subscription is a recurring charge of a fixed amount.
type Subscription struct {
	// ID is this module's id (a UUIDv7); MidtransID is Midtrans' own, known
	// once Midtrans has answered.
	ID         string `json:"id"`
	Account    string `json:"account"`
	MidtransID string `json:"midtrans_id,omitempty"`
	// Name is unique per account; Midtrans makes the charges' order ids
	// from it.
	Name     string `json:"name"`
	Amount   Amount `json:"amount"`
	Currency string `json:"currency"`
	// PaymentType is SubscriptionCard or SubscriptionGoPay.
	PaymentType string `json:"payment_type"`
	// Token is the saved card token or GoPay payment option token that
	// Midtrans charges. A secret: never serialised, never logged.
	Token string `json:"-"`
	// GoPayAccountID is the linked GoPay account (gopay only).
	GoPayAccountID string             `json:"gopay_account_id,omitempty"`
	Schedule       Schedule           `json:"schedule"`
	Status         SubscriptionStatus `json:"status"`
	Customer       *Customer          `json:"customer_details,omitempty"`
	Metadata       json.RawMessage    `json:"metadata,omitempty"`
	// Version increases with every saved change (compare-and-set).
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SubscriptionStore persists subscriptions. It decides nothing: the
// Service plans every change (PlanSubscriptionChange) and the store
// writes it with its events in one transaction. Every row carries the
// store's account and every query is scoped by it.
type SubscriptionStore interface {
	// CreateSubscription inserts sub as planned by PlanSubscriptionCreate,
	// with Account set to the store's account. A name the account already
	// uses returns an error wrapping ErrDuplicateSubscription (decided by a
	// unique constraint).
	CreateSubscription(ctx context.Context, sub *Subscription) error
	// SaveSubscription writes next, planned by PlanSubscriptionChange
	// from the stored version next.Version-1, with a compare-and-set on
	// that version, and its events in the outbox, in one transaction. A
	// lost compare-and-set returns an error wrapping ErrConflict; an
	// unknown id, ErrSubscriptionNotFound; a Midtrans id or name another
	// subscription holds, ErrDuplicateSubscription.
	SaveSubscription(ctx context.Context, next *Subscription, events []Event) error
	// DiscardSubscription deletes a subscription that is still initiated
	// (Midtrans refused it: nothing exists there). It returns
	// ErrSubscriptionNotFound when there is none, or ErrNotAllowed when it
	// is no longer initiated.
	DiscardSubscription(ctx context.Context, id string) error
	// Subscription returns the subscription with id, or
	// ErrSubscriptionNotFound.
	Subscription(ctx context.Context, id string) (*Subscription, error)
	// SubscriptionByName returns the subscription named name, or
	// ErrSubscriptionNotFound.
	SubscriptionByName(ctx context.Context, name string) (*Subscription, error)
	// SubscriptionByMidtransID returns the subscription Midtrans knows as
	// midtransID, or ErrSubscriptionNotFound.
	SubscriptionByMidtransID(ctx context.Context, midtransID string) (*Subscription, error)
	// SubscriptionPayments returns the payments of a subscription's
	// charges, oldest first.
	SubscriptionPayments(ctx context.Context, subscriptionID string) ([]*Payment, error)
}

// SubscriptionRequest asks for a new subscription. The host sets it; no
// member comes from a browser unchecked (the token charges the customer).
type SubscriptionRequest struct {
	// Name: 1-34 characters of A-Z a-z 0-9 - _ . ~, unique per account.
	Name   string
	Amount Amount
	// PaymentType is SubscriptionCard (Token a saved_token_id) or
	// SubscriptionGoPay (Token a payment option token of GoPayAccountID).
	PaymentType    string
	Token          string
	GoPayAccountID string
	// Interval IntervalUnits between charges; MaxInterval charges at most
	// (0: no end). StartTime, when set, is the first charge and must be
	// in the future.
	Interval     int
	IntervalUnit string
	MaxInterval  int
	StartTime    time.Time
	Customer     *Customer
	// Metadata is a JSON object, at most 1 KB (Midtrans' limit).
	Metadata json.RawMessage
}

// SubscriptionUpdate changes a subscription; zero members stay as they
// are. Changing the name changes the order ids of later charges.
type SubscriptionUpdate struct {
	Name        string
	Amount      Amount
	Token       string
	Interval    int
	MaxInterval int
	Metadata    json.RawMessage
}

// maxSubscriptionMetadata is Midtrans' limit on a subscription's metadata.
const maxSubscriptionMetadata = 1024

// validSubscriptionName: the characters Midtrans allows in a name, within
// MaxSubscriptionNameLen.
func validSubscriptionName(n string) bool {
	return n != "" && len(n) <= MaxSubscriptionNameLen && ValidOrderID(n)
}

const subscriptionNameMessage = "must be 1-34 characters of A-Z a-z 0-9 - _ . ~"

func checkSchedule(ve *ValidationError, interval int, unit string, maxInterval int) {
	if interval < 1 || interval > 1000 {
		ve.Add("schedule.interval", "must be between 1 and 1000")
	}
	switch unit {
	case IntervalDay, IntervalWeek, IntervalMonth:
	default:
		ve.Add("schedule.interval_unit", `must be "day", "week" or "month"`)
	}
	if maxInterval < 0 {
		ve.Add("schedule.max_interval", "must not be negative")
	}
}

func checkMetadata(ve *ValidationError, m json.RawMessage) {
	if len(m) == 0 {
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(m, &obj) != nil || obj == nil {
		ve.Add("metadata", "must be a JSON object")
	} else if len(m) > maxSubscriptionMetadata {
		ve.Add("metadata", "must be at most 1024 bytes")
	}
}

// Validate names every bad member of r in a *ValidationError; now is the
// clock StartTime must be after.
func (r *SubscriptionRequest) Validate(now time.Time) error {
	var ve ValidationError
	if r == nil {
		ve.Add("request", "is required")
		return ve.Err()
	}
	if !validSubscriptionName(r.Name) {
		ve.Add("name", subscriptionNameMessage)
	}
	if r.Amount <= 0 {
		ve.Add("amount", "must be a positive whole rupiah amount")
	}
	switch r.PaymentType {
	case SubscriptionCard:
		if r.GoPayAccountID != "" {
			ve.Add("gopay.account_id", "is only for gopay subscriptions")
		}
	case SubscriptionGoPay:
		if r.GoPayAccountID == "" {
			ve.Add("gopay.account_id", "is required for gopay subscriptions")
		}
	default:
		ve.Add("payment_type", `must be "credit_card" or "gopay"`)
	}
	if r.Token == "" {
		ve.Add("token", "is required: a saved card token or a GoPay payment option token")
	}
	checkSchedule(&ve, r.Interval, r.IntervalUnit, r.MaxInterval)
	if !r.StartTime.IsZero() && !r.StartTime.After(now) {
		ve.Add("schedule.start_time", "must be in the future")
	}
	checkMetadata(&ve, r.Metadata)
	return ve.Err()
}

// Validate names every bad member of u in a *ValidationError.
func (u *SubscriptionUpdate) Validate() error {
	var ve ValidationError
	if u == nil {
		ve.Add("request", "is required")
		return ve.Err()
	}
	if u.Name != "" && !validSubscriptionName(u.Name) {
		ve.Add("name", subscriptionNameMessage)
	}
	if u.Amount < 0 {
		ve.Add("amount", "must be a positive whole rupiah amount")
	}
	if u.Interval < 0 || u.Interval > 1000 {
		ve.Add("schedule.interval", "must be between 1 and 1000")
	}
	if u.MaxInterval < 0 {
		ve.Add("schedule.max_interval", "must not be negative")
	}
	checkMetadata(&ve, u.Metadata)
	if u.Name == "" && u.Amount == 0 && u.Token == "" && u.Interval == 0 && u.MaxInterval == 0 && len(u.Metadata) == 0 {
		ve.Add("request", "changes nothing")
	}
	return ve.Err()
}

// PlanSubscriptionCreate returns the subscription to store for r: an id,
// status initiated, version 1, times at now.
func PlanSubscriptionCreate(r *SubscriptionRequest, now time.Time) *Subscription {
	now = StorageTime(now)
	return &Subscription{
		ID: uid.NewAt(now), Name: r.Name, Amount: r.Amount, Currency: "IDR", PaymentType: r.PaymentType,
		Token: r.Token, GoPayAccountID: r.GoPayAccountID,
		Schedule: Schedule{Interval: r.Interval, IntervalUnit: r.IntervalUnit, MaxInterval: r.MaxInterval,
			StartTime: StorageTime(r.StartTime)},
		Status: SubscriptionInitiated, Customer: r.Customer, Metadata: r.Metadata,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
}

// SubscriptionSignalsFor returns the signals a subscription's change from
// prev to next fires: created when Midtrans first confirms it, disabled
// when an active subscription stops charging (disabled, or finished).
func SubscriptionSignalsFor(prev, next *Subscription) []Signal {
	var out []Signal
	if prev.Status == SubscriptionInitiated && next.Status != SubscriptionInitiated {
		out = append(out, SignalSubscriptionCreated)
	}
	if prev.Status == SubscriptionActive && next.Status == SubscriptionInactive {
		out = append(out, SignalSubscriptionDisabled)
	}
	return out
}

// PlanSubscriptionChange returns next as it is to be saved over prev
// (version and update time advanced) and the events it fires.
func PlanSubscriptionChange(prev, next *Subscription, now time.Time) (*Subscription, []Event) {
	now = StorageTime(now)
	out := *next
	out.ID, out.Account, out.CreatedAt = prev.ID, prev.Account, prev.CreatedAt
	out.Version = prev.Version + 1
	out.UpdatedAt = now
	var events []Event
	for _, sig := range SubscriptionSignalsFor(prev, &out) {
		snap := out
		events = append(events, Event{ID: uid.NewAt(now), Signal: sig, Source: SourceSubscription,
			Subscription: &snap, OccurredAt: now})
	}
	return &out, events
}

// recurringSignals adds the subscription signals of a payment change: a
// subscription's charge that became paid was charged; one that failed
// (denied, expired, failed, cancelled) failed.
func recurringSignals(next *Payment, out []Signal) []Signal {
	if next.SubscriptionID == "" {
		return out
	}
	var add []Signal
	for _, s := range out {
		switch s {
		case SignalPaid:
			add = append(add, SignalSubscriptionCharged)
		case SignalDenied, SignalExpired, SignalFailed, SignalCancelled:
			add = append(add, SignalSubscriptionFailed)
		}
	}
	return append(out, add...)
}

// String describes s for people and logs without its Token, so printing a
// subscription (%v, %+v) never shows the secret.
func (s Subscription) String() string {
	token := ""
	if s.Token != "" {
		token = "[REDACTED]"
	}
	return fmt.Sprintf("Subscription{ID:%s Account:%s MidtransID:%s Name:%s Amount:%d PaymentType:%s Token:%s Status:%s Schedule:%+v Version:%d}",
		s.ID, s.Account, s.MidtransID, s.Name, s.Amount, s.PaymentType, token, s.Status, s.Schedule, s.Version)
}

// LogValue logs s without its Token.
func (s Subscription) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", s.ID), slog.String("midtrans_id", s.MidtransID), slog.String("name", s.Name),
		slog.Int64("amount", int64(s.Amount)), slog.String("payment_type", s.PaymentType), slog.String("status", string(s.Status)))
}

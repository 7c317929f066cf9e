package midtranstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RecurringOutcome decides a simulated recurring charge.
type RecurringOutcome int

const (
	// RecurringByToken lets the token decide: a saved card charges as its
	// sandbox number does (4911111111111113 is denied, …); GoPay settles.
	RecurringByToken RecurringOutcome = iota
	// RecurringApproved: the charge succeeds (card capture, GoPay settlement).
	RecurringApproved
	// RecurringDenied: the bank or GoPay refuses the charge (deny, 202).
	RecurringDenied
)

// ErrUnknownSubscription: no subscription has that id.
var ErrUnknownSubscription = errors.New("midtranstest: unknown subscription")

const (
	msgSubUpdated  = "Subscription is updated."
	msgSubNotFound = "Subscription doesn't exist."
	msgSubInvalid  = "Bad request"
)

// subscription is one recurring plan. Guarded by Server.mu.
type subscription struct {
	id, name     string
	amount       int64
	currency     string
	paymentType  string
	token        string
	gopayAccount string
	interval     int
	unit         string
	maxInterval  int
	current      int
	startTime    time.Time
	prevExec     time.Time
	nextExec     time.Time
	status       string
	cancelled    bool
	metadata     json.RawMessage
	customer     json.RawMessage
	createdAt    time.Time
	updatedAt    time.Time
	txIDs        []string
}

// Subscription is a snapshot of a simulated subscription.
type Subscription struct {
	ID, Name, PaymentType, Status string
	Amount                        int64
	Interval, MaxInterval         int
	IntervalUnit                  string
	CurrentInterval               int
	NextExecutionAt               time.Time
	TransactionIDs                []string
}

// Subscription returns a snapshot of the subscription with id.
func (s *Server) Subscription(id string) (Subscription, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	if sub == nil {
		return Subscription{}, false
	}
	return Subscription{ID: sub.id, Name: sub.name, PaymentType: sub.paymentType, Status: sub.status,
		Amount: sub.amount, Interval: sub.interval, MaxInterval: sub.maxInterval, IntervalUnit: sub.unit,
		CurrentInterval: sub.current, NextExecutionAt: sub.nextExec,
		TransactionIDs: append([]string(nil), sub.txIDs...)}, true
}

// ChargeSubscription makes the subscription's next recurring charge now: a
// new transaction, decided by outcome, with its signed notification sent
// as for any transaction. It returns ErrUnknownSubscription, or
// ErrInvalidState when the subscription is not active (disabled,
// cancelled or finished): Midtrans does not charge those.
//
// Subscriptions (the recurring API, /v1/subscriptions): what the
// simulator does, and what it assumes where Midtrans' documents are
// silent:
//
//   - Create, get, update (PATCH), enable, disable and cancel answer as the
//     recurring API does: no status_code member; success is HTTP 200 with
//     the subscription (create, get) or {"status_message": "Subscription is
//     updated."}; errors carry status_message and validation_message[]
//     (singular), 400 for bad input, 404 "Subscription doesn't exist.".
//     The validation messages' wording is the simulator's own.
//   - A card subscription's token must be a saved_token_id the simulator
//     issued (a charge with credit_card.save_token_id); a gopay one needs
//     gopay.account_id. Idempotency-Key works on create (and every POST).
//   - Nothing charges by itself: ChargeSubscription makes the next
//     recurring charge. It creates an ordinary Core API transaction (GET
//     status knows it) whose order_id Midtrans generates: "SUBS-", the
//     subscription's name, "-" and 10 digits (the docs say the order id
//     holds the name and 10 digits; the 2023 changelog says it is prefixed
//     "SUBS-"; the exact joining is assumed). The transaction's id is
//     appended to the subscription's transaction_id list, which is the
//     documented link between the two, and the charge's signed payment
//     notification goes to the Payment Notification URL like any other.
//     Real Midtrans also posts a differently shaped, unsigned message
//     ({"transaction": …, "subscription": …}) to a separate Recurring
//     Notification URL; the simulator does not.
//   - max_interval charges end the subscription (status "inactive").
//     Cancel makes it "inactive" for good: enabling it again is a 400.
func (s *Server) ChargeSubscription(id string, outcome RecurringOutcome) (Transaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	if sub == nil {
		return Transaction{}, fmt.Errorf("charge subscription %s: %w", id, ErrUnknownSubscription)
	}
	if sub.status != "active" {
		return Transaction{}, fmt.Errorf("charge subscription %s: %w: subscription is %s", id, ErrInvalidState, sub.status)
	}
	now := s.now()
	orderID := "SUBS-" + sub.name + "-" + randomDigits(10)
	for s.byOrder[orderID] != nil {
		orderID = "SUBS-" + sub.name + "-" + randomDigits(10)
	}
	t := &txn{orderID: orderID, txID: newUUID(), paymentType: sub.paymentType, method: sub.paymentType,
		status: stPending, gross: sub.amount, createdAt: now, metadata: sub.metadata}
	switch sub.paymentType {
	case "credit_card":
		number := s.savedCards[sub.token]
		masked := number[:8] + "-" + number[len(number)-4:]
		t.card = &cardInfo{number: number, masked: masked, outcome: sandboxOutcome(number), bank: "bni",
			cardType: "credit", eci: "05", savedToken: sub.token, savedExpiry: now.AddDate(10, 0, 0)}
		switch outcome {
		case RecurringApproved:
			t.card.outcome = cardAccept
		case RecurringDenied:
			t.card.outcome = cardDenyBank
		}
		t.fraud = ""
		s.completeCard(t)
	default: // gopay
		t.method = "gopay"
		if outcome == RecurringDenied {
			t.chanCode, t.chanMsg = "202", "Denied"
			s.transition(t, stDeny, "accept")
		} else {
			t.chanCode, t.chanMsg = "200", "Success"
			t.settledAt = now
			s.transition(t, stSettlement, "accept")
		}
	}
	s.register(t)
	sub.txIDs = append(sub.txIDs, t.txID)
	sub.current++
	sub.prevExec = now
	sub.nextExec = addInterval(sub.nextExec, sub.interval, sub.unit)
	if sub.maxInterval > 0 && sub.current >= sub.maxInterval {
		sub.status = "inactive"
	}
	sub.updatedAt = now
	s.notifyLocked(t)
	return s.snapshot(t), nil
}

// ChargeDueSubscriptions makes the recurring charge of every active
// subscription whose next execution time has come on the configured clock
// (Config.Now), as Midtrans' scheduler would, and returns the charges made,
// each approved or denied as its token decides. A subscription that fell
// several intervals behind is charged once per call.
func (s *Server) ChargeDueSubscriptions() []Transaction {
	s.mu.Lock()
	var due []string
	now := s.now()
	for id, sub := range s.subs {
		if sub.status == "active" && !sub.nextExec.IsZero() && !now.Before(sub.nextExec) {
			due = append(due, id)
		}
	}
	s.mu.Unlock()
	slices.Sort(due)
	var out []Transaction
	for _, id := range due {
		if t, err := s.ChargeSubscription(id, RecurringByToken); err == nil {
			out = append(out, t)
		}
	}
	return out
}

func addInterval(t time.Time, n int, unit string) time.Time {
	switch unit {
	case "day":
		return t.AddDate(0, 0, n)
	case "week":
		return t.AddDate(0, 0, 7*n)
	}
	return t.AddDate(0, n, 0)
}

// subscriptionAPI routes /v1/subscriptions[/{id}[/enable|disable|cancel]].
func (s *Server) subscriptionAPI(r *http.Request, segs []string, body []byte) apiResult {
	switch {
	case len(segs) == 2 && segs[1] == "subscriptions":
		if r.Method != http.MethodPost {
			return subError(http.StatusMethodNotAllowed, "HTTP method not allowed")
		}
		return s.createSubscription(body)
	case len(segs) == 3 && segs[1] == "subscriptions":
		switch r.Method {
		case http.MethodGet:
			return s.getSubscription(segs[2])
		case http.MethodPatch:
			return s.updateSubscription(segs[2], body)
		}
		return subError(http.StatusMethodNotAllowed, "HTTP method not allowed")
	case len(segs) == 4 && segs[1] == "subscriptions" && (segs[3] == "enable" || segs[3] == "disable" || segs[3] == "cancel"):
		if r.Method != http.MethodPost {
			return subError(http.StatusMethodNotAllowed, "HTTP method not allowed")
		}
		return s.setSubscriptionStatus(segs[2], segs[3])
	}
	return subError(http.StatusNotFound, msgNotFound)
}

func subError(status int, msg string, validation ...string) apiResult {
	o := obj{"status_message": msg}
	if len(validation) > 0 {
		o["validation_message"] = validation
	}
	return apiResult{status: status, body: mustJSON(o)}
}

// subRequest is a create or update body. Amount is a number or a string.
type subRequest struct {
	Name        *string      `json:"name"`
	Amount      *json.Number `json:"amount"`
	Currency    *string      `json:"currency"`
	PaymentType *string      `json:"payment_type"`
	Token       *string      `json:"token"`
	Schedule    *struct {
		Interval     *int    `json:"interval"`
		IntervalUnit *string `json:"interval_unit"`
		MaxInterval  *int    `json:"max_interval"`
		StartTime    *string `json:"start_time"`
	} `json:"schedule"`
	Metadata        json.RawMessage `json:"metadata"`
	CustomerDetails json.RawMessage `json:"customer_details"`
	GoPay           *struct {
		AccountID string `json:"account_id"`
	} `json:"gopay"`
}

func validSubName(n string) bool {
	if n == "" {
		return false
	}
	for _, r := range n {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '~', r == '.':
		default:
			return false
		}
	}
	return true
}

// checkSub validates the members present (all required ones when create)
// into sub. Called with s.mu held.
func (s *Server) checkSub(req *subRequest, sub *subscription, create bool) []string {
	var msgs []string
	now := s.now()
	if req.Name != nil || create {
		switch {
		case req.Name == nil || *req.Name == "":
			msgs = append(msgs, "name is required")
		case !validSubName(*req.Name):
			msgs = append(msgs, "name may contain only letters, digits and - _ ~ .")
		case len(*req.Name) > 34:
			msgs = append(msgs, "name must be at most 34 characters")
		default:
			sub.name = *req.Name
		}
	}
	if req.Amount != nil || create {
		var n int64
		var err error
		if req.Amount != nil {
			n, err = strconv.ParseInt(strings.TrimSuffix(string(*req.Amount), ".00"), 10, 64)
		}
		if req.Amount == nil || err != nil || n <= 0 {
			msgs = append(msgs, "amount must be a positive whole number")
		} else {
			sub.amount = n
		}
	}
	if req.Currency != nil || create {
		if req.Currency == nil || *req.Currency != "IDR" {
			msgs = append(msgs, "currency must be IDR")
		} else {
			sub.currency = "IDR"
		}
	}
	if create {
		switch {
		case req.PaymentType == nil:
			msgs = append(msgs, "payment_type is required")
		case *req.PaymentType != "credit_card" && *req.PaymentType != "gopay":
			msgs = append(msgs, "payment_type must be credit_card or gopay")
		default:
			sub.paymentType = *req.PaymentType
		}
	}
	if req.Token != nil || create {
		switch {
		case req.Token == nil || *req.Token == "":
			msgs = append(msgs, "token is required")
		case sub.paymentType == "credit_card" && s.savedCards[*req.Token] == "":
			msgs = append(msgs, "token is invalid")
		default:
			sub.token = *req.Token
		}
	}
	if sub.paymentType == "gopay" && (req.GoPay != nil || create) {
		if req.GoPay == nil || req.GoPay.AccountID == "" {
			msgs = append(msgs, "gopay.account_id is required")
		} else {
			sub.gopayAccount = req.GoPay.AccountID
		}
	}
	if req.Schedule == nil && create {
		msgs = append(msgs, "schedule is required")
	}
	if sc := req.Schedule; sc != nil {
		if sc.Interval != nil || create {
			if sc.Interval == nil || *sc.Interval < 1 {
				msgs = append(msgs, "schedule.interval must be at least 1")
			} else {
				sub.interval = *sc.Interval
			}
		}
		if sc.IntervalUnit != nil || create {
			if sc.IntervalUnit == nil || (*sc.IntervalUnit != "day" && *sc.IntervalUnit != "week" && *sc.IntervalUnit != "month") {
				msgs = append(msgs, "schedule.interval_unit must be day, week or month")
			} else {
				sub.unit = *sc.IntervalUnit
			}
		}
		if sc.MaxInterval != nil {
			if *sc.MaxInterval < 0 {
				msgs = append(msgs, "schedule.max_interval must not be negative")
			} else {
				sub.maxInterval = *sc.MaxInterval
			}
		}
		if sc.StartTime != nil {
			st, err := time.Parse("2006-01-02 15:04:05 -0700", *sc.StartTime)
			switch {
			case err != nil:
				msgs = append(msgs, "schedule.start_time must be in the format yyyy-MM-dd HH:mm:ss Z")
			case !st.After(now):
				msgs = append(msgs, "schedule.start_time must be after the current time")
			default:
				sub.startTime, sub.nextExec = st, st
			}
		}
	}
	if len(req.Metadata) > 0 && !bytes.Equal(req.Metadata, []byte("null")) {
		if len(req.Metadata) > 1024 {
			msgs = append(msgs, "metadata must be less than 1KB")
		} else {
			sub.metadata = append(json.RawMessage(nil), req.Metadata...)
		}
	}
	if len(req.CustomerDetails) > 0 && !bytes.Equal(req.CustomerDetails, []byte("null")) {
		sub.customer = append(json.RawMessage(nil), req.CustomerDetails...)
	}
	return msgs
}

func decodeSubRequest(body []byte) (*subRequest, error) {
	var req subRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	return &req, nil
}

func (s *Server) createSubscription(body []byte) apiResult {
	req, err := decodeSubRequest(body)
	if err != nil {
		return subError(http.StatusBadRequest, msgSubInvalid, "request body is not valid JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sub := &subscription{id: newUUID(), status: "active", createdAt: now, updatedAt: now}
	if msgs := s.checkSub(req, sub, true); len(msgs) > 0 {
		return subError(http.StatusBadRequest, msgSubInvalid, msgs...)
	}
	if sub.startTime.IsZero() {
		// No start_time: it is now, and the first charge one interval later.
		sub.startTime = now
		sub.nextExec = addInterval(now, sub.interval, sub.unit)
	}
	if s.subs == nil {
		s.subs = map[string]*subscription{}
	}
	s.subs[sub.id] = sub
	return ok200(s.subscriptionObject(sub))
}

func (s *Server) getSubscription(id string) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	if sub == nil {
		return subError(http.StatusNotFound, msgSubNotFound)
	}
	return ok200(s.subscriptionObject(sub))
}

func (s *Server) updateSubscription(id string, body []byte) apiResult {
	req, err := decodeSubRequest(body)
	if err != nil {
		return subError(http.StatusBadRequest, msgSubInvalid, "request body is not valid JSON")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	if sub == nil {
		return subError(http.StatusNotFound, msgSubNotFound)
	}
	next := *sub
	if msgs := s.checkSub(req, &next, false); len(msgs) > 0 {
		return subError(http.StatusBadRequest, msgSubInvalid, msgs...)
	}
	next.updatedAt = s.now()
	*sub = next
	return ok200(obj{"status_message": msgSubUpdated})
}

func (s *Server) setSubscriptionStatus(id, op string) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[id]
	if sub == nil {
		return subError(http.StatusNotFound, msgSubNotFound)
	}
	switch op {
	case "enable":
		if sub.cancelled {
			return subError(http.StatusBadRequest, msgSubInvalid, "subscription is cancelled")
		}
		sub.status = "active"
	case "disable":
		sub.status = "inactive"
	case "cancel":
		sub.status, sub.cancelled = "inactive", true
	}
	sub.updatedAt = s.now()
	return ok200(obj{"status_message": msgSubUpdated})
}

// subTime renders a subscription time as the notification samples do.
func subTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// subscriptionObject is a subscription as create and get answer it.
func (s *Server) subscriptionObject(sub *subscription) obj {
	sched := obj{"interval": sub.interval, "interval_unit": sub.unit, "current_interval": sub.current,
		"start_time": subTime(sub.startTime), "next_execution_at": subTime(sub.nextExec)}
	if sub.maxInterval > 0 {
		sched["max_interval"] = sub.maxInterval
	}
	if !sub.prevExec.IsZero() {
		sched["previous_execution_at"] = subTime(sub.prevExec)
	}
	o := obj{"id": sub.id, "name": sub.name, "amount": strconv.FormatInt(sub.amount, 10), "currency": sub.currency,
		"created_at": subTime(sub.createdAt), "updated_at": subTime(sub.updatedAt), "schedule": sched,
		"status": sub.status, "token": sub.token, "payment_type": sub.paymentType,
		"merchant_id": s.cfg.MerchantID, "transaction_id": append([]string{}, sub.txIDs...)}
	if len(sub.metadata) > 0 {
		o["metadata"] = sub.metadata
	}
	if len(sub.customer) > 0 {
		o["customer_details"] = sub.customer
	}
	if sub.gopayAccount != "" {
		o["gopay"] = obj{"account_id": sub.gopayAccount}
	}
	return o
}

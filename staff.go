package payments

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nusapay/payments/midtrans"
)

// actorKey is the context key of WithActor.
type actorKey struct{}

// MaxActorLen is the longest actor WithActor keeps.
const MaxActorLen = 128

// WithActor returns ctx carrying actor: who acts through it, as the
// host's authentication knows them ("ana@shop.example", "cli:ana",
// "support-bot"). The Service records it with every staff action
// (Operate, RequeueEvent, ReplayNotification: see StaffAction) and on the
// audit rows of the changes those actions make. The console and the
// operation route set it to what the host's Authorizer returns; cmd/nusapay
// to its -actor flag. Control characters are dropped and it is cut to
// MaxActorLen bytes, so an actor can neither forge log lines nor grow a
// row without bound.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, cleanActor(actor))
}

// ActorFrom returns the actor WithActor put in ctx, or "".
func ActorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}

func cleanActor(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	for len(s) > MaxActorLen {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// stampActor sets c's Actor, when it has none, to the actor of ctx: every
// change a staff action makes is audited with who asked for it.
func stampActor(ctx context.Context, c *Change) {
	if c != nil && c.Actor == "" {
		c.Actor = ActorFrom(ctx)
	}
}

// Staff actions that are not operations (Operations names the others).
const (
	ActionRequeueEvent       = "requeue_event"
	ActionReplayNotification = "replay_notification"
)

// ActionResult is how a staff action ended.
type ActionResult string

// Action results. An action is recorded as started before it runs and
// finished after; one still started crashed, or its finish could not be
// recorded.
const (
	ActionStarted   ActionResult = "started"
	ActionSucceeded ActionResult = "succeeded"
	ActionFailed    ActionResult = "failed"
)

// StaffAction is one row of the staff action log: who asked for what on
// which order, and how it ended. It is part of a payment's Timeline.
type StaffAction struct {
	ID      int64
	Account string
	OrderID string
	// Actor is ActorFrom of the action's ctx ("" when nobody was named).
	Actor string
	// Action is an operation name (Operations) or ActionRequeueEvent,
	// ActionReplayNotification.
	Action string
	// Detail is the action's input as JSON (a refund's amount and reason,
	// the event id, the notification id); never a secret.
	Detail     json.RawMessage
	Result     ActionResult
	Message    string
	CreatedAt  time.Time
	FinishedAt time.Time
}

// ActionLog records staff actions (every Store is one).
type ActionLog interface {
	// StartAction inserts a, with a.Account set to the store's account,
	// a.Result ActionStarted, and sets a.ID. Nothing runs until it
	// returns nil.
	StartAction(ctx context.Context, a *StaffAction) error
	// FinishAction records how the account's action id ended.
	// Unknown id → ErrNotFound.
	FinishAction(ctx context.Context, id int64, result ActionResult, message string, at time.Time) error
}

// act runs fn as a staff action on orderID: it is recorded before it runs
// (a failure to record refuses it: no staff action goes unaudited) and its
// result after. The finish is recorded with a context that outlives ctx's
// cancellation, so an action whose caller went away still says how it
// ended; a failure to record it is logged, and the action stays started.
func (s *Service) act(ctx context.Context, orderID, action string, detail any, fn func(ctx context.Context) error) error {
	a := &StaffAction{OrderID: orderID, Actor: ActorFrom(ctx), Action: action, CreatedAt: s.now()}
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return fmt.Errorf("%s %s: detail: %w", action, orderID, err)
		}
		a.Detail = b
	}
	if err := s.store.StartAction(ctx, a); err != nil {
		return fmt.Errorf("%s %s: record the action: %w", action, orderID, err)
	}
	err := fn(ctx)
	result, msg := ActionSucceeded, ""
	if err != nil {
		result, msg = ActionFailed, err.Error()
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if ferr := s.store.FinishAction(fctx, a.ID, result, msg, s.now()); ferr != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "payments: record the end of a staff action",
			slog.Int64("action_id", a.ID), slog.String("action", action), slog.String("order_id", orderID), slog.Any("error", ferr))
	}
	return err
}

// ReplayNotification applies a stored notification (its id as the inbox
// has it, Notification.ID) again, as a staff action: for one whose
// processing failed and was not retried, or to re-check a payment against
// what Midtrans said. opts are as ApplyNotification's; the zero value
// confirms with Midtrans first. A notification whose signature did not
// verify when it arrived is never replayed (ErrNotAllowed); an unknown id
// is ErrNotFound; an empty or overlong one a *ValidationError naming
// notification_id.
func (s *Service) ReplayNotification(ctx context.Context, id string, opts NotificationOptions) (*NotificationResult, error) {
	if id == "" || len(id) > 64 {
		var ve ValidationError
		ve.Add("notification_id", "must be 1-64 characters")
		return nil, ve.Err()
	}
	n, err := s.store.NotificationByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("notification %s: %w", id, err)
	}
	if !n.SignatureValid {
		return nil, fmt.Errorf("notification %s: its signature did not verify when it arrived: %w", id, ErrNotAllowed)
	}
	var res *NotificationResult
	err = s.act(ctx, n.OrderID, ActionReplayNotification, map[string]any{"notification_id": id, "unconfirmed": opts.Unconfirmed},
		func(ctx context.Context) error {
			parsed, err := midtrans.ParseNotification(n.Body)
			if err != nil {
				return fmt.Errorf("notification %s: stored body: %w", id, err)
			}
			r, err := s.ApplyNotification(ctx, parsed, n.Body, opts)
			if err != nil {
				return fmt.Errorf("replay notification %s: %w", id, err)
			}
			res = &r
			return nil
		})
	if err != nil {
		return nil, err
	}
	return res, nil
}

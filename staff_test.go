package payments_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
	"github.com/nusapay/payments/notify"
	"github.com/nusapay/payments/store"
)

// TestStaffActionsAudited: every staff action (an operation, a requeue, a
// replay) is in the order's timeline with who asked, what they asked
// and how it ended, and the audit rows of the changes it made carry the
// actor; a refused action is recorded as failed.
func TestStaffActionsAudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{})
		ctx := testenv.Ctx(t)
		staff := payments.WithActor(ctx, "ana@shop.example")
		if _, err := env.Service.CreateCharge(ctx, chargeReq("staff-1", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		if err := env.Sim.Pay("staff-1"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.Service.Operate(staff, "staff-1", payments.OpSync, payments.OperationRequest{}); err != nil {
			t.Fatal(err)
		}
		// Refused by the operation table: recorded as failed.
		if _, _, err := env.Service.Operate(staff, "staff-1", payments.OpCancel, payments.OperationRequest{}); !errors.Is(err, payments.ErrNotAllowed) {
			t.Fatalf("cancel a settled payment: %v", err)
		}
		if _, _, err := env.Service.Operate(payments.WithActor(ctx, "budi"), "staff-1", payments.OpRefund,
			payments.OperationRequest{Amount: 5000, Reason: "rusak"}); err != nil {
			t.Fatal(err)
		}
		tl, err := env.Service.Timeline(ctx, "staff-1")
		if err != nil {
			t.Fatal(err)
		}
		type want struct {
			actor, action string
			result        payments.ActionResult
			detail        string
		}
		wants := []want{
			{"ana@shop.example", "sync", payments.ActionSucceeded, ""},
			{"ana@shop.example", "cancel", payments.ActionFailed, ""},
			{"budi", "refund", payments.ActionSucceeded, `{"amount":5000,"reason":"rusak"}`},
		}
		if len(tl.Actions) != len(wants) {
			t.Fatalf("%d actions, want %d: %+v", len(tl.Actions), len(wants), tl.Actions)
		}
		for i, w := range wants {
			a := tl.Actions[i]
			if a.Actor != w.actor || a.Action != w.action || a.Result != w.result || string(a.Detail) != w.detail ||
				a.OrderID != "staff-1" || a.Account != payments.DefaultAccount || a.CreatedAt.IsZero() || a.FinishedAt.IsZero() {
				t.Errorf("action %d = %+v (detail %s), want %+v", i, a, a.Detail, w)
			}
		}
		if m := tl.Actions[1].Message; !strings.Contains(m, "not allowed") {
			t.Errorf("the refused action says %q", m)
		}
		var synced, refunded bool
		for _, e := range tl.Audit {
			switch {
			case e.Source == payments.SourceCharge && e.Actor != "":
				t.Errorf("the charge's audit row names %q: nobody asked for it by name", e.Actor)
			case e.To.Status == payments.StatusSettlement && e.Decision == payments.Applied:
				synced = e.Actor == "ana@shop.example"
			case e.To.Status == payments.StatusPartialRefund && e.Decision == payments.Applied:
				refunded = e.Actor == "budi"
			}
		}
		if !synced || !refunded {
			t.Errorf("audit rows do not carry the actors (sync %t, refund %t): %+v", synced, refunded, tl.Audit)
		}

		// A requeue of an event that is not dead, and of one that does
		// not exist.
		ev := tl.Events[0]
		if err := env.Service.RequeueEvent(staff, ev.ID); !errors.Is(err, payments.ErrNotAllowed) {
			t.Fatalf("requeue a pending event: %v", err)
		}
		if err := env.Service.RequeueEvent(staff, "no-such-event"); !errors.Is(err, payments.ErrNotFound) {
			t.Fatalf("requeue an unknown event: %v", err)
		}
		// A replay of a stored notification.
		h, err := notify.New(env.Service)
		if err != nil {
			t.Fatal(err)
		}
		body, err := json.Marshal(map[string]string{"order_id": "staff-1", "status_code": "200", "gross_amount": "145000.00",
			"transaction_status": "settlement", "payment_type": "gopay", "signature_key": env.Client.Signature("staff-1", "200", "145000.00")})
		if err != nil {
			t.Fatal(err)
		}
		if res := h.Handle(ctx, body); res.Kind != notify.Processed {
			t.Fatalf("notification: %+v", res)
		}
		tl, err = env.Service.Timeline(ctx, "staff-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Notifications) == 0 {
			t.Fatal("no notification stored")
		}
		n := tl.Notifications[len(tl.Notifications)-1]
		if _, err := env.Service.ReplayNotification(staff, n.ID, payments.NotificationOptions{}); err != nil {
			t.Fatal(err)
		}
		tl, err = env.Service.Timeline(ctx, "staff-1")
		if err != nil {
			t.Fatal(err)
		}
		got := tl.Actions[len(wants):]
		if len(got) != 2 || got[0].Action != payments.ActionRequeueEvent || got[0].Result != payments.ActionFailed ||
			got[1].Action != payments.ActionReplayNotification || got[1].Result != payments.ActionSucceeded || got[1].Actor != "ana@shop.example" {
			t.Fatalf("requeue and replay: %+v", got)
		}
		var d map[string]any
		if err := json.Unmarshal(got[1].Detail, &d); err != nil || d["notification_id"] != n.ID {
			t.Errorf("replay detail %s", got[1].Detail)
		}
	})
}

// TestStaffActionNeverUnaudited: when the action cannot be recorded, it does
// not run: Midtrans is not asked and the payment does not change.
func TestStaffActionNeverUnaudited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{})
		ctx := testenv.Ctx(t)
		if _, err := env.Service.CreateCharge(ctx, chargeReq("unaudited", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		heal := dbtest.FailWrites(t, db, store.TableActions, "INSERT", "NEW.order_id = 'unaudited'")
		_, _, err := env.Service.Operate(payments.WithActor(ctx, "ana"), "unaudited", payments.OpCancel, payments.OperationRequest{})
		if err == nil {
			t.Fatal("cancelled without recording who did")
		}
		if tx, _ := env.Sim.Transaction("unaudited"); tx.Status != "pending" {
			t.Fatalf("Midtrans was asked: its transaction is %s", tx.Status)
		}
		if p, _ := env.Service.Payment(ctx, "unaudited"); p.Status != payments.StatusPending {
			t.Fatalf("payment is %s", p.Status)
		}
		heal()
		if _, _, err := env.Service.Operate(payments.WithActor(ctx, "ana"), "unaudited", payments.OpCancel, payments.OperationRequest{}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestActorCleaned: an actor cannot forge a log line or grow a row.
func TestActorCleaned(t *testing.T) {
	ctx := context.Background()
	if got := payments.ActorFrom(ctx); got != "" {
		t.Errorf("no actor = %q", got)
	}
	if got := payments.ActorFrom(payments.WithActor(ctx, " ana\n2026 INFO forged\x00 ")); got != "ana2026 INFO forged" {
		t.Errorf("control characters kept: %q", got)
	}
	long := strings.Repeat("é", payments.MaxActorLen)
	if got := payments.ActorFrom(payments.WithActor(ctx, long)); len(got) > payments.MaxActorLen || !strings.HasPrefix(long, got) {
		t.Errorf("long actor = %d bytes", len(got))
	}
}

// TestStaffActionFinishFails: when the end of an action cannot be recorded
// (the database fails after the operation ran), the operation's own result
// stands — it happened at Midtrans and in the payment — and the action
// stays "started", which says exactly that: it began and its end is unknown.
func TestStaffActionFinishFails(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *bun.DB) {
		env := testenv.New(t, db, testenv.Config{})
		ctx := testenv.Ctx(t)
		if _, err := env.Service.CreateCharge(ctx, chargeReq("finish-fails", "gopay", nil)); err != nil {
			t.Fatal(err)
		}
		heal := dbtest.FailWrites(t, db, store.TableActions, "UPDATE", "NEW.order_id = 'finish-fails'")
		p, _, err := env.Service.Operate(payments.WithActor(ctx, "ana"), "finish-fails", payments.OpCancel, payments.OperationRequest{})
		if err != nil || p.Status != payments.StatusCancel {
			t.Fatalf("cancel: %v, %v", p, err)
		}
		heal()
		if tx, _ := env.Sim.Transaction("finish-fails"); tx.Status != "cancel" {
			t.Fatalf("Midtrans: %s", tx.Status)
		}
		tl, err := env.Service.Timeline(ctx, "finish-fails")
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Actions) != 1 || tl.Actions[0].Result != payments.ActionStarted || tl.Actions[0].Actor != "ana" || !tl.Actions[0].FinishedAt.IsZero() {
			t.Fatalf("actions %+v", tl.Actions)
		}
	})
}

package payments_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/internal/testenv"
)

// TestOperationTable: the table is the one list of operations. Each row is
// complete and reaches the Service through Operate, and a refusal's text
// comes from the row.
func TestOperationTable(t *testing.T) {
	env := testenv.New(t, dbtestSQLite(t), testenv.Config{})
	ctx := testenv.Ctx(t)
	seen := map[payments.Op]bool{}
	for _, op := range payments.Operations() {
		if seen[op.Name] || op.Name == "" || op.Allows == nil || op.Capable == nil || op.When == "" {
			t.Errorf("row %+v: duplicate or incomplete", op)
		}
		seen[op.Name] = true
		if got, ok := payments.Operation(string(op.Name)); !ok || got.Name != op.Name {
			t.Errorf("Operation(%q) = %v, %v", op.Name, got.Name, ok)
		}
		// Dispatched: an unknown payment is looked up, not an unknown op.
		if _, _, err := env.Service.Operate(ctx, "INV-no-such", op.Name, payments.OperationRequest{}); !errors.Is(err, payments.ErrNotFound) {
			t.Errorf("Operate %s on an unknown order: %v, want ErrNotFound", op.Name, err)
		}
	}
	var ve *payments.ValidationError
	if _, _, err := env.Service.Operate(ctx, "INV-no-such", "explode", payments.OperationRequest{}); !errors.As(err, &ve) || !ve.Has("op") {
		t.Errorf("Operate explode: %v, want a ValidationError naming op", err)
	}
	if _, ok := payments.Operation("explode"); ok {
		t.Error("Operation(explode) found")
	}

	if _, err := env.Service.CreateCharge(ctx, chargeReq("table-1", "gopay", nil)); err != nil {
		t.Fatal(err)
	}
	if err := env.Sim.Pay("table-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Service.Sync(ctx, "table-1"); err != nil {
		t.Fatal(err)
	}
	expire, _ := payments.Operation("expire")
	_, err := env.Service.Expire(ctx, "table-1")
	if !errors.Is(err, payments.ErrNotAllowed) || !strings.Contains(err.Error(), "expire needs "+expire.When) {
		t.Errorf("expire a settled payment: %v, want ErrNotAllowed saying %q", err, expire.When)
	}
	p, r, err := env.Service.Operate(ctx, "table-1", payments.OpRefund, payments.OperationRequest{Amount: 45000, RefundKey: "table-rk"})
	if err != nil || r == nil || r.Key != "table-rk" || p.RefundedAmount != 45000 {
		t.Fatalf("refund through Operate: %s %+v %v", show(p), r, err)
	}
}

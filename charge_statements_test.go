package payments_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/nusapay/payments/internal/dbtest"
	"github.com/nusapay/payments/internal/testenv"
)

// queryLog records the statements a *bun.DB sends.
type queryLog struct {
	mu   sync.Mutex
	list []string
}

func (l *queryLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (l *queryLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, e.Query)
}

func (l *queryLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.list
	l.list = nil
	return out
}

// TestChargeStatements: on PostgreSQL a charge is two statements, the
// payment's creation and the answer's write, with no read of the payment
// between them: the answer is planned against the payment CreatePayment
// returned (store.Store.ApplyFrom), its version checked by the write.
func TestChargeStatements(t *testing.T) {
	db := dbtest.Postgres(t)
	log := &queryLog{}
	db.AddQueryHook(log)
	env := testenv.New(t, db, testenv.Config{})
	ctx := testenv.Ctx(t)
	log.take()
	p, err := env.Service.CreateCharge(ctx, chargeReq("order-statements", "bca_va", nil))
	if err != nil || p.VANumber == "" || p.Version != 2 {
		t.Fatalf("%+v %v", p, err)
	}
	got := log.take()
	if len(got) != 2 || !strings.Contains(got[0], "nusapay_create_payment(") || !strings.Contains(got[1], "nusapay_write_change(") {
		t.Fatalf("%d statements, want the create and the write:\n%s", len(got), strings.Join(got, "\n"))
	}
}

package clientbench

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	mtgo "github.com/midtrans/midtrans-go"
	"github.com/midtrans/midtrans-go/coreapi"
	"github.com/midtrans/midtrans-go/snap"

	"github.com/nusapay/payments/midtrans"
	"github.com/nusapay/payments/midtranstest"
)

// pair is one simulator and both clients pointed at it, each in its default
// configuration apart from where it sends requests (and midtrans-go's
// logger, see newPair).
type pair struct {
	sim      *midtranstest.Server
	ours     *midtrans.Client
	official coreapi.Client
	snap     snap.Client
	// statusOrder is a pending BCA VA charge that status calls read.
	statusOrder string
}

func newPair(tb testing.TB) *pair {
	tb.Helper()
	sim := midtranstest.NewServer(midtranstest.Config{})
	tb.Cleanup(sim.Close)

	ours, err := midtrans.New(midtrans.Config{ServerKey: sim.ServerKey(), BaseURL: sim.URL()})
	if err != nil {
		tb.Fatal(err)
	}

	hc := officialHTTPClient(tb, sim.URL())
	// midtrans-go's sandbox logger prints every request and response to
	// stdout; LogError is its production default and prints nothing on
	// success, as our client logs nothing by default.
	impl := &mtgo.HttpClientImplementation{HttpClient: hc, Logger: &mtgo.LoggerImplementation{LogLevel: mtgo.LogError}}
	var core coreapi.Client
	core.New(sim.ServerKey(), mtgo.Sandbox)
	core.HttpClient = impl
	var sn snap.Client
	sn.New(sim.ServerKey(), mtgo.Sandbox)
	sn.HttpClient = impl
	p := &pair{sim: sim, ours: ours, official: core, snap: sn, statusOrder: "status-order"}
	if err := ourChargeCall(context.Background(), p, p.statusOrder); err != nil {
		tb.Fatal(err)
	}
	return p
}

// officialHTTPClient is midtrans-go's default HTTP client (its timeout and
// the default transport's settings) with one change: every connection,
// whatever the host, goes to the simulator. midtrans-go asks for
// https://api.sandbox.midtrans.com and https://app.sandbox.midtrans.com;
// DialTLSContext hands the transport a plain TCP connection to the
// simulator, which it then uses as an established TLS connection, so
// requests go out unchanged and the per-call work is midtrans-go's own.
func officialHTTPClient(tb testing.TB, simURL string) *http.Client {
	u, err := url.Parse(simURL)
	if err != nil {
		tb.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	var d net.Dialer
	tr.DialTLSContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, u.Host)
	}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: mtgo.DefaultHttpTimeout, Transport: tr}
}

// The same BCA virtual account charge and Snap transaction for both
// clients: one item, a customer, 44,000 rupiah.
const (
	amount   = 44000
	itemName = "Kopi susu"
	customer = "Budi"
	email    = "budi@example.com"
)

func ourCharge(orderID string) *midtrans.ChargeRequest {
	return &midtrans.ChargeRequest{
		PaymentType:        "bank_transfer",
		TransactionDetails: midtrans.TransactionDetails{OrderID: orderID, GrossAmount: amount},
		ItemDetails:        []midtrans.ItemDetail{{ID: "kopi", Name: itemName, Price: amount, Quantity: 1}},
		CustomerDetails:    &midtrans.CustomerDetails{FirstName: customer, Email: email},
		BankTransfer:       &midtrans.BankTransfer{Bank: "bca"},
	}
}

func officialCharge(orderID string) *coreapi.ChargeReq {
	return &coreapi.ChargeReq{
		PaymentType:        coreapi.PaymentTypeBankTransfer,
		TransactionDetails: mtgo.TransactionDetails{OrderID: orderID, GrossAmt: amount},
		Items:              &[]mtgo.ItemDetails{{ID: "kopi", Name: itemName, Price: amount, Qty: 1}},
		CustomerDetails:    &mtgo.CustomerDetails{FName: customer, Email: email},
		BankTransfer:       &coreapi.BankTransferDetails{Bank: mtgo.BankBca},
	}
}

func ourSnap(orderID string) *midtrans.SnapRequest {
	return &midtrans.SnapRequest{
		TransactionDetails: midtrans.TransactionDetails{OrderID: orderID, GrossAmount: amount},
		ItemDetails:        []midtrans.ItemDetail{{ID: "kopi", Name: itemName, Price: amount, Quantity: 1}},
		CustomerDetails:    &midtrans.CustomerDetails{FirstName: customer, Email: email},
	}
}

func officialSnap(orderID string) *snap.Request {
	return &snap.Request{
		TransactionDetails: mtgo.TransactionDetails{OrderID: orderID, GrossAmt: amount},
		Items:              &[]mtgo.ItemDetails{{ID: "kopi", Name: itemName, Price: amount, Qty: 1}},
		CustomerDetail:     &mtgo.CustomerDetails{FName: customer, Email: email},
	}
}

// orderIDs hands out order ids no call has used, so every charge and Snap
// transaction creates a new one rather than meeting the duplicate rule.
type orderIDs struct {
	prefix string
	n      int
}

func (o *orderIDs) next() string {
	o.n++
	return o.prefix + strconv.Itoa(o.n)
}

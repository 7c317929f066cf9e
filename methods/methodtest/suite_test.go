package methodtest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// The suite's own tests: a well-behaved plugin passes every check, and each
// kind of misbehaviour is caught by the check meant for it.

type fakeOptions struct {
	Code string `json:"code,omitempty" payments:"customer"`
	Note string `json:"note,omitempty"`
}

type badTagOptions struct {
	Code string `json:"code,omitempty" payments:"browser"`
}

// fake is a bank-transfer-like plugin whose faults are switched on one by one.
type fake struct {
	name          string
	caps          payments.Capabilities
	mutate        bool // Build rewrites the request's items
	badTag        bool // the options type has an invalid tag
	counter       *atomic.Int64
	both          bool // Build returns Core and Snap
	acceptForeign bool // Validate ignores options of a foreign type
	firstOnly     bool // Validate stops at the first problem
	extraKey      bool // Build sets a member the sample lacks
	wrongOrder    bool // Build sends another order id
	panicBuild    bool
	noInstr       bool // Instructions drops the VA number
	sharedOptions *fakeOptions
}

func (f *fake) Name() string                        { return f.name }
func (f *fake) Capabilities() payments.Capabilities { return f.caps }
func (f *fake) NewOptions() any {
	if f.badTag {
		return new(badTagOptions)
	}
	if f.sharedOptions != nil {
		return f.sharedOptions
	}
	return new(fakeOptions)
}

func (f *fake) opts(req *payments.ChargeRequest) (fakeOptions, bool) {
	switch o := req.Options.(type) {
	case nil:
		return fakeOptions{}, true
	case fakeOptions:
		return o, true
	case *fakeOptions:
		return *o, true
	}
	return fakeOptions{}, f.acceptForeign
}

func (f *fake) Validate(req *payments.ChargeRequest, v *payments.ValidationError) {
	o, ok := f.opts(req)
	if !ok {
		v.Add("options", "wrong type")
		return
	}
	if o.Code != "" && strings.Trim(o.Code, "0123456789") != "" {
		v.Add("options.code", "digits only")
		if f.firstOnly {
			return
		}
	}
	if req.Customer != nil && req.Customer.Phone == "" {
		v.Add("customer_details.phone", "required")
	}
}

func (f *fake) Build(req *payments.ChargeRequest) (payments.Request, error) {
	if f.panicBuild {
		panic("boom")
	}
	o, _ := f.opts(req)
	if f.mutate && len(req.Items) > 0 {
		req.Items[0].Name = "changed"
	}
	c := payments.CoreRequest(req, "bank_transfer")
	c.BankTransfer = &midtrans.BankTransfer{Bank: "bca", VANumber: o.Code}
	if f.counter != nil {
		c.CustomField1 = fmt.Sprint(f.counter.Add(1))
	}
	if f.extraKey {
		c.CustomField2 = "x"
	}
	if f.wrongOrder {
		c.TransactionDetails.OrderID = "other"
	}
	out := payments.Request{Core: c}
	if f.both {
		out.Snap = payments.SnapRequest(req)
	}
	return out, nil
}

func (f *fake) Instructions(resp *midtrans.TransactionResponse) payments.Instructions {
	in := payments.ParseInstructions(resp)
	if f.noInstr {
		in.VANumber = ""
	}
	return in
}

const fakeRequest = `{"payment_type":"bank_transfer","transaction_details":{"order_id":"o","gross_amount":1},
	"item_details":[{"id":"a","price":1,"quantity":1,"name":"n"}],"bank_transfer":{"bank":"bca","va_number":"1"},
	"_comment":"documentation members are ignored"}`

const fakeResponse = `{"status_code":"201","payment_type":"bank_transfer","transaction_status":"pending",
	"va_numbers":[{"bank":"bca","va_number":"812785002530231"}]}`

func fakeSpec(f *fake) Spec {
	if f.name == "" {
		f.name = "fake_va"
	}
	if f.caps == (payments.Capabilities{}) {
		f.caps = payments.Capabilities{Cancel: true, Expire: true}
	}
	return Spec{
		Method: f,
		Valid: payments.ChargeRequest{OrderID: "order-1", Amount: 10000,
			Items:   []payments.Item{{ID: "a", Name: "Kopi", Price: 10000, Quantity: 1}},
			Options: fakeOptions{Code: "123"}},
		RequestSample:   []byte(fakeRequest),
		ResponseSample:  []byte(fakeResponse),
		Instructions:    payments.Instructions{VANumber: "812785002530231", Bank: "bca"},
		CustomerOptions: []string{"code"},
		Invalid: []Invalid{{Name: "two problems", Fields: []string{"options.code", "customer_details.phone"},
			Request: payments.ChargeRequest{OrderID: "o", Amount: 1, Customer: &payments.Customer{},
				Options: &fakeOptions{Code: "12a"}}}},
	}
}

func TestWellBehavedPluginPasses(t *testing.T) {
	t.Parallel()
	Run(t, fakeSpec(&fake{}))
}

// recorder is a reporter that keeps the failures; safe for the
// concurrent check.
type recorder struct {
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// failures runs one check the way testing does (in its own goroutine, so
// Fatalf can end it) and returns what it reported.
func failures(run func(reporter)) []string {
	rec := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(rec)
	}()
	<-done
	return rec.errs
}

func TestChecksCatchMisbehaviour(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fake  *fake
		spec  func(*Spec)
		check func(reporter, *suite)
		want  string // a substring of one failure
	}{
		{name: "name with a space", fake: &fake{name: "fake va"}, check: checkName, want: "contains spaces"},
		{name: "shared NewOptions", fake: &fake{sharedOptions: &fakeOptions{}}, check: checkNewOptions, want: "same pointer twice"},
		{name: "non-zero NewOptions", fake: &fake{sharedOptions: &fakeOptions{Code: "1"}}, check: checkNewOptions, want: "non-zero value"},
		{name: "foreign options accepted", fake: &fake{acceptForeign: true}, check: checkForeignOptions, want: `want field "options"`},
		{name: "stops at the first problem", fake: &fake{firstOnly: true},
			check: func(r reporter, s *suite) { checkInvalid(r, s, s.invalid[0]) }, want: "want exactly"},
		{name: "both Core and Snap", fake: &fake{both: true}, check: checkBuild, want: "both a Core and a Snap"},
		{name: "wrong order id", fake: &fake{wrongOrder: true}, check: checkBuild, want: "transaction_details.order_id"},
		{name: "undeclared extra key", fake: &fake{extraKey: true}, check: checkRequestSample, want: `has "custom_field2"`},
		{name: "stale declaration", fake: &fake{},
			spec:  func(s *Spec) { s.ExtraKeys = map[string]string{"bank_transfer.bank": "stale"} },
			check: checkRequestSample, want: "remove the declaration"},
		{name: "missing object member", fake: &fake{},
			spec:  func(s *Spec) { s.Valid.Options = nil },
			check: checkRequestSample, want: `lacks "bank_transfer.va_number"`},
		{name: "object sample differs", fake: &fake{},
			spec:  func(s *Spec) { s.ObjectSample = []byte(`{"bank_transfer":{"bank":"bni"}}`) },
			check: checkObjectSample, want: "as in the object sample"},
		{name: "instructions lost", fake: &fake{noInstr: true}, check: checkInstructions, want: "VANumber"},
		{name: "mutating Build", fake: &fake{mutate: true}, check: checkNoMutation, want: "Build changed its input"},
		{name: "nondeterministic Build", fake: &fake{counter: new(atomic.Int64)}, check: checkDeterministic, want: "two different requests"},
		{name: "partial refund without refund", fake: &fake{caps: payments.Capabilities{PartialRefund: true}},
			check: checkCapabilities, want: "PartialRefund without Refund"},
		{name: "capture on a VA", fake: &fake{caps: payments.Capabilities{Capture: true}}, check: checkCapabilities, want: "Capture is for card"},
		{name: "transaction id only on Core", fake: &fake{caps: payments.Capabilities{TransactionIDOnly: true}},
			check: checkCapabilities, want: "TransactionIDOnly"},
		{name: "customer set not declared", fake: &fake{},
			spec:  func(s *Spec) { s.CustomerOptions = nil },
			check: checkOptionFields, want: "the Spec declares"},
		{name: "invalid tag", fake: &fake{badTag: true}, check: checkOptionFields, want: "declaration is invalid"},
		{name: "panicking Build", fake: &fake{panicBuild: true}, check: checkBuild, want: "Build panicked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			spec := fakeSpec(c.fake)
			if c.spec != nil {
				c.spec(&spec)
			}
			s, err := prepare(spec)
			if err != nil {
				t.Fatal(err)
			}
			errs := failures(func(r reporter) { c.check(r, s) })
			for _, e := range errs {
				if strings.Contains(e, c.want) {
					return
				}
			}
			t.Errorf("want a failure containing %q, got %q", c.want, errs)
		})
	}
}

func TestSpecErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]func(*Spec){
		"no method":                   func(s *Spec) { s.Method = nil },
		"no order id":                 func(s *Spec) { s.Valid.OrderID = "" },
		"other method name":           func(s *Spec) { s.Valid.Method = "gopay" },
		"response without want":       func(s *Spec) { s.Instructions = payments.Instructions{} },
		"want without response":       func(s *Spec) { s.ResponseSample = nil },
		"extra key without reason":    func(s *Spec) { s.ExtraKeys = map[string]string{"x": " "} },
		"extra key without sample":    func(s *Spec) { s.RequestSample = nil; s.ExtraKeys = map[string]string{"x": "y"} },
		"invalid case without fields": func(s *Spec) { s.Invalid[0].Fields = nil },
		"bad request sample":          func(s *Spec) { s.RequestSample = []byte(`[1]`) },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			spec := fakeSpec(&fake{})
			mod(&spec)
			if _, err := prepare(spec); err == nil {
				t.Fatal("prepare accepted the spec")
			}
		})
	}
}

// chooser is a fake that lets the customer choose the channel, with the
// given capabilities for every channel.
type chooser struct {
	*fake
	per payments.Capabilities
}

func (c *chooser) ChannelCapabilities(string) payments.Capabilities { return c.per }

func TestChecksCatchChannelChooser(t *testing.T) {
	t.Parallel()
	spec := fakeSpec(&fake{})
	spec.Method = &chooser{fake: spec.Method.(*fake), per: payments.Capabilities{Capture: true, PartialRefund: true}}
	s, err := prepare(spec)
	if err != nil {
		t.Fatal(err)
	}
	errs := strings.Join(failures(func(r reporter) { checkCapabilities(r, s) }), "\n")
	for _, want := range []string{"ChannelChooser, but Build returns a Core charge", `ChannelCapabilities("gopay"): Capture and Review are for card payments`,
		`ChannelCapabilities("credit_card"): PartialRefund without Refund`, "ChannelCapabilities of an unknown payment type"} {
		if !strings.Contains(errs, want) {
			t.Errorf("want a failure containing %q, got\n%s", want, errs)
		}
	}
}

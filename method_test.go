package payments_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nusapay/payments"
)

// tipOptions is a plugin's options type: Tip is the customer's choice,
// Secure and Promo the host's.
type tipOptions struct {
	Tip    int      `json:"tip,omitempty" payments:"customer"`
	Secure *bool    `json:"secure,omitempty"`
	Promo  []string `json:"promo,omitempty"`
}

type tipMethod struct{}

func (tipMethod) Name() string                                                { return "tip" }
func (tipMethod) Capabilities() payments.Capabilities                         { return payments.Capabilities{} }
func (tipMethod) NewOptions() any                                             { return new(tipOptions) }
func (tipMethod) Validate(*payments.ChargeRequest, *payments.ValidationError) {}
func (tipMethod) Build(req *payments.ChargeRequest) (payments.Request, error) {
	return payments.Request{Core: payments.CoreRequest(req, "tip")}, nil
}

func TestOptionFieldsOf(t *testing.T) {
	f, err := payments.OptionFieldsOf[tipOptions]()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Customer, []string{"tip"}) || !slices.Equal(f.Host, []string{"secure", "promo"}) {
		t.Fatalf("fields %+v", f)
	}
	type badValue struct {
		A string `payments:"browser"`
	}
	type hiddenCustomer struct {
		//lint:ignore U1000 read by reflection only
		a string `payments:"customer"`
	}
	type dashCustomer struct {
		A string `json:"-" payments:"customer"`
	}
	type Inner struct{ B string }
	type embedded struct{ Inner }
	for name, err := range map[string]error{
		"bad value":    second(payments.OptionFieldsOf[badValue]()),
		"unexported":   second(payments.OptionFieldsOf[hiddenCustomer]()),
		"json dash":    second(payments.OptionFieldsOf[dashCustomer]()),
		"embedded":     second(payments.OptionFieldsOf[embedded]()),
		"not a struct": second(payments.OptionFieldsOf[string]()),
	} {
		if err == nil {
			t.Errorf("%s: declaration accepted", name)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestCustomerOptions(t *testing.T) {
	off := false
	host := &tipOptions{Secure: &off, Promo: []string{"p1"}, Tip: 5}
	got, err := payments.CustomerOptions(tipMethod{}, host, []byte(`{"tip":7}`))
	if err != nil {
		t.Fatal(err)
	}
	o := got.(*tipOptions)
	if o.Tip != 7 || o.Secure != &off || !slices.Equal(o.Promo, []string{"p1"}) {
		t.Fatalf("merged %+v", o)
	}
	if host.Tip != 5 {
		t.Fatal("the host's options were modified")
	}
	// A value works as well as a pointer; no data keeps the host's as is.
	if got, err := payments.CustomerOptions(tipMethod{}, *host, nil); err != nil || got.(tipOptions).Tip != 5 {
		t.Fatalf("no data: %v %v", got, err)
	}
	if got, err := payments.CustomerOptions(tipMethod{}, *host, []byte(`{}`)); err != nil || got.(*tipOptions).Tip != 5 {
		t.Fatalf("empty object: %v %v", got, err)
	}

	for data, field := range map[string]string{
		`{"secure":false}`:           "options.secure",
		`{"tip":1,"SECURE":false}`:   "options.secure",
		`{"promo":["x"],"secure":1}`: "options.promo",
	} {
		_, err := payments.CustomerOptions(tipMethod{}, host, []byte(data))
		var ve *payments.ValidationError
		if !errors.Is(err, payments.ErrHostOption) || !errors.As(err, &ve) || !ve.Has(field) {
			t.Errorf("%s: %v, want ErrHostOption naming %s", data, err, field)
		}
	}
	// A member no option has (or a customer field in another case) is
	// ErrUnknownOption naming it; the one place that decides it.
	for data, field := range map[string]string{`{"Tip":1}`: "options.Tip", `{"nope":1}`: "options.nope"} {
		_, err := payments.CustomerOptions(tipMethod{}, nil, []byte(data))
		var ve *payments.ValidationError
		if !errors.Is(err, payments.ErrUnknownOption) || !errors.As(err, &ve) || !ve.Has(field) {
			t.Errorf("%s: %v, want ErrUnknownOption naming %s", data, err, field)
		}
	}
	for _, data := range []string{`{"tip":"x"}`, `[1]`, `{"tip":1} {}`} {
		_, err := payments.CustomerOptions(tipMethod{}, nil, []byte(data))
		var ve *payments.ValidationError
		if errors.Is(err, payments.ErrHostOption) || errors.Is(err, payments.ErrUnknownOption) || !errors.As(err, &ve) || !ve.Has("options") {
			t.Errorf("%s: %v, want a validation error under options", data, err)
		}
	}
	if _, err := payments.CustomerOptions(tipMethod{}, "wrong", nil); err == nil || errors.Is(err, payments.ErrValidation) {
		t.Errorf("host options of another type: %v, want a plain error", err)
	}
}

func TestOptionsOf(t *testing.T) {
	for _, opts := range []any{nil, tipOptions{Tip: 1}, &tipOptions{Tip: 1}, (*tipOptions)(nil)} {
		var v payments.ValidationError
		if _, ok := payments.OptionsOf[tipOptions](&payments.ChargeRequest{Options: opts}, &v); !ok || v.Err() != nil {
			t.Errorf("%T refused: %v", opts, v.Err())
		}
	}
	var v payments.ValidationError
	req := &payments.ChargeRequest{Method: "tip", Options: struct{}{}}
	if _, ok := payments.OptionsOf[tipOptions](req, &v); ok || !v.Has("options") {
		t.Errorf("foreign options accepted: %v", v.Err())
	}
	if _, err := payments.BuildOptions[tipOptions](req); err == nil || !strings.Contains(err.Error(), "tip") {
		t.Errorf("BuildOptions: %v", err)
	}
}

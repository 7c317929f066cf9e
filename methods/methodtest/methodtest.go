package methodtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

// Spec describes one plugin under test and what it must produce. Run a
// plugin with several Specs to cover its variants (3DS and pre-auth cards,
// each bank of a VA plugin); each Spec is checked completely.
type Spec struct {
	// Method is the plugin under test. Required.
	Method payments.Method

	// Valid is a request Validate must accept and Build must turn into a
	// Midtrans request. Required: OrderID and Amount must be set. Method
	// defaults to Method.Name(). Shape it like RequestSample (give items
	// and a customer when the sample has them), since their JSON members
	// are compared.
	Valid payments.ChargeRequest

	// RequestSample is a documented Midtrans request body for the channel
	// (a JSON object, e.g. fixtures/docs/charge-bca-request.json). When
	// set, the built request must have the same top-level members and the
	// same members inside the method's own object (Object); values are not
	// compared, since the sample's order id and amount are not Valid's.
	// Members whose name starts with "_" (documentation notes) are ignored.
	RequestSample []byte
	// Object names the method's own object in the request, e.g.
	// "bank_transfer". Default: the built Core request's payment_type. A
	// Snap plugin sets it to compare its object (e.g. "dana").
	Object string
	// ExtraKeys declares members the built request has and RequestSample
	// lacks, each with the reason, e.g. {"bank_transfer": "the sample uses
	// the legacy payment_type permata"}. A top-level member is named as is,
	// a member of the method's object as "object.member" ("echannel.bill_key").
	// A declared key that is not extra fails the suite, so declarations
	// cannot go stale.
	ExtraKeys map[string]string
	// MissingKeys declares members RequestSample has and the built request
	// lacks, named and justified like ExtraKeys.
	MissingKeys map[string]string

	// ObjectSample is a documented JSON object whose members must equal,
	// value for value, the same members of the built request; typically a
	// sample of the method's object with options set, such as
	// {"bank_transfer": {"bank": "bca", "va_number": "111111", ...}}.
	ObjectSample []byte

	// ResponseSample is a documented Midtrans answer for the channel (a
	// charge response, or a status for a Snap method). The plugin's
	// Instructions must turn it into the expected Instructions below,
	// which a ResponseSample therefore requires.
	ResponseSample []byte
	// Instructions are the expected instructions from ResponseSample.
	// Every non-zero field must match; zero fields are not checked.
	// Actions are looked up by name and each given one must match in its
	// non-zero fields; Card is compared field by field the same way.
	Instructions payments.Instructions

	// Invalid are requests Validate must refuse.
	Invalid []Invalid

	// CustomerOptions are the JSON names of the options fields a customer
	// may set from a browser, in any order: exactly those the options type
	// tags payments:"customer" (nil for none), so that widening what a
	// browser controls is a visible change to the plugin's test too.
	CustomerOptions []string
}

// Invalid is one request Validate must refuse.
type Invalid struct {
	// Name describes the case; it names the subtest.
	Name string
	// Request is the refused request. Method defaults to the plugin's name.
	Request payments.ChargeRequest
	// Fields are the JSON field names Validate must record ("options.va_number",
	// "item_details[2].name"): every one of them, and no other, so a case with
	// two problems proves Validate does not stop at the first.
	Fields []string
}

// Run runs the conformance suite for spec as parallel subtests of t. It
// fails t at once when the Spec itself is incomplete. It touches no
// process-wide state, so t may itself be parallel.
func Run(t *testing.T, spec Spec) {
	t.Helper()
	s, err := prepare(spec)
	if err != nil {
		t.Fatalf("methodtest: invalid Spec: %v", err)
	}
	for _, c := range checks() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, s)
		})
	}
	for _, inv := range s.invalid {
		t.Run("Invalid/"+inv.Name, func(t *testing.T) {
			t.Parallel()
			checkInvalid(t, s, inv)
		})
	}
}

// reporter is the part of *testing.T the checks use, so the suite's own
// tests can run a check against a broken plugin and see it fail.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// suite is a validated Spec with its samples decoded.
type suite struct {
	m             payments.Method
	name          string
	valid         payments.ChargeRequest
	requestSample map[string]any // nil when not given
	object        string
	extraKeys     map[string]string
	missingKeys   map[string]string
	objectSample  map[string]any
	response      []byte
	want          payments.Instructions
	invalid       []Invalid
	customer      []string // sorted
}

func prepare(spec Spec) (*suite, error) {
	if spec.Method == nil {
		return nil, errors.New("no Method")
	}
	name := spec.Method.Name()
	s := &suite{m: spec.Method, name: name, valid: spec.Valid, object: spec.Object,
		extraKeys: spec.ExtraKeys, missingKeys: spec.MissingKeys, want: spec.Instructions,
		customer: slices.Sorted(slices.Values(spec.CustomerOptions))}
	if s.valid.Method == "" {
		s.valid.Method = name
	}
	if s.valid.Method != name {
		return nil, fmt.Errorf("Valid.Method is %q, the plugin is %q", s.valid.Method, name)
	}
	if s.valid.OrderID == "" || s.valid.Amount <= 0 {
		return nil, errors.New("the Valid request needs an OrderID and a positive Amount")
	}
	if spec.RequestSample != nil {
		m, err := decodeObject(spec.RequestSample)
		if err != nil {
			return nil, fmt.Errorf("RequestSample: %v", err)
		}
		s.requestSample = m
	} else if len(spec.ExtraKeys)+len(spec.MissingKeys) > 0 {
		return nil, errors.New("declared ExtraKeys or MissingKeys need a RequestSample")
	}
	for k, why := range spec.ExtraKeys {
		if strings.TrimSpace(why) == "" {
			return nil, fmt.Errorf("ExtraKeys[%q] gives no reason", k)
		}
	}
	for k, why := range spec.MissingKeys {
		if strings.TrimSpace(why) == "" {
			return nil, fmt.Errorf("MissingKeys[%q] gives no reason", k)
		}
	}
	if spec.ObjectSample != nil {
		m, err := decodeObject(spec.ObjectSample)
		if err != nil {
			return nil, fmt.Errorf("ObjectSample: %v", err)
		}
		s.objectSample = m
	}
	if spec.ResponseSample != nil {
		if _, err := decodeResponse(spec.ResponseSample); err != nil {
			return nil, fmt.Errorf("ResponseSample: %v", err)
		}
		if reflect.ValueOf(spec.Instructions).IsZero() {
			return nil, errors.New("a ResponseSample needs the expected Instructions")
		}
		s.response = spec.ResponseSample
	} else if !reflect.ValueOf(spec.Instructions).IsZero() {
		return nil, errors.New("expected Instructions need a ResponseSample")
	}
	seen := map[string]bool{}
	for i, inv := range spec.Invalid {
		if inv.Name == "" || seen[inv.Name] {
			return nil, fmt.Errorf("invalid case %d needs a unique Name", i)
		}
		seen[inv.Name] = true
		if len(inv.Fields) == 0 {
			return nil, fmt.Errorf("invalid case %q lists no Fields", inv.Name)
		}
		if inv.Request.Method == "" {
			inv.Request.Method = name
		}
		s.invalid = append(s.invalid, inv)
	}
	return s, nil
}

// decodeObject decodes a JSON object with exact numbers.
func decodeObject(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// decodeResponse decodes a fresh TransactionResponse, so every caller gets
// its own copy.
func decodeResponse(b []byte) (*midtrans.TransactionResponse, error) {
	var r midtrans.TransactionResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// check is one named part of the suite.
type check struct {
	name string
	run  func(r reporter, s *suite)
}

func checks() []check {
	return []check{
		{"Name", checkName},
		{"NewOptions", checkNewOptions},
		{"ValidateValid", checkValidateValid},
		{"OptionForms", checkOptionForms},
		{"ForeignOptions", checkForeignOptions},
		{"Build", checkBuild},
		{"RequestSample", checkRequestSample},
		{"ObjectSample", checkObjectSample},
		{"Instructions", checkInstructions},
		{"NoMutation", checkNoMutation},
		{"Deterministic", checkDeterministic},
		{"Concurrent", checkConcurrent},
		{"Capabilities", checkCapabilities},
		{"OptionFields", checkOptionFields},
		{"CustomerOptions", checkCustomerOptions},
		{"HostOptionsRefused", checkHostOptionsRefused},
	}
}

// The calls below run a plugin method and turn a panic into a test
// failure, so one broken plugin does not take the whole test binary down.

func (s *suite) validate(r reporter, req *payments.ChargeRequest) (v *payments.ValidationError) {
	r.Helper()
	v = &payments.ValidationError{}
	defer func() {
		if p := recover(); p != nil {
			r.Errorf("%s: Validate panicked: %v", s.name, p)
		}
	}()
	s.m.Validate(req, v)
	return v
}

func (s *suite) build(r reporter, req *payments.ChargeRequest) (out payments.Request, err error) {
	r.Helper()
	defer func() {
		if p := recover(); p != nil {
			r.Errorf("%s: Build panicked: %v", s.name, p)
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return s.m.Build(req)
}

func (s *suite) instructions(r reporter, resp *midtrans.TransactionResponse) (in payments.Instructions) {
	r.Helper()
	defer func() {
		if p := recover(); p != nil {
			r.Errorf("%s: Instructions panicked: %v", s.name, p)
		}
	}()
	if p, ok := s.m.(payments.InstructionsParser); ok {
		return p.Instructions(resp)
	}
	return payments.ParseInstructions(resp) // what the Service uses
}

// buildJSON builds req and encodes the result; ok is false after a
// reported failure.
func (s *suite) buildJSON(r reporter, req *payments.ChargeRequest) (b []byte, ok bool) {
	r.Helper()
	_, b, ok = s.buildFull(r, req)
	return b, ok
}

// encodeRequest checks that out holds exactly one request and encodes it.
func encodeRequest(r reporter, name string, out payments.Request) ([]byte, bool) {
	r.Helper()
	var b []byte
	var err error
	switch {
	case out.Core != nil && out.Snap != nil:
		r.Errorf("%s: Build returned both a Core and a Snap request; want exactly one", name)
		return nil, false
	case out.Core != nil:
		b, err = json.Marshal(out.Core)
	case out.Snap != nil:
		b, err = json.Marshal(out.Snap)
	default:
		r.Errorf("%s: Build returned neither a Core nor a Snap request; want exactly one", name)
		return nil, false
	}
	if err != nil {
		r.Errorf("%s: the built request does not encode: %v", name, err)
		return nil, false
	}
	return b, true
}

// fieldsOf lists the fields of v, sorted, without duplicates.
func fieldsOf(v *payments.ValidationError) []string {
	var out []string
	for _, f := range v.Fields {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

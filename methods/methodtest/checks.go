package methodtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/nusapay/payments"
	"github.com/nusapay/payments/midtrans"
)

func checkName(r reporter, s *suite) {
	r.Helper()
	n := s.name
	if n == "" {
		r.Errorf("Name() is empty")
		return
	}
	if strings.IndexFunc(n, func(c rune) bool { return unicode.IsSpace(c) || !unicode.IsPrint(c) }) >= 0 {
		r.Errorf("Name() %q contains spaces or unprintable characters; it is used in URLs, JSON and logs", n)
	}
	if again := s.m.Name(); again != n {
		r.Errorf("Name() changed from %q to %q between calls", n, again)
	}
}

func checkNewOptions(r reporter, s *suite) {
	r.Helper()
	a, b := s.m.NewOptions(), s.m.NewOptions()
	if a == nil {
		if b != nil {
			r.Errorf("NewOptions returned nil, then a %T", b)
		}
		if s.valid.Options != nil {
			r.Errorf("NewOptions returns nil (the plugin takes no options) but Valid.Options is a %T", s.valid.Options)
		}
		return
	}
	av := reflect.ValueOf(a)
	if av.Kind() != reflect.Pointer || av.IsNil() {
		r.Errorf("NewOptions returned a %T; want a non-nil pointer to the options type", a)
		return
	}
	if !av.Elem().IsZero() {
		r.Errorf("NewOptions returned a pointer to a non-zero value %+v; want the zero value, so absent JSON members mean defaults", av.Elem())
	}
	switch {
	case reflect.TypeOf(b) != av.Type():
		r.Errorf("NewOptions returned a %T, then a %T", a, b)
	case av.Type().Elem().Size() > 0 && a == b:
		r.Errorf("NewOptions returned the same pointer twice; two requests decoding into it would share options")
	}
	if err := json.Unmarshal([]byte("{}"), a); err != nil {
		r.Errorf("NewOptions' %T does not decode the JSON object {}: %v", a, err)
	}
	if o := s.valid.Options; o != nil {
		if t := reflect.TypeOf(o); t != av.Type() && t != av.Type().Elem() {
			r.Errorf("Valid.Options is a %T, but NewOptions returns a %T", o, a)
		}
	}
}

func checkValidateValid(r reporter, s *suite) {
	r.Helper()
	if v := s.validate(r, s.validCopy()); len(v.Fields) > 0 {
		r.Errorf("Validate refused the valid request: %v", v)
	}
}

// checkOptionForms: the Service hands options over as the caller wrote
// them (a value or a pointer) or decoded from JSON into NewOptions(); all
// must validate and build alike.
func checkOptionForms(r reporter, s *suite) {
	r.Helper()
	o := s.valid.Options
	if o == nil {
		return
	}
	ref, ok := s.buildJSON(r, s.validCopy())
	if !ok {
		return
	}
	forms := map[string]any{}
	ov := reflect.ValueOf(o)
	if ov.Kind() == reflect.Pointer {
		if !ov.IsNil() {
			forms["a value"] = deepClone(ov.Elem()).Interface()
		}
	} else {
		p := reflect.New(ov.Type())
		p.Elem().Set(deepClone(ov))
		forms["a pointer"] = p.Interface()
	}
	if dst := s.m.NewOptions(); dst != nil {
		b, err := json.Marshal(o)
		if err == nil {
			err = json.Unmarshal(b, dst)
		}
		if err != nil {
			r.Errorf("Valid.Options does not survive a JSON round trip through NewOptions(): %v", err)
		} else {
			forms["decoded from JSON into NewOptions()"] = dst
		}
	}
	for _, form := range slices.Sorted(maps.Keys(forms)) {
		req := s.validCopy()
		req.Options = forms[form]
		if v := s.validate(r, req); len(v.Fields) > 0 {
			r.Errorf("options as %s (%T): Validate refused them: %v", form, req.Options, v)
		}
		if b, ok := s.buildJSON(r, req); ok && !bytes.Equal(b, ref) {
			r.Errorf("options as %s (%T): Build gave\n%s\nwant, as with Valid.Options,\n%s", form, req.Options, b, ref)
		}
	}
}

// foreignOptions is an options value no plugin can expect.
type foreignOptions struct{ NotTheOptionsOfAnyPlugin bool }

func checkForeignOptions(r reporter, s *suite) {
	r.Helper()
	for _, o := range []any{foreignOptions{true}, &foreignOptions{true}} {
		req := s.validCopy()
		req.Options = o
		if v := s.validate(r, req); !v.Has("options") {
			r.Errorf("Validate with options of type %T: want field \"options\" refused, got %v", o, v.Err())
		}
		_, _ = s.build(r, req) // must not panic; an error is the right answer
	}
	// Options left out: the plugin may refuse the request, but not panic.
	req := s.validCopy()
	req.Options = nil
	s.validate(r, req)
	_, _ = s.build(r, req)
}

func checkBuild(r reporter, s *suite) {
	r.Helper()
	out, b, ok := s.buildFull(r, s.validCopy())
	if !ok {
		return
	}
	m, err := decodeObject(b)
	if err != nil {
		r.Errorf("the built request is not a JSON object: %v", err)
		return
	}
	td, _ := m["transaction_details"].(map[string]any)
	if got, _ := td["order_id"].(string); got != s.valid.OrderID {
		r.Errorf("transaction_details.order_id = %q, want the request's %q", got, s.valid.OrderID)
	}
	want := strconv.FormatInt(int64(s.valid.Amount), 10)
	if got, _ := td["gross_amount"].(json.Number); string(got) != want {
		r.Errorf("transaction_details.gross_amount = %v, want the request's %s (a JSON integer)", td["gross_amount"], want)
	}
	if out.Core != nil && out.Core.PaymentType == "" {
		r.Errorf("the Core request has no payment_type")
	}
}

func checkRequestSample(r reporter, s *suite) {
	r.Helper()
	if s.requestSample == nil {
		return
	}
	out, b, ok := s.buildFull(r, s.validCopy())
	if !ok {
		return
	}
	built, err := decodeObject(b)
	if err != nil {
		r.Errorf("the built request is not a JSON object: %v", err)
		return
	}
	var extra, missing []string
	diffKeys("", built, s.requestSample, &extra, &missing)
	obj := s.object
	if obj == "" && out.Core != nil {
		obj = out.Core.PaymentType
	}
	if obj != "" {
		bo, bok := built[obj].(map[string]any)
		so, sok := s.requestSample[obj].(map[string]any)
		if bok && sok {
			diffKeys(obj+".", bo, so, &extra, &missing)
		}
	}
	report := func(kind string, keys []string, declared map[string]string, verb string) {
		for _, k := range keys {
			if _, ok := declared[k]; !ok {
				r.Errorf("the built request %s %q, the docs sample does not; fix the plugin or declare it in %s with the reason", verb, k, kind)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(declared)) {
			if !slices.Contains(keys, k) {
				r.Errorf("%s[%q] is declared, but the built request and the docs sample agree there; remove the declaration", kind, k)
			}
		}
	}
	report("ExtraKeys", extra, s.extraKeys, "has")
	report("MissingKeys", missing, s.missingKeys, "lacks")
}

// diffKeys lists the members one object has and the other lacks, ignoring
// the samples' documentation members ("_comment").
func diffKeys(prefix string, built, sample map[string]any, extra, missing *[]string) {
	for _, k := range slices.Sorted(maps.Keys(built)) {
		if _, ok := sample[k]; !ok {
			*extra = append(*extra, prefix+k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(sample)) {
		if _, ok := built[k]; !ok && !strings.HasPrefix(k, "_") {
			*missing = append(*missing, prefix+k)
		}
	}
}

func checkObjectSample(r reporter, s *suite) {
	r.Helper()
	if s.objectSample == nil {
		return
	}
	b, ok := s.buildJSON(r, s.validCopy())
	if !ok {
		return
	}
	built, err := decodeObject(b)
	if err != nil {
		r.Errorf("the built request is not a JSON object: %v", err)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(s.objectSample)) {
		if strings.HasPrefix(k, "_") {
			continue
		}
		want := s.objectSample[k]
		got, present := built[k]
		if !present {
			r.Errorf("the built request has no %q; the object sample has %s", k, jsonText(want))
			continue
		}
		if !reflect.DeepEqual(got, want) {
			r.Errorf("the built request's %q is\n%s\nwant, as in the object sample,\n%s", k, jsonText(got), jsonText(want))
		}
	}
}

func checkInstructions(r reporter, s *suite) {
	r.Helper()
	// An answer can lack every field (an error body, a bare notification).
	s.instructions(r, &midtrans.TransactionResponse{})
	if s.response == nil {
		return
	}
	resp, _ := decodeResponse(s.response)
	got := s.instructions(r, resp)
	for _, msg := range matchInstructions(got, s.want) {
		r.Errorf("Instructions(ResponseSample): %s", msg)
	}
}

func checkNoMutation(r reporter, s *suite) {
	r.Helper()
	same := func(what string, before, after any) {
		if !reflect.DeepEqual(before, after) {
			r.Errorf("%s changed its input:\nbefore %s\nafter  %s", what, jsonText(before), jsonText(after))
		}
	}
	req := s.validCopy()
	before := deepCopy(req)
	s.validate(r, req)
	same("Validate", before, req)
	_, _ = s.build(r, req)
	same("Build", before, req)
	for _, inv := range s.invalid {
		req := deepCopy(&inv.Request)
		before := deepCopy(req)
		s.validate(r, req)
		same("Validate("+inv.Name+")", before, req)
	}
	if s.response != nil {
		resp, _ := decodeResponse(s.response)
		before := deepCopy(resp)
		s.instructions(r, resp)
		same("Instructions", before, resp)
	}
}

func checkDeterministic(r reporter, s *suite) {
	r.Helper()
	b1, ok1 := s.buildJSON(r, s.validCopy())
	b2, ok2 := s.buildJSON(r, s.validCopy())
	if ok1 && ok2 && !bytes.Equal(b1, b2) {
		r.Errorf("Build gave two different requests for the same input:\n%s\n%s", b1, b2)
	}
	for _, inv := range s.invalid {
		v1 := s.validate(r, deepCopy(&inv.Request))
		v2 := s.validate(r, deepCopy(&inv.Request))
		if !reflect.DeepEqual(v1, v2) {
			r.Errorf("Validate(%s) gave two different answers: %v / %v", inv.Name, v1, v2)
		}
	}
	if c1, c2 := s.m.Capabilities(), s.m.Capabilities(); c1 != c2 {
		r.Errorf("Capabilities changed between calls: %+v / %+v", c1, c2)
	}
	if s.response != nil {
		r1, _ := decodeResponse(s.response)
		r2, _ := decodeResponse(s.response)
		if i1, i2 := s.instructions(r, r1), s.instructions(r, r2); !reflect.DeepEqual(i1, i2) {
			r.Errorf("Instructions gave two different answers for the same response: %+v / %+v", i1, i2)
		}
	}
}

// checkConcurrent: a Service calls one plugin instance from every request
// goroutine, on inputs it may share. Run with -race to see unsynchronized
// writes; the results are compared too.
func checkConcurrent(r reporter, s *suite) {
	r.Helper()
	req := s.validCopy()
	ref, ok := s.buildJSON(r, req)
	if !ok {
		return
	}
	var resp *midtrans.TransactionResponse
	var refIn payments.Instructions
	if s.response != nil {
		resp, _ = decodeResponse(s.response)
		refIn = s.instructions(r, resp)
	}
	const goroutines, rounds = 8, 25
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range rounds {
				if v := s.validate(r, req); len(v.Fields) > 0 {
					r.Errorf("concurrent Validate refused the valid request: %v", v)
					return
				}
				if b, ok := s.buildJSON(r, req); !ok || !bytes.Equal(b, ref) {
					r.Errorf("concurrent Build gave\n%s\nwant\n%s", b, ref)
					return
				}
				if resp != nil {
					if in := s.instructions(r, resp); !reflect.DeepEqual(in, refIn) {
						r.Errorf("concurrent Instructions gave %+v, want %+v", in, refIn)
						return
					}
				}
				_ = s.m.Capabilities()
				_ = s.m.Name()
			}
		})
	}
	wg.Wait()
}

func checkCapabilities(r reporter, s *suite) {
	r.Helper()
	c := s.m.Capabilities()
	if c.PartialRefund && !c.Refund {
		r.Errorf("PartialRefund without Refund")
	}
	if c.DirectRefund && !c.Refund {
		r.Errorf("DirectRefund without Refund")
	}
	out, _, ok := s.buildFull(r, s.validCopy())
	if !ok {
		return
	}
	cardLike := out.Core != nil && out.Core.PaymentType == "credit_card" ||
		out.Snap != nil && slices.Contains(out.Snap.EnabledPayments, "credit_card")
	if c.Capture && !cardLike {
		r.Errorf("Capture is for card pre-authorisations, but the plugin does not charge a card (payment_type credit_card)")
	}
	if c.Review && !cardLike {
		r.Errorf("Review is for card charges challenged by fraud detection, but the plugin does not charge a card (payment_type credit_card)")
	}
	if c.TransactionIDOnly && out.Snap == nil {
		r.Errorf("TransactionIDOnly is for Snap-only channels whose transaction id arrives later, but Build returns a Core charge")
	}
	cc, ok := s.m.(payments.ChannelChooser)
	if !ok {
		return
	}
	if out.Snap == nil {
		r.Errorf("the plugin is a ChannelChooser, but Build returns a Core charge, whose channel is fixed")
	}
	// Each channel's capabilities must be coherent too; only a card can
	// be captured or reviewed.
	for _, pt := range []string{"credit_card", "bank_transfer", "echannel", "gopay", "shopeepay", "qris", "cstore", "akulaku", "dana", "ovo", "kredivo"} {
		c := cc.ChannelCapabilities(pt)
		if c.PartialRefund && !c.Refund {
			r.Errorf("ChannelCapabilities(%q): PartialRefund without Refund", pt)
		}
		if c.DirectRefund && !c.Refund {
			r.Errorf("ChannelCapabilities(%q): DirectRefund without Refund", pt)
		}
		if (c.Capture || c.Review) && pt != "credit_card" {
			r.Errorf("ChannelCapabilities(%q): Capture and Review are for card payments", pt)
		}
	}
	if c := cc.ChannelCapabilities("no such payment type"); c != (payments.Capabilities{}) {
		r.Errorf("ChannelCapabilities of an unknown payment type: %+v, want none (no operation but sync)", c)
	}
}

func checkInvalid(r reporter, s *suite, inv Invalid) {
	r.Helper()
	v := s.validate(r, deepCopy(&inv.Request))
	got := fieldsOf(v)
	want := slices.Sorted(slices.Values(inv.Fields))
	want = slices.Compact(want)
	if !slices.Equal(got, want) {
		r.Errorf("Validate refused fields %q, want exactly %q (all of them at once)\n%v", got, want, v.Err())
	}
	for _, f := range v.Fields {
		if strings.TrimSpace(f.Message) == "" {
			r.Errorf("field %q is refused without a message", f.Field)
		}
	}
}

// validCopy is a private copy of the valid request, so a plugin that
// mutates its input cannot change what the other checks see.
func (s *suite) validCopy() *payments.ChargeRequest { return deepCopy(&s.valid) }

// buildFull builds req and encodes the result.
func (s *suite) buildFull(r reporter, req *payments.ChargeRequest) (payments.Request, []byte, bool) {
	r.Helper()
	out, err := s.build(r, req)
	if err != nil {
		r.Errorf("%s: Build: %v", s.name, err)
		return out, nil, false
	}
	b, ok := encodeRequest(r, s.name, out)
	return out, b, ok
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

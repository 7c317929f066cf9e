package methodtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/nusapay/payments"
)

// checkOptionFields: the options type's declaration is valid and lets a
// customer set exactly what the Spec says.
func checkOptionFields(r reporter, s *suite) {
	r.Helper()
	f, err := payments.MethodOptionFields(s.m)
	if err != nil {
		r.Errorf("the options type's declaration is invalid: %v", err)
		return
	}
	if got := slices.Sorted(slices.Values(f.Customer)); !slices.Equal(got, s.customer) {
		r.Errorf("the options type lets a customer set %q (fields tagged payments:\"customer\"); the Spec declares %q", got, s.customer)
	}
}

// checkCustomerOptions: the customer's fields of Valid.Options, as a
// browser sends them, decode through payments.CustomerOptions and, on top
// of the rest of Valid.Options as the host sets it, build what Valid does.
func checkCustomerOptions(r reporter, s *suite) {
	r.Helper()
	if s.valid.Options == nil {
		return
	}
	b, err := json.Marshal(s.valid.Options)
	var all map[string]json.RawMessage
	if err == nil {
		err = json.Unmarshal(b, &all)
	}
	if err != nil {
		r.Errorf("Valid.Options is not a JSON object: %v", err)
		return
	}
	chosen := map[string]json.RawMessage{}
	for _, k := range s.customer {
		if v, ok := all[k]; ok {
			chosen[k] = v
		}
	}
	data, _ := json.Marshal(chosen)
	if _, err := payments.CustomerOptions(s.m, nil, data); err != nil {
		r.Errorf("the customer's fields %s refused: %v", data, err)
		return
	}
	ref, ok := s.buildJSON(r, s.validCopy())
	if !ok {
		return
	}
	req := s.validCopy()
	hostBefore := jsonText(req.Options)
	merged, err := payments.CustomerOptions(s.m, req.Options, data)
	if err != nil {
		r.Errorf("the customer's fields %s on top of Valid.Options refused: %v", data, err)
		return
	}
	if after := jsonText(req.Options); after != hostBefore {
		r.Errorf("CustomerOptions changed the host's options from %s to %s", hostBefore, after)
	}
	req.Options = merged
	if v := s.validate(r, req); len(v.Fields) > 0 {
		r.Errorf("Valid.Options rebuilt from the host's and the customer's fields: Validate refused them: %v", v)
	}
	if got, ok := s.buildJSON(r, req); ok && !bytes.Equal(got, ref) {
		r.Errorf("Valid.Options rebuilt from the host's and the customer's fields build\n%s\nwant\n%s", got, ref)
	}
}

// checkHostOptionsRefused: every other field, in any spelling, and any
// unknown member are refused on the customer's path, naming the field.
func checkHostOptionsRefused(r reporter, s *suite) {
	r.Helper()
	f, err := payments.MethodOptionFields(s.m)
	if err != nil {
		return // reported by checkOptionFields
	}
	for _, h := range f.Host {
		for _, key := range []string{h, strings.ToUpper(h)} {
			data, _ := json.Marshal(map[string]any{key: nil})
			_, err := payments.CustomerOptions(s.m, nil, data)
			var ve *payments.ValidationError
			if !errors.Is(err, payments.ErrHostOption) || !errors.As(err, &ve) || !ve.Has("options."+h) {
				r.Errorf("host field %q from a customer (%s): want ErrHostOption naming options.%s, got %v", h, data, h, err)
			}
		}
	}
	_, err = payments.CustomerOptions(s.m, nil, []byte(`{"not_an_option_of_any_plugin":true}`))
	var ve *payments.ValidationError
	if !errors.Is(err, payments.ErrUnknownOption) || !errors.As(err, &ve) || !ve.Has("options.not_an_option_of_any_plugin") {
		r.Errorf("an unknown member from a customer: want ErrUnknownOption naming options.not_an_option_of_any_plugin, got %v", err)
	}
}

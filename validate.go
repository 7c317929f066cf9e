package payments

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"
)

// Validation rules Midtrans enforces or documents in its field constraints.
var (
	// order_id: letters, digits and - _ . ~ only (see ValidOrderID).
	orderIDPattern = regexp.MustCompile(`^[A-Za-z0-9\-_.~]+$`)
	// phone: digits with an optional leading +, and the separators people
	// type; 5 to 19 digits-and-separators after trimming.
	phonePattern = regexp.MustCompile(`^\+?[0-9][0-9 ()\-]{4,18}$`)
	// postal_code: letters, digits, dash and space.
	postalPattern = regexp.MustCompile(`^[A-Za-z0-9\- ]+$`)
)

// MaxOrderIDLen is the longest order id Midtrans accepts.
const MaxOrderIDLen = 50

// ValidOrderID reports whether s can be a Midtrans order id: 1 to 50
// characters of A-Z a-z 0-9 - _ . ~. It is the one rule for order ids:
// ChargeRequest validation, every Service method taking an order id and the
// HTTP routes all use it, so an id no payment can have (a NUL byte, a
// space, invalid UTF-8) is refused before it reaches a database.
func ValidOrderID(s string) bool {
	return len(s) <= MaxOrderIDLen && orderIDPattern.MatchString(s)
}

// orderIDMessage says what ValidOrderID requires.
const orderIDMessage = "must be 1-50 characters of A-Z a-z 0-9 - _ . ~"

// checkOrderID refuses an id ValidOrderID rejects with a ValidationError
// naming order_id.
func checkOrderID(orderID string) error {
	if ValidOrderID(orderID) {
		return nil
	}
	var ve ValidationError
	ve.Add("order_id", orderIDMessage)
	return ve.Err()
}

// newValidator builds the Service's private validator: custom tags are
// registered once here, never on a shared global instance, so two Services
// (or a host using validator itself) cannot interfere.
func newValidator() (*validator.Validate, error) {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	rules := map[string]func(string) bool{
		"order_id":    ValidOrderID,
		"phone":       phonePattern.MatchString,
		"postal_code": postalPattern.MatchString,
		"notification_url": func(s string) bool {
			u, err := url.Parse(s)
			return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.Contains(s, ",")
		},
	}
	for tag, ok := range rules {
		if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return ok(fl.Field().String()) }); err != nil {
			return nil, err
		}
	}
	if err := v.RegisterValidation("json_object", func(fl validator.FieldLevel) bool {
		b := fl.Field().Bytes()
		var m map[string]json.RawMessage
		return json.Unmarshal(b, &m) == nil && m != nil
	}); err != nil {
		return nil, err
	}
	v.RegisterStructValidation(validateItemsTotal, ChargeRequest{})
	return v, nil
}

// validateItemsTotal: Midtrans rejects a charge whose item prices times
// quantities do not add up to the gross amount.
func validateItemsTotal(sl validator.StructLevel) {
	req := sl.Current().Interface().(ChargeRequest)
	if len(req.Items) == 0 {
		return
	}
	var sum int64
	for _, it := range req.Items {
		if it.Quantity < 1 {
			return // reported on the item itself
		}
		hi, lo := bits.Mul64(uint64(abs(int64(it.Price))), uint64(it.Quantity))
		if hi != 0 || lo > 1<<62 {
			sl.ReportError(req.Items, "item_details", "Items", "items_overflow", "")
			return
		}
		line := int64(lo)
		if it.Price < 0 {
			line = -line
		}
		sum += line
		if sum > 1<<62 || sum < -(1<<62) {
			sl.ReportError(req.Items, "item_details", "Items", "items_overflow", "")
			return
		}
	}
	if sum != int64(req.Amount) {
		sl.ReportError(req.Items, "item_details", "Items", "items_total", fmt.Sprint(sum))
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// validateCharge checks req's common fields with the validator and the
// method's own rules with the plugin, and returns one ValidationError
// listing every problem, or nil.
func (s *Service) validateCharge(req *ChargeRequest) (Method, error) {
	var ve ValidationError
	if req == nil {
		ve.Add("request", "is required")
		return nil, ve.Err()
	}
	if err := s.validate.Struct(req); err != nil {
		var fes validator.ValidationErrors
		if !errors.As(err, &fes) {
			return nil, fmt.Errorf("payments: validate: %w", err)
		}
		for _, fe := range fes {
			ve.Add(fieldPath(fe), fieldMessage(fe, req))
		}
	}
	m, ok := s.methods.byName[req.Method]
	if !ok && req.Method != "" {
		ve.Add("method", fmt.Sprintf("unknown payment method %q (registered: %s)", req.Method, strings.Join(s.methods.names(), ", ")))
	}
	if ok {
		m.Validate(req, &ve)
	}
	return m, ve.Err()
}

// fieldPath turns "ChargeRequest.item_details[0].price" into
// "item_details[0].price".
func fieldPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return ns
}

func fieldMessage(fe validator.FieldError, req *ChargeRequest) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max":
		if fe.Kind() == reflect.Slice {
			return "must have at most " + fe.Param() + " entries"
		}
		return "must be at most " + fe.Param() + " characters"
	case "min":
		return "must be at least " + fe.Param()
	case "len":
		return "must be exactly " + fe.Param() + " characters"
	case "gt":
		return "must be positive"
	case "gte":
		return "must be at least " + fe.Param()
	case "lte":
		return "must be at most " + fe.Param()
	case "email":
		return "is not a valid email address"
	case "phone":
		return "is not a valid phone number (digits, optional leading +)"
	case "postal_code":
		return "may contain only letters, digits, dash and space"
	case "alpha":
		return "must be letters only (ISO 3166-1 alpha-3, e.g. IDN)"
	case "order_id":
		return orderIDMessage
	case "json_object":
		return "must be a JSON object"
	case "notification_url":
		return "must be an absolute http(s) URL without commas"
	case "items_total":
		return fmt.Sprintf("prices times quantities add up to %s, not the gross amount %d", fe.Param(), req.Amount)
	case "items_overflow":
		return "prices times quantities overflow"
	}
	return "is invalid (" + fe.Tag() + ")"
}

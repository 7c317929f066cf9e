package payments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
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

// validateCharge checks req's common fields (checkRequest) and the
// method's own rules with the plugin, and returns one ValidationError
// listing every problem, or nil.
func (s *Service) validateCharge(req *ChargeRequest) (Method, error) {
	var ve ValidationError
	if req == nil {
		ve.Add("request", "is required")
		return nil, ve.Err()
	}
	s.checkRequest(req, &ve)
	m, ok := s.methods.byName[req.Method]
	if !ok && req.Method != "" {
		ve.Add("method", fmt.Sprintf("unknown payment method %q (registered: %s)", req.Method, strings.Join(s.methods.names(), ", ")))
	}
	if ok {
		m.Validate(req, &ve)
	}
	return m, ve.Err()
}

// The limits ChargeRequest, Customer, Address and Item document.
const (
	maxItems            = 100
	maxNotificationURLs = 3
	maxQuantity         = 1_000_000
)

// Messages shared by the checks below.
const (
	msgRequired = "is required"
	msgEmail    = "is not a valid email address"
	msgPhone    = "is not a valid phone number (digits, optional leading +)"
	msgPostal   = "may contain only letters, digits, dash and space"
	msgCountry  = "must be letters only (ISO 3166-1 alpha-3, e.g. IDN)"
	msgURL      = "must be an absolute http(s) URL without commas"
)

// checkRequest records every problem with req's common fields in ve, in
// the order of ChargeRequest's fields, then whether the items add up. The
// rules are the ones ChargeRequest, Customer, Address and Item document;
// this is their one home. It is written out by hand rather than read from
// struct tags: a tag validator boxes every field it visits, which was a
// tenth of a charge's allocations, and nothing here allocates unless a
// field is bad (or an email is given).
func (s *Service) checkRequest(req *ChargeRequest, ve *ValidationError) {
	switch {
	case req.OrderID == "":
		ve.Add("order_id", msgRequired)
	case utf8.RuneCountInString(req.OrderID) > MaxOrderIDLen:
		ve.Add("order_id", atMostChars(MaxOrderIDLen))
	case !ValidOrderID(req.OrderID):
		ve.Add("order_id", orderIDMessage)
	}
	if req.Method == "" {
		ve.Add("method", msgRequired)
	}
	if req.Amount <= 0 {
		ve.Add("gross_amount", "must be positive")
	}
	if len(req.Items) > maxItems {
		ve.Add("item_details", atMostEntries(maxItems))
	} else {
		for i := range req.Items {
			checkItem(&req.Items[i], i, ve)
		}
	}
	s.checkCustomer(req.Customer, ve)
	if req.Expiry != 0 && req.Expiry < minExpiry {
		ve.Add("expiry", "must be at least "+minExpiry.String())
	}
	maxChars(ve, "", "custom_field1", req.CustomField1, 255)
	maxChars(ve, "", "custom_field2", req.CustomField2, 255)
	maxChars(ve, "", "custom_field3", req.CustomField3, 255)
	if req.Metadata != nil && !jsonObject(req.Metadata) { // empty but not nil is no object either
		ve.Add("metadata", "must be a JSON object")
	}
	checkURLs(ve, "override_notification_urls", req.OverrideNotificationURLs)
	checkURLs(ve, "append_notification_urls", req.AppendNotificationURLs)
	checkItemsTotal(req, ve)
}

// checkItem records the problems of item i.
func checkItem(it *Item, i int, ve *ValidationError) {
	field := func(name string) string { return "item_details[" + strconv.Itoa(i) + "]." + name }
	if utf8.RuneCountInString(it.ID) > 50 {
		ve.Add(field("id"), atMostChars(50))
	}
	switch {
	case it.Name == "":
		ve.Add(field("name"), msgRequired)
	case utf8.RuneCountInString(it.Name) > 50:
		ve.Add(field("name"), atMostChars(50))
	}
	switch {
	case it.Quantity < 1:
		ve.Add(field("quantity"), "must be at least 1")
	case it.Quantity > maxQuantity:
		ve.Add(field("quantity"), "must be at most "+strconv.Itoa(maxQuantity))
	}
	for _, f := range [...]struct {
		name, v string
	}{{"brand", it.Brand}, {"category", it.Category}, {"merchant_name", it.MerchantName}, {"url", it.URL}} {
		if utf8.RuneCountInString(f.v) > 50 {
			ve.Add(field(f.name), atMostChars(50))
		}
	}
}

// customerPath names the customer's fields in errors; with the address
// paths below it is a constant, so naming a field costs nothing until a
// field is bad.
const customerPath = "customer_details"

// checkCustomer records the problems of c (nil is fine).
func (s *Service) checkCustomer(c *Customer, ve *ValidationError) {
	if c == nil {
		return
	}
	const path = customerPath
	maxChars(ve, path, ".first_name", c.FirstName, 255)
	maxChars(ve, path, ".last_name", c.LastName, 255)
	s.checkContact(ve, path, c.Email, c.Phone)
	s.checkAddress(c.BillingAddress, path+".billing_address", ve)
	s.checkAddress(c.ShippingAddress, path+".shipping_address", ve)
}

// checkAddress records the problems of a (nil is fine) under path.
func (s *Service) checkAddress(a *Address, path string, ve *ValidationError) {
	if a == nil {
		return
	}
	maxChars(ve, path, ".first_name", a.FirstName, 255)
	maxChars(ve, path, ".last_name", a.LastName, 255)
	s.checkContact(ve, path, a.Email, a.Phone)
	maxChars(ve, path, ".address", a.Address, 255)
	maxChars(ve, path, ".city", a.City, 100)
	if a.PostalCode != "" && maxChars(ve, path, ".postal_code", a.PostalCode, 10) && !postalPattern.MatchString(a.PostalCode) {
		ve.Add(path+".postal_code", msgPostal)
	}
	if a.CountryCode != "" {
		switch {
		case utf8.RuneCountInString(a.CountryCode) != 3:
			ve.Add(path+".country_code", "must be exactly 3 characters")
		case !isAlpha(a.CountryCode):
			ve.Add(path+".country_code", msgCountry)
		}
	}
}

// checkContact checks an optional email and phone under path.
func (s *Service) checkContact(ve *ValidationError, path, email, phone string) {
	if email != "" && maxChars(ve, path, ".email", email, 255) && s.validate.Var(email, "email") != nil {
		ve.Add(path+".email", msgEmail)
	}
	if phone != "" && maxChars(ve, path, ".phone", phone, 255) && !phonePattern.MatchString(phone) {
		ve.Add(path+".phone", msgPhone)
	}
}

// checkURLs checks a list of notification URLs.
func checkURLs(ve *ValidationError, field string, urls []string) {
	if len(urls) > maxNotificationURLs {
		ve.Add(field, atMostEntries(maxNotificationURLs))
		return
	}
	for i, s := range urls {
		if !validNotificationURL(s) {
			ve.Add(field+"["+strconv.Itoa(i)+"]", msgURL)
		}
	}
}

// checkItemsTotal: Midtrans rejects a charge whose item prices times
// quantities do not add up to the gross amount.
func checkItemsTotal(req *ChargeRequest, ve *ValidationError) {
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
			ve.Add("item_details", "prices times quantities overflow")
			return
		}
		line := int64(lo)
		if it.Price < 0 {
			line = -line
		}
		sum += line
		if sum > 1<<62 || sum < -(1<<62) {
			ve.Add("item_details", "prices times quantities overflow")
			return
		}
	}
	if sum != int64(req.Amount) {
		ve.Add("item_details", "prices times quantities add up to "+strconv.FormatInt(sum, 10)+", not the gross amount "+strconv.FormatInt(int64(req.Amount), 10))
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// maxChars records that field path+name is longer than n characters
// (runes) and reports whether it was not. The field's name is only put
// together for the error.
func maxChars(ve *ValidationError, path, name, v string, n int) bool {
	if len(v) <= n || utf8.RuneCountInString(v) <= n {
		return true
	}
	ve.Add(path+name, atMostChars(n))
	return false
}

func atMostChars(n int) string   { return "must be at most " + strconv.Itoa(n) + " characters" }
func atMostEntries(n int) string { return "must have at most " + strconv.Itoa(n) + " entries" }

// isAlpha reports whether s is ASCII letters only.
func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

// jsonObject reports whether b is one JSON object.
func jsonObject(b []byte) bool {
	return json.Valid(b) && bytes.TrimLeft(b, " \t\r\n")[0] == '{'
}

// validNotificationURL: an absolute http(s) URL; Midtrans splits the
// header that carries them on commas.
func validNotificationURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.Contains(s, ",")
}

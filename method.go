package payments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nusapay/payments/midtrans"
)

// Method is a payment-method plugin: it turns a ChargeRequest into the
// Midtrans request for its channel. A plugin does no I/O of its own: the
// Service makes every call, stores every result and fires every hook, so a
// plugin is a set of pure functions that is easy to test (methods/methodtest
// is the suite every plugin passes).
//
// A plugin's options type is a struct whose fields say who may set them.
// A field tagged payments:"customer" is the customer's choice, which the
// charges route of package adapters takes from the browser (a card token,
// the bank, an installment term); every other field is the host's alone
// (3-D Secure, pre-authorisation, callback URLs, saved cards, promotions,
// expiry) and reaches a charge only from host code. OptionsOf and
// BuildOptions read req.Options for Validate and Build, so a plugin holds no
// conversion code of its own.
//
// The built-in plugins are in package methods; integrators register their
// own next to them with WithMethods. A plugin that shows more than
// ParseInstructions finds also implements InstructionsParser.
type Method interface {
	// Name is the plugin's unique name within a Service, the value of
	// ChargeRequest.Method and Payment.Method ("bca_va", "gopay", ...).
	Name() string
	// Capabilities says which operations the channel supports. The Service
	// refuses any other locally, with ErrUnsupported and no API call.
	Capabilities() Capabilities
	// NewOptions returns a pointer to a zero value of the plugin's options
	// type (a struct, its fields tagged as above), for decoding options from
	// JSON; nil when it takes none.
	NewOptions() any
	// Validate checks the method-specific rules of req, including
	// req.Options, and records each problem in v under its JSON field name.
	// req.Options is nil (defaults), a value of the plugin's options type,
	// or a pointer to one (as NewOptions returns); anything else is
	// reported under "options" (OptionsOf does all of that). The Service
	// has already checked the common fields.
	Validate(req *ChargeRequest, v *ValidationError)
	// Build returns the Midtrans request for a valid req. Start from
	// CoreRequest or SnapRequest, which fill the common fields.
	Build(req *ChargeRequest) (Request, error)
}

// InstructionsParser is implemented by a plugin whose channel answers with
// instructions ParseInstructions does not know. Without it, the Service
// uses ParseInstructions, which handles every documented field.
type InstructionsParser interface {
	// Instructions extracts what the customer needs to pay from a Midtrans
	// answer (charge response, status or notification). For a Snap request
	// the Service itself records Snap's token and page URL.
	Instructions(resp *midtrans.TransactionResponse) Instructions
}

// instructionsFor is m's reading of a Midtrans answer.
func instructionsFor(m Method, r *midtrans.TransactionResponse) Instructions {
	if p, ok := m.(InstructionsParser); ok {
		return p.Instructions(r)
	}
	return ParseInstructions(r)
}

// ChannelChooser is implemented by a plugin whose customer chooses the
// payment channel after the charge, on Midtrans' page (Snap). What can be
// done with such a payment depends on the channel chosen, which Midtrans
// reports as payment_type with the first notification or status: a card
// payment can be refunded, a virtual account payment cannot. Until then,
// the plugin's Capabilities apply. PaymentCapabilities is the one place
// that picks between the two.
type ChannelChooser interface {
	// ChannelCapabilities returns the capabilities of a payment made
	// through paymentType, Midtrans' payment_type ("credit_card",
	// "bank_transfer", "gopay", ...). For a payment type it does not know
	// it returns the zero Capabilities: no operation but sync.
	ChannelCapabilities(paymentType string) Capabilities
}

// PaymentCapabilities returns the operations p supports now, as m (the
// plugin that charged it) declares them: m's Capabilities, or, when m is a
// ChannelChooser and Midtrans has reported the channel the customer chose
// (p.PaymentType), that channel's. The Service decides every operation,
// and how a follow-up call addresses the payment, with it.
func PaymentCapabilities(m Method, p *Payment) Capabilities {
	if m == nil {
		return Capabilities{}
	}
	if cc, ok := m.(ChannelChooser); ok && p != nil && p.PaymentType != "" {
		return cc.ChannelCapabilities(p.PaymentType)
	}
	return m.Capabilities()
}

// Capabilities are the operations a payment method supports after the charge.
type Capabilities struct {
	Cancel        bool // void a pending or captured payment
	Expire        bool // force-expire a pending payment
	Refund        bool // refund a settled payment
	PartialRefund bool // refund part of it (ShopeePay and OVO cannot)
	DirectRefund  bool // the legacy synchronous refund endpoint
	Capture       bool // capture a card pre-authorisation
	Review        bool // approve or deny a payment challenged by fraud detection
	// TransactionIDOnly: follow-up calls must use Midtrans' transaction id,
	// never the order id (DANA), so they wait until it is known.
	TransactionIDOnly bool
}

// Request is what a plugin asks Midtrans to do: exactly one of a Core API
// charge or a Snap transaction (for channels the Core API cannot charge).
type Request struct {
	Core *midtrans.ChargeRequest
	Snap *midtrans.SnapRequest
}

// ChargeRequest is everything needed to start one payment. The Django
// package's create_charge(payment_type, gross_amount, order_id, bank, store,
// token_id, customer_details, item_details) maps onto Method (which names
// the channel, bank or store included), Amount, OrderID, Options (token,
// VA number, ...), Customer and Items.
type ChargeRequest struct {
	// OrderID is the Midtrans order_id: unique per payment, at most 50
	// characters of A-Z a-z 0-9 - _ . ~
	OrderID string `json:"order_id"`
	// Method names a registered plugin.
	Method string `json:"method"`
	// Amount is the gross amount in rupiah; positive.
	Amount Amount `json:"gross_amount"`
	// Items, when given, must add up to Amount; at most 100.
	Items    []Item    `json:"item_details,omitempty"`
	Customer *Customer `json:"customer_details,omitempty"`
	// Options are the plugin's own options (methods.CardOptions, ...).
	Options any `json:"options,omitempty"`
	// Expiry overrides the channel's default expiry (Midtrans custom_expiry),
	// at least 20 seconds. Cards do not support it.
	Expiry time.Duration `json:"expiry,omitempty"`
	// CustomField1..3 are echoed in status and notifications; at most 255
	// characters each.
	CustomField1 string `json:"custom_field1,omitempty"`
	CustomField2 string `json:"custom_field2,omitempty"`
	CustomField3 string `json:"custom_field3,omitempty"`
	// Metadata is a JSON object echoed in status and notifications.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// OverrideNotificationURLs replace, and AppendNotificationURLs add to,
	// the dashboard's notification URL for this payment (up to 3 each;
	// absolute http(s) URLs without commas).
	OverrideNotificationURLs []string `json:"override_notification_urls,omitempty"`
	AppendNotificationURLs   []string `json:"append_notification_urls,omitempty"`
}

// CoreRequest returns a Core API charge with the common fields of req
// filled in: transaction details, items, customer, custom expiry, custom
// fields and metadata. The plugin sets its own object.
func CoreRequest(req *ChargeRequest, paymentType string) *midtrans.ChargeRequest {
	c := &midtrans.ChargeRequest{
		PaymentType:        paymentType,
		TransactionDetails: midtrans.TransactionDetails{OrderID: req.OrderID, GrossAmount: int64(req.Amount)},
		ItemDetails:        itemDetails(req.Items),
		CustomerDetails:    customerDetails(req.Customer),
		CustomField1:       req.CustomField1,
		CustomField2:       req.CustomField2,
		CustomField3:       req.CustomField3,
		Metadata:           slices.Clone(req.Metadata), // the request must not share memory with req
	}
	if req.Expiry > 0 {
		c.CustomExpiry = &midtrans.CustomExpiry{ExpiryDuration: int(req.Expiry / time.Second), Unit: "second"}
	}
	return c
}

// SnapRequest returns a Snap transaction with the common fields of req and
// only the given payment channels enabled.
func SnapRequest(req *ChargeRequest, enabled ...string) *midtrans.SnapRequest {
	s := &midtrans.SnapRequest{
		TransactionDetails: midtrans.TransactionDetails{OrderID: req.OrderID, GrossAmount: int64(req.Amount)},
		ItemDetails:        itemDetails(req.Items),
		CustomerDetails:    customerDetails(req.Customer),
		EnabledPayments:    enabled,
		CustomField1:       req.CustomField1,
		CustomField2:       req.CustomField2,
		CustomField3:       req.CustomField3,
		Metadata:           slices.Clone(req.Metadata),
	}
	if req.Expiry > 0 {
		s.Expiry = &midtrans.SnapExpiry{Duration: int(req.Expiry / time.Minute), Unit: "minute"}
		if req.Expiry%time.Minute != 0 || req.Expiry < time.Minute {
			s.Expiry.Duration++ // Snap counts whole minutes; never expire early
		}
	}
	return s
}

func itemDetails(items []Item) []midtrans.ItemDetail {
	if len(items) == 0 {
		return nil
	}
	out := make([]midtrans.ItemDetail, len(items))
	for i, it := range items {
		out[i] = midtrans.ItemDetail{ID: it.ID, Name: it.Name, Price: int64(it.Price), Quantity: it.Quantity,
			Brand: it.Brand, Category: it.Category, MerchantName: it.MerchantName, URL: it.URL}
	}
	return out
}

func customerDetails(c *Customer) *midtrans.CustomerDetails {
	if c == nil {
		return nil
	}
	return &midtrans.CustomerDetails{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone,
		BillingAddress: address(c.BillingAddress), ShippingAddress: address(c.ShippingAddress)}
}

func address(a *Address) *midtrans.Address {
	if a == nil {
		return nil
	}
	return &midtrans.Address{FirstName: a.FirstName, LastName: a.LastName, Email: a.Email, Phone: a.Phone,
		Address: a.Address, City: a.City, PostalCode: a.PostalCode, CountryCode: a.CountryCode}
}

// ParseInstructions extracts every documented payment instruction from a
// Midtrans answer (charge response, status or notification): VA numbers
// (Permata's permata_va_number included), bill key and biller code, store
// payment code, QR string and image, deeplink, redirect URL, card result,
// and every action by name.
func ParseInstructions(r *midtrans.TransactionResponse) Instructions {
	in := Instructions{
		BillKey:                r.BillKey,
		BillerCode:             r.BillerCode,
		PaymentCode:            r.PaymentCode,
		Store:                  r.Store,
		QRString:               r.QRString,
		RedirectURL:            r.RedirectURL,
		Acquirer:               r.Acquirer,
		ChannelResponseCode:    r.ChannelResponseCode,
		ChannelResponseMessage: r.ChannelResponseMessage,
		MerchantID:             r.MerchantID,
	}
	if len(r.VANumbers) > 0 {
		in.VANumber, in.Bank = r.VANumbers[0].VANumber, r.VANumbers[0].Bank
	}
	if r.PermataVANumber != "" {
		in.VANumber, in.Bank = r.PermataVANumber, "permata"
	}
	for _, a := range r.Actions {
		in.Actions = append(in.Actions, Action{Name: a.Name, Method: a.Method, URL: a.URL, Fields: a.Fields})
		switch a.Name {
		case ActionGenerateQRCode:
			in.QRImageURL = a.URL
		case ActionGenerateQRCodeV2:
			if in.QRImageURL == "" {
				in.QRImageURL = a.URL
			}
		case ActionDeeplinkRedirect:
			in.DeeplinkURL = a.URL
		}
	}
	if r.PaymentType == "credit_card" || r.MaskedCard != "" {
		c := &CardResult{MaskedCard: r.MaskedCard, CardType: r.CardType, Bank: r.Bank, ApprovalCode: r.ApprovalCode,
			ECI: r.ECI, ThreeDSVersion: r.ThreeDSVersion, OnUs: r.OnUs, SavedTokenID: r.SavedTokenID}
		if n, err := strconv.Atoi(r.InstallmentTerm); err == nil {
			c.InstallmentTerm = n
		}
		if t, err := midtrans.ParseTime(r.SavedTokenIDExpiredAt); err == nil {
			c.SavedTokenExpiresAt = t
		}
		in.Card = c
	}
	return in
}

// merge returns in with every empty field filled from base: a status or a
// notification repeats the charge response's instructions only in part (a
// GoPay notification has no actions), and must not erase them.
func (in Instructions) merge(base Instructions) Instructions {
	out := base
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&out.VANumber, in.VANumber)
	set(&out.Bank, in.Bank)
	set(&out.BillKey, in.BillKey)
	set(&out.BillerCode, in.BillerCode)
	set(&out.PaymentCode, in.PaymentCode)
	set(&out.Store, in.Store)
	set(&out.QRString, in.QRString)
	set(&out.QRImageURL, in.QRImageURL)
	set(&out.DeeplinkURL, in.DeeplinkURL)
	set(&out.RedirectURL, in.RedirectURL)
	set(&out.SnapToken, in.SnapToken)
	set(&out.Acquirer, in.Acquirer)
	set(&out.ChannelResponseCode, in.ChannelResponseCode)
	set(&out.ChannelResponseMessage, in.ChannelResponseMessage)
	set(&out.MerchantID, in.MerchantID)
	if len(in.Actions) > 0 {
		out.Actions = in.Actions
	}
	if in.Card != nil {
		c := *in.Card
		if base.Card != nil {
			b := *base.Card
			set(&b.MaskedCard, c.MaskedCard)
			set(&b.CardType, c.CardType)
			set(&b.Bank, c.Bank)
			set(&b.ApprovalCode, c.ApprovalCode)
			set(&b.ECI, c.ECI)
			set(&b.ThreeDSVersion, c.ThreeDSVersion)
			set(&b.SavedTokenID, c.SavedTokenID)
			if c.OnUs != nil {
				b.OnUs = c.OnUs
			}
			if c.InstallmentTerm != 0 {
				b.InstallmentTerm = c.InstallmentTerm
			}
			if !c.SavedTokenExpiresAt.IsZero() {
				b.SavedTokenExpiresAt = c.SavedTokenExpiresAt
			}
			c = b
		}
		out.Card = &c
	}
	return out
}

// registry holds one Service's plugins by name.
type registry struct {
	byName map[string]Method
}

func (r *registry) add(m Method) error {
	if m == nil {
		return fmt.Errorf("payments: nil method")
	}
	name := m.Name()
	if name == "" || strings.TrimSpace(name) != name {
		return fmt.Errorf("payments: method name %q is empty or has surrounding spaces", name)
	}
	if _, dup := r.byName[name]; dup {
		return fmt.Errorf("payments: method %q is registered twice", name)
	}
	if _, err := MethodOptionFields(m); err != nil {
		return err
	}
	r.byName[name] = m
	return nil
}

func (r *registry) names() []string {
	out := make([]string, 0, len(r.byName))
	for n := range r.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// OptionsOf returns req.Options as a T, for a plugin's Validate. A plugin
// takes its options as a T, a *T (what NewOptions hands a JSON decoder) or
// nil, which means every option at its default. Anything else is recorded
// in v under "options" and ok is false, so the caller skips its option
// rules (each would only repeat that the options could not be read).
func OptionsOf[T any](req *ChargeRequest, v *ValidationError) (o T, ok bool) {
	o, err := optionsAs[T](req.Options)
	if err != nil {
		v.Add("options", err.Error())
		return o, false
	}
	return o, true
}

// BuildOptions returns req.Options as a T, for a plugin's Build: like
// OptionsOf, with an error for a request Validate would have refused.
func BuildOptions[T any](req *ChargeRequest) (T, error) {
	o, err := optionsAs[T](req.Options)
	if err != nil {
		return o, fmt.Errorf("payments: %s options %w", req.Method, err)
	}
	return o, nil
}

func optionsAs[T any](opts any) (T, error) {
	var zero T
	switch o := opts.(type) {
	case nil:
		return zero, nil
	case T:
		return o, nil
	case *T:
		if o == nil {
			return zero, nil
		}
		return *o, nil
	}
	return zero, fmt.Errorf("must be a %T or a *%T, got %T", zero, zero, opts)
}

// ErrHostOption: a customer (a browser) set an option that only the host
// may set, such as 3-D Secure. CustomerOptions returns it together with a
// *ValidationError naming each such field ("options.authentication").
var ErrHostOption = errors.New("payments: option is set by the host only")

// ErrUnknownOption: a customer's options name a member the method's
// options type does not have (or a customer field spelled in another
// case). CustomerOptions wraps it around a *ValidationError naming each
// member as "options.<name>".
var ErrUnknownOption = errors.New("payments: no such option")

// OptionFields is the declared split of an options type, by JSON name.
type OptionFields struct {
	// Customer are the fields tagged payments:"customer": what a customer
	// may choose, from a browser.
	Customer []string
	// Host are the other fields: what only the host decides.
	Host []string
}

// OptionFieldsOf reads the declaration of the options type T: a struct
// whose fields a customer may set carry the tag payments:"customer", and
// whose other fields are the host's. It fails on a declaration the JSON
// decoding would not honour: a tag other than "customer", a tagged field
// JSON cannot set, or an embedded field without a JSON name.
func OptionFieldsOf[T any]() (OptionFields, error) {
	return optionFields(reflect.TypeFor[T]())
}

// MethodOptionFields is OptionFieldsOf for m's options type (the one
// NewOptions points to); a plugin without options has none.
func MethodOptionFields(m Method) (OptionFields, error) {
	o := m.NewOptions()
	if o == nil {
		return OptionFields{}, nil
	}
	t := reflect.TypeOf(o)
	if t.Kind() != reflect.Pointer {
		return OptionFields{}, fmt.Errorf("payments: %s: NewOptions returns a %s, want a pointer to the options struct", m.Name(), t)
	}
	f, err := optionFields(t.Elem())
	if err != nil {
		return f, fmt.Errorf("payments: %s: %w", m.Name(), err)
	}
	return f, nil
}

// optionField is one JSON-settable field of an options struct.
type optionField struct {
	name     string // JSON name
	index    int
	customer bool
}

func optionFieldList(t reflect.Type) ([]optionField, error) {
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("options type %s is not a struct", t)
	}
	var out []optionField
	for i := range t.NumField() {
		f := t.Field(i)
		tag, tagged := f.Tag.Lookup("payments")
		if tagged && tag != "customer" {
			return nil, fmt.Errorf("options field %s: tag payments:%q; the only value is \"customer\"", f.Name, tag)
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			if tagged {
				return nil, fmt.Errorf("options field %s is tagged for the customer but JSON cannot set it (json:\"-\")", f.Name)
			}
			continue
		case f.Anonymous && name == "":
			return nil, fmt.Errorf("options field %s is embedded; give it a JSON name, so its fields are not promoted past the declaration", f.Name)
		case !f.IsExported():
			if tagged {
				return nil, fmt.Errorf("options field %s is tagged for the customer but unexported", f.Name)
			}
			continue
		case name == "":
			name = f.Name
		}
		out = append(out, optionField{name: name, index: i, customer: tagged})
	}
	return out, nil
}

func optionFields(t reflect.Type) (OptionFields, error) {
	list, err := optionFieldList(t)
	if err != nil {
		return OptionFields{}, err
	}
	var out OptionFields
	for _, f := range list {
		if f.customer {
			out.Customer = append(out.Customer, f.name)
		} else {
			out.Host = append(out.Host, f.name)
		}
	}
	return out, nil
}

// CustomerOptions returns m's options for one charge: host's options (nil,
// or a value or pointer of m's options type) with the fields a customer
// chose, decoded from the JSON object data, on top. It is how untrusted
// input reaches a plugin: data may hold only the fields m's options type
// tags payments:"customer", spelled exactly. Any host field in data is
// refused with an error wrapping ErrHostOption and a *ValidationError
// naming each ("options.authentication"); malformed JSON, an unknown
// member, or options for a method that takes none, with a
// *ValidationError under "options"; host options of another type, with
// a plain error (the host's mistake). host is never modified. With empty
// or null data the result is host as it is.
func CustomerOptions(m Method, host any, data []byte) (any, error) {
	dst := m.NewOptions()
	if dst == nil {
		if host != nil {
			return nil, fmt.Errorf("payments: %s takes no options; the host gave a %T", m.Name(), host)
		}
		if isEmptyJSON(data) {
			return nil, nil
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil || len(members) == 0 {
			return nil, &ValidationError{Fields: []FieldError{{Field: "options", Message: m.Name() + " takes no options"}}}
		}
		var unknown ValidationError
		for _, key := range slices.Sorted(maps.Keys(members)) {
			unknown.Add("options."+key, m.Name()+" takes no options")
		}
		return nil, fmt.Errorf("%w: %w", ErrUnknownOption, &unknown)
	}
	pt := reflect.TypeOf(dst)
	if pt.Kind() != reflect.Pointer {
		return nil, fmt.Errorf("payments: %s: NewOptions returns a %s, want a pointer to the options struct", m.Name(), pt)
	}
	out := reflect.New(pt.Elem())
	if host != nil {
		hv := reflect.ValueOf(host)
		switch hv.Type() {
		case pt:
			if !hv.IsNil() {
				out.Elem().Set(hv.Elem())
			}
		case pt.Elem():
			out.Elem().Set(hv)
		default:
			return nil, fmt.Errorf("payments: %s: host options are a %T, want a %s or a %s", m.Name(), host, pt.Elem(), pt)
		}
	}
	if isEmptyJSON(data) {
		return host, nil
	}
	fields, err := optionFieldList(pt.Elem())
	if err != nil {
		return nil, fmt.Errorf("payments: %s: %w", m.Name(), err)
	}
	var ve ValidationError
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil || members == nil {
		ve.Add("options", "must be a JSON object")
		return nil, &ve
	}
	// encoding/json matches names regardless of case: a member is the
	// customer's only when spelled exactly, and refused as the host's
	// when it matches a host field in any case.
	var chosen []optionField
	var hostOnly, unknown ValidationError
	for _, key := range slices.Sorted(maps.Keys(members)) {
		i := slices.IndexFunc(fields, func(f optionField) bool { return strings.EqualFold(f.name, key) })
		switch {
		case i < 0 || fields[i].customer && fields[i].name != key:
			unknown.Add("options."+key, m.Name()+" has no such option")
		case !fields[i].customer:
			hostOnly.Add("options."+fields[i].name, "is for the host to set, not the customer")
		default:
			chosen = append(chosen, fields[i])
		}
	}
	if len(unknown.Fields) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrUnknownOption, &unknown)
	}
	if len(hostOnly.Fields) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrHostOption, &hostOnly)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		ve.Add("options", "invalid JSON: "+err.Error())
		return nil, &ve
	}
	src := reflect.ValueOf(dst).Elem()
	for _, f := range chosen {
		out.Elem().Field(f.index).Set(src.Field(f.index))
	}
	return out.Interface(), nil
}

func isEmptyJSON(data []byte) bool {
	d := bytes.TrimSpace(data)
	return len(d) == 0 || string(d) == "null"
}

package midtrans

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Operation names of the card utilities, used in errors and logs.
const (
	opCardToken    = "card_token"
	opRegisterCard = "register_card"
	opPointInquiry = "point_inquiry"
	opBIN          = "bin"
)

// Card holds raw card data for CardToken and RegisterCard. Raw card
// numbers must never reach a merchant's server unless it is PCI-DSS
// certified: these calls exist for such servers, for tests against a
// simulator, and for tools; a checkout page tokenizes in the browser with
// Midtrans' JavaScript instead. Card is never logged: its String and
// LogValue hide the number and CVV.
type Card struct {
	// Number is the card number, 12 to 19 digits; spaces and dashes are
	// ignored.
	Number string
	// ExpMonth is 1 to 12; ExpYear has four digits (2030).
	ExpMonth int
	ExpYear  int
	// CVV is 3 or 4 digits. Required by CardToken, optional for
	// RegisterCard.
	CVV string
}

// String describes the card as Midtrans masks it (first 8 and last 4
// digits), never the full number or the CVV.
func (c Card) String() string { return "midtrans.Card{" + maskCardNumber(c.Number) + "}" }

// GoString is used by %#v; it masks like String.
func (c Card) GoString() string { return c.String() }

// Format makes every fmt verb print the masked form.
func (c Card) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String()) }

// LogValue logs the masked form.
func (c Card) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON encodes the masked form, so a Card dumped as JSON leaks
// nothing.
func (c Card) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

func maskCardNumber(n string) string {
	n = cardDigits(n)
	if len(n) < 12 {
		return redacted
	}
	return n[:8] + "-" + n[len(n)-4:]
}

func cardDigits(n string) string { return strings.NewReplacer(" ", "", "-", "").Replace(n) }

// check validates the card without ever quoting its number or CVV.
func (c Card) check(op string, cvvRequired bool) error {
	var problems []string
	n := cardDigits(c.Number)
	if len(n) < 12 || len(n) > 19 || !allDigits(n) {
		problems = append(problems, "card number must be 12 to 19 digits")
	}
	if c.ExpMonth < 1 || c.ExpMonth > 12 {
		problems = append(problems, "card expiry month must be 1 to 12")
	}
	if c.ExpYear < 1000 || c.ExpYear > 9999 {
		problems = append(problems, "card expiry year must have four digits")
	}
	switch {
	case c.CVV == "" && !cvvRequired:
	case !allDigits(c.CVV) || len(c.CVV) < 3 || len(c.CVV) > 4:
		problems = append(problems, "card CVV must be 3 or 4 digits")
	}
	if len(problems) > 0 {
		return invalidRequest(op, strings.Join(problems, "; "))
	}
	return nil
}

// query is the card part of the token and register queries.
func (c Card) query(q url.Values) {
	q.Set("card_number", cardDigits(c.Number))
	q.Set("card_exp_month", twoDigits(c.ExpMonth))
	q.Set("card_exp_year", strconv.Itoa(c.ExpYear))
	if c.CVV != "" {
		q.Set("card_cvv", c.CVV)
	}
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CardTokenResponse is the answer of GET /v2/token: a one-time token_id,
// valid 10 minutes, to charge with ChargeRequest.CreditCard.TokenID.
type CardTokenResponse struct {
	StatusCode    string `json:"status_code,omitempty"`
	StatusMessage string `json:"status_message,omitempty"`
	ID            string `json:"id,omitempty"`
	// TokenID is the one-time token, "48111111-1114-<uuid>". A secret:
	// it charges the card.
	TokenID string `json:"token_id,omitempty"`
	Hash    string `json:"hash,omitempty"`
	// RedirectURL and Bank come with tokens requested for 3-D Secure.
	RedirectURL        string   `json:"redirect_url,omitempty"`
	Bank               string   `json:"bank,omitempty"`
	ValidationMessages []string `json:"validation_messages,omitempty"`
	HTTPStatus         int      `json:"-"`
	// Raw is the response body; it holds the token.
	Raw json.RawMessage `json:"-"`
}

// CardToken tokenizes a card: GET /v2/token with the client key in the
// query (Config.ClientKey is required), as Midtrans' JavaScript does in
// the browser. The card data travels in the query string, so this package
// never logs that query nor puts it in an error. See Card for when raw
// card data may be handled at all.
func (c *Client) CardToken(ctx context.Context, card Card, opts ...CallOption) (*CardTokenResponse, error) {
	if err := card.check(opCardToken, true); err != nil {
		return nil, err
	}
	if c.clientKey == "" {
		return nil, invalidRequest(opCardToken, "Config.ClientKey is required")
	}
	q := url.Values{"client_key": {c.clientKey}}
	card.query(q)
	var r CardTokenResponse
	if err := c.getJSON(ctx, call{op: opCardToken, path: "/v2/token", query: q.Encode(), auth: authNone}, opts, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// CardRegisterResponse is the answer of GET /v2/card/register.
type CardRegisterResponse struct {
	StatusCode    string `json:"status_code,omitempty"`
	StatusMessage string `json:"status_message,omitempty"`
	ID            string `json:"id,omitempty"`
	// SavedTokenID charges the card again (one-click, recurring) as
	// ChargeRequest.CreditCard.TokenID. A secret of the customer's.
	SavedTokenID       string   `json:"saved_token_id,omitempty"`
	TransactionID      string   `json:"transaction_id,omitempty"`
	MaskedCard         string   `json:"masked_card,omitempty"`
	ValidationMessages []string `json:"validation_messages,omitempty"`
	HTTPStatus         int      `json:"-"`
	// Raw is the response body; it holds the saved token.
	Raw json.RawMessage `json:"-"`
}

// RegisterCard stores a card at Midtrans without charging it: GET
// /v2/card/register with the client key in the query (Config.ClientKey is
// required). The answer's SavedTokenID charges the card later. As with
// CardToken, the query is never logged.
func (c *Client) RegisterCard(ctx context.Context, card Card, opts ...CallOption) (*CardRegisterResponse, error) {
	if err := card.check(opRegisterCard, false); err != nil {
		return nil, err
	}
	if c.clientKey == "" {
		return nil, invalidRequest(opRegisterCard, "Config.ClientKey is required")
	}
	q := url.Values{"client_key": {c.clientKey}}
	card.query(q)
	var r CardRegisterResponse
	if err := c.getJSON(ctx, call{op: opRegisterCard, path: "/v2/card/register", query: q.Encode(), auth: authNone}, opts, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// PointInquiryResponse is the answer of GET /v2/point_inquiry/{token_id}.
type PointInquiryResponse struct {
	StatusCode      string `json:"status_code,omitempty"`
	StatusMessage   string `json:"status_message,omitempty"`
	ID              string `json:"id,omitempty"`
	TransactionTime string `json:"transaction_time,omitempty"` // WIB, see ParseTime
	// PointBalanceAmount is the points balance in rupiah, "10000.00".
	PointBalanceAmount string          `json:"point_balance_amount,omitempty"`
	HTTPStatus         int             `json:"-"`
	Raw                json.RawMessage `json:"-"`
}

// PointInquiry asks the issuer for the card's reward-points balance: GET
// /v2/point_inquiry/{token_id}, server key. grossAmount is the amount of
// the coming charge (Mandiri requires it); 0 leaves it out. The token is
// never logged: logs show the path with the token redacted.
func (c *Client) PointInquiry(ctx context.Context, tokenID string, grossAmount int64, opts ...CallOption) (*PointInquiryResponse, error) {
	path, err := idPath(opPointInquiry, tokenID, "")
	if err != nil {
		return nil, err
	}
	if grossAmount < 0 {
		return nil, invalidRequest(opPointInquiry, "gross amount is negative")
	}
	path = "/v2/point_inquiry/" + strings.TrimPrefix(path, "/v2/")
	var q string
	if grossAmount > 0 {
		q = url.Values{"gross_amount": {strconv.FormatInt(grossAmount, 10)}}.Encode()
	}
	var r PointInquiryResponse
	cl := call{op: opPointInquiry, path: path, query: q, logPath: "/v2/point_inquiry/" + redacted}
	if err := c.getJSON(ctx, cl, opts, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// BINResponse is the answer of GET /v1/bins/{bin}. Midtrans sources BIN
// data from the card networks and banks and warns that values change
// without notice: show them, never validate against them.
type BINResponse struct {
	Data       BINData         `json:"data"`
	HTTPStatus int             `json:"-"`
	Raw        json.RawMessage `json:"-"`
}

// BINData describes the cards of one BIN.
type BINData struct {
	RegistrationRequired string `json:"registration_required,omitempty"`
	CountryName          string `json:"country_name,omitempty"`
	CountryCode          string `json:"country_code,omitempty"`
	Channel              string `json:"channel,omitempty"`
	Brand                string `json:"brand,omitempty"`     // visa, mastercard, jcb, amex
	BinType              string `json:"bin_type,omitempty"`  // credit, debit
	BinClass             string `json:"bin_class,omitempty"` // gold, platinum …
	Bin                  string `json:"bin,omitempty"`
	BankCode             string `json:"bank_code,omitempty"`
	Bank                 string `json:"bank,omitempty"`
}

// BIN looks up the metadata of a card BIN (the first 6 to 8 digits): GET
// /v1/bins/{bin}, authenticated with the client key as midtrans-go does
// (Config.ClientKey is required).
func (c *Client) BIN(ctx context.Context, bin string, opts ...CallOption) (*BINResponse, error) {
	if len(bin) < 6 || len(bin) > 8 || !allDigits(bin) {
		return nil, invalidRequest(opBIN, "bin must be 6 to 8 digits")
	}
	if c.clientKey == "" {
		return nil, invalidRequest(opBIN, "Config.ClientKey is required")
	}
	var r BINResponse
	if err := c.getJSON(ctx, call{op: opBIN, path: "/v1/bins/" + bin, auth: authClientKey}, opts, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// getJSON runs a GET on the Core API host and decodes the answer into r,
// whose HTTPStatus and Raw it sets.
func (c *Client) getJSON(ctx context.Context, cl call, opts []CallOption, r cardAnswer) error {
	cl.method, cl.base = http.MethodGet, c.coreURL
	return c.send(ctx, cl, opts, func(a answer) error {
		if err := a.decodeFields(r); err != nil {
			return err
		}
		r.keep(a.status, a.body)
		return nil
	})
}

// cardAnswer is one of the answer types above.
type cardAnswer interface{ keep(status int, body []byte) }

func (r *CardTokenResponse) keep(status int, body []byte) {
	r.HTTPStatus, r.Raw = status, bytes.Clone(body)
}
func (r *CardRegisterResponse) keep(status int, body []byte) {
	r.HTTPStatus, r.Raw = status, bytes.Clone(body)
}
func (r *PointInquiryResponse) keep(status int, body []byte) {
	r.HTTPStatus, r.Raw = status, bytes.Clone(body)
}
func (r *BINResponse) keep(status int, body []byte) { r.HTTPStatus, r.Raw = status, bytes.Clone(body) }

// UnmarshalJSON decodes leniently, like TransactionResponse: BIN data
// changes shape without notice.
func (d *BINData) UnmarshalJSON(data []byte) error { _, err := decodeLenient(data, d); return err }

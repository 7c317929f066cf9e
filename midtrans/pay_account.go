package midtrans

import (
	"context"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// GoPay tokenization links a customer's GoPay account to the merchant
// (LinkPaymentAccount), reports its status, balance and payment option
// tokens (GetPaymentAccount), and unlinks it (UnlinkPaymentAccount). A
// linked account is charged through Charge with GoPay.AccountID and
// GoPay.PaymentOptionToken.
//
// These endpoints answer in their own dialect of status codes: 200 for an
// enabled account, 201 for one waiting for the customer, 204 for one
// disabled or expired (and for a successful unbind); 202 is a failure
// there, an *APIError with Code 202, where a charge's 202 is a denial.

// Pay account statuses (account_status).
const (
	AccountPending  = "PENDING"  // linking started; the customer has not confirmed yet
	AccountEnabled  = "ENABLED"  // linked: its payment option tokens charge it
	AccountExpired  = "EXPIRED"  // the customer did not confirm in time
	AccountDisabled = "DISABLED" // unlinked, by the merchant or the customer
)

// Action names of a link answer: where to send the customer to confirm.
const (
	ActionActivationLinkURL = "activation-link-url" // a web page
	ActionActivationLinkApp = "activation-link-app" // the GoPay app
)

// PaymentAccountRequest is the body of POST /v2/pay/account.
type PaymentAccountRequest struct {
	// PaymentType is "gopay", the only one with account linking.
	PaymentType  string        `json:"payment_type"`
	GoPayPartner *GoPayPartner `json:"gopay_partner,omitempty"`
}

// GoPayPartner is the gopay_partner object of a link request.
type GoPayPartner struct {
	// PhoneNumber is the customer's GoPay phone number without country
	// code or leading 0, e.g. "81212345678".
	PhoneNumber string `json:"phone_number"`
	// CountryCode is the phone number's country code, e.g. "62".
	CountryCode string `json:"country_code"`
	// RedirectURL is where the customer goes after confirming in the
	// GoPay app. Optional.
	RedirectURL string `json:"redirect_url,omitempty"`
}

// PaymentAccountResponse is the answer of the pay account endpoints and
// the body of a pay account (linking or unlinking) notification.
type PaymentAccountResponse struct {
	StatusCode    string `json:"status_code,omitempty"`
	StatusMessage string `json:"status_message,omitempty"`
	ID            string `json:"id,omitempty"`
	PaymentType   string `json:"payment_type,omitempty"`
	AccountID     string `json:"account_id,omitempty"`
	// AccountStatus is AccountPending, AccountEnabled, AccountExpired or
	// AccountDisabled.
	AccountStatus          string `json:"account_status,omitempty"`
	ChannelResponseCode    string `json:"channel_response_code,omitempty"`
	ChannelResponseMessage string `json:"channel_response_message,omitempty"`
	MerchantID             string `json:"merchant_id,omitempty"`
	// SignatureKey is set on notifications (see PaymentAccountSignature).
	SignatureKey string `json:"signature_key,omitempty"`
	// Actions of a link answer: ActionActivationLinkURL and
	// ActionActivationLinkApp.
	Actions []Action `json:"actions,omitempty"`
	// Metadata lists an enabled account's payment options.
	Metadata *PaymentAccountMetadata `json:"metadata,omitempty"`

	// HTTPStatus is the HTTP status of the response (0 for a notification).
	HTTPStatus int `json:"-"`
	// Raw is the exact body. It holds the payment option tokens: mask it
	// with MaskPayload before showing or logging it.
	Raw json.RawMessage `json:"-"`
}

// PaymentAccountMetadata is the metadata of an enabled pay account.
type PaymentAccountMetadata struct {
	PaymentOptions []PaymentOption `json:"payment_options,omitempty"`
}

// PaymentOption is one way to pay from a linked account: "GOPAY_WALLET",
// "PAY_LATER", …
type PaymentOption struct {
	Name     string          `json:"name,omitempty"`
	Active   bool            `json:"active,omitempty"`
	Balance  Balance         `json:"balance"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// Token charges this option (GoPay.PaymentOptionToken). A secret.
	Token string `json:"token,omitempty"`
}

// Balance is a payment option's balance: Value like "1000000.00".
type Balance struct {
	Value    string `json:"value,omitempty"`
	Currency string `json:"currency,omitempty"`
}

// UnmarshalJSON decodes leniently, as TransactionResponse does, and keeps
// a copy of data in Raw.
func (r *PaymentAccountResponse) UnmarshalJSON(data []byte) error {
	var v PaymentAccountResponse
	if _, err := decodeLenient(data, &v); err != nil {
		return err
	}
	v.Raw = append(json.RawMessage(nil), data...)
	*r = v
	return nil
}

// UnmarshalJSON decodes leniently.
func (o *PaymentOption) UnmarshalJSON(data []byte) error {
	var v struct {
		Name     string          `json:"name,omitempty"`
		Active   *bool           `json:"active,omitempty"`
		Balance  Balance         `json:"balance"`
		Metadata json.RawMessage `json:"metadata,omitempty"`
		Token    string          `json:"token,omitempty"`
	}
	if _, err := decodeLenient(data, &v); err != nil {
		return err
	}
	*o = PaymentOption{Name: v.Name, Active: v.Active != nil && *v.Active, Balance: v.Balance, Metadata: v.Metadata, Token: v.Token}
	return nil
}

// UnmarshalJSON decodes leniently.
func (b *Balance) UnmarshalJSON(data []byte) error { _, err := decodeLenient(data, b); return err }

// Action returns the action called name.
func (r *PaymentAccountResponse) Action(name string) (Action, bool) {
	for _, a := range r.Actions {
		if a.Name == name {
			return a, true
		}
	}
	return Action{}, false
}

// LinkPaymentAccount starts linking a customer's GoPay account: POST
// /v2/pay/account. The answer is PENDING with the activation actions to
// send the customer to (or ENABLED at once, status_code 200, for an
// account already linked). A pay account notification follows when the
// customer confirms. Without WithIdempotencyKey it is never retried.
func (c *Client) LinkPaymentAccount(ctx context.Context, req *PaymentAccountRequest, opts ...CallOption) (*PaymentAccountResponse, error) {
	if req == nil {
		return nil, invalidRequest(opLinkPaymentAccount, "nil request")
	}
	if req.PaymentType == "" {
		return nil, invalidRequest(opLinkPaymentAccount, "payment_type is empty")
	}
	if req.PaymentType == "gopay" && (req.GoPayPartner == nil || req.GoPayPartner.PhoneNumber == "" || req.GoPayPartner.CountryCode == "") {
		return nil, invalidRequest(opLinkPaymentAccount, "gopay_partner.phone_number and gopay_partner.country_code are required")
	}
	return c.payAccount(ctx, call{op: opLinkPaymentAccount, method: http.MethodPost, path: "/v2/pay/account", body: req}, opts)
}

// GetPaymentAccount returns a pay account's status and, when enabled, its
// payment options with balances and tokens: GET /v2/pay/account/{id}.
// Unknown id → ErrNotFound.
func (c *Client) GetPaymentAccount(ctx context.Context, accountID string, opts ...CallOption) (*PaymentAccountResponse, error) {
	path, err := accountPath(opGetPaymentAccount, accountID, "")
	if err != nil {
		return nil, err
	}
	return c.payAccount(ctx, call{op: opGetPaymentAccount, method: http.MethodGet, path: path}, opts)
}

// UnlinkPaymentAccount unlinks a pay account: POST
// /v2/pay/account/{id}/unbind. Success is status_code 204 with
// AccountStatus DISABLED; its tokens charge nothing any more.
func (c *Client) UnlinkPaymentAccount(ctx context.Context, accountID string, opts ...CallOption) (*PaymentAccountResponse, error) {
	path, err := accountPath(opUnlinkPaymentAccount, accountID, "/unbind")
	if err != nil {
		return nil, err
	}
	return c.payAccount(ctx, call{op: opUnlinkPaymentAccount, method: http.MethodPost, path: path, body: struct{}{}}, opts)
}

func (c *Client) payAccount(ctx context.Context, cl call, opts []CallOption) (*PaymentAccountResponse, error) {
	cl.base = c.coreURL
	var r PaymentAccountResponse
	err := c.send(ctx, cl, opts, func(a answer) error {
		if err := json.Unmarshal(a.body, &r); err != nil {
			return err
		}
		if r.AccountID == "" {
			return errors.New("no account_id")
		}
		r.HTTPStatus = a.status
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func accountPath(op, id, suffix string) (string, error) {
	switch id {
	case "":
		return "", invalidRequest(op, "account id is empty")
	case ".", "..":
		return "", invalidRequest(op, "account id cannot be used in a URL path")
	}
	return "/v2/pay/account/" + url.PathEscape(id) + suffix, nil
}

// PaymentAccountSignature returns the signature_key of a pay account
// notification: lower-case hex SHA-512 of account_id + account_status +
// status_code + server key, over the strings as sent.
func PaymentAccountSignature(accountID, accountStatus, statusCode, serverKey string) string {
	h := sha512.New()
	h.Write([]byte(accountID))
	h.Write([]byte(accountStatus))
	h.Write([]byte(statusCode))
	h.Write([]byte(serverKey))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyPaymentAccountSignature reports, in constant time, whether
// signature is the signature_key of a pay account notification with these
// fields under serverKey.
func VerifyPaymentAccountSignature(accountID, accountStatus, statusCode, signature, serverKey string) bool {
	want := PaymentAccountSignature(accountID, accountStatus, statusCode, serverKey)
	got := strings.ToLower(strings.TrimSpace(signature))
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// VerifyPaymentAccountSignature is VerifyPaymentAccountSignature with the
// client's own server key.
func (c *Client) VerifyPaymentAccountSignature(accountID, accountStatus, statusCode, signature string) bool {
	return VerifyPaymentAccountSignature(accountID, accountStatus, statusCode, signature, c.creds.serverKey.reveal())
}

// ParsePaymentAccountNotification decodes a pay account notification
// leniently. It has account_id and account_status and no order_id; tell
// one from a transaction notification with IsPaymentAccountNotification.
func ParsePaymentAccountNotification(body []byte) (*PaymentAccountResponse, error) {
	var n PaymentAccountResponse
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, err
	}
	return &n, nil
}

// IsPaymentAccountNotification reports whether a notification body is a
// pay account (linking or unlinking) notification: an object with an
// account_id and no order_id.
func IsPaymentAccountNotification(body []byte) bool {
	// Members by their exact names, as the lenient decoders match them
	// (encoding/json alone would take "Account_ID" too); a repeated name
	// counts as its last value, as with the map.
	var account, order bool
	if _, err := walkObject(body, func(name, value []byte) {
		switch string(name) {
		case "account_id":
			account = string(value) != "null"
		case "order_id":
			order = string(value) != "null"
		}
	}); err != nil {
		return false
	}
	return account && !order
}

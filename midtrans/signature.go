package midtrans

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Signature returns Midtrans' signature_key for a notification or status
// answer: lower-case hex SHA-512 of order_id + status_code + gross_amount +
// server key. Pass the strings exactly as Midtrans sent
// them ("10000.00", not a re-formatted number).
func Signature(orderID, statusCode, grossAmount, serverKey string) string {
	h := sha512.New()
	h.Write([]byte(orderID))
	h.Write([]byte(statusCode))
	h.Write([]byte(grossAmount))
	h.Write([]byte(serverKey))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifySignature reports whether signature is Midtrans' signature_key for
// the given fields under serverKey. The comparison takes the same time
// whatever the input, so it leaks nothing about the expected value.
func VerifySignature(orderID, statusCode, grossAmount, signature, serverKey string) bool {
	want := Signature(orderID, statusCode, grossAmount, serverKey)
	got := strings.ToLower(strings.TrimSpace(signature))
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// VerifySignature is VerifySignature with the client's own server key, which
// never leaves the client.
func (c *Client) VerifySignature(orderID, statusCode, grossAmount, signature string) bool {
	return VerifySignature(orderID, statusCode, grossAmount, signature, c.creds.serverKey.reveal())
}

// Signature is Signature with the client's own server key, for building
// notifications in tests.
func (c *Client) Signature(orderID, statusCode, grossAmount string) string {
	return Signature(orderID, statusCode, grossAmount, c.creds.serverKey.reveal())
}

// ParseNotification decodes a notification body (an HTTP notification, or
// one stored and read back) leniently: unknown fields are ignored and every
// field may be a string or a number, kept as written, so the signature is
// checked over the exact strings Midtrans signed. Raw is the body.
func ParseNotification(body []byte) (*TransactionResponse, error) {
	// UnmarshalJSON itself, not through json.Unmarshal, so that the body
	// is not scanned twice; json.Unmarshal would pass it the body without
	// the JSON whitespace around it (and only that: not \v or U+00A0).
	var n TransactionResponse
	if err := n.UnmarshalJSON(bytes.Trim(body, " \t\r\n")); err != nil {
		return nil, err
	}
	if len(n.Raw) == 0 {
		n.Raw = body
	}
	return &n, nil
}

// DeriveKey returns a 32-byte key for purpose derived from the client's
// server key (HMAC-SHA256), for secrets every replica of one merchant must
// share without configuring another one, such as the ops console's CSRF
// tokens. Different purposes give unrelated keys, and none reveals the
// server key; rotating the server key changes them all.
func (c *Client) DeriveKey(purpose string) []byte {
	m := hmac.New(sha256.New, []byte(c.creds.serverKey.reveal()))
	m.Write([]byte("nusapay derived key\x00" + purpose))
	return m.Sum(nil)
}

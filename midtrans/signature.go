package midtrans

import (
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

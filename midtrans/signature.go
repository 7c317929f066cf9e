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
	sum := signatureSum(orderID, statusCode, grossAmount, serverKey)
	return hex.EncodeToString(sum[:])
}

// signatureSum is the SHA-512 a signature_key is the hex of, hashed from
// a buffer on the stack for the usual lengths.
func signatureSum(orderID, statusCode, grossAmount, serverKey string) [sha512.Size]byte {
	var buf [256]byte
	b := append(append(append(append(buf[:0], orderID...), statusCode...), grossAmount...), serverKey...)
	return sha512.Sum512(b)
}

// VerifySignature reports whether signature is Midtrans' signature_key for
// the given fields under serverKey: its hex, in either case, with space
// around it ignored. A signature of the right length and hex is compared
// with the expected sum in constant time; any other is refused at once,
// which tells nothing about the expected value. Nothing is
// allocated: it runs on every notification.
func VerifySignature(orderID, statusCode, grossAmount, signature, serverKey string) bool {
	want := signatureSum(orderID, statusCode, grossAmount, serverKey)
	var got [sha512.Size]byte
	if !decodeHex(got[:], strings.TrimSpace(signature)) {
		return false
	}
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// decodeHex decodes text, hex digits of either case, into dst, which it
// must fill exactly.
func decodeHex(dst []byte, text string) bool {
	if len(text) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := hexDigit(text[2*i])
		lo, ok2 := hexDigit(text[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
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

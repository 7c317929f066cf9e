package midtrans

import (
	"bytes"
	"encoding/json"
)

// secretFields are the JSON members MaskPayload hides: a notification's
// signature_key (with the order's fields, a known-plaintext hash of the
// server key), card tokens, which charge a card again, card numbers and
// CVVs (sent in a query by the card utilities), a linked GoPay account's
// payment option tokens ("token" in its payment_options, and
// payment_option_token in a charge), which charge the account again, and a
// subscription's token (a saved card token or a GoPay payment option
// token). A Snap token, also named "token", is hidden with them: it is
// short-lived, and showing it helps nobody.
var secretFields = [...]string{"signature_key", "token_id", "saved_token_id", "card_token", "payment_option_token", "server_key",
	"card_number", "card_cvv", "token"}

// Masked is what MaskPayload puts in place of a secret.
const Masked = "[REDACTED]"

// MaskPayload returns a Midtrans JSON payload (a notification, a charge or
// status answer) fit to show people: every secret member (signature_key,
// card tokens, a subscription's token), at any depth, replaced by Masked; numbers kept as written.
// A payload that is not JSON comes back as the JSON string "[not JSON]"
// rather than unchecked.
func MaskPayload(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return json.RawMessage(`"[not JSON]"`)
	}
	out, err := json.Marshal(maskValue(v))
	if err != nil {
		return json.RawMessage(`"[not JSON]"`)
	}
	return out
}

func maskValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if isSecretField(k) {
				v[k] = Masked
			} else {
				v[k] = maskValue(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = maskValue(x)
		}
	}
	return v
}

func isSecretField(k string) bool {
	for _, s := range secretFields {
		if k == s {
			return true
		}
	}
	return false
}

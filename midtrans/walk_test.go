package midtrans

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// walkCases add, to every fixture, the cases where decoding without a map
// could part from decoding through one: repeated names (the last counts),
// escaped names, the other spellings of two fields, null, not an object.
var walkCases = []string{
	`{"order_id":"a","order_id":"b"}`, `{"order_id":1,"order_id":"x"}`, `{"order_id":{},"order_id":"x"}`,
	`{"order_id":"x","order_id":{}}`, `{"\u006frder_id":"esc","gross_amount":10000}`,
	`{"expire_time":"2026-01-01 00:00:00"}`, `{"expiry_time":"a","expire_time":"b"}`, `{"expire_time":{},"expiry_time":"a"}`,
	`{"challenge_completion":true}`, `{"challenge_completion":"x"}`, `{"va_numbers":[{"bank":"bca","va_number":1}],"va_numbers":null}`,
	`null`, `{}`, `[]`, `"x"`, `{"a":}`, `{"order_id":null}`, ` {"order_id":"sp"} `,
	`{"account_id":"a","gross_amount":{}}`, `{"account_id":"a","order_id":"x","order_id":null}`, `{"account_id":null,"account_id":"a"}`,
}

// TestTransactionResponseWalkMatchesMembers: UnmarshalJSON, which walks
// the object once and keeps known members by place, decodes every
// fixture and edge case exactly as decoding the member map does (the
// client's path), errors included.
func TestTransactionResponseWalkMatchesMembers(t *testing.T) {
	var bodies [][]byte
	for _, text := range append(walkCases, parseObjectCases...) {
		bodies = append(bodies, []byte(text))
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "shared", "midtrans", "fixtures", "*", "*.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("fixtures: %d files, %v", len(files), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	for _, b := range bodies {
		checkWalkMatchesMembers(t, b)
	}
}

func FuzzTransactionResponseWalk(f *testing.F) {
	for _, text := range append(walkCases, parseObjectCases...) {
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkWalkMatchesMembers(t, data) })
}

func checkWalkMatchesMembers(t *testing.T, data []byte) {
	t.Helper()
	var walked TransactionResponse
	walkErr := walked.UnmarshalJSON(data)
	var viaMap TransactionResponse
	members, parseErr := parseObject(data)
	mapErr := parseErr
	if mapErr == nil {
		mapErr = decodeViaMembers(members, &viaMap)
		viaMap.Raw = append([]byte(nil), data...)
	}
	if (walkErr == nil) != (mapErr == nil) || walkErr != nil && walkErr.Error() != mapErr.Error() {
		t.Fatalf("%q: walk error %v, member map error %v", data, walkErr, mapErr)
	}
	if walkErr == nil && !reflect.DeepEqual(walked, viaMap) {
		t.Fatalf("%q: walk %+v, member map %+v", data, walked, viaMap)
	}
	// classify's envelope: as decoding each member from the map.
	if parseErr == nil && members != nil {
		var want envelope
		for i, dst := range []any{&want.StatusCode, &want.StatusMessage, &want.ID, &want.TransactionStatus, &want.Token,
			&want.ValidationMessages, &want.ErrorMessages} {
			_ = decodeMember(members, envelopeNames[i], dst)
		}
		if got := classify(opCharge, 200, data).env; !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: classify's envelope %+v, from the member map %+v", data, got, want)
		}
	}
	// The shape test counts a repeated name as its last value, as the map did.
	present := func(name string) bool { v, ok := members[name]; return ok && string(v) != "null" }
	if want := parseErr == nil && present("account_id") && !present("order_id"); members != nil && IsPaymentAccountNotification(data) != want {
		t.Fatalf("%q: IsPaymentAccountNotification %v, member map says %v", data, !want, want)
	}
}

// decodeViaMembers is how a TransactionResponse was decoded before the
// walk, from the member map: the reference the walk is held to.
func decodeViaMembers(members map[string]json.RawMessage, r *TransactionResponse) error {
	var v TransactionResponse
	if err := decodeNamed(members, &v, transactionResponseFields); err != nil {
		return err
	}
	if v.ExpiryTime == "" {
		if err := decodeMember(members, "expire_time", &v.ExpiryTime); err != nil {
			return err
		}
	}
	if v.ChallengeCompletion == nil {
		if err := decodeMember(members, "challenge_completion", &v.ChallengeCompletion); err != nil {
			return err
		}
	}
	v.HTTPStatus = r.HTTPStatus
	*r = v
	return nil
}

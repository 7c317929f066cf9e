package midtrans

import (
	"encoding/json"
	"maps"
	"testing"
)

// parseObjectCases are JSON texts whose split must match encoding/json's.
var parseObjectCases = []string{
	`{}`, ` { } `, `null`, ` null `, `{"a":1}`, `{"status_code":"201","va_numbers":[{"bank":"bca","va_number":"123"}]}`,
	`{"a":"x\"}y","b":{"c":[1,{"d":"]}"}]},"e":null,"f":true,"g":-1.5e3}`,
	"{\n\t\"a\" : [ ] ,\r\n \"b\":{ }\n}\n", `{"a":1,"a":2}`, `{"\u0061b":1,"a\\b":2,"é":3}`,
	`{"a":"\\"}`, `{"a":"\\\""}`,
	// not objects, or not JSON: the same error
	``, ` `, `[]`, `"x"`, `1`, `true`, `{`, `{"a":}`, `{"a":1,}`, `{"a":1} x`, `{"a" 1}`, "{\"a\":\"\x01\"}", `nul`,
}

func TestParseObjectMatchesEncodingJSON(t *testing.T) {
	for _, text := range parseObjectCases {
		t.Run(text, func(t *testing.T) { checkParseObject(t, []byte(text)) })
	}
}

func FuzzParseObject(f *testing.F) {
	for _, text := range parseObjectCases {
		f.Add([]byte(text))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkParseObject(t, data) })
}

func checkParseObject(t *testing.T, data []byte) {
	t.Helper()
	var want map[string]json.RawMessage
	wantErr := json.Unmarshal(data, &want)
	got, err := parseObject(data)
	switch {
	case (err == nil) != (wantErr == nil):
		t.Fatalf("parseObject(%q) error %v, encoding/json %v", data, err, wantErr)
	case err != nil:
		if err.Error() != wantErr.Error() {
			t.Fatalf("parseObject(%q) error %q, encoding/json %q", data, err, wantErr)
		}
		return
	case (got == nil) != (want == nil):
		t.Fatalf("parseObject(%q) = %v, encoding/json %v", data, got, want)
	}
	if !maps.EqualFunc(got, want, func(a, b json.RawMessage) bool { return string(a) == string(b) }) {
		t.Fatalf("parseObject(%q) = %q, encoding/json %q", data, got, want)
	}
}

package midtrans

import (
	"encoding/json"
)

// parseObject splits a JSON object into its members, as
// json.Unmarshal(data, &map[string]json.RawMessage{}) does: the same
// members, nil for null, an error for anything else. It checks the whole
// text with json.Valid and then splits it in one pass (walkObject), with
// each value a slice of data rather than a copy (every decoder copies what
// it keeps), which makes it several times cheaper than the map decoder on
// every answer the client reads.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	members := make(map[string]json.RawMessage)
	null, err := walkObject(data, func(name, value []byte) { members[string(name)] = value })
	if err != nil || null {
		return nil, err
	}
	return members, nil
}

// walkObject checks data as parseObject does and calls fn with the name
// (unescaped) and the value of each member of the object, in order; a
// name repeated is passed again, and as with the map, the last one is the
// one to keep. It reports null for the JSON null, and calls nothing then.
// Unlike parseObject it allocates nothing but an escaped name: decoders of
// known members look names up (m[string(name)] does not copy) and keep
// the values they want.
func walkObject(data []byte, fn func(name, value []byte)) (null bool, err error) {
	valid := json.Valid(data)
	i := skipSpace(data, 0)
	if !valid || data[i] != '{' {
		if valid && data[i] == 'n' { // null, the only valid JSON starting with n
			return true, nil
		}
		// encoding/json's own error, for invalid JSON or another type.
		var members map[string]json.RawMessage
		return false, json.Unmarshal(data, &members)
	}
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return false, nil
	}
	for {
		end := skipString(data, i)
		name := data[i+1 : end-1]
		if raw := data[i:end]; !plainString(raw) {
			var key string
			if err := json.Unmarshal(raw, &key); err != nil {
				return false, err // not reached: data is valid
			}
			name = []byte(key)
		}
		i = skipSpace(data, skipSpace(data, end)+1) // past the colon
		end = skipValue(data, i)
		fn(name, data[i:end:end])
		i = skipSpace(data, end)
		if data[i] == '}' {
			return false, nil
		}
		i = skipSpace(data, i+1) // past the comma
	}
}

// The skip functions walk valid JSON only (parseObject checks first):
// each returns the index just past what starts at data[i].

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipLiteral skips a number, true, false or null.
func skipLiteral(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	return skipLiteral(data, i)
}

package midtrans

import (
	"encoding/json"
)

// parseObject splits a JSON object into its members, as
// json.Unmarshal(data, &map[string]json.RawMessage{}) does: the same
// members, nil for null, an error for anything else. It checks the whole
// text with json.Valid and then splits it in one pass, with each value a
// slice of data rather than a copy (every decoder copies what it keeps),
// which makes it several times cheaper than the map decoder on every
// answer the client reads.
func parseObject(data []byte) (map[string]json.RawMessage, error) {
	valid := json.Valid(data)
	i := skipSpace(data, 0)
	if !valid || data[i] != '{' {
		if valid && data[i] == 'n' { // null, the only valid JSON starting with n
			return nil, nil
		}
		// encoding/json's own error, for invalid JSON or another type.
		var members map[string]json.RawMessage
		err := json.Unmarshal(data, &members)
		return members, err
	}
	members := make(map[string]json.RawMessage)
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return members, nil
	}
	for {
		end := skipString(data, i)
		var key string
		if raw := data[i:end]; plainString(raw) {
			key = string(raw[1 : len(raw)-1])
		} else if err := json.Unmarshal(raw, &key); err != nil {
			return nil, err // not reached: data is valid
		}
		i = skipSpace(data, skipSpace(data, end)+1) // past the colon
		end = skipValue(data, i)
		members[key] = data[i:end:end]
		i = skipSpace(data, end)
		if data[i] == '}' {
			return members, nil
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

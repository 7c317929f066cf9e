package uid

import (
	"regexp"
	"testing"
	"time"
)

func TestNewIsUUIDv7AndOrdered(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	base := time.UnixMilli(1_700_000_000_000)
	prev := ""
	for i := range 1000 {
		id := NewAt(base.Add(time.Duration(i) * time.Millisecond))
		if !re.MatchString(id) {
			t.Fatalf("%q is not a UUIDv7", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
		if id[:13] < prev {
			t.Fatalf("ids not time ordered: %q after %q", id, prev)
		}
		prev = id[:13]
	}
}

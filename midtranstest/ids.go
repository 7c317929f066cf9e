package midtranstest

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"
)

// newUUID returns a random (version 4) UUID, the shape of Midtrans transaction ids.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics internally on failure)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// danaStyleID mimics the ids DANA/BI-SNAP transactions get, e.g.
// "A120240830074017NP16XMU4JTID": "A1" + Jakarta timestamp + 10 random + "ID".
func danaStyleID(now time.Time) string {
	var sb strings.Builder
	sb.WriteString("A1")
	sb.WriteString(now.UTC().Add(7 * time.Hour).Format("20060102150405"))
	for range 10 {
		sb.WriteByte(upperAlnum[mrand.IntN(len(upperAlnum))])
	}
	sb.WriteString("ID")
	return sb.String()
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + mrand.IntN(10))
	}
	return string(b)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// codeFormat describes how a bank or store numbers its payment codes.
type codeFormat struct {
	prefix    string
	suffixLen int
}

// vaFormat: prefix + a suffix the merchant may choose (lengths from the banks' integration pages).
func vaFormat(bank string) codeFormat {
	switch bank {
	case "bca":
		return codeFormat{"12785", 11}
	case "bni":
		return codeFormat{"98885002", 8}
	case "bri":
		return codeFormat{"857", 13}
	case "permata":
		return codeFormat{"85000", 10}
	case "cimb":
		return codeFormat{"2810", 12}
	default: // Snap-only VAs (danamon, bsi, seabank, saqu)
		return codeFormat{"7700", 12}
	}
}

// allocCode returns a payment code unique among pending transactions. A custom value is
// trimmed (trailing digits) or zero-padded to the suffix length; if it is already held by
// another pending transaction a fresh one is picked, as Midtrans does.
// Called with s.mu held.
func (s *Server) allocCode(kind string, f codeFormat, custom string, t *txn) string {
	if custom != "" {
		if len(custom) > f.suffixLen {
			custom = custom[:f.suffixLen]
		}
		code := f.prefix + strings.Repeat("0", f.suffixLen-len(custom)) + custom
		if s.activeCodes[kind+":"+code] == nil {
			s.activeCodes[kind+":"+code] = t
			return code
		}
	}
	for {
		code := f.prefix + randomDigits(f.suffixLen)
		if s.activeCodes[kind+":"+code] == nil {
			s.activeCodes[kind+":"+code] = t
			return code
		}
	}
}

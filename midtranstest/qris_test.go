package midtranstest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// parseEMV splits an EMVCo payload into its top-level data objects, failing on any
// malformed length, and checks the CRC with a bitwise CRC-16/CCITT-FALSE written
// independently of the simulator's.
func parseEMV(t *testing.T, p string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := 0; i < len(p); {
		if i+4 > len(p) {
			t.Fatalf("truncated object at %d in %q", i, p)
		}
		id, n := p[i:i+2], p[i+2:i+4]
		l, err := strconv.Atoi(n)
		if err != nil || i+4+l > len(p) {
			t.Fatalf("bad length %q at %d in %q", n, i, p)
		}
		out[id] = p[i+4 : i+4+l]
		i += 4 + l
	}
	crc := 0xFFFF
	for _, c := range []byte(p[:len(p)-4]) {
		for b := 7; b >= 0; b-- {
			bit := (int(c)>>b)&1 == 1
			top := crc&0x8000 != 0
			crc = (crc << 1) & 0xFFFF
			if top != bit {
				crc ^= 0x1021
			}
		}
	}
	if want := fmt.Sprintf("%04X", crc); out["63"] != want {
		t.Errorf("CRC %s, want %s", out["63"], want)
	}
	return out
}

func TestQRString(t *testing.T) {
	if got := crc16CCITT([]byte("123456789")); got != 0x29B1 {
		t.Fatalf("crc16CCITT check value %04X, want 29B1", got)
	}
	s := newSim(t, Config{})
	a := newAPI(t, s)
	for _, acq := range []string{"gopay", "airpay shopee"} {
		id := "qr-" + strings.ReplaceAll(acq, " ", "-")
		m := a.charge(map[string]any{"payment_type": "qris", "transaction_details": map[string]any{"order_id": id, "gross_amount": 275000},
			"qris": map[string]any{"acquirer": acq}}, "201")
		qr := m["qr_string"].(string)
		f := parseEMV(t, qr)
		if f["00"] != "01" || f["01"] != "12" || f["53"] != "360" || f["54"] != "275000" || f["58"] != "ID" || !strings.HasSuffix(qr[:len(qr)-4], "6304") {
			t.Errorf("%s: fields %v", acq, f)
		}
		if m["acquirer"] != acq {
			t.Errorf("acquirer %v", m["acquirer"])
		}
	}
}

func TestCardToken(t *testing.T) {
	for _, n := range []string{"4811111111111114", "5211 1111 1111 1117", "4511-1111-1111-1117"} {
		tok := CardToken(n)
		digits := strings.NewReplacer(" ", "", "-", "").Replace(n)
		if len(tok) != 50 || !strings.HasPrefix(tok, digits[:8]+"-"+digits[12:]+"-") {
			t.Errorf("CardToken(%s) = %s", n, tok)
		}
		masked, number, ok := parseCardToken(tok)
		if !ok || masked != digits[:8]+"-"+digits[12:] || number != digits {
			t.Errorf("round trip of %s: %s %s %v", n, masked, number, ok)
		}
		if CardToken(n) == tok {
			t.Error("tokens are not one-time (random)")
		}
		forged := tok[:49] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", tok[49])+1)%16])
		if _, _, ok := parseCardToken(forged); ok {
			t.Errorf("forged token %s accepted", forged)
		}
	}
	if _, _, ok := parseCardToken(CardToken("4811111111111115")); ok { // Luhn fails
		t.Error("token for an invalid number accepted")
	}
}

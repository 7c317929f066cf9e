package midtranstest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// cardOutcome is what the simulated issuer/FDS decides for a sandbox card.
type cardOutcome int

const (
	cardAccept      cardOutcome = iota
	cardDenyBank                // 202 deny, channel_response_code 05
	cardDenyFDS                 // 202 deny, fraud_status deny
	cardChallenge               // 201 capture, fraud_status challenge
	cardDenyRC51                // 202 deny, channel_response_code 51
	cardDenyOver30k             // RC 51 when the amount exceeds 30,000
	card3DS1                    // outdated 3DS 1 card: the charge is refused with 402
)

// sandboxOutcome maps Midtrans' sandbox card numbers to their result. Cards not
// listed are approved.
func sandboxOutcome(number string) cardOutcome {
	switch number {
	case "4911111111111113", "5111111111111118", // 3DS ready, denied by bank
		"4711111111111115", "5511111111111114", // not enrolled, denied by bank
		"4485436455354151", "5328720384582224", // 3DS2 frictionless deny
		"4604633194219929", "5424184049821670", // 3DS2 challenge deny
		"4716125059847899", "5250548692069390", // 3DS failed
		"4705859510984866", "5597518926561951": // offline card
		return cardDenyBank
	case "4611111111111116", "5411111111111115":
		return cardDenyFDS
	case "4511111111111117": // the 2021 docs' challenge card
		return cardChallenge
	case "4472429869996670":
		return cardDenyRC51
	case "4806000000000081":
		return cardDenyOver30k
	case "4723249479082225", "5555666677771111":
		return card3DS1
	}
	return cardAccept
}

// sandboxCard lets a token (which carries only the first 8 and last 4 digits) name its
// sandbox card.
func sandboxCard(first8, last4 string) string {
	for _, n := range []string{
		"4811111111111114", "5211111111111117", "4911111111111113", "5111111111111118",
		"4411111111111118", "5410111111111116", "4611111111111116", "5411111111111115",
		"4711111111111115", "5511111111111114", "4556557955726624", "4024007189449340",
		"5333259155643223", "4485436455354151", "5328720384582224", "4916994064252017",
		"5306889942833340", "4604633194219929", "5424184049821670", "4024007176265022",
		"5487971631330522", "4716125059847899", "5250548692069390", "4472429869996670",
		"4806000000000081", "4705859510984866", "5597518926561951", "4511111111111117",
		"4723249479082225", "5555666677771111",
	} {
		if n[:8] == first8 && n[len(n)-4:] == last4 {
			return n
		}
	}
	return first8 + last4
}

func luhnValid(n string) bool {
	if len(n) < 12 || len(n) > 19 || !isDigits(n) {
		return false
	}
	sum, double := 0, false
	for i := len(n) - 1; i >= 0; i-- {
		d := int(n[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func normalizeCardNumber(n string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(n)
}

// tokenMAC binds a token's random part to its card digits, so tokens not issued by
// CardToken (e.g. copied from docs samples) are "invalid" like an unknown Midtrans token.
func tokenMAC(prefix string, random []byte) []byte {
	h := sha256.Sum256(append([]byte("midtranstest-card-token:"+prefix+":"), random...))
	return h[:4]
}

// CardToken returns a simulated one-time card token for a card number, in Midtrans'
// format "48111111-1114-<uuid>" (first 8 and last 4 digits). Sandbox numbers from
// Midtrans' test list decide the charge result (4811111111111114 accepted,
// 4911111111111113 denied by the bank, 4511111111111117 challenged by FDS, …); other
// valid numbers are approved. For a number that is not 12–19 digits passing the Luhn
// check, it returns a token the simulator rejects with status_code 411.
func CardToken(cardNumber string) string {
	n := normalizeCardNumber(cardNumber)
	if !luhnValid(n) {
		return "invalid-card-token-" + newUUID()
	}
	prefix := n[:8] + "-" + n[len(n)-4:]
	var b [16]byte
	_, _ = rand.Read(b[:12])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	copy(b[12:], tokenMAC(prefix, b[:12]))
	return prefix + "-" + formatUUID(b)
}

// parseCardToken returns the card a CardToken token stands for: "first8-last4" and the
// sandbox number when known.
func parseCardToken(tok string) (masked, number string, ok bool) {
	if len(tok) != 50 || tok[8] != '-' || tok[13] != '-' {
		return "", "", false
	}
	first8, last4 := tok[:8], tok[9:13]
	if !isDigits(first8) || !isDigits(last4) {
		return "", "", false
	}
	u := strings.ReplaceAll(tok[14:], "-", "")
	raw, err := hex.DecodeString(u)
	if err != nil || len(raw) != 16 || len(tok[14:]) != 36 {
		return "", "", false
	}
	prefix := tok[:13]
	mac := tokenMAC(prefix, raw[:12])
	for i := range mac {
		if mac[i] != raw[12+i] {
			return "", "", false
		}
	}
	return prefix, sandboxCard(first8, last4), true
}

// savedToken is a one/two-click saved_token_id: first 8 digits + 20 random + last 4.
func savedTokenFor(masked string) string {
	return masked[:8] + randomDigits(20) + masked[9:13]
}

// token answers GET /v2/token (client key in the query): the browser-side card
// tokenization that MidtransNew3ds.getCardToken performs.
func (s *Server) token(r *http.Request) apiResult {
	n, msgs := cardQueryProblems(r, true)
	if len(msgs) > 0 {
		return validationError(msgs)
	}
	tok := CardToken(n)
	return ok200(obj{"status_code": "200", "status_message": "Credit card token is created as Token ID.",
		"token_id": tok, "hash": tok[:13] + "-mami"})
}

func atoiRange(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= lo && n <= hi
}

package midtranstest

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// The card utilities: card registration, point inquiry and the BIN API.

// cardQueryProblems checks the card part of /v2/token and /v2/card/register
// queries, with Midtrans' messages. The CVV is optional for registration.
func cardQueryProblems(r *http.Request, cvvRequired bool) (number string, msgs []string) {
	q := r.URL.Query()
	n := normalizeCardNumber(q.Get("card_number"))
	if !luhnValid(n) {
		msgs = append(msgs, "card_number does not match with luhn algorithm")
	}
	if m, ok := atoiRange(q.Get("card_exp_month"), 1, 12); !ok || m == 0 {
		msgs = append(msgs, "card_exp_month must be between 01 and 12")
	}
	if _, ok := atoiRange(q.Get("card_exp_year"), 2000, 2199); !ok {
		msgs = append(msgs, "card_exp_year is invalid")
	}
	if cvv := q.Get("card_cvv"); (cvv != "" || cvvRequired) && (!isDigits(cvv) || len(cvv) < 3 || len(cvv) > 4) {
		msgs = append(msgs, "card_cvv must be 3 or 4 digits")
	}
	return n, msgs
}

// registerCard answers GET /v2/card/register (client key in the query): the
// card is stored and its saved_token_id charges it later, as a one-click
// charge's saved token does.
func (s *Server) registerCard(r *http.Request) apiResult {
	n, msgs := cardQueryProblems(r, false)
	if len(msgs) > 0 {
		return validationError(msgs)
	}
	masked := n[:8] + "-" + n[len(n)-4:]
	saved := savedTokenFor(masked)
	s.mu.Lock()
	s.savedCards[saved] = n // the full number: its sandbox outcome decides later charges
	s.mu.Unlock()
	return ok200(obj{"status_code": "200", "saved_token_id": saved, "transaction_id": newUUID(), "masked_card": masked})
}

// pointBalance is what every simulated card holds in reward points, in rupiah.
const pointBalance = 10000

// pointInquiry answers GET /v2/point_inquiry/{token_id} (server key): a
// one-time or saved token of the simulator gets the points balance, any
// other token the 411 a charge with it would get.
func (s *Server) pointInquiry(r *http.Request, token string) apiResult {
	s.mu.Lock()
	_, saved := s.savedCards[token]
	s.mu.Unlock()
	if _, _, ok := parseCardToken(token); !ok && !saved {
		return coreError(http.StatusOK, "411", msgTokenInvalid, false)
	}
	if g := r.URL.Query().Get("gross_amount"); g != "" && !isDigits(g) {
		return validationError([]string{"gross_amount must be an integer"})
	}
	return ok200(obj{"status_code": "200", "status_message": "Success, Credit Card Point inquiry is successful",
		"transaction_time": jakarta(s.now()), "point_balance_amount": amountString(pointBalance)})
}

// routeV1 serves the /v1 Core API paths the simulator knows.
func (s *Server) routeV1(r *http.Request, segs []string) apiResult {
	switch {
	case len(segs) == 3 && segs[1] == "bins":
		if r.Method != http.MethodGet {
			return methodNotAllowed(false)
		}
		return binLookup(segs[2])
	}
	return coreError(http.StatusNotFound, "404", msgNotFound, true)
}

// binLookup answers GET /v1/bins/{bin}: the sandbox cards' BINs by their
// network (4 Visa, 5 Mastercard, 35 JCB, 34/37 Amex), issued in Indonesia.
func binLookup(bin string) apiResult {
	if len(bin) < 6 || len(bin) > 8 || !isDigits(bin) {
		return coreError(http.StatusNotFound, "404", msgNotFound, true)
	}
	brand := ""
	switch {
	case bin[0] == '4':
		brand = "visa"
	case bin[0] == '5':
		brand = "mastercard"
	case strings.HasPrefix(bin, "35"):
		brand = "jcb"
	case strings.HasPrefix(bin, "34"), strings.HasPrefix(bin, "37"):
		brand = "amex"
	default:
		return coreError(http.StatusNotFound, "404", msgNotFound, true)
	}
	return ok200(obj{"data": obj{
		"country_name": "Indonesia", "country_code": "id", "brand": brand, "bin_type": "credit", "bin_class": "gold",
		"bin": bin, "bank_code": "bni", "bank": "bank negara indonesia",
	}})
}

// cardAuth authenticates the card utilities: /v2/card/register by the client
// key in the query, /v1/bins by the client key as Basic user (as midtrans-go
// sends it). ok=false: not one of them.
func (s *Server) cardAuth(r *http.Request, segs []string) (authorized, ok bool) {
	switch {
	case len(segs) == 3 && segs[0] == "v2" && segs[1] == "card" && segs[2] == "register":
		return subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("client_key")), []byte(s.cfg.ClientKey)) == 1, true
	case len(segs) == 3 && segs[0] == "v1" && segs[1] == "bins":
		user, pass, has := r.BasicAuth()
		return has && pass == "" && subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.ClientKey)) == 1, true
	}
	return false, false
}

// browserCalled: paths Midtrans' JavaScript calls from the customer's browser.
func browserCalled(segs []string) bool {
	return len(segs) >= 2 && segs[0] == "v2" && (segs[1] == "token" || (segs[1] == "card" && len(segs) == 3 && segs[2] == "register"))
}

// statusB2B answers GET /v2/{id}/status/b2b?page=&per_page=: the child
// transactions of a multi-use VA, newest first, page (from 0) of per_page
// (default 10). Multi-use VAs are simplified: every transaction is its own
// single child, so page 0 holds it and later pages are empty.
func (s *Server) statusB2B(r *http.Request, id string) apiResult {
	q := r.URL.Query()
	page, perPage := 0, 10
	var msgs []string
	if v := q.Get("page"); v != "" {
		n, ok := atoiRange(v, 0, 1<<30)
		if !ok {
			msgs = append(msgs, "page must be a non-negative integer")
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, ok := atoiRange(v, 1, 1<<30)
		if !ok {
			msgs = append(msgs, "per_page must be a positive integer")
		}
		perPage = n
	}
	if len(msgs) > 0 {
		return validationError(msgs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(id, false)
	if t == nil {
		return notFound()
	}
	children := []obj{s.statusObject(t, false)}
	from := min(page*perPage, len(children))
	to := min(from+perPage, len(children))
	return ok200(obj{"status_code": "200", "status_message": "Success, transactions are retrieved",
		"transactions": children[from:to]})
}

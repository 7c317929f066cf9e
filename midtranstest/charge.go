package midtranstest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// methodReq is the payment-type specific part of a charge.
type methodReq struct {
	paymentType string // as requested
	method      string // bca, bni, bri, permata, cimb, echannel, gopay, shopeepay, qris, indomaret, alfamart, …
	bank        string
	customVA    string
	billKey     string
	store       string
	acquirer    string
	callbackURL string
	payerPhone  string

	cardToken   string
	card3DS     bool
	cardAuth    bool // credit_card.type "authorize"
	cardBank    string
	saveToken   bool
	installment int64

	payAccountID string // gopay.account_id (tokenization)
	payToken     string // gopay.payment_option_token
}

// parseMethod validates payment_type and its object. ptMsgs come first in the answer.
func parseMethod(m map[string]any, c common) (mr methodReq, ptMsgs, msgs []string) {
	pt, _ := asString(m["payment_type"])
	mr.paymentType = pt
	mr.method = pt
	obj := func(k string) map[string]any { o, _ := asObject(m[k]); return o }
	str := func(o map[string]any, k string) string { s, _ := asString(o[k]); return s }

	switch pt {
	case "":
		ptMsgs = append(ptMsgs, "payment_type is required")
	case "bank_transfer", "permata":
		bt := obj("bank_transfer")
		bank := strings.ToLower(str(bt, "bank"))
		if pt == "permata" {
			bank = "permata" // legacy form
		}
		switch bank {
		case "":
			msgs = append(msgs, "bank_transfer.bank is required")
		case "bca", "bni", "bri", "permata", "cimb":
			mr.bank, mr.method = bank, bank
		default:
			msgs = append(msgs, "bank_transfer.bank must be one of bca, bni, bri, permata, cimb")
		}
		if v, present := bt["va_number"]; present && v != nil {
			va, _ := asString(v)
			if !isDigits(va) {
				msgs = append(msgs, "bank_transfer.va_number must contain digits only")
			}
			mr.customVA = va
		}
	case "echannel":
		ec := obj("echannel")
		if v, present := ec["bill_key"]; present && v != nil {
			bk, _ := asString(v)
			if !isDigits(bk) || len(bk) < 6 || len(bk) > 12 {
				msgs = append(msgs, "echannel.bill_key must be 6 to 12 digits")
			}
			mr.billKey = bk
		}
	case "gopay":
		mr.callbackURL = str(obj("gopay"), "callback_url")
		mr.payAccountID = str(obj("gopay"), "account_id")
		mr.payToken = str(obj("gopay"), "payment_option_token")
	case "shopeepay":
		mr.callbackURL = str(obj("shopeepay"), "callback_url")
	case "uob_ezpay":
		mr.callbackURL = str(obj("uob_ezpay"), "callback_url")
	case "qris":
		mr.acquirer = "gopay"
		if v, present := obj("qris")["acquirer"]; present && v != nil {
			a, _ := asString(v)
			if a != "gopay" && a != "airpay shopee" {
				msgs = append(msgs, "qris.acquirer must be gopay or airpay shopee")
			}
			mr.acquirer = a
		}
	case "cstore":
		store := strings.ToLower(str(obj("cstore"), "store"))
		switch store {
		case "":
			msgs = append(msgs, "cstore.store is required")
		case "indomaret", "alfamart":
			mr.store, mr.method = store, store
		default:
			msgs = append(msgs, "cstore.store must be indomaret or alfamart")
		}
		if store == "alfamart" {
			for i, it := range c.items {
				if strings.Contains(it.name, "|") {
					msgs = append(msgs, fmt.Sprintf("item_details[%d].name must not contain '|' for alfamart", i))
				}
			}
		}
	case "akulaku", "kredivo":
		if !c.hasItems || len(c.items) == 0 {
			msgs = append(msgs, "item_details is required")
		}
		if c.customer == nil {
			msgs = append(msgs, "customer_details is required")
		}
		if pt == "akulaku" {
			seen := map[string]bool{}
			for _, it := range c.items {
				if seen[it.id] {
					msgs = append(msgs, "item_details.id must be unique")
					break
				}
				seen[it.id] = true
			}
		}
	case "ovo":
		mr.payerPhone = str(obj("ovo"), "payer_phone_number")
		if mr.payerPhone == "" {
			msgs = append(msgs, "ovo.payer_phone_number is required")
		}
	case "credit_card":
		cc := obj("credit_card")
		mr.cardToken = str(cc, "token_id")
		mr.card3DS = asBool(cc["authentication"])
		mr.cardAuth = str(cc, "type") == "authorize"
		mr.cardBank = strings.ToLower(str(cc, "bank"))
		mr.saveToken = asBool(cc["save_token_id"])
		if v, present := cc["installment_term"]; present && v != nil {
			n, ok := asInt(v)
			if !ok || n < 1 {
				msgs = append(msgs, "credit_card.installment_term must be a positive integer")
			}
			mr.installment = n
		}
	default:
		ptMsgs = append(ptMsgs, unsupportedType(pt))
	}
	return mr, ptMsgs, msgs
}

// expiryRules: default and maximum expiry per method; 0 default = no expiry.
func expiryRules(method string) (def, max time.Duration, custom bool) {
	const day = 24 * time.Hour
	switch method {
	case "gopay":
		return 15 * time.Minute, 7 * day, true
	case "shopeepay", "qris":
		return 15 * time.Minute, 5 * day, true
	case "dana":
		return 15 * time.Minute, day, true
	case "ovo":
		return 65 * time.Second, 0, false // fixed, custom expiry not supported
	case "uob_ezpay":
		return 14 * time.Minute, 180 * day, true
	case "credit_card":
		return 10 * time.Minute, 0, false // 3DS page; custom expiry not supported for cards
	}
	return day, 180 * day, true // VAs, echannel, cstore, akulaku, kredivo
}

func (s *Server) charge(r *http.Request, body []byte) apiResult {
	m, err := decodeObject(body)
	if err != nil {
		return syntaxError()
	}
	c, commonMsgs := parseCommon(m)
	mr, ptMsgs, methodMsgs := parseMethod(m, c)
	custom := s.customType(mr.paymentType, ptMsgs)
	if custom != nil {
		ptMsgs = nil
	}
	msgs := append(append(ptMsgs, commonMsgs...), methodMsgs...)
	_, _, customOK := expiryRules(mr.method)
	start, dur, expMsgs, hasCustom := time.Time{}, time.Duration(0), []string(nil), false
	if customOK {
		start, dur, expMsgs, hasCustom = parseCustomExpiry(m["custom_expiry"], s.now())
		msgs = append(msgs, expMsgs...)
	}
	if len(msgs) > 0 {
		return validationError(msgs)
	}
	if res, refused := s.refuseCharge(mr); refused {
		return res
	}
	var ext customCharge
	if custom != nil {
		var res apiResult
		if ext, res = s.runCustomType(custom, mr.paymentType, c, m, body); res.status != 0 {
			return res
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var card *cardInfo
	if mr.paymentType == "credit_card" {
		var ok bool
		if card, ok = s.resolveCard(mr); !ok {
			return coreError(http.StatusOK, "411", msgTokenInvalid, false)
		}
		if card.outcome == card3DS1 {
			return coreError(http.StatusOK, "402", msg3DS1, true)
		}
	}
	var linked *payAccount
	var linkedOption *payOption
	if mr.paymentType == "gopay" && (mr.payToken != "" || mr.payAccountID != "") {
		var ok bool
		if linked, linkedOption, ok = s.resolvePayToken(mr); !ok {
			return validationError([]string{msgPayTokenInvalid})
		}
	}
	if s.orderTaken(c.orderID) {
		return coreError(http.StatusOK, "406", msgDuplicate, true)
	}
	t := s.newTxn(mr, c, body, r.Header, false)
	if custom != nil {
		t.txID, t.extra = ext.txID, ext.fields
	}
	if linked != nil {
		s.chargeLinked(t, linked, linkedOption)
	}
	if hasCustom {
		_, max, _ := expiryRules(mr.method)
		if dur > max {
			dur = max
		}
		t.expiresAt = start.Add(dur)
	}
	if card != nil {
		t.card = card
		if !card.threeDS {
			s.completeCard(t)
		}
	}
	s.register(t)
	resp := mustJSON(s.chargeResponse(t))
	s.notifyLocked(t)
	return apiResult{status: http.StatusOK, body: resp}
}

// orderTaken: an order_id stays used unless its transaction was cancelled while pending.
func (s *Server) orderTaken(orderID string) bool {
	if t := s.byOrder[orderID]; t != nil && !t.freed {
		return true
	}
	if so := s.snapByOrder[orderID]; so != nil && (so.t == nil || !so.t.freed) {
		return true
	}
	return false
}

func (s *Server) register(t *txn) {
	s.byOrder[t.orderID] = t
	s.byTxID[t.txID] = t
	if so := s.snapByOrder[t.orderID]; so != nil && so.t != t {
		delete(s.snapByOrder, t.orderID) // the old Snap order was cancelled; the id is reused
	}
}

// newTxn builds a pending transaction with its payment instructions. Called with s.mu held.
func (s *Server) newTxn(mr methodReq, c common, request []byte, h http.Header, snap bool) *txn {
	now := s.now()
	t := &txn{
		orderID:      c.orderID,
		txID:         newUUID(),
		paymentType:  mr.paymentType,
		method:       mr.method,
		status:       stPending,
		fraud:        "accept",
		gross:        c.gross,
		createdAt:    now,
		customFields: c.customFields,
		metadata:     c.metadata,
		request:      append([]byte(nil), request...),
		overrideURLs: splitURLs(h.Get("X-Override-Notification")),
		appendURLs:   splitURLs(h.Get("X-Append-Notification")),
		snap:         snap,
		callbackURL:  mr.callbackURL,
	}
	if def, _, _ := expiryRules(mr.method); def > 0 {
		t.expiresAt = now.Add(def)
	}
	b := s.baseURL
	switch mr.paymentType {
	case "bank_transfer", "permata":
		t.paymentType = "bank_transfer"
		t.bank = mr.bank
		t.va = s.allocCode("va:"+mr.bank, vaFormat(mr.bank), mr.customVA, t)
	case "echannel":
		t.billerCode = "70012"
		if mr.billKey != "" {
			t.billKey = s.allocCode("echannel", codeFormat{"", len(mr.billKey)}, mr.billKey, t)
		} else {
			t.billKey = s.allocCode("echannel", codeFormat{"", 12}, "", t)
		}
	case "gopay":
		t.fraud = "" // the GoPay pending samples carry no fraud_status; settlement adds it
		t.chanCode, t.chanMsg = "200", "Success"
		t.qr = qrisPayload("gopay", s.cfg.MerchantID, t.txID, t.gross)
		t.actions = []action{
			{Name: "generate-qr-code", Method: http.MethodGet, URL: b + "/v2/gopay/" + t.txID + "/qr-code"},
			{Name: "generate-qr-code-v2", Method: http.MethodGet, URL: b + "/v4/qris/gopay/" + t.txID + "/qr-code"},
			{Name: "deeplink-redirect", Method: http.MethodGet, URL: b + "/v2/deeplink/gopay/" + t.txID},
			{Name: "get-status", Method: http.MethodGet, URL: b + "/v2/" + t.txID + "/status"},
			{Name: "cancel", Method: http.MethodPost, URL: b + "/v2/" + t.txID + "/cancel", Fields: []string{}},
		}
	case "shopeepay":
		t.chanCode, t.chanMsg = "0", "success"
		t.actions = []action{{Name: "deeplink-redirect", Method: http.MethodGet, URL: b + "/v2/deeplink/shopeepay/" + t.txID}}
	case "qris":
		t.acquirer = mr.acquirer
		t.issuer = mr.acquirer
		if t.issuer == "airpay shopee" {
			t.issuer = "shopeepay"
		}
		t.qr = qrisPayload(mr.acquirer, s.cfg.MerchantID, t.txID, t.gross)
		if mr.acquirer == "gopay" {
			t.crossRef = newUUID()
		}
		t.actions = []action{
			{Name: "generate-qr-code", Method: http.MethodGet, URL: b + "/v2/qris/" + t.txID + "/qr-code"},
			{Name: "generate-qr-code-v2", Method: http.MethodGet, URL: b + "/v4/qris/" + t.txID + "/qr-code"},
		}
	case "cstore":
		t.store = mr.store
		if mr.store == "indomaret" {
			t.fraud = "" // low-risk method, not FDS-evaluated
			t.paymentCode = s.allocCode("cstore", codeFormat{"", 12}, "", t)
			t.storeCode = "IDM" + randomDigits(9)
		} else {
			t.paymentCode = s.allocCode("cstore", codeFormat{"", 16}, "", t)
		}
	case "akulaku":
		t.redirectURL = b + "/v2/akulaku/redirect/" + t.txID
	case "kredivo":
		t.redirectURL = b + "/v2/oms/redirect/" + t.txID
		t.chanCode, t.chanMsg = "OK", "Success Create Transaction"
	case "ovo":
		t.payerPhone = mr.payerPhone
	case "uob_ezpay":
		t.actions = []action{
			{Name: "web-deeplink-redirect", Method: http.MethodGet, URL: b + "/v2/uob/web/" + t.txID},
			{Name: "mobile-deeplink-redirect", Method: http.MethodGet, URL: b + "/v2/uob/app/" + t.txID},
		}
	case "dana":
		t.txID = danaStyleID(now) // DANA transactions have BI-SNAP style ids
	case "credit_card":
		t.fraud = ""
		t.redirectURL = b + "/v2/3ds/redirect/" + t.txID
	}
	return t
}

// resolveCard turns credit_card.token_id (a CardToken token or a saved_token_id) into
// card details; ok=false is the 411 answer. Called with s.mu held.
func (s *Server) resolveCard(mr methodReq) (*cardInfo, bool) {
	var masked, number string
	if n, ok := s.savedCards[mr.cardToken]; ok {
		number = n
		masked = n[:8] + "-" + n[len(n)-4:]
	} else if m, n, ok := parseCardToken(mr.cardToken); ok {
		masked, number = m, n
	} else {
		return nil, false
	}
	bank := mr.cardBank
	if bank == "" {
		bank = "bni"
	}
	c := &cardInfo{
		number: number, masked: masked, outcome: sandboxOutcome(number), bank: bank,
		cardType: "credit", eci: "05", threeDS: mr.card3DS, authorize: mr.cardAuth,
		installment: int(mr.installment),
	}
	if mr.saveToken {
		c.savedToken = savedTokenFor(masked)
		c.savedExpiry = s.now().AddDate(10, 0, 0)
		s.savedCards[c.savedToken] = number
	}
	return c, true
}

// completeCard applies the issuer's and FDS' decision (non-3DS charge, or 3DS completed).
func (s *Server) completeCard(t *txn) {
	c := t.card
	c.challengeOK = c.threeDS
	outcome := c.outcome
	if outcome == cardDenyOver30k {
		outcome = cardAccept
		if t.gross > 30000 {
			outcome = cardDenyRC51
		}
	}
	t.expiresAt = time.Time{}
	switch outcome {
	case cardDenyBank:
		c.respCode, c.respMsg = "05", "Do not honor"
		s.transition(t, stDeny, "accept")
	case cardDenyRC51:
		c.respCode, c.respMsg = "51", "Insufficient funds"
		s.transition(t, stDeny, "accept")
	case cardDenyFDS:
		c.respCode, c.respMsg = "00", "Approved"
		c.approval = randomDigits(6)
		s.transition(t, stDeny, "deny")
	case cardChallenge:
		c.respCode, c.respMsg = "00", "Approved"
		c.approval = randomDigits(6)
		s.transition(t, stCapture, "challenge")
	default:
		c.respCode, c.respMsg = "00", "Approved"
		c.approval = randomDigits(6)
		if c.authorize {
			// an authorization is released after 8 days unless captured
			t.expiresAt = t.createdAt.Add(8 * 24 * time.Hour)
			s.transition(t, stAuthorize, "accept")
		} else {
			s.transition(t, stCapture, "accept")
		}
	}
}

// chargeStatus is the status_code and status_message of a charge answer, by method and
// state, worded as the docs samples are.
func (t *txn) chargeStatus() (string, string) {
	if t.payAccount != "" {
		return t.linkedChargeStatus()
	}
	if t.card != nil {
		switch {
		case t.status == stDeny && t.fraud == "deny":
			return "202", "Denied by FDS"
		case t.status == stDeny:
			return "202", fmt.Sprintf("Deny by Bank [%s] with code [%s] and message [%s]",
				strings.ToUpper(t.card.bank), t.card.respCode, t.card.respMsg)
		case t.fraud == "challenge":
			return "201", "Challenge by FDS"
		case t.status == stPending:
			return "201", "Success, Credit Card transaction is successful"
		}
		return "200", "Success, Credit Card transaction is successful"
	}
	msg := map[string]string{
		"bank_transfer": "Success, Bank Transfer transaction is created",
		"echannel":      "OK, Mandiri Bill transaction is successful",
		"gopay":         "GO-PAY billing created",
		"shopeepay":     "ShopeePay transaction is created",
		"qris":          "QRIS transaction is created",
		"cstore":        "Success, cstore transaction is successful",
		"akulaku":       "Success, Akulaku transaction is created",
		"kredivo":       "Kredivo transaction is created",
		"ovo":           "Ovo transaction is created",
		"uob_ezpay":     "UOB EZPay transaction is created",
		"dana":          "DANA transaction is created",
	}[t.paymentType]
	if t.method == "permata" {
		msg = "Success, PERMATA VA transaction is successful"
	}
	if msg == "" {
		msg = t.paymentType + " transaction is created"
	}
	return "201", msg
}

// chargeResponse is the answer to POST /v2/charge, with the key set of the docs sample
// of its method.
func (s *Server) chargeResponse(t *txn) obj {
	o := t.base(s)
	o["status_code"], o["status_message"] = t.chargeStatus()
	if t.fraud != "" {
		o["fraud_status"] = t.fraud
	}
	if !t.expiresAt.IsZero() {
		if t.method == "qris" {
			o["expire_time"] = jakarta(t.expiresAt) // the QRIS sample's spelling
		} else {
			o["expiry_time"] = jakarta(t.expiresAt)
		}
	}
	t.instrumentFields(o)
	if t.method == "qris" {
		o["qr_string"] = t.qr
	}
	if len(t.actions) > 0 {
		o["actions"] = actionsJSON(t.actions)
	}
	if t.chanCode != "" {
		o["channel_response_code"] = t.chanCode
		o["channel_response_message"] = t.chanMsg
	}
	if t.method == "ovo" {
		o["payer_phone_number"] = t.payerPhone
	}
	if t.redirectURL != "" && (t.card == nil || t.status == stPending) {
		o["redirect_url"] = t.redirectURL
	}
	if c := t.card; c != nil {
		o["masked_card"] = c.masked
		o["card_type"] = c.cardType
		o["on_us"] = true
		if c.threeDS {
			o["three_ds_version"] = "2"
		}
		if t.status != stPending {
			o["bank"] = c.bank
			o["channel_response_code"] = c.respCode
			o["channel_response_message"] = c.respMsg
			if t.status != stDeny {
				o["approval_code"] = c.approval
			}
		}
		switch t.status {
		case stAuthorize:
			o["eci"] = c.eci
		case stCapture:
			o["channel"] = "dragon"
			// the capture sample shows the 8-day void/capture window as expiry_time
			o["expiry_time"] = jakarta(t.createdAt.Add(8 * 24 * time.Hour))
		}
		if c.installment > 0 {
			o["installment_term"] = fmt.Sprint(c.installment) // a string here, a number in notifications
		}
		if c.savedToken != "" {
			o["saved_token_id"] = c.savedToken
			o["saved_token_id_expired_at"] = jakarta(c.savedExpiry)
		}
	}
	t.addExtra(o)
	return o
}

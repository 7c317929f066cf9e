package midtranstest

import (
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/nusapay/payments/internal/qr"
)

// servePage serves what a browser meets in a Midtrans flow: the Snap page, the 3DS,
// Akulaku/Kredivo/UOB redirect pages, e-wallet deeplinks, QR images and tiny stand-ins
// for snap.js and the 3DS JS library. They need no auth and are not API calls (no faults,
// not in Calls). They let a demo run end to end in a browser.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, segs []string) bool {
	n := len(segs)
	switch {
	case n == 2 && segs[0] == "snap" && segs[1] == "snap.js":
		s.serveScript(w, snapJS)
	case n == 4 && segs[0] == "v2" && segs[1] == "assets" && segs[3] == "midtrans-new-3ds.min.js":
		s.serveScript(w, threeDSJS)
	case n == 4 && segs[0] == "v2" && (segs[1] == "gopay" || segs[1] == "qris") && segs[3] == "qr-code",
		n >= 4 && segs[0] == "v4" && segs[1] == "qris" && segs[n-1] == "qr-code":
		s.serveQR(w, r, segs[n-2])
	case n == 4 && segs[0] == "v2" && segs[2] == "redirect" && (segs[1] == "3ds" || segs[1] == "akulaku" || segs[1] == "oms"),
		n == 4 && segs[0] == "v2" && (segs[1] == "deeplink" || segs[1] == "uob"):
		s.serveTxnPage(w, r, segs[3])
	case n == 4 && segs[0] == "snap" && segs[1] == "v3" && segs[2] == "redirection":
		s.serveSnapPage(w, r, segs[3])
	default:
		return false
	}
	return true
}

func (s *Server) serveScript(w http.ResponseWriter, src string) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write([]byte(strings.ReplaceAll(src, "{{BASE}}", s.URL())))
}

func (s *Server) serveQR(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	var payload string
	if t := s.byTxID[id]; t != nil {
		payload = t.qr
	}
	s.mu.Unlock()
	if payload == "" {
		http.NotFound(w, r)
		return
	}
	png, err := qr.PNG(payload, 6)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(png)
}

type pageData struct {
	Title    string
	OrderID  string
	Amount   string
	Method   string
	Status   string
	Fraud    string
	Lines    []string
	Actions  []string
	Payments []string
	Result   template.JS
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title><link rel="icon" href="data:,">
<style>body{font-family:sans-serif;max-width:32em;margin:2em auto}button{margin:.2em}</style></head>
<body><h1>{{.Title}}</h1>
<p>Midtrans simulator (midtranstest). Nothing here moves real money.</p>
<dl><dt>Order</dt><dd id="order-id">{{.OrderID}}</dd><dt>Amount</dt><dd id="amount">{{.Amount}}</dd>
{{if .Method}}<dt>Method</dt><dd id="method">{{.Method}}</dd>{{end}}
{{if .Status}}<dt>Status</dt><dd id="status">{{.Status}}</dd>{{end}}
{{if .Fraud}}<dt>Fraud status</dt><dd id="fraud-status">{{.Fraud}}</dd>{{end}}
{{range .Lines}}<dd>{{.}}</dd>{{end}}</dl>
{{if .Payments}}<form method="post"><input type="hidden" name="action" value="pay">
{{range .Payments}}<button name="payment" value="{{.}}" id="pay-{{.}}">Pay with {{.}}</button>{{end}}</form>
<form method="post"><input type="hidden" name="action" value="select">
{{range .Payments}}<button name="payment" value="{{.}}" id="select-{{.}}">Choose {{.}} (pay later)</button>{{end}}</form>{{end}}
{{if .Actions}}<form method="post">{{range .Actions}}<button name="action" value="{{.}}" id="{{.}}">{{.}}</button>{{end}}</form>{{end}}
{{if .Result}}<script>try{window.parent.postMessage(JSON.stringify({{.Result}}),"*")}catch(e){}</script>{{end}}
</body></html>`))

// txnPage describes a transaction for the browser pages. Called with s.mu held.
func (s *Server) txnPage(t *txn, title string) pageData {
	d := pageData{Title: title, OrderID: t.orderID, Amount: "IDR " + amountString(t.gross),
		Method: t.paymentType, Status: t.status, Fraud: t.fraud}
	switch {
	case t.va != "":
		d.Lines = append(d.Lines, "Virtual account ("+t.bank+"): "+t.va)
	case t.billKey != "":
		d.Lines = append(d.Lines, "Biller code: "+t.billerCode+", bill key: "+t.billKey)
	case t.paymentCode != "":
		d.Lines = append(d.Lines, "Payment code ("+t.store+"): "+t.paymentCode)
	}
	if t.card != nil {
		d.Lines = append(d.Lines, "Card: "+t.card.masked+" (3DS OTP 112233)")
	}
	if t.status == stPending {
		d.Actions = []string{"pay", "deny", "expire", "cancel"}
	}
	if t.status != stPending {
		d.Result = template.JS(mustJSON(s.statusObject(t, false)))
	}
	return d
}

// serveTxnPage is the 3DS page, the PayLater/UOB pages and the e-wallet deeplink target.
func (s *Server) serveTxnPage(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		var err error
		switch r.PostForm.Get("action") {
		case "pay":
			err = s.Pay(id)
		case "deny":
			err = s.Deny(id)
		case "expire":
			err = s.Expire(id)
		case "cancel":
			err = s.Cancel(id)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		if target := s.afterPayment(id); target != "" {
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
		return
	}
	s.mu.Lock()
	t := s.byTxID[id]
	var d pageData
	if t != nil {
		d = s.txnPage(t, "Pay order "+t.orderID)
	}
	s.mu.Unlock()
	if t == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, d)
}

// afterPayment is where the browser goes once the customer acted: the e-wallet
// callback_url (?order_id=&result=), else the Snap finish URL (?order_id=&status_code=&transaction_status=).
func (s *Server) afterPayment(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(id, true)
	if t == nil {
		return ""
	}
	q := url.Values{"order_id": {t.orderID}}
	if t.callbackURL != "" {
		result := "failure"
		if t.status == stSettlement || t.status == stCapture {
			result = "success"
		}
		q.Set("result", result)
		return appendQuery(t.callbackURL, q)
	}
	if so := s.snapByOrder[t.orderID]; so != nil && so.t == t && so.finishURL != "" {
		q.Set("status_code", t.statusCode(false))
		q.Set("transaction_status", t.status)
		return appendQuery(so.finishURL, q)
	}
	return ""
}

func appendQuery(u string, q url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + q.Encode()
}

// serveSnapPage is the hosted Snap checkout: choose a method (and pay at once or later).
func (s *Server) serveSnapPage(w http.ResponseWriter, r *http.Request, token string) {
	s.mu.Lock()
	so := s.snapByToken[token]
	s.mu.Unlock()
	if so == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		action, payment := r.PostForm.Get("action"), r.PostForm.Get("payment")
		var err error
		if payment != "" {
			if err = s.SelectSnapPayment(token, payment); err == nil && action == "pay" {
				err = s.Pay(so.orderID)
			}
		} else {
			switch action {
			case "pay":
				err = s.Pay(token)
			case "deny":
				err = s.Deny(so.orderID)
			case "expire":
				err = s.Expire(so.orderID)
			case "cancel":
				err = s.Cancel(so.orderID)
			}
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		if action == "pay" {
			if target := s.afterPayment(so.orderID); target != "" {
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
		}
		http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
		return
	}
	s.mu.Lock()
	var d pageData
	if so.t != nil {
		d = s.txnPage(so.t, "Snap checkout")
	} else {
		d = pageData{Title: "Snap checkout", OrderID: so.orderID, Amount: "IDR " + amountString(so.gross)}
		for _, p := range so.payments() {
			if _, ok := snapMethod(p); ok {
				d.Payments = append(d.Payments, p)
			}
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, d)
}

// snapJS stands in for snap.js: pay/embed send the browser to the Snap page.
const snapJS = `(function(){
  var base = "{{BASE}}";
  function go(token){ window.location.href = base + "/snap/v3/redirection/" + encodeURIComponent(token); }
  window.snap = { pay: function(token){ go(token); }, embed: function(token){ go(token); },
    show: function(){}, hide: function(){} };
})();
`

// threeDSJS stands in for midtrans-new-3ds.min.js: getCardToken calls /v2/token with the
// script tag's data-client-key; authenticate opens the 3DS page and reports its result.
const threeDSJS = `(function(){
  var base = "{{BASE}}";
  var el = document.currentScript;
  var clientKey = el ? el.getAttribute("data-client-key") : "";
  function paid(d){ return d.transaction_status === "capture" || d.transaction_status === "authorize" || d.transaction_status === "settlement"; }
  window.MidtransNew3ds = {
    getCardToken: function(card, cb){
      var q = "client_key=" + encodeURIComponent(clientKey) +
        "&card_number=" + encodeURIComponent(card.card_number || "") +
        "&card_exp_month=" + encodeURIComponent(card.card_exp_month || "") +
        "&card_exp_year=" + encodeURIComponent(card.card_exp_year || "") +
        "&card_cvv=" + encodeURIComponent(card.card_cvv || "");
      fetch(base + "/v2/token?" + q).then(function(r){ return r.json(); }).then(function(j){
        if (j.status_code === "200") { cb.onSuccess(j); } else { cb.onFailure(j); }
      }, function(e){ cb.onFailure({status_code: "500", status_message: String(e)}); });
    },
    authenticate: function(url, cb){
      function onMessage(ev){
        var d; try { d = typeof ev.data === "string" ? JSON.parse(ev.data) : ev.data; } catch (e) { return; }
        if (!d || !d.transaction_status) { return; }
        window.removeEventListener("message", onMessage);
        if (paid(d) && d.fraud_status !== "challenge") { cb.onSuccess && cb.onSuccess(d); }
        else if (d.transaction_status === "pending" || d.fraud_status === "challenge") { cb.onPending && cb.onPending(d); }
        else { cb.onFailure && cb.onFailure(d); }
      }
      window.addEventListener("message", onMessage);
      if (cb.performAuthentication) { cb.performAuthentication(url); } else { window.location.href = url; }
    },
    redirect: function(url){ window.location.href = url; }
  };
})();
`

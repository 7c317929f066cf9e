package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestTranslations: every text exists in both languages, and no page shows
// a text key instead of a text.
func TestTranslations(t *testing.T) {
	for key, pair := range texts() {
		if strings.TrimSpace(pair[0]) == "" || strings.TrimSpace(pair[1]) == "" {
			t.Errorf("text %q is missing a language: %q", key, pair)
		}
		if strings.Count(pair[0], "%") != strings.Count(pair[1], "%") {
			t.Errorf("text %q: the languages take different arguments: %q", key, pair)
		}
	}
	if got := len(strings.Fields(texts()["months"][0])); got != 12 {
		t.Errorf("%d Indonesian months", got)
	}

	shop, base := newTestShop(t, Config{})
	c := client(t)
	ref := placeOrder(t, c, base, newOrderForm("batik-scarf", "bca_va"))
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"bca_va"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	paid := placeOrder(t, c, base, newOrderForm("kopi-gayo", "credit_card"))
	if r := charge(t, c, base, `{"order_ref":"`+paid+`","method":"indomaret"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	if err := shop.Simulator().Pay(paid + "-1"); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, base, paid, fulfilled)

	jargon := regexp.MustCompile(`>[^<]*(?:settlement|Midtrans status)[^<]*<`) // in text, not in data attributes
	rawKey := regexp.MustCompile(`>[^<]*\b(?:lang|mode|banner|title|index|err|product|group|method|order|card|threeds|status|pay|receipt|js|msg)\.[a-z_.0-9-]+[^<]*<`)
	for _, tc := range []struct {
		lang, query, htmlLang string
		want                  []string
	}{
		{"default", "", `<html lang="id">`, []string{"Menunggu pembayaran", "Jumlah yang dibayar", "English"}},
		{"en", "?lang=en", `<html lang="en">`, []string{"Waiting for payment", "Amount to pay", "Indonesia"}},
		{"id", "?lang=id", `<html lang="id">`, []string{"Menunggu pembayaran", "Nomor virtual account"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			for _, path := range []string{"/", "/orders/" + ref, "/orders/" + ref + "/live", "/orders/" + paid, "/orders/NP-NOPE"} {
				r := do(t, c, "GET", base+path+tc.query, "", "")
				body := string(r.body)
				if m := rawKey.FindString(body); m != "" {
					t.Errorf("%s shows a text key: %s", path, m)
				}
				if !strings.HasSuffix(path, "/live") && !strings.Contains(body, tc.htmlLang) {
					t.Errorf("%s lacks %s", path, tc.htmlLang)
				}
				if jargon.MatchString(body) {
					t.Errorf("%s shows Midtrans' words to the shopper", path)
				}
			}
			page := string(do(t, c, "GET", base+"/orders/"+ref+tc.query, "", "").body)
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("order page lacks %q", w)
				}
			}
		})
	}

	t.Run("cookie", func(t *testing.T) {
		r := do(t, c, "GET", base+"/?lang=en", "", "")
		var cookie *http.Cookie
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Name == langCookie {
				cookie = ck
			}
		}
		if cookie == nil || cookie.Value != "en" {
			t.Fatalf("no language cookie: %v", r.header["Set-Cookie"])
		}
		page := string(do(t, c, "GET", base+"/orders/"+ref, "", "", "Cookie", "lang=en").body)
		if !strings.Contains(page, `<html lang="en">`) || !strings.Contains(page, `href="/orders/`+ref+`?lang=id"`) {
			t.Error("the cookie does not keep English, or the switch does not offer Indonesian")
		}
		if page := string(do(t, c, "GET", base+"/?lang=xx", "", "").body); !strings.Contains(page, `<html lang="id">`) {
			t.Error("an unknown language is not Indonesian")
		}
	})
}

// TestOrderPageServerRendered: the order page arrives in its current
// state, so nothing flashes while the script loads: a pending payment's
// panel with the amount next to the VA number and no method picker; a paid
// one's receipt.
func TestOrderPageServerRendered(t *testing.T) {
	shop, base := newTestShop(t, Config{})
	c := client(t)
	ref := placeOrder(t, c, base, newOrderForm("rattan-tote", "bca_va"))

	page := string(do(t, c, "GET", base+"/orders/"+ref, "", "").body)
	if !regexp.MustCompile(`<section class="card" id="choose"[^>]*>`).MatchString(page) ||
		regexp.MustCompile(`id="choose"[^>]* hidden`).MatchString(page) {
		t.Error("a new order's page hides the method picker")
	}
	if !regexp.MustCompile(`<button id="pay"[^>]* disabled data-js>`).MatchString(page) {
		t.Error("the Pay button is not disabled until the script is ready")
	}

	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"bca_va"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	page = string(do(t, c, "GET", base+"/orders/"+ref, "", "").body)
	p, err := shop.Service().Payment(t.Context(), ref+"-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`id="choose"[^>]* hidden`),
		regexp.MustCompile(`id="va-number">(<span>\d{1,4}</span>)+</code>`),
		regexp.MustCompile(`id="pay-amount" data-copy-value="150000">Rp 150.000</code>`),
		regexp.MustCompile(`data-outcome="pending" data-status="pending">Menunggu pembayaran<`),
		regexp.MustCompile(`id="expiry" data-expires="[^"]+">\d+:\d\d:\d\d<`),
		regexp.MustCompile(`action="/orders/` + ref + `/switch"`),
	} {
		if !want.MatchString(page) {
			t.Errorf("pending order page lacks %s", want)
		}
	}
	if strings.Contains(page, `id="payment" hidden`) || !strings.Contains(page, strings.Join(digitGroups(p.VANumber), "</span><span>")) {
		t.Error("pending order page hides the payment or shows another VA number")
	}

	if err := shop.Simulator().Pay(ref + "-1"); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, base, ref, fulfilled)
	page = string(do(t, c, "GET", base+"/orders/"+ref+"?lang=en", "", "").body)
	p, _ = shop.Service().Payment(t.Context(), ref+"-1")
	for _, want := range []string{`id="receipt"`, `<code id="receipt-order">` + ref + `</code>`, `id="receipt-item">Rattan tote bag<`,
		`id="receipt-amount" class="amount">Rp 150.000<`, `id="receipt-method">BCA Virtual Account<`,
		`id="receipt-paid-at">` + shop.locales[langEN].When(p.PaidAt) + `<`, `<code id="receipt-ref">` + p.TransactionID + `</code>`,
		`data-state="fulfilled">Paid, being packed<`, `>Paid</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("receipt lacks %q", want)
		}
	}
	if p.TransactionID == "" || p.PaidAt.IsZero() {
		t.Errorf("paid payment without a reference or paid time: %+v", p)
	}
}

// TestRestartedSimulator: an order whose pending payment the simulator
// forgot (the shop restarted on the same database) can switch method or be
// cancelled instead of dead-ending.
func TestRestartedSimulator(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shop.db")
	first, base := newTestShop(t, Config{DBPath: db})
	c := client(t)
	switched := placeOrder(t, c, base, newOrderForm("kopi-gayo", "bca_va"))
	cancelled := placeOrder(t, c, base, newOrderForm("kopi-gayo", "indomaret"))
	for _, tc := range [][2]string{{switched, "bca_va"}, {cancelled, "indomaret"}} {
		if r := charge(t, c, base, `{"order_ref":"`+tc[0]+`","method":"`+tc[1]+`"}`); r.status != http.StatusCreated {
			t.Fatalf("charge: %d %s", r.status, r.body)
		}
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	_, base = newTestShop(t, Config{DBPath: db})
	if r := postJSON(t, c, base+"/orders/"+switched+"/simulate-pay"); r.status != http.StatusConflict ||
		!strings.Contains(string(r.body), "sim_restarted") {
		t.Errorf("simulate-pay of a forgotten payment: %d %s", r.status, r.body)
	}
	page := string(do(t, c, "GET", base+"/orders/"+switched, "", "").body)
	if !strings.Contains(page, `action="/orders/`+switched+`/switch"`) || !strings.Contains(page, `action="/orders/`+switched+`/cancel"`) {
		t.Error("the pending order offers no way out")
	}
	sw := postJSON(t, c, base+"/orders/"+switched+"/switch")
	if st, _ := sw.json(t)["order"].(map[string]any); sw.status != 200 || st["can_pay"] != true {
		t.Fatalf("switch: %d %s", sw.status, sw.body)
	}
	r := charge(t, c, base, `{"order_ref":"`+switched+`","method":"qris"}`)
	if r.status != http.StatusCreated || r.json(t)["payment"].(map[string]any)["order_id"] != switched+"-2" {
		t.Fatalf("charge after switching: %d %s", r.status, r.body)
	}

	// Without JavaScript: a form post, answered with a redirect.
	r = do(t, c, "POST", base+"/orders/"+cancelled+"/cancel", "application/x-www-form-urlencoded", "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/orders/"+cancelled {
		t.Fatalf("cancel: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	st := waitState(t, c, base, cancelled, func(map[string]any) bool { return true })
	if st["status"] != orderCancelled || st["can_pay"] != false {
		t.Errorf("cancelled order: %v", st)
	}
	if r := charge(t, c, base, `{"order_ref":"`+cancelled+`","method":"qris"}`); r.status != http.StatusConflict {
		t.Errorf("charge of a cancelled order: %d %s", r.status, r.body)
	}
	page = string(do(t, c, "GET", base+"/orders/"+cancelled, "", "").body)
	if !strings.Contains(page, `id="cancelled"`) || !regexp.MustCompile(`id="choose"[^>]* hidden`).MatchString(page) {
		t.Error("the cancelled order's page")
	}
}

// TestCancelOrder: cancelling ends a live payment at Midtrans first; a
// paid order cannot be cancelled.
func TestCancelOrder(t *testing.T) {
	shop, base := newTestShop(t, Config{})
	c := client(t)
	ref := placeOrder(t, c, base, newOrderForm("sambal-matah", "bni_va"))
	if r := charge(t, c, base, `{"order_ref":"`+ref+`","method":"bni_va"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	r := postJSON(t, c, base+"/orders/"+ref+"/cancel")
	if st, _ := r.json(t)["order"].(map[string]any); r.status != 200 || st["status"] != orderCancelled {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if tr, _ := shop.Simulator().Transaction(ref + "-1"); tr.Status != "expire" {
		t.Errorf("payment at Midtrans after cancelling: %s", tr.Status)
	}
	if r := postJSON(t, c, base+"/orders/"+ref+"/cancel"); r.status != http.StatusConflict {
		t.Errorf("second cancel: %d %s", r.status, r.body)
	}

	paid := placeOrder(t, c, base, newOrderForm("sambal-matah", "bni_va"))
	if r := charge(t, c, base, `{"order_ref":"`+paid+`","method":"bni_va"}`); r.status != http.StatusCreated {
		t.Fatalf("charge: %d %s", r.status, r.body)
	}
	if err := shop.Simulator().Pay(paid + "-1"); err != nil {
		t.Fatal(err)
	}
	waitState(t, c, base, paid, fulfilled)
	if r := postJSON(t, c, base+"/orders/"+paid+"/cancel"); r.status != http.StatusConflict {
		t.Errorf("cancel of a paid order: %d %s", r.status, r.body)
	}
}

// TestPortInUse: the error names the way to choose another address.
func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	err = run(ctx, ln.Addr().String(), Config{DBPath: filepath.Join(t.TempDir(), "shop.db")}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-addr") || !strings.Contains(err.Error(), "ADDR") || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("run on a taken port: %v", err)
	}
}

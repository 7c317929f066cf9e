package midtranstest

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// browser is a cookie-less client that does not follow redirects, to see where pages send it.
func browser() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestPages(t *testing.T) {
	s := newSim(t, Config{})
	a := newAPI(t, s)
	b := browser()
	t.Cleanup(b.CloseIdleConnections)
	get := func(u string) (int, string, http.Header) {
		t.Helper()
		resp, err := b.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}
	post := func(u string, form url.Values) (int, string) {
		t.Helper()
		resp, err := b.PostForm(u, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}

	t.Run("snap page pays and returns to the finish URL", func(t *testing.T) {
		code, m := a.doJSON("POST", "/snap/v1/transactions", map[string]any{
			"transaction_details": map[string]any{"order_id": "page-1", "gross_amount": 10000},
			"enabled_payments":    []string{"bni_va", "gopay"}, "callbacks": map[string]any{"finish": "https://shop.example/finish"}})
		if code != http.StatusCreated {
			t.Fatal(code)
		}
		redirect := m["redirect_url"].(string)
		if code, body, _ := get(redirect); code != 200 || !strings.Contains(body, "page-1") || !strings.Contains(body, `value="bni_va"`) {
			t.Fatalf("snap page %d %s", code, body)
		}
		code, loc := post(redirect, url.Values{"action": {"pay"}, "payment": {"bni_va"}})
		if code != http.StatusSeeOther || loc != "https://shop.example/finish?order_id=page-1&status_code=200&transaction_status=settlement" {
			t.Errorf("after paying: %d %s", code, loc)
		}
	})
	t.Run("3DS page", func(t *testing.T) {
		m := a.charge(cardCharge("page-2", 10000, "4811111111111114", map[string]any{"authentication": true}), "201")
		u := m["redirect_url"].(string)
		if code, body, _ := get(u); code != 200 || !strings.Contains(body, "48111111-1114") {
			t.Fatalf("3DS page %d %s", code, body)
		}
		if code, _ := post(u, url.Values{"action": {"pay"}}); code != http.StatusSeeOther {
			t.Fatalf("3DS submit %d", code)
		}
		if tr, _ := s.Transaction("page-2"); tr.Status != "capture" {
			t.Errorf("after 3DS: %s", tr.Status)
		}
		if _, body, _ := get(u); !strings.Contains(body, "postMessage") {
			t.Error("completed 3DS page does not report to the parent window")
		}
	})
	t.Run("e-wallet deeplink returns to callback_url", func(t *testing.T) {
		req := map[string]any{"payment_type": "gopay", "transaction_details": map[string]any{"order_id": "page-3", "gross_amount": 10000},
			"gopay": map[string]any{"enable_callback": true, "callback_url": "https://shop.example/back"}}
		m := a.charge(req, "201")
		var deeplink, qr string
		for _, act := range m["actions"].([]any) {
			switch act.(map[string]any)["name"] {
			case "deeplink-redirect":
				deeplink = act.(map[string]any)["url"].(string)
			case "generate-qr-code":
				qr = act.(map[string]any)["url"].(string)
			}
		}
		code, body, hdr := get(qr)
		if code != 200 || hdr.Get("Content-Type") != "image/png" {
			t.Fatalf("QR image %d %s", code, hdr)
		}
		img, err := png.Decode(bytes.NewReader([]byte(body)))
		if err != nil || img.Bounds().Dx() != img.Bounds().Dy() || img.Bounds().Dx() < 21*6 {
			t.Errorf("QR PNG: %v %v", err, img)
		}
		if code, loc := post(deeplink, url.Values{"action": {"pay"}}); code != http.StatusSeeOther || loc != "https://shop.example/back?order_id=page-3&result=success" {
			t.Errorf("deeplink pay: %d %s", code, loc)
		}
	})
	t.Run("scripts", func(t *testing.T) {
		for _, p := range []string{"/snap/snap.js", "/v2/assets/js/midtrans-new-3ds.min.js"} {
			code, body, _ := get(s.URL() + p)
			if code != 200 || !strings.Contains(body, s.URL()) {
				t.Errorf("%s: %d", p, code)
			}
		}
	})
	if n := len(s.Calls()); n != 3 { // pages are not API calls
		t.Errorf("%d API calls recorded, want 3", n)
	}
}

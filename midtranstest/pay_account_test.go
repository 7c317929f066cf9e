package midtranstest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPayAccountAPI: the pay account endpoints over plain HTTP, with the
// docs' answer shapes, the activation page, and the unlinking notification
// retried like any other.
func TestPayAccountAPI(t *testing.T) {
	s := newSim(t, Config{})
	k := newSink(t, http.StatusInternalServerError)
	s.SetNotificationURL(k.srv.URL)
	a := newAPI(t, s)

	link := map[string]any{"payment_type": "gopay",
		"gopay_partner": map[string]any{"phone_number": "81212345678", "country_code": "62"}}
	code, m := a.doJSON("POST", "/v2/pay/account", link)
	id, _ := m["account_id"].(string)
	acts, _ := m["actions"].([]any)
	if code != http.StatusOK || m["status_code"] != "201" || m["account_status"] != "PENDING" || id == "" || len(acts) != 2 {
		t.Fatalf("link: %d %v", code, m)
	}
	// The activation page: GET shows the account, POST confirms.
	res, err := http.Get(s.URL() + "/v2/gopay/redirect/gpar_" + id + "/link")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), id) || !strings.Contains(string(page), "PENDING") {
		t.Fatalf("activation page: %d %s", res.StatusCode, page)
	}
	if res, err := http.Get(s.URL() + "/v2/gopay/redirect/gpar_nope/link"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown activation page: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if err := s.ActivatePayAccount(id); err != nil {
		t.Fatal(err)
	}
	// Linking the same number again: 200, the linked account.
	if code, m := a.doJSON("POST", "/v2/pay/account", link); code != http.StatusOK || m["status_code"] != "200" || m["account_id"] != id {
		t.Errorf("link again: %d %v", code, m)
	}
	code, m = a.doJSON("GET", "/v2/pay/account/"+id, nil)
	meta, _ := m["metadata"].(map[string]any)
	opts, _ := meta["payment_options"].([]any)
	if code != http.StatusOK || m["status_code"] != "200" || len(opts) != 2 {
		t.Fatalf("get enabled: %d %v", code, m)
	}

	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/v2/pay/account", nil, http.StatusMethodNotAllowed},
		{"POST", "/v2/pay/account/" + id, nil, http.StatusMethodNotAllowed},
		{"GET", "/v2/pay/account/" + id + "/unbind", nil, http.StatusMethodNotAllowed},
		{"GET", "/v2/pay/account/nope", nil, http.StatusNotFound},
		{"POST", "/v2/pay/account", map[string]any{"payment_type": "shopeepay"}, http.StatusBadRequest},
		{"POST", "/v2/pay/account", "{", http.StatusBadRequest},
	} {
		if code, _ := a.do(c.method, c.path, c.body); code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, code, c.want)
		}
	}
	code, m = a.doJSON("POST", "/v2/pay/account", map[string]any{"payment_type": "gopay", "gopay_partner": map[string]any{}})
	if msgs, _ := m["validation_messages"].([]any); code != http.StatusBadRequest || m["status_code"] != "400" || len(msgs) != 2 {
		t.Errorf("link without a phone: %d %v", code, m)
	}
	// Unbind twice: the same 204 answer, one notification (retried while
	// the receiver fails).
	for range 2 {
		if code, m := a.doJSON("POST", "/v2/pay/account/"+id+"/unbind", nil); code != http.StatusOK || m["status_code"] != "204" || m["account_status"] != "DISABLED" {
			t.Errorf("unbind: %d %v", code, m)
		}
	}
	waitIdle(t, s)
	var linked, unlinked int
	for _, n := range k.received() {
		switch n["account_status"] {
		case "ENABLED":
			linked++
		case "DISABLED":
			unlinked++
		}
	}
	if linked < 2 || unlinked < 2 || linked != unlinked {
		t.Errorf("deliveries: %d linking, %d unlinking; want each retried the same number of times", linked, unlinked)
	}
}

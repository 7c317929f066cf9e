package midtranstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func TestConcurrentCharges(t *testing.T) {
	k := newSink(t, http.StatusOK)
	s := newSim(t, Config{NotificationURL: k.srv.URL})
	a := newAPI(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for i := range 150 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("conc-%d", i)
			if i >= 100 {
				id = "conc-shared"
			}
			code, body, err := a.try(t.Context(), "POST", "/v2/charge", vaCharge(id, 1000, "bni"))
			if err != nil || code != http.StatusOK {
				t.Errorf("%s: %d %v", id, code, err)
				return
			}
			var ans struct {
				StatusCode string `json:"status_code"`
			}
			if err := json.Unmarshal(body, &ans); err != nil {
				t.Errorf("%s: %s", id, body)
			}
			status := ans.StatusCode
			mu.Lock()
			if i >= 100 {
				codes["shared-"+status]++
			} else {
				codes["distinct-"+status]++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["distinct-201"] != 100 || codes["shared-201"] != 1 || codes["shared-406"] != 49 {
		t.Errorf("outcomes %v, want 100 distinct 201, 1 shared 201, 49 shared 406", codes)
	}
	waitIdle(t, s)
	if n := len(k.received()); n != 101 {
		t.Errorf("%d notifications, want 101", n)
	}
	// every VA number handed out is unique
	seen := map[string]bool{}
	for i := range 100 {
		tr, _ := s.Transaction(fmt.Sprintf("conc-%d", i))
		if seen[tr.VANumber] {
			t.Errorf("VA %s twice", tr.VANumber)
		}
		seen[tr.VANumber] = true
	}
}

package midtranstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// maxRetries: Midtrans retries a notification at most 5 times.
const maxRetries = 5

// maxRedirects: 307/308 answers are followed at most 5 times.
const maxRedirects = 5

// Delivery is one HTTP notification attempt (a followed 307/308 redirect is its own
// Delivery with the same Attempt number).
type Delivery struct {
	URL        string
	Body       []byte
	Attempt    int // 1 = first try, 2 = first retry, …
	StatusCode int // 0 when the request failed
	Err        string
	At         time.Time // wall clock: retries run on real timers whatever Config.Now says
}

// Deliveries returns every notification attempt so far, in order.
func (s *Server) Deliveries() []Delivery {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	out := make([]Delivery, len(s.deliveries))
	for i, d := range s.deliveries {
		d.Body = append([]byte(nil), d.Body...)
		out[i] = d
	}
	return out
}

// WaitIdle blocks until no notification delivery is in flight or scheduled for retry.
func (s *Server) WaitIdle(ctx context.Context) error {
	for {
		s.dmu.Lock()
		if s.pending == 0 {
			s.dmu.Unlock()
			return nil
		}
		ch := s.idle
		s.dmu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Notify (re)sends a notification of the transaction's current state.
func (s *Server) Notify(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lookup(id, true)
	if t == nil {
		return fmt.Errorf("notify %s: %w", id, ErrUnknownTransaction)
	}
	s.notifyLocked(t)
	return nil
}

// notifyLocked snapshots the transaction into a notification body and queues one
// delivery per URL. Called with s.mu held, so the body reflects this exact change.
// With no URL there is nothing to deliver, and no body is built.
func (s *Server) notifyLocked(t *txn) {
	urls := s.notificationURLs(t.overrideURLs, t.appendURLs)
	if len(urls) == 0 {
		return
	}
	body := mustJSON(s.statusObject(t, true))
	for _, u := range urls {
		s.enqueue(t.txID+" "+u, u, body)
	}
}

// enqueue starts a delivery goroutine. First attempts for the same transaction and URL
// are made in the order of the changes (a later change waits for the earlier first
// attempt); retries then run independently, so out-of-order arrival stays possible, as
// with Midtrans.
func (s *Server) enqueue(chainKey, url string, body []byte) {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	if s.closed {
		return
	}
	prev := s.chains[chainKey]
	done := make(chan struct{})
	s.chains[chainKey] = done
	if s.pending == 0 {
		s.idle = make(chan struct{})
	}
	s.pending++
	s.wg.Add(1)
	go s.deliver(chainKey, url, body, prev, done)
}

func (s *Server) deliver(chainKey, url string, body []byte, prev, done chan struct{}) {
	defer s.wg.Done()
	defer s.finishDelivery()
	firstDone := func() {
		if done == nil {
			return
		}
		close(done)
		s.dmu.Lock()
		if s.chains[chainKey] == done {
			delete(s.chains, chainKey)
		}
		s.dmu.Unlock()
		done = nil
	}
	defer firstDone()
	if prev != nil {
		select {
		case <-prev:
		case <-s.stop:
			return
		}
	}
	for attempt := 1; ; attempt++ {
		code, err := s.attempt(url, body, attempt)
		firstDone()
		retries := attempt - 1
		if retries >= retriesFor(code, err) || retries >= len(s.cfg.RetryDelays) {
			return
		}
		d := s.cfg.RetryDelays[retries]
		if d > 0 {
			d += time.Duration(rand.Int64N(int64(d)/10 + 1))
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.stop:
			t.Stop()
			return
		}
	}
}

func (s *Server) finishDelivery() {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.pending--
	if s.pending == 0 {
		close(s.idle)
	}
}

// retriesFor is Midtrans' retry table by the receiver's answer.
func retriesFor(code int, err error) int {
	switch {
	case err != nil:
		return 5
	case code >= 200 && code < 300:
		return 0
	case code == 500:
		return 1
	case code == 503:
		return 4
	case code == 400 || code == 404:
		return 2
	case code == 301 || code == 302 || code == 303:
		return 0
	}
	return 5
}

// attempt POSTs once, following 307/308 with the same body; it records every request.
func (s *Server) attempt(url string, body []byte, n int) (int, error) {
	client := *s.cfg.HTTPClient
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	target := url
	for redirects := 0; ; redirects++ {
		code, loc, err := s.post(&client, target, body)
		d := Delivery{URL: target, Body: body, Attempt: n, StatusCode: code, At: time.Now()}
		if err != nil {
			d.Err = err.Error()
		}
		s.dmu.Lock()
		s.deliveries = append(s.deliveries, d)
		s.dmu.Unlock()
		s.cfg.Logger.Debug("midtranstest: notification", "url", target, "attempt", n, "status", code, "err", d.Err)
		if err != nil {
			return 0, err
		}
		if (code == http.StatusTemporaryRedirect || code == http.StatusPermanentRedirect) && loc != "" && redirects < maxRedirects {
			target = loc
			continue
		}
		return code, nil
	}
}

func (s *Server) post(client *http.Client, target string, body []byte) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.NotificationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Veritrans")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	loc := ""
	if u, err := resp.Location(); err == nil {
		loc = u.String()
	}
	return resp.StatusCode, loc, nil
}

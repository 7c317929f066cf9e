package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/nusapay/payments/adapters"
)

// StaffUser is the user name of the shop's one staff account, which signs
// in to the ops console with HTTP Basic authentication.
const StaffUser = "staff"

// consolePath is where the ops console is mounted (adapters.WithConsole).
const consolePath = prefix + "/console"

// newStaffPassword is a random password for a run that sets none.
func newStaffPassword() string {
	return rand.Text()[:16]
}

// authorizeStaff is the shop's adapters.Authorizer: the console and the
// operation routes are the staff's, signed in with Basic authentication;
// the staff identity recorded with every action is "staff".
//
// A real application checks its own session and roles here, and returns
// the signed-in person's identity (an email), not a shared account.
func (s *Shop) authorizeStaff(_ context.Context, r *adapters.Request, _, _ string) (string, error) {
	user, pass, ok := basicAuth(r.Header.Get("Authorization"))
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(StaffUser)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.StaffPassword)) != 1 {
		return "", adapters.ErrUnauthenticated
	}
	return StaffUser, nil
}

func basicAuth(header string) (user, pass string, ok bool) {
	r := http.Request{Header: http.Header{"Authorization": {header}}}
	return r.BasicAuth()
}

// challenge makes a browser ask for the staff's password on the console:
// the console answers 401 without credentials, and this adds the header
// that makes a browser prompt for them.
func challenge(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, consolePath) {
			if _, _, ok := r.BasicAuth(); !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="Toko Nusa payments console", charset="UTF-8"`)
			}
		}
		h.ServeHTTP(w, r)
	})
}

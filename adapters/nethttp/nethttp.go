// Package nethttp mounts the payments routes (package adapters) on net/http:
// on a *http.ServeMux with Go 1.22 method patterns, or as one http.Handler
// for chi, gorilla or any router that takes one. It only translates
// requests and responses; the logic is in package adapters.
package nethttp

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/nusapay/payments/adapters"
)

// Mount registers api's routes on mux under api.Prefix(), e.g.
// "POST /payments/notifications", and the prefix itself as a subtree
// ("/payments" and "/payments/") for every other path under it, which
// api.Unmatched answers: 404 not_found or 405 method_not_allowed in the
// JSON error shape. The host's own, more specific patterns under the
// prefix still win; the host must not register the prefix's subtree
// itself.
func Mount(mux *http.ServeMux, api *adapters.API) {
	for _, r := range api.Routes() {
		mux.Handle(r.Method+" "+api.Prefix()+r.Path, handler(r))
	}
	unmatched := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write(w, api.Unmatched(r.Method, strings.TrimPrefix(r.URL.EscapedPath(), api.Prefix())))
	})
	mux.Handle(api.Prefix(), unmatched)
	mux.Handle(api.Prefix()+"/", unmatched)
}

// Handler returns api's routes as one http.Handler that expects the full
// path (prefix included), for routers that mount an http.Handler.
func Handler(api *adapters.API) http.Handler {
	mux := http.NewServeMux()
	Mount(mux, api)
	return mux
}

func handler(route adapters.Route) http.Handler {
	params := pathParams(route.Path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &adapters.Request{Method: r.Method, Host: r.Host, Params: make(map[string]string, len(params)), Header: r.Header,
			Query: r.URL.Query(), Raw: r}
		for _, p := range params {
			req.Params[p] = r.PathValue(p)
		}
		if route.MaxBody > 0 {
			// Read one byte past the limit to tell "exactly the limit" from "more".
			body, err := io.ReadAll(io.LimitReader(r.Body, route.MaxBody+1))
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				// The host's limit (http.MaxBytesHandler) is below the route's.
				req.TooLarge, body = true, nil
			case err != nil:
				write(w, adapters.Response{Status: http.StatusBadRequest, Body: []byte(`{"error":{"code":"bad_request","message":"unreadable body"}}`)})
				return
			case int64(len(body)) > route.MaxBody:
				req.TooLarge, body = true, nil
			}
			req.Body = body
		}
		write(w, route.Handle(r.Context(), req))
	})
}

func write(w http.ResponseWriter, resp adapters.Response) {
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	ct := resp.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(resp.Status)
	_, _ = w.Write(resp.Body)
}

// pathParams lists the {name} parameters of a route path.
func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.Trim(seg, "{}"))
		}
	}
	return out
}

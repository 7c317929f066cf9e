// Package nethttp mounts the payments routes (package adapters) on net/http:
// on a *http.ServeMux with Go 1.22 method patterns, or as one http.Handler
// for chi, gorilla or any router that takes one. It only translates
// requests and responses; the logic is in package adapters.
package nethttp

import (
	"io"
	"net/http"
	"strings"

	"github.com/nusapay/payments/adapters"
)

// Mount registers api's routes on mux under api.Prefix(), e.g.
// "POST /payments/notifications".
func Mount(mux *http.ServeMux, api *adapters.API) {
	for _, r := range api.Routes() {
		mux.Handle(r.Method+" "+api.Prefix()+r.Path, handler(r))
	}
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
		req := &adapters.Request{Method: r.Method, Host: r.Host, Params: make(map[string]string, len(params)), Header: r.Header, Raw: r}
		for _, p := range params {
			req.Params[p] = r.PathValue(p)
		}
		if route.MaxBody > 0 {
			// Read one byte past the limit to tell "exactly the limit" from "more".
			body, err := io.ReadAll(io.LimitReader(r.Body, route.MaxBody+1))
			if err != nil {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error":{"code":"bad_request","message":"unreadable body"}}`)
				return
			}
			if int64(len(body)) > route.MaxBody {
				req.TooLarge, body = true, nil
			}
			req.Body = body
		}
		resp := route.Handle(r.Context(), req)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(resp.Status)
		_, _ = w.Write(resp.Body)
	})
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

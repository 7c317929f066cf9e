package fiberadapter

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/nusapay/payments/adapters"
)

// Mount registers api's routes on router under api.Prefix(), e.g.
// "POST /payments/notifications". router is the App or a Group; on a Group
// the group's prefix comes first.
//
// Mount also registers a middleware on the prefix (router.Use) that
// answers what no route under it matched with api.Unmatched: 404
// not_found or 405 method_not_allowed in the JSON error shape, instead of
// Fiber's text. The host's own routes under the prefix, registered before
// or after Mount, are still served as they are.
func Mount(router fiber.Router, api *adapters.API) {
	router.Use(api.Prefix(), unmatched(api))
	for _, r := range api.Routes() {
		router.Add([]string{r.Method}, api.Prefix()+fiberPath(r.Path), handler(r))
	}
}

// unmatched runs the rest of the chain and, when the router found no
// route for the request (Next fails with Fiber's 404 or 405 and no
// route past this middleware ran), sends api.Unmatched's answer instead.
func unmatched(api *adapters.API) fiber.Handler {
	return func(c fiber.Ctx) error {
		self := c.Route()
		c.Locals(underPrefix{}, true)
		err := c.Next()
		if c.Route() != self || !errors.Is(err, fiber.ErrNotFound) && !errors.Is(err, fiber.ErrMethodNotAllowed) {
			return err
		}
		// The router's Allow header, if any, is replaced by the API's.
		c.Response().Header.Del(fiber.HeaderAllow)
		// The part after the Use path, which holds the group's prefix too.
		rest := c.Path()[min(len(self.Path), len(c.Path())):]
		return send(c, api.Unmatched(strings.Clone(c.Method()), strings.Clone(rest)))
	}
}

// SkipWebhook returns a Next function for Fiber middleware that must not
// run on the Midtrans webhook, above all csrf.Config.Next: it reports true
// for a POST to api's notifications route as Mount registers it on router
// (pass the router given to Mount). Paths compare as Fiber routes them,
// honouring Config.CaseSensitive and Config.StrictRouting.
//
// A sub-app mounted with app.Use("/prefix", sub) is not seen from sub:
// build the API with that prefix in adapters.WithPrefix instead.
func SkipWebhook(router fiber.Router, api *adapters.API) func(fiber.Ctx) bool {
	var path string
	for _, r := range api.Routes() {
		if r.Name == adapters.RouteNotifications {
			path = api.Prefix() + r.Path
		}
	}
	if g, ok := router.(*fiber.Group); ok {
		path = strings.TrimRight(g.Prefix, "/") + path
	}
	return func(c fiber.Ctx) bool {
		if c.Method() != fiber.MethodPost {
			return false
		}
		cfg := c.App().Config()
		p := c.Path()
		if !cfg.StrictRouting && len(p) > 1 {
			p = strings.TrimSuffix(p, "/")
		}
		if cfg.CaseSensitive {
			return p == path
		}
		return strings.EqualFold(p, path)
	}
}

func handler(route adapters.Route) fiber.Handler {
	params := pathParams(route.Path)
	return func(c fiber.Ctx) error {
		// Everything taken from c is copied: fasthttp reuses these buffers
		// for the next request once this handler returns.
		req := &adapters.Request{Method: strings.Clone(c.Method()), Host: string(c.Request().Host()),
			Params: make(map[string]string, len(params)), Header: header(c), Query: query(c), Raw: c}
		unescape := !c.App().Config().UnescapePath
		for _, p := range params {
			v := c.Params(p)
			if unescape {
				// As net/http's PathValue: the parameter, not its URL form.
				if u, err := url.PathUnescape(v); err == nil {
					v = u
				}
			}
			req.Params[p] = strings.Clone(v)
		}
		if route.MaxBody > 0 {
			// Raw, not c.Body(): decoding a Content-Encoding would let a
			// small compressed body expand past the limit in memory.
			body := c.BodyRaw()
			if int64(len(body)) > route.MaxBody {
				req.TooLarge = true
			} else {
				req.Body = bytes.Clone(body)
			}
		}
		return send(c, route.Handle(c.Context(), req))
	}
}

func send(c fiber.Ctx, resp adapters.Response) error {
	for k, vs := range resp.Header {
		for _, v := range vs {
			c.Append(k, v)
		}
	}
	ct := resp.ContentType
	if ct == "" {
		ct = fiber.MIMEApplicationJSON
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(resp.Status).Send(resp.Body)
}

// ErrorHandler returns a fiber.Config.ErrorHandler that answers a body
// over the app's Config.BodyLimit, which Fiber refuses before any route
// runs, with the routes' 413 body_too_large in the JSON error shape when
// the request is under a prefix Mount registered; every other error, and
// every other path, goes to next (fiber.DefaultErrorHandler when nil).
// Without it such a body gets next's answer (text/plain by default).
func ErrorHandler(next fiber.ErrorHandler) fiber.ErrorHandler {
	if next == nil {
		next = fiber.DefaultErrorHandler
	}
	return func(c fiber.Ctx, err error) error {
		var fe *fiber.Error
		if ours, _ := c.Locals(underPrefix{}).(bool); !ours || !errors.As(err, &fe) || fe.Code != fiber.StatusRequestEntityTooLarge {
			return next(c, err)
		}
		// Fiber ran the prefix's middleware, which answered 404 or 405
		// for want of a route, before it called this.
		c.Response().Header.Del(fiber.HeaderAllow)
		return send(c, adapters.BodyTooLarge())
	}
}

// underPrefix is the c.Locals key with which the middleware Mount
// registers marks a request under the prefix, for ErrorHandler.
type underPrefix struct{}

// header copies the request headers into an http.Header (string([]byte)
// copies the bytes).
func header(c fiber.Ctx) http.Header {
	h := make(http.Header)
	for k, v := range c.Request().Header.All() {
		h.Add(string(k), string(v))
	}
	return h
}

// query parses the request's query string (url.ParseQuery copies it); a
// malformed pair is dropped, as net/http's URL.Query does.
func query(c fiber.Ctx) url.Values {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	return q
}

// fiberPath writes a route path's {name} parameters as Fiber's :name.
func fiberPath(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if name, ok := paramName(seg); ok {
			segs[i] = ":" + name
		}
	}
	return strings.Join(segs, "/")
}

// pathParams lists the {name} parameters of a route path.
func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if name, ok := paramName(seg); ok {
			out = append(out, name)
		}
	}
	return out
}

func paramName(seg string) (string, bool) {
	if len(seg) > 2 && strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}
